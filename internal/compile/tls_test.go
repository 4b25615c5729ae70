package compile_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/model"
)

// weakTLS matches what a rendered file must not hold without a written
// reason: a libpq sslmode that does not verify the server, PgBouncer's
// server_tls_sslmode likewise, and a plain host rule of pg_hba.conf (which
// admits a client without TLS).
var weakTLS = regexp.MustCompile(`(?m)sslmode=(disable|allow|prefer|require|verify-ca)\b|server_tls_sslmode = (disable|allow|prefer|require|verify-ca)$|^host\s`)

// TestGeneratedFilesUseVerifiedTLS reads every file of the repository's
// generated/ directory, as committed, and finds no weak TLS setting: no
// reason is written in stacks.cue, so none may appear.
func TestGeneratedFilesUseVerifiedTLS(t *testing.T) {
	var checked int
	err := filepath.WalkDir("../../generated", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		checked++
		for _, m := range weakTLS.FindAllString(string(data), -1) {
			t.Errorf("%s holds %q, a connection weaker than verify-full with no reason written", p, strings.TrimSpace(m))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 10 {
		t.Fatalf("checked %d generated files, want the whole output set", checked)
	}
	// The regexp must catch what it is for: the plaintext output of before.
	for _, bad := range []string{"postgresql://u@postgres:5432/postgres?sslmode=disable", "server_tls_sslmode = prefer\n", "host    all  all  samenet  scram-sha-256\n"} {
		if !weakTLS.MatchString(bad) {
			t.Errorf("weakTLS does not catch %q", bad)
		}
	}
}

// TestWeakTLSWithReason: a written reason makes a weaker connection valid,
// and the renderers then write exactly that mode, with the reason beside
// the plain host rule, placed before the hostnossl reject.
func TestWeakTLSWithReason(t *testing.T) {
	edits := strings.Join([]string{
		`					slot:    "replica_slot_1" => 					slot:    "replica_slot_1", sslmode: "disable", sslmode_reason: "the standby shares a host with the primary"`,
		`			exporter: {target: "postgres-replica", role: "postgres_exporter", listen_port: 9187} => 			exporter: {target: "postgres-replica", role: "postgres_exporter", listen_port: 9187, sslmode: "require", sslmode_reason: "test"}`,
	}, "\n")
	res := compileEdited(t, edits, "")
	if len(res.Diags) > 0 || res.Output == nil {
		t.Fatalf("a weaker mode with a reason is refused:\n%s", res.Diags)
	}
	hba := string(res.Output[model.HBAPath("primary")].Data)
	plain := strings.Index(hba, "\nhost       replication")
	reject := strings.Index(hba, "\nhostnossl  all")
	if plain < 0 || reject < 0 || plain > reject {
		t.Errorf("primary pg_hba.conf: want the reasoned plain host rule before the hostnossl reject:\n%s", hba)
	}
	if !strings.Contains(hba, "the standby shares a host with the primary") {
		t.Errorf("primary pg_hba.conf does not carry the reason:\n%s", hba)
	}
	compose := string(res.Output[model.ComposePath("replica")].Data)
	for _, want := range []string{"PRIMARY_SSLMODE: disable", "sslmode=require&"} {
		if !strings.Contains(compose, want) {
			t.Errorf("replica compose.yaml lacks %q", want)
		}
	}
}

// TestTLSFromComposeSecrets: with tls.source "secrets" the files are compose secrets (file:
// from tls.dir), every service lists the ones it reads, and every rendered path names
// /run/secrets, where compose mounts them; compose-go accepts the file (rule compose-valid).
func TestTLSFromComposeSecrets(t *testing.T) {
	res := compileEdited(t, `	source:       "files" => 	source:       "secrets"`, "")
	if len(res.Diags) > 0 || res.Output == nil {
		t.Fatalf("tls.source secrets: %s", res.Diags)
	}
	compose := string(res.Output[model.ComposePath("primary")].Data)
	for _, want := range []string{
		"secrets:\n  tls_ca:\n    file: ./tls/ca.crt\n",
		"  tls_pgbouncer_key:\n    file: ./tls/pgbouncer.key\n",
		"  tls_postgres_crt:\n    file: ./tls/postgres.crt\n",
		"sslrootcert=/run/secrets/tls_ca",
	} {
		if !strings.Contains(compose, want) {
			t.Errorf("compose.yaml lacks %q:\n%s", want, compose)
		}
	}
	if strings.Contains(compose, "/etc/azagen/tls") {
		t.Errorf("compose.yaml still mounts files at /etc/azagen/tls:\n%s", compose)
	}
	conf := string(res.Output[model.PostgresConfPath("primary")].Data)
	if !strings.Contains(conf, "ssl_key_file = '/run/secrets/tls_postgres_key'") {
		t.Errorf("postgresql.conf does not read the key from its secret:\n%s", conf)
	}
	ini := string(res.Output[model.PgBouncerIniPath("primary")].Data)
	if !strings.Contains(ini, "client_tls_cert_file = /run/secrets/tls_pgbouncer_crt") {
		t.Errorf("pgbouncer.ini does not read the certificate from its secret:\n%s", ini)
	}
}
