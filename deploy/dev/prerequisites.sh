# Shared by deploy/dev/run.sh and tests/run.sh: checks the Debian packages the portal needs and,
# when run as root, installs the missing ones; otherwise it names them and stops.
# Usage: ensure_prerequisites portal|tests

# busybox-static: the quick start's sample image, and the tests' container image, are its single static binary.
PORTAL_PACKAGES=(postgresql podman runc uidmap slirp4netns fuse-overlayfs busybox-static)
# systemd: systemd-analyze, which checks the production unit file (systemd need not be running).
# curl: the session tests connect to session sockets as other users (curl --unix-socket).
# gcc, libc6-dev: sockbridge is built as a static C program (the launcher's NativeAOT link needs them too).
TEST_PACKAGES=(chromium acl sudo libc-bin systemd curl gcc libc6-dev)

package_installed() {
  [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

ensure_prerequisites() {
  local mode=$1 missing=() pkg
  local wanted=("${PORTAL_PACKAGES[@]}")
  [[ $mode == tests ]] && wanted+=("${TEST_PACKAGES[@]}")

  if ! command -v dotnet >/dev/null 2>&1; then
    echo "error: the .NET 10 SDK (dotnet) is not installed; see https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
    return 1
  fi
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "warning: not a Debian-based system; make sure these are installed: ${wanted[*]}" >&2
    return 0
  fi

  for pkg in "${wanted[@]}"; do
    package_installed "$pkg" || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then return 0; fi

  if [[ $(id -u) -eq 0 ]]; then
    echo "Installing missing packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q "${missing[@]}" >/dev/null
  else
    echo "error: missing packages: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install ${missing[*]}" >&2
    return 1
  fi
}
