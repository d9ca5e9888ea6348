#!/bin/bash
# Proves on a real GPU host what the launcher's device control promises (docs/launcher.md, "Device control"): a job
# that was given the GPU can compute on it, and a job without it gets EPERM when it opens the GPU's node, even though
# the node is 0666 and reachable inside the job. Run as root on a cgroup v2 host with an NVIDIA GPU, python3 and
# torch installed system-wide (under /usr):
#
#   bench/gpu-host/device-control.sh BIN_DIR
#
# BIN_DIR holds portal-launcher built with -p:LauncherPolicyPath=/etc/portal-gpu-host/launcher.json (run.sh builds
# one). Without podman on the host it installs bench/gpu-host/debs/*.deb (fetch-debs.sh) first. It prints PASS/FAIL
# per item, removes everything it made, and exits 1 if anything failed.
#
# The job's image is a nearly empty root file system whose /bin, /lib and /lib64 point into /usr; the job mounts the
# host's /usr read-only there, so it runs the host's python3, torch and NVIDIA user-space libraries, and only the
# device nodes decide what it can use.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: device-control.sh BIN_DIR}
policy=/etc/portal-gpu-host/launcher.json
user=pgpu-jobs
group=pgpu-portal
image=localhost/pgpu-usr:latest
launcher=$bin/portal-launcher
status=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; status=1; }

