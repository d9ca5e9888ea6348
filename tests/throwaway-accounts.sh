#!/usr/bin/env bash
# The throwaway Linux accounts the tests make (names starting ptest-, pweb-, pprod- or pslurm-) and everything rootless
# podman leaves of them: their processes (the pause process, conmon, containers), homes with their image storage,
# runtime folders, groups (the job groups and the sessions' proxy groups ptest-proxy and pweb-proxy among them) and
# /etc/subuid and /etc/subgid lines; and the fixed files and folders the test fixtures make as root (below). The test
# fixtures call `remove` for the accounts they made and delete their own files, also when a test failed;
# tests/run.sh calls `sweep` before a run (what a crashed run left) and `leftovers` after it (the run fails if
# anything is left).
#
#   tests/throwaway-accounts.sh remove NAME...   remove these accounts (and their groups, if any) completely
#   tests/throwaway-accounts.sh sweep            remove every account, group and subordinate-id line of the prefixes,
#                                                the fixed test paths and the session tests' echo apps
#   tests/throwaway-accounts.sh leftovers        print what is left of them; exit 1 if anything is
#
# Processes are ended by pid, after reading each one's uid from /proc: every process running as the account or
# as one of its subordinate ids (a container's processes), nothing else.
set -euo pipefail

readonly prefixes='^(ptest|pweb|pprod|pslurm)-'

# What the fixtures make outside the accounts, each deleted again by the fixture that made it (keep in step with the
# constants of LauncherFixture, SudoDeployTests and JobHostFixture): test policies, state, audit logs, fake GPU nodes,
# the sign-in tests' PAM services, the session folders' roots (sockbridge lives under the /var/lib roots) and the sudo
# rule of the deploy test.
# The Slurm tests' one-node cluster: its configuration, state and sockets (LocalSlurmCluster.Root).
readonly slurm_test_root=/run/portal-slurm-test
readonly fixed_paths=(
  /etc/portal-launcher-test /var/lib/portal-launcher-test /var/log/portal-launcher-test /run/portal-launcher-test
  /dev/ptest-gpu /etc/pam.d/portal-launcher-test /run/ptest-sessions /etc/sudoers.d/ptest-portal-launcher
  /etc/portal-web-test /var/lib/portal-web-test /var/log/portal-web-test /run/portal-web-test
  /dev/pweb-gpu /etc/pam.d/portal-web-test /run/pweb-sessions
  /etc/portal-slurm-test /var/lib/portal-slurm-test /var/log/portal-slurm-test /run/portal-slurm-test-launcher
  "$slurm_test_root"
)
# The session proxy tests run an echo app from a copy in a temporary folder, as uids that have no account.
readonly session_test_folders='/tmp/portal-session-test-'

