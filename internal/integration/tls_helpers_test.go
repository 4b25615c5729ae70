package integration

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/azagen/azagen/internal/certs"
	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/testing/oracle"
)

// The stacks' TLS files are the operator's, not azagen's output: every test gets them from
// azagen's own certs package (what `azagen certs --out DIR` writes), made once per top-level
// test, so that every server of a test (and of its subtests, whatever overlay they compile)
// shares one CA as the stacks do.
var (
	certDirsMu sync.Mutex
	certDirs   = map[string]string{} // top-level test name -> directory
)

// loopbackSAN is the one name the tests add to every server certificate: tests outside the
// private namespaces reach servers on 127.0.0.1, where compose would dial the service name.
const loopbackSAN = "127.0.0.1"

// testCertDir returns the certificate directory of res's stacks (layout in package certs),
// readable by the test user, keys 0600 and owned by it.
func testCertDir(t testing.TB, res *compile.Result) string {
	t.Helper()
	certDirsMu.Lock()
	defer certDirsMu.Unlock()
	// A subtest's directory is gone once it ends: a later subtest makes its own.
	key, _, _ := strings.Cut(t.Name(), "/")
	if d, ok := certDirs[key]; ok {
		if _, err := os.Stat(filepath.Join(d, certs.CAFile)); err == nil {
			return d
		}
	}
	dir := oracle.TempDir(t)
	written, err := certs.Write(dir, res.Config, certs.Options{ExtraNames: []string{loopbackSAN}})
	if err != nil {
		t.Fatalf("certs.Write: %v", err)
	}
	for _, f := range written {
		p := filepath.Join(dir, f)
		oracle.ChownToTestUser(t, filepath.Dir(p))
		oracle.ChownToTestUser(t, p)
	}
	certDirs[key] = dir
	return dir
}

// operatorFile returns the content and mode of a file a stack mounts from its tls.dir (src as
// the compose file names it, relative to the stack's directory), from the test's certificate
// directory; ok is false for any other source.
func operatorFile(t testing.TB, res *compile.Result, stack, src string) (data []byte, mode os.FileMode, ok bool) {
	t.Helper()
	st := res.Config.Stacks[stack]
	dir := path.Clean(st.TLS.Dir)
	if path.Dir(path.Clean(src)) != dir {
		return nil, 0, false
	}
	p := filepath.Join(testCertDir(t, res), stack, path.Base(src))
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%s mounts %s: %v", stack, src, err)
	}
	mode = 0o644
	if strings.HasSuffix(src, ".key") {
		mode = 0o600
	}
	return data, mode, true
}

var sslFileSetting = regexp.MustCompile(`(?m)^(ssl_(?:cert|key|ca)_file) = '([^']*)'$`)

// tlsFileArgs are -c settings that point the rendered conf's ssl_*_file settings (container
// paths) at the files the layout wrote for them. It is the one test adjustment TLS needs
// outside a container: PostgreSQL reads relative ssl paths from the data directory, so the
// rendered absolute paths cannot be laid out beside the conf.
func (p *renderedPostgres) tlsFileArgs(t testing.TB) []string {
	t.Helper()
	conf, err := os.ReadFile(p.layout.local(t, model.ContainerConfPath))
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, m := range sslFileSetting.FindAllStringSubmatch(string(conf), -1) {
		args = append(args, "-c", m[1]+"="+p.layout.local(t, m[2]))
	}
	if len(args) != 6 {
		t.Fatalf("the rendered conf sets %d ssl file settings, want cert, key and CA:\n%s", len(args)/2, conf)
	}
	return args
}

// bindTLSDir binds the directory the layout wrote a service's TLS files into over the sid
// rootfs's /etc/azagen/tls, in the private mount namespace, so that the chrooted programs read
// them at their rendered container paths.
func bindTLSDir(t testing.TB, l *stackLayout) {
	t.Helper()
	src := filepath.Dir(l.local(t, path.Join(model.ContainerTLSDir, "ca.crt")))
	// Binding the same directory again would mount it on itself (the target already shows
	// it), which leaves the test's directory busy at cleanup.
	boundTLSMu.Lock()
	defer boundTLSMu.Unlock()
	if boundTLS[t.Name()] == src {
		return
	}
	bindMount(t, src, oracle.HostPath(t, model.ContainerTLSDir))
	boundTLS[t.Name()] = src
}

var (
	boundTLSMu sync.Mutex
	boundTLS   = map[string]string{}
)
