// Package oracle lets integration tests run the real programs that read azagen's output:
// PostgreSQL 18, PgBouncer, postgres_exporter, psql, shellcheck, dclint and pre-commit.
//
// The programs come from scripts/install-test-deps.sh, which records their paths in
// $AZAGEN_TOOLS_DIR/env.sh (default /opt/azagen-test-tools/env.sh). A test asks for a program
// with [Require]; when it is missing the test is skipped on a developer machine and fails in CI
// (env CI non-empty), so a CI run can never pass by silently testing nothing.
//
// PostgreSQL and PgBouncer refuse to run as root, and CI runs as root. Everything that must not
// run as root is therefore started as the unprivileged user from [TestUser], in directories from
// [TempDir] that this user can reach. When the tests do not run as root, everything simply runs
// as the current user.
package oracle

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// InstallScript is the script, relative to the repository root, that installs every tool.
const InstallScript = "scripts/install-test-deps.sh"

// DefaultToolsDir is where InstallScript installs when AZAGEN_TOOLS_DIR is unset.
const DefaultToolsDir = "/opt/azagen-test-tools"

// DefaultTestUser is the unprivileged account InstallScript creates when AZAGEN_TEST_USER is
// unset.
const DefaultTestUser = "azagen-test"

// Tool names accepted by [Require] and [Lookup].
//
// The PostgreSQL, PgBouncer, exporter and pgBackRest tools live in the Debian sid root
// filesystem that InstallScript builds, at the versions the stacks pin; [Require] returns their
// path inside it, and [Command] and [StartDaemon] run them chrooted there. The other tools are
// the host's.
const (
	// ToolPostgresBin is the PostgreSQL 18.6 bin directory (initdb, pg_ctl, postgres, psql,
	// pg_isready, pg_basebackup), built with lz4 and zstd; pg_cron, pgaudit, timescaledb and
	// pgvector are installed beside it.
	ToolPostgresBin = "postgres-bin"
	// ToolPgBouncer is the PgBouncer 1.26 executable.
	ToolPgBouncer = "pgbouncer"
	// ToolPostgresExporter is the postgres_exporter 0.19.1 executable.
	ToolPostgresExporter = "postgres_exporter"
	// ToolPgBouncerExporter is the pgbouncer_exporter 0.12.0 executable (the Go exporter of
	// prometheus-community, the one the stacks' image runs).
	ToolPgBouncerExporter = "pgbouncer_exporter"
	// ToolPgBackRest is the pgBackRest 2.60 executable.
	ToolPgBackRest = "pgbackrest"
	// ToolSystemdAnalyze is systemd 262's systemd-analyze (verify, calendar), beside the docker
	// CLI that the rendered backup units run, which verify requires to exist.
	ToolSystemdAnalyze = "systemd-analyze"
	// ToolPsql is the PostgreSQL 18.6 psql.
	ToolPsql = "psql"
	// ToolPgIsready is the PostgreSQL 18.6 pg_isready.
	ToolPgIsready = "pg_isready"
	// ToolShellcheck is the host's shellcheck executable.
	ToolShellcheck = "shellcheck"
	// ToolPreCommit is the host's pre-commit executable.
	ToolPreCommit = "pre-commit"
	// ToolDclint is the host's dclint (compose linter) executable.
	ToolDclint = "dclint"
	// ToolMermaidCLI is the host's mmdc (@mermaid-js/mermaid-cli 12.2.0), which renders
	// Mermaid diagrams to SVG in ToolChromium.
	ToolMermaidCLI = "mmdc"
	// ToolChromium is the host's Debian chromium, the browser mmdc drives.
	ToolChromium = "chromium"
	// ToolEtcd is the etcd 3.5.30 server of the sid rootfs (Debian's etcd-server), the store of
	// the kube-apiserver in the CloudNativePG dry-run test.
	ToolEtcd = "etcd"
	// ToolKubeAPIServer is the kube-apiserver v1.37.2 that InstallScript builds from the Go
	// module proxy (scripts/build-kube-apiserver.sh); a host program. The kubectl of the same
	// release is built beside it, in the same directory (a kubectl on PATH may be any version).
	ToolKubeAPIServer = "kube-apiserver"
)

// pgBin is where Debian's postgresql-18 package puts the server and client programs.
const pgBin = "/usr/lib/postgresql/18/bin"

