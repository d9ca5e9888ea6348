#!/bin/sh
# Installs the published launcher, root-owned 0755, with its sudoers rule, policy and audit
# directory. Idempotent: run it again after each publish. Run as root.
#
#   dotnet publish src/Portal.Launcher -c Release -o out/launcher
#   sudo deploy/install-launcher.sh out/launcher/portal-launcher
#
# Knobs (environment): PORTAL_USER (portal), PORTAL_GROUP (portal-users), LAUNCHER_DIR
# (/usr/libexec/portal), SUDOERS_FILE (/etc/sudoers.d/portal-launcher), POLICY_FILE
# (/etc/portal/launcher.json; must be the path the launcher was built with), AUDIT_DIR
# (/var/log/portal-launcher), PAM_SERVICE_FILE (/etc/pam.d/portal: the PAM service of the launcher's
# password check, written once; it must match the policy's pamService), PROXY_GROUP (portal-proxy: the sessions' proxy group, whose only member is PORTAL_USER).
#
# It also builds and installs sockbridge (src/Portal.SocketBridge, a static C program; needs cc and glibc's static
# libraries) next to the launcher, for sessions whose app listens on TCP only (docs/sessions.md).
set -eu

binary=${1:?usage: install-launcher.sh <published portal-launcher binary>}
here=$(cd "$(dirname "$0")" && pwd)
user=${PORTAL_USER:-portal}
group=${PORTAL_GROUP:-portal-users}
dir=${LAUNCHER_DIR:-/usr/libexec/portal}
sudoers=${SUDOERS_FILE:-/etc/sudoers.d/portal-launcher}
policy=${POLICY_FILE:-/etc/portal/launcher.json}
audit=${AUDIT_DIR:-/var/log/portal-launcher}
pam_file=${PAM_SERVICE_FILE:-/etc/pam.d/portal}
proxy_group=${PROXY_GROUP:-portal-proxy}

[ "$(id -u)" -eq 0 ] || { echo "install-launcher.sh: run as root" >&2; exit 1; }
[ -x "$binary" ] || { echo "install-launcher.sh: $binary is not an executable" >&2; exit 1; }

# Every directory on the way to the launcher must be root's: a writable parent would let its
# owner swap the program sudo runs as root.
install -d -o root -g root -m 0755 "$dir"
install -o root -g root -m 0755 "$binary" "$dir/portal-launcher.new"
mv -f "$dir/portal-launcher.new" "$dir/portal-launcher"

getent group "$group" >/dev/null || groupadd "$group"

# Sessions: the proxy group reaches every session socket, so the portal's account must be its only member.
getent group "$proxy_group" >/dev/null || groupadd --system "$proxy_group"
if getent passwd "$user" >/dev/null; then usermod -aG "$proxy_group" "$user"; fi
others=$(getent group "$proxy_group" | cut -d: -f4 | tr ',' '\n' | grep -vx "$user" | grep -v '^$' || true)
[ -z "$others" ] || echo "install-launcher.sh: WARNING: $proxy_group has members besides $user ($others); they can reach every session. Remove them." >&2
bridge_src="$here/../src/Portal.SocketBridge"
if [ -x "$bridge_src/build.sh" ] && command -v cc >/dev/null 2>&1; then
  "$bridge_src/build.sh" "$dir/sockbridge.new"
  chown root:root "$dir/sockbridge.new"
  chmod 0755 "$dir/sockbridge.new"
  mv -f "$dir/sockbridge.new" "$dir/sockbridge"
else
  echo "install-launcher.sh: sockbridge not built (no source or no cc): sessions of apps on a TCP port are refused." >&2
fi

install -d -o root -g root -m 0755 "$(dirname "$policy")"
if [ ! -e "$policy" ]; then
  sed -e "s/\"group\": \"portal-users\"/\"group\": \"$group\"/" -e "s/\"group\": \"portal-proxy\"/\"group\": \"$proxy_group\"/" "$here/launcher.json.example" > "$policy.new"
  chown root:root "$policy.new"
  chmod 0644 "$policy.new"
  mv -f "$policy.new" "$policy"
  echo "install-launcher.sh: wrote $policy from the example; review its GPUs and mount roots." >&2
elif ! grep -q '"sessions"' "$policy"; then
  echo "install-launcher.sh: $policy has no \"sessions\" section, so this box runs no interactive sessions; see $here/launcher.json.example." >&2
fi

install -d -o root -g root -m 0700 "$audit"

# Device-node mode mounts the NVIDIA driver's user-space files (libcuda, nvidia-smi, ...) into GPU jobs: list those of
# the loaded driver in the policy's "driver" field, afresh at every install (after a driver upgrade too: the launcher's
# check says when the list is stale). The launcher prints the policy with the field replaced; nothing else changes.
if [ -e /proc/driver/nvidia/version ] || [ -e /sys/module/nvidia/version ]; then
  if printf '{"version":1,"verb":"driver-policy"}\n' | "$dir/portal-launcher" > "$policy.new"; then
    chown root:root "$policy.new"
    chmod 0644 "$policy.new"
    mv -f "$policy.new" "$policy"
    echo "install-launcher.sh: listed the loaded NVIDIA driver's files in $policy (\"driver\")." >&2
  else
    rm -f "$policy.new"
    echo "install-launcher.sh: WARNING: could not list the NVIDIA driver's files (above); GPU jobs in device-node mode get no libcuda." >&2
  fi
fi

# The PAM service for Linux password sign-in. Written once: an admin may add pam_faillock or a site module.
# Never add the portal account to the shadow group instead: only the root launcher reads password hashes.
if [ ! -e "$pam_file" ]; then
  install -D -o root -g root -m 0644 "$here/pam.d/portal" "$pam_file"
fi

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
sed -e "s#/usr/libexec/portal/portal-launcher#$dir/portal-launcher#g" -e "s#^portal ALL=#$user ALL=#" \
  "$here/sudoers.d/portal-launcher" > "$tmp"
visudo -cqf "$tmp"
install -o root -g root -m 0440 "$tmp" "$sudoers"

echo "install-launcher.sh: $dir/portal-launcher installed; $user may run it through sudo -n."
