#!/usr/bin/env bash
# Installs the portal for production on this host, or upgrades it in place. Idempotent; run as root.
#
#   sudo deploy/install.sh                      # publish from this checkout, then install
#   sudo deploy/install.sh --portal DIR --launcher FILE   # install what `dotnet publish` made elsewhere
#
# What it does (each step says so as it goes; a summary of what is left to do comes last):
#  - the `portal` system account (no login, no home of its own; state in /var/lib/portal) and the group whose
#    members may run jobs (portal-users);
#  - the published portal in /usr/lib/portal (root-owned) and the NativeAOT launcher in
#    /usr/libexec/portal/portal-launcher (root:root 0755), its sudo rule (checked with visudo -c), its policy
#    /etc/portal/launcher.json (root, 0644; written once, with the GPUs nvidia-smi lists) and audit folder;
#  - subordinate uid/gid ranges for members of the group that have none (rootless podman needs them);
#  - the NVIDIA CDI spec, when nvidia-ctk is installed;
#  - the database: the connection string given in PORTAL_DB_CONNECTION, or else a `portal` role and database in the
#    local PostgreSQL cluster, reached through its Unix socket with peer authentication (no password anywhere);
#  - /etc/portal/portal.env (root:portal 0640: it holds the connection string) and the migrations, applied as the
#    `portal` account, as a step of their own (the portal does not migrate at start in production);
#  - the systemd units (deploy/systemd/portal.service; portal-jobs.service, the delegated cgroup the launcher puts
#    every job's cgroup in); enabled and (re)started when systemd runs.
#
# Settings (environment):
#   PORTAL_DB_CONNECTION  an existing database (Npgsql connection string); empty: create one in the local cluster
#   PG_HOST, PG_PORT      the local cluster's socket folder and port (/var/run/postgresql, 5432)
#   PORTAL_URLS           where the portal listens (http://127.0.0.1:5080; put the TLS proxy in front)
#   PORTAL_REQUIRE_HTTPS  mark cookies Secure (true: the portal is reached through the TLS proxy)
#   PORTAL_GROUP          who may run jobs (portal-users)
#   PORTAL_TRUSTED_PROXIES  space-separated addresses of reverse proxies whose X-Forwarded-For/-Proto are believed
#                         (none; note that every local user connects from 127.0.0.1 too: see docs/operations.md)
#   PORTAL_METRICS_SCRAPERS space-separated addresses that may read /metrics (none)
#   PORTAL_SUBID_BASE     where subordinate id blocks start (2000224256: above sssd's default id-mapping range
#                         200000-2000200000 and below 2^31, which some tools read as negative)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
portal_user=portal
group=${PORTAL_GROUP:-portal-users}
app_dir=/usr/lib/portal
launcher_dir=/usr/libexec/portal
config_dir=/etc/portal
policy=$config_dir/launcher.json
env_file=$config_dir/portal.env
db_marker=$config_dir/database-created-by-install
data_dir=/var/lib/portal
unit=/etc/systemd/system/portal.service
jobs_unit=/etc/systemd/system/portal-jobs.service
tmpfiles=/usr/lib/tmpfiles.d/portal.conf
pg_host=${PG_HOST:-/var/run/postgresql}
pg_port=${PG_PORT:-5432}
urls=${PORTAL_URLS:-http://127.0.0.1:5080}
require_https=${PORTAL_REQUIRE_HTTPS:-true}
portal_dir="" launcher=""
todo=()

say() { echo "install.sh: $*"; }

# The lowest 65536-aligned block at or above $1 that no subordinate range and no listed uid or gid falls in.
free_subid_block() {
  { getent passwd | awk -F: '{ print "id", $3 }'; getent group | awk -F: '{ print "id", $3 }'
    cat /etc/subuid /etc/subgid 2>/dev/null | awk -F: 'NF == 3 { print "range", $2, $3 }'; } |
  awk -v base="$1" '
    $1 == "id" { n++; lo[n] = $2; hi[n] = $2 + 1 }
    $1 == "range" { n++; lo[n] = $2; hi[n] = $2 + $3 }
    END {
      start = int((base + 65535) / 65536) * 65536
      do {
        moved = 0
        for (i = 1; i <= n; i++) if (lo[i] < start + 65536 && start < hi[i]) { start = int((hi[i] + 65535) / 65536) * 65536; moved = 1 }
      } while (moved)
      if (start + 65536 > 2147483648) { print "no free subordinate id block below 2^31" > "/dev/stderr"; exit 1 }
      printf "%d\n", start
    }'
}
fail() { echo "install.sh: error: $*" >&2; exit 1; }

while (($#)); do
  case $1 in
    --portal) portal_dir=$2; shift 2 ;;
    --launcher) launcher=$2; shift 2 ;;
    *) fail "unknown argument $1 (see the comment at the top of this script)" ;;
  esac