// tool says where a tool may be found and how to tell a usable one.
type tool struct {
	// inRoot, for a tool of the sid rootfs, is its absolute path inside the rootfs.
	inRoot string
	// versionArg is the argument that makes the program print its version ("--version" when
	// empty); wantVersion, when set, must be in what it prints.
	versionArg  string
	wantVersion string
	// Host tools: envVar names the setting (environment or env.sh) that gives the path, then
	// pathNames are looked up on PATH and in dirs.
	envVar    string
	pathNames []string
	dirs      []string
	// dir tools are bin directories that must hold every program in needs; versionOf is the
	// one whose version is checked.
	dir       bool
	needs     []string
	versionOf string
}

var tools = map[string]tool{
	ToolPostgresBin: {
		inRoot: pgBin, dir: true, needs: []string{"initdb", "pg_ctl", "postgres", "psql", "pg_isready", "pg_basebackup"},
		versionOf: "postgres", wantVersion: " 18.6",
	},
	ToolPgBouncer:         {inRoot: "/usr/sbin/pgbouncer", wantVersion: "PgBouncer 1.26."},
	ToolPostgresExporter:  {inRoot: "/usr/bin/prometheus-postgres-exporter", wantVersion: "version 0.19.1 "},
	ToolPgBouncerExporter: {inRoot: "/usr/bin/prometheus-pgbouncer-exporter", wantVersion: "version 0.12.0 "},
	ToolPgBackRest:        {inRoot: "/usr/bin/pgbackrest", versionArg: "version", wantVersion: "pgBackRest 2.60."},
	ToolSystemdAnalyze:    {inRoot: "/usr/bin/systemd-analyze", wantVersion: "systemd 262 "},
	ToolPsql:              {inRoot: pgBin + "/psql", wantVersion: " 18.6"},
	ToolPgIsready:         {inRoot: pgBin + "/pg_isready", wantVersion: " 18.6"},
	ToolEtcd:              {inRoot: "/usr/bin/etcd", wantVersion: "Version: 3.5.30"},
	ToolKubeAPIServer:     {envVar: "AZAGEN_KUBE_APISERVER", dirs: []string{filepath.Join(DefaultToolsDir, "kube", "v1.37.2")}, pathNames: []string{"kube-apiserver"}},
	ToolShellcheck:        {envVar: "AZAGEN_SHELLCHECK", pathNames: []string{"shellcheck"}},
	ToolPreCommit:         {envVar: "AZAGEN_PRE_COMMIT", pathNames: []string{"pre-commit"}},
	ToolDclint: {
		envVar: "AZAGEN_DCLINT", pathNames: []string{"dclint"},
		dirs: []string{filepath.Join(DefaultToolsDir, "bin")},
	},
	ToolMermaidCLI: {
		envVar: "AZAGEN_MMDC", pathNames: []string{"mmdc"}, wantVersion: "12.2.0",
		dirs: []string{filepath.Join(DefaultToolsDir, "bin")},
	},
	ToolChromium: {envVar: "AZAGEN_CHROMIUM", dirs: []string{"/usr/lib/chromium"}, pathNames: []string{"chromium"}},
}

// Require returns the path of the named tool (one of the Tool* constants): a directory for
// ToolPostgresBin, an executable otherwise. A rootfs tool's path is the one inside the rootfs,
// for [Command] and [StartDaemon]. A host tool's environment variable wins, then
// $AZAGEN_TOOLS_DIR/env.sh, then PATH. A missing tool skips the test, or fails it when env CI
// is non-empty.
func Require(t testing.TB, name string) string {
	t.Helper()
	if _, ok := tools[name]; !ok {
		t.Fatalf("oracle.Require: unknown tool %q", name)
	}
	p, err := Lookup(name)
	if err != nil {
		missing(t, err.Error())
	}
	return p
}

// missing skips the test, or fails it in CI where every tool is meant to be installed.
func missing(t testing.TB, why string) {
	t.Helper()
	msg := fmt.Sprintf("%s; install the test tools with `sudo %s`", why, InstallScript)
	if os.Getenv("CI") != "" {
		t.Fatalf("%s (CI is set, so a missing tool is an error)", msg)
	}
	t.Skip(msg)
}

