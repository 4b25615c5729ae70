package render_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/escape"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
	"github.com/azagen/azagen/internal/output"
	"github.com/azagen/azagen/internal/render"
)

// TestStackScriptsMatchMounts: StackScripts renders exactly the files the
// compose services mount besides the PostgreSQL configs and the exporter
// queries, so no mount names a file nothing renders and nothing rendered is
// left unmounted.
func TestStackScriptsMatchMounts(t *testing.T) {
	c := compileRepoConfig(t)
	for _, sk := range sortedKeys(c.Stacks) {
		st := c.Stacks[sk]
		files, err := render.StackScripts(c, st)
		if err != nil {
			t.Fatal(err)
		}
		var rendered, mounted []string
		for _, f := range files {
			rendered = append(rendered, f.Path)
		}
		for _, name := range sortedKeys(st.Services) {
			for _, m := range st.Services[name].Mounts {
				switch m.File {
				case "", model.BaseConfPath, model.ExporterQueriesPath, model.PostgresConfPath(sk), model.HBAPath(sk):
					continue
				}
				mounted = append(mounted, m.File)
			}
		}
		slices.Sort(rendered)
		slices.Sort(mounted)
		if !slices.Equal(rendered, mounted) {
			t.Errorf("stack %s: StackScripts renders %v, the services mount %v", sk, rendered, mounted)
		}
	}
}

// rolesInitFor renders the roles init script of the stack's first
// non-replica postgres service.
func rolesInitFor(t *testing.T, c *model.Config, stack string) (output.File, *model.Stack, *model.Service) {
	t.Helper()
	st := c.Stacks[stack]
	for _, name := range sortedKeys(st.Services) {
		svc := st.Services[name]
		if svc.Postgres != nil && svc.Postgres.Role != "replica" {
			f, err := render.RolesInit(c, st, svc)
			if err != nil {
				t.Fatal(err)
			}
			return f, st, svc
		}
	}
	t.Fatalf("stack %s has no primary or single postgres service", stack)
	return output.File{}, nil, nil
}

