#!/usr/bin/env bash
# Builds a Jupyter image from Debian 12's own packages, offline from any container registry: the packages are
# downloaded with apt (or taken from the cache), unpacked into a root file system with dpkg-deb, and imported with
# `podman import`. It holds Jupyter Server 1.23, the classic Notebook 6.4 (a page a browser can use), terminado
# (terminals), an IPython kernel and busybox (a shell for the terminal).
#
# Usage: deploy/images/build-jupyter-image.sh [--tar-only] [--user NAME] [--tag REF]
#   --tar-only   only build (or find) the cached tar and print its path
#   --user NAME  import into NAME's rootless storage (run as root); default: the caller's own storage
#   --tag REF    the image name (default localhost/portal-jupyter:deb12)
#
# The tar is cached under $PORTAL_IMAGE_CACHE (default /var/cache/portal-images as root, else
# ${XDG_CACHE_HOME:-~/.cache}/portal-images), named by a hash of the exact package versions: a Debian point release
# that changes any of them builds a new tar, and an unchanged one is reused (building takes about a minute, importing
# a few seconds). Root is needed only to refresh apt's package lists when they are missing.
set -euo pipefail

tag=localhost/portal-jupyter:deb12
user=""
tar_only=false
while (($#)); do
  case $1 in
    --tar-only) tar_only=true ;;
    --user) user=$2; shift ;;
    --tag) tag=$2; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

# What the image needs at run time. Tools that only install or debug packages are left out (below).
roots=(python3-jupyter-server python3-notebook python3-terminado python3-ipykernel jupyter-core jupyter-notebook busybox-static)
left_out='^(gdb|gdb-minimal|libbabeltrace1|libboost-regex1\.74\.0|libsource-highlight.*|libdebuginfod.*|libipt2|perl|perl-base|perl-modules-5\.36|libperl5\.36|libfile-find-rule-perl|libnumber-compare-perl|libtext-glob-perl|libgdbm-compat4|dpkg|debconf|cdebconf|libdebian-installer4|libnewt0\.52|libslang2|libtextwrap1|usrmerge|usr-is-merged|install-info|init-system-helpers|ucf|sensible-utils|tar)$'

if [[ $(id -u) -eq 0 ]]; then cache=${PORTAL_IMAGE_CACHE:-/var/cache/portal-images}; else cache=${PORTAL_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portal-images}; fi
mkdir -p "$cache/debs"

if ! apt-cache show python3-jupyter-server >/dev/null 2>&1; then
  if [[ $(id -u) -ne 0 ]]; then echo "apt has no package lists; run 'apt-get update' as root first" >&2; exit 1; fi
  apt-get update -q >/dev/null
fi

# The closure of the roots' dependencies (no recommends), each package once, with the version apt would install.
mapfile -t packages < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances "${roots[@]}" | grep -v '^[ <]' | sort -u | grep -Ev "$left_out")
versions=$(apt-cache policy "${packages[@]}" | awk '/^[^ ]/ {p=$1; sub(/:$/, "", p)} /Candidate:/ {print p, $2}')
key=$(printf '%s\n' "$versions" | sha256sum | cut -c1-16)
tar="$cache/jupyter-deb12-$key.tar"

if [[ ! -f $tar ]]; then
  work=$(mktemp -d "$cache/build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  # As root apt would hand the download to its _apt user, who cannot write into a root-only cache.
  sandbox=(); [[ $(id -u) -eq 0 ]] && sandbox=(-o APT::Sandbox::User=root)
  (cd "$cache/debs" && apt-get download -q "${sandbox[@]}" "${packages[@]}" >/dev/null)
  rootfs="$work/rootfs"
  mkdir -p "$rootfs"
  while read -r name version; do
    # apt-get download names files name_version_arch.deb, with the epoch's ':' written as %3a.
    deb=$(ls "$cache/debs/${name}_${version/:/%3a}_"*.deb | head -n 1)
    dpkg-deb -x "$deb" "$rootfs"
  done <<<"$versions"
  # Debian 12's packages install into /usr and the merged /bin, /lib, /sbin links come from base-files/usrmerge.
  for d in bin lib lib64 sbin; do
    if [[ -d $rootfs/$d && ! -L $rootfs/$d ]]; then cp -a "$rootfs/$d/." "$rootfs/usr/$d/" && rm -rf "${rootfs:?}/$d"; fi
    [[ -e $rootfs/$d ]] || ln -s "usr/$d" "$rootfs/$d"
  done
  ln -sf busybox "$rootfs/usr/bin/sh"
  for applet in $("$rootfs/usr/bin/busybox" --list); do
    [[ -e $rootfs/usr/bin/$applet ]] || ln -s busybox "$rootfs/usr/bin/$applet"
  done
  mkdir -p "$rootfs/root" "$rootfs/tmp" "$rootfs/etc" "$rootfs/run"
  chmod 1777 "$rootfs/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\n' >"$rootfs/etc/group"
  tar -C "$rootfs" -cf "$work/image.tar" .
  mv "$work/image.tar" "$tar"
  # Older tars (other package versions) are no longer needed.
  find "$cache" -maxdepth 1 -name 'jupyter-deb12-*.tar' ! -name "$(basename "$tar")" -delete
fi

if $tar_only; then
  echo "$tar"
  exit 0
fi

import=(podman import --change 'ENV HOME=/root' --change 'ENV SHELL=/bin/sh' --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin'
  --change 'ENV LANG=C.UTF-8' --change 'WORKDIR /root' "$tar" "$tag")
if [[ -n $user ]]; then
  uid=$(id -u "$user")
  chmod 0644 "$tar"
  runuser -u "$user" -- env -i HOME="$(getent passwd "$user" | cut -d: -f6)" USER="$user" PATH=/usr/bin:/bin \
    XDG_RUNTIME_DIR="/run/user/$uid" "${import[@]}" >/dev/null
else
  "${import[@]}" >/dev/null
fi
echo "$tag"
