package integration

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"go.yaml.in/yaml/v3"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/testing/oracle"
)

// systemPath is the PATH of the programs the tests start, after the directories of the tools
// they need first (Debian puts pgbouncer in /usr/sbin).
const systemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// pgClientPath is a PATH on which psql, pg_isready and pg_basebackup are the PostgreSQL 18
// ones, as in the aza-pg image: Debian puts them in the versioned bin directory, and only
// pg_wrapper's links (which pick a version by guesswork) in /usr/bin.
func pgClientPath(t testing.TB) string {
	t.Helper()
	return "PATH=" + oracle.Require(t, oracle.ToolPostgresBin) + ":" + systemPath
}

// oddPassword is a password for the variable v holding every byte the rendered files quote
// differently: : and \ (.pgpass), " (userlist.txt), ' (SQL, shell), # and @ (comments, URLs),
// spaces and non-ASCII. Each variable gets its own, so a mix-up cannot pass.
func oddPassword(v string) string {
	return strings.ToLower(v) + `:a\b"c'd #e@f g ünï ✓`
}

// oddEnvironment is the sample environment of the given stacks, with every role password
// replaced by oddPassword.
func oddEnvironment(t testing.TB, res *compile.Result, stacks ...string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, stack := range stacks {
		maps.Copy(env, sampleEnvironment(t, res, stack))
	}
	for _, r := range res.Config.Roles {
		if _, ok := env[r.PasswordVar]; ok {
			env[r.PasswordVar] = oddPassword(r.PasswordVar)
		}
	}
	return env
}

// envList turns an environment map into NAME=value entries, sorted, followed by extra.
func envList(env map[string]string, extra ...string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return append(out, extra...)
}

// newRenderedPostgresWith is newRenderedPostgres with the compose environment interpolated
// from env rather than the plain sample, and the server on the given port (0: a free one).
// Every file the service mounts must be rendered.
func newRenderedPostgresWith(t testing.TB, res *compile.Result, stack, service string, env map[string]string, port int) *renderedPostgres {
	t.Helper()
	svc := renderedService(t, res, stack, service)
	layout := newStackLayout(t)
	if missing := layout.mount(t, res, stack, svc); len(missing) > 0 {
		t.Fatalf("%s/%s mounts files azagen does not render: %v", stack, service, missing)
	}
	svcEnv := serviceEnvironment(t, svc, env)
	pw := svcEnv["POSTGRES_PASSWORD"]
	if pw == "" {
		t.Fatalf("%s/%s has no POSTGRES_PASSWORD in its environment", stack, service)
	}
	c := oracle.NewCluster(t, oracle.ClusterOptions{BinDir: pgServerBin(t), Password: pw, Port: port})
	return &renderedPostgres{Cluster: c, layout: layout, svc: svc, env: svcEnv, superPassword: pw, preload: testPreload(res)}
}

// bootstrapStandby runs the replica's rendered entrypoint the way compose does (the rendered
// entrypoint, then the rendered command, container paths mapped to the laid-out files) as the
// test user, with the standby's compose environment, the PostgreSQL 18 client programs, PGDATA
// set to the standby's data directory and AZAGEN_BOOTSTRAP_EXEC=true in place of the image's
// entrypoint, so it returns once the data directory is ready. It returns the script's output
// and how it exited, for tests that expect a failure. extraEnv entries come last and win.
// Unlike runReplicaBootstrap it keeps PRIMARY_HOST and PRIMARY_PORT: it is meant for the
// private namespaces, where the compose service name resolves.
func bootstrapStandby(t testing.TB, standby *renderedPostgres, extraEnv ...string) (string, error) {
	t.Helper()
	argv := append(slices.Clone(standby.svc.Entrypoint), standby.svc.Command...)
	if len(argv) < 2 || argv[1] != path.Join(model.ContainerAzagenDir, "replica-bootstrap.sh") {
		t.Fatalf("rendered entrypoint %q does not run the replica bootstrap", standby.svc.Entrypoint)
	}
	for i := range argv {
		argv[i] = standby.layout.rewrite(argv[i])
	}
	// pg_isready and pg_basebackup read the CA at its rendered container path.
	bindTLSDir(t, standby.layout)
	env := envList(standby.env, append([]string{pgClientPath(t), "PGDATA=" + standby.DataDir(),
		"AZAGEN_BOOTSTRAP_EXEC=true", "AZAGEN_PRIMARY_WAIT_SECONDS=20"}, extraEnv...)...)
	stdout, stderr, err := runCommand(oracle.Command(t, "", env, argv...), 3*time.Minute)
	return stdout + stderr, err
}

