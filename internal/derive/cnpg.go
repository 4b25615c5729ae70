package derive

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/azagen/azagen/internal/autoconfig"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
)

// CNPGDisposition is what the CloudNativePG target does with one setting.
type CNPGDisposition int

// Dispositions of a setting on the CloudNativePG target.
const (
	// CNPGKeep: written into spec.postgresql.parameters as a string.
	CNPGKeep CNPGDisposition = iota
	// CNPGMoved: written into its own Cluster field.
	CNPGMoved
	// CNPGDropped: the operator sets it, to the same effect; listed in the
	// rendered note.
	CNPGDropped
	// CNPGRefused: the operator owns it and the value cannot be kept; the
	// policy rule k8s-setting-owned refuses the source.
	CNPGRefused
)

// CNPGParam is one PostgreSQL setting of a Cluster, as a string, with the
// CUE path it comes from ("" for auto-config values) and what CNPG does
// with it.
type CNPGParam struct {
	Name, Value, Path string
	Disposition       CNPGDisposition
	Reason            string
}

// cnpgFixed is CNPG's FixedConfigurationParameters (CloudNativePG v1.30.1,
// pkg/postgres/configuration.go): its admission webhook refuses these in
// spec.postgresql.parameters unless the value equals the one it sets.
var cnpgFixed = map[string]bool{
	"allow_system_table_mods": true, "archive_mode": true, "bonjour": true, "bonjour_name": true,
	"cluster_name": true, "config_file": true, "data_directory": true, "data_sync_retry": true,
	"event_source": true, "external_pid_file": true, "hba_file": true, "hot_standby": true,
	"ident_file": true, "jit_provider": true, "listen_addresses": true, "logging_collector": true,
	"port": true, "primary_conninfo": true, "primary_slot_name": true, "recovery_target": true,
	"recovery_target_action": true, "recovery_target_inclusive": true, "recovery_target_lsn": true,
	"recovery_target_name": true, "recovery_target_time": true, "recovery_target_timeline": true,
	"recovery_target_xid": true, "restore_command": true, "shared_preload_libraries": true,
	"temp_tablespaces": true, "unix_socket_directories": true, "unix_socket_group": true,
	"unix_socket_permissions": true, "archive_cleanup_command": true, "archive_command": true,
	"log_destination": true, "log_directory": true, "log_file_mode": true, "log_filename": true,
	"log_rotation_age": true, "log_rotation_size": true, "log_truncate_on_rotation": true,
	"pg_failover_slots.primary_dsn": true, "pg_failover_slots.standby_slot_names": true,
	"promote_trigger_file": true, "recovery_end_command": true, "recovery_min_apply_delay": true,
	"restart_after_crash": true, "ssl": true, "ssl_ca_file": true, "ssl_cert_file": true,
	"ssl_crl_file": true, "ssl_dh_params_file": true, "ssl_key_file": true,
	"ssl_passphrase_command": true, "ssl_passphrase_command_supports_reload": true,
	"ssl_prefer_server_ciphers": true, "stats_temp_directory": true,
	"synchronous_standby_names": true, "synchronized_standby_slots": true, "syslog_facility": true,
	"syslog_ident": true, "syslog_sequence_numbers": true, "syslog_split_messages": true,
}

// CNPGFixed lists the parameters CNPG owns, sorted (for the docs).
func CNPGFixed() []string { return slices.Sorted(maps.Keys(cnpgFixed)) }

func gucBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "on", "true", "yes", "1":
		return true, true
	case "off", "false", "no", "0":
		return false, true
	}
	return false, false
}

// CNPGSetting decides what the CloudNativePG target does with the setting
// name = text (the value as PostgreSQL parses it) and why.
func CNPGSetting(name, text string) (CNPGDisposition, string) {
	if !cnpgFixed[name] {
		return CNPGKeep, ""
	}
	switch name {
	case "shared_preload_libraries":
		return CNPGMoved, "CNPG refuses it in parameters; it goes into spec.postgresql.shared_preload_libraries"
	case "listen_addresses":
		if text == "*" {
			return CNPGDropped, "CNPG always listens on '*' itself"
		}
		return CNPGRefused, "CNPG owns listen_addresses and always listens on '*'; restrict clients with pg_hba (and NetworkPolicies) instead"
	case "hot_standby":
		if b, ok := gucBool(text); ok && b {
			return CNPGDropped, "CNPG always runs standbys as hot standbys"
		}
		return CNPGRefused, "CNPG owns hot_standby and always sets it on"
	case "port":
		if text == "5432" {
			return CNPGDropped, "CNPG always runs PostgreSQL on 5432"
		}
		return CNPGRefused, "CNPG owns port and always runs PostgreSQL on 5432; the Services carry the port clients use"
	case "log_destination", "logging_collector":
		if b, ok := gucBool(text); text == "stderr" || (name == "logging_collector" && ok && !b) {
			return CNPGDropped, "CNPG's instance manager collects the server log itself and writes it to the pod's output as JSON"
		}
		return CNPGRefused, "CNPG's instance manager owns " + name + " (it collects the log itself and writes it to the pod's output as JSON)"
	case "archive_mode":
		if b, ok := gucBool(text); ok && !b {
			return CNPGDropped, "CNPG sets archive_mode itself: off with kubernetes.skip_wal_archiving, else on with its own archive_command (a no-op until backups are configured in CNPG)"
		}
		return CNPGRefused, "CNPG owns archive_mode and archive_command: configure WAL archiving through CNPG's backup section"
	}
	return CNPGRefused, "CNPG sets " + name + " itself (a fixed parameter of the operator), so it cannot be configured"
}

