package integration

import (
	"context"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/rules"
	"github.com/azagen/azagen/internal/testing/oracle"
)

// TestExporterScrapesRenderedQueries runs the real postgres_exporter with the primary stack's
// rendered environment and queries file against PostgreSQL 18 started from the primary's
// rendered config, and checks that every declared query runs and yields its metrics.
func TestExporterScrapesRenderedQueries(t *testing.T) {
	exporterBin := oracle.Require(t, oracle.ToolPostgresExporter)
	res := compileStacks(t)
	const stack, exporterService = "primary", "postgres_exporter"
	pg := newRenderedPostgres(t, res, stack, postgresService(t, res.Config.Stacks[stack]).Key)
	pg.start(t)
	runRolesInit(t, res, pg, stack)

	exp := startExporter(t, exporterBin, res, pg, stack, exporterService)
	metrics := exp.scrape(t)
	checkMetric(t, metrics, "pg_up", "1")
	checkMetric(t, metrics, "pg_exporter_last_scrape_error", "0")
	checkMetric(t, metrics, "pg_exporter_user_queries_load_error", "0")
	for _, name := range slices.Sorted(maps.Keys(res.Config.ExporterQueries)) {
		for _, m := range res.Config.ExporterQueries[name].Metrics {
			if m.Usage == "LABEL" {
				continue
			}
			if metric := name + "_" + m.Column; len(metrics[metric]) == 0 {
				t.Errorf("query %s, column %s: no metric %s in the scrape", name, m.Column, metric)
			}
		}
	}
	// Every query ran without an error on the server side too.
	if bad := logProblems(pg.Log()); len(bad) > 0 {
		t.Errorf("server log has %d WARNING/ERROR/FATAL lines while the exporter scraped:\n%s", len(bad), strings.Join(bad, "\n"))
	}
	// The exporter's own log: slog's logfmt, where a failed query or collector is an ERROR.
	if out := exp.Output(); strings.Contains(out, "level=ERROR") {
		t.Errorf("postgres_exporter logged errors while scraping the rendered queries:\n%s", out)
	}
	if t.Failed() {
		t.Logf("exporter output:\n%s", exp.Output())
	}

	// postgres_exporter holds two connections and the role's connection limit is 3: the
	// second exporter below can only log in once this one is gone.
	if err := exp.Stop(); err != nil {
		t.Fatalf("stop exporter: %v", err)
	}

	// The negative control: the same setup with one more query, on a column PostgreSQL 18
	// removed (pg_stat_io.op_bytes, present in 16 and 17), must make the scrape fail. It is
	// what proves that the checks above can see a broken query at all.
	//
	// azagen now refuses that query at compile time (exporter-query-resolves), so the file the
	// exporter reads is the rendered one plus the query's entry, as azagen rendered it before
	// it could see the removed column.
	t.Run("removed column fails the scrape", func(t *testing.T) {
		refused, err := compile.Compile(context.Background(), []string{stacksSource, "testdata/exporter_query_op_bytes.cue"})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(refused.Diags, func(d diag.Diagnostic) bool {
			return d.Rule == rules.ExporterQueryResolves && strings.Contains(d.Message, `"op_bytes"`) && strings.Contains(d.Message, "PostgreSQL 18") && d.Pos.Line > 0
		}) {
			t.Fatalf("azagen does not refuse the op_bytes query with a position:\n%v", refused.Diags)
		}
		bad := *res
		bad.Output = maps.Clone(res.Output)
		f := bad.Output[model.ExporterQueriesPath]
		f.Data = append(slices.Clone(f.Data), []byte(opBytesQueryYAML)...)
		bad.Output[model.ExporterQueriesPath] = f
		exp := startExporter(t, exporterBin, &bad, pg, stack, exporterService)
		metrics := exp.scrape(t)
		checkMetric(t, metrics, "pg_up", "1")
		checkMetric(t, metrics, "pg_exporter_user_queries_load_error", "0")
		checkMetric(t, metrics, "pg_exporter_last_scrape_error", "1")
		// 0.19.1 logs the query error at INFO ("error finding namespace"), with the quotes
		// escaped, and the failed scrape at ERROR: the level=ERROR check above can see it.
		out := exp.Output()
		if !strings.Contains(out, "pg_stat_io_op_bytes pq: column") || !strings.Contains(out, "does not exist") {
			t.Errorf("exporter log does not name the missing column:\n%s", out)
		}
		if !slices.ContainsFunc(strings.Split(out, "\n"), func(line string) bool {
			return strings.Contains(line, "level=ERROR") && strings.Contains(line, "namespace: pg_stat_io_op_bytes")
		}) {
			t.Errorf("exporter log has no level=ERROR line for the failed query:\n%s", out)
		}
	})
}

