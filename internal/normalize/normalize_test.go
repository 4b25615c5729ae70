package normalize_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/duration"
	"github.com/azagen/azagen/internal/load"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
	"github.com/azagen/azagen/internal/render"
)

// base is a small but complete source: one primary stack with PgBouncer and
// an exporter, and a replica stack streaming from it. Role names and
// password variables deliberately differ from the repository's, so a test
// cannot pass by accident on hard-coded names.
const base = `package azagen

roles: {
	admin: {
		password_var: "ADMIN_PW"
		superuser:    true
	}
	streamer: {
		password_var: "STREAM_PW"
		replication:  true
	}
	watcher: {
		password_var: "WATCH_SECRET"
		monitoring:   true
	}
	pool_auth: password_var: "POOL_AUTH_PW"
	pool_stats: {
		password_var:   "POOL_STATS_PW"
		pgbouncer_only: true
	}
}

_image: {
	name:   "postgres"
	tag:    "18"
	digest: "sha256:0000000000000000000000000000000000000000000000000000000000000000"
}

_resources: {
	memory: "512m"
	cpus:   1
	pids:   512
}

stacks: main: {
	name: "t-main"
	networks: net: name: "t-main-net"
	volumes: data: name: "t-main-data"
	services: {
		db: {
			kind:  "postgres"
			image: _image
			postgres: {
				role:        "primary"
				data_volume: "data"
			}
			networks: ["net"]
			resources: _resources
		}
		pool: {
			kind:  "pgbouncer"
			image: _image
			pgbouncer: {
				server:     "db"
				auth_user:  "pool_auth"
				stats_user: "pool_stats"
			}
			networks: ["net"]
			resources: _resources
		}
		metrics: {
			kind:  "postgres_exporter"
			image: _image
			exporter: {
				target:      "db"
				role:        "watcher"
				listen_port: 9187
			}
			networks: ["net"]
			resources: _resources
		}
		pool_metrics: {
			kind:  "pgbouncer_exporter"
			image: _image
			exporter: {
				target:      "pool"
				role:        "pool_stats"
				database:    "pgbouncer"
				listen_port: 9127
			}
			networks: ["net"]
			resources: _resources
		}
	}
}

stacks: standby: {
	name: "t-standby"
	networks: net: {
		name:     "t-main-net"
		external: true
	}
	volumes: data: name: "t-standby-data"
	services: "db-standby": {
		kind:  "postgres"
		image: _image
		postgres: {
			role:        "replica"
			data_volume: "data"
			upstream: {
				host:    "db"
				user:    "streamer"
				network: "net"
				slot:    "standby_slot"
			}
		}
		networks: ["net"]
		resources: _resources
	}
}
`

// build loads base plus an overlay, decodes and normalizes it.
func build(t *testing.T, overlay string) *model.Config {
	t.Helper()
	paths := []string{"stacks.cue"}
	contents := [][]byte{[]byte(base)}
	if overlay != "" {
		paths = append(paths, "overlay.cue")
		contents = append(contents, []byte("package azagen\n\n"+overlay))
	}
	src, diags := load.Sources(paths, contents)
	if len(diags) > 0 {
		var b strings.Builder
		b.WriteString(diags.String())
		t.Fatalf("load:\n%s", b.String())
	}
	cfg, err := model.Decode(src.Value)
	if err != nil {
		t.Fatal(err)
	}
	if d := normalize.Normalize(cfg, src); len(d) > 0 {
		var b strings.Builder
		b.WriteString(d.String())
		t.Fatalf("normalize:\n%s", b.String())
	}
	return cfg
}

var (
	schemaPostgres  = model.Origin{Layer: model.LayerSchemaDefault, Path: "healthcheckDefaults.postgres"}
	schemaPgBouncer = model.Origin{Layer: model.LayerSchemaDefault, Path: "healthcheckDefaults.pgbouncer"}
	stackPostgres   = model.Origin{Layer: model.LayerStack, Path: "stacks.main.healthcheck.postgres"}
	serviceDB       = model.Origin{Layer: model.LayerService, Path: "stacks.main.services.db.healthcheck"}
)

