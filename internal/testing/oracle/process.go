package oracle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// basePath covers /usr/sbin and /sbin, where Debian puts pgbouncer, which a non-root PATH and
// `env -i` both lack.
const basePath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// account is who a child process runs as.
type account struct {
	cred *syscall.Credential
	name string
	home string
}

// accountFor resolves the user argument of [Command] and [StartDaemon], a user of the sid
// rootfs: "" is the test user. Chrooting needs root, so the test must run as root.
func accountFor(t testing.TB, name string) account {
	t.Helper()
	root := Rootfs(t)
	if name == "" {
		_, _, name = TestUser(t)
	}
	uid, gid, home, err := rootfsUser(root, name)
	if err != nil {
		missing(t, err.Error())
	}
	// An empty, non-nil Groups drops root's supplementary groups instead of keeping them.
	cred := &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{}}
	return account{cred: cred, name: name, home: home}
}

// sysProcAttr chroots into the sid rootfs and switches to acct.
func (a account) sysProcAttr(t testing.TB) *syscall.SysProcAttr {
	t.Helper()
	return &syscall.SysProcAttr{Chroot: Rootfs(t), Credential: a.cred}
}

// environ is the environment of a child started as acct: a minimal base rather than the test's
// own, so that nothing like PGPASSWORD or a developer's PGHOST leaks into a daemon, then env,
// whose entries win (exec.Cmd keeps the last of duplicate keys).
func (a account) environ(env []string) []string {
	base := []string{basePath, "HOME=" + a.home, "USER=" + a.name, "LOGNAME=" + a.name, "LANG=C.UTF-8"}
	return append(base, env...)
}

// Command returns a command that runs argv chrooted in the sid rootfs, as user ("" is
// [TestUser]), with the environment described at [StartDaemon] and working directory "/".
// argv[0] and every path in argv are paths inside the rootfs: [Require]'s, or a [TempDir]'s,
// which is the same on both sides. The caller may still change Dir, Stdin and so on before running it.
// The process is killed if it is still running when the test ends.
func Command(t testing.TB, user string, env []string, argv ...string) *exec.Cmd {
	t.Helper()
	if len(argv) == 0 {
		t.Fatal("oracle.Command: empty argv")
	}
	acct := accountFor(t, user)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = acct.environ(env)
	cmd.Dir = "/"
	cmd.SysProcAttr = acct.sysProcAttr(t)
	// A grandchild holding stdout open (pg_ctl's server, say) must not hang Wait forever.
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Daemon is a long-running process started by [StartDaemon].
type Daemon struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}

	mu       sync.Mutex
	err      error // how it ended; valid once done is closed
	stopping bool
}

// StartDaemon starts argv chrooted in the sid rootfs as user ("" is [TestUser]), like
// [Command], in the background and returns at once.
// The process's own PID is the daemon's (no runuser or shell in between), its stdout and stderr
// are kept for [Daemon.Output], and it is stopped when the test ends, with its output logged if
// the test failed.
//
// The environment is PATH (including /usr/sbin), HOME, USER, LOGNAME and LANG=C.UTF-8, then env
// ("NAME=value" entries, which win): the test's own environment is not passed on.
func StartDaemon(t testing.TB, user string, env []string, argv ...string) *Daemon {
	t.Helper()
	if len(argv) == 0 {
		t.Fatal("oracle.StartDaemon: empty argv")
	}
	acct := accountFor(t, user)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = acct.environ(env)
	cmd.Dir = "/"
	cmd.SysProcAttr = acct.sysProcAttr(t)
	// Its own process group, so Stop also reaches whatever it forks.
	cmd.SysProcAttr.Setpgid = true
	// If the test binary dies without running cleanups (a panic, a -timeout), take the daemon
	// along instead of leaving it holding ports.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	return startDaemon(t, argv[0], cmd)
}

