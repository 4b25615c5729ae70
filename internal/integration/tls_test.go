package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/azagen/azagen/internal/certs"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/testing/oracle"
)

// TestTLSOnEveryConnection runs the primary and replica stacks as compose would, with the
// certificates azagen's certs package makes, and proves on the real programs that every
// connection is TLS 1.3 and verified: psql with verify-full reaches PostgreSQL directly and
// through PgBouncer, whose server connection is TLS too; a plaintext login is refused by
// pg_hba.conf and by PgBouncer; the standby streams over TLS (pg_stat_ssl on the primary) with
// sslmode=verify-full in its primary_conninfo; both exporters log in over TLS (the servers'
// connection logs) and scrape.
func TestTLSOnEveryConnection(t *testing.T) {
	oracle.Require(t, oracle.ToolPostgresBin)
	res := compileStacks(t)
	svcs, err := stackRun(t, res, []string{"primary", "replica"}, 3*time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	sample := sampleEnvironment(t, res, "primary")
	primary, bouncer, standby := svcs["primary/postgres"], svcs["primary/pgbouncer"], svcs["replica/postgres-replica"]
	ca := model.ServiceTLSFiles(res.Config.Stacks["replica"], res.Config.Stacks["replica"].Services[replicaService]).CA

	// psql in the standby's container, a client on the compose network with the stack's CA.
	client := func(conninfo, password, sql string) (string, error) {
		env := append(append([]string{}, standby.env...), "PGPASSWORD="+password, "PGCONNECT_TIMEOUT=10", "PGPASSFILE=/dev/null")
		out, err := runCommandOut(standby.ctr.Command(t, standby.user, env, "psql", "-X", "-w", "-A", "-t", "-v", "ON_ERROR_STOP=1",
			conninfo, "-c", sql), 30*time.Second)
		return strings.TrimSpace(out), err
	}
	ownSSL := "SELECT ssl || '|' || version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
	verifyFull := " sslmode=verify-full sslrootcert=" + ca

	t.Run("psql verify-full directly", func(t *testing.T) {
		out, err := client("host=postgres port=5432 user=postgres dbname=postgres"+verifyFull, sample["POSTGRES_PASSWORD"], ownSSL)
		if err != nil || out != "true|TLSv1.3" {
			t.Fatalf("psql verify-full to postgres: %q, %v", out, err)
		}
		t.Logf("postgres:5432 verify-full: ssl|version = %s", out)
	})
	t.Run("psql verify-full through PgBouncer", func(t *testing.T) {
		// The query runs on PgBouncer's server connection: its TLS is PgBouncer's toward PostgreSQL.
		out, err := client("host=pgbouncer port=6432 user=pgbouncer_auth dbname=postgres"+verifyFull, sample["PGBOUNCER_AUTH_PASS"], ownSSL)
		if err != nil || out != "true|TLSv1.3" {
			t.Fatalf("psql verify-full through pgbouncer: %q, %v", out, err)
		}
		t.Logf("pgbouncer:6432 verify-full, server connection ssl|version = %s", out)
		if log := bouncer.daemon.Output(); !strings.Contains(log, "tls=TLSv1.3/") {
			t.Errorf("PgBouncer logged no TLS 1.3 client login:\n%s", log)
		}
	})
	t.Run("plaintext refused", func(t *testing.T) {
		out, err := client("host=postgres port=5432 user=postgres dbname=postgres sslmode=disable", sample["POSTGRES_PASSWORD"], "SELECT 1")
		if err == nil || !strings.Contains(out, `pg_hba.conf rejects connection for host`) || !strings.Contains(out, "no encryption") {
			t.Fatalf("plaintext login to postgres: %q, %v; want a pg_hba.conf rejection", out, err)
		}
		t.Logf("plaintext to postgres: %s", out)
		// A walsender login is matched only by "replication" rules, never by "all".
		out, err = client("host=postgres port=5432 user=replicator dbname=replication replication=true sslmode=disable",
			sample["PG_REPLICATION_PASSWORD"], "IDENTIFY_SYSTEM")
		if err == nil || !strings.Contains(out, `pg_hba.conf rejects replication connection for host`) {
			t.Fatalf("plaintext replication login to postgres: %q, %v; want a pg_hba.conf rejection", out, err)
		}
		t.Logf("plaintext replication to postgres: %s", out)
		out, err = client("host=pgbouncer port=6432 user=pgbouncer_auth dbname=postgres sslmode=disable", sample["PGBOUNCER_AUTH_PASS"], "SELECT 1")
		if err == nil || !strings.Contains(out, "SSL required") {
			t.Fatalf("plaintext login to pgbouncer: %q, %v; want SSL required", out, err)
		}
		t.Logf("plaintext to pgbouncer: %s", out)
	})
	t.Run("standby streams over TLS", func(t *testing.T) {
		var out string
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
			out, err = runCommandOut(primary.ctr.Command(t, "postgres", primary.env, "psql", "-X", "-A", "-t", "-c",
				"SELECT s.ssl || '|' || s.version || '|' || r.state FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)"), 30*time.Second)
			if out = strings.TrimSpace(out); out == "true|TLSv1.3|streaming" {
				break
			}
		}
		if out != "true|TLSv1.3|streaming" {
			t.Fatalf("walsender on the primary: %q, %v; want true|TLSv1.3|streaming", out, err)
		}
		t.Logf("pg_stat_ssl of the walsender: %s", out)
		conninfo, err := runCommandOut(standby.ctr.Command(t, "postgres", standby.env, "psql", "-X", "-A", "-t", "-c", "SHOW primary_conninfo"), 30*time.Second)
		if err != nil || !strings.Contains(conninfo, "sslmode='verify-full'") || !strings.Contains(conninfo, "sslrootcert='"+ca+"'") {
			t.Errorf("standby primary_conninfo: %q, %v; want sslmode=verify-full and sslrootcert=%s", conninfo, err, ca)
		}
	})
	t.Run("exporters scrape over TLS", func(t *testing.T) {
		checkScrape(t, svcs["primary/postgres_exporter"], 9187, "pg_up 1", "pg_exporter_last_scrape_error 0")
		checkScrape(t, svcs["primary/pgbouncer_exporter"], 9127, "pgbouncer_up 1")
		checkScrape(t, svcs["replica/postgres_exporter"], 9187, "pg_up 1", "pg_exporter_last_scrape_error 0")
		for name, s := range map[string]*runningService{"primary": primary, "standby": standby} {
			if !logHasLine(s.daemon.Output(), "connection authorized: user=postgres_exporter", "SSL enabled (protocol=TLSv1.3") {
				t.Errorf("%s logged no TLS 1.3 login of postgres_exporter:\n%s", name, s.daemon.Output())
			}
		}
		if !logHasLine(bouncer.daemon.Output(), "user=pgbouncer_stats", "tls=TLSv1.3/") {
			t.Errorf("PgBouncer logged no TLS 1.3 login of pgbouncer_stats:\n%s", bouncer.daemon.Output())
		}
	})
	t.Run("rotation by reload", func(t *testing.T) {
		// New certificates from another CA, written in place over the mounted files (a bind
		// mount keeps its inode), then the reload the docs prescribe: SIGHUP. New connections
		// must present them (the old CA no longer verifies, the new one does) while the
		// processes keep running. Last: PgBouncer's and the exporters' own connections to
		// postgres would fail from here on, as they still trust the old CA.
		rotated, err := certs.NewCA("rotation test CA", time.Now().Add(-time.Hour), 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		start := func() string {
			out, err := runCommandOut(primary.ctr.Command(t, "postgres", primary.env, "psql", "-X", "-A", "-t", "-c", "SELECT pg_postmaster_start_time()"), 30*time.Second)
			if err != nil {
				t.Fatalf("pg_postmaster_start_time: %v\n%s", err, out)
			}
			return strings.TrimSpace(out)
		}
		before := start()
		for _, s := range []struct {
			rs   *runningService
			name string
		}{{primary, "postgres"}, {bouncer, "pgbouncer"}} {
			crt, key, err := rotated.Issue([]string{s.name}, time.Now().Add(-time.Hour), 24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			for p, data := range map[string][]byte{model.ContainerTLSDir + "/server.crt": crt, model.ContainerTLSDir + "/server.key": key} {
				if err := os.WriteFile(s.rs.ctr.HostPath(p), data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := syscall.Kill(s.rs.daemon.PID(), syscall.SIGHUP); err != nil {
				t.Fatalf("SIGHUP %s: %v", s.name, err)
			}
		}
		standby.ctr.WriteFile(t, "/tmp/rotated-ca.crt", string(rotated.PEM), 0o644)
		for _, target := range []struct{ conninfo, password string }{
			{"host=postgres port=5432 user=postgres dbname=postgres", sample["POSTGRES_PASSWORD"]},
			{"host=pgbouncer port=6432 user=pgbouncer_auth dbname=postgres", sample["PGBOUNCER_AUTH_PASS"]},
		} {
			var out string
			var err error
			// The reload is asynchronous: poll until the new certificate is served.
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
				if out, err = client(target.conninfo+" sslmode=verify-full sslrootcert=/tmp/rotated-ca.crt", target.password, "SELECT 1"); err == nil {
					break
				}
			}
			if err != nil || out != "1" {
				t.Fatalf("%s with the rotated CA after SIGHUP: %q, %v", target.conninfo, out, err)
			}
			out, err = client(target.conninfo+verifyFull, target.password, "SELECT 1")
			if err == nil || !strings.Contains(out, "certificate verify failed") {
				t.Errorf("%s still verifies against the old CA after the rotation: %q, %v", target.conninfo, out, err)
			}
			t.Logf("%s after SIGHUP: new CA verifies; old CA: %s", target.conninfo, out)
		}
		if after := start(); after != before {
			t.Errorf("postgres restarted during the rotation: started %s, now %s", before, after)
		}
		select {
		case <-bouncer.daemon.Done():
			t.Errorf("pgbouncer exited during the rotation:\n%s", bouncer.daemon.Output())
		default:
		}
	})
}

// logHasLine reports whether one line of log contains every part.
func logHasLine(log string, parts ...string) bool {
	for _, line := range strings.Split(log, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}

// TestTLSWrongNameRefused starts the single stack's server from its rendered files twice: with
// the certificate azagen's certs package issued for it, psql with verify-full connects; with a
// certificate from the same CA for another name, psql refuses the server.
func TestTLSWrongNameRefused(t *testing.T) {
	res := compileStacks(t)
	pg := newRenderedPostgres(t, res, "single", "postgres")
	ca := pg.layout.local(t, model.ContainerTLSDir+"/ca.crt")
	connect := func() (string, error) {
		env := []string{"PGPASSWORD=" + pg.superPassword, "PGPASSFILE=/dev/null", "PGCONNECT_TIMEOUT=10"}
		return runCommandOut(oracle.Command(t, "", env, oracle.Require(t, oracle.ToolPsql), "-X", "-w", "-A", "-t",
			"host="+loopbackSAN+" port="+strconv.Itoa(pg.Port())+" user=postgres dbname=postgres sslmode=verify-full sslrootcert="+ca,
			"-c", "SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"), 30*time.Second)
	}
	pg.start(t)
	if out, err := connect(); err != nil || strings.TrimSpace(out) != "TLSv1.3" {
		t.Fatalf("verify-full with the issued certificate: %q, %v", out, err)
	}
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}

	dir := testCertDir(t, res)
	authority, err := certs.LoadCA(filepath.Join(dir, certs.CAFile), filepath.Join(dir, certs.CAKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	crt, key, err := authority.Issue([]string{"wrong.example"}, time.Now().Add(-time.Hour), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for p, data := range map[string][]byte{model.ContainerTLSDir + "/server.crt": crt, model.ContainerTLSDir + "/server.key": key} {
		if err := os.WriteFile(pg.layout.local(t, p), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pg.start(t)
	out, err := connect()
	if err == nil || !strings.Contains(out, `server certificate for "wrong.example"`) || !strings.Contains(out, `does not match host name "`+loopbackSAN+`"`) {
		t.Fatalf("verify-full with a certificate for wrong.example: %q, %v; want psql to refuse the name", out, err)
	}
	t.Logf("as expected: %s", strings.TrimSpace(out))
}
