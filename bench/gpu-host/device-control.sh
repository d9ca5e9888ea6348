#!/bin/bash
# Proves on a real GPU host what GPU jobs are promised (docs/gpus.md, docs/launcher.md "Device control"): through the
# launcher and real rootless podman, in device-node mode (no NVIDIA container toolkit),
#   - the install's discovery (the launcher's driver-policy verb) lists the real driver's user-space files;
#   - a job given the GPU, from an image that holds none of the driver's files, gets them injected read-only, runs a
#     bf16 matrix product on the GPU and reports its name, and nvidia-smi works inside it;
#   - the portal's sampler attributes that job's process to the job's owner (portal-gpu-host-check);
#   - a job without the GPU sees no GPU (no driver files, CUDA unavailable) and gets EPERM opening a 0666 copy of
#     the GPU's node in its owner's home, which only the job's device filter (kernel device control) can refuse.
# Run as root on a host with an NVIDIA GPU, python3 and torch:
#
#   bench/gpu-host/device-control.sh BIN_DIR [OUT_DIR]
#
# BIN_DIR holds portal-launcher built with -p:LauncherPolicyPath=/etc/portal-gpu-host/launcher.json and
# portal-gpu-host-check (run.sh builds both). Without podman on the host it installs bench/gpu-host/debs/*.deb
# (fetch-debs.sh) first. It prints PASS/FAIL per item, keeps the raw output in OUT_DIR, removes everything it made,
# and exits 1 if anything failed.
#
# The job's image is made from the host's own files, minus the driver's: python and its standard library, the
# system libraries of /usr/lib/<multiarch> without libcuda, libnvidia-* and the like, and no loader cache. torch (its
# site-packages folder, or python's whole prefix for a venv/conda python) is mounted read-only from the host. So the
# only way a job has libcuda is the launcher's injection.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: device-control.sh BIN_DIR [OUT_DIR]}
out=${2:-$(mktemp -d)}
mkdir -p "$out"
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
python=$(command -v python3) || { echo "device-control.sh: no python3" >&2; exit 1; }
command -v nvidia-smi >/dev/null || { echo "device-control.sh: no nvidia-smi: not a GPU host" >&2; exit 1; }
if ! command -v podman >/dev/null; then
  ls "$here"/debs/*.deb >/dev/null 2>&1 || { echo "device-control.sh: no podman and no $here/debs (fetch-debs.sh)" >&2; exit 1; }
  grep -q '^VERSION_ID="12"' /etc/os-release && grep -q '^ID=debian' /etc/os-release \
    || { echo "device-control.sh: the packages in $here/debs are Debian 12's; this host is not Debian 12" >&2; exit 1; }
  # Only what the host lacks: never replace a library the host already has (libc6 and the like are in the folder).
  new=(); for deb in "$here"/debs/*.deb; do
    dpkg-query -W -f='${Status}' "$(dpkg-deb -f "$deb" Package)" 2>/dev/null | grep -q 'ok installed' || new+=("$deb")
  done
  DEBIAN_FRONTEND=noninteractive dpkg -i "${new[@]}" >/dev/null || { echo "device-control.sh: dpkg -i failed" >&2; exit 1; }
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

# Where python and torch live on the host: mounted read-only into the jobs at the same paths.
read -r prefix site pyver < <("$python" -c 'import os, sys, torch; print(sys.prefix, os.path.dirname(os.path.dirname(torch.__file__)), "python%d.%d" % sys.version_info[:2])')
if [ "$prefix" = /usr ]; then share=$site; else share=$prefix; fi
echo "python $pyver, prefix $prefix, torch in $site; mounted into jobs: $share"

mkdir -p "$(dirname $policy)" && install -d -m 0700 /var/log/portal-gpu-host
cat > $policy <<JSON
{"version":1,"minUid":1000,"group":"$group","podman":"$(command -v podman)","runtime":"$(command -v crun >/dev/null && echo crun || echo runc)",
 "mountRoots":[{"userHome":true},{"path":"$share","readOnly":true}],
 "gpus":[{"id":"$uuid","node":"/dev/nvidia0","visibleId":"$uuid"}],
 "gpuControlNodes":["/dev/nvidiactl","/dev/nvidia-uvm","/dev/nvidia-uvm-tools"],
 "pidsLimit":4096,"logMaxBytes":10485760,
 "auditLog":"/var/log/portal-gpu-host/audit.log","stateDir":"/run/portal-gpu-host","cgroupParent":"$parent"}
JSON
chmod 0644 $policy

# The driver's files, as the install lists them (deploy/install-launcher.sh runs the same verb).
echo "== the driver's files (driver-policy)"
if echo '{"version":1,"verb":"driver-policy"}' | "$launcher" > $policy.new 2> "$out/driver-policy.err"; then
  mv -f $policy.new $policy && chmod 0644 $policy
  cp $policy "$out/launcher.json"
  sed -n '/"driver"/,/]}/p' $policy
  grep -q 'libcuda.so.[0-9]' $policy && grep -q '"libcuda.so.1"' $policy \
    && pass "driver-policy listed the loaded driver's libcuda with its soname" || fail "driver-policy listed no libcuda"
else
  cat "$out/driver-policy.err"; fail "driver-policy failed"
fi
# The image, made with the launcher's own podman configuration (the launcher writes it at its first call).
echo '{"version":1,"verb":"check"}' | "$launcher" > /dev/null
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
parts=(usr/lib/$multiarch lib64 usr/lib64)
[ "$prefix" = /usr ] && parts+=(usr/bin/$pyver usr/lib/$pyver)
existing=(); for p in "${parts[@]}"; do [ -e "/$p" ] && existing+=("$p"); done
# Never the driver's files (nor the host's loader cache, which would name them): the job must get them from the launcher.
tar -C / -cf /tmp/pgpu-usr.tar --exclude='libcuda.so*' --exclude='libcudadebugger.so*' --exclude='libnvidia-*' \
  --exclude='libnvcuvid.so*' --exclude='libnvoptix.so*' --exclude="usr/lib/$multiarch/nvidia" "${existing[@]}"
rootfs=$(mktemp -d)
mkdir -p "$rootfs"/{tmp,proc,sys,dev,etc,root,data,usr/bin}
[ -e /lib ] && [ ! -e "$rootfs/lib" ] && ln -s usr/lib "$rootfs/lib"
ln -s usr/bin "$rootfs/bin"
echo "root:x:0:0:root:/root:/bin/sh" > "$rootfs/etc/passwd"
cp /bin/busybox "$rootfs/usr/bin/busybox" 2>/dev/null || cp "$(readlink -f /bin/sh)" "$rootfs/usr/bin/sh"
[ -e "$rootfs/usr/bin/busybox" ] && for a in sh cat ls head tail echo sleep; do ln -sf busybox "$rootfs/usr/bin/$a"; done
[ "$prefix" = /usr ] && ln -sf $pyver "$rootfs/usr/bin/python3"
tar -C "$rootfs" -rf /tmp/pgpu-usr.tar . && chmod 0644 /tmp/pgpu-usr.tar && rm -rf "$rootfs"
echo "image: $(du -h /tmp/pgpu-usr.tar | cut -f1) from ${existing[*]}, driver files left out"
(cd / && runuser -u $user -- env -i HOME="$home" PATH=/usr/bin:/bin XDG_RUNTIME_DIR=/run/user/$uid \
  CONTAINERS_CONF=/run/portal-gpu-host/podman/containers.conf CONTAINERS_STORAGE_CONF=/run/portal-gpu-host/podman/storage.conf \
  CONTAINERS_REGISTRIES_CONF=/run/portal-gpu-host/podman/registries.conf \
  podman import --change "ENV PATH=$prefix/bin:/usr/bin:/bin" /tmp/pgpu-usr.tar $image >/dev/null)
rm -f /tmp/pgpu-usr.tar

request() { # $1 = job, $2 = python script, $3 = gpus JSON array
  printf '{"version":1,"verb":"run","user":"%s","job":"%s","run":{"image":"%s","command":["python3","-c",%s],"gpus":%s,"mounts":[{"source":"%s","target":"%s","readOnly":true},{"source":"%s","target":"/data"}]}}' \
    "$user" "$1" "$image" "$(printf '%s' "$2" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')" "$3" "$share" "$share" "$home"
}
logs() { echo "{\"version\":1,\"verb\":\"logs\",\"user\":\"$user\",\"job\":\"$1\"}" | "$launcher"; }
wait_for() { # $1 = job, $2 = text in its logs, $3 = seconds
  for _ in $(seq "$3"); do logs "$1" 2>/dev/null | grep -q "$2" && return 0; sleep 1; done; return 1
}
start_job() { request "$1" "$2" "$3" | "$launcher" > "$out/run-$1.json" || { cat "$out/run-$1.json"; return 1; }; }

with_gpu='
import glob, subprocess, time
print("driver files:", sorted(glob.glob("/usr/lib/*-linux-gnu/libcuda*")), flush=True)
print(subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True).stdout.strip(), flush=True)
import torch
a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
print("started", flush=True)
n, end = 0, time.time() + 25
while time.time() < end:
    b = a @ a
    torch.cuda.synchronize()
    n += 1
print("computed", n, "bf16 products 8192x8192 on", torch.cuda.get_device_name(0), b.dtype, flush=True)
print("end", flush=True)
'
without_gpu='
import glob
print("driver files:", sorted(glob.glob("/usr/lib/*-linux-gnu/libcuda*")), flush=True)
try:
    open("/data/nvidia0-copy", "rb")
    print("node copy: opened", flush=True)
except OSError as e:
    print("node copy:", e.strerror, flush=True)
import torch
print("cuda available:", torch.cuda.is_available(), flush=True)
print("end", flush=True)
'

echo "== a job given the GPU (image without driver files)"
if start_job with-gpu "$with_gpu" "[\"$uuid\"]" && wait_for with-gpu '^started' 120; then
  echo "== the portal's sampler while the job computes"
  "$bin/portal-gpu-host-check" --seconds 10 --interval-ms 500 --expect-process-uid "$uid" --expect-busy | tee "$out/attribution.txt"
  [ "${PIPESTATUS[0]}" -eq 0 ] && pass "the sampler attributed the job's GPU process to its owner (uid $uid)" \
    || fail "the sampler did not attribute the job's process to its owner"
fi
wait_for with-gpu '^end' 120
with=$(logs with-gpu 2>&1); echo "$with" | tee "$out/with-gpu.txt"
echo "$with" | grep -q "^driver files: \[.*libcuda.so.1" && pass "the driver's libcuda was injected into the GPU job" || fail "no libcuda in the GPU job"
echo "$with" | grep -q "^GPU 0: .*UUID: $uuid" && pass "nvidia-smi works inside the GPU job" || fail "nvidia-smi did not work inside the GPU job"
echo "$with" | grep -q '^computed [1-9][0-9]* bf16 products .* torch.bfloat16' && pass "the job given the GPU ran bf16 matrix products on it: $(echo "$with" | grep '^computed' | sed 's/.* on //')" \
  || fail "the job given the GPU could not compute"

echo "== a job without the GPU"
start_job without-gpu "$without_gpu" "[]" && wait_for without-gpu '^end' 120
without=$(logs without-gpu 2>&1); echo "$without" | tee "$out/without-gpu.txt"
echo "$without" | grep -q '^driver files: \[\]' && pass "the job without the GPU got no driver file" || fail "the job without the GPU got driver files"
echo "$without" | grep -q "^node copy: Operation not permitted" \
  && pass "the job without the GPU got EPERM opening a 0666 copy of its node (the BPF device program, cgroup v2)" \
  || fail "the job without the GPU could open the node, or failed otherwise"
echo "$without" | grep -q '^cuda available: False' && pass "the job without the GPU sees no GPU" || fail "the job without the GPU sees a GPU"

echo "== the launcher's check"
echo "{\"version\":1,\"verb\":\"check\",\"user\":\"$user\"}" | "$launcher" | python3 -c '
import json, sys
for c in json.load(sys.stdin)["checks"]: print(f"  {c[\"status\"]:4} {c[\"name\"]}: {c[\"detail\"]}")' | tee "$out/check.txt"
grep -q "ok   gpu-driver: Device-node mode: driver" "$out/check.txt" && pass "check: device-node mode, a CUDA job can work" || fail "check's gpu-driver item is not ok"

for job in with-gpu without-gpu; do
  echo "{\"version\":1,\"verb\":\"remove\",\"user\":\"$user\",\"job\":\"$job\",\"stop\":{\"timeoutSeconds\":0}}" | "$launcher" > /dev/null
done
pkill -KILL -u $user 2>/dev/null
for d in $(find /sys/fs/cgroup/$parent -mindepth 1 -depth -type d 2>/dev/null); do rmdir "$d" 2>/dev/null; done
if [ -n "$jobs_unit" ]; then systemctl stop "$jobs_unit"; else rmdir /sys/fs/cgroup/$parent 2>/dev/null; fi
userdel -r $user >/dev/null 2>&1; groupdel $group 2>/dev/null
rm -rf "$(dirname $policy)" /run/portal-gpu-host /var/log/portal-gpu-host /run/user/$uid
exit $status