// CNPGParameters lists the settings of the Cluster rendered for the
// postgres service svc: postgresql.base, then the service's settings (which
// override the base), then the values the image's auto-config would pass
// for the declared resources, because CNPG replaces the image's entrypoint
// and auto-config never runs there. Base and service settings are sorted by
// name; auto-config values keep the entrypoint's order.
func CNPGParameters(c *model.Config, svc *model.Service, svcPath string) ([]CNPGParam, error) {
	merged := map[string]CNPGParam{}
	for name, v := range c.PostgreSQL.Base {
		merged[name] = CNPGParam{Name: name, Value: GUCText(v), Path: "postgresql.base." + diag.Label(name)}
	}
	for name, v := range svc.Postgres.Settings {
		merged[name] = CNPGParam{Name: name, Value: GUCText(v), Path: svcPath + ".postgres.settings." + diag.Label(name)}
	}
	// The archive settings a backup block derives for this server are
	// pgBackRest's; on Kubernetes WAL archiving and backups belong to CNPG's
	// own backup section, so they are dropped with a note, not refused.
	backupOf := ""
	for _, sk := range slices.Sorted(maps.Keys(c.Stacks)) {
		if normalize.BackupService(c.Stacks[sk]) == svc {
			backupOf = sk
		}
	}
	var out []CNPGParam
	for _, name := range slices.Sorted(maps.Keys(merged)) {
		p := merged[name]
		p.Disposition, p.Reason = CNPGSetting(p.Name, p.Value)
		if backupOf != "" && slices.Contains(normalize.ArchiveSettings, name) {
			p.Path = "stacks." + diag.Label(backupOf) + ".backup"
			p.Disposition, p.Reason = CNPGDropped, "derived from the pgBackRest backup block; CNPG archives WAL and takes backups through its own backup section "+
				"(spec.backup with a Barman Cloud object store, and a ScheduledBackup), which this target does not render: configure it there"
		}
		out = append(out, p)
	}
	ac, err := autoconfig.ForService(c, svc)
	if err != nil {
		return nil, err
	}
	for _, s := range ac.Settings() {
		if _, set := merged[s.Name]; set {
			continue // setting-not-overridden refuses this; keep the source's value
		}
		p := CNPGParam{Name: s.Name, Value: s.Value}
		p.Disposition, p.Reason = CNPGSetting(p.Name, p.Value)
		out = append(out, p)
	}
	return out, nil
}

// CNPGPreload is spec.postgresql.shared_preload_libraries: the image's
// preload list, which the entrypoint would have passed.
func CNPGPreload(c *model.Config) []string { return slices.Clone(c.PostgreSQL.Preload) }

// cnpgPoolerAllowed is CNPG's AllowedPgbouncerGenericConfigurationParameters
// (CloudNativePG v1.30.1, internal/webhook/v1/pooler_webhook.go), less the
// authentication settings: CNPG's Pooler authenticates through its own
// cnpg_pooler_pgbouncer user and auth_query.
var cnpgPoolerAllowed = map[string]bool{
	"application_name_add_host": true, "autodb_idle_timeout": true, "cancel_wait_timeout": true,
	"client_idle_timeout": true, "client_login_timeout": true, "client_tls_ciphers": true,
	"client_tls_sslmode": true, "client_tls13_ciphers": true, "default_pool_size": true,
	"disable_pqexec": true, "dns_max_ttl": true, "dns_nxdomain_ttl": true,
	"idle_transaction_timeout": true, "ignore_startup_parameters": true, "listen_backlog": true,
	"log_connections": true, "log_disconnections": true, "log_pooler_errors": true, "log_stats": true,
	"max_client_conn": true, "max_db_connections": true, "max_packet_size": true,
	"max_prepared_statements": true, "max_user_connections": true, "min_pool_size": true,
	"pkt_buf": true, "query_timeout": true, "query_wait_timeout": true, "reserve_pool_size": true,
	"reserve_pool_timeout": true, "sbuf_loopcnt": true, "server_check_delay": true,
	"server_check_query": true, "server_connect_timeout": true, "server_fast_close": true,
	"server_idle_timeout": true, "server_lifetime": true, "server_login_retry": true,
	"server_reset_query": true, "server_reset_query_always": true, "server_round_robin": true,
	"server_tls_ciphers": true, "server_tls13_ciphers": true, "server_tls_protocols": true,
	"server_tls_sslmode": true, "stats_period": true, "suspend_timeout": true,
	"tcp_defer_accept": true, "tcp_socket_buffer": true, "tcp_keepalive": true, "tcp_keepcnt": true,
	"tcp_keepidle": true, "tcp_keepintvl": true, "tcp_user_timeout": true,
	"track_extra_parameters": true, "verbose": true,
}

