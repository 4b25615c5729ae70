// Package rules is the one catalogue of every rule ID azagen reports: the
// CUE load, normalization, policy, the checks on rendered compose files,
// drift against the output directory and the docs. Each stage reports its
// findings under the constants below; `azagen rules` and the docs rules
// table print All, and a test checks that every ID the code can emit is
// listed here and nowhere else spelled out.
package rules

import "github.com/azagen/azagen/internal/diag"

// Stage is when a rule is checked.
type Stage string

// Stages, in the order a compilation reaches them.
const (
	// StageInput: loading and normalizing the source (and compose-go's
	// verdict on what the source asked for).
	StageInput Stage = "input"
	// StageModel: policy over the whole normalized model.
	StageModel Stage = "model"
	// StageRendered: checks on the rendered compose files' bytes.
	StageRendered Stage = "rendered"
	// StageOutput: check, comparing the rendered files with the output
	// directory.
	StageOutput Stage = "output"
	// StageDocs: the generated tables and references in docs/.
	StageDocs Stage = "docs"
	// StageCerts: `azagen vet --certs DIR`, the certificates and keys in a
	// certificate directory.
	StageCerts Stage = "certs"
	// StageEnvFile: an operator's .env, checked by vet --env-file.
	StageEnvFile Stage = "env-file"
)

// Label is how the docs rules table names the stage ("Checked on").
func (s Stage) Label() string {
	switch s {
	case StageRendered:
		return "rendered compose files"
	case StageOutput:
		return "output directory"
	case StageCerts:
		return "certificate directory (vet --certs)"
	}
	return string(s)
}

// Rule is one entry of the catalogue.
type Rule struct {
	ID       string
	Severity diag.Severity
	Stage    Stage
	Summary  string
}

