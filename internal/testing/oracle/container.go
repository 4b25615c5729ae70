package oracle

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// A Network stands in for a compose network: a Linux bridge in the host's network namespace
// with an IPv4 /24, to which every [Container] is attached through a veth pair. Each container
// has its own network namespace, so a service listening on 127.0.0.1 only cannot be reached by
// its peers, listen_addresses and listen_addr mean what they mean on a compose network, and
// pg_hba's samenet matches the bridge's subnet. Service names resolve through each
// container's /etc/hosts, which lists every container of the network.
type Network struct {
	t      testing.TB
	bridge string
	subnet string // "10.89.N", the first three octets
	mu     sync.Mutex
	hosts  []string // "IP name alias..." lines
	ctrs   []*Container
}

// netSeq numbers the networks and containers of this test binary; with the pid it keeps their
// interface and namespace names apart from other test binaries running at the same time.
var netSeq atomic.Int32

// NewNetwork creates a bridge for the test's containers and removes it when the test ends.
// It needs root (skipped, or failed in CI, otherwise).
func NewNetwork(t testing.TB) *Network {
	t.Helper()
	Rootfs(t)
	n := netSeq.Add(1)
	nw := &Network{
		t:      t,
		bridge: fmt.Sprintf("azb%d-%d", os.Getpid()%100000, n),
		// 10.89.0.0/16 split per test binary and network; the pid keeps parallel packages apart.
		subnet: fmt.Sprintf("10.%d.%d", 89+os.Getpid()%64, n%250),
	}
	ipRun(t, "link", "add", nw.bridge, "type", "bridge")
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", nw.bridge).Run() })
	ipRun(t, "addr", "add", nw.subnet+".1/24", "dev", nw.bridge)
	ipRun(t, "link", "set", nw.bridge, "up")
	return nw
}