done

[[ $(id -u) -eq 0 ]] || fail "run as root"
for tool in sudo visudo podman newuidmap runuser setpriv; do
  command -v "$tool" >/dev/null || fail "$tool is missing; install: apt-get install sudo podman runc uidmap slirp4netns fuse-overlayfs util-linux"
done
dotnet=$(readlink -f "$(command -v dotnet)" 2>/dev/null) || fail "the .NET 10 runtime (dotnet) is missing"
dotnet --list-runtimes | grep -q '^Microsoft.AspNetCore.App 10\.' || fail "the ASP.NET Core 10 runtime is missing"

# 1. Build, unless given what to install.
if [[ -z $portal_dir || -z $launcher ]]; then
  out=$(mktemp -d /tmp/portal-publish.XXXXXX)
  trap 'rm -rf "$out"' EXIT
  say "publishing the portal and the launcher from $repo"
  dotnet publish "$repo/src/Portal.Web" -c Release -nologo -v quiet -clp:ErrorsOnly -o "$out/portal"
  dotnet publish "$repo/src/Portal.Launcher" -c Release -nologo -v quiet -clp:ErrorsOnly -o "$out/launcher"
  portal_dir=${portal_dir:-$out/portal}
  launcher=${launcher:-$out/launcher/portal-launcher}
fi
[[ -f $portal_dir/Portal.Web.dll ]] || fail "$portal_dir holds no published portal (Portal.Web.dll)"

# 2. Accounts.
if ! id -u "$portal_user" >/dev/null 2>&1; then
  useradd --system --user-group --home-dir "$data_dir" --no-create-home --shell /usr/sbin/nologin \
    --comment "GPU box portal" "$portal_user"
  say "created the system account $portal_user"
fi
getent group "$group" >/dev/null || { groupadd "$group"; say "created the group $group (its members may run jobs)"; }
install -d -o "$portal_user" -g "$portal_user" -m 0700 "$data_dir"

# 3. The portal's files: root's, so the service account cannot change the program it runs.
install -d -o root -g root -m 0755 "$app_dir.new"
cp -R "$portal_dir/." "$app_dir.new/"
install -d -o root -g root -m 0755 "$app_dir.new/docs"
cp "$repo/docs/operations.md" "$app_dir.new/docs/" 2>/dev/null || true
chown -R root:root "$app_dir.new"
chmod -R u+rwX,go+rX,go-w "$app_dir.new"
rm -rf "$app_dir.old"
[[ -d $app_dir ]] && mv "$app_dir" "$app_dir.old"
mv "$app_dir.new" "$app_dir"
rm -rf "$app_dir.old"
say "installed the portal in $app_dir"

# 4. The launcher's policy, written once from what this host has; the admin owns it after that.
install -d -o root -g root -m 0755 "$config_dir"
use_cdi=false
if command -v nvidia-ctk >/dev/null; then
  install -d -o root -g root -m 0755 /etc/cdi
  nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml >/dev/null && use_cdi=true
  say "generated the NVIDIA CDI spec /etc/cdi/nvidia.yaml"
else
  todo+=("nvidia-ctk is not installed: GPUs are passed to jobs as device nodes. For CDI, install nvidia-container-toolkit, run 'nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml' and set \"useCdi\": true in $policy.")
fi
if [[ ! -e $policy ]]; then
  # Every GPU by UUID, or, for a GPU with MIG on, its MIG instances with their capability nodes (gpu-policy.sh).
  gpus=""
  while read -r line; do
    gpus+="${gpus:+,}
    $line"
  done < <("$here/gpu-policy.sh" || true)
  control='"/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"'
  [[ -n $gpus ]] || control=""
  [[ -n $gpus ]] || todo+=("No GPU was found (nvidia-smi): $policy lists none, so jobs run on CPUs only. Add the GPUs there by UUID once the driver works.")
  runtime=runc
  [[ -f /sys/fs/cgroup/cgroup.controllers ]] && command -v crun >/dev/null && runtime=crun
  # Under systemd the job cgroups go in portal-jobs.service's delegated cgroup; elsewhere in a "portal" cgroup of
  # each hierarchy that the launcher makes itself.
  cgroup_parent=portal
  [[ -d /run/systemd/system ]] && cgroup_parent=system.slice/portal-jobs.service
  cat > "$policy.new" <<POLICY
{
  "version": 1,
  "minUid": 1000,
  "group": "$group",
  "podman": "$(command -v podman)",
  "runtime": "$runtime",
  "allowNetwork": false,
  "mountRoots": [ { "userHome": true } ],
  "gpus": [$gpus
  ],
  "gpuControlNodes": [$control],
  "useCdi": $use_cdi,
  "pidsLimit": 1024,
  "logMaxBytes": 52428800,
  "maxCpus": $(nproc),
  "maxMemoryMiB": $(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo),
  "manageDeviceAcls": false,
  "auditLog": "/var/log/portal-launcher/audit.log",
  "stateDir": "/run/portal-launcher",
  "setfacl": "/usr/bin/setfacl",
  "pamService": "portal",
  "privilegedGroups": ["$portal_user"],
  "homeRoots": ["/home"],
  "cgroupParent": "$cgroup_parent",
  "podmanTimeoutSeconds": 30,
  "storageDriver": "overlay"
}
POLICY
  chown root:root "$policy.new"
  chmod 0644 "$policy.new"
  mv -f "$policy.new" "$policy"
  say "wrote the launcher policy $policy"
