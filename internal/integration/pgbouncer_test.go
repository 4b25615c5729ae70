package integration

import (
	"bufio"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/escape"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
	"github.com/azagen/azagen/internal/testing/oracle"
)

// appRole is the ordinary application role the tests log in through PgBouncer as: a role the
// stacks know nothing about, so auth_query must find its password.
const appRole = "azagen_app"

// pgbouncerTarget is where a rendered pgbouncer.ini sends the clients of one database.
type pgbouncerTarget struct {
	host string
	port int
}

// iniDatabases reads the [databases] section of a rendered pgbouncer.ini: database name ->
// host and port of its connection string.
func iniDatabases(t testing.TB, data []byte) map[string]pgbouncerTarget {
	t.Helper()
	out := map[string]pgbouncerTarget{}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == ';' || line[0] == '#':
		case line[0] == '[':
			section = line
		case section == "[databases]":
			name, connstr, _ := strings.Cut(line, "=")
			var target pgbouncerTarget
			for _, kv := range strings.Fields(connstr) {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "host":
					target.host = v
				case "port":
					target.port, _ = strconv.Atoi(v)
				}
			}
			out[strings.TrimSpace(name)] = target
		}
	}
	if len(out) == 0 {
		t.Fatal("the rendered pgbouncer.ini has no [databases] entry")
	}
	return out
}

// pgbouncerService returns the name and model of the stack's one PgBouncer.
func pgbouncerService(t testing.TB, st *model.Stack) (string, *model.PgBouncerSpec) {
	t.Helper()
	for _, name := range slices.Sorted(maps.Keys(st.Services)) {
		if pb := st.Services[name].PgBouncer; pb != nil {
			return name, pb
		}
	}
	t.Fatalf("stack %s has no PgBouncer", st.Key)
	return "", nil
}