// Rule IDs.
const (
	// input
	CUESyntax    = "cue-syntax"
	CUESchema    = "cue-schema"
	Healthcheck  = "healthcheck"
	ComposeValid = "compose-valid"
	EvalBudget   = "eval-budget"
	// Environment is found while an environment's tunables are applied.
	Environment = "environment"
	// BackupSettingsDerived is found while normalize derives the archive
	// settings of a backed-up server.
	BackupSettingsDerived = "backup-settings-derived"
	// model (policy)
	ArchiveWalLevel        = "archive-wal-level"
	BackupPg1Path          = "backup-pg1-path"
	BackupRepoMounted      = "backup-repo-mounted"
	BackupRepoNotData      = "backup-repo-not-data"
	BackupRetentionFull    = "backup-retention-full"
	BackupScheduleFull     = "backup-schedule-full"
	BackupService          = "backup-service"
	ComposeLiteral         = "compose-literal"
	ConfigLoaded           = "config-loaded"
	EnvDerivedClash        = "env-derived-clash"
	EnvMessageSafe         = "env-message-safe"
	EnvVariableConsistent  = "env-variable-consistent"
	ExporterLeastPrivilege = "exporter-least-privilege"
	ExporterNamesOwned     = "exporter-names-owned"
	ExporterQueryColumns   = "exporter-query-columns"
	ExporterQueryResolves  = "exporter-query-resolves"
	ExporterQueryVersion   = "exporter-query-version"
	GucValid               = "guc-valid"
	HbaLeastPrivilege      = "hba-least-privilege"
	HealthcheckConsistent  = "healthcheck-consistent"
	HealthcheckTiming      = "healthcheck-timing"
	HostPortUnique         = "host-port-unique"
	LeastCapabilities      = "least-capabilities"
	MountImageLayout       = "mount-image-layout"
	ListenAdmitsPeers      = "listen-admits-peers"
	PgBouncerFDLimit       = "pgbouncer-fd-limit"
	PoolWithinLimits       = "pool-within-limits"
	PostgresPidsLimit      = "postgres-pids-limit"
	PortsAgree             = "ports-agree"
	PublishLoopback        = "publish-loopback"
	ReadOnlyRootfs         = "read-only-rootfs"
	ReferenceExists        = "reference-exists"
	ReplicaReachesPrimary  = "replica-reaches-primary"
	ReservationWithinLimit = "reservation-within-limit"
	ResourceLimits         = "resource-limits"
	SettingNotOverridden   = "setting-not-overridden"
	StacksPresent          = "stacks-present"
	StandbyNotBelowPrimary = "standby-not-below-primary"
	TLSMinProtocol         = "tls-min-protocol"
	TLSVerifyFull          = "tls-verify-full"
	SuperuserIdentity      = "superuser-identity"
	TunableRange           = "tunable-range"
	VolumeNameUnique       = "volume-name-unique"
	WalLevelSenders        = "wal-level-senders"
	// model (policy), Kubernetes target
	K8sHbaCIDR         = "k8s-hba-cidr"
	K8sImageMajor      = "k8s-image-major"
	K8sName            = "k8s-name"
	K8sPoolMode        = "k8s-pool-mode"
	K8sReplicaCluster  = "k8s-replica-cluster"
	K8sSettingOwned    = "k8s-setting-owned"
	K8sWalLevelMinimal = "k8s-wal-level-minimal"
	// rendered compose files (KICS docker-compose queries and azagen's own)
	KicsCgroupNotDefault                        = "kics/cgroup_not_default"
	KicsContainerTrafficNotBoundToHostInterface = "kics/container_traffic_not_bound_to_host_interface"
	KicsCpusNotLimited                          = "kics/cpus_not_limited"
	KicsDefaultSeccompProfileDisabled           = "kics/default_seccomp_profile_disabled"
	KicsDockerSocketMountedInContainer          = "kics/docker_socket_mounted_in_container"
	KicsHealthcheckNotSet                       = "kics/healthcheck_not_set"
	KicsHostNamespaceIsShared                   = "kics/host_namespace_is_shared"
	KicsMemoryNotLimited                        = "kics/memory_not_limited"
	KicsNetworksNotSet                          = "kics/networks_not_set"
	KicsNoNewPrivilegesNotSet                   = "kics/no_new_privileges_not_set"
	KicsParse                                   = "kics/parse"
	KicsPidsLimitNotSet                         = "kics/pids_limit_not_set"
	KicsPrivilegedContainersEnabled             = "kics/privileged_containers_enabled"
	KicsPrivilegedPortsMappedInContainer        = "kics/privileged_ports_mapped_in_container"
	KicsSecurityOptNotSet                       = "kics/security_opt_not_set"
	KicsSharedHostIpcNamespace                  = "kics/shared_host_ipc_namespace"
	KicsSharedHostNetworkNamespace              = "kics/shared_host_network_namespace"
	KicsSharedHostUserNamespace                 = "kics/shared_host_user_namespace"
	KicsVolumeHasSensitiveHostDirectory         = "kics/volume_has_sensitive_host_directory"
	SecretNotLiteral                            = "secret-not-literal"
	// output directory
	Drift = "drift"
	// docs
	DocsMarker        = "docs-marker"
	DocsUnknownTable  = "docs-unknown-table"
	DocsTable         = "docs-table"
	DocsDeadReference = "docs-dead-reference"
	// certificate directory
	TLSCertChain  = "tls-cert-chain"
	TLSCertExpiry = "tls-cert-expiry"
	TLSCertFiles  = "tls-cert-files"
	TLSCertNames  = "tls-cert-names"
	TLSKeyPrivate = "tls-key-private"
	// an operator's .env (vet --env-file)
	EnvFileDuplicate = "env-file-duplicate"
	EnvFileLiteral   = "env-file-literal"
	EnvFileRequired  = "env-file-required"
	EnvFileSyntax    = "env-file-syntax"
	EnvFileUnknown   = "env-file-unknown"
	EnvFileValue     = "env-file-value"
)