// startDaemon starts cmd, whose SysProcAttr sets Setpgid, with its output kept, and stops it
// when the test ends.
func startDaemon(t testing.TB, name string, cmd *exec.Cmd) *Daemon {
	t.Helper()
	d := &Daemon{name: name, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout = d.out // the same writer for both keeps their lines in order
	cmd.Stderr = d.out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	d.cmd = cmd
	go func() {
		err := cmd.Wait()
		d.mu.Lock()
		d.err = err
		d.mu.Unlock()
		close(d.done)
	}()
	t.Cleanup(func() {
		// A daemon that already exited is not an error here: the test could see that through
		// Done and Err, and one that expects the exit checks exactly that.
		if _, err := d.stop(); err != nil {
			t.Errorf("stop %s: %v", d.name, err)
		}
		if t.Failed() {
			t.Logf("output of %s (pid %d):\n%s", d.name, d.PID(), d.Output())
		}
	})
	return d
}

// PID returns the daemon's process ID.
func (d *Daemon) PID() int { return d.cmd.Process.Pid }

// Output returns everything the daemon has written to stdout and stderr so far.
func (d *Daemon) Output() string { return d.out.String() }

// Done is closed when the daemon has exited, for whatever reason.
func (d *Daemon) Done() <-chan struct{} { return d.done }

// Err returns how the daemon exited (an *exec.ExitError for a non-zero status) once Done is
// closed, and nil while it runs.
func (d *Daemon) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// ExitCode returns the daemon's exit status, or -1 while it runs or if a signal ended it.
func (d *Daemon) ExitCode() int {
	select {
	case <-d.done:
		return d.cmd.ProcessState.ExitCode()
	default:
		return -1
	}
}

// Stop sends SIGTERM to the daemon's process group, and SIGKILL if it has not exited 10 s
// later. It returns nil if the daemon ended through Stop or with status 0, and otherwise the
// error it had already exited with on its own, so a crash is not mistaken for a clean stop.
// Calling it again is harmless.
func (d *Daemon) Stop() error {
	exitedBefore, err := d.stop()
	if exitedBefore {
		return d.Err()
	}
	return err
}

// stop ends the daemon unless it has exited already, which it reports; the error is only for a
// daemon that survived SIGKILL.
func (d *Daemon) stop() (exitedBefore bool, err error) {
	d.mu.Lock()
	select {
	case <-d.done:
		exitedBefore = !d.stopping
		d.mu.Unlock()
		return exitedBefore, nil
	default:
	}
	d.stopping = true
	d.mu.Unlock()

	pgid := d.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-d.done:
		return false, nil
	case <-time.After(10 * time.Second):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	select {
	case <-d.done:
		return false, nil
	case <-time.After(10 * time.Second):
		return false, fmt.Errorf("pid %d did not exit after SIGKILL", pgid)
	}
}

// WaitTCP waits until addr accepts TCP connections, like the package-level [WaitTCP], but fails
// at once, with the daemon's output, if the daemon exits first.
func (d *Daemon) WaitTCP(t testing.TB, addr string, timeout time.Duration) {
	t.Helper()
	if err := waitTCP(addr, timeout, d.done); err != nil {
		if errors.Is(err, errExited) {
			t.Fatalf("%s exited (%v) before listening on %s; output:\n%s", d.name, d.Err(), addr, d.Output())
		}
		t.Fatalf("%s: %v; output:\n%s", d.name, err, d.Output())
	}
}

// WaitTCP waits until addr ("host:port") accepts TCP connections, and fails the test if that
// takes longer than timeout.
func WaitTCP(t testing.TB, addr string, timeout time.Duration) {
	t.Helper()
	if err := waitTCP(addr, timeout, nil); err != nil {
		t.Fatal(err)
	}
}

var errExited = errors.New("process exited")

func waitTCP(addr string, timeout time.Duration, exited <-chan struct{}) error {
	deadline := time.Now().Add(timeout)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listening on %s after %v: %w", addr, timeout, err)
		}
		select {
		case <-exited:
			return errExited
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// syncBuffer is a bytes.Buffer that the exec package's copying goroutine can write while a
// test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