func TestHealthcheckLayers(t *testing.T) {
	postgresTest := []string{"CMD", "/usr/local/bin/healthcheck.sh"}
	tests := []struct {
		name    string
		overlay string
		stack   string
		service string
		want    model.ResolvedHealthcheck
		// canonical intervals as rendered into compose.yaml
		interval, startPeriod string
	}{
		{
			name: "schema default only",
			want: model.ResolvedHealthcheck{
				Test: postgresTest, Interval: 10 * time.Second, Timeout: 5 * time.Second, Retries: 3, StartPeriod: 2 * time.Minute,
				Origin: map[string]model.Origin{"test": schemaPostgres, "interval": schemaPostgres, "timeout": schemaPostgres, "retries": schemaPostgres, "start_period": schemaPostgres},
			},
			interval: "10s", startPeriod: "2m",
		},
		{
			name:    "stack default over schema default",
			overlay: `stacks: main: healthcheck: postgres: {interval: "90s", retries: 5}`,
			want: model.ResolvedHealthcheck{
				Test: postgresTest, Interval: 90 * time.Second, Timeout: 5 * time.Second, Retries: 5, StartPeriod: 2 * time.Minute,
				Origin: map[string]model.Origin{"test": schemaPostgres, "interval": stackPostgres, "timeout": schemaPostgres, "retries": stackPostgres, "start_period": schemaPostgres},
			},
			interval: "1m30s", startPeriod: "2m",
		},
		{
			name: "service override over stack default, field by field",
			overlay: `stacks: main: healthcheck: postgres: {interval: "90s", retries: 5}
stacks: main: services: db: healthcheck: {
	retries:      7
	start_period: "150s"
	reason:       "slow disks"
}`,
			want: model.ResolvedHealthcheck{
				Test: postgresTest, Interval: 90 * time.Second, Timeout: 5 * time.Second, Retries: 7, StartPeriod: 150 * time.Second,
				Origin: map[string]model.Origin{"test": schemaPostgres, "interval": stackPostgres, "timeout": schemaPostgres, "retries": serviceDB, "start_period": serviceDB},
				Reason: "slow disks",
			},
			interval: "1m30s", startPeriod: "2m30s",
		},
		{
			name:    "service test replaces the default command",
			overlay: `stacks: main: services: db: healthcheck: test: ["CMD", "pg_isready", "-q"]`,
			want: model.ResolvedHealthcheck{
				Test: []string{"CMD", "pg_isready", "-q"}, Interval: 10 * time.Second, Timeout: 5 * time.Second, Retries: 3, StartPeriod: 2 * time.Minute,
				Origin: map[string]model.Origin{"test": serviceDB, "interval": schemaPostgres, "timeout": schemaPostgres, "retries": schemaPostgres, "start_period": schemaPostgres},
			},
			interval: "10s", startPeriod: "2m",
		},
		{
			name: "durations are canonical whatever their spelling",
			overlay: `stacks: main: healthcheck: postgres: {interval: "0.5m", start_period: "3600s", start_interval: "1500ms"}
stacks: main: services: db: healthcheck: timeout: "2.5s"`,
			want: model.ResolvedHealthcheck{
				Test: postgresTest, Interval: 30 * time.Second, Timeout: 2500 * time.Millisecond, Retries: 3, StartPeriod: time.Hour, StartInterval: 1500 * time.Millisecond,
				Origin: map[string]model.Origin{"test": schemaPostgres, "interval": stackPostgres, "timeout": serviceDB, "retries": schemaPostgres, "start_period": stackPostgres, "start_interval": stackPostgres},
			},
			interval: "30s", startPeriod: "1h",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := build(t, tt.overlay)
			st := cfg.Stacks["main"]
			got := st.Services["db"].Health
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("resolved healthcheck (-want +got):\n%s", diff)
			}
			if s := duration.Format(got.Interval); s != tt.interval {
				t.Errorf("interval renders as %q, want %q", s, tt.interval)
			}
			if s := duration.Format(got.StartPeriod); s != tt.startPeriod {
				t.Errorf("start_period renders as %q, want %q", s, tt.startPeriod)
			}
			f, err := render.Compose(st)
			if err != nil {
				t.Fatal(err)
			}
			if want := "      interval: " + tt.interval + "\n"; !strings.Contains(string(f.Data), want) {
				t.Errorf("compose.yaml lacks %q:\n%s", want, f.Data)
			}
		})
	}
}