// All is every rule, in the order `azagen rules` and the docs print them:
// by stage, policy rules by ID.
var All = []Rule{
	{CUESyntax, diag.Error, StageInput, "stacks.cue or an overlay does not parse, has another package or imports a non-builtin package"},
	{CUESchema, diag.Error, StageInput, "a value breaks the CUE schema (type, bound, required field, unknown field)"},
	{Healthcheck, diag.Error, StageInput, "a healthcheck duration CUE accepted cannot be written in Compose's grammar"},
	{BackupSettingsDerived, diag.Error, StageInput, "a backed-up server does not set archive_mode, archive_command or restore_command: azagen derives them from the backup block"},
	// compose-go rejects a rendered file only for what the source asked
	// for (the renderers are trusted), so it is an input finding.
	{ComposeValid, diag.Error, StageInput, "a rendered compose file is not valid for compose-go"},
	{Environment, diag.Error, StageInput, "an environment has a name other than base, and sets tunables of stacks that declare them, to values in their range or set"},
	{EvalBudget, diag.Error, StageInput, "evaluating the source did not finish within --timeout: it asks CUE for values too large to check"},
	{ArchiveWalLevel, diag.Error, StageModel, "a server with archive_mode on has wal_level replica or logical (PostgreSQL refuses to start otherwise)"},
	{BackupPg1Path, diag.Error, StageModel, "pgbackrest.conf's pg1-path is the data directory of the image (PGDATA is not moved elsewhere)"},
	{BackupRepoMounted, diag.Error, StageModel, "the backup repository is exactly one of volume and host_path, and is mounted, at the path pgbackrest.conf names, in the service that runs pgBackRest"},
	{BackupRepoNotData, diag.Error, StageModel, "the backup repository is not on the data volume (losing the volume would lose the backups with it)"},
	{BackupRetentionFull, diag.Error, StageModel, "backup retention keeps at least one full backup"},
	{BackupScheduleFull, diag.Error, StageModel, "a backup schedule takes full backups (differential and incremental backups need one)"},
	{BackupService, diag.Error, StageModel, "a stack backs up one of its own postgres services, a primary or single server, never a standby"},
	{ComposeLiteral, diag.Error, StageModel, "a path compose would interpolate ('$' in a volume target or tmpfs path) is refused; literal strings azagen writes (environment literals, commands, healthcheck tests) are escaped as $$"},
	{ConfigLoaded, diag.Error, StageModel, "every config file mounted into a postgres container is loaded by its command"},
	{EnvDerivedClash, diag.Error, StageModel, "a service does not set a variable the connection model derives for it"},
	{EnvMessageSafe, diag.Error, StageModel, "defaults and required messages contain no '}', '$' or control characters, which compose interpolation cannot hold"},
	{EnvVariableConsistent, diag.Error, StageModel, "one variable has one default and one meaning within a stack"},
	{ExporterLeastPrivilege, diag.Error, StageModel, "exporters log in as a dedicated monitoring role, never as the superuser"},
	{ExporterNamesOwned, diag.Error, StageModel, "an exporter query's metric <query>_<column> is not one the pinned postgres_exporter exports itself, and no LABEL column is a label it adds (both recorded from the real exporter)"},
	{ExporterQueryColumns, diag.Error, StageModel, "an exporter query's result columns are exactly its declared metrics; a LABEL is text-like and a GAUGE or COUNTER numeric, by the resolved types"},
	{ExporterQueryResolves, diag.Error, StageModel, "an exporter query parses with PostgreSQL's parser and every relation, column, function and type it names exists in PostgreSQL 18 with the stack's extensions (catalog from a real server)"},
	{ExporterQueryVersion, diag.Error, StageModel, "an exporter query's min_version is not above the PostgreSQL major the stacks run"},
	{GucValid, diag.Error, StageModel, "every GUC name and value is valid for PostgreSQL 18 (catalog from a real server's pg_settings); an extension GUC needs its extension preloaded or created"},
	{HbaLeastPrivilege, diag.Error, StageModel, "pg_hba rules use scram-sha-256 (or peer on the socket) and admit no address range wider than declared; never 0.0.0.0/0"},
	{HealthcheckConsistent, diag.Error, StageModel, "a service kind has the same healthcheck in every stack unless an override gives a reason"},
	{HealthcheckTiming, diag.Error, StageModel, "healthcheck timeout is shorter than its interval; postgres start_period covers a cold start"},
	{HostPortUnique, diag.Error, StageModel, "host ports are unique across all stacks, so any of them can run side by side"},
	{K8sHbaCIDR, diag.Error, StageModel, "Kubernetes target: an hba rule written as samenet needs kubernetes.samenet_cidr, because samenet means nothing in a cluster"},
	{K8sImageMajor, diag.Error, StageModel, "Kubernetes target: the postgres image tag names a PostgreSQL major of at least 10 (pg18, 18.4-trixie) for the ImageCatalog"},
	{K8sName, diag.Error, StageModel, "Kubernetes target: a stack name is a DNS-1035 label of at most 50 characters (CNPG's Cluster name limit); a managed role yields a valid Secret name"},
	{K8sPoolMode, diag.Error, StageModel, "Kubernetes target: PgBouncer's pool_mode is one a CNPG Pooler accepts (session or transaction)"},
	{K8sReplicaCluster, diag.Error, StageModel, "Kubernetes target: a replica stack streams from a primary whose stack has a kubernetes block in the same namespace"},
	{K8sSettingOwned, diag.Error, StageModel, "Kubernetes target: a setting CNPG owns is moved to its field or dropped when CNPG sets the same value, and refused otherwise, with the reason"},
	{K8sWalLevelMinimal, diag.Error, StageModel, "Kubernetes target: wal_level minimal needs one instance and kubernetes.skip_wal_archiving (max_wal_senders 0 is wal-level-senders)"},
	{LeastCapabilities, diag.Error, StageModel, "a service drops ALL capabilities unless security.reason says why it needs them (KICS container_capabilities_unrestricted)"},
	{ListenAdmitsPeers, diag.Error, StageModel, "a server that peers reach over the compose network must not listen on loopback only"},
	{MountImageLayout, diag.Error, StageModel, "no mount the PostgreSQL 18 image ignores or refuses (/var/lib/postgresql/data, a mount inside the data volume, PGDATA off the volume) and none over a file or volume azagen mounts"},
	{PgBouncerFDLimit, diag.Error, StageModel, "PgBouncer's capacity (max_client_conn, max_db_connections per database) fits an open-file limit a container can get; the compose file sets ulimits.nofile to it"},
	{PoolWithinLimits, diag.Error, StageModel, "PgBouncer's server connections fit the server's max_connections and the auth role's connection limit"},
	{PortsAgree, diag.Error, StageModel, "a published container port is the port the service listens on (postgres port, listen_port)"},
	{PostgresPidsLimit, diag.Error, StageModel, "a postgres service's pids limit holds every process the server may run: max_connections of the largest workload profile, workers, WAL senders and auxiliary processes"},
	{PublishLoopback, diag.Error, StageModel, "a port is published on 127.0.0.1 unless expose_reason explains a wider host_ip"},
	{ReadOnlyRootfs, diag.Error, StageModel, "a service runs with a read-only root filesystem unless security.reason says why it cannot"},
	{ReferenceExists, diag.Error, StageModel, "every network, volume, service and role a service names is declared"},
	{ReplicaReachesPrimary, diag.Error, StageModel, "a replica joins its primary's network under its real name and names a primary that resolves there"},
	{ReservationWithinLimit, diag.Error, StageModel, "a memory reservation does not exceed the memory limit"},
	{ResourceLimits, diag.Error, StageModel, "every service has memory, cpus and pids limits (KICS memory_not_limited, cpus_not_limited, pids_limit_not_set)"},
	{SettingNotOverridden, diag.Error, StageModel, "no config file sets a GUC the image's auto-config passes with -c, where it would be silently replaced"},
	{StacksPresent, diag.Error, StageModel, "the source declares at least one stack, and every stack has services"},
	{StandbyNotBelowPrimary, diag.Error, StageModel, "a standby's max_connections, max_worker_processes, max_wal_senders, max_prepared_transactions and max_locks_per_transaction are at least the primary's"},
	{TLSMinProtocol, diag.Error, StageModel, "servers accept TLS 1.3 only, unless tls.min_protocol_reason says why TLS 1.2 must stay"},
	{TLSVerifyFull, diag.Error, StageModel, "every connection across a network verifies the server's certificate and name (sslmode verify-full) unless a reason is written"},
	{SuperuserIdentity, diag.Error, StageModel, "exactly one role is the superuser, named postgres as the image's OS user; POSTGRES_USER and POSTGRES_DB are derived from it and postgresql.database"},
	{TunableRange, diag.Error, StageModel, "a tunable's range is well formed and holds its default, its set names values the consumer accepts, a host-port range stays above 1023, and a name means one tunable per stack"},
	{VolumeNameUnique, diag.Error, StageModel, "volume names are unique across stacks, so stacks never share data by accident"},
	{WalLevelSenders, diag.Error, StageModel, "wal_level and max_wal_senders allow the replication the model declares"},
	{KicsCgroupNotDefault, diag.Error, StageRendered, "cgroup_parent is not set"},
	{KicsContainerTrafficNotBoundToHostInterface, diag.Error, StageRendered, "every published port names a host IP"},
	{KicsCpusNotLimited, diag.Error, StageRendered, "deploy.resources.limits.cpus is set"},
	{KicsDefaultSeccompProfileDisabled, diag.Error, StageRendered, "security_opt never disables seccomp"},
	{KicsDockerSocketMountedInContainer, diag.Error, StageRendered, "docker.sock is never mounted"},
	{KicsHealthcheckNotSet, diag.Error, StageRendered, "every service has a healthcheck"},
	{KicsHostNamespaceIsShared, diag.Error, StageRendered, "pid is not host"},
	{KicsMemoryNotLimited, diag.Error, StageRendered, "deploy.resources.limits.memory is set"},
	{KicsNetworksNotSet, diag.Error, StageRendered, "every service joins a named network"},
	{KicsNoNewPrivilegesNotSet, diag.Error, StageRendered, "security_opt contains no-new-privileges:true"},
	{KicsParse, diag.Error, StageRendered, "a rendered compose file parses as YAML"},
	{KicsPidsLimitNotSet, diag.Error, StageRendered, "deploy.resources.limits.pids is set"},
	{KicsPrivilegedContainersEnabled, diag.Error, StageRendered, "privileged is not true"},
	{KicsPrivilegedPortsMappedInContainer, diag.Error, StageRendered, "no port below 1024 is published"},
	{KicsSecurityOptNotSet, diag.Error, StageRendered, "security_opt is set"},
	{KicsSharedHostIpcNamespace, diag.Error, StageRendered, "ipc is not host"},
	{KicsSharedHostNetworkNamespace, diag.Error, StageRendered, "network_mode is not host"},
	{KicsSharedHostUserNamespace, diag.Error, StageRendered, "userns_mode is not host"},
	{KicsVolumeHasSensitiveHostDirectory, diag.Error, StageRendered, "no host OS directory is mounted"},
	{SecretNotLiteral, diag.Error, StageRendered, "a secret environment variable is a required reference ${VAR:?message}, never a literal or a default"},
	{Drift, diag.Error, StageOutput, "a rendered file differs from the one in the output directory, is missing there, or is there, owned by azagen, and no longer rendered"},
	{DocsMarker, diag.Error, StageDocs, "docs: a marker without its pair, nested, mismatched, duplicated or malformed"},
	{DocsUnknownTable, diag.Error, StageDocs, "docs: a marker names a table or stack azagen does not know"},
	{DocsTable, diag.Error, StageDocs, "docs: a table cannot be rendered from this source"},
	{DocsDeadReference, diag.Error, StageDocs, "docs: a link or backticked repository path points at nothing"},
	{TLSCertChain, diag.Error, StageCerts, "a server certificate chains to the CA its stack's clients verify against"},
	{TLSCertExpiry, diag.Error, StageCerts, "no certificate expires within 30 days (or is not yet valid)"},
	{TLSCertFiles, diag.Error, StageCerts, "every certificate, key and CA file a stack mounts exists, parses, and the key matches its certificate"},
	{TLSCertNames, diag.Error, StageCerts, "a server certificate's SANs cover every name its clients dial"},
	{TLSKeyPrivate, diag.Error, StageCerts, "a private key file is readable by its owner only (PostgreSQL also accepts root-owned with group read)"},
	{EnvFileDuplicate, diag.Error, StageEnvFile, ".env sets a variable twice; compose keeps the last"},
	{EnvFileLiteral, diag.Error, StageEnvFile, ".env holds a value compose's parser would change ('$' or ' #' unquoted, '$' or '\\' in double quotes): the container would get another value"},
	{EnvFileRequired, diag.Error, StageEnvFile, ".env sets every variable the stack requires, non-empty"},
	{EnvFileSyntax, diag.Error, StageEnvFile, ".env has a line compose cannot read, or a value that spans lines"},
	{EnvFileUnknown, diag.Warning, StageEnvFile, ".env sets a variable the stack does not read (a misspelt name)"},
	{EnvFileValue, diag.Error, StageEnvFile, "a .env value is one its consumer accepts: a tunable's value lies in its range or set (POSTGRES_MEMORY_LIMIT, POSTGRES_WORKLOAD_TYPE, ...), and POSTGRES_STORAGE_TYPE and POSTGRES_WORKLOAD_TYPE name auto-config profiles"},
}

// Lookup returns the rule with the given ID.
func Lookup(id string) (Rule, bool) {
	for _, r := range All {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// Get returns the rule with the given ID and panics if there is none: a
// stage asks only for the constants above.
func Get(id string) Rule {
	r, ok := Lookup(id)
	if !ok {
		panic("rules: no rule " + id)
	}
	return r
}