else
  say "kept the launcher policy $policy"
fi

# 5. The launcher, its sudo rule (validated with visudo -c) and its audit folder.
PORTAL_USER=$portal_user PORTAL_GROUP=$group LAUNCHER_DIR=$launcher_dir POLICY_FILE=$policy \
  SUDOERS_FILE=/etc/sudoers.d/portal-launcher "$here/install-launcher.sh" "$launcher" | sed 's/^/  /'
install -D -o root -g root -m 0644 "$here/logrotate.d/portal-launcher" /etc/logrotate.d/portal-launcher
# The launcher creates /run/user/<uid> and keeps state in /run/portal-launcher; both are gone after a reboot.
printf 'd /run/user 0755 root root -\nd /run/portal-launcher 0700 root root -\n' > "$tmpfiles"
install -d -o root -g root -m 0755 /run/user
install -d -o root -g root -m 0700 /run/portal-launcher

# 6. Subordinate ids for the group's members that have none: a fresh 65536-block above every range in use, high
#    above real accounts, and never covering a uid or gid that NSS lists (a range that covers a real account lets its
#    owner become that account with `podman unshare`). The launcher's check flags any overlap that exists.
subid_base=${PORTAL_SUBID_BASE:-2000224256}
for member in $(getent group "$group" | cut -d: -f4 | tr ',' ' '); do
  if grep -q "^$member:" /etc/subuid 2>/dev/null && grep -q "^$member:" /etc/subgid 2>/dev/null; then continue; fi
  start=$(free_subid_block "$subid_base")
  usermod --add-subuids "$start-$((start + 65535))" --add-subgids "$start-$((start + 65535))" "$member"
  say "gave $member the subordinate ids $start-$((start + 65535))"
done

