#!/bin/sh
# Regenerate pg18-catalog.tsv from the real PostgreSQL 18 of the test rootfs
# (scripts/install-test-deps.sh installs it): dump_test.go starts a server,
# creates each known extension in a database of its own and dumps the names.
# Run it from anywhere after the rootfs's PostgreSQL or an extension pin
# changes; TestCatalogMatchesServer fails until the file matches again.
set -eu
cd "$(dirname "$0")"
exec go test -count=1 -run '^TestCatalogMatchesServer$' . -args -update
