# Sourced by deploy/dev/run.sh: makes the quick start end in a job that can run, with no other command.
#   - the launcher, built from this checkout into the data folder, with a development policy next to it;
#   - the Linux account the first admin is bound to (run as root: the sudo caller where the launcher accepts
#     that account, else an unprivileged account made for it), in the policy's group, with subordinate ids;
#   - a sample image in that account's own rootless storage, built offline from the host's busybox.
# It sets QS_ARGS (arguments for the portal) and QS_SUMMARY (lines to print next to the URL).

QS_SAMPLE_IMAGE=localhost/portal-sample:latest
# Accounts in these groups can become root or read secrets; the launcher never acts as one (src/Portal.Launcher.Protocol/AccountRules.cs).
QS_PRIVILEGED_GROUPS=(root sudo wheel admin adm docker lxd incus-admin libvirt disk shadow portal)

qs_say() { QS_SUMMARY+=("$*"); }

# The data folder the portal will use: --Portal:DataDirectory=... if given, else its default (PortalPaths).
qs_data_dir() {
  local arg dir=""
  for arg in "$@"; do
    case $arg in --Portal:DataDirectory=*) dir=${arg#*=} ;; esac
  done
  if [[ -z $dir && -n ${Portal__DataDirectory:-} ]]; then dir=$Portal__DataDirectory; fi
  if [[ -z $dir ]]; then
    if [[ $(id -u) -eq 0 ]]; then dir=/var/lib/gpu-portal; else dir=${XDG_DATA_HOME:-$HOME/.local/share}/gpu-portal; fi
  fi
  realpath -m "$dir"
}

# Why the launcher would refuse to act as $1, or nothing.
qs_account_problem() {
  local name=$1 uid home group
  uid=$(id -u "$name" 2>/dev/null) || { echo "there is no account '$name'"; return; }
  ((uid >= 1000)) || { echo "'$name' is a system account (uid $uid)"; return; }
  home=$(getent passwd "$name" | cut -d: -f6)
  [[ $home == /home/?* ]] || { echo "'$name' has the home '$home', not below /home"; return; }
  for group in $(id -nG "$name"); do
    for privileged in "${QS_PRIVILEGED_GROUPS[@]}"; do
      [[ $group == "$privileged" ]] && { echo "'$name' is in the group '$group', and the launcher never acts as such an account"; return; }
    done
  done
}

# Same rule as deploy/install.sh: the lowest 65536-aligned block at or above $1 that no subordinate range and no
# listed uid or gid falls in (a range covering a real account would let its owner become that account).
qs_free_subid_block() {
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
      printf "%d\n", start
    }'
}

# Root: the account jobs run as, made ready (group, subordinate ids), in QS_ACCOUNT.
qs_root_account() {
  local group=$1 name problem start
  name=${PORTAL_QUICKSTART_ACCOUNT:-}
  if [[ -z $name && -n ${SUDO_USER:-} && $SUDO_USER != root ]]; then
    problem=$(qs_account_problem "$SUDO_USER")
    if [[ -z $problem ]]; then
      name=$SUDO_USER
    else
      qs_say "Jobs do not run as '$SUDO_USER', who started this through sudo: $problem."
    fi
  fi
  name=${name:-portal-demo}
  if ! id -u "$name" >/dev/null 2>&1; then
    useradd --create-home --home-dir "/home/$name" --shell /usr/sbin/nologin --comment "GPU box portal quick start" "$name"
    qs_say "Created the unprivileged Linux account '$name' for your jobs (it has no password and no login shell)."
  fi
  problem=$(qs_account_problem "$name")
  [[ -z $problem ]] || { echo "error: jobs cannot run as $problem; set PORTAL_QUICKSTART_ACCOUNT to another account." >&2; return 1; }
  QS_ACCOUNT=$name
  getent group "$group" >/dev/null || groupadd "$group"
  id -nG "$name" | tr ' ' '\n' | grep -qx "$group" || usermod -aG "$group" "$name"
  if ! grep -q "^$name:" /etc/subuid 2>/dev/null || ! grep -q "^$name:" /etc/subgid 2>/dev/null; then
    start=$(qs_free_subid_block "${PORTAL_SUBID_BASE:-2000224256}")
    usermod --add-subuids "$start-$((start + 65535))" --add-subgids "$start-$((start + 65535))" "$name"
  fi
}

# The development policy: no GPUs (list them to use them), the user's home as the only mount root.
qs_write_policy() {
  local file=$1 group=$2 dir=$3
  cat >"$file.new" <<JSON
{
  "version": 1,
  "minUid": 1000,
  "group": "$group",
  "podman": "/usr/bin/podman",
  "runtime": "runc",
  "allowNetwork": false,
  "mountRoots": [ { "userHome": true } ],
  "gpus": [],
  "pidsLimit": 1024,
  "logMaxBytes": 52428800,
  "auditLog": "$dir/audit.log",
  "stateDir": "$dir/state",
  "homeRoots": ["/home"],
  "privilegedGroups": [],
  "cgroupParent": "portal-quickstart"
}
JSON
  chmod 0644 "$file.new"
  mv -f "$file.new" "$file"
}