// TestHealthcheckDerivedTest: kinds whose check depends on the connection
// model get their test from it; the timings still layer.
func TestHealthcheckDerivedTest(t *testing.T) {
	cfg := build(t, `stacks: main: healthcheck: pgbouncer: interval: "45s"`)
	st := cfg.Stacks["main"]
	pool := st.Services["pool"].Health
	want := model.ResolvedHealthcheck{
		Test:     []string{"CMD-SHELL", "psql -X -w 'host=localhost port=6432 user=pool_auth dbname=postgres sslmode=verify-full sslrootcert=/etc/azagen/tls/ca.crt' -Atc 'SELECT 1' >/dev/null"},
		Interval: 45 * time.Second, Timeout: 10 * time.Second, Retries: 3, StartPeriod: 10 * time.Second,
		Origin: map[string]model.Origin{
			"test": {Layer: model.LayerDerived}, "interval": {Layer: model.LayerStack, Path: "stacks.main.healthcheck.pgbouncer"},
			"timeout": schemaPgBouncer, "retries": schemaPgBouncer, "start_period": schemaPgBouncer,
		},
	}
	if diff := cmp.Diff(want, pool); diff != "" {
		t.Errorf("pgbouncer healthcheck (-want +got):\n%s", diff)
	}
	metrics := st.Services["metrics"].Health
	if want := []string{"CMD", "wget", "--quiet", "--tries=1", "--spider", "http://localhost:9187/metrics"}; !slices.Equal(metrics.Test, want) {
		t.Errorf("exporter test = %q, want %q", metrics.Test, want)
	}
	// The stack default for pgbouncer must not leak into other kinds.
	if got := st.Services["db"].Health.Interval; got != 10*time.Second {
		t.Errorf("postgres interval = %v, want the schema's 10s", got)
	}
}

// TestHealthcheckStackLayerIsPerStack: a stack default applies to its own
// stack only.
func TestHealthcheckStackLayerIsPerStack(t *testing.T) {
	cfg := build(t, `stacks: standby: healthcheck: postgres: start_period: "5m"`)
	if got := cfg.Stacks["standby"].Services["db-standby"].Health; got.StartPeriod != 5*time.Minute || got.Origin["start_period"].Path != "stacks.standby.healthcheck.postgres" {
		t.Errorf("standby start_period = %v from %q", got.StartPeriod, got.Origin["start_period"])
	}
	if got := cfg.Stacks["main"].Services["db"].Health.StartPeriod; got != 2*time.Minute {
		t.Errorf("main start_period = %v, want the schema's 2m", got)
	}
}

// TestHealthcheckUnrepresentableDuration: a duration the CUE pattern lets
// through but Compose cannot hold is a positioned diagnostic from the layer
// that set it.
func TestHealthcheckUnrepresentableDuration(t *testing.T) {
	src, diags := load.Sources(
		[]string{"stacks.cue", "overlay.cue"},
		[][]byte{[]byte(base), []byte("package azagen\n\nstacks: main: services: db: healthcheck: timeout: \"0.5us\"\n")},
	)
	if len(diags) > 0 {
		t.Fatalf("load: %v", diags)
	}
	cfg, err := model.Decode(src.Value)
	if err != nil {
		t.Fatal(err)
	}
	got := normalize.Normalize(cfg, src)
	if len(got) != 1 {
		t.Fatalf("got %d diagnostics, want 1: %v", len(got), got)
	}
	want := `overlay.cue:3:51: error: stacks.main.services.db.healthcheck.timeout: invalid duration "0.5us": 0.5us is not a whole number of microseconds [healthcheck]`
	if diff := cmp.Diff(want, got[0].String()); diff != "" {
		t.Errorf("diagnostic (-want +got):\n%s", diff)
	}
}

// envSummary reduces an environment to key → "var NAME" for variables or
// "= value" for literals, the shape the connection model decides.
func envSummary(env []model.EnvEntry) map[string]string {
	out := map[string]string{}
	for _, e := range env {
		switch {
		case e.Value.IsLiteral():
			out[e.Key] = "= " + *e.Value.Literal
		case e.Value.Default != nil:
			out[e.Key] = "var " + derive.VarName(e.Key, e.Value) + " default " + *e.Value.Default
		default:
			out[e.Key] = "var " + derive.VarName(e.Key, e.Value) + " required"
		}
	}
	return out
}

