#!/bin/sh
# Regenerate postgres_exporter.tsv from the pinned postgres_exporter of the
# test rootfs (scripts/install-test-deps.sh) scraping a real PostgreSQL 18.
# Run it when the exporter pin changes (update Version in names.go first);
# TestNamesMatchExporter fails until the file matches again.
set -eu
cd "$(dirname "$0")"
exec go test -count=1 -run '^TestNamesMatchExporter$' . -args -update