# Runs podman as $1 (root: dropped to that account, its own rootless storage). Storage made here is overlay, as
# the launcher's configuration makes it; podman's own default could pick vfs, which copies the image per container.
qs_podman_as() {
  local name=$1; shift
  local uid home
  uid=$(id -u "$name"); home=$(getent passwd "$name" | cut -d: -f6)
  # Also on every later call while the storage is overlay: left to its default, podman picks vfs, then prints an
  # error that its database overrides that choice.
  local storage=$home/.local/share/containers/storage
  if [[ ! -e $storage || -d $storage/overlay ]]; then set -- --storage-driver overlay "$@"; fi
  if [[ $(id -u) -ne 0 ]]; then podman "$@"; return; fi
  install -d -o root -g root -m 0755 /run/user
  install -d -o "$name" -g "$(id -g "$name")" -m 0700 "/run/user/$uid"
  (cd / && setpriv --reuid "$uid" --regid "$(id -g "$name")" --init-groups -- /usr/bin/env -i HOME="$home" USER="$name" \
    LOGNAME="$name" PATH=/usr/bin:/bin XDG_RUNTIME_DIR="/run/user/$uid" LANG=C.UTF-8 /usr/bin/podman "$@")
}

# The sample image: the host's static busybox and its applets, imported into the account's storage. No registry.
qs_sample_image() {
  local name=$1 work applet
  if qs_podman_as "$name" image exists "$QS_SAMPLE_IMAGE" 2>/dev/null; then return 0; fi
  if [[ ! -x /bin/busybox ]] || ! file_is_static /bin/busybox; then
    qs_say "No sample image: install busybox-static to get one ('apt-get install busybox-static')."
    return 0
  fi
  # Our own folder, opened so that the account podman runs as can read the archive in it.
  work=$(mktemp -d)
  chmod 0755 "$work"
  mkdir -p "$work"/rootfs/{bin,dev,proc,sys,tmp,etc,root}
  cp /bin/busybox "$work/rootfs/bin/busybox"
  for applet in $(/bin/busybox --list); do [[ -e $work/rootfs/bin/$applet ]] || ln -s busybox "$work/rootfs/bin/$applet"; done
  echo "root:x:0:0:root:/root:/bin/sh" >"$work/rootfs/etc/passwd"
  echo "root:x:0:" >"$work/rootfs/etc/group"
  tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
  chmod 0644 "$work/rootfs.tar"
  if qs_podman_as "$name" import --change "ENV PATH=/bin" "$work/rootfs.tar" "$QS_SAMPLE_IMAGE" >/dev/null; then
    qs_say "Built the sample image $QS_SAMPLE_IMAGE (the host's busybox) in $name's own image store."
  else
    qs_say "Could not build the sample image $QS_SAMPLE_IMAGE; the Host check page says what is missing."
  fi
  rm -rf "$work"
}

file_is_static() { ! ldd "$1" >/dev/null 2>&1; }

# Everything above, then the portal's arguments.
quickstart() {
  local data launcher account group
  QS_ARGS=(); QS_SUMMARY=()
  data=$(qs_data_dir "$@")
  launcher="$data/launcher"
  [[ -d $data ]] || install -d -m 0755 "$data"
  install -d -m 0755 "$launcher"

  # A JIT build is enough here and quicker than the NativeAOT publish of the installed launcher. Its policy path is
  # fixed at build time, as in production (the portal passes the launcher no environment).
  dotnet build src/Portal.Launcher -c Release -nologo -v quiet -clp:ErrorsOnly \
    -p:LauncherPolicyPath="$launcher/launcher.json" -o "$launcher/bin" >/dev/null

  if [[ $(id -u) -eq 0 ]]; then
    group=${PORTAL_QUICKSTART_GROUP:-portal-users}
    qs_root_account "$group" || return 1
    account=$QS_ACCOUNT
    qs_write_policy "$launcher/launcher.json" "$group" "$launcher"
    chown -R root:root "$launcher"
    QS_ARGS+=("--Portal:FirstAdminLinuxAccount=$account")
    qs_say "Jobs run as the Linux account '$account' (group $group), through the launcher in $launcher/bin with the development policy $launcher/launcher.json."
  else
    account=$(id -un)
    group=$(id -gn)
    qs_write_policy "$launcher/launcher.json" "$group" "$launcher"
    qs_say "Jobs run as you ('$account'), through the launcher in $launcher/bin acting only as you (policy $launcher/launcher.json)."
  fi
  QS_ARGS+=("--Portal:Launcher:LauncherPath=$launcher/bin/portal-launcher")

  qs_sample_image "$account"
  if qs_podman_as "$account" image exists "$QS_SAMPLE_IMAGE" 2>/dev/null; then
    QS_ARGS+=("--Portal:SampleImage=$QS_SAMPLE_IMAGE")
    qs_say "Sign in as admin with the one-time password below; the home page offers \"Run your first job\" with $QS_SAMPLE_IMAGE."
  fi
}
