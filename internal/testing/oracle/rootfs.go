package oracle

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// tmpfsMagic is TMPFS_MAGIC from linux/magic.h, the f_type statfs(2) reports for a tmpfs.
const tmpfsMagic = 0x01021994

// rootfs is the Debian sid root filesystem InstallScript builds, checked once per test binary.
type rootfs struct {
	// root is the rootfs's directory on the host.
	root string
	// work is a host directory bound at the same path inside root: a file below it has one
	// path for the test and for a chrooted program.
	work string
	err  error
}

var sid = sync.OnceValue(func() rootfs {
	r := rootfs{root: setting("AZAGEN_SID_ROOT"), work: setting("AZAGEN_ORACLE_WORK")}
	r.err = r.check()
	return r
})

// setting returns the environment's value of name, else env.sh's.
func setting(name string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	_, settings, _ := envFileSettings()
	return settings[name]
}

// check tells whether the rootfs is ready for chrooted programs: PostgreSQL needs /proc and a
// tmpfs /dev/shm inside it (without them: "could not open shared memory segment ... Permission
// denied"), and the work directory must be the same directory on both sides.
func (r rootfs) check() error {
	if os.Geteuid() != 0 {
		return errors.New("the programs of the sid rootfs run chrooted, which needs root")
	}
	if r.root == "" || r.work == "" {
		return errors.New("AZAGEN_SID_ROOT or AZAGEN_ORACLE_WORK unset and not in env.sh")
	}
	if err := executable(filepath.Join(r.root, "usr/bin/apt-get")); err != nil {
		return fmt.Errorf("no sid rootfs at %s: %w", r.root, err)
	}
	if _, err := os.Stat(filepath.Join(r.root, "proc/self/stat")); err != nil {
		return fmt.Errorf("/proc is not mounted in %s", r.root)
	}
	var fs syscall.Statfs_t
	if err := syscall.Statfs(filepath.Join(r.root, "dev/shm"), &fs); err != nil || fs.Type != tmpfsMagic {
		return fmt.Errorf("no tmpfs on %s/dev/shm", r.root)
	}
	outside, err1 := os.Stat(r.work)
	inside, err2 := os.Stat(filepath.Join(r.root, r.work))
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	if !os.SameFile(outside, inside) {
		return fmt.Errorf("%s is not bound at %s%s", r.work, r.root, r.work)
	}
	return nil
}

func sidRoot() (string, error) {
	r := sid()
	if r.err != nil {
		return "", fmt.Errorf("sid rootfs: %w", r.err)
	}
	return r.root, nil
}

// Rootfs returns the host directory of the sid root filesystem the rootfs tools run in; a
// missing or unprepared rootfs skips the test, or fails it in CI.
func Rootfs(t testing.TB) string {
	t.Helper()
	root, err := sidRoot()
	if err != nil {
		missing(t, err.Error())
	}
	return root
}

// HostPath returns where the host sees p, a path inside the rootfs.
func HostPath(t testing.TB, p string) string {
	t.Helper()
	return filepath.Join(Rootfs(t), p)
}

// UnpackagedPreload are the image's shared_preload_libraries that Debian sid does not package:
// a test that loads the rendered settings on the rootfs's server drops exactly these, through
// [PackagedPreload], and says so.
var UnpackagedPreload = []string{"pg_stat_monitor", "safeupdate"}

// UnpackagedExtensions are the image's extensions (CREATE EXTENSION) that Debian sid does not
// package, beside the libraries of [UnpackagedPreload].
var UnpackagedExtensions = []string{"pgmq", "vectorscale"}

// PackagedPreload returns the comma-separated library list preload without
// [UnpackagedPreload], in its order.
func PackagedPreload(preload string) string {
	var keep []string
	for _, lib := range strings.Split(preload, ",") {
		if lib = strings.TrimSpace(lib); lib != "" && !slices.Contains(UnpackagedPreload, lib) {
			keep = append(keep, lib)
		}
	}
	return strings.Join(keep, ",")
}

// rootfsUser looks name up in the rootfs's /etc/passwd, which is what a chrooted program sees:
// the host may have no such user, or another uid for it.
func rootfsUser(root, name string) (uid, gid uint32, home string, err error) {
	data, err := os.ReadFile(filepath.Join(root, "etc/passwd"))
	if err != nil {
		return 0, 0, "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 7 || f[0] != name {
			continue
		}
		u, err1 := strconv.ParseUint(f[2], 10, 32)
		g, err2 := strconv.ParseUint(f[3], 10, 32)
		if err := errors.Join(err1, err2); err != nil {
			return 0, 0, "", fmt.Errorf("%s/etc/passwd: %s: %w", root, name, err)
		}
		return uint32(u), uint32(g), f[5], nil
	}
	return 0, 0, "", fmt.Errorf("no user %s in %s/etc/passwd", name, root)
}
