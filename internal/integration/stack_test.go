// Package integration runs azagen's rendered files through the real programs that read them:
// PostgreSQL 18, PgBouncer, postgres_exporter and pgbouncer_exporter, at the versions the
// stacks pin, chrooted in the sid rootfs of internal/testing/oracle. Every test starts from
// compile.Compile on the repository's stacks.cue (plus, where a test says why, an overlay from
// testdata), lays the rendered files out at the paths the rendered compose files mount them
// at, and starts the program with the rendered command and environment. Missing programs skip the tests on a
// developer machine and fail them in CI (oracle.Require).
package integration

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/template"
	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/testing/oracle"
)

// stacksSource is the repository's stacks.cue, seen from this package's directory.
const stacksSource = "../../stacks.cue"

// compileStacks compiles stacks.cue followed by the given overlays and fails the test unless
// the result is a complete, error-free output set.
func compileStacks(t testing.TB, overlays ...string) *compile.Result {
	t.Helper()
	res, err := compile.Compile(context.Background(), append([]string{stacksSource}, overlays...))
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	if res.Diags.HasErrors() || res.Output == nil {
		t.Fatalf("compile reported errors:\n%v", res.Diags)
	}
	return res
}

// composeService is the part of a rendered compose service the tests act on.
type composeService struct {
	Image       string            `yaml:"image"`
	Command     []string          `yaml:"command"`
	Entrypoint  []string          `yaml:"entrypoint"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
}

// renderedService decodes one service of a stack's rendered compose.yaml: the tests start
// programs from what that file says, not from the model it was rendered from.
func renderedService(t testing.TB, res *compile.Result, stack, service string) composeService {
	t.Helper()
	p := model.ComposePath(stack)
	f, ok := res.Output[p]
	if !ok {
		t.Fatalf("%s is not rendered", p)
	}
	var doc struct {
		Services map[string]composeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(f.Data, &doc); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	svc, ok := doc.Services[service]
	if !ok {
		t.Fatalf("%s has no service %q", p, service)
	}
	return svc
}

// stackLayout is a directory standing in for the containers' file systems: every rendered
// file a service bind-mounts is written at root + its container path, so that relative
// includes and the paths in commands and environment resolve as they do in the containers.
type stackLayout struct {
	root string
	// mounted maps a container path to the local file written for it.
	mounted map[string]string
}

// newStackLayout returns an empty layout in a directory the test user can read.
func newStackLayout(t testing.TB) *stackLayout {
	t.Helper()
	return &stackLayout{root: oracle.TempDir(t), mounted: map[string]string{}}
}

// mount writes the rendered files svc bind-mounts from the stack's directory. It returns the
// container paths of bind mounts that name a file the output set does not hold (the caller
// decides whether that matters to it).
func (l *stackLayout) mount(t testing.TB, res *compile.Result, stack string, svc composeService) (missing []string) {
	t.Helper()
	for _, v := range svc.Volumes {
		parts := strings.Split(v, ":")
		src := parts[0]
		if len(parts) < 2 || !(strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../")) {
			continue // a named volume
		}
		target := parts[1]
		outPath := path.Join(model.StackDir(stack), src)
		mode := os.FileMode(0o644)
		var data []byte
		f, ok := res.Output[outPath]
		switch {
		case ok:
			data = f.Data
			if f.Mode.Perm()&0o111 != 0 {
				mode = 0o755
			}
		default:
			// The TLS files are the operator's (see testCertDir).
			if data, mode, ok = operatorFile(t, res, stack, src); !ok {
				missing = append(missing, target)
				continue
			}
		}
		local := filepath.Join(l.root, filepath.FromSlash(target))
		if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(local, data, mode); err != nil {
			t.Fatal(err)
		}
		// WriteFile keeps the mode of an existing file and applies the umask to a new one.
		if err := os.Chmod(local, mode); err != nil {
			t.Fatal(err)
		}
		// A key must belong to the user the server runs as (PostgreSQL refuses it otherwise).
		oracle.ChownToTestUser(t, local)
		l.mounted[target] = local
	}
	return missing
}

// local returns the local file written for a container path, failing the test if the
// rendered compose file mounts nothing there.
func (l *stackLayout) local(t testing.TB, containerPath string) string {
	t.Helper()
	p, ok := l.mounted[containerPath]
	if !ok {
		t.Fatalf("nothing is mounted at %s (mounted: %v)", containerPath, slices.Sorted(maps.Keys(l.mounted)))
	}
	return p
}

// rewrite replaces every mounted container path in s by its local file.
func (l *stackLayout) rewrite(s string) string {
	// Longest first, so that no path is replaced inside a longer one.
	targets := slices.Sorted(maps.Keys(l.mounted))
	slices.SortStableFunc(targets, func(a, b string) int { return len(b) - len(a) })
	for _, target := range targets {
		s = strings.ReplaceAll(s, target, l.mounted[target])
	}
	return s
}

// sampleEnvironment is what compose would interpolate the stack's compose file with once an
// operator has filled in .env.example: defaults, and a placeholder for every required value.
func sampleEnvironment(t testing.TB, res *compile.Result, stack string) map[string]string {
	t.Helper()
	st := res.Config.Stacks[stack]
	if st == nil {
		t.Fatalf("no stack %q", stack)
	}
	return derive.SampleEnvironment(st)
}

// serviceEnvironment interpolates the service's rendered environment with env, as compose
// does (${VAR:?msg}, ${VAR:-default}); a variable env lacks fails the test.
func serviceEnvironment(t testing.TB, svc composeService, env map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range svc.Environment {
		s, err := template.Substitute(v, func(name string) (string, bool) {
			val, ok := env[name]
			return val, ok
		})
		if err != nil {
			t.Fatalf("environment %s: %v", k, err)
		}
		out[k] = s
	}
	return out
}

// renderedPostgres is a PostgreSQL server started from a stack's rendered files.
type renderedPostgres struct {
	*oracle.Cluster
	layout *stackLayout
	svc    composeService
	// env is the service's interpolated compose environment.
	env map[string]string
	// superPassword is the superuser's password (POSTGRES_PASSWORD of the sample environment).
	superPassword string
	// preload is the server's -c shared_preload_libraries=… (testPreload).
	preload string
}

// pgServerBin is the bin directory of the PostgreSQL 18.6 the servers run on: Debian sid's
// postgresql-18, built with lz4 and zstd like the image, so the rendered wal_compression = 'lz4'
// loads unchanged.
func pgServerBin(t testing.TB) string {
	t.Helper()
	return oracle.Require(t, oracle.ToolPostgresBin)
}

// testPreload is the -c shared_preload_libraries the servers get, which is how the image's
// entrypoint passes it too (the rendered confs leave it out on purpose): the model's preload
// list, less the libraries Debian sid does not package (oracle.PackagedPreload drops
// pg_stat_monitor and safeupdate, and nothing else). So the rendered settings of every other
// preloaded library (auto_explain., pg_stat_statements., cron., pgaudit., timescaledb.) are
// checked by the library that owns them, as in the image.
func testPreload(res *compile.Result) string {
	return "shared_preload_libraries=" + oracle.PackagedPreload(strings.Join(res.Config.PostgreSQL.Preload, ","))
}

// newRenderedPostgres lays out the rendered files of a postgres service and initialises a
// cluster for them with the sample superuser password, on a free port. It does not start the
// server.
func newRenderedPostgres(t testing.TB, res *compile.Result, stack, service string) *renderedPostgres {
	t.Helper()
	return newRenderedPostgresOnPort(t, res, stack, service, 0)
}

// newRenderedPostgresOnPort is newRenderedPostgres on the given port (0: a free one).
func newRenderedPostgresOnPort(t testing.TB, res *compile.Result, stack, service string, port int) *renderedPostgres {
	t.Helper()
	svc := renderedService(t, res, stack, service)
	layout := newStackLayout(t)
	if missing := layout.mount(t, res, stack, svc); len(missing) > 0 {
		t.Fatalf("%s/%s mounts files azagen does not render: %v", stack, service, missing)
	}
	env := serviceEnvironment(t, svc, sampleEnvironment(t, res, stack))
	pw := env["POSTGRES_PASSWORD"]
	if pw == "" {
		t.Fatalf("%s/%s has no POSTGRES_PASSWORD in its environment", stack, service)
	}
	c := oracle.NewCluster(t, oracle.ClusterOptions{BinDir: pgServerBin(t), Password: pw, Port: port})
	return &renderedPostgres{Cluster: c, layout: layout, svc: svc, env: env, superPassword: pw, preload: testPreload(res)}
}

// serverArgs are the rendered compose command's arguments after "postgres", with container
// paths replaced by the laid-out files, then the test's own adjustments: the preload
// libraries (see testPreload), and the TLS files at their laid-out paths (tlsFileArgs). The
// harness adds listen_addresses=127.0.0.1, a free port and a
// private socket directory before them, so servers never collide and never listen beyond
// loopback; the entrypoint passes listen_addresses with -c as well.
func (p *renderedPostgres) serverArgs(t testing.TB) []string {
	t.Helper()
	if len(p.svc.Command) == 0 || p.svc.Command[0] != "postgres" {
		t.Fatalf("rendered command is %q, want postgres ...", p.svc.Command)
	}
	var args []string
	for _, a := range p.svc.Command[1:] {
		args = append(args, p.layout.rewrite(a))
	}
	args = append(args, p.tlsFileArgs(t)...)
	args = append(args, "-c", p.preload)
	// A backed-up server archives through pgBackRest, whose repository and stanza exist only
	// where the stack runs as compose would: TestBackupRestoreDrill proves the rendered
	// archive_command there. Here the segments are dropped, so the log stays clean.
	if slices.ContainsFunc(p.svc.Volumes, func(v string) bool { return strings.Contains(v, ":"+model.ContainerPgBackRestConf) }) {
		args = append(args, "-c", "archive_command=/bin/true")
	}
	return args
}

// start starts the server with serverArgs and fails the test if it does not come up, or if it
// did not load every library of testPreload.
func (p *renderedPostgres) start(t testing.TB) {
	t.Helper()
	if err := p.Start(p.serverArgs(t)...); err != nil {
		t.Fatal(err)
	}
	want := strings.TrimPrefix(p.preload, "shared_preload_libraries=")
	if got := p.psql(t, "SHOW shared_preload_libraries"); got != want {
		t.Fatalf("shared_preload_libraries = %q, want %q", got, want)
	}
}

// psql runs sql as the superuser over TCP, failing the test on error.
func (p *renderedPostgres) psql(t testing.TB, sql string) string {
	t.Helper()
	return p.SuperuserPsql(t, sql)
}

// logProblems returns the server log lines at WARNING or above, except the sessions a
// shutdown ends: between "received ... shutdown request" and "database system is shut down"
// the server terminates the backends still there "due to administrator command" (FATAL),
// which is only the test stopping the server while its last psql backend was exiting, or a
// standby's WAL receiver.
func logProblems(log string) []string {
	var out []string
	shuttingDown := false
	for _, line := range strings.Split(log, "\n") {
		switch {
		case strings.Contains(line, "shutdown request"):
			shuttingDown = true
		case strings.Contains(line, "database system is shut down"):
			shuttingDown = false
		}
		if shuttingDown && strings.Contains(line, "FATAL:  terminating") && strings.HasSuffix(line, "due to administrator command") {
			continue
		}
		for _, lvl := range []string{"WARNING:", "ERROR:", "FATAL:", "PANIC:"} {
			if strings.Contains(line, lvl) {
				out = append(out, line)
				break
			}
		}
	}
	return out
}

// pgAtoi parses a psql result that must be an integer.
func pgAtoi(t testing.TB, s string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}

// imageOSUser is the OS account the official image runs the server and its init scripts as.
const imageOSUser = "postgres"

// runRolesInit runs the stack's rendered roles init script verbatim, the way the official
// image's entrypoint runs the scripts of /docker-entrypoint-initdb.d after initdb: directly
// (it is executable), with the service's compose environment plus PGPASSWORD set to
// POSTGRES_PASSWORD, and with psql reaching the server over its Unix socket.
//
// The test adjustments: PGHOST and PGPORT name the test server's socket directory and port
// (the container's temporary init server listens on the default /var/run/postgresql, port
// 5432), and PATH puts the PostgreSQL 18 psql first. The script runs as the rootfs's OS user
// postgres, so the rendered "local all postgres peer" rule is what lets it in, as in the
// container.
func runRolesInit(t testing.TB, res *compile.Result, pg *renderedPostgres, stack string) {
	t.Helper()
	script := path.Join(model.ContainerInitdbDir, path.Base(model.RolesInitPath(stack)))
	local := pg.layout.local(t, script)
	env := []string{}
	for _, k := range slices.Sorted(maps.Keys(pg.env)) {
		env = append(env, k+"="+pg.env[k])
	}
	env = append(env,
		"PGPASSWORD="+pg.superPassword,
		"PATH="+pgServerBin(t)+":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"PGPORT="+strconv.Itoa(pg.Port()))
	env = append(env, "PGHOST="+pg.SocketDir())
	stdout, stderr, err := runCommand(oracle.Command(t, imageOSUser, env, local), 60*time.Second)
	if err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s\nserver log:\n%s", script, err, stdout, stderr, pg.Log())
	}
	t.Logf("%s:\n%s%s", script, stdout, stderr)
}

// runCommand runs cmd and returns its stdout and stderr; it is killed after timeout.
func runCommand(cmd *exec.Cmd, timeout time.Duration) (stdout, stderr string, err error) {
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		return "", "", err
	}
	timer := time.AfterFunc(timeout, func() { _ = cmd.Process.Kill() })
	err = cmd.Wait()
	if !timer.Stop() {
		err = fmt.Errorf("killed after %v: %w", timeout, err)
	}
	return out.String(), errb.String(), err
}

// pgIdent quotes an SQL identifier.
func pgIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// pgLiteral quotes an SQL string literal.
func pgLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

// fileState is what dataDirState records of one entry of a data directory.
type fileState struct {
	Mode  fs.FileMode
	Size  int64
	MTime time.Time
	Link  string
}

// pathState is the fileState of one path.
func pathState(t *testing.T, p string) fileState {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fileState{Mode: fi.Mode(), Size: fi.Size(), MTime: fi.ModTime()}
}

// dataDirState lists every entry below dir with its mode, size, mtime and link target.
func dataDirState(t *testing.T, dir string) map[string]fileState {
	t.Helper()
	out := map[string]fileState{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		st := fileState{Mode: fi.Mode(), Size: fi.Size(), MTime: fi.ModTime()}
		if fi.IsDir() {
			st.Size = 0 // a directory's size says nothing about its entries, which are listed
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			st.Link, _ = os.Readlink(p)
		}
		out[rel] = st
		return nil
	})
	if err != nil {
		t.Fatalf("list %s: %v", dir, err)
	}
	return out
}

// diffDataDir describes how two dataDirState listings differ, "" when they do not.
func diffDataDir(before, after map[string]fileState) string {
	return cmp.Diff(before, after)
}