// composeHealthcheckTest returns the rendered healthcheck test of a service.
func composeHealthcheckTest(t testing.TB, res *compile.Result, stack, service string) []string {
	t.Helper()
	p := model.ComposePath(stack)
	var doc struct {
		Services map[string]struct {
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(res.Output[p].Data, &doc); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	test := doc.Services[service].Healthcheck.Test
	if len(test) == 0 {
		t.Fatalf("%s: service %s has no healthcheck test", p, service)
	}
	return test
}

// The private namespaces: tests that must run rendered commands verbatim, with the compose
// service names, ports and container paths they contain, run in a child process of the test
// binary that has a mount namespace and a network namespace of its own. There, /tmp is a fresh
// tmpfs (as in the containers), a service name can be mapped to loopback in /etc/hosts, a
// rendered file can be bind-mounted at its container path, and a server can listen on its
// rendered port, all without touching the machine or racing other tests for ports.

// nsChildEnv marks the child process of inPrivateNamespaces.
const nsChildEnv = "AZAGEN_TEST_PRIVATE_NAMESPACES"

// inPrivateNamespaces returns true when the test runs in its private namespaces, already set
// up. Otherwise it runs the test again in a child process of the test binary, inside new
// namespaces, reports the child's outcome as this test's, and returns false: the caller then
// returns at once. It needs root (mount and network namespaces); without it the test is
// skipped, or fails when env CI is set.
func inPrivateNamespaces(t *testing.T) bool {
	t.Helper()
	if os.Getenv(nsChildEnv) == t.Name() {
		setUpPrivateNamespaces(t)
		return true
	}
	if os.Geteuid() != 0 {
		msg := "this test runs rendered commands verbatim in private mount and network namespaces, which needs root"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + " (CI is set, so skipping is an error)")
		}
		t.Skip(msg)
	}
	args := []string{"-test.run=^" + t.Name() + "$", "-test.v", "-test.count=1"}
	if d, ok := t.Deadline(); ok {
		args = append(args, "-test.timeout="+time.Until(d).Round(time.Second).String())
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), nsChildEnv+"="+t.Name())
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Go makes / private in the new mount namespace, so nothing mounted there propagates.
		Unshareflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWNET,
		Pdeathsig:    syscall.SIGKILL,
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	output := out.String()
	t.Logf("in private mount and network namespaces:\n%s", output)
	switch {
	case err != nil:
		t.Fatalf("the test failed in its private namespaces: %v", err)
	case strings.Contains(output, "--- SKIP: "+t.Name()):
		t.Skip("skipped in its private namespaces (see the log above)")
	case !strings.Contains(output, "--- PASS: "+t.Name()):
		t.Fatalf("the test did not pass in its private namespaces")
	}
	return false
}

// setUpPrivateNamespaces runs in the child: it mounts a tmpfs on the sid rootfs's /tmp, which
// is the /tmp of the programs the tests start (they run chrooted there), and brings up the
// loopback interface of the new network namespace.
func setUpPrivateNamespaces(t *testing.T) {
	t.Helper()
	if err := syscall.Mount("none", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		t.Fatalf("make / private: %v", err)
	}
	tmp := oracle.HostPath(t, "/tmp")
	if err := syscall.Mount("tmpfs", tmp, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "mode=1777"); err != nil {
		t.Fatalf("mount a tmpfs on %s: %v", tmp, err)
	}
	if err := loopbackUp(); err != nil {
		t.Fatalf("bring up lo: %v", err)
	}
}

// loopbackUp sets IFF_UP on lo, which a new network namespace starts without.
func loopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	// struct ifreq: the interface name, then (in the union) the flags as a short.
	var ifr [40]byte
	copy(ifr[:], "lo")
	ioctl := func(req uintptr) error {
		if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(unsafe.Pointer(&ifr[0]))); errno != 0 {
			return errno
		}
		return nil
	}
	if err := ioctl(syscall.SIOCGIFFLAGS); err != nil {
		return fmt.Errorf("SIOCGIFFLAGS: %w", err)
	}
	flags := *(*uint16)(unsafe.Pointer(&ifr[syscall.IFNAMSIZ]))
	*(*uint16)(unsafe.Pointer(&ifr[syscall.IFNAMSIZ])) = flags | syscall.IFF_UP
	if err := ioctl(syscall.SIOCSIFFLAGS); err != nil {
		return fmt.Errorf("SIOCSIFFLAGS: %w", err)
	}
	return nil
}

// mapHostsToLoopback replaces the sid rootfs's /etc/hosts, in the private mount namespace, by
// one that maps localhost and the given names (compose service names) to 127.0.0.1. It is the
// rootfs's file that counts: the programs that resolve these names run chrooted there.
//
// There is no ::1 line, as compose's DNS gives a service name IPv4 addresses only: PgBouncer
// 1.26 resolves with c-ares, which merges hosts entries that share a name or an address, so
// with "::1 localhost" it resolved the service names beside localhost to [::1] as well, tried
// that first and never reached the server listening on 127.0.0.1 (seen with c-ares 1.34).
func mapHostsToLoopback(t *testing.T, names ...string) {
	t.Helper()
	hosts := filepath.Join(oracle.TempDir(t), "hosts")
	content := "127.0.0.1\tlocalhost " + strings.Join(names, " ") + "\n"
	if err := os.WriteFile(hosts, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	bindMount(t, hosts, oracle.HostPath(t, "/etc/hosts"))
}

// bindMount mounts src at dst, read-only, in the private mount namespace; dst must exist. Both
// are host paths: to replace a file the chrooted programs read, dst is its oracle.HostPath.
func bindMount(t testing.TB, src, dst string) {
	t.Helper()
	if os.Getenv(nsChildEnv) == "" {
		t.Fatal("bindMount outside the private mount namespace would change the machine")
	}
	if err := syscall.Mount(src, dst, "", syscall.MS_BIND, ""); err != nil {
		t.Fatalf("bind %s on %s: %v", src, dst, err)
	}
	if err := syscall.Mount("", dst, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Fatalf("remount %s read-only: %v", dst, err)
	}
}

// runCommandOut is runCommand with stdout and stderr together.
func runCommandOut(cmd *exec.Cmd, timeout time.Duration) (string, error) {
	stdout, stderr, err := runCommand(cmd, timeout)
	return stdout + stderr, err
}