// Lookup is the non-test form of [Require]: it returns the tool's path, or an error saying why
// it is not usable.
func Lookup(name string) (string, error) {
	tl, ok := tools[name]
	if !ok {
		return "", fmt.Errorf("unknown tool %q", name)
	}
	if tl.inRoot != "" {
		return tl.inRoot, tl.checkInRoot()
	}
	// An explicit setting is final: falling back to PATH would test something else than asked.
	if v := os.Getenv(tl.envVar); v != "" {
		if err := tl.check(v); err != nil {
			return "", fmt.Errorf("%s=%s: %w", tl.envVar, v, err)
		}
		return v, nil
	}
	envFile, settings, envErr := envFileSettings()
	if v := settings[tl.envVar]; v != "" {
		if err := tl.check(v); err != nil {
			return "", fmt.Errorf("%s=%s from %s: %w", tl.envVar, v, envFile, err)
		}
		return v, nil
	}
	var candidates []string
	for _, n := range tl.pathNames {
		if p, err := exec.LookPath(n); err == nil {
			candidates = append(candidates, p)
		}
		for _, d := range tl.dirs {
			// A well-known place that does not exist is not worth a line in the skip message.
			if p := filepath.Join(d, n); executable(p) == nil {
				candidates = append(candidates, p)
			}
		}
	}
	var reasons []string
	for _, c := range candidates {
		err := tl.check(c)
		if err == nil {
			return c, nil
		}
		reasons = append(reasons, fmt.Sprintf("%s: %v", c, err))
	}
	why := fmt.Sprintf("%s not found: %s unset", name, tl.envVar)
	if envErr != nil {
		why += fmt.Sprintf(", %v", envErr)
	} else {
		why += fmt.Sprintf(", not in %s", envFile)
	}
	if len(reasons) > 0 {
		why += ", rejected " + strings.Join(reasons, "; ")
	} else {
		why += ", not on PATH"
	}
	return "", errors.New(why)
}

// check tells whether path is a usable instance of a host tool.
func (tl tool) check(path string) error {
	if !filepath.IsAbs(path) {
		return errors.New("not an absolute path")
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return errors.New("is a directory")
	}
	return executable(path)
}

// checkInRoot tells whether the rootfs holds the tool at the pinned version.
func (tl tool) checkInRoot() error {
	root, err := sidRoot()
	if err != nil {
		return err
	}
	probe := tl.inRoot
	if tl.dir {
		for _, n := range tl.needs {
			if err := executable(filepath.Join(root, tl.inRoot, n)); err != nil {
				return err
			}
		}
		probe = path.Join(tl.inRoot, tl.versionOf)
	} else if err := executable(filepath.Join(root, tl.inRoot)); err != nil {
		return err
	}
	arg := tl.versionArg
	if arg == "" {
		arg = "--version"
	}
	v, err := version(root, probe, arg)
	if err != nil {
		return err
	}
	if !strings.Contains(v, tl.wantVersion) {
		return fmt.Errorf("%s in %s is %q, want%s (re-run %s)", probe, root, v, tl.wantVersion, InstallScript)
	}
	return nil
}

func executable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not executable", path)
	}
	return nil
}

var versions sync.Map // program path -> versionResult; a version probe is a fork+exec per Require

type versionResult struct {
	out string
	err error
}

// version runs program (a path inside root) with arg, chrooted, and returns what it printed.
func version(root, program, arg string) (string, error) {
	if r, ok := versions.Load(program); ok {
		return r.(versionResult).out, r.(versionResult).err
	}
	cmd := exec.Command(program, arg)
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
	cmd.Dir = "/"
	out, err := cmd.CombinedOutput()
	r := versionResult{out: strings.TrimSpace(string(out))}
	if err != nil {
		r.err = fmt.Errorf("%s %s in %s: %w: %s", program, arg, root, err, r.out)
	}
	versions.Store(program, r)
	return r.out, r.err
}

var envFiles sync.Map // path -> envFileResult

type envFileResult struct {
	settings map[string]string
	err      error
}

// envFileSettings reads the env.sh that InstallScript wrote, so that `go test` works without
// sourcing it first.
func envFileSettings() (path string, settings map[string]string, err error) {
	dir := os.Getenv("AZAGEN_TOOLS_DIR")
	if dir == "" {
		dir = DefaultToolsDir
	}
	path = filepath.Join(dir, "env.sh")
	if r, ok := envFiles.Load(path); ok {
		return path, r.(envFileResult).settings, r.(envFileResult).err
	}
	settings, err = parseEnvFile(path)
	envFiles.Store(path, envFileResult{settings, err})
	return path, settings, err
}

