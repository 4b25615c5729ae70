#!/bin/sh
# Regenerate pg18-settings.tsv from a running PostgreSQL 18 server.
#
# The server must have the extensions whose parameters the catalog should
# know in shared_preload_libraries (the committed file was dumped from
# 18.4 with 'pg_stat_statements,auto_explain'), because pg_settings only
# lists an extension's parameters once its library is loaded.
#
# Usage: PGHOST=... PGPORT=... PGUSER=... ./regen.sh > pg18-settings.tsv
# (any libpq environment works; -w never prompts for a password, so use
# PGPASSWORD or a .pgpass file).
#
# Notes on the format, which catalog.go's parser relies on:
#   - psql -A -F TAB prints one tab-separated row per setting plus a header
#     row; --pset footer=off drops the "(N rows)" line;
#   - NULL prints as the empty string (psql's default null display);
#   - enumvals is a text[]; array_to_string joins it with commas so that
#     values such as "repeatable read" are not quoted the way psql prints
#     arrays, and keeps an empty element (ssl_max_protocol_version's "");
#   - ORDER BY name COLLATE "C" makes the output byte-stable.
set -eu
exec psql -X -w -q -A -F "$(printf '\t')" --pset footer=off -d "${PGDATABASE:-postgres}" -c '
SELECT name, vartype, unit, min_val, max_val,
       array_to_string(enumvals, $$,$$) AS enumvals, boot_val, context
FROM pg_settings
ORDER BY name COLLATE "C"'
