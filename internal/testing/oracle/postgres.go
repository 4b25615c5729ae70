package oracle

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Superuser is the superuser role that [NewCluster] creates.
const Superuser = "postgres"

// DefaultPassword is the superuser password when ClusterOptions.Password is empty.
const DefaultPassword = "postgres"

// ClusterOptions configures [NewCluster]. The zero value is a PostgreSQL 18.6 cluster with the
// data directory's own postgresql.conf and pg_hba.conf (scram-sha-256 everywhere).
type ClusterOptions struct {
	// BinDir holds initdb, pg_ctl and postgres, inside the rootfs. Empty means
	// Require(t, ToolPostgresBin).
	BinDir string
	// Password is the superuser's password; empty means DefaultPassword.
	Password string
	// InitDBArgs are added to initdb's command line, e.g. "--data-checksums".
	InitDBArgs []string
	// ConfigFile, if set, is the postgresql.conf the server reads (-c config_file=…) instead of
	// the data directory's. Relative includes in it resolve against its own directory. It may be
	// written after NewCluster: only Start reads it.
	ConfigFile string
	// HBAFile, if set, is the pg_hba.conf the server reads (-c hba_file=…). Without it the data
	// directory's applies: scram-sha-256 for local, 127.0.0.1/32 and ::1/128.
	HBAFile string
	// Settings are "name=value" pairs given to the server as -c options. They come after the
	// harness's own (listen_addresses, port, unix_socket_directories, config_file, hba_file),
	// so they win over those and over the config file; changing port or the socket directory
	// makes Port and SocketDir wrong.
	Settings []string
	// Port is the TCP port; 0 picks a free one.
	Port int
}

// Cluster is a PostgreSQL data directory, initialised by [NewCluster], whose server the test
// starts and stops. It listens on 127.0.0.1 only and runs as the [TestUser]; the server is
// stopped and the directory removed when the test ends.
type Cluster struct {
	t        testing.TB
	bin      string
	user     string
	password string
	opts     ClusterOptions
	dir      string
	port     int
}