// TestPgBouncerThroughRenderedEntrypoint runs the primary stack's PgBouncer (1.26, as in the
// image) the way its container does, against PostgreSQL 18 started from the rendered config and
// prepared by the rendered roles init script, and checks what the audit found broken upstream:
//   - the compose healthcheck passes verbatim, without a password prompt, from the .pgpass the
//     entrypoint wrote (items 1/7), and fails without it;
//   - a pooled session runs on the server as the client's own role, not the auth user (item 10);
//   - passwords with : \ " ' # @, spaces and non-ASCII survive .pgpass, userlist.txt, the
//     roles script and SCRAM; a wrong password is refused.
//
// It runs in private mount and network namespaces (inPrivateNamespaces), where the files can
// sit at their container paths and the servers at their rendered ports: PostgreSQL on the
// [databases] port, the compose service name in [databases] mapped to 127.0.0.1 in /etc/hosts,
// the rendered pgbouncer.ini bind-mounted at /etc/pgbouncer/pgbouncer.ini, and /tmp a fresh
// tmpfs as in the container (all three the sid rootfs's, where the programs run). The entrypoint runs from where the test laid it out rather than
// /opt/azagen (it does not refer to its own path). Nothing in the ini is rewritten.
func TestPgBouncerThroughRenderedEntrypoint(t *testing.T) {
	if !inPrivateNamespaces(t) {
		return
	}
	res := compileStacks(t)
	const stack = "primary"
	st := res.Config.Stacks[stack]
	pbName, pb := pgbouncerService(t, st)
	iniFile := res.Output[model.PgBouncerIniPath(stack)]
	if iniFile.Data == nil {
		t.Fatalf("%s is not rendered", model.PgBouncerIniPath(stack))
	}
	targets := iniDatabases(t, iniFile.Data)
	target, ok := targets["postgres"]
	if !ok {
		t.Fatalf("pgbouncer.ini has no [databases] entry for postgres: %v", targets)
	}
	mapHostsToLoopback(t, target.host)

	env := oddEnvironment(t, res, stack)
	pg := newRenderedPostgresWith(t, res, stack, pb.Server, env, target.port)
	pg.start(t)
	runRolesInit(t, res, pg, stack)
	checkRolesInitResult(t, res, pg, stack)
	// The script is idempotent: a second run succeeds and leaves the same result.
	runRolesInit(t, res, pg, stack)
	checkRolesInitResult(t, res, pg, stack)

	appPass := oddPassword("APP")
	pg.psql(t, "ALTER ROLE "+appRole+" LOGIN PASSWORD "+pgLiteral(appPass))

	bouncer := startRenderedPgBouncer(t, res, stack, pbName, env)
	containerEnv, svcEnv, path := bouncer.env, bouncer.svcEnv, bouncer.path

	authPass := env[res.Config.Roles[pb.AuthUser].PasswordVar]
	statsPass := env[res.Config.Roles[pb.StatsUser].PasswordVar]
	login := normalize.PgBouncerHealthLogin(pb)
	checkCredentialFiles(t, login, []string{escape.UserlistLine(pb.AuthUser, authPass), escape.UserlistLine(pb.StatsUser, statsPass)}, authPass)

	// The compose healthcheck, verbatim: sh -c "<test[1]>" with the service's environment.
	test := composeHealthcheckTest(t, res, stack, pbName)
	if test[0] != "CMD-SHELL" || len(test) != 2 {
		t.Fatalf("healthcheck test %q, want CMD-SHELL and one command", test)
	}
	if out, err := runCommandOut(oracle.Command(t, "", containerEnv, "/bin/sh", "-c", test[1]), 30*time.Second); err != nil || out != "" {
		t.Fatalf("healthcheck %q: %v, output %q\npgbouncer:\n%s\nserver log:\n%s", test[1], err, out, bouncer.Output(), pg.Log())
	}
	// Without the .pgpass the entrypoint wrote, the same command fails at once instead of
	// prompting: the file is what authenticates it.
	noPass := envList(svcEnv, path, "PGPASSFILE=/nonexistent/.pgpass")
	if out, err := runCommandOut(oracle.Command(t, "", noPass, "/bin/sh", "-c", test[1]), 30*time.Second); err == nil || !strings.Contains(out, "no password supplied") {
		t.Errorf("healthcheck without the .pgpass: %v, output %q; want a failure for lack of a password", err, out)
	}

	through := func(user, password, db, sql string) (string, error) {
		return oracle.Psql(t, oracle.Conn{Host: "127.0.0.1", Port: pb.ListenPort, User: user, Password: password, DB: db}, sql)
	}
	// A pooled session runs as the client's own role on the server.
	got, err := through(appRole, appPass, "postgres", "SELECT current_user || '|' || session_user || '|' || inet_server_port()")
	if err != nil {
		t.Fatalf("query through PgBouncer as %s: %v\npgbouncer:\n%s", appRole, err, bouncer.Output())
	}
	if want := appRole + "|" + appRole + "|" + strconv.Itoa(target.port); got != want {
		t.Errorf("through PgBouncer: current_user|session_user|server port = %q, want %q", got, want)
	}
	got, err = through(appRole, appPass, "postgres", "BEGIN;\nSELECT current_user;\nCOMMIT;")
	if err != nil || got != appRole {
		t.Errorf("transaction through PgBouncer: %q, %v; want %s", got, err, appRole)
	}
	// The stats user reads the admin console: the pool is the app role's, in transaction mode.
	// Columns are found by name: PgBouncer adds some in new versions (1.26 has
	// load_balance_hosts after pool_mode).
	pools, err := through(pb.StatsUser, statsPass, "pgbouncer", "\\pset tuples_only off\nSHOW POOLS;")
	if err != nil {
		t.Fatalf("SHOW POOLS as %s: %v", pb.StatsUser, err)
	}
	if !slices.ContainsFunc(adminRows(t, pools), func(row map[string]string) bool {
		return row["database"] == "postgres" && row["user"] == appRole && row["pool_mode"] == pb.PoolMode
	}) {
		t.Errorf("SHOW POOLS has no %s pool of %s for database postgres:\n%s", pb.PoolMode, appRole, pools)
	}
	if out := bouncer.Output(); strings.Contains(out, " ERROR ") || strings.Contains(out, " FATAL ") || strings.Contains(out, "WARNING") {
		t.Errorf("pgbouncer logged problems while serving good clients:\n%s", out)
	}

	// What must be refused.
	if _, err := through(pb.StatsUser, statsPass, "pgbouncer", "PAUSE;"); err == nil {
		t.Error("the stats user could PAUSE: it must not be an admin")
	} else if !strings.Contains(err.Error(), "admin access needed") {
		t.Errorf("PAUSE as the stats user failed, but not for lack of admin access: %v", err)
	}
	if _, err := through(appRole, appPass+"x", "postgres", "SELECT 1"); err == nil {
		t.Errorf("a wrong password for %s was accepted", appRole)
	} else if !strings.Contains(err.Error(), "authentication failed") {
		t.Errorf("a wrong password failed, but not on authentication: %v", err)
	} else {
		t.Logf("a wrong password, refused as it must be: %v", err)
	}
	if _, err := through(oracle.Superuser, pg.superPassword, "postgres", "SELECT 1"); err == nil {
		t.Error("the superuser logged in through PgBouncer: auth_query must not return superusers")
	} else {
		t.Logf("the superuser through PgBouncer, refused as it must be: %v", err)
	}
	if bad := logProblems(pg.Log()); len(bad) > 0 {
		for _, line := range bad {
			t.Logf("server log: %s", line)
		}
	}
	t.Logf("pgbouncer output:\n%s", bouncer.Output())
	for name, pw := range map[string]string{"app": appPass, "auth": authPass, "stats": statsPass} {
		if strings.Contains(pg.Log(), pw) || strings.Contains(bouncer.Output(), pw) {
			t.Errorf("the %s password appears in a log", name)
		}
	}
}