// TestRolesInit checks the roles init script of every non-replica server:
// one idempotent CREATE/ALTER per server role with its attributes, passwords
// only through psql variables, pg_monitor for monitoring roles, the
// replicas' slots, and PgBouncer's auth function where a PgBouncer pools.
func TestRolesInit(t *testing.T) {
	c := compileRepoConfig(t)
	for _, stack := range []string{"primary", "single"} {
		t.Run(stack, func(t *testing.T) {
			f, st, svc := rolesInitFor(t, c, stack)
			script := string(f.Data)
			if f.Path != model.RolesInitPath(stack) || f.Mode != 0o755 {
				t.Errorf("path %s mode %04o, want %s 0755", f.Path, f.Mode, model.RolesInitPath(stack))
			}
			if want := "#!/usr/bin/env bash\n# " + output.Header + "\n"; !strings.HasPrefix(script, want) {
				t.Errorf("script does not start with %q", want)
			}
			if !strings.Contains(script, `psql -X -q -v ON_ERROR_STOP=1`) || !strings.Contains(script, "<<'SQL'\n") {
				t.Error("the SQL is not fed to psql -v ON_ERROR_STOP=1 through a quoted here-document")
			}
			roles := normalize.ServerRoles(c, st, svc)
			if len(roles) == 0 {
				t.Fatal("no server roles: nothing to check")
			}
			for _, r := range roles {
				if strings.Contains(script, "$"+r.PasswordVar) || strings.Contains(script, "${"+r.PasswordVar) {
					t.Errorf("the shell expands %s itself; only psql's \\getenv may read it", r.PasswordVar)
				}
				getenv := regexp.MustCompile(`(?m)^\\getenv (azagen_password_\w+) ` + r.PasswordVar + `$`).FindStringSubmatch(script)
				if getenv == nil {
					t.Errorf("role %s: no \\getenv of %s", r.Name, r.PasswordVar)
					continue
				}
				create := "SELECT 'CREATE ROLE \"" + r.Name + "\"' WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '" + r.Name + "') \\gexec"
				if !strings.Contains(script, create) {
					t.Errorf("role %s: no idempotent CREATE ROLE (%s)", r.Name, create)
				}
				repl := "NOREPLICATION"
				if r.Replication {
					repl = "REPLICATION"
				}
				limit := -1
				if r.ConnectionLimit != nil {
					limit = *r.ConnectionLimit
				}
				alter := "ALTER ROLE \"" + r.Name + "\" WITH LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS " +
					repl + " CONNECTION LIMIT " + strconv.Itoa(limit) + " PASSWORD :'" + getenv[1] + "';"
				if !strings.Contains(script, alter) {
					t.Errorf("role %s: missing %q", r.Name, alter)
				}
				grant := "GRANT pg_monitor TO \"" + r.Name + "\" WITH INHERIT TRUE;"
				if strings.Contains(script, grant) != r.Monitoring {
					t.Errorf("role %s (monitoring %v): GRANT pg_monitor present = %v", r.Name, r.Monitoring, !r.Monitoring)
				}
			}
			for _, r := range c.Roles {
				if r.PgBouncerOnly && strings.Contains(script, `ROLE "`+r.Name+`"`) {
					t.Errorf("role %s (pgbouncer_only) must not be created or altered", r.Name)
				}
				// The superuser only gets its password again (a rotated
				// POSTGRES_PASSWORD applies on the next start), nothing else.
				if r.Superuser {
					want := `ALTER ROLE "` + r.Name + `" WITH LOGIN SUPERUSER PASSWORD :'azagen_password_superuser';`
					if got := strings.Count(script, `ALTER ROLE "`+r.Name+`"`); got != 1 || !strings.Contains(script, want) {
						t.Errorf("superuser %s: want exactly %q", r.Name, want)
					}
				}
			}
			for _, slot := range normalize.ReplicaSlots(c, st, svc) {
				if !strings.Contains(script, "PERFORM pg_catalog.pg_create_physical_replication_slot('"+slot+"');") {
					t.Errorf("slot %s is not created", slot)
				}
			}

			var databases []string
			var authUsers []string
			for _, name := range sortedKeys(st.Services) {
				if pb := st.Services[name].PgBouncer; pb != nil && pb.Server == svc.Key {
					databases = append(databases, pb.Databases...)
					authUsers = append(authUsers, pb.AuthUser)
				}
			}
			functions := strings.Count(script, "CREATE OR REPLACE FUNCTION pgbouncer.get_auth(p_usename text)")
			if len(authUsers) == 0 {
				if functions != 0 || strings.Contains(script, "pgbouncer") {
					t.Errorf("no PgBouncer pools for %s, but the script mentions pgbouncer", svc.Key)
				}
				return
			}
			if want := 1 + len(databases); functions != want {
				t.Errorf("get_auth is created %d times, want %d (template1 and %v)", functions, want, databases)
			}
			for _, db := range append([]string{"template1"}, databases...) {
				if !strings.Contains(script, "\n\\connect \""+db+"\"\n") {
					t.Errorf("the script does not install get_auth in database %s", db)
				}
			}
			for _, u := range authUsers {
				for _, grant := range []string{"GRANT USAGE ON SCHEMA pgbouncer TO \"" + u + "\";", "GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(text) TO \"" + u + "\";"} {
					if strings.Count(script, grant) != functions {
						t.Errorf("%q appears %d times, want %d", grant, strings.Count(script, grant), functions)
					}
				}
			}
			for _, want := range []string{"SECURITY DEFINER", "SET search_path = pg_catalog, pg_temp",
				"REVOKE ALL ON FUNCTION pgbouncer.get_auth(text) FROM PUBLIC;", "RETURNS TABLE (usename name, passwd text)"} {
				if !strings.Contains(script, want) {
					t.Errorf("the auth function lacks %q", want)
				}
			}
			shellcheck(t, f, "bash")
		})
	}
}