[ "$(id -u)" -eq 0 ] || { echo "device-control.sh: run as root" >&2; exit 1; }
[ -f /sys/fs/cgroup/cgroup.controllers ] || { echo "device-control.sh: not a cgroup v2 host" >&2; exit 1; }
command -v nvidia-smi >/dev/null || { echo "device-control.sh: no nvidia-smi: not a GPU host" >&2; exit 1; }
if ! command -v podman >/dev/null; then
  ls "$here"/debs/*.deb >/dev/null 2>&1 || { echo "device-control.sh: no podman and no $here/debs (fetch-debs.sh)" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive dpkg -i "$here"/debs/*.deb >/dev/null || { echo "device-control.sh: dpkg -i failed" >&2; exit 1; }
fi
echo "== host"; uname -r; podman --version; nvidia-smi -L; ls -l /dev/nvidia0 /dev/nvidiactl /dev/nvidia-uvm

uuid=$(nvidia-smi --query-gpu=uuid --format=csv,noheader -i 0)
read -r major minor < <(stat -c '%t %T' /dev/nvidia0 | awk '{ printf "%d %d\n", strtonum("0x"$1), strtonum("0x"$2) }')

# A systemd host delegates a cgroup to the launcher through a unit (as deploy/systemd/portal-jobs.service does);
# elsewhere the launcher makes its own parent at the root.
parent=portal-gpu-host
jobs_unit=""
if [ -d /run/systemd/system ]; then
  jobs_unit=portal-gpu-host-jobs.service
  systemd-run --quiet --unit="$jobs_unit" -p Delegate=yes -p Type=oneshot -p RemainAfterExit=yes /bin/true
  parent=system.slice/$jobs_unit
fi

groupadd -f $group
id -u $user >/dev/null 2>&1 || useradd --create-home --shell /bin/sh -G $group -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 $user
grep -q "^$user:" /etc/subuid || usermod --add-subuids 1200000000-1200065535 --add-subgids 1200000000-1200065535 $user
uid=$(id -u $user); home=$(getent passwd $user | cut -d: -f6)
install -d -o $user -g $user -m 0700 /run/user/$uid
# A 0666 copy of the GPU's node in the user's home: reachable from any job that mounts the home.
mknod -m 0666 "$home/nvidia0-copy" c "$major" "$minor"

mkdir -p "$(dirname $policy)" && install -d -m 0700 /var/log/portal-gpu-host
cat > $policy <<JSON
{"version":1,"minUid":1000,"group":"$group","podman":"$(command -v podman)","runtime":"$(command -v crun >/dev/null && echo crun || echo runc)",
 "mountRoots":[{"userHome":true},{"path":"/usr","readOnly":true}],
 "gpus":[{"id":"$uuid","node":"/dev/nvidia0","visibleId":"$uuid"}],
 "gpuControlNodes":["/dev/nvidiactl","/dev/nvidia-uvm","/dev/nvidia-uvm-tools"],
 "pidsLimit":4096,"logMaxBytes":10485760,
 "auditLog":"/var/log/portal-gpu-host/audit.log","stateDir":"/run/portal-gpu-host","cgroupParent":"$parent"}
JSON
chmod 0644 $policy

# The image, made with the launcher's own podman configuration (the launcher writes it at its first call).
echo '{"version":1,"verb":"check"}' | "$launcher" > /dev/null
rootfs=$(mktemp -d)
mkdir -p "$rootfs"/{usr,tmp,proc,sys,dev,etc,root,data}
for d in bin lib lib64 sbin; do ln -s usr/$d "$rootfs/$d"; done
echo "root:x:0:0:root:/root:/bin/sh" > "$rootfs/etc/passwd"
tar -C "$rootfs" -cf /tmp/pgpu-usr.tar . && chmod 0644 /tmp/pgpu-usr.tar && rm -rf "$rootfs"
(cd / && runuser -u $user -- env -i HOME="$home" PATH=/usr/bin:/bin XDG_RUNTIME_DIR=/run/user/$uid \
  CONTAINERS_CONF=/run/portal-gpu-host/podman/containers.conf CONTAINERS_STORAGE_CONF=/run/portal-gpu-host/podman/storage.conf \
  CONTAINERS_REGISTRIES_CONF=/run/portal-gpu-host/podman/registries.conf \
  podman import --change 'ENV PATH=/usr/bin:/bin' /tmp/pgpu-usr.tar $image >/dev/null)
rm -f /tmp/pgpu-usr.tar

request() { # $1 = job, $2 = script, $3 = gpus JSON array
  printf '{"version":1,"verb":"run","user":"%s","job":"%s","run":{"image":"%s","command":["/bin/sh","-c",%s],"gpus":%s,"mounts":[{"source":"/usr","target":"/usr","readOnly":true},{"source":"%s","target":"/data"}]}}' \
    "$user" "$1" "$image" "$(printf '%s' "$2" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')" "$3" "$home"
}
run_job() { # $1 = job, $2 = script, $3 = gpus; waits for the job to end and prints its output
  request "$1" "$2" "$3" | "$launcher" > "/tmp/pgpu-$1.json" || { cat "/tmp/pgpu-$1.json"; return 1; }
  for _ in $(seq 120); do
    echo "{\"version\":1,\"verb\":\"inspect\",\"user\":\"$user\",\"job\":\"$1\"}" | "$launcher" | grep -q '"state":"exited"' && break
    sleep 1
  done
  echo "{\"version\":1,\"verb\":\"logs\",\"user\":\"$user\",\"job\":\"$1\"}" | "$launcher"
}
compute='import torch; a = torch.randn(4096, 4096, device="cuda"); print("computed", float((a @ a).sum()), torch.cuda.get_device_name(0))'

echo "== a job given the GPU"
with=$(run_job with-gpu "python3 -c '$compute' 2>&1; cat /data/nvidia0-copy 2>&1 | head -c 200; echo; echo end" "[\"$uuid\"]")
echo "$with"
echo "$with" | grep -q '^computed ' && pass "the job given the GPU computed on it" || fail "the job given the GPU could not compute"

echo "== a job without the GPU"
without=$(run_job without-gpu "cat /data/nvidia0-copy 2>&1; python3 -c '$compute' 2>&1 | tail -n 2; echo end" "[]")
echo "$without"
echo "$without" | grep -q "nvidia0-copy: Operation not permitted" \
  && pass "the job without the GPU got EPERM opening a 0666 copy of its node (the BPF device program, cgroup v2)" \
  || fail "the job without the GPU could open the node, or failed otherwise"
echo "$without" | grep -q '^computed ' && fail "the job without the GPU computed on it" || pass "the job without the GPU could not compute"

echo "== the launcher's check"
echo "{\"version\":1,\"verb\":\"check\",\"user\":\"$user\"}" | "$launcher" | python3 -c '
import json, sys
for c in json.load(sys.stdin)["checks"]: print(f"  {c[\"status\"]:4} {c[\"name\"]}: {c[\"detail\"]}")'

for job in with-gpu without-gpu; do
  echo "{\"version\":1,\"verb\":\"remove\",\"user\":\"$user\",\"job\":\"$job\",\"stop\":{\"timeoutSeconds\":0}}" | "$launcher" > /dev/null
  rm -f "/tmp/pgpu-$job.json"
done
pkill -KILL -u $user 2>/dev/null
for d in $(find /sys/fs/cgroup/$parent -mindepth 1 -depth -type d 2>/dev/null); do rmdir "$d" 2>/dev/null; done
if [ -n "$jobs_unit" ]; then systemctl stop "$jobs_unit"; else rmdir /sys/fs/cgroup/$parent 2>/dev/null; fi
userdel -r $user >/dev/null 2>&1; groupdel $group 2>/dev/null
rm -rf "$(dirname $policy)" /run/portal-gpu-host /var/log/portal-gpu-host /run/user/$uid
exit $status
