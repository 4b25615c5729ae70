package k8s_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/azagen/azagen/internal/testing/oracle"
)

// apiServer is a real kube-apiserver v1.37.2 on a real etcd 3.5.30, with
// the vendored CRDs installed, reached through kubectl of the same release.
type apiServer struct {
	kubectl    string
	kubeconfig string
}

// startAPIServer starts etcd (chrooted in the sid rootfs) and the
// kube-apiserver that scripts/install-test-deps.sh built, installs the
// CRDs of tools/k8svalidate/crds and waits until they are established. A
// missing program skips the test, or fails it when CI is set.
func startAPIServer(t *testing.T) *apiServer {
	t.Helper()
	etcd := oracle.Require(t, oracle.ToolEtcd)
	kas := oracle.Require(t, oracle.ToolKubeAPIServer)
	kubectl := filepath.Join(filepath.Dir(kas), "kubectl")
	// Built as a module dependency, the binaries carry no version stamp
	// (they print v0.0.0-master); the pinned go.mod of tools/kube-apiserver
	// and the build script's stamp are what make them v1.37.2.
	if _, err := os.Stat(kubectl); err != nil {
		t.Fatalf("no kubectl beside %s: %v", kas, err)
	}

	dir := oracle.TempDir(t)
	clientPort, peerPort := oracle.FreePort(t), oracle.FreePort(t)
	client := fmt.Sprintf("http://127.0.0.1:%d", clientPort)
	d := oracle.StartDaemon(t, "", nil, etcd, "--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peerPort))
	d.WaitTCP(t, fmt.Sprintf("127.0.0.1:%d", clientPort), 30*time.Second)

	pki := t.TempDir()
	writeServingCert(t, pki)
	writeSAKey(t, pki)
	token := "azagen-test-token"
	writeFile(t, filepath.Join(pki, "tokens.csv"), token+",admin,admin,system:masters\n")
	port := oracle.FreePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, kas,
		"--etcd-servers="+client,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port="+strconv.Itoa(port),
		"--tls-cert-file="+filepath.Join(pki, "serving.crt"), "--tls-private-key-file="+filepath.Join(pki, "serving.key"),
		"--token-auth-file="+filepath.Join(pki, "tokens.csv"), "--authorization-mode=AlwaysAllow",
		"--service-account-issuer=https://kubernetes.default.svc", "--service-account-key-file="+filepath.Join(pki, "sa.pub"),
		"--service-account-signing-key-file="+filepath.Join(pki, "sa.key"), "--service-cluster-ip-range=10.96.0.0/16",
		"--cert-dir="+pki,
		// A loopback advertise address is refused by the endpoint
		// reconciler, which no test here needs.
		"--endpoint-reconciler-type=none")
	var logBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logBuf, &logBuf
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("kube-apiserver log (tail):\n%s", tail(logBuf.String(), 40))
		}
	})

	kubeconfig := filepath.Join(pki, "kubeconfig")
	writeFile(t, kubeconfig, fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: https://127.0.0.1:%d
    certificate-authority: %s
users:
- name: admin
  user:
    token: %s
contexts:
- name: test
  context: {cluster: test, user: admin}
current-context: test
`, port, filepath.Join(pki, "serving.crt"), token))
	s := &apiServer{kubectl: kubectl, kubeconfig: kubeconfig}

	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := s.run("get", "--raw", "/readyz")
		if err == nil && strings.TrimSpace(out) == "ok" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("kube-apiserver not ready after 60s: %v %s", err, out)
		}
		time.Sleep(500 * time.Millisecond)
	}
	// create, not apply: the Cluster and Pooler CRDs are larger than the
	// last-applied annotation may be.
	if out, err := s.run("create", "-f", filepath.Join(toolDir, "crds")); err != nil {
		t.Fatalf("install the CRDs: %v\n%s", err, out)
	}
	if out, err := s.run("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"); err != nil {
		t.Fatalf("CRDs not established: %v\n%s", err, out)
	}
	return s
}

func (s *apiServer) run(args ...string) (string, error) {
	cmd := exec.Command(s.kubectl, append([]string{"--kubeconfig", s.kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

var namespaceLine = regexp.MustCompile(`(?m)^  namespace: (\S+)$`)

// createNamespaces creates every namespace the files name: a dry-run
// create in a namespace that does not exist is refused.
func (s *apiServer) createNamespaces(t *testing.T, files []string) {
	t.Helper()
	var names []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range namespaceLine.FindAllStringSubmatch(string(data), -1) {
			names = append(names, m[1])
		}
	}
	slices.Sort(names)
	for _, n := range slices.Compact(names) {
		if out, err := s.run("get", "namespace", n); err == nil {
			continue
		} else if !strings.Contains(out, "NotFound") && !strings.Contains(out, "not found") {
			t.Fatalf("get namespace %s: %v\n%s", n, err, out)
		}
		if out, err := s.run("create", "namespace", n); err != nil {
			t.Fatalf("create namespace %s: %v\n%s", n, err, out)
		}
	}
}

// TestAPIServerDryRun applies every rendered manifest with
// `kubectl apply --dry-run=server` against a real kube-apiserver with the
// CRDs installed, then the raw objects of the broken-input corpus, which the
// server must refuse on the same field as the in-process validator.
func TestAPIServerDryRun(t *testing.T) {
	s := startAPIServer(t)

	files, err := filepath.Glob(filepath.Join(repoRoot, "generated", "k8s", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no manifests under generated/k8s")
	}
	s.createNamespaces(t, files)
	objects := 0
	for _, f := range files {
		out, err := s.run("apply", "--dry-run=server", "-f", f)
		if err != nil {
			t.Errorf("kubectl apply --dry-run=server -f %s: %v\n%s", f, err, out)
			continue
		}
		objects += strings.Count(out, "(server dry run)")
	}
	t.Logf("the API server accepted %d objects from %d files", objects, len(files))

	archives, err := filepath.Glob("testdata/broken/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	for _, archive := range archives {
		name := strings.TrimSuffix(filepath.Base(archive), ".txtar")
		t.Run(name, func(t *testing.T) {
			c := readBroken(t, archive)
			obj, written := renderRaw(t, c)
			var target string
			for _, w := range written {
				if filepath.Base(w) == c.file {
					target = w
				}
			}
			if c.field != "metadata.namespace" {
				s.createNamespaces(t, []string{target})
			}
			out, err := s.run("apply", "--dry-run=server", "-f", target)
			if err == nil {
				t.Fatalf("the API server accepted the raw %s %s:\n%s", c.kind, obj.Name, out)
			}
			// kubectl prints a refused namespace as the object's
			// namespace lookup; every other refusal names the field.
			want := c.field
			if c.field == "metadata.namespace" {
				want = "namespace"
			}
			if !strings.Contains(out, want) {
				t.Errorf("the API server refused %s %s without naming %s:\n%s", c.kind, obj.Name, want, out)
			}
			t.Logf("API server: %s", strings.TrimSpace(out))
		})
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func writeFile(t *testing.T, p, data string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func writePEM(t *testing.T, p, typ string, der []byte) {
	t.Helper()
	writeFile(t, p, string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})))
}

// writeServingCert writes a self-signed serving certificate for 127.0.0.1,
// which the kubeconfig also trusts as its CA.
func writeServingCert(t *testing.T, dir string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, "serving.crt"), "CERTIFICATE", der)
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, "serving.key"), "EC PRIVATE KEY", kder)
}

// writeSAKey writes the service-account signing key pair the API server
// requires at start.
func writeSAKey(t *testing.T, dir string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, "sa.key"), "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, "sa.pub"), "PUBLIC KEY", pub)
}