// TestConnectionEnvironment: every client gets exactly the password
// variable its role declares, and every server the variables of the roles
// that log in to it, so the two can never disagree.
func TestConnectionEnvironment(t *testing.T) {
	cfg := build(t, "")
	tests := []struct {
		stack, service string
		want           map[string]string
	}{
		{"main", "metrics", map[string]string{
			"PGPASSWORD":                    "var WATCH_SECRET required",
			"DATA_SOURCE_NAME":              "= postgresql://watcher@db:5432/postgres?sslmode=verify-full&sslrootcert=/etc/azagen/tls/ca.crt",
			"PG_EXPORTER_EXTEND_QUERY_PATH": "= " + model.ContainerQueriesPath,
		}},
		{"main", "pool_metrics", map[string]string{
			"PGPASSWORD":                           "var POOL_STATS_PW required",
			"PGBOUNCER_EXPORTER_CONNECTION_STRING": "= postgres://pool_stats@pool:6432/pgbouncer?sslmode=verify-full&sslrootcert=/etc/azagen/tls/ca.crt",
		}},
		{"main", "pool", map[string]string{
			"POOL_AUTH_PW":  "var POOL_AUTH_PW required",
			"POOL_STATS_PW": "var POOL_STATS_PW required",
			"PGPASSFILE":    "= " + model.ContainerPgpassPath,
		}},
		// The primary creates the roles its clients log in as: the
		// superuser, PgBouncer's auth user, the exporter's monitoring role
		// and the replica's replication user, but not pool_stats, which
		// exists only in PgBouncer.
		{"main", "db", map[string]string{
			"ADMIN_PW":              "var ADMIN_PW required",
			"AZAGEN_EXEC":           "= /opt/azagen/postgres-reconcile.sh",
			"POOL_AUTH_PW":          "var POOL_AUTH_PW required",
			"WATCH_SECRET":          "var WATCH_SECRET required",
			"STREAM_PW":             "var STREAM_PW required",
			"POSTGRES_USER":         "= admin",
			"POSTGRES_DB":           "= postgres",
			"POSTGRES_ROLE":         "= primary",
			"REPLICATION_SLOT_NAME": "= standby_slot",
		}},
		{"standby", "db-standby", map[string]string{
			"ADMIN_PW":              "var ADMIN_PW required",
			"STREAM_PW":             "var STREAM_PW required",
			"POSTGRES_USER":         "= admin",
			"POSTGRES_DB":           "= postgres",
			"POSTGRES_ROLE":         "= replica",
			"PRIMARY_HOST":          "= db",
			"PRIMARY_PORT":          "= 5432",
			"PRIMARY_SSLMODE":       "= verify-full",
			"PRIMARY_SSLROOTCERT":   "= /etc/azagen/tls/ca.crt",
			"PG_REPLICATION_USER":   "= streamer",
			"REPLICATION_SLOT_NAME": "= standby_slot",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			svc := cfg.Stacks[tt.stack].Services[tt.service]
			if diff := cmp.Diff(tt.want, envSummary(svc.Env)); diff != "" {
				t.Errorf("environment (-want +got):\n%s", diff)
			}
			for _, e := range svc.Env {
				if e.Origin != "connection model" {
					t.Errorf("%s comes from %q, want the connection model", e.Key, e.Origin)
				}
			}
		})
	}
}

// TestUserEnvironmentKept: the user's own variables are kept beside the
// derived ones, in key order, marked as coming from stacks.cue.
func TestUserEnvironmentKept(t *testing.T) {
	cfg := build(t, `stacks: main: services: db: environment: {
	TZ:      "UTC"
	PG_MODE: {default: "fast", var: "MODE"}
}`)
	env := cfg.Stacks["main"].Services["db"].Env
	var keys []string
	for _, e := range env {
		keys = append(keys, e.Key)
	}
	if !slices.IsSorted(keys) {
		t.Errorf("environment not sorted by key: %v", keys)
	}
	sum := envSummary(env)
	if sum["TZ"] != "= UTC" || sum["PG_MODE"] != "var MODE default fast" {
		t.Errorf("user environment: %v", sum)
	}
	for _, e := range env {
		if (e.Key == "TZ" || e.Key == "PG_MODE") != (e.Origin == "stacks.cue") {
			t.Errorf("%s has origin %q", e.Key, e.Origin)
		}
	}
}

