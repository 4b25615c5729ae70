// Package certs makes and checks the TLS certificates of the stacks with the
// standard library's crypto/x509: a development CA and, for every server
// (postgres and pgbouncer services), a certificate whose SANs are every
// name its clients dial (derive.DialedNames).
//
// Layout of a certificate directory DIR, which `azagen certs --out DIR`
// writes and `azagen vet --certs DIR` reads:
//
//	DIR/ca.crt, DIR/ca.key            the CA (the key never leaves DIR)
//	DIR/<stack>/ca.crt                a copy of the CA certificate
//	DIR/<stack>/<service>.crt, .key   each server's certificate and key
//
// DIR/<stack> is exactly what a stack's tls.dir must hold. Keys are ECDSA
// P-256 in PKCS #8 PEM, mode 0600: PostgreSQL refuses a key file that its
// group or others can read (be-secure-common.c,
// check_ssl_key_file_permissions).
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/model"
)

// CAFile and CAKeyFile are the CA's file names in a certificate directory.
const (
	CAFile    = "ca.crt"
	CAKeyFile = "ca.key"
)

// Server is one service that serves TLS and the names its certificate must
// cover.
type Server struct {
	Stack, Service string
	Names          []string
}

// Servers lists every TLS server of the source, by stack then service.
func Servers(c *model.Config) []Server {
	var out []Server
	for _, sk := range slices.Sorted(maps.Keys(c.Stacks)) {
		st := c.Stacks[sk]
		for _, name := range slices.Sorted(maps.Keys(st.Services)) {
			svc := st.Services[name]
			if model.ServesTLS(svc.Kind) {
				// The service name first: it becomes the subject's common name.
				names := slices.DeleteFunc(derive.DialedNames(c, st, svc), func(n string) bool { return n == name })
				out = append(out, Server{Stack: sk, Service: name, Names: append([]string{name}, names...)})
			}
		}
	}
	return out
}

// CA is a certificate authority that can issue server certificates.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	PEM  []byte
}

// NewCA makes a self-signed development CA valid from notBefore for
// validity.
func NewCA(name string, notBefore time.Time, validity time.Duration) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// LoadCA reads a CA certificate and key written by WriteCA.
func LoadCA(certFile, keyFile string) (*CA, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	cert, err := parseCert(certPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certFile, err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", keyFile)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an ECDSA key", keyFile)
	}
	return &CA{Cert: cert, Key: key, PEM: certPEM}, nil
}

// Issue makes a server certificate for names (DNS names or IP addresses),
// valid from notBefore for validity; it returns the certificate and key in
// PEM.
func (ca *CA) Issue(names []string, notBefore time.Time, validity time.Duration) (certPEM, keyPEM []byte, err error) {
	if len(names) == 0 {
		return nil, nil, errors.New("a server certificate needs at least one name")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    notBefore,
		NotAfter:     notBefore.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, nil, err
	}
	k, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k}), nil
}

// Options tune Write. Zero values take the defaults.
type Options struct {
	// Now is the start of validity (default: the current time, less an
	// hour for clock skew).
	Now time.Time
	// Validity of the server certificates (default 397 days, the longest
	// public CAs issue) and of a new CA (default ten years).
	Validity, CAValidity time.Duration
	// ExtraNames are added to every server certificate, beyond the names
	// clients dial (tests that reach a server on 127.0.0.1 use it).
	ExtraNames []string
}

// Write makes the certificate directory dir for the source: a CA (kept if
// dir already holds one, so that rotating the server certificates changes
// nothing clients trust) and a fresh certificate and key for every server.
// It returns the files written, relative to dir.
func Write(dir string, c *model.Config, opt Options) ([]string, error) {
	if opt.Now.IsZero() {
		opt.Now = time.Now().Add(-time.Hour)
	}
	if opt.Validity == 0 {
		opt.Validity = 397 * 24 * time.Hour
	}
	if opt.CAValidity == 0 {
		opt.CAValidity = 10 * 365 * 24 * time.Hour
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var written []string
	caCert, caKey := filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile)
	ca, err := LoadCA(caCert, caKey)
	if errors.Is(err, fs.ErrNotExist) {
		if ca, err = NewCA("azagen development CA", opt.Now, opt.CAValidity); err != nil {
			return nil, err
		}
		k, err := x509.MarshalPKCS8PrivateKey(ca.Key)
		if err != nil {
			return nil, err
		}
		if err := writeFile(caKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k}), 0o600); err != nil {
			return nil, err
		}
		if err := writeFile(caCert, ca.PEM, 0o644); err != nil {
			return nil, err
		}
		written = append(written, CAKeyFile, CAFile)
	} else if err != nil {
		return nil, err
	}
	stacks := map[string]bool{}
	for _, s := range Servers(c) {
		sd := filepath.Join(dir, s.Stack)
		if !stacks[s.Stack] {
			stacks[s.Stack] = true
			if err := os.MkdirAll(sd, 0o755); err != nil {
				return nil, err
			}
			if err := writeFile(filepath.Join(sd, CAFile), ca.PEM, 0o644); err != nil {
				return nil, err
			}
			written = append(written, filepath.Join(s.Stack, CAFile))
		}
		certPEM, keyPEM, err := ca.Issue(append(slices.Clone(s.Names), opt.ExtraNames...), opt.Now, opt.Validity)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", s.Stack, s.Service, err)
		}
		crt, key := model.TLSHostFile(s.Service, "crt"), model.TLSHostFile(s.Service, "key")
		if err := writeFile(filepath.Join(sd, key), keyPEM, 0o600); err != nil {
			return nil, err
		}
		if err := writeFile(filepath.Join(sd, crt), certPEM, 0o644); err != nil {
			return nil, err
		}
		written = append(written, filepath.Join(s.Stack, crt), filepath.Join(s.Stack, key))
	}
	return written, nil
}

// writeFile writes data into p at mode perm, in place when p exists: a
// stack bind-mounts each file by itself, and such a mount keeps the inode it
// was made with, so a file replaced by rename would stay invisible to the
// running server until the container is recreated. A new key file is
// created with its final mode, never briefly readable by others.
func writeFile(p string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return n
}

func parseCert(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM CERTIFICATE block")
	}
	return x509.ParseCertificate(block.Bytes)
}
