#!/bin/bash
# What the launcher's hand-written policy reader (src/Portal.Launcher/Policy/PolicyReader.cs) buys against a
# source-generated System.Text.Json context for the same types and rules. Not a test: it prints numbers.
#
#   bench/launcher/policy-cost.sh [rounds=20] [runs-per-round=25]     (any user; needs perf)
#
# Publishes bench/launcher/PolicyCost twice with the launcher's start-up settings, then, alternating in rounds,
# times whole processes that read deploy/launcher.json.example and one run request, with `perf stat -r`: the CPU time
# (task-clock) and the wall time per process. Prints the medians of the round means and their differences.
set -euo pipefail
rounds=${1:-20}
runs=${2:-25}
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d /tmp/policy-cost.XXXXXX)
trap 'rm -rf "$out"' EXIT
for variant in reader serializer; do
  dotnet publish "$repo/bench/launcher/PolicyCost" -c Release -p:PolicyParser=$variant -o "$out/$variant" --nologo -v q >&2
done
policy="$repo/deploy/launcher.json.example"
for ((i = 1; i <= rounds; i++)); do
  for variant in reader serializer; do
    perf stat -r "$runs" -e task-clock "$out/$variant/policy-cost" "$policy" 2>&1 >/dev/null |
      awk -v v=$variant '/task-clock/ { cpu = $1 } /seconds time elapsed/ { wall = $1 * 1000 } END { print v, cpu, wall }'
  done
done | awk -v size_reader="$(stat -c %s "$out/reader/policy-cost")" -v size_serializer="$(stat -c %s "$out/serializer/policy-cost")" '
  { cpu[$1] = cpu[$1] " " $2; wall[$1] = wall[$1] " " $3 }
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return a[int((n + 1) / 2)]
  }
  END {
    rc = median(cpu["reader"]); sc = median(cpu["serializer"]); rw = median(wall["reader"]); sw = median(wall["serializer"])
    printf "binary size:       reader %d bytes, serializer %d bytes\n", size_reader, size_serializer
    printf "CPU per process:   reader %.2f ms, serializer %.2f ms, difference %.2f ms (ratio %.3f)\n", rc, sc, sc - rc, sc / rc
    printf "wall per process:  reader %.2f ms, serializer %.2f ms, difference %.2f ms (ratio %.3f)\n", rw, sw, sw - rw, sw / rw
  }'
echo "load average: $(cut -d" " -f1-3 /proc/loadavg)"