// ipRun runs ip(8) on the host and fails the test on error.
func ipRun(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// A Container is one compose service's stand-in: its own network namespace on a [Network], and
// its own root file system, an overlay over the sid rootfs (so files written at container paths
// are the service's alone), with /proc, a tmpfs /dev/shm and the tmpfs mounts the test asks for.
type Container struct {
	Name string
	// IP is the container's address on its network.
	IP    string
	root  string // the merged overlay, on the host
	netns string
	nw    *Network
}

// Container creates a container named name (its host name and compose service name), with
// aliases also resolving to it. Everything is torn down when the test ends.
func (nw *Network) Container(t testing.TB, name string, aliases ...string) *Container {
	t.Helper()
	sidRootDir := Rootfs(t)
	nw.mu.Lock()
	idx := len(nw.ctrs) + 2
	nw.mu.Unlock()
	seq := netSeq.Add(1)
	c := &Container{
		Name:  name,
		IP:    fmt.Sprintf("%s.%d", nw.subnet, idx),
		netns: fmt.Sprintf("az%d-%d-%s", os.Getpid()%100000, seq, name),
		nw:    nw,
	}
	// The overlay's directories: not under the work directory, which is bound into the lower
	// layer and would be hidden by the overlay anyway.
	dir, err := os.MkdirTemp("", "azagen-ctr-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, d := range []string{"upper", "work", "root"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	c.root = filepath.Join(dir, "root")
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", sidRootDir, filepath.Join(dir, "upper"), filepath.Join(dir, "work"))
	mount(t, "overlay", c.root, "overlay", 0, opts)
	mount(t, "proc", filepath.Join(c.root, "proc"), "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, "")
	mount(t, "tmpfs", filepath.Join(c.root, "dev/shm"), "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "mode=1777")

	// Network namespace, veth pair: host end on the bridge, peer inside as eth0.
	ipRun(t, "netns", "add", c.netns)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", c.netns).Run() })
	host := fmt.Sprintf("azv%d-%d", os.Getpid()%10000, seq)
	ipRun(t, "link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", c.netns)
	ipRun(t, "link", "set", host, "master", nw.bridge, "up")
	ipRun(t, "-n", c.netns, "addr", "add", c.IP+"/24", "dev", "eth0")
	ipRun(t, "-n", c.netns, "link", "set", "eth0", "up")
	ipRun(t, "-n", c.netns, "link", "set", "lo", "up")

	nw.mu.Lock()
	nw.ctrs = append(nw.ctrs, c)
	nw.hosts = append(nw.hosts, c.IP+"\t"+strings.Join(append([]string{name}, aliases...), " "))
	ctrs, hosts := append([]*Container(nil), nw.ctrs...), strings.Join(nw.hosts, "\n")
	nw.mu.Unlock()
	// Every container's /etc/hosts lists all containers so far, as compose's DNS would.
	for _, o := range ctrs {
		o.WriteFile(t, "/etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost\n"+hosts+"\n", 0o644)
		o.WriteFile(t, "/etc/hostname", o.Name+"\n", 0o644)
	}
	return c
}

// mount mounts and registers the unmount (lazy, so a process that outlived its test cannot
// keep it busy) for the end of the test.
func mount(t testing.TB, src, target, fstype string, flags uintptr, data string) {
	t.Helper()
	if err := syscall.Mount(src, target, fstype, flags, data); err != nil {
		t.Fatalf("mount %s on %s: %v", fstype, target, err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(target, syscall.MNT_DETACH) })
}

// Network returns the network the container is on, to add more containers to it.
func (c *Container) Network() *Network { return c.nw }

// HostPath returns where the host sees p, a path inside the container.
func (c *Container) HostPath(p string) string { return filepath.Join(c.root, p) }

// WriteFile writes data at containerPath (parents created 0755), owned by root, as a compose
// bind mount of a file from the host would be.
func (c *Container) WriteFile(t testing.TB, containerPath, data string, mode os.FileMode) {
	t.Helper()
	p := c.HostPath(containerPath)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // WriteFile's mode is cut by the umask
		t.Fatal(err)
	}
}

// Tmpfs mounts a tmpfs at containerPath, mode 1777 as Docker's tmpfs mounts are.
func (c *Container) Tmpfs(t testing.TB, containerPath string) {
	t.Helper()
	p := c.HostPath(containerPath)
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	mount(t, "tmpfs", p, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "mode=1777")
}

// Chown gives containerPath to the container's user name (resolved in the rootfs).
func (c *Container) Chown(t testing.TB, containerPath, user string) {
	t.Helper()
	uid, gid, _, err := rootfsUser(c.root, user)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(c.HostPath(containerPath), int(uid), int(gid)); err != nil {
		t.Fatal(err)
	}
}

// Command returns a command that runs argv in the container: in its network namespace, chrooted
// into its file system, as user (a name in the rootfs; "" is [TestUser]) with exactly env
// ("NAME=value") plus PATH and HOME when env lacks them, from "/". The process is the
// program itself (nsenter and chroot exec it), killed if still running when the test ends.
func (c *Container) Command(t testing.TB, user string, env []string, argv ...string) *exec.Cmd {
	t.Helper()
	if len(argv) == 0 {
		t.Fatal("Container.Command: empty argv")
	}
	if user == "" {
		_, _, user = TestUser(t)
	}
	uid, gid, home, err := rootfsUser(c.root, user)
	if err != nil {
		t.Fatal(err)
	}
	full := []string{
		"nsenter", "--net=/run/netns/" + c.netns, "--",
		"chroot", fmt.Sprintf("--userspec=%d:%d", uid, gid), "--groups=" + strconv.Itoa(int(gid)), c.root,
	}
	cmd := exec.Command(full[0], append(full[1:], argv...)...)
	// exec.Cmd keeps the last of duplicate keys, so env's PATH and HOME win over these.
	cmd.Env = append([]string{basePath, "HOME=" + home}, env...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	t.Cleanup(func() {
		if cmd.Process != nil && cmd.ProcessState == nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	})
	return cmd
}

// Start runs argv in the container in the background, like [Container.Command], and returns a
// [Daemon] that is stopped (its process group) when the test ends.
func (c *Container) Start(t testing.TB, user string, env []string, argv ...string) *Daemon {
	t.Helper()
	cmd := c.Command(t, user, env, argv...)
	return startDaemon(t, c.Name, cmd)
}
