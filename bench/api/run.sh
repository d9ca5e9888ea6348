#!/bin/bash
# Throughput and tail latency of GET /api/v1/jobs (50 rows, bearer token, real PostgreSQL) under wrk on
# loopback. Not a test: it prints numbers.
#
#   bench/api/run.sh [seconds] [connections]      (root: installs wrk and runs PostgreSQL as `postgres`)
#   PORTAL_PUBLISHED=DIR bench/api/run.sh ...     (runs a portal already published to DIR, e.g. so a shared
#                                                  machine's benchmark lock is not held while building)
#
# It starts a throwaway PostgreSQL cluster, publishes and starts the portal (Release, Production environment,
# rate limit out of reach, warnings-only logging), creates one user with a jobs:read token directly in the
# database (only the token's SHA-256 is stored, as the portal does), submits 50 jobs through the API itself,
# warms up, then runs wrk. Target on the 2-core development box: >= 3000 requests/s with p99 <= 50 ms.
set -euo pipefail

seconds=${1:-30}
connections=${2:-32}
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/portal-bench-api.XXXXXX)
chmod 0755 "$work"
port=5097
url="http://127.0.0.1:$port"

[ "$(id -u)" -eq 0 ] || { echo "run.sh: run as root" >&2; exit 1; }
if ! command -v wrk >/dev/null; then
  echo "== installing wrk" >&2
  apt-get install -y wrk >&2
fi

pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pg_data="$work/pg/data"
pg_run="$work/pg/run"
portal_pid=""
cleanup() {
  [ -n "$portal_pid" ] && kill "$portal_pid" 2>/dev/null && wait "$portal_pid" 2>/dev/null || true
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
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

portal_dir=${PORTAL_PUBLISHED:-}
if [ -z "$portal_dir" ]; then
  echo "== publishing the portal" >&2
  portal_dir="$work/portal"
  dotnet publish "$repo/src/Portal.Web" -c Release -o "$portal_dir" --nologo -v q -clp:ErrorsOnly >&2
fi

echo "== starting the portal on $url" >&2
ConnectionStrings__Portal="Host=$pg_run;Username=portal;Database=portal" \
Portal__DataDirectory="$work/data" \
Portal__Api__RequestsPerSecond=10000000 Portal__Api__Burst=10000000 \
Portal__Gpus__SearchPath=/nonexistent-bench \
Logging__LogLevel__Default=Warning \
ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS="$url" \
  dotnet "$portal_dir/Portal.Web.dll" >"$work/portal.log" 2>&1 &
portal_pid=$!
for _ in $(seq 1 120); do
  curl -fsS "$url/healthz" >/dev/null 2>&1 && break
  kill -0 "$portal_pid" 2>/dev/null || { cat "$work/portal.log" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "$url/healthz" >/dev/null || { echo "the portal did not get ready" >&2; cat "$work/portal.log" >&2; exit 1; }

echo "== seeding a user, a token and 50 jobs" >&2
token="gpp_$(head -c 32 /dev/urandom | basenc --base64url | tr -d '=\n')"
hash=$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)
user_id=$(cat /proc/sys/kernel/random/uuid)
psql_portal <<SQL
INSERT INTO "AspNetUsers" ("Id", "UserName", "NormalizedUserName", "EmailConfirmed", "SecurityStamp", "PhoneNumberConfirmed",
  "TwoFactorEnabled", "LockoutEnabled", "AccessFailedCount", "LinuxUserName", "LinuxUid", "IsDisabled", "MustChangePassword", "CreatedAt")
VALUES ('$user_id', 'bench', 'BENCH', false, md5(random()::text), false, false, true, 0, 'pbench-api', 60001, false, false, now());
INSERT INTO "ApiTokens" ("UserId", "Name", "SecretHash", "DisplayPrefix", "Scopes", "CreatedAt", "ExpiresAt")
VALUES ('$user_id', 'bench', decode('$hash', 'hex'), '${token:0:10}', ARRAY['jobs:read','jobs:write'], now(), now() + interval '1 day');
SQL
for i in $(seq 1 50); do
  curl -fsS -o /dev/null -X POST "$url/api/v1/jobs" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"name\":\"bench-$i\",\"image\":\"localhost/bench:latest\",\"command\":[\"true\"],\"memoryMiB\":256}"
done
rows=$(curl -fsS "$url/api/v1/jobs?take=50" -H "Authorization: Bearer $token" | grep -o '"id":' | wc -l)
[ "$rows" -eq 50 ] || { echo "expected 50 rows, got $rows" >&2; exit 1; }

echo "== warm-up (20 s: the JIT needs it on a busy machine)" >&2
wrk -t2 -c"$connections" -d20s -H "Authorization: Bearer $token" "$url/api/v1/jobs?take=50" >/dev/null

# CPU time (clock ticks) of a process, and of the PostgreSQL server with all its backends: divided by the requests
# served, the cost of one request, which a busy shared machine does not distort the way it distorts requests/s.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
pg_ticks() {
  local master total=0
  master=$(head -n 1 "$pg_data/postmaster.pid")
  # A backend may exit between pgrep and the read (the pool's idle pruning): it counts as 0.
  for p in "$master" $(pgrep -P "$master"); do total=$((total + $(ticks "$p" 2>/dev/null || echo 0))); done
  echo "$total"
}
hz=$(getconf CLK_TCK)

echo "== wrk: ${seconds} s, $connections connections, 2 threads (load average before: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
portal_before=$(ticks "$portal_pid"); pg_before=$(pg_ticks)
result=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency -H "Authorization: Bearer $token" "$url/api/v1/jobs?take=50")
portal_after=$(ticks "$portal_pid"); pg_after=$(pg_ticks)
echo "$result"
requests=$(echo "$result" | awk '/requests in/ {print $1}')
rps=$(echo "$result" | awk '/^Requests\/sec:/ {print $2}')
p99=$(echo "$result" | awk '$1 == "99%" {print $2}')
non2xx=$(echo "$result" | awk '/Non-2xx/ {print $5}')
echo
echo "GET /api/v1/jobs (50 rows): $rps requests/s, p99 $p99, non-2xx ${non2xx:-0}  (target >= 3000 requests/s, p99 <= 50 ms)"
awk -v r="$requests" -v hz="$hz" -v p=$((portal_after - portal_before)) -v g=$((pg_after - pg_before)) 'BEGIN {
  pm = p * 1000 / hz / r; gm = g * 1000 / hz / r
  printf "CPU per request: portal %.3f ms, PostgreSQL %.3f ms; two otherwise idle cores would serve at most %.0f requests/s\n", pm, gm, 2000 / (pm + gm)
}'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