# Prints the pids of processes started from a session test folder.
session_test_pids() {
  local cmdline pid args
  for cmdline in /proc/[0-9]*/cmdline; do
    pid=${cmdline#/proc/}; pid=${pid%/cmdline}
    # Matched in the shell, not by a grep whose own arguments would name the folder. A process can end while we look.
    args=$({ tr '\0' ' ' < "$cmdline"; } 2>/dev/null) || continue
    if [[ $args == *"$session_test_folders"* ]]; then echo "$pid"; fi
  done
  return 0
}

# Prints the pids of the Slurm tests' daemons: munged, slurmctld and slurmd name a file under the cluster's root on
# their command line, and each job's slurmstepd works in its spool there.
slurm_test_pids() {
  local cmdline pid args cwd
  for cmdline in /proc/[0-9]*/cmdline; do
    pid=${cmdline#/proc/}; pid=${pid%/cmdline}
    args=$({ tr '\0' ' ' < "$cmdline"; } 2>/dev/null) || continue
    cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || cwd=""
    if [[ $args == *"$slurm_test_root/"* || ($args == slurmstepd* && $cwd == "$slurm_test_root"/*) ]]; then echo "$pid"; fi
  done
  return 0
}

sweep_files() {
  local pid folder
  for pid in $(session_test_pids) $(slurm_test_pids); do kill -KILL "$pid" 2>/dev/null || true; done
  for folder in "$session_test_folders"*; do [[ -e $folder ]] && rm -rf --one-file-system "$folder"; done
  rm -rf --one-file-system "${fixed_paths[@]}"
}

# Prints the pids of processes any of whose threads has a real, effective, saved or file-system uid in one of the
# ranges given as "first count" (the ids userdel looks at before it refuses: "user is currently used by process").
# Read with bash's own read, no process per file: a run with many processes scans thousands of these.
pids_in_uid_ranges() {
  local status pid id range i
  local -a ids firsts=() counts=()
  for range in "$@"; do firsts+=("${range% *}"); counts+=("${range#* }"); done
  for status in /proc/[0-9]*/task/[0-9]*/status; do
    pid=${status#/proc/}; pid=${pid%%/*}
    # A process can end while we look: read what is there.
    ids=()
    while read -r -a ids; do [[ ${ids[0]:-} == Uid: ]] && break; ids=(); done 2>/dev/null < "$status" || true
    (( ${#ids[@]} >= 5 )) || continue
    for i in "${!firsts[@]}"; do
      for id in "${ids[@]:1:4}"; do
        if (( id >= firsts[i] && id < firsts[i] + counts[i] )); then echo "$pid"; continue 3; fi
      done
    done
  done | sort -un
}

# Thaws the cgroups (v1 freezer, cgroup2 cgroup.freeze) that hold a process, and every one above them: SIGKILL does
# not end a frozen process until it is thawed.
thaw_cgroups_of() {
  local pid=$1 line path dir
  while IFS= read -r line; do
    path=${line#*:*:}
    case $line in
      *:freezer:*)
        dir=/sys/fs/cgroup/freezer$path
        while [[ $dir == /sys/fs/cgroup/freezer* ]]; do
          [[ -w $dir/freezer.state && $(< "$dir/freezer.state") != THAWED ]] && echo THAWED > "$dir/freezer.state" 2>/dev/null
          [[ $dir == /sys/fs/cgroup/freezer ]] && break
          dir=${dir%/*}
        done
        ;;
      0::*)
        for dir in "/sys/fs/cgroup$path" "/sys/fs/cgroup/unified$path"; do
          while [[ -d $dir && $dir != /sys/fs/cgroup && $dir != /sys/fs/cgroup/unified ]]; do
            [[ -w $dir/cgroup.freeze && $(< "$dir/cgroup.freeze") == 1 ]] && echo 0 > "$dir/cgroup.freeze" 2>/dev/null
            dir=${dir%/*}
          done
        done
        ;;
    esac
  done 2>/dev/null < "/proc/$pid/cgroup" || true
  return 0
}

# One line on a process that would not end: what a failed removal must show to be understood.
describe_process() {
  local pid=$1 stat rest
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || { echo "  pid $pid: gone"; return 0; }
  rest=${stat##*) }
  echo "  pid $pid: comm=$(cat "/proc/$pid/comm" 2>/dev/null) state=${rest%% *} ppid=$(cut -d' ' -f2 <<<"$rest")" \
    "$(grep -s '^Uid:' "/proc/$pid/status" | tr '\t' ' ')" "wchan=$(cat "/proc/$pid/wchan" 2>/dev/null)" \
    "cgroups=$(tr '\n' ' ' < "/proc/$pid/cgroup" 2>/dev/null)" "cmdline=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)"
}

# Prints the pids of every process of the account and of its subordinate ids.
account_pids() {
  local name=$1 uid=$2 start count
  local -a ranges=("$uid 1")
  while IFS=: read -r _ start count; do ranges+=("$start $count"); done < <(grep -s "^$name:" /etc/subuid || true)
  pids_in_uid_ranges "${ranges[@]}"
}

is_zombie() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} == Z ]]
}

# The same without zombies: a zombie has ended already (it holds no memory, file or device) and waits only for its
# parent to read its exit status; no signal can end it again.
live_account_pids() {
  local pid
  for pid in $(account_pids "$1" "$2"); do is_zombie "$pid" || echo "$pid"; done
}

# Ends every process of the account and of its subordinate ids, and waits until they are gone (at most 30 s).
kill_account_processes() {
  local name=$1 uid=$2 deadline pids pid
  deadline=$((SECONDS + 30))
  while :; do
    mapfile -t pids < <(live_account_pids "$name" "$uid")
    (( ${#pids[@]} == 0 )) && return 0
    if (( SECONDS > deadline )); then
      echo "throwaway-accounts: processes of $name would not end:"
      for pid in "${pids[@]}"; do describe_process "$pid"; done
      return 1
    fi
    for pid in "${pids[@]}"; do
      thaw_cgroups_of "$pid"
      kill -KILL "$pid" 2>/dev/null || true
    done
    sleep 0.1
  done
}

drop_subid_lines() {
  local pattern=$1 file
  for file in /etc/subuid /etc/subgid; do
    [[ -f $file ]] && grep -qE "$pattern" "$file" && sed -i -E "/$pattern/d" "$file"
  done
  return 0
}

# Says why a removal failed, on stderr and in $PORTAL_TEST_CLEANUP_LOG (tests/run.sh prints that file when the run
# leaves something behind: a test fixture's own error output may never reach the run's log).
report() {
  echo "$*" >&2
  if [[ -n ${PORTAL_TEST_CLEANUP_LOG:-} ]]; then echo "$(date -u +%FT%TZ) $*" >> "$PORTAL_TEST_CLEANUP_LOG"; fi
}

remove_account() {
  local name=$1 uid
  if uid=$(id -u "$name" 2>/dev/null); then
    # A podman call of the account still in flight can start a new process (its pause process) between the kill
    # and userdel, which then refuses: end everything again and retry until the account is gone.
    local deadline=$((SECONDS + 60)) stuck="" refused=""
    while :; do
      stuck=$(kill_account_processes "$name" "$uid") || true
      # userdel also drops the account's subordinate ids and its own group; it warns about a missing mail spool. It
      # refuses while the account has a live process (not a zombie).
      refused=$(userdel --remove "$name" 2>&1) || true
      id -u "$name" >/dev/null 2>&1 || break
      if (( SECONDS > deadline )); then
        local pid now=""
        for pid in $(account_pids "$name" "$uid"); do now+=$'\n'$(describe_process "$pid"); done
        report "throwaway-accounts: userdel $name failed for 60 s: ${refused:-no message}${stuck:+$'\n'$stuck}${now:+$'\n'processes now:$now}"
        return 1
      fi
      sleep 0.2
    done
    # Rootless podman's runtime state, wherever it put it, and a Slurm job's (the batch script's runtime and session folders).
    rm -rf --one-file-system "/run/user/$uid" "/tmp/podman-run-$uid" "/tmp/containers-user-$uid" "/tmp/storage-run-$uid" "/tmp/portal-run-$uid"
  fi
  drop_subid_lines "^$name:"
  if getent group "$name" >/dev/null; then groupdel "$name"; fi
}

leftovers() {
  # grep finds nothing on a clean machine: that is the good case, not a failure.
  { getent passwd | grep -E "$prefixes" | cut -d: -f1 | sed 's/^/account: /'; } || true
  { getent group | grep -E "$prefixes" | cut -d: -f1 | sed 's/^/group: /'; } || true
  { grep -sHE "$prefixes" /etc/subuid /etc/subgid | sed 's/^/subordinate ids: /'; } || true
  local user pid comm
  while read -r user pid comm; do
    if [[ $user =~ $prefixes ]]; then echo "process: $user $pid $comm"; describe_process "$pid"; fi
  done < <(ps -eo user:32,pid,comm --no-headers)
  local path
  for path in "${fixed_paths[@]}" "$session_test_folders"*; do [[ -e $path ]] && echo "file: $path"; done
  for pid in $(session_test_pids); do echo "process: $pid (a session test's echo app)"; done
  for pid in $(slurm_test_pids); do echo "process: $pid (the Slurm tests' cluster)"; done
  return 0
}

case ${1:-} in
  remove)
    shift
    for name in "$@"; do
      [[ $name =~ $prefixes ]] || { echo "throwaway-accounts: $name is not a test account" >&2; exit 2; }
    done
    # One account that cannot be removed must not keep the others: each is tried, and the exit says whether all went.
    failed=0
    for name in "$@"; do remove_account "$name" || failed=1; done
    exit "$failed"
    ;;
  sweep)
    failed=0
    for name in $(getent passwd | cut -d: -f1 | grep -E "$prefixes" || true); do remove_account "$name" || failed=1; done
    for name in $(getent group | cut -d: -f1 | grep -E "$prefixes" || true); do groupdel "$name" || failed=1; done
    drop_subid_lines "$prefixes"
    sweep_files
    exit "$failed"
    ;;
  leftovers)
    found=$(leftovers)
    if [[ -n $found ]]; then
      echo "$found"
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 remove NAME... | sweep | leftovers" >&2
    exit 2
    ;;
esac