// parseEnvFile reads `export NAME=value` lines as InstallScript writes them: value bare,
// single-quoted (an embedded quote closed, escaped and reopened) or double-quoted without
// expansions. Anything else is ignored rather than evaluated: this is not a shell.
func parseEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	settings := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		line = strings.TrimPrefix(line, "export ")
		name, raw, ok := strings.Cut(line, "=")
		if !ok || !isEnvName(name) {
			continue
		}
		if v, ok := shellUnquote(raw); ok {
			settings[name] = v
		}
	}
	return settings, sc.Err()
}

func isEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, r := range s {
		if r != '_' && (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// shellUnquote undoes the quoting of one shell word made of bare, backslash-escaped, '…' and
// "…" parts; it reports false for what would need a shell to evaluate ($, `, unquoted spaces).
func shellUnquote(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return "", false
			}
			b.WriteString(s[i+1 : i+1+end])
			i += end + 2
		case '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 || strings.ContainsAny(s[i+1:i+1+end], "$`\\") {
				return "", false
			}
			b.WriteString(s[i+1 : i+1+end])
			i += end + 2
		case '\\':
			// A quoted character, as in the '\'' that closes, escapes and reopens a quote.
			if i+1 >= len(s) {
				return "", false
			}
			b.WriteByte(s[i+1])
			i += 2
		case '$', '`', ' ', '\t', ';', '&', '|', '<', '>', '(', ')':
			return "", false
		case '#':
			if i == 0 {
				return "", false
			}
			b.WriteByte(c)
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), true
}

// TestUser returns the account that servers run as. As root that is the unprivileged user
// InstallScript created (AZAGEN_TEST_USER, from the environment or env.sh, default
// DefaultTestUser); a missing user skips the test, or fails it in CI. As any other user it is the
// current user: PostgreSQL and PgBouncer only refuse root.
func TestUser(t testing.TB) (uid, gid int, name string) {
	t.Helper()
	if os.Geteuid() != 0 {
		name = strconv.Itoa(os.Geteuid())
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
		return os.Geteuid(), os.Getegid(), name
	}
	name = testUserName()
	u, err := user.Lookup(name)
	if err != nil {
		missing(t, fmt.Sprintf("test user: %v (running as root, and postgres/pgbouncer refuse root)", err))
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err := errors.Join(err1, err2); err != nil {
		t.Fatalf("test user %s: %v", name, err)
	}
	if uid == 0 {
		t.Fatalf("test user %s has uid 0: postgres and pgbouncer would refuse it", name)
	}
	return uid, gid, name
}

func testUserName() string {
	if v := os.Getenv("AZAGEN_TEST_USER"); v != "" {
		return v
	}
	if _, settings, _ := envFileSettings(); settings["AZAGEN_TEST_USER"] != "" {
		return settings["AZAGEN_TEST_USER"]
	}
	return DefaultTestUser
}

var (
	portsMu    sync.Mutex
	portsGiven = map[int]bool{}
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago and that no other caller
// in this test binary has been given, so parallel tests do not race each other for it.
func FreePort(t testing.TB) int {
	t.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("FreePort: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !portsGiven[port] {
			portsGiven[port] = true
			return port
		}
	}
	t.Fatal("FreePort: no unused port after 50 tries")
	return 0
}

// TempDir returns a new directory, removed when the test ends, that the test user can enter
// and write, and that has the same path in the sid rootfs, so a chrooted program reads and
// writes it under the name the test uses. t.TempDir would not do: t.TempDir is 0700 and owned by the test binary's user, which is root in CI. The
// directory is mode 0755 and owned by the test user, so daemons can create their pid, log and
// socket files in it while the test writes the configs they read (root-owned, mode 0644).
func TempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp(workDir(t), "azagen-oracle-")
	if err != nil {
		t.Fatalf("TempDir: %v", err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("TempDir cleanup: %v", err)
		}
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("TempDir: %v", err)
	}
	ChownToTestUser(t, dir)
	return dir
}

// workDir is the rootfs's work directory, whose paths are the same inside and outside it.
func workDir(t testing.TB) string {
	t.Helper()
	Rootfs(t)
	return sid().work
}

// ChownToTestUser gives path (not recursively) to the test user, for a file or directory the
// test created that a server must write, or read when its mode is private (0600). It does
// nothing when the test does not run as root, since then the test user is the current user.
func ChownToTestUser(t testing.TB, path string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	uid, gid, _ := TestUser(t)
	if err := os.Lchown(path, uid, gid); err != nil {
		t.Fatalf("chown %s: %v", path, err)
	}
}
