#!/usr/bin/env bash
# Removes what deploy/install.sh installed. Run as root.
#
#   sudo deploy/uninstall.sh          # the programs, the unit, the sudo rule; keeps config, data, database, accounts
#   sudo deploy/uninstall.sh --purge  # also /etc/portal, /var/lib/portal, the launcher's audit log, the database and
#                                     # role install.sh created, the `portal` account and the job group
#
# Users' own things are never touched: their accounts, homes, podman storage and running containers stay (stop
# jobs from the portal first if they should not outlive it).
set -euo pipefail

portal_user=portal
group=${PORTAL_GROUP:-portal-users}
config_dir=/etc/portal
db_marker=$config_dir/database-created-by-install
purge=false

say() { echo "uninstall.sh: $*"; }
[[ $(id -u) -eq 0 ]] || { echo "uninstall.sh: run as root" >&2; exit 1; }
case ${1:-} in
  --purge) purge=true ;;
  "") ;;
  *) echo "uninstall.sh: unknown argument $1; use --purge or nothing" >&2; exit 1 ;;
esac

if [[ -d /run/systemd/system ]] && systemctl list-unit-files portal.service >/dev/null 2>&1; then
  # KillMode=process: this stops the portal only; running jobs carry on as their owners' processes.
  systemctl disable --now --quiet portal.service 2>/dev/null || true
fi
rm -f /etc/systemd/system/portal.service
if [[ -d /run/systemd/system ]]; then
  # Session folders go with their mount; running sessions lose their socket (their jobs carry on until stopped).
  systemctl disable --now --quiet 'run-portal\x2dsessions.mount' 2>/dev/null || true
fi
rm -f '/etc/systemd/system/run-portal\x2dsessions.mount'
[[ -d /run/systemd/system ]] && systemctl daemon-reload
say "removed the systemd unit"

# The launcher's job cgroups: only empty ones go (rmdir refuses a cgroup that holds a process), so a job still
# running keeps its cgroup, and portal-jobs.service stays while it has any.
parent=$(sed -n 's/.*"cgroupParent": *"\([^"]*\)".*/\1/p' "$config_dir/launcher.json" 2>/dev/null | head -n 1)
parent=${parent:-portal}
for root in /sys/fs/cgroup /sys/fs/cgroup/*; do
  [[ -d $root/$parent ]] || continue
  depth=0
  [[ $parent == */* ]] && depth=1   # a systemd unit's cgroup: only what the launcher made below it
  find "$root/$parent" -mindepth $depth -depth -type d -exec rmdir {} + 2>/dev/null || true
done
jobs_cgroup=/sys/fs/cgroup/system.slice/portal-jobs.service
if [[ -d /run/systemd/system ]] && systemctl list-unit-files portal-jobs.service >/dev/null 2>&1; then
  if [[ -d $jobs_cgroup ]] && grep -q '^populated 1' "$jobs_cgroup/cgroup.events" 2>/dev/null; then
    say "kept portal-jobs.service: jobs still run in it (stopping it would end them)"
  else
    systemctl disable --now --quiet portal-jobs.service 2>/dev/null || true
    rm -f /etc/systemd/system/portal-jobs.service
    systemctl daemon-reload
  fi
else
  rm -f /etc/systemd/system/portal-jobs.service
fi
say "removed the launcher's empty job cgroups"

# The sudo rule first: from here on the portal account can no longer reach the launcher.
rm -f /etc/sudoers.d/portal-launcher
rm -rf /usr/libexec/portal /usr/lib/portal /usr/lib/portal.new /usr/lib/portal.old
rm -f /usr/lib/tmpfiles.d/portal.conf /etc/logrotate.d/portal-launcher
rm -rf /run/portal-launcher
say "removed the sudo rule, the launcher and the portal's program files"

if ! $purge; then
  say "kept $config_dir, /var/lib/portal, /var/log/portal-launcher, the database and the accounts (--purge removes them)"
  exit 0
fi

if [[ -f $db_marker ]]; then
  read -r pg_host pg_port role database < "$db_marker"
  if runuser -u postgres -- psql -h "$pg_host" -p "$pg_port" -d postgres -v ON_ERROR_STOP=1 -Atq \
      -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" -c "DROP ROLE IF EXISTS \"$role\""; then
    say "dropped the database $database and the role $role"
  else
    say "could not drop the database $database and role $role at $pg_host:$pg_port; drop them by hand"
  fi
else
  say "the database was given to install.sh (PORTAL_DB_CONNECTION); it is left as it is"
fi

rm -rf "$config_dir" /var/lib/portal /var/log/portal-launcher
rm -f /etc/pam.d/portal
if id -u "$portal_user" >/dev/null 2>&1; then
  userdel "$portal_user"
  say "removed the account $portal_user"
fi
getent group "$portal_user" >/dev/null && groupdel "$portal_user"
if getent group portal-proxy >/dev/null; then
  groupdel portal-proxy
  say "removed the sessions' proxy group portal-proxy"
fi
if getent group "$group" >/dev/null; then
  groupdel "$group"
  say "removed the group $group (its members keep their accounts and subordinate ids)"
fi
say "purged"
