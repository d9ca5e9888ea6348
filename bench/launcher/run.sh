#!/bin/bash
# Launch latency of portal-launcher (through sudo, as in production) against bare `podman run -d`
# of the same image as the same user, in one run. Not a test: it prints numbers.
#
#   sudo bench/launcher/run.sh [iterations]     (root; sets up its own users, policy and sudoers, and removes
#                                               them again at the end, also on failure)
#
# Prints the median of each, their ratio (target <= 1.10), the same podman command line the launcher
# builds run without it, and the launcher's own start-to-exec time for a run (target <= 10 ms),
# measured with podman replaced by a program that prints the clock, so that only the launcher
# (policy, request, user lookup, privilege drop, spawn) is timed, beside the same figure for a
# NativeAOT program that does nothing but exec.
set -euo pipefail

n=${1:-21}
repo=$(cd "$(dirname "$0")/../.." && pwd)
root=/var/lib/portal-bench
policy=/etc/portal-bench/launcher.json
group=pbench-portal
user=pbench-user
svc=pbench-svc
image=localhost/pbench-busybox:latest
libexec=$root/libexec

subids=1100000000
proxy_group=pbench-proxy
pam=/etc/pam.d/portal-bench
sudoers=/etc/sudoers.d/portal-bench

[ "$(id -u)" -eq 0 ] || { echo "run.sh: run as root" >&2; exit 1; }
# shellcheck source=../lib/teardown.sh
. "$repo/bench/lib/teardown.sh"

cleanup() {
  set +e
  echo "== removing everything the bench made" >&2
  if uid=$(id -u $user 2>/dev/null); then
    kill_uid_range "$uid" 1
    kill_uid_range $subids 65536
    userdel --remove $user 2>/dev/null
    rm -rf --one-file-system "/run/user/$uid" "/tmp/podman-run-$uid" "/tmp/containers-user-$uid" "/tmp/storage-run-$uid"
  fi
  if svc_uid=$(id -u $svc 2>/dev/null); then kill_uid_range "$svc_uid" 1; userdel $svc 2>/dev/null; fi
  sed -i "/^$user:/d" /etc/subuid /etc/subgid
  for g in $user $svc $group $proxy_group; do getent group $g >/dev/null && groupdel $g; done
  remove_cgroups portal-bench
  rm -rf --one-file-system "$root" /etc/portal-bench /var/log/portal-bench /run/portal-bench "$sudoers" "$pam"
  for a in $user $svc; do id -u $a >/dev/null 2>&1 && echo "run.sh: WARNING: account $a is left" >&2; done
  return 0
}
trap cleanup EXIT

mkdir -p "$root" /etc/portal-bench
chmod 0755 "$root" /etc/portal-bench

echo "== setup" >&2
dotnet publish "$repo/src/Portal.Launcher" -c Release -p:LauncherPolicyPath=$policy -o "$root/publish" --nologo -v q >&2
getent group $group >/dev/null || groupadd $group
id -u $user >/dev/null 2>&1 || useradd --create-home -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 -G $group $user
id -u $svc >/dev/null 2>&1 || useradd --system --shell /usr/sbin/nologin $svc
grep -q "^$user:" /etc/subuid || usermod --add-subuids $subids-$((subids + 65535)) --add-subgids $subids-$((subids + 65535)) $user
uid=$(id -u $user)
install -d -o $user -g $user -m 0700 /run/user/$uid

write_policy() { # $1 = podman path
  cat > $policy.new <<JSON
{"version":1,"minUid":1000,"group":"$group","podman":"$1","runtime":"runc",
 "pidsLimit":1024,"logMaxBytes":1048576,
 "auditLog":"/var/log/portal-bench/audit.log","stateDir":"/run/portal-bench","cgroupParent":"portal-bench"}
JSON
  chmod 0644 $policy.new && mv -f $policy.new $policy
}
write_policy /usr/bin/podman
PORTAL_USER=$svc PORTAL_GROUP=$group LAUNCHER_DIR=$libexec SUDOERS_FILE=$sudoers \
  PAM_SERVICE_FILE=$pam PROXY_GROUP=$proxy_group \
  POLICY_FILE=$policy AUDIT_DIR=/var/log/portal-bench "$repo/deploy/install-launcher.sh" "$root/publish/portal-launcher" >&2

as_user() { setpriv --reuid $uid --regid "$(id -g $user)" --init-groups -- env -i HOME="/home/$user" USER=$user LOGNAME=$user \
  PATH=/usr/bin:/bin XDG_RUNTIME_DIR=/run/user/$uid LANG=C.UTF-8 "$@"; }

if ! (cd / && as_user podman image exists $image); then
  tmp=$(mktemp -d)
  mkdir -p "$tmp/bin" && cp /bin/busybox "$tmp/bin/" && for a in sh true sleep; do ln -s busybox "$tmp/bin/$a"; done
  tar -C "$tmp" -cf "$root/busybox.tar" . && chmod 0644 "$root/busybox.tar" && rm -rf "$tmp"
  (cd / && as_user podman import "$root/busybox.tar" $image >/dev/null)
fi

echo "== building the benchmark and the exec floor" >&2
dotnet publish "$repo/bench/launcher/ExecFloor" -c Release -o "$root/floor" --nologo -v q >&2
# The same binary under a second name stands in for podman and prints the clock (ExecFloor/Program.cs).
install -m 0755 "$root/floor/exec-floor" "$root/floor/podman-stamp"
dotnet build "$repo/bench/launcher" -c Release --nologo -v q >&2

# Times are taken in one .NET process that starts every command the same way (no shell in between),
# so no arm pays for forks that the other does not.
dotnet run -c Release --no-build --project "$repo/bench/launcher" -- --iterations "$n" \
  --launcher $libexec/portal-launcher --user $user --service-user $svc --image $image \
  --policy $policy --audit-log /var/log/portal-bench/audit.log --exec-floor "$root/floor/exec-floor" --stamp "$root/floor/podman-stamp" \
  ${LAUNCHER_TRACE:+--trace "$LAUNCHER_TRACE"}
