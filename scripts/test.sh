#!/usr/bin/env bash
# Runs every test of the repository, including the integration tests on the
# real programs at the versions the stacks pin (PostgreSQL 18.6, PgBouncer,
# postgres_exporter 0.19.1, pgbouncer_exporter 0.12.0, pgBackRest, from a
# Debian sid root filesystem), shellcheck, dclint and pre-commit. As root it
# first installs those (idempotent); the integration tests chroot into the
# rootfs, so as another user they skip (or fail, when CI is set).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ]; then
	./scripts/install-test-deps.sh
else
	echo "test.sh: not root, using the test programs already installed" >&2
fi

export AZAGEN_TOOLS_DIR=${AZAGEN_TOOLS_DIR:-/opt/azagen-test-tools}
if [ -f "$AZAGEN_TOOLS_DIR/env.sh" ]; then
	# shellcheck disable=SC1091
	. "$AZAGEN_TOOLS_DIR/env.sh"
fi
# The versions this run tests against, first, so a log says what it proved.
echo "test.sh: $(go version)" >&2
if [ -f "$AZAGEN_TOOLS_DIR/versions.txt" ]; then
	sed 's/^/test.sh: /' "$AZAGEN_TOOLS_DIR/versions.txt" >&2
fi

unformatted=$(git ls-files -z '*.go' | xargs -0 gofmt -l)
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi
go vet ./...
# The integration tests start real servers; on a loaded 2-core machine the package takes
# minutes, so the default 10-minute budget per package is too tight.
go test -count=1 -timeout 45m ./...
# Without cgo, PostgreSQL's parser runs as WebAssembly (internal/sqlparse): the
# same checks must pass with that build, as a `go install` without gcc gets it.
CGO_ENABLED=0 go vet ./internal/sqlparse/ ./internal/sqlcheck/
CGO_ENABLED=0 go test -count=1 ./internal/sqlparse/ ./internal/sqlcheck/ ./internal/policy/

# Short fuzz runs: every Fuzz target for a fixed number of inputs beyond its
# committed seed corpus (which the plain test run above already replays).
# Counts, not durations: when a time budget expires while a worker is busy
# (a slow input, or minimizing one), go test fails the run with "context
# deadline exceeded", which made CI flaky on a loaded machine.
fuzztime=${AZAGEN_FUZZTIME:-20000x}
grep -rl --include='*_test.go' '^func Fuzz' . | while read -r file; do
	pkg=./$(dirname "${file#./}")
	grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //' | while read -r target; do
		budget=$fuzztime
		# FuzzOverlay evaluates CUE, about a thousand times slower per input.
		[ "$target" = FuzzOverlay ] && budget=${AZAGEN_FUZZ_OVERLAY_RUNS:-300x}
		echo "fuzz $pkg $target ($budget)" >&2
		if ! out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$budget" "$pkg" 2>&1); then
			printf '%s\n' "$out" >&2
			exit 1
		fi
	done
done
# The committed generated files must be what stacks.cue renders.
go run ./cmd/azagen check
