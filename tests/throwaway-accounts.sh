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

# Prints the pids of processes whose real or effective uid is in [first, first + count).
pids_in_uid_range() {
  local first=$1 count=$2 status pid real effective
  for status in /proc/[0-9]*/status; do
    pid=${status#/proc/}; pid=${pid%/status}
    # A process can end while we look: read what is there.
    read -r _ real effective _ < <(grep -s '^Uid:' "$status") || continue
    if (( (real >= first && real < first + count) || (effective >= first && effective < first + count) )); then
      echo "$pid"
    fi
  done
}

# Ends every process of the account and of its subordinate ids, and waits until they are gone (at most 30 s).
kill_account_processes() {
  local name=$1 uid=$2 ranges deadline pids pid
  ranges=("$uid 1")
  while IFS=: read -r _ start count; do ranges+=("$start $count"); done < <(grep -s "^$name:" /etc/subuid || true)
  deadline=$((SECONDS + 30))
  while :; do
    pids=()
    for range in "${ranges[@]}"; do
      # shellcheck disable=SC2086 # two numbers, split on purpose
      while read -r pid; do pids+=("$pid"); done < <(pids_in_uid_range $range)
    done
    (( ${#pids[@]} == 0 )) && return 0
    if (( SECONDS > deadline )); then
      echo "throwaway-accounts: processes of $name would not end: ${pids[*]}" >&2
      return 1
    fi
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
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

remove_account() {
  local name=$1 uid
  if uid=$(id -u "$name" 2>/dev/null); then
    # A podman call of the account still in flight can start a new process (its pause process) between the kill
    # and userdel, which then refuses: end everything again and retry until the account is gone.
    local deadline=$((SECONDS + 60))
    while :; do
      kill_account_processes "$name" "$uid" || true
      # userdel also drops the account's subordinate ids and its own group; it warns about a missing mail spool.
      userdel --remove "$name" 2>/dev/null || true
      id -u "$name" >/dev/null 2>&1 || break
      if (( SECONDS > deadline )); then
        echo "throwaway-accounts: userdel $name failed" >&2
        ps -o pid,ppid,stat,comm -u "$uid" >&2 || true
        return 1
      fi
      sleep 0.2
    done
    # Rootless podman's runtime state, wherever it put it.
    rm -rf --one-file-system "/run/user/$uid" "/tmp/podman-run-$uid" "/tmp/containers-user-$uid" "/tmp/storage-run-$uid"
  fi
  drop_subid_lines "^$name:"
  if getent group "$name" >/dev/null; then groupdel "$name"; fi
}

leftovers() {
  # grep finds nothing on a clean machine: that is the good case, not a failure.
  { getent passwd | grep -E "$prefixes" | cut -d: -f1 | sed 's/^/account: /'; } || true
  { getent group | grep -E "$prefixes" | cut -d: -f1 | sed 's/^/group: /'; } || true
  { grep -sHE "$prefixes" /etc/subuid /etc/subgid | sed 's/^/subordinate ids: /'; } || true
  { ps -eo user:32,pid,comm --no-headers | grep -E "$prefixes" | sed 's/^/process: /'; } || true
  local path pid
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
      remove_account "$name"
    done
    ;;
  sweep)
    for name in $(getent passwd | cut -d: -f1 | grep -E "$prefixes" || true); do remove_account "$name"; done
    for name in $(getent group | cut -d: -f1 | grep -E "$prefixes" || true); do groupdel "$name"; done
    drop_subid_lines "$prefixes"
    sweep_files
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
