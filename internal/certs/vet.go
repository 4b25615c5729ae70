package certs

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/rules"
)

// ExpiryWarning is how long before its end a certificate is reported: long
// enough to rotate it on a working day.
const ExpiryWarning = 30 * 24 * time.Hour

// Vet checks the certificate directory dir (layout in the package doc)
// against the source at time now: every server's certificate exists,
// covers every name its clients dial, chains to its stack's CA, and no
// certificate expires within ExpiryWarning; every key matches its
// certificate and is private to its owner. Each finding is positioned at
// the file it is about.
func Vet(dir string, c *model.Config, now time.Time) diag.List {
	dirs := map[string]string{}
	for sk := range c.Stacks {
		dirs[sk] = filepath.Join(dir, sk)
	}
	return VetStacks(dirs, c, now)
}

// VetStacks is Vet over the given directory of each stack (stack key to
// directory, what the stack's tls.dir holds); stacks not in dirs are not
// checked.
func VetStacks(dirs map[string]string, c *model.Config, now time.Time) diag.List {
	var out diag.List
	report := func(rule, file, format string, args ...any) {
		r := rules.Get(rule)
		out = append(out, diag.Diagnostic{Rule: r.ID, Severity: r.Severity, Pos: diag.Position{File: file, Line: 1, Col: 1},
			Message: fmt.Sprintf(format, args...)})
	}
	expiry := func(file string, cert *x509.Certificate) {
		switch {
		case now.After(cert.NotAfter):
			report(rules.TLSCertExpiry, file, "certificate %q expired on %s", cert.Subject.CommonName, cert.NotAfter.UTC().Format(time.RFC3339))
		case cert.NotAfter.Sub(now) < ExpiryWarning:
			report(rules.TLSCertExpiry, file, "certificate %q expires on %s, within %d days: rotate it", cert.Subject.CommonName,
				cert.NotAfter.UTC().Format(time.RFC3339), int(ExpiryWarning.Hours()/24))
		case now.Before(cert.NotBefore):
			report(rules.TLSCertExpiry, file, "certificate %q is not valid before %s", cert.Subject.CommonName, cert.NotBefore.UTC().Format(time.RFC3339))
		}
	}
	cas := map[string]*x509.CertPool{}
	for _, s := range Servers(c) {
		st := c.Stacks[s.Stack]
		sd, ok := dirs[s.Stack]
		if !ok {
			continue
		}
		caFile := filepath.Join(sd, st.TLS.CA)
		pool, ok := cas[s.Stack]
		if !ok {
			pool = x509.NewCertPool()
			cas[s.Stack] = pool
			data, err := os.ReadFile(caFile)
			if err != nil {
				report(rules.TLSCertFiles, caFile, "the CA certificate of stack %s: %v", s.Stack, err)
			} else if ca, err := parseCert(data); err != nil {
				report(rules.TLSCertFiles, caFile, "the CA certificate of stack %s: %v", s.Stack, err)
			} else {
				pool.AddCert(ca)
				expiry(caFile, ca)
			}
		}
		certFile := filepath.Join(sd, model.TLSHostFile(s.Service, "crt"))
		keyFile := filepath.Join(sd, model.TLSHostFile(s.Service, "key"))
		certPEM, err := os.ReadFile(certFile)
		if err != nil {
			report(rules.TLSCertFiles, certFile, "the certificate of %s/%s: %v", s.Stack, s.Service, err)
			continue
		}
		cert, err := parseCert(certPEM)
		if err != nil {
			report(rules.TLSCertFiles, certFile, "the certificate of %s/%s: %v", s.Stack, s.Service, err)
			continue
		}
		expiry(certFile, cert)
		// Chain at the certificate's own mid-life, so that expiry is
		// reported once, by its own rule.
		mid := cert.NotBefore.Add(cert.NotAfter.Sub(cert.NotBefore) / 2)
		if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: mid, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			report(rules.TLSCertChain, certFile, "the certificate of %s/%s does not chain to %s: %v", s.Stack, s.Service, caFile, err)
		}
		var missing []string
		for _, n := range s.Names {
			if cert.VerifyHostname(n) != nil {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			report(rules.TLSCertNames, certFile, "the certificate of %s/%s does not cover %q, which its clients dial (it covers %q)",
				s.Stack, s.Service, missing, certNames(cert))
		}
		vetKey(keyFile, cert, report)
	}
	out.Sort()
	return out
}

func certNames(cert *x509.Certificate) []string {
	names := slices.Clone(cert.DNSNames)
	for _, ip := range cert.IPAddresses {
		names = append(names, ip.String())
	}
	return names
}

// vetKey checks that the key file exists, matches cert and is private:
// PostgreSQL accepts a key owned by its user with no group or other
// permission, or owned by root with at most group read
// (be-secure-common.c, check_ssl_key_file_permissions).
func vetKey(keyFile string, cert *x509.Certificate, report func(rule, file, format string, args ...any)) {
	fi, err := os.Stat(keyFile)
	if err != nil {
		report(rules.TLSCertFiles, keyFile, "the key of %q: %v", cert.Subject.CommonName, err)
		return
	}
	perm := fi.Mode().Perm()
	rootOwned := false
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		rootOwned = st.Uid == 0
	}
	if perm&0o077 != 0 && !(rootOwned && perm&0o037 == 0) {
		report(rules.TLSKeyPrivate, keyFile, "key file mode is %04o: others than its owner can read it; chmod 600 (PostgreSQL refuses it otherwise)", perm)
	}
	data, err := os.ReadFile(keyFile)
	if err != nil {
		report(rules.TLSCertFiles, keyFile, "%v", err)
		return
	}
	block, _ := pem.Decode(data)
	if block == nil {
		report(rules.TLSCertFiles, keyFile, "no PEM block")
		return
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		key, err = x509.ParseECPrivateKey(block.Bytes)
	}
	if err != nil {
		if k, err2 := x509.ParsePKCS1PrivateKey(block.Bytes); err2 == nil {
			key, err = k, nil
		}
	}
	if err != nil {
		report(rules.TLSCertFiles, keyFile, "not a PKCS #8, SEC 1 or PKCS #1 private key: %v", err)
		return
	}
	pub, ok := key.(crypto.Signer)
	if !ok {
		report(rules.TLSCertFiles, keyFile, "not a signing key")
		return
	}
	want, err1 := x509.MarshalPKIXPublicKey(cert.PublicKey)
	got, err2 := x509.MarshalPKIXPublicKey(pub.Public())
	if err1 != nil || err2 != nil || !bytes.Equal(want, got) {
		report(rules.TLSCertFiles, keyFile, "the key does not belong to the certificate beside it")
	}
}