// TestRolesInitQuoting: names are quoted as SQL identifiers and literals and
// reduced to valid psql variable names (a hand-built model: stacks.cue's
// names cannot hold these characters).
func TestRolesInitQuoting(t *testing.T) {
	c, st := smallConfig()
	odd := `o"ne'il-x`
	c.Roles[odd] = &model.Role{Name: odd, PasswordVar: "ODD_PASSWORD"}
	st.Services["pool"].PgBouncer.AuthUser = odd
	st.Services["pool"].PgBouncer.Databases = []string{`d"b'x`}
	f, err := render.RolesInit(c, st, st.Services["db"])
	if err != nil {
		t.Fatal(err)
	}
	script := string(f.Data)
	for _, want := range []string{
		`SELECT 'CREATE ROLE "o""ne'il-x"' WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'o"ne''il-x') \gexec`,
		`\getenv azagen_password_1_o_ne_il_x ODD_PASSWORD`,
		`PASSWORD :'azagen_password_1_o_ne_il_x';`,
		`GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(text) TO "o""ne'il-x";`,
		`WHERE datname = 'd"b''x') AS azagen_database_exists \gset`,
		`\connect "d""b'x"`,
	} {
		if !strings.Contains(script, want) {
			t.Errorf("the script lacks %s", want)
		}
	}
	if _, err := render.RolesInit(c, st, &model.Service{Key: "r", Kind: model.KindPostgres,
		Postgres: &model.PostgresSpec{Role: "replica"}}); err == nil {
		t.Error("RolesInit rendered a script for a replica")
	}
}

// TestReplicaBootstrap checks the replica bootstrap's content and runs
// shellcheck on it as bash.
func TestReplicaBootstrap(t *testing.T) {
	f := replicaBootstrap(t)
	script := string(f.Data)
	if f.Mode != 0o755 {
		t.Errorf("mode %04o, want 0755", f.Mode)
	}
	if want := "#!/usr/bin/env bash\n# " + output.Header + "\n"; !strings.HasPrefix(script, want) {
		t.Errorf("script does not start with %q", want)
	}
	for _, want := range []string{
		`exec_target=${AZAGEN_BOOTSTRAP_EXEC:-` + model.ContainerImageEntrypoint + `}`,
		`export PGDATA=${PGDATA:-` + model.ContainerPGDataDefault + `}`,
		`if [[ -e $PGDATA/PG_VERSION ]]; then`,
		`pg_basebackup -d "$tls_conninfo" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PG_REPLICATION_USER" -w`,
		`-D "$staging" -X stream -c fast -R -S "$REPLICATION_SLOT_NAME" &`,
		`env PGPASSFILE="$passfile"`,
		`mv -- "$staging" "$PGDATA"`,
		`exec "$exec_target" "$@"`,
		`as_postgres=(gosu postgres)`,
	} {
		if !strings.Contains(script, want) {
			t.Errorf("the script lacks %q", want)
		}
	}
	if strings.Contains(script, "PGPASSWORD") || strings.Contains(script, "set -u") || strings.Contains(script, "set -Eeuo") {
		t.Error("the script must not pass PGPASSWORD nor abort on unset variables before its own messages")
	}
	shellcheck(t, f, "bash")
}

func replicaBootstrap(t *testing.T) output.File {
	t.Helper()
	c := compileRepoConfig(t)
	st := c.Stacks["replica"]
	for _, name := range sortedKeys(st.Services) {
		if svc := st.Services[name]; svc.Postgres != nil && svc.Postgres.Role == "replica" {
			f, err := render.ReplicaBootstrap(c, st, svc)
			if err != nil {
				t.Fatal(err)
			}
			if f.Path != model.ReplicaBootstrapPath("replica") {
				t.Errorf("path %s, want %s", f.Path, model.ReplicaBootstrapPath("replica"))
			}
			return f
		}
	}
	t.Fatal("the replica stack has no replica")
	return output.File{}
}

// bootstrapRun runs the rendered replica bootstrap with bash in a fresh
// directory whose "data" is PGDATA, and an exec target that records its
// arguments. It needs no PostgreSQL: these cases end before pg_isready.
type bootstrapRun struct {
	dir, pgdata, execArgs string
}

