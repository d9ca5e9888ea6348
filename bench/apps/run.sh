#!/bin/bash
# App start latency: a 3-service app through portal-launcher app-up (through sudo as the portal's service user, as in
# production) against the same pod built by hand as the same user (podman pod create --network none and three
# podman run -d --pod with the options the launcher gives every container), alternating, in one run. Not a test: it
# prints numbers. Target: ratio of the medians <= 1.15.
#
#   sudo bench/apps/run.sh [iterations]     (root; sets up its own user, policy and sudo rule, and removes them)
set -euo pipefail

n=${1:-15}
repo=$(cd "$(dirname "$0")/../.." && pwd)
root=/var/lib/portal-bench-apps
policy=/etc/portal-bench-apps/launcher.json
group=pbapps-portal
user=pbapps-user
svc=pbapps-svc
image=localhost/pbapps-busybox:latest
libexec=$root/libexec

[ "$(id -u)" -eq 0 ] || { echo "run.sh: run as root" >&2; exit 1; }

proxy_group=pbapps-proxy
pam=/etc/pam.d/portal-bench-apps
sudoers=/etc/sudoers.d/portal-bench-apps
# shellcheck source=../lib/teardown.sh
. "$repo/bench/lib/teardown.sh"

cleanup() {
  set +e
  echo "== removing everything the bench made" >&2
  if uid=$(id -u $user 2>/dev/null); then
    kill_uid_range "$uid" 1
    kill_uid_range 1200000000 65536
    userdel --remove $user 2>/dev/null
    rm -rf --one-file-system "/run/user/$uid" "/tmp/podman-run-$uid" "/tmp/containers-user-$uid" "/tmp/storage-run-$uid"
  fi
  if svc_uid=$(id -u $svc 2>/dev/null); then kill_uid_range "$svc_uid" 1; userdel $svc 2>/dev/null; fi
  sed -i "/^$user:/d" /etc/subuid /etc/subgid
  for g in $user $svc $group $proxy_group; do getent group $g >/dev/null && groupdel $g; done
  remove_cgroups portal-bench-apps
  rm -rf --one-file-system "$root" /etc/portal-bench-apps /var/log/portal-bench-apps /run/portal-bench-apps "$sudoers" "$pam"
  for a in $user $svc; do id -u $a >/dev/null 2>&1 && echo "run.sh: WARNING: account $a is left" >&2; done
  return 0
}
as_user() { setpriv --reuid $uid --regid "$(id -g $user)" --init-groups -- env -i HOME="/home/$user" USER=$user LOGNAME=$user \
  PATH=/usr/bin:/bin XDG_RUNTIME_DIR=/run/user/$uid LANG=C.UTF-8 "$@"; }
trap cleanup EXIT

echo "== setup" >&2
mkdir -p "$root" /etc/portal-bench-apps
chmod 0755 "$root" /etc/portal-bench-apps
dotnet publish "$repo/src/Portal.Launcher" -c Release -p:LauncherPolicyPath=$policy -o "$root/publish" --nologo -v q >&2
getent group $group >/dev/null || groupadd $group
id -u $user >/dev/null 2>&1 || useradd --create-home -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 -G $group $user
id -u $svc >/dev/null 2>&1 || useradd --system --shell /usr/sbin/nologin $svc
grep -q "^$user:" /etc/subuid || usermod --add-subuids 1200000000-1200065535 --add-subgids 1200000000-1200065535 $user
uid=$(id -u $user)
install -d -o $user -g $user -m 0700 /run/user/$uid
cat > $policy <<JSON
{"version":1,"minUid":1000,"group":"$group","podman":"/usr/bin/podman","runtime":"runc",
 "pidsLimit":1024,"logMaxBytes":1048576,
 "auditLog":"/var/log/portal-bench-apps/audit.log","stateDir":"/run/portal-bench-apps","cgroupParent":"portal-bench-apps"}
JSON
chmod 0644 $policy
PORTAL_USER=$svc PORTAL_GROUP=$group LAUNCHER_DIR=$libexec SUDOERS_FILE=$sudoers \
  PAM_SERVICE_FILE=$pam PROXY_GROUP=$proxy_group POLICY_FILE=$policy AUDIT_DIR=/var/log/portal-bench-apps "$repo/deploy/install-launcher.sh" "$root/publish/portal-launcher" >&2