# 7. The database.
connection=${PORTAL_DB_CONNECTION:-}
if [[ -z $connection ]]; then
  psql_as_postgres() { runuser -u postgres -- psql -h "$pg_host" -p "$pg_port" -d postgres -v ON_ERROR_STOP=1 -Atq "$@"; }
  psql_as_postgres -c 'SELECT 1' >/dev/null 2>&1 || fail "no PostgreSQL cluster answers at $pg_host port $pg_port.
  Start Debian's cluster (systemctl start postgresql, or pg_ctlcluster 15 main start), or give an existing
  database in PORTAL_DB_CONNECTION."
  if [[ -z $(psql_as_postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$portal_user'") ]]; then
    psql_as_postgres -c "CREATE ROLE \"$portal_user\" LOGIN"
    say "created the PostgreSQL role $portal_user"
  fi
  if [[ -z $(psql_as_postgres -c "SELECT 1 FROM pg_database WHERE datname = 'portal'") ]]; then
    psql_as_postgres -c "CREATE DATABASE portal OWNER \"$portal_user\" ENCODING 'UTF8'"
    say "created the PostgreSQL database portal"
  fi
  echo "$pg_host $pg_port $portal_user portal" > "$db_marker"
  # Peer authentication: the account `portal` is the role `portal`; no password to keep.
  connection="Host=$pg_host;Port=$pg_port;Username=$portal_user;Database=portal"
fi

# 8. The portal's settings. Written once; later runs keep the admin's edits (and say so).
if [[ ! -e $env_file ]]; then
  cat > "$env_file.new" <<ENV
# Settings of the installed portal: a systemd EnvironmentFile (KEY=value; __ separates configuration sections).
# See README.md "Configuration" and docs/operations.md. Readable by root and the portal's group only.
ASPNETCORE_ENVIRONMENT=Production
# Urls, not ASPNETCORE_URLS: appsettings.json sets Urls, and only a plain variable overrides it.
Urls=$urls
ConnectionStrings__Portal=$connection
Portal__Production=true
Portal__DataDirectory=$data_dir
Portal__MigrateOnStart=false
Portal__RequireHttps=$require_https
Portal__Launcher__LauncherPath=$launcher_dir/portal-launcher
$(i=0; for a in ${PORTAL_TRUSTED_PROXIES:-}; do echo "Portal__ForwardedHeaders__KnownProxies__$i=$a"; i=$((i + 1)); done)
$(i=0; for a in ${PORTAL_METRICS_SCRAPERS:-}; do echo "Portal__Metrics__Scrapers__$i=$a"; i=$((i + 1)); done)
# Structured logs: one JSON object per line on stdout (the journal), with the job id and user as scopes.
Logging__Console__FormatterName=json
Logging__Console__FormatterOptions__IncludeScopes=true
Logging__Console__FormatterOptions__UseUtcTimestamp=true
Logging__Console__FormatterOptions__TimestampFormat=yyyy-MM-ddTHH:mm:ss.fffZ
ENV
  chown root:"$portal_user" "$env_file.new"
  chmod 0640 "$env_file.new"
  mv -f "$env_file.new" "$env_file"
  say "wrote $env_file"
else
  say "kept $env_file"
fi

# 9. Migrations, as the portal's own account (the role that owns the database).
env_args=()
while IFS= read -r line; do
  [[ -z $line || $line == '#'* ]] || env_args+=("$line")
done < "$env_file"
(cd "$app_dir" && runuser -u "$portal_user" -- env -i PATH=/usr/bin:/bin HOME="$data_dir" "${env_args[@]}" \
  "$dotnet" "$app_dir/Portal.Web.dll" migrate) | sed 's/^/  /'

# 10. The service.
sed "s#^ExecStart=/usr/bin/dotnet #ExecStart=$dotnet #" "$here/systemd/portal.service" > "$unit.new"
chmod 0644 "$unit.new"
mv -f "$unit.new" "$unit"
install -m 0644 "$here/systemd/portal-jobs.service" "$jobs_unit.new"
mv -f "$jobs_unit.new" "$jobs_unit"
# The sessions' socket folders live on a small tmpfs of their own (deploy/systemd/run-portal\x2dsessions.mount).
install -o root -g root -m 0644 "$here/systemd/run-portal\x2dsessions.mount" "/etc/systemd/system/run-portal\x2dsessions.mount"
if [[ -d /run/systemd/system ]]; then
  systemctl daemon-reload
  systemctl enable --quiet --now 'run-portal\x2dsessions.mount'
  # Started, never restarted: restarting it would end every running job.
  systemctl enable --now --quiet portal-jobs.service
  grep -q '"cgroupParent": *"system.slice/portal-jobs.service"' "$policy" \
    || todo+=("systemd runs here: set \"cgroupParent\": \"system.slice/portal-jobs.service\" in $policy, so that job cgroups go in the cgroup systemd delegates to the launcher (docs/operations.md).")
  systemctl enable --quiet portal.service
  systemctl restart portal.service
  say "portal.service enabled and (re)started"
  todo+=("On the first start the portal prints the first admin's one-time password once: journalctl -u portal | grep -A1 'First admin'")
else
  say "installed $unit; systemd is not running here, so nothing was started"
  todo+=("systemd is not running: start the portal as its account, e.g. cd $app_dir && runuser -u $portal_user -- env \$(grep -v '^#' $env_file) $dotnet Portal.Web.dll")
fi

todo+=("Put a TLS reverse proxy in front of $urls: see deploy/proxy/nginx-portal.conf (or caddy). Until then keep PORTAL_REQUIRE_HTTPS=false for plain http.")
todo+=("Name the proxy (Portal__ForwardedHeaders__KnownProxies__0, or a Unix socket with TrustUnixSocket) and the metrics scraper (Portal__Metrics__Scrapers__0 or Portal__Metrics__TokenFile) in $env_file: until then client addresses are the proxy's and /metrics answers nobody (docs/operations.md).")
todo+=("Linux password sign-in uses /etc/pam.d/portal (common-auth, common-account); members of $group sign in with their Linux password.")
todo+=("Add the people who may run jobs to the group: usermod -aG $group NAME, then run this script again to give them subordinate ids.")
todo+=("Review $policy: mount roots beyond the users' homes, GPUs, device ACL mode (docs/launcher.md).")
echo
echo "Done. Still to do:"
for item in "${todo[@]}"; do echo "  - $item"; done
