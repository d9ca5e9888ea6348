#!/bin/bash
# Submit-to-process-start of a job through the portal's REST API against a bare `podman run -d` of the same image
# and command by the same user, in one run. Not a test: it prints numbers.
#
#   sudo bench/submit/run.sh [iterations]          (root; sets up everything itself and removes it again)
#   bench/submit/run.sh publish DIR                 (only publishes the launcher and the portal into DIR, e.g. so that
#   sudo PUBLISHED=DIR bench/submit/run.sh [n]       a shared machine's lock is not held while building; then uses them)
#
# It starts a throwaway PostgreSQL cluster (Unix socket only), publishes the launcher (built for this bench's policy
# path) and the portal, installs the launcher with deploy/install-launcher.sh under this bench's own names (account
# pbsub-svc, job group pbsub-jobs, sudo rule /etc/sudoers.d/portal-bench-submit), makes a job user pbsub-user with a
# locally built busybox image holding a clock-stamp program (stamp.c), starts the portal as pbsub-svc in production
# mode (so every launch goes through `sudo -n` and the launcher, as on a real host), puts the user's account and an
# API token straight into the database, and runs the harness (Program.cs). At the end, also on failure, it removes all
# of it: the portal, the cluster, the user's containers and processes, the accounts, the job cgroups, the files.
set -euo pipefail

n=${1:-21}
warm_up=2
repo=$(cd "$(dirname "$0")/../.." && pwd)
name=portal-bench-submit
root=/var/lib/$name
policy=/etc/$name/launcher.json

publish() { # $1 = folder: the launcher (built for this bench's policy path) in launcher/, the portal in portal/
  dotnet publish "$repo/src/Portal.Launcher" -c Release -p:LauncherPolicyPath=$policy -o "$1/launcher" --nologo -v q -clp:ErrorsOnly >&2
  dotnet publish "$repo/src/Portal.Web" -c Release -o "$1/portal" --nologo -v q -clp:ErrorsOnly >&2
  dotnet build "$repo/bench/submit" -c Release --nologo -v q -clp:ErrorsOnly >&2
}
if [ "${1:-}" = publish ]; then publish "${2:?usage: run.sh publish DIR}"; exit 0; fi
audit=/var/log/$name
state=/run/$name
sudoers=/etc/sudoers.d/$name
pam=/etc/pam.d/$name
libexec=$root/libexec
group=pbsub-jobs
proxy_group=pbsub-proxy
user=pbsub-user
svc=pbsub-svc
image=localhost/pbsub-busybox:latest
subids=1200000000

[ "$(id -u)" -eq 0 ] || { echo "run.sh: run as root" >&2; exit 1; }
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
work=$(mktemp -d /tmp/$name.XXXXXX)
chmod 0755 "$work"
pg_data=$work/pg/data
pg_run=$work/pg/run
portal_pid=""

# shellcheck source=../lib/teardown.sh
. "$repo/bench/lib/teardown.sh"

cleanup() {
  set +e
  echo "== removing everything the bench made" >&2
  if [ -n "$portal_pid" ]; then kill "$portal_pid" 2>/dev/null; wait "$portal_pid" 2>/dev/null; fi
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w stop >/dev/null 2>&1
  if uid=$(id -u $user 2>/dev/null); then
    kill_uid_range "$uid" 1
    kill_uid_range $subids 65536
    userdel --remove $user 2>/dev/null
    rm -rf --one-file-system "/run/user/$uid" "/tmp/podman-run-$uid" "/tmp/containers-user-$uid" "/tmp/storage-run-$uid"
  fi
  if svc_uid=$(id -u $svc 2>/dev/null); then kill_uid_range "$svc_uid" 1; userdel $svc 2>/dev/null; fi
  sed -i "/^$user:/d" /etc/subuid /etc/subgid
  for g in $user $svc $group $proxy_group; do getent group $g >/dev/null && groupdel $g; done
  remove_cgroups $name
  rm -rf --one-file-system "$work" "$root" "$(dirname "$policy")" "$audit" "$state" "$sudoers" "$pam"
  for a in $user $svc; do id -u $a >/dev/null 2>&1 && echo "run.sh: WARNING: account $a is left" >&2; done
  return 0
}
trap cleanup EXIT

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

published=${PUBLISHED:-}
if [ -z "$published" ]; then
  echo "== publishing the launcher, the portal and the harness" >&2
  published=$work/published
  publish "$published"
fi

