#!/usr/bin/env bash
# Runs the portal on http://127.0.0.1:5080 for development or a quick trial.
# With no connection string configured it creates a private PostgreSQL cluster under the data
# folder, applies migrations and, on first run, prints the first admin's one-time password.
# It also readies a first job (deploy/dev/quickstart.sh): the launcher with a development policy, the Linux
# account the first admin is bound to, and a sample image in that account's storage.
# Ctrl-C stops the portal and its private database. Extra arguments go to the portal,
# e.g. --Portal:DataDirectory=/srv/portal-data or --urls=http://127.0.0.1:6000.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/dev/prerequisites.sh
source deploy/dev/quickstart.sh
ensure_prerequisites portal

if [[ $(id -u) -eq 0 ]]; then
  echo "Note: running as root. Jobs still never run as root: the launcher drops to each owner's UID."
  echo "      The production install (deploy/) runs the portal as the unprivileged 'portal' account instead."
fi

dotnet build src/Portal.Web -c Release -nologo -v quiet -clp:ErrorsOnly
quickstart "$@"
echo
printf '  %s\n' "${QS_SUMMARY[@]}"
echo
# Later arguments win: the caller's own settings override the quick start's.
exec dotnet run --project src/Portal.Web -c Release --no-build --no-launch-profile -- "${QS_ARGS[@]}" "$@"
