# Shared by deploy/dev/run.sh and tests/run.sh: checks the host programs the portal needs and,
# when run as root, installs the missing ones from Debian's packages; otherwise it names them.
# Usage: ensure_prerequisites portal|tests

# "command-or-path package" pairs.
PORTAL_NEEDS=(
  "initdb@/usr/lib/postgresql/*/bin/initdb postgresql"
  "podman podman"
  "runc runc"
  "newuidmap uidmap"
  "slirp4netns slirp4netns"
  "fuse-overlayfs fuse-overlayfs"
)
TEST_NEEDS=(
  "chromium chromium"
  "setfacl acl"
  "sudo sudo"
  "@/bin/busybox busybox-static"
  "getent libc-bin"
)

have() {
  local spec=$1 cmd path
  cmd=${spec%%@*}
  path=""
  [[ $spec == *@* ]] && path=${spec#*@}
  if [[ -n $cmd ]] && command -v "$cmd" >/dev/null 2>&1; then return 0; fi
  if [[ -n $path ]]; then
    # shellcheck disable=SC2086 # the glob is meant to expand
    for p in $path; do [[ -x $p ]] && return 0; done
  fi
  return 1
}

ensure_prerequisites() {
  local mode=$1 missing=() entry spec pkg
  local needs=("${PORTAL_NEEDS[@]}")
  [[ $mode == tests ]] && needs+=("${TEST_NEEDS[@]}")
  for entry in "${needs[@]}"; do
    spec=${entry% *}; pkg=${entry##* }
    have "$spec" || missing+=("$pkg")
  done

  if ! command -v dotnet >/dev/null 2>&1; then
    echo "error: the .NET 10 SDK (dotnet) is not installed; see https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
    return 1
  fi

  if ((${#missing[@]} == 0)); then return 0; fi
  if [[ $(id -u) -eq 0 ]]; then
    echo "Installing missing packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "error: missing packages: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install ${missing[*]}" >&2
    return 1
  fi
}
