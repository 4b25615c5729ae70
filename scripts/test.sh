#!/usr/bin/env bash
# Runs every test of the repository, including the integration tests on real
# PostgreSQL 18, PgBouncer, postgres_exporter, shellcheck, dclint and
# pre-commit. As root it first installs those programs (idempotent); as
# another user it uses what is installed and integration tests skip (or
# fail, when CI is set) if something is missing.
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

unformatted=$(git ls-files -z '*.go' | xargs -0 gofmt -l)
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi
go vet ./...
go test -count=1 ./...

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