tmp=$(mktemp -d)
mkdir -p "$tmp/bin" "$tmp/etc" && cp /bin/busybox "$tmp/bin/" && for a in sh true sleep; do ln -s busybox "$tmp/bin/$a"; done
tar -C "$tmp" -cf "$root/busybox.tar" . && chmod 0644 "$root/busybox.tar" && rm -rf "$tmp"
(cd / && as_user podman import "$root/busybox.tar" $image >/dev/null)
# The first pod of an account builds podman's pause image: done here, untimed.
(cd / && as_user podman pod create --name warmup --network none >/dev/null && as_user podman pod rm warmup >/dev/null)

request() { # $1 = job id
  printf '{"version":1,"verb":"app-up","user":"%s","job":"%s","app":{"services":[' $user "$1"
  printf '{"name":"a","run":{"image":"%s","command":["sleep","600"]}},' $image
  printf '{"name":"b","run":{"image":"%s","command":["sleep","600"]},"dependsOn":[{"service":"a","condition":"started"}]},' $image
  printf '{"name":"c","run":{"image":"%s","command":["sleep","600"]},"dependsOn":[{"service":"b","condition":"started"}]}' $image
  printf ']}}\n'
}

# What the launcher runs, typed by the user: a script, so the baseline pays for one bash as the launcher arm pays for sudo.
cat > "$root/by-hand.sh" <<SH
#!/bin/bash
set -e
hosts=/run/user/$uid/\$1.hosts
printf '127.0.0.1\tlocalhost a b c\n::1\tlocalhost\n' > "\$hosts"
podman pod create --name "\$1" --network none --label portal.app=x --label portal.owner=$user >/dev/null
for s in a b c; do
  podman run --detach --pull=never --name "\$1-\$s" --label portal.app=x --label portal.owner=$user --runtime runc \\
    --security-opt no-new-privileges --cap-drop all --pids-limit 1024 --log-opt max-size=1048576 \\
    --pod "\$1" --label portal.service=\$s --env CUDA_VISIBLE_DEVICES= --env NVIDIA_VISIBLE_DEVICES=void \\
    --mount type=bind,source=\$hosts,target=/etc/hosts,ro=true -- $image sleep 600 >/dev/null
done
SH
chmod 0755 "$root/by-hand.sh"

ms() { echo $(( ($2 - $1) / 1000000 )); }
launcher_ms=(); hand_ms=()
echo "== $n iterations, alternating" >&2
for i in $(seq 1 "$n"); do
  job="b$i"
  for arm in $( ((i % 2)) && echo "launcher hand" || echo "hand launcher"); do
    if [ $arm = launcher ]; then
      t0=$(date +%s%N)
      request "$job" | (cd / && setpriv --reuid "$(id -u $svc)" --regid "$(id -g $svc)" --clear-groups -- /usr/bin/sudo -n $libexec/portal-launcher) >/dev/null
      t1=$(date +%s%N)
      launcher_ms+=("$(ms "$t0" "$t1")")
      # Through the launcher, as the portal removes an app: the pod, its hosts file and its job cgroup.
      printf '{"version":1,"verb":"app-remove","user":"%s","job":"%s","stop":{"timeoutSeconds":0}}\n' $user "$job" |
        (cd / && setpriv --reuid "$(id -u $svc)" --regid "$(id -g $svc)" --clear-groups -- /usr/bin/sudo -n $libexec/portal-launcher) >/dev/null
    else
      t0=$(date +%s%N)
      (cd / && as_user "$root/by-hand.sh" hand-$i)
      t1=$(date +%s%N)
      hand_ms+=("$(ms "$t0" "$t1")")
      (cd / && as_user podman pod rm --force --time 0 hand-$i >/dev/null)
      rm -f /run/user/$uid/hand-$i.hosts
    fi
  done
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
lm=$(median "${launcher_ms[@]}"); hm=$(median "${hand_ms[@]}")
echo "launcher app-up (3 services), ms: ${launcher_ms[*]}"
echo "by hand (pod create + 3 podman run -d), ms: ${hand_ms[*]}"
echo "median launcher ${lm} ms, median by hand ${hm} ms, ratio $(awk "BEGIN {printf \"%.3f\", $lm / $hm}") (target <= 1.15)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
