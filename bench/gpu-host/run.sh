#!/bin/bash
# Checks the portal's GPU code against a real NVIDIA driver. Not part of CI (CI has no GPU): run it by hand, as
# root, on a GPU host. It needs no .NET there when given prebuilt binaries:
#
#   bench/gpu-host/run.sh [BIN_DIR] [OUT_DIR]
#
# BIN_DIR holds portal-gpu-host-check and portal-launcher (built with
# -p:LauncherPolicyPath=/etc/portal-gpu-host/launcher.json); without it both are published here with dotnet.
# What it proves, printing PASS/FAIL per item:
#   - the long-lived `nvidia-smi --query-gpu ... -lms` sampler reads every GPU, round after round, from one process;
#   - a CUDA process of a throwaway non-root user is seen by --query-compute-apps and attributed to that UID
#     through /proc (as the dashboard's "who is really on this GPU" does);
#   - the launcher's `check` finds the policy's GPU nodes;
#   - on a cgroup v2 host, device control (device-control.sh): a job given the GPU computes on it, a job without it
#     gets EPERM opening the GPU's node. Needs podman, or its packages in bench/gpu-host/debs (fetch-debs.sh).
# OUT_DIR receives the raw outputs of the exact commands the portal runs (idle and under load), in the section format
# of tests/Portal.Core.Tests/TestData/nvidia-smi, so they can become test data.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-}
out=${2:-$(mktemp -d)}
user=pgpu-load
policy=/etc/portal-gpu-host/launcher.json
fields=index,uuid,name,pci.bus_id,count,memory.total,memory.used,utilization.gpu,temperature.gpu,power.draw
apps=gpu_uuid,pid,process_name,used_gpu_memory
[ "$(id -u)" -eq 0 ] || { echo "run.sh: run as root" >&2; exit 1; }
command -v nvidia-smi >/dev/null || { echo "run.sh: no nvidia-smi on PATH: not a GPU host" >&2; exit 1; }
mkdir -p "$out"

if [ -z "$bin" ]; then
  bin=$(mktemp -d)
  dotnet publish "$repo/bench/gpu-host" -c Release -nologo -v q -o "$bin" >&2 || exit 1
  dotnet publish "$repo/src/Portal.Launcher" -c Release -nologo -v q -p:LauncherPolicyPath=$policy -o "$bin" >&2 || exit 1
fi

capture() { # $1 = file, $2 = phase; the raw output of each command the portal runs, one section each
  {
    echo "# $ nvidia-smi --version"; nvidia-smi --version; echo
    echo "# $ nvidia-smi -L"; nvidia-smi -L; echo
    echo "# [$2] $ nvidia-smi --query-gpu=$fields --format=csv,noheader,nounits"
    nvidia-smi --query-gpu=$fields --format=csv,noheader,nounits; echo
    echo "# [$2] $ nvidia-smi --query-compute-apps=$apps --format=csv,noheader,nounits"
    nvidia-smi --query-compute-apps=$apps --format=csv,noheader,nounits; echo
  } > "$out/$1" 2>&1
}

echo "== host"; uname -r; nvidia-smi -L; ls -l /dev/nvidia* 2>&1 | head -20
ls /etc/cdi /var/run/cdi 2>/dev/null; command -v nvidia-ctk podman || true
capture idle.txt idle

echo "== a CUDA load as a throwaway user"
id -u $user >/dev/null 2>&1 || useradd --create-home --shell /bin/sh $user
uid=$(id -u $user)
load_seconds=25
# A matrix product loop keeps the GPU busy; the process belongs to $user, not root.
runuser -u $user -- env HOME=/home/$user "$(command -v python3)" -c "
import time, torch
a = torch.randn(8192, 8192, device='cuda', dtype=torch.bfloat16)
end = time.time() + $load_seconds
while time.time() < end:
    b = a @ a
    torch.cuda.synchronize()
" > "$out/load.log" 2>&1 &
load=$!
sleep 6
capture loaded.txt loaded

echo "== the portal's sampler and process attribution, 15 s"
"$bin/portal-gpu-host-check" --seconds 15 --interval-ms 500 --expect-process-uid "$uid" --expect-busy
status=$?
wait $load || { echo "load failed:"; tail -5 "$out/load.log"; status=1; }

echo "== launcher check with the host's GPUs in the policy"
mkdir -p "$(dirname $policy)" && install -d -m 0700 /var/log/portal-gpu-host
gpus=$(nvidia-smi --query-gpu=uuid,index --format=csv,noheader | awk -F', ' '{ printf "%s{\"id\":\"%s\",\"node\":\"/dev/nvidia%s\"}", (NR>1?",":""), $1, $2 }')
cat > $policy <<JSON
{"version":1,"minUid":1000,"group":"$user","podman":"$(command -v podman || echo /usr/bin/podman)","runtime":"runc",
 "gpus":[$gpus],"gpuControlNodes":["/dev/nvidiactl","/dev/nvidia-uvm"],
 "pidsLimit":1024,"logMaxBytes":1048576,
 "auditLog":"/var/log/portal-gpu-host/audit.log","stateDir":"/run/portal-gpu-host"}
JSON
chmod 0644 $policy
echo '{"version":1,"verb":"check"}' | "$bin/portal-launcher" | tee "$out/launcher-check.json"; echo
grep -q '"name":"gpu GPU-' "$out/launcher-check.json" && ! grep -q '"name":"gpu GPU-[^"]*","status":"fail"' "$out/launcher-check.json" \
  && echo "PASS the launcher's check finds every policy GPU node" \
  || { echo "FAIL the launcher's check on the policy GPUs"; status=1; }

userdel -r $user >/dev/null 2>&1 || true
rm -rf "$(dirname $policy)" /run/portal-gpu-host /var/log/portal-gpu-host

if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  echo "== device control (cgroup v2)"
  "$repo/bench/gpu-host/device-control.sh" "$bin" "$out/device-control" | tee "$out/device-control.txt"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
else
  echo "SKIP device control: not a cgroup v2 host"
fi
echo "== raw captures in $out"; exit $status