// TestRepoClientsMatchServers checks the repository's stacks.cue: every
// exporter and PgBouncer reads exactly the password variables of its roles,
// and the service it logs in to holds the same variables (a PgBouncer-only
// role lives in PgBouncer, every other one in the postgres server).
func TestRepoClientsMatchServers(t *testing.T) {
	res, err := compile.Compile(context.Background(), []string{"../../stacks.cue"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Diags.HasErrors() {
		t.Fatalf("stacks.cue is invalid: %v", res.Diags)
	}
	cfg := res.Config
	required := func(svc *model.Service) []string {
		var out []string
		for _, e := range svc.Env {
			if !e.Value.IsLiteral() && e.Value.Default == nil {
				out = append(out, derive.VarName(e.Key, e.Value))
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	for _, sk := range slices.Sorted(maps.Keys(cfg.Stacks)) {
		st := cfg.Stacks[sk]
		for _, name := range slices.Sorted(maps.Keys(st.Services)) {
			svc := st.Services[name]
			var roles []string
			var server *model.Service
			switch {
			case svc.Exporter != nil:
				roles = []string{svc.Exporter.Role}
				server = st.Services[svc.Exporter.Target]
			case svc.PgBouncer != nil:
				roles = []string{svc.PgBouncer.AuthUser, svc.PgBouncer.StatsUser}
				server = st.Services[svc.PgBouncer.Server]
			default:
				continue
			}
			var want []string
			for _, r := range roles {
				want = append(want, cfg.Roles[r].PasswordVar)
			}
			slices.Sort(want)
			if diff := cmp.Diff(want, required(svc)); diff != "" {
				t.Errorf("%s/%s reads password variables (-its roles' +got):\n%s", sk, name, diff)
			}
			for _, r := range roles {
				role := cfg.Roles[r]
				holder := server
				switch {
				case role.PgBouncerOnly && svc.PgBouncer != nil:
					holder = svc // PgBouncer holds its own admin-console users
				case server != nil && server.Postgres != nil && server.Postgres.Role == "replica":
					// A standby is read-only: its roles are the primary's.
					holder = primaryOf(cfg, st, server)
				}
				if holder == nil || !slices.Contains(required(holder), role.PasswordVar) {
					t.Errorf("%s/%s logs in as %s with %s, which the service it logs in to is not given", sk, name, r, role.PasswordVar)
				}
			}
		}
	}
}

// primaryOf finds the postgres service a replica streams from: the service
// named by its upstream host in the stack that creates the upstream network.
func primaryOf(cfg *model.Config, st *model.Stack, replica *model.Service) *model.Service {
	up := replica.Postgres.Upstream
	net := st.Networks[up.Network]
	if net == nil {
		return nil
	}
	for _, other := range cfg.Stacks {
		for _, n := range other.Networks {
			if n.Name == net.Name && !n.External {
				return other.Services[up.Host]
			}
		}
	}
	return nil
}

// TestReplicaClientRoleCreatedOnPrimary: a client of a standby (its
// exporter) logs in with a role that must exist on the standby, and a
// standby is read-only: the role can only be created by the primary's
// initdb, so the primary must be given that role's password variable.
func TestReplicaClientRoleCreatedOnPrimary(t *testing.T) {
	cfg := build(t, `roles: standby_watcher: {
	password_var: "STANDBY_WATCH_PW"
	monitoring:   true
}
stacks: standby: services: metrics: {
	kind:  "postgres_exporter"
	image: _image
	exporter: {
		target:      "db-standby"
		role:        "standby_watcher"
		listen_port: 9187
	}
	networks: ["net"]
	resources: _resources
}`)
	exporter := envSummary(cfg.Stacks["standby"].Services["metrics"].Env)
	if got := exporter["PGPASSWORD"]; got != "var STANDBY_WATCH_PW required" {
		t.Fatalf("standby exporter PGPASSWORD = %q", got)
	}
	primary := envSummary(cfg.Stacks["main"].Services["db"].Env)
	if _, ok := primary["STANDBY_WATCH_PW"]; !ok {
		t.Fatalf("the primary is not given STANDBY_WATCH_PW, so role standby_watcher of the standby's exporter would never be created; primary env: %v", primary)
	}
}
