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

// ContainerTLSDir is where the TLS files of tls.source "files" are mounted;
// ContainerSecretsDir is where compose mounts secrets.
const (
	ContainerTLSDir     = "/etc/azagen/tls"
	ContainerSecretsDir = "/run/secrets"
)

// TLSFiles are the TLS files of one service: the container paths its
// programs read, and the operator's files they come from (relative to the
// stack's directory or absolute). Cert and Key are empty for a service that
// serves no TLS (the exporters); every service has the CA it verifies with.
type TLSFiles struct {
	Cert, Key, CA             string
	HostCert, HostKey, HostCA string
}

// ServesTLS reports whether a service of this kind accepts TLS connections,
// and so needs a certificate and key of its own.
func ServesTLS(kind string) bool { return kind == KindPostgres || kind == KindPgBouncer }

// TLSHostFile is the operator's file name in the stack's tls.dir for a
// service's certificate (ext "crt") or key (ext "key"): the layout
// `azagen certs` writes.
func TLSHostFile(svc, ext string) string { return svc + "." + ext }

// ServiceTLSFiles lists the TLS files of svc in stack st.
func ServiceTLSFiles(st *Stack, svc *Service) TLSFiles {
	join := func(name string) string {
		if path.IsAbs(name) || st.TLS.Dir == "" {
			return name
		}
		return path.Join(st.TLS.Dir, name)
	}
	// Relative host paths keep the "./" compose reads them with.
	host := func(name string) string {
		p := join(name)
		if !path.IsAbs(p) && !hasDotPrefix(p) {
			p = "./" + p
		}
		return p
	}
	f := TLSFiles{HostCA: host(st.TLS.CA)}
	inContainer := func(secret, file string) string {
		if st.TLS.Source == TLSSourceSecrets {
			return path.Join(ContainerSecretsDir, secret)
		}
		return path.Join(ContainerTLSDir, file)
	}
	f.CA = inContainer(TLSSecretName("", "ca"), "ca.crt")
	if ServesTLS(svc.Kind) {
		f.HostCert, f.HostKey = host(TLSHostFile(svc.Key, "crt")), host(TLSHostFile(svc.Key, "key"))
		f.Cert = inContainer(TLSSecretName(svc.Key, "crt"), "server.crt")
		f.Key = inContainer(TLSSecretName(svc.Key, "key"), "server.key")
	}
	return f
}

// TLSSecretName is the compose secret of a service's certificate or key, or
// (svc empty) of the stack's CA.
func TLSSecretName(svc, what string) string {
	if svc == "" {
		return "tls_" + what
	}
	return "tls_" + svc + "_" + what
}

func hasDotPrefix(p string) bool { return len(p) >= 2 && p[0] == '.' && (p[1] == '/' || p[1] == '.') }

// K8sDir is the CloudNativePG output directory of a stack.
func K8sDir(stack string) string { return path.Join("k8s", stack) }

// Paths of a stack's CloudNativePG manifests.
func K8sImageCatalogPath(stack string) string { return path.Join(K8sDir(stack), "imagecatalog.yaml") }

// K8sClusterPath is the Cluster of a stack.
func K8sClusterPath(stack string) string { return path.Join(K8sDir(stack), "cluster.yaml") }

// K8sPoolerPath is the rw Pooler of a stack.
func K8sPoolerPath(stack string) string { return path.Join(K8sDir(stack), "pooler-rw.yaml") }

// K8sMonitoringPath holds the custom-queries ConfigMap of a stack.
func K8sMonitoringPath(stack string) string { return path.Join(K8sDir(stack), "monitoring.yaml") }

// K8sPodMonitorsPath holds the PodMonitors of the cluster and the pooler.
func K8sPodMonitorsPath(stack string) string { return path.Join(K8sDir(stack), "podmonitors.yaml") }

// K8sSecretsExamplePath lists the Secrets the manifests reference, names and
// keys only.
func K8sSecretsExamplePath(stack string) string {
	return path.Join(K8sDir(stack), "secrets.example.yaml")
}

// K8sNotesPath is the rendered note of what the Kubernetes target does not
// carry over.
func K8sNotesPath(stack string) string { return path.Join(K8sDir(stack), "NOTES.md") }
