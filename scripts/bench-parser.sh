#!/usr/bin/env bash
# Measures what PostgreSQL's parser costs azagen (docs/PERFORMANCE.md, "The
# SQL parser"): build time with an empty and a full build cache, binary size,
# and `azagen check` wall time on the repository's stacks.cue, for three
# builds: BASE (a commit before the parser, given as the first argument), cgo
# (libpg_query linked in, the default) and wasm (CGO_ENABLED=0: the same
# parser in WebAssembly, run by wazero). Usage:
#   scripts/bench-parser.sh BASE_COMMIT [runs]    (default 11 runs of check)
# SKIP_COLD=1 skips the empty-cache builds, which take minutes each.
set -euo pipefail
cd "$(dirname "$0")/.."
base=$1 runs=${2:-11}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git archive "$base" | tar -x -C "$work" --one-top-level=base
export GOFLAGS=-mod=mod

# secs prints the wall time of a command, whatever it exits with (the base binary reports the
# newer rules table as drift in docs/).
secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); echo "$e - $s" | bc; }

# build times a build with an empty cache (cold; skipped with SKIP_COLD=1, which builds with
# the user's cache instead) and again with the cache it filled (warm).
build() { # name dir cgo
	local name=$1 dir=$2 cgo=$3 cold=- warm cache
	cache=$work/cache-$name
	if [ -n "${SKIP_COLD:-}" ]; then
		cache=$(go env GOCACHE)
		(cd "$dir" && CGO_ENABLED=$cgo go build -trimpath -o "$work/azagen-$name" ./cmd/azagen)
	else
		cold=$(cd "$dir" && GOCACHE=$cache CGO_ENABLED=$cgo secs go build -trimpath -o "$work/azagen-$name" ./cmd/azagen)
	fi
	warm=$(cd "$dir" && GOCACHE=$cache CGO_ENABLED=$cgo secs go build -trimpath -o "$work/azagen-$name" ./cmd/azagen)
	printf '%s\t%s\t%.2f\t%.1f\n' "$name" "$cold" "$warm" "$(echo "$(stat -c %s "$work/azagen-$name") / 1048576" | bc -l)"
}

echo -e "build\tcold s\twarm s\tbinary MiB"
build base "$work/base" 1
build cgo . 1
build wasm . 0

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo -e "\nbuild\tcheck median s (of $runs)"
for name in base cgo wasm; do
	for _ in $(seq "$runs"); do secs "$work/azagen-$name" check --no-cache; done | median | sed "s/^/$name\t/"
done
