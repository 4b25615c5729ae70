package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/azagen/azagen/internal/normalize"
	"github.com/azagen/azagen/internal/testing/oracle"
)

// TestStackFollowsSuperuserAndDatabase (issue 12, kind 1): the superuser's
// name and the database come from one place each (the superuser role,
// postgresql.database). With the database moved to app and PgBouncer pooling
// app alone, the primary stack is run as compose would: the stand-in of the
// official entrypoint runs initdb -U $POSTGRES_USER and creates
// $POSTGRES_DB from the rendered environment, then the rendered roles
// script, every rendered healthcheck and the exporters must all work.
func TestStackFollowsSuperuserAndDatabase(t *testing.T) {
	oracle.Require(t, oracle.ToolPostgresBin)
	res := compileStacks(t, "testdata/identity_app_database.cue")
	su := normalize.Superuser(res.Config)
	if su == nil {
		t.Fatal("no superuser role")
	}
	pgEnv := renderedService(t, res, "primary", "postgres").Environment
	if pgEnv["POSTGRES_USER"] != su.Name || pgEnv["POSTGRES_DB"] != "app" {
		t.Fatalf("rendered POSTGRES_USER=%q POSTGRES_DB=%q, want %q and app", pgEnv["POSTGRES_USER"], pgEnv["POSTGRES_DB"], su.Name)
	}
	svcs, err := stackRun(t, res, []string{"primary"}, 3*time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	pg := svcs["primary/postgres"]
	// initdb made the superuser under the role's name, and the extensions
	// went into app, where the healthcheck looked for them.
	out, err := runCommandOut(pg.ctr.Command(t, "postgres", pg.env, "psql", "-X", "-A", "-t", "-U", su.Name, "-d", "app", "-c",
		"SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), (SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm')"), 30*time.Second)
	if err != nil || strings.TrimSpace(out) != su.Name+"|t|1" {
		t.Errorf("superuser session in app: %q, %v; want %s|t|1", out, err, su.Name)
	}
	// PgBouncer's healthcheck logged in to app through the pool.
	if got := strings.Join(svcs["primary/pgbouncer"].health, " "); !strings.Contains(got, " dbname=app ") {
		t.Errorf("pgbouncer healthcheck %q does not log in to app", got)
	}
	checkScrape(t, svcs["primary/postgres_exporter"], 9187, "pg_up 1")
	checkScrape(t, svcs["primary/pgbouncer_exporter"], 9127, "pgbouncer_up 1")
}
