# Shared by the benches' run.sh scripts (sourced): removing what a bench made, also when it failed.

# Ends every process whose real or effective uid is in [first, first + count), by pid, until none is left.
kill_uid_range() {
  local first=$1 count=$2 status pid real effective found deadline=$((SECONDS + 30))
  while :; do
    found=0
    for status in /proc/[0-9]*/status; do
      pid=${status#/proc/}; pid=${pid%/status}
      read -r _ real effective _ < <(grep -s '^Uid:' "$status") || continue
      if (( (real >= first && real < first + count) || (effective >= first && effective < first + count) )); then
        kill -KILL "$pid" 2>/dev/null || true; found=1
      fi
    done
    (( found == 0 || SECONDS > deadline )) && return 0
    sleep 0.1
  done
}

# The job cgroups the launcher made under the policy's cgroupParent, in every hierarchy: processes ended, then
# removed deepest first.
remove_cgroups() { # $1 = the policy's cgroupParent
  local parent=$1 tops=() dir pid
  for dir in /sys/fs/cgroup/$parent /sys/fs/cgroup/*/$parent; do [ -d "$dir" ] && tops+=("$dir"); done
  [ ${#tops[@]} -eq 0 ] && return 0
  for dir in $(find "${tops[@]}" -depth -type d); do
    for pid in $(cat "$dir/cgroup.procs" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  done
  for dir in $(find "${tops[@]}" -depth -type d); do
    for _ in $(seq 1 50); do rmdir "$dir" 2>/dev/null && break; sleep 0.1; done
  done
}
