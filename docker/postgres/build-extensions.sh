#!/usr/bin/env bash
# Builds the source entries of extensions.manifest.json (install: source, not
# disabled): fetch the pinned commit, apply the entry's build.patches, build,
# install under --dest. It is the one place patches are applied.
#
# Usage: build-extensions.sh [options] MANIFEST [NAME...]
#   --dest DIR      install root (DESTDIR); default /opt/ext-out
#   --patches DIR   where patch files named in build.patches live; default
#                   the patches/ directory beside this script
#   --sources DIR   use DIR/<name> as the already fetched source tree instead
#                   of fetching (the tests use it)
#   --steps LIST    comma-separated subset of fetch,patch,build; default all
#   --pg-config P   pg_config of the target server; default
#                   /usr/lib/postgresql/18/bin/pg_config
# NAME limits the run to those entries.
#
# A build.patches item is one of
#   {"file": "name.patch"}                        applied with git apply
#   {"sed": {"file": F, "anchor": A, "replace": R}}
# The sed form replaces the fixed string A (not a regular expression) in F,
# which must contain it on exactly one line. A patch that does not apply, or
# an anchor that matches no line or several, stops the build with
# "build-extensions: <entry>: patch <n> ...". There is no fallback.
set -Eeuo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dest=/opt/ext-out
patch_dir=$here/patches
sources=''
steps=fetch,patch,build
pg_config=/usr/lib/postgresql/18/bin/pg_config
work=${TMPDIR:-/tmp}/build-extensions

die() {
	printf 'build-extensions: %s\n' "$*" >&2
	exit 1
}

while [ "$#" -gt 0 ]; do
	case $1 in
	--dest) dest=$2 && shift 2 ;;
	--patches) patch_dir=$2 && shift 2 ;;
	--sources) sources=$2 && shift 2 ;;
	--steps) steps=$2 && shift 2 ;;
	--pg-config) pg_config=$2 && shift 2 ;;
	--) shift && break ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ "$#" -ge 1 ] || die "usage: build-extensions.sh [options] MANIFEST [NAME...]"
manifest=$1
shift

# Paths are made absolute: the patch and build steps change directory.
abs() {
	case $1 in
	/* | '') printf '%s' "$1" ;;
	*) printf '%s/%s' "$PWD" "$1" ;;
	esac
}
manifest=$(abs "$manifest")
patch_dir=$(abs "$patch_dir")
sources=$(abs "$sources")
dest=$(abs "$dest")
[ -r "$manifest" ] || die "cannot read $manifest"
command -v jq >/dev/null || die "jq is required"

want_step() { [[ ,$steps, == *",$1,"* ]]; }

# entry_field NAME JQ_PATH prints a field of the entry (empty if null).
entry_field() {
	jq -r --arg n "$1" ".entries[] | select(.name == \$n) | $2 // empty" "$manifest"
}

fetch() {
	local name=$1 dir=$2 repo commit
	repo=$(entry_field "$name" .source.repository)
	commit=$(entry_field "$name" .source.commit)
	[[ $commit =~ ^[0-9a-f]{40}$ ]] || die "$name: source.commit must be a full 40-digit commit hash"
	rm -rf "$dir"
	git init -q "$dir"
	git -C "$dir" fetch -q --depth 1 "$repo" "$commit" || die "$name: cannot fetch $commit from $repo"
	git -C "$dir" checkout -q FETCH_HEAD
	[ "$(git -C "$dir" rev-parse HEAD)" = "$commit" ] || die "$name: fetched $(git -C "$dir" rev-parse HEAD), want $commit"
}

# git_apply runs git apply in the source tree as its own root: it must not
# find a repository above it and resolve the patch's paths there.
git_apply() {
	local dir=$1
	shift
	(cd "$dir" && GIT_CEILING_DIRECTORIES=$(dirname "$dir") git apply "$@")
}

# replace_line replaces the fixed string $2 by $3 in file $1 with sed: both
# are escaped so that neither is read as a regular expression or
# replacement syntax, and \001 is the delimiter.
replace_line() {
	local d=$'\001' pattern replacement
	pattern=$(printf '%s' "$2" | sed -e 's/[][\\.*^$]/\\&/g')
	replacement=$(printf '%s' "$3" | sed -e 's/[\\&]/\\&/g')
	sed -i -e "s${d}${pattern}${d}${replacement}${d}" "$1"
}

apply_patches() {
	local name=$1 dir=$2 count i kind file anchor replace matches
	count=$(jq --arg n "$name" '[.entries[] | select(.name == $n) | .build.patches // [] | .[]] | length' "$manifest")
	for ((i = 0; i < count; i++)); do
		local item=".build.patches[$i]"
		local label="patch $((i + 1)) of $count"
		if [ -n "$(entry_field "$name" "$item.file")" ]; then
			kind="file"
		elif [ -n "$(entry_field "$name" "$item.sed.file")" ]; then
			kind="sed"
		else
			die "$name: $label: want {\"file\": ...} or {\"sed\": {\"file\", \"anchor\", \"replace\"}}"
		fi
		if [ "$kind" = file ]; then
			file=$(entry_field "$name" "$item.file")
			[ -r "$patch_dir/$file" ] || die "$name: $label: patch file $patch_dir/$file not found"
			if ! git_apply "$dir" --check "$patch_dir/$file" 2>"$work/apply.err"; then
				die "$name: $label: $file does not apply: $(tr '\n' ' ' <"$work/apply.err")"
			fi
			git_apply "$dir" "$patch_dir/$file"
			printf 'build-extensions: %s: applied %s\n' "$name" "$file" >&2
			continue
		fi
		file=$(entry_field "$name" "$item.sed.file")
		anchor=$(entry_field "$name" "$item.sed.anchor")
		replace=$(jq -r --arg n "$name" ".entries[] | select(.name == \$n) | $item.sed.replace | if . == null then error(\"missing\") else . end" "$manifest" 2>/dev/null) ||
			die "$name: $label: sed needs a replace string"
		[ -n "$anchor" ] || die "$name: $label: sed needs a non-empty anchor"
		if [[ $anchor$replace == *[$'\n\001']* ]]; then
			die "$name: $label: anchor and replace must be single lines"
		fi
		[ -f "$dir/$file" ] || die "$name: $label (sed on $file): $file does not exist in the source tree"
		matches=$(grep -cF -- "$anchor" "$dir/$file" || true)
		if [ "$matches" != 1 ]; then
			die "$name: $label (sed on $file): anchor '$anchor' matches $matches lines, want exactly 1; the upstream source changed, so update or drop the patch"
		fi
		replace_line "$dir/$file" "$anchor" "$replace"
		grep -qF -- "$replace" "$dir/$file" || die "$name: $label (sed on $file): the replacement did not land"
		printf 'build-extensions: %s: patched %s\n' "$name" "$file" >&2
	done
}

# pgrx_version prints the pgrx version a crate depends on (after patches).
pgrx_version() {
	sed -n -E 's/^pgrx[[:space:]]*=[[:space:]]*(\{[^}]*version[[:space:]]*=[[:space:]]*)?"=?([0-9][0-9.]*)".*/\2/p' "$1/Cargo.toml" | head -n 1
}

