#!/bin/bash
# Prints the launcher policy's "gpus" entries for this host, one JSON object a line (deploy/install.sh joins them):
# every GPU nvidia-smi lists, by UUID, with its node /dev/nvidia<index>; a GPU with MIG on is given to jobs as its MIG
# instances instead (CUDA sees no whole GPU then), each named by its MIG UUID, with its parent's node and, as "caps",
# the access nodes of its GPU instance and compute instance (/dev/nvidia-caps/nvidia-cap<minor>, the minors from
# /proc/driver/nvidia-caps/mig-minors). Nothing when there is no nvidia-smi.
#
# Knobs (environment, for tests): NVIDIA_SMI (nvidia-smi), MIG_MINORS (/proc/driver/nvidia-caps/mig-minors).
set -euo pipefail
smi=${NVIDIA_SMI:-nvidia-smi}
minors=${MIG_MINORS:-/proc/driver/nvidia-caps/mig-minors}
command -v "$smi" >/dev/null || exit 0

entry() { # $1 = id, $2 = node, $3 = caps JSON or empty
  printf '{ "id": "%s", "node": "/dev/nvidia%s", "cdi": "nvidia.com/gpu=%s", "visibleId": "%s"%s }\n' "$1" "$2" "$1" "$1" "${3:+, \"caps\": $3}"
}
minor() { awk -v name="$1" '$1 == name { print $2; exit }' "$minors" 2>/dev/null; }

# "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-...)" then its "  MIG 3g.40gb     Device  0: (UUID: MIG-...)" lines.
layout=$("$smi" -L | awk '
  /^GPU [0-9]+:/ { gpu = $2; sub(/:/, "", gpu); uuid = $0; sub(/.*UUID: /, "", uuid); sub(/\).*/, "", uuid); print "gpu", gpu, uuid }
  /^ +MIG / { dev = $0; sub(/.*Device +/, "", dev); sub(/:.*/, "", dev); uuid = $0; sub(/.*UUID: /, "", uuid); sub(/\).*/, "", uuid); print "mig", gpu, dev, uuid }')

while read -r kind gpu a b; do
  if [[ $kind == gpu ]]; then
    grep -q "^mig $gpu " <<< "$layout" || entry "$a" "$gpu" ""
    continue
  fi
  # This MIG device's GPU instance and compute instance, from the -q report's "MIG Device" sections.
  read -r gi ci < <("$smi" -q -i "$gpu" | awk -v want="$a" '
    /^ +MIG Device *$/ { in_dev = 1; index_ = ""; next }
    in_dev && /^ +Index +:/ { index_ = $NF }
    in_dev && /^ +GPU Instance ID +:/ { gi = $NF }
    in_dev && /^ +Compute Instance ID +:/ { if (index_ == want) { print gi, $NF; exit } in_dev = 0 }') || true
  gi_minor=$(minor "gpu$gpu/gi${gi:-x}/access")
  ci_minor=$(minor "gpu$gpu/gi${gi:-x}/ci${ci:-x}/access")
  if [[ -z $gi_minor || -z $ci_minor ]]; then
    echo "gpu-policy.sh: MIG device $b (GPU $gpu, device $a): no capability minors in $minors; left out." >&2
    continue
  fi
  entry "$b" "$gpu" "[\"/dev/nvidia-caps/nvidia-cap$gi_minor\", \"/dev/nvidia-caps/nvidia-cap$ci_minor\"]"
done <<< "$layout"
