package integration

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/testing/oracle"
)

// TestPasswordRotationOnRestart (issue 12, kind 4): the primary stack runs
// with one set of passwords, is stopped, and starts again as compose would
// after every password in .env was changed. The day-2 script must re-apply
// the roles on the initialized cluster, so every healthcheck passes again
// (PgBouncer's logs in through the pool as pgbouncer_auth, the exporters
// log in as their roles), every role logs in with its new password and not
// with its old one, and no new password reaches a log. The restart also
// comes with an edited stacks.cue: a connection limit changed, which the
// initialized cluster gets as well.
func TestPasswordRotationOnRestart(t *testing.T) {
	oracle.Require(t, oracle.ToolPostgresBin)
	oracle.Require(t, oracle.ToolPgBouncer)
	res := compileStacks(t)
	base, err := os.ReadFile(stacksSource)
	if err != nil {
		t.Fatal(err)
	}
	// Day 2 in stacks.cue: the exporter role's limit goes from 5 to 7.
	edited := strings.Replace(string(base), "monitoring:       true\n\t\tconnection_limit: 5", "monitoring:       true\n\t\tconnection_limit: 7", 1)
	if edited == string(base) {
		t.Fatal("the edit of postgres_exporter's connection_limit did not apply")
	}
	editedPath := filepath.Join(t.TempDir(), "stacks.cue")
	if err := os.WriteFile(editedPath, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	res2, err := compile.Compile(context.Background(), []string{editedPath})
	if err != nil || res2.Diags.HasErrors() {
		t.Fatalf("compile the edited stacks.cue: %v\n%v", err, res2.Diags)
	}
	first, err := stackRun(t, res, []string{"primary"}, 3*time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	// compose stop: dependents first.
	for _, name := range []string{"pgbouncer_exporter", "postgres_exporter", "pgbouncer", "postgres"} {
		if err := first["primary/"+name].daemon.Stop(); err != nil {
			t.Fatalf("stop %s: %v", name, err)
		}
	}

	old := sampleEnvironment(t, res, "primary")
	rotated := map[string]string{}
	for _, r := range res.Config.Roles {
		if _, ok := old[r.PasswordVar]; ok {
			rotated[r.PasswordVar] = "rotated-" + oddPassword(r.PasswordVar)
		}
	}
	if len(rotated) < 5 {
		t.Fatalf("only %d passwords to rotate: %v", len(rotated), slices.Sorted(maps.Keys(rotated)))
	}
	second, err := stackStart(t, res2, []string{"primary"}, 3*time.Minute, stackOptions{env: rotated, again: first})
	if err != nil {
		t.Fatal(err)
	}
	pg := second["primary/postgres"]
	if !strings.Contains(pg.daemon.Output(), "[azagen-reconcile]") || !strings.Contains(pg.daemon.Output(), "roles ready:") {
		t.Errorf("the second start did not reconcile the roles:\n%s", pg.daemon.Output())
	}
	out, err := runCommandOut(pg.ctr.Command(t, "postgres", pg.env, "psql", "-X", "-A", "-t", "-c",
		"SELECT rolconnlimit FROM pg_roles WHERE rolname = 'postgres_exporter'"), 30*time.Second)
	if err != nil || strings.TrimSpace(out) != "7" {
		t.Errorf("postgres_exporter's connection limit after the restart: %q, %v; want 7 from the edited stacks.cue", out, err)
	}
	checkScrape(t, second["primary/postgres_exporter"], 9187, "pg_up 1")
	checkScrape(t, second["primary/pgbouncer_exporter"], 9127, "pgbouncer_up 1")

	// Every PostgreSQL role logs in over the network with its new password,
	// and no longer with the old one.
	logins := []struct{ role, conninfo, sql string }{
		{"postgres_exporter", "host=postgres dbname=postgres", "SELECT 1"},
		{"pgbouncer_auth", "host=postgres dbname=postgres", "SELECT 1"},
		{"replicator", "host=postgres dbname=postgres replication=true", "IDENTIFY_SYSTEM"},
		{"pgbouncer_auth", "host=pgbouncer port=6432 dbname=postgres", "SELECT 1"},
	}
	for _, l := range logins {
		r := res.Config.Roles[l.role]
		if r == nil {
			t.Fatalf("no role %s", l.role)
		}
		for _, try := range []struct {
			password string
			ok       bool
		}{{rotated[r.PasswordVar], true}, {old[r.PasswordVar], false}} {
			out, err := runCommandOut(pg.ctr.Command(t, "postgres", []string{"PGPASSWORD=" + try.password, "PGCONNECT_TIMEOUT=5"},
				"psql", "-X", "-w", "-A", "-t", "-U", l.role, "-d", l.conninfo, "-c", l.sql), 30*time.Second)
			switch {
			case try.ok && err != nil:
				t.Errorf("%s (%s) with the rotated password: %v\n%s", l.role, l.conninfo, err, out)
			case !try.ok && err == nil:
				t.Errorf("%s (%s) still logs in with the old password", l.role, l.conninfo)
			}
		}
	}

	for name, s := range second {
		for _, pw := range rotated {
			if strings.Contains(s.daemon.Output(), pw) {
				t.Errorf("%s logged a rotated password", name)
			}
		}
	}
}