build() {
	local name=$1 dir=$2 type subdir src jobs
	type=$(entry_field "$name" .build.type)
	subdir=$(entry_field "$name" .build.subdir)
	src=$dir${subdir:+/$subdir}
	jobs=$(nproc)
	case $type in
	pgxs)
		make -C "$src" USE_PGXS=1 PG_CONFIG="$pg_config" -j"$jobs"
		make -C "$src" USE_PGXS=1 PG_CONFIG="$pg_config" DESTDIR="$dest" install
		;;
	bootstrap)
		local -a args
		mapfile -t args < <(jq -r --arg n "$name" '.entries[] | select(.name == $n) | .build.args // [] | .[]' "$manifest")
		(cd "$src" && ./bootstrap -DCMAKE_BUILD_TYPE=Release -DPG_CONFIG="$pg_config" "${args[@]}")
		make -C "$src/build" -j"$jobs"
		make -C "$src/build" DESTDIR="$dest" install
		;;
	cargo-pgrx)
		local pgrx features root
		pgrx=$(pgrx_version "$src")
		[ -n "$pgrx" ] || die "$name: cannot read the pgrx version from $src/Cargo.toml"
		features=$(jq -r --arg n "$name" '.entries[] | select(.name == $n) | .build.features // [] | join(",")' "$manifest")
		# One cargo-pgrx per pgrx version: the two must match exactly.
		root=/usr/local/cargo-pgrx/$pgrx
		if [ ! -x "$root/bin/cargo-pgrx" ]; then
			cargo install --locked --root "$root" cargo-pgrx --version "=$pgrx"
			PATH=$root/bin:$PATH cargo pgrx init --pg18 "$pg_config"
		fi
		local -a flags=(--pg-config "$pg_config" --out-dir "$dest")
		[ -z "$features" ] || flags+=(--features "$features")
		[ "$(entry_field "$name" .build.no_default_features)" != true ] || flags+=(--no-default-features)
		(cd "$src" && PATH=$root/bin:$PATH cargo pgrx package "${flags[@]}")
		;;
	*) die "$name: unknown build.type '$type'" ;;
	esac
}

mapfile -t names < <(jq -r '.entries[] | select(.install == "source" and .enabled != false) | .name' "$manifest")
if [ "$#" -gt 0 ]; then
	for n in "$@"; do
		[[ " ${names[*]} " == *" $n "* ]] || die "$n: not a source entry of $manifest"
	done
	names=("$@")
fi
mkdir -p "$work"
if want_step build; then
	mkdir -p "$dest"
fi
for name in "${names[@]}"; do
	if [ -n "$sources" ]; then
		dir=$sources/$name
		[ -d "$dir" ] || die "$name: no source tree at $dir"
	else
		dir=$work/$name
		if want_step fetch; then
			fetch "$name" "$dir"
		fi
	fi
	if want_step patch; then
		apply_patches "$name" "$dir"
	fi
	if want_step build; then
		printf 'build-extensions: %s: building\n' "$name" >&2
		build "$name" "$dir"
	fi
done
printf 'build-extensions: done: %s\n' "${names[*]}" >&2
