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

mkdir -p "$out"
# The dependency closure, less what every Debian system has (priority required or important).
mapfile -t packages < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances "${wanted[@]}" | grep -E '^[a-z0-9]' | sort -u)
keep=()
for p in "${packages[@]}"; do
  priority=$(apt-cache show "$p" 2>/dev/null | awk '/^Priority:/ { print $2; exit }')
  [[ $priority == required || $priority == important ]] || keep+=("$p")
done
(cd "$out" && apt-get download "${keep[@]}" >/dev/null)
echo "fetch-debs.sh: $(ls "$out"/*.deb | wc -l) packages, $(du -sh "$out" | cut -f1), in $out"