// runningPgBouncer is a PgBouncer started by startRenderedPgBouncer.
type runningPgBouncer struct {
	*oracle.Daemon
	// svcEnv is the service's interpolated compose environment; env is svcEnv with path, as
	// NAME=value entries: the environment of the entrypoint and of its healthcheck.
	svcEnv map[string]string
	env    []string
	path   string
}

// startRenderedPgBouncer starts a stack's PgBouncer service the way its container does: its
// rendered entrypoint, laid out from the rendered files, with its compose environment
// interpolated from env, the rendered pgbouncer.ini bound over the one the entrypoint reads,
// and PATH giving PgBouncer and the PostgreSQL 18 psql. It waits until PgBouncer listens on its
// rendered port on loopback. It must run in the private namespaces (inPrivateNamespaces), with
// the [databases] host mapped to a server already up.
func startRenderedPgBouncer(t *testing.T, res *compile.Result, stack, pbName string, env map[string]string, wrap ...string) *runningPgBouncer {
	t.Helper()
	pgbouncerBin := oracle.Require(t, oracle.ToolPgBouncer)
	psqlBin := oracle.Require(t, oracle.ToolPsql)
	_, pb := pgbouncerService(t, res.Config.Stacks[stack])
	// Lay out the PgBouncer service's files and put the ini where the entrypoint reads it.
	svc := renderedService(t, res, stack, pbName)
	layout := newStackLayout(t)
	if missing := layout.mount(t, res, stack, svc); len(missing) > 0 {
		t.Fatalf("%s mounts files azagen does not render: %v", pbName, missing)
	}
	// PgBouncer runs chrooted in the sid rootfs, so the ini it reads is the rootfs's.
	iniTarget := oracle.HostPath(t, model.ContainerPgBouncerIni)
	if _, err := os.Stat(iniTarget); err != nil {
		t.Fatalf("%s must exist in the sid rootfs to bind the rendered ini over it (Debian's pgbouncer package installs it): %v",
			model.ContainerPgBouncerIni, err)
	}
	bindMount(t, layout.local(t, model.ContainerPgBouncerIni), iniTarget)
	// Its TLS files too, where the rendered ini names them.
	bindTLSDir(t, layout)

	svcEnv := serviceEnvironment(t, svc, env)
	path := "PATH=" + filepath.Dir(pgbouncerBin) + ":" + filepath.Dir(psqlBin) + ":" + systemPath
	containerEnv := envList(svcEnv, path)
	argv := append(slices.Clone(svc.Entrypoint), svc.Command...)
	if len(argv) != 2 || argv[0] != "/bin/sh" {
		t.Fatalf("rendered entrypoint %q, want /bin/sh <script>", argv)
	}
	for i := range argv {
		argv[i] = layout.rewrite(argv[i])
	}
	// wrap runs the entrypoint under another program (prlimit, for the
	// container's ulimits).
	bouncer := oracle.StartDaemon(t, "", containerEnv, append(slices.Clone(wrap), argv...)...)
	bouncer.WaitTCP(t, "127.0.0.1:"+strconv.Itoa(pb.ListenPort), 20*time.Second)
	return &runningPgBouncer{Daemon: bouncer, svcEnv: svcEnv, env: containerEnv, path: path}
}

