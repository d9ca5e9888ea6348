#!/bin/bash
# Downloads podman and what it needs beyond a base Debian 12 system into bench/gpu-host/debs/ (ignored by git), so
# that device-control.sh can install podman on a GPU host that has no network. Run it on a Debian 12 machine with
# apt sources (any architecture-matching one; it installs nothing here):
#
#   bench/gpu-host/fetch-debs.sh
#
# The folder then travels with the working tree to the GPU host (for example as an ignored path carried with it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/debs
wanted=(podman runc crun conmon catatonit uidmap slirp4netns fuse-overlayfs golang-github-containers-common)

rm -rf "$out" && mkdir -p "$out"
# The dependency closure as apt would install it on an empty system (first alternatives only, no recommends), less
# what every Debian system has (priority required or important) and usrmerge with the perl it alone pulls in (a Debian
# 12 host is merged already).
status=$(mktemp)
mapfile -t packages < <(apt-get install -s --no-install-recommends -o Dir::State::status="$status" "${wanted[@]}" \
    | awk '/^Inst / { print $2 }')
rm -f "$status"
keep=()
for p in "${packages[@]}"; do
  # awk reads to the end: quitting early would end apt-cache with SIGPIPE, which pipefail turns into a failure.
  priority=$(apt-cache show "$p" 2>/dev/null | awk '/^Priority:/ && !seen { print $2; seen = 1 }')
  case $p in usrmerge | perl | perl-modules-* | libperl5* | libfile-find-rule-perl | libnumber-compare-perl | libtext-glob-perl | libgdbm*) continue ;; esac
  [[ $priority == required || $priority == important ]] || keep+=("$p")
done
(cd "$out" && apt-get download "${keep[@]}" >/dev/null 2>&1)
echo "fetch-debs.sh: $(ls "$out"/*.deb | wc -l) packages, $(du -sh "$out" | cut -f1), in $out"
