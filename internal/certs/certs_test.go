package certs_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azagen/azagen/internal/certs"
	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/model"
)

func config(t *testing.T) *model.Config {
	t.Helper()
	res, err := compile.Compile(context.Background(), []string{"../../stacks.cue"})
	if err != nil || res.Diags.HasErrors() {
		t.Fatalf("compile: %v %v", err, res.Diags)
	}
	return res.Config
}

// rulesOf lists the rule of each finding, "file rule" with the file relative to dir.
func rulesOf(dir string, l diag.List) []string {
	var out []string
	for _, d := range l {
		rel, _ := filepath.Rel(dir, d.Pos.File)
		out = append(out, rel+" "+d.Rule)
	}
	return out
}

func TestWriteThenVetIsClean(t *testing.T) {
	c := config(t)
	dir := t.TempDir()
	if _, err := certs.Write(dir, c, certs.Options{}); err != nil {
		t.Fatal(err)
	}
	if got := certs.Vet(dir, c, time.Now()); len(got) > 0 {
		t.Fatalf("fresh certificates: %v", got)
	}
	// Every server certificate names what its clients dial, service name first.
	for _, s := range certs.Servers(c) {
		if s.Names[0] != s.Service {
			t.Errorf("%s/%s: names %v, want the service name first", s.Stack, s.Service, s.Names)
		}
		fi, err := os.Stat(filepath.Join(dir, s.Stack, s.Service+".key"))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s/%s key: %v %v, want mode 0600", s.Stack, s.Service, fi.Mode(), err)
		}
	}
	want := map[string][]string{"primary/pgbouncer": {"pgbouncer", "localhost"}, "primary/postgres": {"postgres", "localhost"},
		"replica/postgres-replica": {"postgres-replica", "localhost"}}
	for _, s := range certs.Servers(c) {
		if w, ok := want[s.Stack+"/"+s.Service]; ok && strings.Join(w, ",") != strings.Join(s.Names, ",") {
			t.Errorf("%s/%s: names %v, want %v", s.Stack, s.Service, s.Names, w)
		}
	}
}

func TestVetReportsExpiredWrongNameAndForeignKey(t *testing.T) {
	c := config(t)
	dir := t.TempDir()
	// Issued 400 days ago for the default 397 days: expired three days ago.
	if _, err := certs.Write(dir, c, certs.Options{Now: time.Now().Add(-400 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	ca, err := certs.LoadCA(filepath.Join(dir, certs.CAFile), filepath.Join(dir, certs.CAKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	// A valid certificate from the right CA, for the wrong name.
	crt, key, err := ca.Issue([]string{"wrong.example"}, time.Now().Add(-time.Hour), 365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "single", "postgres.crt"), crt, 0o644))
	must(os.WriteFile(filepath.Join(dir, "single", "postgres.key"), key, 0o600))
	// A key that is not the certificate's.
	must(os.WriteFile(filepath.Join(dir, "replica", "postgres-replica.key"), key, 0o600))
	got := strings.Join(rulesOf(dir, certs.Vet(dir, c, time.Now())), "\n")
	for _, want := range []string{
		"primary/postgres.crt tls-cert-expiry",
		"primary/pgbouncer.crt tls-cert-expiry",
		"single/postgres.crt tls-cert-names",
		"replica/postgres-replica.key tls-cert-files",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("findings lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "single/postgres.crt tls-cert-expiry") || strings.Contains(got, "tls-cert-chain") {
		t.Errorf("findings report a valid certificate or chain:\n%s", got)
	}
}