// CNPGPoolerModes are the pool modes a CNPG Pooler accepts (its CRD enum).
var CNPGPoolerModes = []string{"session", "transaction"}

// CNPGPoolerParameters splits the PgBouncer settings of pb into those the
// Pooler's pgbouncer.parameters carries and those it cannot (CNPG owns
// them), in ini order; pool_mode is in neither: it has its own field.
func CNPGPoolerParameters(pb *model.PgBouncerSpec) (kept, dropped []IniSetting) {
	all := append(PgBouncerSettings(pb), IniSetting{"max_db_connections", strconv.Itoa(pb.MaxDBConnections)})
	for _, s := range all {
		if s.Key == "pool_mode" {
			continue // spec.pgbouncer.poolMode
		}
		if cnpgPoolerAllowed[s.Key] {
			kept = append(kept, s)
		} else {
			dropped = append(dropped, s)
		}
	}
	return kept, dropped
}

var dns1035 = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

// CNPGMaxNameLen is the longest Cluster name CNPG accepts: it appends
// suffixes (-rw, -pooler-rw, -1) to build the names of Services and Pods.
const CNPGMaxNameLen = 50

// CNPGNameError says why name cannot be a Cluster (or derived object) name,
// or returns "".
func CNPGNameError(name string, max int) string {
	switch {
	case !dns1035.MatchString(name):
		return fmt.Sprintf("%q is not a DNS-1035 label (lower-case letters, digits and '-', starting with a letter and ending with a letter or digit)", name)
	case len(name) > max:
		return fmt.Sprintf("%q has %d characters; CNPG allows at most %d", name, len(name), max)
	}
	return ""
}

// CNPGSecretName is the Secret that holds the password of role in cluster.
func CNPGSecretName(cluster, role string) string {
	return cluster + "-" + strings.ReplaceAll(role, "_", "-")
}

// CNPGPoolerName is the name of the rw Pooler of cluster.
func CNPGPoolerName(cluster string) string { return cluster + "-pooler-rw" }

// CNPGManagedRoles are the roles of the server svc that the Cluster manages
// through spec.managed.roles: the login roles clients use, less those CNPG
// replaces with its own (the replication role: streaming_replica with
// certificates; PgBouncer's auth user: cnpg_pooler_pgbouncer). Sorted.
func CNPGManagedRoles(c *model.Config, st *model.Stack, svc *model.Service) []*model.Role {
	auth := map[string]bool{}
	for _, s := range st.Services {
		if s.PgBouncer != nil {
			auth[s.PgBouncer.AuthUser] = true
		}
	}
	var out []*model.Role
	for _, r := range normalize.ServerRoles(c, st, svc) {
		if r.Replication || auth[r.Name] {
			continue
		}
		out = append(out, r)
	}
	return out
}

var tagMajor = regexp.MustCompile(`^(?:pg)?([0-9]+)`)

// CNPGImageMajor reads the PostgreSQL major version from an image tag
// (pg18, 18.4-trixie); ok is false when the tag names none.
func CNPGImageMajor(tag string) (int, bool) {
	m := tagMajor.FindStringSubmatch(tag)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// CNPGServer is the postgres service a stack's Cluster is rendered from: its
// primary or single server; nil for a stack of replicas only.
func CNPGServer(st *model.Stack) *model.Service {
	for _, name := range slices.Sorted(maps.Keys(st.Services)) {
		if s := st.Services[name]; s.Postgres != nil && s.Postgres.Role != model.RoleReplica {
			return s
		}
	}
	return nil
}

// CNPGStandbys are the replica stacks with a Kubernetes target whose
// servers stream from the server svc of st: their instances join svc's
// Cluster. Sorted by stack key.
func CNPGStandbys(c *model.Config, st *model.Stack, svc *model.Service) []*model.Stack {
	seen := map[string]*model.Stack{}
	for _, r := range normalize.Replicas(c, st, svc) {
		for _, other := range c.Stacks {
			if other.Services[r.Key] == r && other.Kubernetes != nil && other != st {
				seen[other.Key] = other
			}
		}
	}
	var out []*model.Stack
	for _, k := range slices.Sorted(maps.Keys(seen)) {
		out = append(out, seen[k])
	}
	return out
}

// CNPGInstances is spec.instances of the Cluster of st: its own instances
// and those of the replica stacks that stream from it.
func CNPGInstances(c *model.Config, st *model.Stack, svc *model.Service) int {
	n := st.Kubernetes.Instances
	for _, r := range CNPGStandbys(c, st, svc) {
		n += r.Kubernetes.Instances
	}
	return n
}
