package model

import "path"

// Paths of rendered files, relative to the output root (generated/). They
// live here because compose mounts and the renderers must agree on them.
const (
	BaseConfPath        = "postgres/postgresql-base.conf"
	ExporterQueriesPath = "postgres/postgres_exporter_queries.yaml"
)

// Paths of the image's rendered files, relative to the output root. The
// Dockerfile in docker/postgres copies them into the image (its build
// context is the repository root).
const (
	EntrypointPath     = "postgres/docker-auto-config-entrypoint.sh"
	HealthcheckPath    = "postgres/healthcheck.sh"
	ExtensionsInitPath = "postgres/initdb/01-extensions.sh"
)

// StackDir is the output directory of a stack.
func StackDir(stack string) string { return path.Join("stacks", stack) }

// ComposePath is the compose file of a stack.
func ComposePath(stack string) string { return path.Join(StackDir(stack), "compose.yaml") }

// EnvExamplePath is the sample environment of a stack.
func EnvExamplePath(stack string) string { return path.Join(StackDir(stack), ".env.example") }

// PostgresConfPath is the per-stack postgresql.conf.
func PostgresConfPath(stack string) string {
	return path.Join(StackDir(stack), "configs", "postgresql-"+stack+".conf")
}

// HBAPath is the per-stack pg_hba.conf.
func HBAPath(stack string) string { return path.Join(StackDir(stack), "configs", "pg_hba.conf") }

// PgBouncerIniPath is the pgbouncer.ini of a stack.
func PgBouncerIniPath(stack string) string {
	return path.Join(StackDir(stack), "configs", "pgbouncer.ini")
}

// PgBouncerEntrypointPath is the PgBouncer entrypoint script of a stack.
func PgBouncerEntrypointPath(stack string) string {
	return path.Join(StackDir(stack), "scripts", "pgbouncer-entrypoint.sh")
}

// RolesInitPath is the initdb script that creates the stack's roles.
func RolesInitPath(stack string) string {
	return path.Join(StackDir(stack), "initdb", "10-azagen-roles.sh")
}

// ReconcilePath is the day-2 script that re-applies the roles script on
// every start of a primary or single server.
func ReconcilePath(stack string) string {
	return path.Join(StackDir(stack), "scripts", "postgres-reconcile.sh")
}

// ContainerOfficialEntrypoint is the official postgres image's entrypoint,
// which the auto-config entrypoint execs unless AZAGEN_EXEC names another.
const ContainerOfficialEntrypoint = "/usr/local/bin/docker-entrypoint.sh"

// ReplicaBootstrapPath is the replica's bootstrap entrypoint.
func ReplicaBootstrapPath(stack string) string {
	return path.Join(StackDir(stack), "scripts", "replica-bootstrap.sh")
}

// Container paths the rendered files are mounted at.
const (
	ContainerConfPath     = "/etc/postgresql/postgresql.conf"
	ContainerHBAPath      = "/etc/postgresql/pg_hba.conf"
	ContainerBaseConfPath = "/etc/postgresql/postgresql-base.conf"
	ContainerDataPath     = "/var/lib/postgresql"
	ContainerBackupPath   = "/backup"
	ContainerInitdbDir    = "/docker-entrypoint-initdb.d"
	ContainerPgBouncerIni = "/etc/pgbouncer/pgbouncer.ini"
	ContainerAzagenDir    = "/opt/azagen"
	ContainerQueriesPath  = "/etc/postgres_exporter/queries.yaml"
	ContainerPgBouncerRun = "/tmp"
	ContainerPgpassPath   = "/tmp/.pgpass"
	ContainerUserlistPath = "/tmp/userlist.txt"
	// ContainerPgBouncerTunables is the ini the PgBouncer entrypoint writes
	// from the tunables' variables; pgbouncer.ini includes it last, so its
	// values replace the defaults written above the include.
	ContainerPgBouncerTunables = "/tmp/pgbouncer-tunables.ini"
	ContainerImageEntrypoint   = "/usr/local/bin/docker-auto-config-entrypoint.sh"
)

// ContainerPGDataDefault is PGDATA of the PostgreSQL 18 image the aza-pg
// image builds on: a directory below the data volume, so a failed copy can
// be renamed into place atomically.
const ContainerPGDataDefault = ContainerDataPath + "/18/docker"