func newBootstrapRun(t *testing.T) *bootstrapRun {
	dir := t.TempDir()
	return &bootstrapRun{dir: dir, pgdata: filepath.Join(dir, "data"), execArgs: filepath.Join(dir, "exec.args")}
}

func (r *bootstrapRun) run(t *testing.T, f output.File, env ...string) (string, error) {
	t.Helper()
	script := filepath.Join(r.dir, "bootstrap.sh")
	if err := os.WriteFile(script, f.Data, 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(r.dir, "exec-target")
	fake := "#!/bin/sh\nprintf '%s\\n' \"$@\" >" + escape.ShellSingleQuote(r.execArgs) + "\n"
	if err := os.WriteFile(target, []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", script, "postgres", "-c", "config_file=/etc/postgresql/postgresql.conf")
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "PGDATA=" + r.pgdata, "AZAGEN_BOOTSTRAP_EXEC=" + target}, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestReplicaBootstrapRun runs the script through the cases that need no
// server: friendly messages for every bad setting at once (and nothing
// changed), the initialized standby it leaves alone, and the non-empty data
// directory it refuses to overwrite.
func TestReplicaBootstrapRun(t *testing.T) {
	f := replicaBootstrap(t)

	t.Run("bad settings", func(t *testing.T) {
		r := newBootstrapRun(t)
		out, err := r.run(t, f, "PRIMARY_PORT=70000", "REPLICATION_SLOT_NAME=Bad-Slot", "PG_REPLICATION_PASSWORD=a\nb")
		if err == nil {
			t.Fatalf("exit 0 with bad settings:\n%s", out)
		}
		for _, want := range []string{"PRIMARY_HOST is empty", "PRIMARY_PORT='70000' is not a port number",
			"PG_REPLICATION_USER is empty", "PG_REPLICATION_PASSWORD contains a line break",
			"REPLICATION_SLOT_NAME='Bad-Slot' is not a slot name", "nothing was changed"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "unbound variable") {
			t.Errorf("bash aborted on an unset variable:\n%s", out)
		}
		entries, _ := os.ReadDir(r.dir)
		for _, e := range entries {
			if e.Name() != "bootstrap.sh" && e.Name() != "exec-target" {
				t.Errorf("%s was created although the settings were refused", e.Name())
			}
		}
	})

	t.Run("initialized standby", func(t *testing.T) {
		r := newBootstrapRun(t)
		if err := os.MkdirAll(r.pgdata, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(r.pgdata, "PG_VERSION"), []byte("18\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		// No upstream settings at all: a standby that exists needs none.
		out, err := r.run(t, f)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !strings.Contains(out, "already holds a cluster (PG_VERSION 18)") {
			t.Errorf("output does not say the standby exists:\n%s", out)
		}
		args, err := os.ReadFile(r.execArgs)
		if err != nil || string(args) != "postgres\n-c\nconfig_file=/etc/postgresql/postgresql.conf\n" {
			t.Errorf("exec target ran with %q (%v), want the service's command", args, err)
		}
		entries, _ := os.ReadDir(r.pgdata)
		if len(entries) != 1 {
			t.Errorf("PGDATA changed: %v", entries)
		}
	})

	t.Run("non-empty data directory", func(t *testing.T) {
		r := newBootstrapRun(t)
		if err := os.MkdirAll(r.pgdata, 0o700); err != nil {
			t.Fatal(err)
		}
		keep := filepath.Join(r.pgdata, "precious")
		if err := os.WriteFile(keep, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := r.run(t, f, "PRIMARY_HOST=primary", "PRIMARY_PORT=5432", "PG_REPLICATION_USER=replicator",
			"PG_REPLICATION_PASSWORD=pw", "REPLICATION_SLOT_NAME=replica_slot_1")
		if err == nil || !strings.Contains(out, "is not empty but holds no cluster") {
			t.Fatalf("exit %v; want a refusal:\n%s", err, out)
		}
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("the existing file is gone: %v", err)
		}
		if _, err := os.Stat(r.execArgs); err == nil {
			t.Error("the exec target ran")
		}
	})
}
