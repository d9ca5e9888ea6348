#!/usr/bin/env bash
# Runs the whole test suite from a clean clone: installs what the tests need (as root), starts a
# private PostgreSQL cluster for them, builds, runs every test project and prints one summary line.
# Arguments, if any, go to `dotnet test` instead of the whole solution (one project, a --filter).
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/dev/prerequisites.sh
ensure_prerequisites tests

# The fixtures make throwaway Linux accounts (ptest-*, pweb-*, pprod-*), fixed test files (policies, PAM services,
# session folders, fake GPU nodes) and the session tests' echo apps, and remove them again, also when a test fails.
# A run that was killed cannot: remove what an earlier run left before this one starts.
tests/throwaway-accounts.sh sweep

work=$(mktemp -d /tmp/portal-tests.XXXXXX)
chmod 0755 "$work"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pg_data="$work/pg/data"
pg_run="$work/pg/run"
mkdir -p "$pg_data" "$pg_run"
chmod 0700 "$pg_data" "$pg_run"

as_pg() {
  # PostgreSQL refuses to run as root; the cluster belongs to Debian's postgres account then.
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cleanup() {
  as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

[[ $(id -u) -eq 0 ]] && chown -R postgres:postgres "$work/pg"
as_pg "$pg_bin/initdb" -D "$pg_data" -U portal --auth-local=trust --auth-host=reject -E UTF8 --no-locale >/dev/null
cat >>"$pg_data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$pg_run'
max_connections = 500
fsync = off
CONF
as_pg "$pg_bin/pg_ctl" -D "$pg_data" -l "$work/pg/postgres.log" -w start >/dev/null
export PORTAL_TEST_POSTGRES="Host=$pg_run;Username=portal;Database=postgres"

dotnet build Portal.sln -nologo -v quiet -clp:ErrorsOnly

# The launcher under test is the NativeAOT build, as installed, but it trusts a test policy path
# (fixed at build time); the test fixtures write that policy, root-owned, themselves. It looks for the NVIDIA
# driver's files below a test folder, where DriverFilesTests build a fake driver.
dotnet publish src/Portal.Launcher -c Release -nologo -v quiet -clp:ErrorsOnly \
  -p:LauncherPolicyPath=/etc/portal-launcher-test/launcher.json \
  -p:LauncherDriverRoot=/var/lib/portal-launcher-test/driver -o "$work/launcher"
export PORTAL_TEST_LAUNCHER="$work/launcher/portal-launcher"
# The job runner's tests use a policy of their own, so they can run beside the launcher's.
dotnet publish src/Portal.Launcher -c Release -nologo -v quiet -clp:ErrorsOnly \
  -p:LauncherPolicyPath=/etc/portal-web-test/launcher.json -o "$work/web-launcher"
export PORTAL_TEST_WEB_LAUNCHER="$work/web-launcher/portal-launcher"

# The Slurm tests (tests/Portal.Slurm.Tests) run a one-node cluster of their own and a launcher with their own policy.
if [[ $# -eq 0 || "$*" == *Slurm* ]]; then
  dotnet publish src/Portal.Launcher -c Release -nologo -v quiet -clp:ErrorsOnly \
    -p:LauncherPolicyPath=/etc/portal-slurm-test/launcher.json -o "$work/slurm-launcher"
  export PORTAL_TEST_SLURM_LAUNCHER="$work/slurm-launcher/portal-launcher"
fi

# The production end-to-end test (tests/Portal.Production.Tests) installs these with deploy/install.sh: the portal
# and the launcher with its production policy path, published as install.sh would publish them.
if [[ $# -eq 0 || "$*" == *Production* ]]; then
  dotnet publish src/Portal.Web -c Release -nologo -v quiet -clp:ErrorsOnly -o "$work/production/portal"
  dotnet publish src/Portal.Launcher -c Release -nologo -v quiet -clp:ErrorsOnly -o "$work/production/launcher"
  export PORTAL_TEST_PRODUCTION_PORTAL="$work/production/portal"
  export PORTAL_TEST_PRODUCTION_LAUNCHER="$work/production/launcher/portal-launcher"
fi

log="$work/test-output.log"
# Why a fixture could not remove its accounts (tests/throwaway-accounts.sh writes it): a fixture's own error output
# does not always reach this log, so it is printed below when the run leaves something behind.
export PORTAL_TEST_CLEANUP_LOG="$work/cleanup.log"
status=0
# Arguments narrow the run, e.g. tests/run.sh tests/Portal.Web.Tests --filter FullyQualifiedName~Quota
if [[ $# -gt 0 ]]; then targets=("$@"); else targets=(Portal.sln); fi
# One test project at a time (-m:1): the web and browser tests share the job host's fixed throwaway accounts
# (pweb-*), and a fixture removing them at its end must not race another project still using them.
dotnet test "${targets[@]}" --no-build -nologo -m:1 2>&1 | tee "$log" || status=$?

# Nothing of the throwaway accounts may outlive the run: no account, group, subordinate-id line, process or test file.
if ! leftovers=$(tests/throwaway-accounts.sh leftovers); then
  echo "The tests left these behind (the next run removes them first):"
  echo "$leftovers"
  if [[ -s $PORTAL_TEST_CLEANUP_LOG ]]; then
    echo "What the removals said:"
    cat "$PORTAL_TEST_CLEANUP_LOG"
  fi
  status=1
fi

# One closing line for the whole run: "N passed, N failed".
awk '/^(Passed|Failed)!/ {
       for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1)); if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
