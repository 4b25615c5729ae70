package derive

import (
	"maps"
	"slices"
	"strconv"

	"github.com/azagen/azagen/internal/model"
)

// PgBouncerAuthQuery is the auth_query of every rendered pgbouncer.ini. The
// function it calls is created by the roles init script (RolesInit) in
// every database PgBouncer serves and in template1.
const PgBouncerAuthQuery = "SELECT usename, passwd FROM pgbouncer.get_auth($1)"

// IniSetting is one key = value line of pgbouncer.ini.
type IniSetting struct{ Key, Value string }

// PgBouncerSettings lists the [pgbouncer] section of the ini for pb, in the
// order it is rendered.
func PgBouncerSettings(pb *model.PgBouncerSpec) []IniSetting {
	out := []IniSetting{
		{"listen_addr", pb.ListenAddr},
		{"listen_port", strconv.Itoa(pb.ListenPort)},
		// No Unix socket: clients and the healthcheck use TCP, and the
		// container's root file system is read-only.
		{"unix_socket_dir", ""},
		{"auth_type", "scram-sha-256"},
		{"auth_file", model.ContainerUserlistPath},
		{"auth_user", pb.AuthUser},
		{"auth_query", PgBouncerAuthQuery},
		{"pool_mode", pb.PoolMode},
		{"max_client_conn", strconv.Itoa(pb.MaxClientConn)},
		{"default_pool_size", strconv.Itoa(pb.DefaultPoolSize)},
		{"min_pool_size", strconv.Itoa(pb.MinPoolSize)},
		{"reserve_pool_size", strconv.Itoa(pb.ReservePoolSize)},
		{"reserve_pool_timeout", "5"},
		{"ignore_startup_parameters", "extra_float_digits"},
		// The exporter's login reads SHOW output; nobody gets admin_users.
		{"stats_users", pb.StatsUser},
	}
	return append(out,
		IniSetting{"server_idle_timeout", "600"},
		IniSetting{"server_lifetime", "3600"},
		IniSetting{"server_connect_timeout", "15"},
		IniSetting{"query_wait_timeout", "120"},
	)
}

// PgBouncer open-file arithmetic. PgBouncer's own estimate, logged at start
// as "max expected fd use" (check_limits in its main.c), is max_client_conn
// + 10, plus per database its pool size times the users it knows at start.
// With auth_query the users are not known at start, so the server side is
// bounded here by what does bound it: max_db_connections per database.
const (
	// PgBouncerFDSlack is the + 10 of PgBouncer's own estimate.
	PgBouncerFDSlack = 10
	// PgBouncerFDMargin covers what neither term counts: the listening
	// sockets, the admin console's logins, DNS lookups, the log and the
	// files TLS reads.
	PgBouncerFDMargin = 64
	// MaxNoFile is the largest open-file limit a container can be given:
	// Linux's default fs.nr_open (1048576), above which setrlimit fails and
	// the container does not start.
	MaxNoFile = 1 << 20
	// DefaultNoFile is the soft limit containers get by default (Docker
	// passes the daemon's, 1024 on the hosts the issue was reported from);
	// a smaller configuration keeps it rather than lowering it.
	DefaultNoFile = 1024
)

// PgBouncerNoFile is the open-file limit (RLIMIT_NOFILE, soft and hard) the
// compose file gives a PgBouncer service: one descriptor per client up to
// max_client_conn, one per server connection up to max_db_connections for
// each pooled database, PgBouncer's slack and the margin.
func PgBouncerNoFile(pb *model.PgBouncerSpec) int {
	return max(DefaultNoFile, PgBouncerFDNeed(pb))
}

// PgBouncerFDNeed is the descriptors PgBouncer can hold at full capacity.
// A tunable max_client_conn counts at the top of its range.
func PgBouncerFDNeed(pb *model.PgBouncerSpec) int {
	return TunableMaxInt(pb.Tunables, "max_client_conn", pb.MaxClientConn) + pb.MaxDBConnections*len(pb.Databases) + PgBouncerFDSlack + PgBouncerFDMargin
}

// PgBouncerTunables lists the tunables of a PgBouncer's settings, by
// setting name. The ini keeps their defaults and includes, last, the file
// the entrypoint writes from their variables.
func PgBouncerTunables(pb *model.PgBouncerSpec) []*model.Tunable {
	var out []*model.Tunable
	for _, k := range slices.Sorted(maps.Keys(pb.Tunables)) {
		t := *pb.Tunables[k]
		if t.Field == "" {
			t.Field = "pgbouncer." + k
		}
		out = append(out, &t)
	}
	return out
}