echo "== accounts, policy, launcher and sudo rule" >&2
getent group $group >/dev/null || groupadd $group
id -u $user >/dev/null 2>&1 || useradd --create-home -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 -G $group $user
id -u $svc >/dev/null 2>&1 || useradd --system --shell /usr/sbin/nologin $svc
grep -q "^$user:" /etc/subuid || usermod --add-subuids $subids-$((subids + 65535)) --add-subgids $subids-$((subids + 65535)) $user
uid=$(id -u $user)
install -d -o $user -g $user -m 0700 /run/user/$uid
install -d -o root -g root -m 0755 "$root" "$(dirname "$policy")"
# The launcher refuses keys it does not know: the job cgroups' parent only where it has them, so that the same
# script runs on commits from before that work.
cgroup_parent=""
grep -q '"cgroupParent"' "$repo/src/Portal.Launcher/Policy/PolicyReader.cs" && cgroup_parent=",\"cgroupParent\":\"$name\""
cat > $policy.new <<JSON
{"version":1,"minUid":1000,"group":"$group","podman":"/usr/bin/podman","runtime":"runc",
 "pidsLimit":1024,"logMaxBytes":1048576,"maxCpus":2,"maxMemoryMiB":4096,
 "mountRoots":[{"userHome":true}],"homeRoots":["/home"],
 "auditLog":"$audit/audit.log","stateDir":"$state"$cgroup_parent}
JSON
chmod 0644 $policy.new && mv -f $policy.new $policy
PORTAL_USER=$svc PORTAL_GROUP=$group LAUNCHER_DIR=$libexec SUDOERS_FILE=$sudoers POLICY_FILE=$policy AUDIT_DIR=$audit \
  PAM_SERVICE_FILE=$pam PROXY_GROUP=$proxy_group "$repo/deploy/install-launcher.sh" "$published/launcher/portal-launcher" >&2

as_user() { (cd / && setpriv --reuid $uid --regid "$(id -g $user)" --init-groups -- env -i HOME="/home/$user" USER=$user \
  LOGNAME=$user PATH=/usr/bin:/bin XDG_RUNTIME_DIR=/run/user/$uid LANG=C.UTF-8 "$@"); }

echo "== the image: busybox and the stamp program" >&2
rootfs=$work/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/dev" "$rootfs/proc" "$rootfs/sys" "$rootfs/tmp" "$rootfs/stamps"
cp /bin/busybox "$rootfs/bin/" && for a in sh sleep true; do ln -s busybox "$rootfs/bin/$a"; done
cc -O2 -static -o "$rootfs/bin/stamp" "$repo/bench/submit/stamp.c"
echo 'root:x:0:0:root:/root:/bin/sh' > "$rootfs/etc/passwd"
tar -C "$rootfs" -cf "$work/image.tar" . && chmod 0644 "$work/image.tar"
as_user podman import --change 'ENV PATH=/bin' "$work/image.tar" $image >/dev/null
stamps=/home/$user/stamps
install -d -o $user -g $user -m 0755 "$stamps"

echo "== starting the portal as $svc (production mode: the launcher through sudo)" >&2
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
install -d -o $svc -g "$(id -g $svc)" -m 0700 "$work/data"
setpriv --reuid "$(id -u $svc)" --regid "$(id -g $svc)" --init-groups -- env -i PATH=/usr/bin:/bin LANG=C.UTF-8 \
  HOME="$work/data" DOTNET_CLI_HOME="$work/data" \
  ConnectionStrings__Portal="Host=$pg_run;Username=portal;Database=portal" \
  Portal__Production=true Portal__DataDirectory="$work/data" \
  Portal__Launcher__LauncherPath=$libexec/portal-launcher \
  Portal__Api__RequestsPerSecond=10000 Portal__Api__Burst=10000 \
  Portal__Gpus__SearchPath=/nonexistent-bench \
  Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production Urls="$url" \
  "$(command -v dotnet)" "$published/portal/Portal.Web.dll" >"$work/portal.log" 2>&1 &
portal_pid=$!
for _ in $(seq 1 240); do
  curl -fsS "$url/readyz" >/dev/null 2>&1 && break
  kill -0 "$portal_pid" 2>/dev/null || { cat "$work/portal.log" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "$url/readyz" >/dev/null || { echo "the portal did not get ready" >&2; cat "$work/portal.log" >&2; exit 1; }

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

echo "== $(git -C "$repo" rev-parse --short HEAD), $(nproc) cores" >&2
status=0
dotnet run -c Release --no-build --project "$repo/bench/submit" -- --iterations "$n" --warm-up $warm_up \
  --url "$url" --token "$token" --user $user --image $image --stamps "$stamps" || status=$?
if [ $status -ne 0 ]; then echo "== the portal wrote:" >&2; tail -n 50 "$work/portal.log" >&2; fi
exit $status
