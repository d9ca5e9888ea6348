#!/bin/bash
# The portal's Slurm backend, measured on a one-node Slurm cluster of the bench's own on this machine. Not a test: it
# prints numbers.
#   1. submit to process start of a job through the portal's REST API (Portal:Backend=slurm: the launcher's sbatch as
#      the user) against `sbatch` of the same batch script by the same user by hand, alternating, in one run;
#   2. one poll of the backend (its squeue, through SlurmCommands.QueueAsync) with 10,000 jobs in the queue;
#   3. a new connection to an interactive session's app on the node, as the portal's proxy makes one (sudo, the
#      launcher's slurm-connect, its srun step and the node's sockbridge) against the same srun step by hand.
#
#   sudo bench/slurm/run.sh [iterations]          (root; sets up everything itself and removes it again)
#   bench/slurm/run.sh publish DIR                 (only publishes the launcher, the portal and the harness into DIR, so
#   sudo PUBLISHED=DIR bench/slurm/run.sh [n]       that a shared machine's lock is not held while building; then uses them)
# Settings: BATCH_SCHED_DELAY=N (Slurm's batch_sched_delay, default 3 s), SEED=N (the harness's random pauses, to repeat
# a run), QUEUED=N (jobs in the queue for the poll, default 10,000), KEEP_LOGS=DIR (slurmctld's, slurmd's, the portal's),
# PARTS="submit squeue connect" (which measures to run, default all three).
#
# It starts a throwaway PostgreSQL cluster (Unix socket only) and a one-node Slurm cluster the way
# tests/Portal.Slurm.Tests does (munged, slurmctld and slurmd started by hand, no systemd, two fake GPUs), but with
# names, ports and folders of its own (pbslurm-*, portal-bench-slurm*), installs the launcher (built for this bench's
# policy path, with a slurm section) with deploy/install-launcher.sh, makes a job user with a locally built busybox
# image holding bench/submit's clock-stamp program, starts the portal as its own account in production mode with
# Portal:Backend=slurm, puts the user's account and an API token straight into the database, and runs the harness
# (Program.cs). At the end, also on failure, it removes all of it: the portal, both clusters and their daemons, the
# user's jobs, containers and processes, the accounts, the files.
set -euo pipefail

n=${1:-15}
warm_up=2
queued=${QUEUED:-10000}
polls=7
repo=$(cd "$(dirname "$0")/../.." && pwd)
name=portal-bench-slurm
root=/var/lib/$name
policy=/etc/$name/launcher.json

publish() { # $1 = folder: the launcher (built for this bench's policy path), the portal and the harness
  dotnet publish "$repo/src/Portal.Launcher" -c Release -p:LauncherPolicyPath=$policy -o "$1/launcher" --nologo -v q -clp:ErrorsOnly >&2
  dotnet publish "$repo/src/Portal.Web" -c Release -o "$1/portal" --nologo -v q -clp:ErrorsOnly >&2
  dotnet build "$repo/bench/slurm" -c Release -o "$1/harness" --nologo -v q -clp:ErrorsOnly >&2
}
if [ "${1:-}" = publish ]; then publish "${2:?usage: run.sh publish DIR}"; exit 0; fi
audit=/var/log/$name
state=/run/$name
cluster=/run/$name-cluster
slurm_conf=$cluster/etc/slurm.conf
sudoers=/etc/sudoers.d/$name
pam=/etc/pam.d/$name
libexec=$root/libexec
group=pbslurm-jobs
proxy_group=pbslurm-proxy
user=pbslurm-user
svc=pbslurm-svc
node=pbslurm-node
partition=pbslurm
image=localhost/pbslurm-busybox:latest
# Away from the tests' subordinate ids (1000000000+, 1300000000+, 2000000000+) and bench/submit's (1200000000).
subids=1400000000
# Away from the Slurm tests' ports (26817, 26818) and Slurm's defaults.
ctld_port=26837
slurmd_port=26838

[ "$(id -u)" -eq 0 ] || { echo "run.sh: run as root" >&2; exit 1; }
for tool in /usr/sbin/slurmctld /usr/sbin/slurmd /usr/sbin/munged /usr/bin/sbatch; do
  [ -x $tool ] || { echo "run.sh: $tool is missing: install slurm-wlm and munge (deploy/dev/prerequisites.sh)" >&2; exit 1; }
done
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
work=$(mktemp -d /tmp/$name.XXXXXX)
chmod 0755 "$work"
pg_data=$work/pg/data
pg_run=$work/pg/run
portal_pid=""

