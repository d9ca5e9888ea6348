# Shared by deploy/dev/run.sh and tests/run.sh: checks the Debian packages the portal needs and,
# when run as root, installs the missing ones; otherwise it names them and stops.
# Usage: ensure_prerequisites portal|tests

# busybox-static: the quick start's sample image, and the tests' container image, are its single static binary.
PORTAL_PACKAGES=(postgresql podman runc uidmap slirp4netns fuse-overlayfs busybox-static)
# systemd: systemd-analyze, which checks the production unit file (systemd need not be running).
# curl: the session tests connect to session sockets as other users (curl --unix-socket).
# gcc, libc6-dev: sockbridge is built as a static C program (the launcher's NativeAOT link needs them too).
# python3-aiosmtpd: the notification tests send email to a real SMTP server they start and stop.
TEST_PACKAGES=(chromium acl sudo libc-bin systemd curl gcc libc6-dev python3-aiosmtpd)
# Installed without starting their daemons: the Slurm tests run a one-node cluster on localhost, the image tests a
# registry (docker-registry) on 127.0.0.1; each is started and stopped by the tests themselves.
SLURM_TEST_PACKAGES=(slurm-wlm munge docker-registry)

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
  local slurm_missing=()
  if [[ $mode == tests ]]; then
    for pkg in "${SLURM_TEST_PACKAGES[@]}"; do
      package_installed "$pkg" || slurm_missing+=("$pkg")
    done
  fi
  if ((${#missing[@]} == 0 && ${#slurm_missing[@]} == 0)); then return 0; fi

  if [[ $(id -u) -eq 0 ]]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    if ((${#missing[@]} > 0)); then
      echo "Installing missing packages: ${missing[*]}"
      apt-get install -y -q "${missing[@]}" >/dev/null
    fi
    if ((${#slurm_missing[@]} > 0)); then
      install_without_starting_daemons "${slurm_missing[@]}"
    fi
  else
    missing+=("${slurm_missing[@]}")
    echo "error: missing packages: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install ${missing[*]}" >&2
    return 1
  fi
}

# slurmctld's, slurmd's and docker-registry's maintainer scripts start their daemons (slurmctld's fails the install when it cannot, and
# it cannot before a slurm.conf exists). A policy-rc.d that answers 101 ("action forbidden") makes invoke-rc.d skip
# every start; the tests start the daemons themselves with a configuration of their own. An existing policy-rc.d is
# put back afterwards.
install_without_starting_daemons() {
  local policy=/usr/sbin/policy-rc.d saved=""
  echo "Installing (without starting their daemons): $*"
  if [[ -e $policy ]]; then
    saved=$(mktemp /usr/sbin/policy-rc.d.saved.XXXXXX)
    cp -p "$policy" "$saved"
  fi
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 0755 "$policy"
  local status=0
  apt-get install -y -q --no-install-recommends "$@" >/dev/null || status=$?
  if [[ -n $saved ]]; then mv -f "$saved" "$policy"; else rm -f "$policy"; fi
  return "$status"
}