// opBytesQueryYAML is testdata/exporter_query_op_bytes.cue's query as an entry of the
// exporter's queries file.
const opBytesQueryYAML = `pg_stat_io_op_bytes:
  query: SELECT backend_type, object, context, op_bytes::float8 AS op_bytes FROM pg_stat_io WHERE backend_type IS NOT NULL
  master: true
  metrics:
    - backend_type:
        usage: LABEL
        description: Backend type
    - object:
        usage: LABEL
        description: Target object
    - context:
        usage: LABEL
        description: I/O context
    - op_bytes:
        usage: GAUGE
        description: Bytes per I/O operation
`

// runningExporter is a postgres_exporter started by startExporter.
type runningExporter struct {
	*oracle.Daemon
	url string
}

// startExporter starts postgres_exporter as the test user with the rendered environment of
// the stack's exporter service, pointed at pg, and waits until it listens.
//
// The environment is the rendered one, interpolated with the sample passwords, except:
//   - DATA_SOURCE_NAME: its host:port (the compose service name and port) is replaced by
//     the test server's 127.0.0.1 and port (which the test certificates also name), and
//     sslrootcert by the laid-out CA; user, database and sslmode=verify-full stay as rendered.
//   - PG_EXPORTER_EXTEND_QUERY_PATH: the container path, mapped to where the test laid out
//     the rendered file that compose mounts there.
//
// The command line only adds --web.listen-address on loopback and a free port (the default
// is every interface, port 9187): every collector runs as in the image, which runs this
// postgres_exporter version (0.19.1).
func startExporter(t testing.TB, bin string, res *compile.Result, pg *renderedPostgres, stack, service string) *runningExporter {
	t.Helper()
	svc := renderedService(t, res, stack, service)
	layout := newStackLayout(t)
	if missing := layout.mount(t, res, stack, svc); len(missing) > 0 {
		t.Fatalf("%s/%s mounts files azagen does not render: %v", stack, service, missing)
	}
	env := serviceEnvironment(t, svc, sampleEnvironment(t, res, stack))
	for _, k := range []string{"DATA_SOURCE_NAME", "PGPASSWORD", "PG_EXPORTER_EXTEND_QUERY_PATH"} {
		if env[k] == "" {
			t.Fatalf("%s/%s: %s is not in the rendered environment", stack, service, k)
		}
	}
	dsn, err := url.Parse(env["DATA_SOURCE_NAME"])
	if err != nil {
		t.Fatalf("DATA_SOURCE_NAME %q: %v", env["DATA_SOURCE_NAME"], err)
	}
	dsn.Host = loopbackSAN + ":" + strconv.Itoa(pg.Port())
	// sslrootcert names the CA at its container path: the file the layout wrote for it.
	q := dsn.Query()
	q.Set("sslrootcert", layout.local(t, q.Get("sslrootcert")))
	dsn.RawQuery = q.Encode()
	env["DATA_SOURCE_NAME"] = dsn.String()
	queries := env["PG_EXPORTER_EXTEND_QUERY_PATH"]
	env["PG_EXPORTER_EXTEND_QUERY_PATH"] = layout.local(t, queries)
	if got, want := res.Output[model.ExporterQueriesPath].Data, layout.local(t, queries); got == nil {
		t.Fatalf("%s is not rendered (compose mounts it at %s, read from %s)", model.ExporterQueriesPath, queries, want)
	}

	var envList []string
	for _, k := range slices.Sorted(maps.Keys(env)) {
		envList = append(envList, k+"="+env[k])
	}
	addr := "127.0.0.1:" + strconv.Itoa(oracle.FreePort(t))
	d := oracle.StartDaemon(t, "", envList, bin, "--web.listen-address="+addr)
	d.WaitTCP(t, addr, 20*time.Second)
	return &runningExporter{Daemon: d, url: "http://" + addr + "/metrics"}
}