// adminRows parses what psql -A prints for an admin console SHOW with its header (tuples_only
// off): one map per row, column name to value. The "(n rows)" footer is skipped.
func adminRows(t testing.TB, out string) []map[string]string {
	t.Helper()
	lines := strings.Split(out, "\n")
	if len(lines) == 0 || !strings.Contains(lines[0], "|") {
		t.Fatalf("no header line in the SHOW output:\n%s", out)
	}
	header := strings.Split(lines[0], "|")
	var rows []map[string]string
	for _, line := range lines[1:] {
		if line == "" || (strings.HasPrefix(line, "(") && strings.HasSuffix(line, ")")) {
			continue
		}
		fields := strings.Split(line, "|")
		if len(fields) != len(header) {
			t.Fatalf("SHOW row %q has %d fields, the header %d:\n%s", line, len(fields), len(header), out)
		}
		row := map[string]string{}
		for i, name := range header {
			row[name] = fields[i]
		}
		rows = append(rows, row)
	}
	return rows
}

// checkCredentialFiles checks the files the PgBouncer entrypoint wrote into the private /tmp
// (the sid rootfs's, where the entrypoint runs): owned by the test user (the container's
// user), mode 0600, the .pgpass exactly the healthcheck's line and the userlist exactly the
// given lines.
func checkCredentialFiles(t *testing.T, login normalize.PgBouncerHealthcheck, userlist []string, authPass string) {
	t.Helper()
	uid, _, _ := oracle.TestUser(t)
	read := func(containerPath string) string {
		p := oracle.HostPath(t, containerPath)
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("the entrypoint did not write %s: %v", p, err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", p, fi.Mode().Perm())
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != uid {
			t.Errorf("%s is owned by uid %d, want the container user %d", p, st.Uid, uid)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	want := escape.PgpassLine(login.Host, login.Port, login.Database, login.User, authPass) + "\n"
	if got := read(model.ContainerPgpassPath); got != want {
		t.Errorf("%s = %q, want exactly the healthcheck's line %q", model.ContainerPgpassPath, got, want)
	}
	if got, want := read(model.ContainerUserlistPath), strings.Join(userlist, "\n")+"\n"; got != want {
		t.Errorf("%s = %q, want %q", model.ContainerUserlistPath, got, want)
	}
}

// checkRolesInitResult checks on the server what the roles init script must have made: every
// server role with its attributes and a working password, pg_monitor that takes effect, the
// replicas' slots, and PgBouncer's auth function in template1 and each pooled database,
// executable by the auth user only and blind to superusers.
func checkRolesInitResult(t *testing.T, res *compile.Result, pg *renderedPostgres, stack string) {
	t.Helper()
	st := res.Config.Stacks[stack]
	svc := postgresService(t, st)
	for _, r := range normalize.ServerRoles(res.Config, st, svc) {
		limit := -1
		if r.ConnectionLimit != nil {
			limit = *r.ConnectionLimit
		}
		want := strings.Join([]string{"t", "f", "f", strconv.FormatBool(r.Replication)[:1], strconv.Itoa(limit), strconv.FormatBool(r.Monitoring)[:1]}, "|")
		got := pg.psql(t, "SELECT rolcanlogin, rolinherit, rolsuper, rolreplication, rolconnlimit, "+
			"pg_has_role(rolname, 'pg_monitor', 'USAGE') FROM pg_roles WHERE rolname = "+pgLiteral(r.Name))
		got = strings.Join(strings.Split(got, "|"), "|")
		if got != want {
			t.Errorf("role %s: login|inherit|super|replication|connlimit|pg_monitor = %q, want %q", r.Name, got, want)
		}
		// The password works (the connection limit of a monitoring role is small, but free now).
		db := "postgres"
		if r.Replication {
			continue // a replication role logs in to "replication"; the replica test does that
		}
		if out, err := pg.Psql(t, r.Name, pg.env[r.PasswordVar], db, "SELECT current_user"); err != nil || out != r.Name {
			t.Errorf("role %s cannot log in with the password from %s: %q, %v", r.Name, r.PasswordVar, out, err)
		}
	}
	for _, slot := range normalize.ReplicaSlots(res.Config, st, svc) {
		if got := pg.psql(t, "SELECT slot_type FROM pg_replication_slots WHERE slot_name = "+pgLiteral(slot)); got != "physical" {
			t.Errorf("slot %s: %q, want a physical slot", slot, got)
		}
	}
	_, pb := pgbouncerService(t, st)
	check := func(db string) {
		t.Helper()
		out, err := pg.Psql(t, oracle.Superuser, pg.superPassword, db, strings.Join([]string{
			"SELECT has_function_privilege(" + pgLiteral(pb.AuthUser) + ", 'pgbouncer.get_auth(text)', 'EXECUTE')",
			"has_function_privilege(" + pgLiteral(appRole) + ", 'pgbouncer.get_auth(text)', 'EXECUTE')",
			"(SELECT count(*) FROM pgbouncer.get_auth(" + pgLiteral(pb.AuthUser) + "))",
			"(SELECT count(*) FROM pgbouncer.get_auth(" + pgLiteral(oracle.Superuser) + "))",
			"(SELECT prosecdef FROM pg_proc WHERE oid = 'pgbouncer.get_auth(text)'::regprocedure)",
		}, ", "))
		if err != nil {
			t.Errorf("database %s: %v", db, err)
			return
		}
		if want := "t|f|1|0|t"; out != want {
			t.Errorf("database %s: auth EXECUTE|app EXECUTE|rows for auth user|rows for superuser|security definer = %q, want %q", db, out, want)
		}
	}
	// appRole may not exist yet; has_function_privilege needs it.
	pg.psql(t, "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "+pgLiteral(appRole)+") THEN CREATE ROLE "+appRole+"; END IF; END $$")
	for _, db := range append([]string{"template1"}, pb.Databases...) {
		check(db)
	}
	// A database created later inherits the function from template1.
	pg.psql(t, "DROP DATABASE IF EXISTS azagen_later")
	pg.psql(t, "CREATE DATABASE azagen_later")
	check("azagen_later")
	pg.psql(t, "DROP DATABASE azagen_later")
}

// TestReplicaBootstrapFromRenderedPrimary runs the replica's rendered bootstrap entrypoint
// against a primary started from the primary stack's rendered files and prepared by its
// rendered roles init script, with the replica's rendered environment verbatim (PRIMARY_HOST
// is the compose service name, mapped to 127.0.0.1 in the private namespaces, and the primary
// listens on PRIMARY_PORT there), and checks:
//   - a wrong replication password fails and leaves no data directory behind;
//   - the bootstrap makes a standby that streams through the slot, with the password (full of
//     characters .pgpass escapes) in a 0600 file beside the data directory, not in it.
//
// TestReplicaStreamsFromRenderedPrimary covers the second run on an initialized standby.
// Only PGDATA (the standby's test directory) and the exec target (true, since the test starts
// the server itself) differ from the container.
func TestReplicaBootstrapFromRenderedPrimary(t *testing.T) {
	if !inPrivateNamespaces(t) {
		return
	}
	res := compileStacks(t)
	env := oddEnvironment(t, res, "primary", replicaStack)
	standbyEnv := serviceEnvironment(t, renderedService(t, res, replicaStack, replicaService), env)
	primaryPort, err := strconv.Atoi(standbyEnv["PRIMARY_PORT"])
	if err != nil {
		t.Fatalf("PRIMARY_PORT %q: %v", standbyEnv["PRIMARY_PORT"], err)
	}
	mapHostsToLoopback(t, standbyEnv["PRIMARY_HOST"])

	primary := newRenderedPostgresWith(t, res, "primary", postgresService(t, res.Config.Stacks["primary"]).Key, env, primaryPort)
	primary.start(t)
	runRolesInit(t, res, primary, "primary")
	// In the base backup already, so that polling the standby for rows never errors.
	primary.psql(t, "CREATE TABLE azagen_replica_probe (v text PRIMARY KEY)")

	standby := newRenderedPostgresWith(t, res, replicaStack, replicaService, env, 0)
	if err := os.RemoveAll(standby.DataDir()); err != nil {
		t.Fatal(err)
	}
	passfile := standby.DataDir() + ".replication.pgpass"
	staging := standby.DataDir() + ".azagen-bootstrap"

	// A wrong password: pg_basebackup fails, and neither a data directory nor the staging copy
	// is left behind.
	out, err := bootstrapStandby(t, standby, "PG_REPLICATION_PASSWORD=wrong")
	if err == nil || !strings.Contains(out, "pg_basebackup failed") {
		t.Fatalf("bootstrap with a wrong password: %v; want a pg_basebackup failure\n%s", err, out)
	}
	for _, p := range []string{standby.DataDir(), staging} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s exists after a failed bootstrap", p)
		}
	}

	out, err = bootstrapStandby(t, standby)
	if err != nil {
		t.Fatalf("bootstrap: %v\n%s\nprimary log:\n%s", err, out, primary.Log())
	}
	t.Logf("bootstrap:\n%s", out)
	if _, err := os.Stat(staging); err == nil {
		t.Errorf("the staging copy %s is left behind", staging)
	}
	for _, f := range []string{"PG_VERSION", "standby.signal"} {
		if _, err := os.Stat(filepath.Join(standby.DataDir(), f)); err != nil {
			t.Errorf("the standby has no %s: %v", f, err)
		}
	}
	replPass := standbyEnv["PG_REPLICATION_PASSWORD"]
	auto, err := os.ReadFile(filepath.Join(standby.DataDir(), "postgresql.auto.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(auto), "passfile=''"+passfile+"''") || strings.Contains(string(auto), "password=") {
		t.Errorf("primary_conninfo should name the password file %s and hold no password:\n%s", passfile, auto)
	}
	fi, err := os.Stat(passfile)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %04o, want 0600", passfile, fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(passfile); string(b) != escape.PgpassLine("*", 0, "*", standbyEnv["PG_REPLICATION_USER"], replPass)+"\n" {
		t.Errorf("%s = %q", passfile, b)
	}

	server := startStandby(t, standby)
	if got := standby.psql(t, "SELECT pg_is_in_recovery()"); got != "t" {
		t.Fatalf("standby: pg_is_in_recovery() = %q, want t", got)
	}
	waitStreaming(t, primary, standby, server)
	checkReplays(t, primary, standby, server, "bootstrapped")
}

// TestPgBouncerTunablesFromEnvironment (issue 14): the primary's PgBouncer
// takes default_pool_size and max_client_conn from the operator's .env. The
// rendered entrypoint writes them into the ini that pgbouncer.ini includes
// last, and real PgBouncer 1.26 reports them in SHOW CONFIG in place of the
// defaults written in pgbouncer.ini.
func TestPgBouncerTunablesFromEnvironment(t *testing.T) {
	if !inPrivateNamespaces(t) {
		return
	}
	res := compileStacks(t)
	const stack = "primary"
	st := res.Config.Stacks[stack]
	pbName, pb := pgbouncerService(t, st)
	targets := iniDatabases(t, res.Output[model.PgBouncerIniPath(stack)].Data)
	mapHostsToLoopback(t, targets["postgres"].host)

	want := map[string]string{}
	env := oddEnvironment(t, res, stack)
	for _, tu := range derive.PgBouncerTunables(pb) {
		// A value inside the range that differs from the default.
		lo, _ := strconv.Atoi(tu.Min)
		hi, _ := strconv.Atoi(tu.Max)
		v := strconv.Itoa(lo + (hi-lo)*3/4)
		if v == tu.Default {
			v = strconv.Itoa(lo)
		}
		env[tu.Name] = v
		want[strings.TrimPrefix(tu.Field, "pgbouncer.")] = v
	}
	if len(want) == 0 {
		t.Fatal("the primary's PgBouncer has no tunables")
	}
	bouncer := startRenderedPgBouncer(t, res, stack, pbName, env)
	statsPass := env[res.Config.Roles[pb.StatsUser].PasswordVar]
	out, err := oracle.Psql(t, oracle.Conn{Host: "127.0.0.1", Port: pb.ListenPort, User: pb.StatsUser, Password: statsPass, DB: "pgbouncer"},
		"\\pset tuples_only off\nSHOW CONFIG;")
	if err != nil {
		t.Fatalf("SHOW CONFIG: %v\npgbouncer:\n%s", err, bouncer.Output())
	}
	got := map[string]string{}
	for _, row := range adminRows(t, out) {
		got[row["key"]] = row["value"]
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("SHOW CONFIG %s = %q, want %q from the environment", k, got[k], v)
		}
	}
	t.Logf("PgBouncer runs with %v from the environment", want)
}
