#!/usr/bin/env bash
# The stand-in for /usr/local/bin/docker-entrypoint.sh of the official postgres:18 image, the
# one file of the aza-pg image that no Debian package provides. It does what that entrypoint
# does for a container started as the postgres user with `postgres ...`:
#   - an empty $PGDATA (default /var/lib/postgresql/18/docker): initdb as POSTGRES_USER with
#     POSTGRES_PASSWORD (required) and POSTGRES_INITDB_ARGS, then a temporary server on the Unix
#     socket only, started with the container's own arguments; POSTGRES_DB created unless it is
#     "postgres"; every /docker-entrypoint-initdb.d/*.sh run (executable) or sourced, *.sql fed
#     to psql, with PGPASSWORD set; the temporary server stopped;
#   - then exec "$@".
set -Eeuo pipefail

if [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi
export PGDATA=${PGDATA:-/var/lib/postgresql/18/docker}
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
export POSTGRES_USER POSTGRES_DB

if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
	if [ -z "${POSTGRES_PASSWORD:-}" ]; then
		echo 'Error: Database is uninitialized and superuser password is not specified.' >&2
		exit 1
	fi
	mkdir -p "$PGDATA"
	chmod 00700 "$PGDATA"
	# shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words, as upstream reads it
	initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") ${POSTGRES_INITDB_ARGS:-}
	export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
	args=("${@:2}" -c listen_addresses='' -p "${PGPORT:-5432}")
	PGUSER="${PGUSER:-$POSTGRES_USER}" pg_ctl -D "$PGDATA" -o "$(printf '%q ' "${args[@]}")" -w start
	psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
	if [ "$POSTGRES_DB" != postgres ]; then
		"${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db" ;'
	fi
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
		*.sh)
			if [ -x "$f" ]; then
				echo "running $f"
				"$f"
			else
				echo "sourcing $f"
				# shellcheck disable=SC1090
				. "$f"
			fi
			;;
		*.sql)
			echo "running $f"
			"${psql[@]}" --dbname "$POSTGRES_DB" -f "$f"
			;;
		*) echo "ignoring $f" ;;
		esac
	done
	PGUSER="${PGUSER:-postgres}" pg_ctl -D "$PGDATA" -m fast -w stop
	unset PGPASSWORD
	echo 'PostgreSQL init process complete; ready for start up.'
fi
exec "$@"