// scrape fetches /metrics and returns the samples by metric name: for each, the lines
// "{labels} value" (or " value") that follow the name.
func (e *runningExporter) scrape(t testing.TB) map[string][]string {
	t.Helper()
	client := &http.Client{Timeout: 20 * time.Second}
	resp, err := client.Get(e.url)
	if err != nil {
		t.Fatalf("scrape %s: %v\nexporter output:\n%s", e.url, err, e.Output())
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s\n%s", e.url, resp.Status, body)
	}
	out := map[string][]string{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name := line
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name = line[:i]
		}
		out[name] = append(out[name], line[len(name):])
	}
	return out
}

// checkMetric checks that the metric has exactly one sample and that its value is want.
func checkMetric(t testing.TB, metrics map[string][]string, name, want string) {
	t.Helper()
	samples := metrics[name]
	if len(samples) != 1 {
		t.Errorf("metric %s: %d samples %q, want 1", name, len(samples), samples)
		return
	}
	f := strings.Fields(samples[0])
	if got := f[len(f)-1]; got != want {
		t.Errorf("metric %s%s: value %s, want %s", name, samples[0], got, want)
	}
}

// TestPgBouncerExporterScrapesRenderedPgBouncer runs the real pgbouncer_exporter (0.12.0, the
// image's version) with the primary stack's rendered environment verbatim, against PgBouncer
// started through its rendered entrypoint and ini in front of PostgreSQL 18 prepared by the
// rendered roles init script, and checks that it logs in as the stats user and exports
// PgBouncer's version and pools.
//
// It runs in private mount and network namespaces (inPrivateNamespaces), so that the
// connection string's compose service name (pgbouncer) and the ini's (postgres) resolve to
// loopback and both listen on their rendered ports. The command line only adds
// --web.listen-address on loopback and a free port (the default is every interface, 9127).
func TestPgBouncerExporterScrapesRenderedPgBouncer(t *testing.T) {
	if !inPrivateNamespaces(t) {
		return
	}
	exporterBin := oracle.Require(t, oracle.ToolPgBouncerExporter)
	wantVersion := strings.TrimSpace(strings.SplitN(versionOutput(t, oracle.Require(t, oracle.ToolPgBouncer), "--version"), "\n", 2)[0])
	res := compileStacks(t)
	const stack, exporterService = "primary", "pgbouncer_exporter"
	pbName, pb := pgbouncerService(t, res.Config.Stacks[stack])
	targets := iniDatabases(t, res.Output[model.PgBouncerIniPath(stack)].Data)
	target, ok := targets["postgres"]
	if !ok {
		t.Fatalf("pgbouncer.ini has no [databases] entry for postgres: %v", targets)
	}
	// Passwords full of characters that need quoting: PGPASSWORD must carry them as they are.
	env := oddEnvironment(t, res, stack)
	expEnv := serviceEnvironment(t, renderedService(t, res, stack, exporterService), env)
	connStr, err := url.Parse(expEnv["PGBOUNCER_EXPORTER_CONNECTION_STRING"])
	if err != nil || connStr.Host == "" {
		t.Fatalf("rendered PGBOUNCER_EXPORTER_CONNECTION_STRING %q: %v", expEnv["PGBOUNCER_EXPORTER_CONNECTION_STRING"], err)
	}
	if connStr.Hostname() != pbName || connStr.Port() != strconv.Itoa(pb.ListenPort) {
		t.Errorf("the exporter connects to %s, want the PgBouncer service %s:%d", connStr.Host, pbName, pb.ListenPort)
	}
	if want := env[res.Config.Roles[pb.StatsUser].PasswordVar]; expEnv["PGPASSWORD"] != want || connStr.User.Username() != pb.StatsUser {
		t.Errorf("the exporter logs in as %q with PGPASSWORD %q, want the stats user %s and its password", connStr.User.Username(), expEnv["PGPASSWORD"], pb.StatsUser)
	}
	mapHostsToLoopback(t, target.host, connStr.Hostname())

	pg := newRenderedPostgresWith(t, res, stack, pb.Server, env, target.port)
	pg.start(t)
	runRolesInit(t, res, pg, stack)
	bouncer := startRenderedPgBouncer(t, res, stack, pbName, env)
	// A client through PgBouncer, so that the pool of the auth user exists (the compose
	// healthcheck's login, authenticated by the .pgpass the entrypoint wrote).
	authPass := env[res.Config.Roles[pb.AuthUser].PasswordVar]
	if out, err := oracle.Psql(t, oracle.Conn{Port: pb.ListenPort, User: pb.AuthUser, Password: authPass}, "SELECT 1"); err != nil || out != "1" {
		t.Fatalf("SELECT 1 through PgBouncer as %s: %q, %v\npgbouncer:\n%s", pb.AuthUser, out, err, bouncer.Output())
	}

	addr := "127.0.0.1:" + strconv.Itoa(oracle.FreePort(t))
	d := oracle.StartDaemon(t, "", envList(expEnv), exporterBin, "--web.listen-address="+addr)
	d.WaitTCP(t, addr, 20*time.Second)
	exp := &runningExporter{Daemon: d, url: "http://" + addr + "/metrics"}
	metrics := exp.scrape(t)

	checkMetric(t, metrics, "pgbouncer_up", "1")
	// The version as PgBouncer itself reports it (SHOW VERSION, the first line of --version).
	checkMetric(t, metrics, "pgbouncer_version_info", "1")
	if got, want := metrics["pgbouncer_version_info"], `{version="`+wantVersion+`"} 1`; len(got) != 1 || got[0] != want {
		t.Errorf("pgbouncer_version_info%q, want pgbouncer_version_info%s", got, want)
	}
	// Pools: one sample per pool, labelled with its database and user.
	poolLabels := `database="postgres",user="` + pb.AuthUser + `"`
	for _, name := range []string{
		"pgbouncer_pools_client_active_connections",
		"pgbouncer_pools_client_waiting_connections",
		"pgbouncer_pools_server_idle_connections",
		"pgbouncer_pools_server_used_connections",
	} {
		if !slices.ContainsFunc(metrics[name], func(s string) bool { return strings.Contains(s, poolLabels) }) {
			t.Errorf("no %s{%s} in the scrape: %q", name, poolLabels, metrics[name])
		}
	}
	// And the config the stats user may read: max_client_conn as rendered.
	checkMetric(t, metrics, "pgbouncer_config_max_client_connections", strconv.Itoa(pb.MaxClientConn))
	// 0.12.0 logs a failed login or query at WARN (see the negative control), so neither WARN
	// nor ERROR may appear.
	if out := exp.Output(); strings.Contains(out, "level=ERROR") || strings.Contains(out, "level=WARN") {
		t.Errorf("pgbouncer_exporter logged problems:\n%s", out)
	}
	if t.Failed() {
		t.Logf("exporter output:\n%s\npgbouncer:\n%s", exp.Output(), bouncer.Output())
	}

	// The negative control: with a wrong PGPASSWORD the same exporter must report PgBouncer
	// down, which is what proves that pgbouncer_up 1 above means it logged in.
	t.Run("wrong password reports pgbouncer down", func(t *testing.T) {
		addr := "127.0.0.1:" + strconv.Itoa(oracle.FreePort(t))
		d := oracle.StartDaemon(t, "", envList(expEnv, "PGPASSWORD=wrong"), exporterBin, "--web.listen-address="+addr)
		d.WaitTCP(t, addr, 20*time.Second)
		exp := &runningExporter{Daemon: d, url: "http://" + addr + "/metrics"}
		metrics := exp.scrape(t)
		checkMetric(t, metrics, "pgbouncer_up", "0")
		if len(metrics["pgbouncer_pools_client_active_connections"]) != 0 {
			t.Errorf("pool metrics without a login: %q", metrics["pgbouncer_pools_client_active_connections"])
		}
		if out := exp.Output(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "SASL authentication failed") {
			t.Errorf("exporter log has no level=WARN line for the failed login:\n%s", out)
		}
	})
}

// versionOutput runs a rootfs program with arg (--version) and returns what it printed.
func versionOutput(t testing.TB, program, arg string) string {
	t.Helper()
	out, err := runCommandOut(oracle.Command(t, "", nil, program, arg), 30*time.Second)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", program, arg, err, out)
	}
	return out
}