// NewCluster runs initdb (no fsync, UTF8, locale C.UTF-8, superuser "postgres" with a password,
// scram-sha-256) into a fresh [TempDir]. It does not start the server: see [Cluster.Start].
func NewCluster(t testing.TB, opts ClusterOptions) *Cluster {
	t.Helper()
	bin := opts.BinDir
	if bin == "" {
		bin = Require(t, ToolPostgresBin)
	}
	_, _, userName := TestUser(t)
	c := &Cluster{
		t:        t,
		bin:      bin,
		user:     userName,
		password: opts.Password,
		opts:     opts,
		dir:      TempDir(t),
		port:     opts.Port,
	}
	if c.password == "" {
		c.password = DefaultPassword
	}
	if c.port == 0 {
		c.port = FreePort(t)
	}
	for _, p := range []*string{&c.opts.ConfigFile, &c.opts.HBAFile} {
		if *p != "" {
			abs, err := filepath.Abs(*p)
			if err != nil {
				t.Fatal(err)
			}
			*p = abs
		}
	}
	if err := os.Mkdir(c.SocketDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	ChownToTestUser(t, c.SocketDir())

	// initdb reads the password from a file rather than a prompt; it must be private to the user.
	pwfile := filepath.Join(c.dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(c.password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ChownToTestUser(t, pwfile)
	args := []string{
		filepath.Join(bin, "initdb"), "-D", c.DataDir(), "-U", Superuser, "--pwfile=" + pwfile,
		"--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8", "-N", "--no-instructions",
	}
	out, err := runTimeout(Command(t, userName, nil, append(args, opts.InitDBArgs...)...), 2*time.Minute)
	os.Remove(pwfile)
	if err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	t.Cleanup(c.cleanup)
	return c
}

// Port returns the server's TCP port on 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// SocketDir returns the directory of the server's Unix socket, usable as a psql -h value.
func (c *Cluster) SocketDir() string { return filepath.Join(c.dir, "sock") }

// DataDir returns the data directory.
func (c *Cluster) DataDir() string { return filepath.Join(c.dir, "data") }

// Dir returns the cluster's own directory (mode 0755, owned by the test user), which holds the
// data directory, the socket directory and the server log, and is a handy place for the config
// files given in ClusterOptions.
func (c *Cluster) Dir() string { return c.dir }

// BinDir returns the directory of the server programs in use.
func (c *Cluster) BinDir() string { return c.bin }

// Password returns the superuser's password.
func (c *Cluster) Password() string { return c.password }

func (c *Cluster) logPath() string { return filepath.Join(c.dir, "server.log") }

// Log returns the server log so far (empty if the server never started).
func (c *Cluster) Log() string {
	b, _ := os.ReadFile(c.logPath())
	return string(b)
}

// Start starts the server with pg_ctl and waits until it accepts connections. extraArgs are
// added to the postgres command line after every other option (so "-c", "name=value" wins over
// everything). The error, for a server that would not start, includes the server log.
func (c *Cluster) Start(extraArgs ...string) error {
	c.t.Helper()
	args := []string{
		"-c", "listen_addresses=127.0.0.1",
		"-c", "port=" + strconv.Itoa(c.port),
		"-c", "unix_socket_directories=" + c.SocketDir(),
	}
	if c.opts.ConfigFile != "" {
		args = append(args, "-c", "config_file="+c.opts.ConfigFile)
	}
	if c.opts.HBAFile != "" {
		args = append(args, "-c", "hba_file="+c.opts.HBAFile)
	}
	for _, s := range c.opts.Settings {
		args = append(args, "-c", s)
	}
	args = append(args, extraArgs...)
	// pg_ctl hands -o to /bin/sh, so every argument is quoted for it.
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	out, err := c.pgCtl("start", "-l", c.logPath(), "-t", "60", "-o", strings.Join(quoted, " "))
	if err != nil {
		return fmt.Errorf("pg_ctl start: %v\n%s\nserver log:\n%s", err, out, c.Log())
	}
	return nil
}

// Stop stops the server (fast shutdown) and waits for it to exit. Stopping a server that is
// not running does nothing.
func (c *Cluster) Stop() error {
	c.t.Helper()
	if !c.running() {
		return nil
	}
	out, err := c.pgCtl("stop", "-m", "fast", "-t", "60")
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v\n%s\nserver log:\n%s", err, out, c.Log())
	}
	return nil
}

// running reports whether a postmaster may be alive, going by postmaster.pid rather than by
// what Start returned: a start that timed out can still leave a server behind.
func (c *Cluster) running() bool {
	_, err := os.Stat(filepath.Join(c.DataDir(), "postmaster.pid"))
	return err == nil
}

func (c *Cluster) pgCtl(action string, args ...string) (string, error) {
	argv := append([]string{filepath.Join(c.bin, "pg_ctl"), action, "-D", c.DataDir(), "-w"}, args...)
	return runTimeout(Command(c.t, c.user, nil, argv...), 2*time.Minute)
}

func (c *Cluster) cleanup() {
	if !c.running() {
		if c.t.Failed() {
			c.t.Logf("server log of %s:\n%s", c.DataDir(), c.Log())
		}
		return
	}
	if err := c.Stop(); err != nil {
		c.t.Errorf("%v", err)
		if out, err := c.pgCtl("stop", "-m", "immediate", "-t", "30"); err != nil {
			c.t.Errorf("pg_ctl stop -m immediate: %v\n%s", err, out)
		}
		return // Stop's error already carries the log
	}
	if c.t.Failed() {
		c.t.Logf("server log of %s:\n%s", c.DataDir(), c.Log())
	}
}

// Psql runs sql on this cluster over TCP as user with password, in database db; see the
// package-level [Psql].
func (c *Cluster) Psql(t testing.TB, user, password, db, sql string) (string, error) {
	t.Helper()
	return Psql(t, Conn{Port: c.port, User: user, Password: password, DB: db}, sql)
}

// SuperuserPsql runs sql as the superuser in database "postgres", and fails the test (with the
// server log) on error: for setting up roles, databases and fixtures.
func (c *Cluster) SuperuserPsql(t testing.TB, sql string) string {
	t.Helper()
	out, err := c.Psql(t, Superuser, c.password, "postgres", sql)
	if err != nil {
		t.Fatalf("%v\nserver log:\n%s", err, c.Log())
	}
	return out
}

// Conn says where [Psql] connects.
type Conn struct {
	// Host is a host name, an address or a Unix socket directory; empty means 127.0.0.1.
	Host string
	Port int
	User string
	// Password is given to libpq as PGPASSWORD; leave it empty to test a .pgpass file.
	Password string
	// DB is the database; empty means "postgres".
	DB string
	// PassFile is PGPASSFILE. Empty means none at all (/dev/null), so that the invoking user's
	// ~/.pgpass never takes part.
	PassFile string
}

// Psql runs sql (any psql script, fed on stdin) with psql -X -w -A -t -q and ON_ERROR_STOP,
// so it never reads a psqlrc, never prompts for a password, prints unaligned tuples only and
// stops at the first error. It returns stdout without its final newline; the error carries psql's
// stderr. It runs the rootfs's PostgreSQL 18.6 psql as the [TestUser], with none of the test's
// own environment (a developer's PGHOST or PGSSLMODE must not change what a test connects to).
func Psql(t testing.TB, conn Conn, sql string) (string, error) {
	t.Helper()
	host := conn.Host
	if host == "" {
		host = "127.0.0.1"
	}
	db := conn.DB
	if db == "" {
		db = "postgres"
	}
	passFile := conn.PassFile
	if passFile == "" {
		passFile = os.DevNull
	}
	env := []string{"PGPASSFILE=" + passFile, "PGCONNECT_TIMEOUT=10", "PGAPPNAME=azagen-oracle"}
	if conn.Password != "" {
		env = append(env, "PGPASSWORD="+conn.Password)
	}
	cmd := Command(t, "", env, Require(t, ToolPsql), "-X", "-w", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
		"-h", host, "-p", strconv.Itoa(conn.Port), "-U", conn.User, "-d", db, "-f", "-")
	cmd.Stdin = strings.NewReader(sql)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	timer := time.AfterFunc(2*time.Minute, func() { _ = cmd.Process.Kill() })
	out, err := cmd.Output()
	timer.Stop()
	if err != nil {
		return string(out), fmt.Errorf("psql -h %s -p %d -U %s -d %s: %v\n%s", host, conn.Port, conn.User, db, err, stderr.String())
	}
	return strings.TrimSuffix(string(out), "\n"), nil
}

// runTimeout runs cmd with combined output and kills it after d.
func runTimeout(cmd *exec.Cmd, d time.Duration) (string, error) {
	var out strings.Builder
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	timer := time.AfterFunc(d, func() { _ = cmd.Process.Kill() })
	err := cmd.Wait()
	if !timer.Stop() {
		err = errors.Join(err, fmt.Errorf("killed after %v", d))
	}
	return out.String(), err
}

// shellQuote quotes s as one /bin/sh word.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