# shellcheck source=../lib/teardown.sh
. "$repo/bench/lib/teardown.sh"

# Ends the daemon named by a pid file (only if that pid is still a Slurm or munge program): TERM, then KILL.
stop_daemon() { # $1 = pid file
  local pid exe
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  if [[ $exe == *slurm* || $exe == *munge* ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 200); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

# The step daemons of this cluster's jobs (they run as root, in its spool folder).
kill_step_daemons() {
  local dir pid
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    if [[ $(tr '\0' ' ' 2>/dev/null < "$dir/cmdline") == slurmstepd* && $(readlink "$dir/cwd" 2>/dev/null) == "$cluster"* ]]; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}

cleanup() {
  set +e
  if [ -n "${KEEP_LOGS:-}" ]; then
    # For a look at where the time goes: Slurm's logs carry millisecond times, the harness prints when it called.
    mkdir -p "$KEEP_LOGS" && cp "$work/portal.log" $cluster/log/slurmctld.log $cluster/log/slurmd.log "$KEEP_LOGS"/ 2>/dev/null
  fi
  echo "== removing everything the bench made" >&2
  if [ -n "$portal_pid" ]; then kill "$portal_pid" 2>/dev/null; wait "$portal_pid" 2>/dev/null; fi
  # The held jobs never start; they go with slurmctld's state folder. Daemons first, so nothing starts a job again.
  stop_daemon $cluster/spool/slurmd.pid
  stop_daemon $cluster/state/slurmctld.pid
  kill_step_daemons
  stop_daemon $cluster/munge/munged.pid
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w stop >/dev/null 2>&1
  if uid=$(id -u $user 2>/dev/null); then
    kill_uid_range "$uid" 1
    kill_uid_range $subids 65536
    userdel --remove $user 2>/dev/null
    rm -rf --one-file-system "/run/user/$uid" "/tmp/podman-run-$uid" "/tmp/containers-user-$uid" "/tmp/storage-run-$uid" "/tmp/portal-run-$uid"
  fi
  if svc_uid=$(id -u $svc 2>/dev/null); then kill_uid_range "$svc_uid" 1; userdel $svc 2>/dev/null; fi
  sed -i "/^$user:/d" /etc/subuid /etc/subgid
  for g in $user $svc $group $proxy_group; do getent group $g >/dev/null && groupdel $g; done
  remove_cgroups $name
  rm -rf --one-file-system "$work" "$root" "$(dirname "$policy")" "$audit" "$state" "$cluster" "$sudoers" "$pam"
  for a in $user $svc; do id -u $a >/dev/null 2>&1 && echo "run.sh: WARNING: account $a is left" >&2; done
  for dir in /proc/[0-9]*; do
    [[ $(readlink "$dir/exe" 2>/dev/null) == */@(slurmctld|slurmd|slurmstepd|munged) ]] \
      && tr '\0' ' ' 2>/dev/null < "$dir/cmdline" | grep -qF "$cluster" && echo "run.sh: WARNING: ${dir#/proc/} of the bench cluster is left" >&2
  done
  return 0
}
on_exit() {
  local status=$?
  if [ $status -ne 0 ]; then
    for log in "$work/portal.log" $cluster/log/slurmctld.log $cluster/log/slurmd.log; do
      [ -f "$log" ] && { echo "== the last lines of $log:" >&2; tail -n 30 "$log" >&2; }
    done
  fi
  cleanup
  exit $status
}
trap on_exit EXIT

slurm() { env -i PATH=/usr/bin:/bin LANG=C.UTF-8 TZ=UTC SLURM_CONF=$slurm_conf "$@"; }

published=${PUBLISHED:-}
if [ -z "$published" ]; then
  echo "== publishing the launcher, the portal and the harness" >&2
  published=$work/published
  publish "$published"
fi

echo "== PostgreSQL" >&2
mkdir -p "$pg_data" "$pg_run"
chown -R postgres:postgres "$work/pg"
chmod 0700 "$pg_data"
runuser -u postgres -- "$pg_bin/initdb" -D "$pg_data" -U portal --auth-local=trust --auth-host=reject -E UTF8 --no-locale >/dev/null
cat >>"$pg_data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$pg_run'
CONF
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_data" -l "$work/pg/postgres.log" -w start >/dev/null
runuser -u postgres -- "$pg_bin/psql" -h "$pg_run" -U portal -d postgres -qc "CREATE DATABASE portal"
psql_portal() { runuser -u postgres -- "$pg_bin/psql" -h "$pg_run" -U portal -d portal -qtAX "$@"; }

echo "== the Slurm cluster: munged, slurmctld, slurmd (one node, two fake GPUs)" >&2
install -d -o root -g root -m 0755 $cluster $cluster/etc $cluster/spool
install -d -o munge -g munge -m 0755 $cluster/munge
install -d -o munge -g munge -m 0700 $cluster/munge/key
install -d -o slurm -g slurm -m 0755 $cluster/state $cluster/log
runuser -u munge -- /usr/sbin/mungekey --create --keyfile=$cluster/munge/key/munge.key
host=$(hostname)
# As the Slurm tests' cluster (see tests/Portal.Slurm.Tests/Infrastructure/LocalSlurmCluster.cs), on ports of its own;
# MaxJobCount well above the 10,000 jobs queued for the squeue measure (Slurm's default is exactly 10,000).
cat > $slurm_conf <<CONF
ClusterName=portalbench
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
AuthInfo=socket=$cluster/munge/munge.socket
CredType=cred/munge
SlurmUser=slurm
StateSaveLocation=$cluster/state
SlurmdSpoolDir=$cluster/spool
SlurmctldPidFile=$cluster/state/slurmctld.pid
SlurmdPidFile=$cluster/spool/slurmd.pid
SlurmctldLogFile=$cluster/log/slurmctld.log
SlurmdLogFile=$cluster/log/slurmd.log
# This host mixes cgroup v1 and v2, which Slurm's cgroup plugins refuse.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
ReturnToService=2
MinJobAge=300
KillWait=30
MaxJobCount=50000
${BATCH_SCHED_DELAY:+SchedulerParameters=batch_sched_delay=$BATCH_SCHED_DELAY}
InactiveLimit=0
DefMemPerCPU=100
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmdParameters=config_overrides
NodeName=$node NodeHostname=$host NodeAddr=127.0.0.1 CPUs=8 RealMemory=8000 Gres=gpu:2 State=UNKNOWN
PartitionName=$partition Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
printf 'AutoDetect=off\nNodeName=%s Name=gpu File=/dev/tty[0-1]\n' $node > $cluster/etc/gres.conf
chmod 0644 $slurm_conf $cluster/etc/gres.conf
runuser -u munge -- /usr/sbin/munged --socket=$cluster/munge/munge.socket --key-file=$cluster/munge/key/munge.key \
  --pid-file=$cluster/munge/munged.pid --log-file=$cluster/munge/key/munged.log --seed-file=$cluster/munge/key/munged.seed
/usr/sbin/slurmctld -i -f $slurm_conf
/usr/sbin/slurmd -f $slurm_conf -N $node
for _ in $(seq 1 450); do
  [[ $(slurm sinfo --noheader --Node --format=%T 2>/dev/null) =~ ^(idle|mixed|allocated)$ ]] && break
  sleep 0.2
done
[[ $(slurm sinfo --noheader --Node --format=%T) =~ ^(idle|mixed|allocated)$ ]] || { echo "run.sh: the node did not come up" >&2; exit 1; }

echo "== accounts, policy, launcher and sudo rule" >&2
getent group $group >/dev/null || groupadd $group
id -u $user >/dev/null 2>&1 || useradd --create-home -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 -G $group $user
id -u $svc >/dev/null 2>&1 || useradd --system --shell /usr/sbin/nologin $svc
grep -q "^$user:" /etc/subuid || usermod --add-subuids $subids-$((subids + 65535)) --add-subgids $subids-$((subids + 65535)) $user
uid=$(id -u $user)
install -d -o $user -g $user -m 0700 /run/user/$uid
install -d -o root -g root -m 0755 "$root" "$(dirname "$policy")"
cat > $policy.new <<JSON
{"version":1,"minUid":1000,"group":"$group","podman":"/usr/bin/podman","runtime":"runc","allowNetwork":false,
 "pidsLimit":1024,"logMaxBytes":1048576,"maxCpus":2,"maxMemoryMiB":4096,
 "mountRoots":[{"userHome":true}],"homeRoots":["/home"],
 "auditLog":"$audit/audit.log","stateDir":"$state","cgroupParent":"$name",
 "slurm":{"sbatch":"/usr/bin/sbatch","scancel":"/usr/bin/scancel","squeue":"/usr/bin/squeue","tail":"/usr/bin/tail",
  "config":"$slurm_conf","partitions":["$partition"],"nodePodman":"/usr/bin/podman","nodeRuntime":"runc",
  "cgroups":"inherit","gpuDevices":"none","srun":"/usr/bin/srun","nodeBridge":"$libexec/sockbridge"}}
JSON
chmod 0644 $policy.new && mv -f $policy.new $policy
PORTAL_USER=$svc PORTAL_GROUP=$group LAUNCHER_DIR=$libexec SUDOERS_FILE=$sudoers POLICY_FILE=$policy AUDIT_DIR=$audit \
  PAM_SERVICE_FILE=$pam PROXY_GROUP=$proxy_group "$repo/deploy/install-launcher.sh" "$published/launcher/portal-launcher" >&2

as_user() { (cd / && setpriv --reuid $uid --regid "$(id -g $user)" --init-groups -- env -i HOME="/home/$user" USER=$user \
  LOGNAME=$user PATH=/usr/bin:/bin XDG_RUNTIME_DIR=/run/user/$uid LANG=C.UTF-8 TZ=UTC SLURM_CONF=$slurm_conf "$@"); }

echo "== the image: busybox and bench/submit's stamp program" >&2
rootfs=$work/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/dev" "$rootfs/proc" "$rootfs/sys" "$rootfs/tmp" "$rootfs/stamps"
cp /bin/busybox "$rootfs/bin/" && for a in sh sleep true mkdir httpd; do ln -s busybox "$rootfs/bin/$a"; done
cc -O2 -static -o "$rootfs/bin/stamp" "$repo/bench/submit/stamp.c"
echo 'root:x:0:0:root:/root:/bin/sh' > "$rootfs/etc/passwd"
tar -C "$rootfs" -cf "$work/image.tar" . && chmod 0644 "$work/image.tar"
as_user podman import --change 'ENV PATH=/bin' "$work/image.tar" $image >/dev/null
stamps=/home/$user/stamps
hand_output=/home/$user/hand-output
install -d -o $user -g $user -m 0755 "$stamps" "$hand_output"

echo "== starting the portal as $svc (production mode, Portal:Backend=slurm: sbatch through sudo and the launcher)" >&2
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
install -d -o $svc -g "$(id -g $svc)" -m 0700 "$work/data"
# PollInterval 2 s instead of 10 s: it only decides how soon the portal notices a job's end (untimed here; with no job
# handed over, a poll runs no squeue at all), and keeps the run short.
setpriv --reuid "$(id -u $svc)" --regid "$(id -g $svc)" --init-groups -- env -i PATH=/usr/bin:/bin LANG=C.UTF-8 \
  HOME="$work/data" DOTNET_CLI_HOME="$work/data" \
  ConnectionStrings__Portal="Host=$pg_run;Username=portal;Database=portal" \
  Portal__Production=true Portal__DataDirectory="$work/data" \
  Portal__Launcher__LauncherPath=$libexec/portal-launcher \
  Portal__Backend=slurm Portal__Slurm__ConfigFile=$slurm_conf Portal__Slurm__Partitions__0=$partition \
  Portal__Slurm__PollInterval=00:00:02 \
  Portal__Api__RequestsPerSecond=10000 Portal__Api__Burst=10000 \
  Portal__Gpus__SearchPath=/nonexistent-bench \
  Logging__LogLevel__Default=Warning Logging__LogLevel__Portal.Jobs.Slurm=Information \
  Logging__Console__FormatterOptions__TimestampFormat="HH:mm:ss.fff " Logging__Console__FormatterOptions__UseUtcTimestamp=true \
  ASPNETCORE_ENVIRONMENT=Production Urls="$url" \
  "$(command -v dotnet)" "$published/portal/Portal.Web.dll" >"$work/portal.log" 2>&1 &
portal_pid=$!
for _ in $(seq 1 240); do
  curl -fsS "$url/readyz" >/dev/null 2>&1 && break
  kill -0 "$portal_pid" 2>/dev/null || exit 1
  sleep 0.5
done
curl -fsS "$url/readyz" >/dev/null || { echo "run.sh: the portal did not get ready" >&2; exit 1; }

echo "== the user's portal account and a jobs:write token, straight into the database" >&2
token="gpp_$(head -c 32 /dev/urandom | basenc --base64url | tr -d '=\n')"
hash=$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)
user_id=$(cat /proc/sys/kernel/random/uuid)
psql_portal <<SQL
INSERT INTO "AspNetUsers" ("Id", "UserName", "NormalizedUserName", "EmailConfirmed", "SecurityStamp", "PhoneNumberConfirmed",
  "TwoFactorEnabled", "LockoutEnabled", "AccessFailedCount", "LinuxUserName", "LinuxUid", "IsDisabled", "MustChangePassword", "CreatedAt")
VALUES ('$user_id', 'bench', 'BENCH', false, md5(random()::text), false, false, true, 0, '$user', $uid, false, false, now());
INSERT INTO "ApiTokens" ("UserId", "Name", "SecretHash", "DisplayPrefix", "Scopes", "CreatedAt", "ExpiresAt")
VALUES ('$user_id', 'bench', decode('$hash', 'hex'), '${token:0:10}', ARRAY['jobs:read','jobs:write'], now(), now() + interval '1 day');
SQL

harness=$published/harness/Portal.Bench.Slurm.dll
echo "== $(git -C "$repo" rev-parse --short HEAD), $(nproc) cores, $(slurm sinfo --version)" >&2
parts=${PARTS:-submit squeue connect}
if [[ " $parts " == *" submit "* ]]; then
echo "== 1. submit to process start: the portal against sbatch by hand" >&2
# slurmctld schedules batch jobs on a tick of batch_sched_delay seconds (3 by default), never finer than its 1-s
# background pass; the harness pauses a random part of it between submissions (SEED=N repeats a run's pauses).
sched_tick=${BATCH_SCHED_DELAY:-3}
(( sched_tick >= 1 )) || sched_tick=1
dotnet "$harness" submit --iterations "$n" --warm-up $warm_up --url "$url" --token "$token" --user $user --image $image \
  --stamps "$stamps" --hand-output "$hand_output" --slurm-conf $slurm_conf --partition $partition \
  --slurmctld-log $cluster/log/slurmctld.log --sched-tick "$sched_tick" --seed "${SEED:-$RANDOM}"
fi

# Before the squeue measure: its 10,000 held jobs stay queued and would slow every srun.
if [[ " $parts " == *" connect "* ]]; then
echo "== 3. a new connection to a session's app on the node: through the launcher against srun by hand" >&2
dotnet "$harness" connect --iterations "$n" --warm-up $warm_up --url "$url" --token "$token" --user $user --image $image \
  --svc $svc --launcher $libexec/portal-launcher --bridge $libexec/sockbridge --slurm-conf $slurm_conf
fi

[[ " $parts " == *" squeue "* ]] || exit 0

# The poll runs as the portal's account, as the portal runs its queries.
poll() { # $1 = label, $2 = file of job ids, $3 = timed polls
  setpriv --reuid "$(id -u $svc)" --regid "$(id -g $svc)" --init-groups -- env -i PATH=/usr/bin:/bin LANG=C.UTF-8 \
    HOME="$work/data" DOTNET_CLI_HOME="$work/data" "$(command -v dotnet)" "$harness" squeue --label "$1" --ids "$2" \
    --slurm-conf $slurm_conf --runs "$3"
}
# Held jobs of the bench's user, each a real job (a job array would be one record to slurmctld, not 10,000), the
# size of a portal job; they never start. Four sbatch at a time.
submit_held() { # $1 = how many, $2 = file the ids are appended to
  seq 1 "$1" | as_user xargs -P 4 -I{} /usr/bin/sbatch --parsable --hold --export=NONE --job-name=pbslurm-held-{} \
    --output=/dev/null --no-requeue --nodes=1 --ntasks=1 --cpus-per-task=1 --mem=256M --time=10 \
    --partition=$partition --wrap=true >>"$2"
}
echo "== 2. one squeue poll of the Slurm backend" >&2
ids=$work/held-ids
install -m 0644 /dev/null "$ids"
submit_held 10 "$ids"
poll "10 followed jobs, $(slurm squeue --noheader --states=all --format=%A | wc -l) jobs in the queue" "$ids" $polls
started=$SECONDS
submit_held $((queued - 10)) "$ids"
in_queue=$(slurm squeue --noheader --states=all --format=%A | wc -l)
echo "   submitted $((queued - 10)) held jobs in $((SECONDS - started)) s; $in_queue jobs in the queue" >&2
[ "$(wc -l < "$ids")" -eq "$queued" ] || { echo "run.sh: $(wc -l < "$ids") of $queued held jobs submitted" >&2; exit 1; }
head -n 10 "$ids" > "$work/ten-ids"
poll "10 followed jobs, $in_queue jobs in the queue" "$work/ten-ids" $polls
poll "$queued followed jobs, $in_queue jobs in the queue" "$ids" $polls
