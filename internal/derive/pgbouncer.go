package derive

import (
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
