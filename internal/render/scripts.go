package render

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/azagen/azagen/internal/escape"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
	"github.com/azagen/azagen/internal/output"
)

// StackScripts renders the per-service files of a stack besides its compose
// file and PostgreSQL configs: pgbouncer.ini and the PgBouncer entrypoint
// for each PgBouncer, the roles init script for each postgres service that
// is not a replica (and pgBackRest's files for the one the backup block
// names), and the bootstrap entrypoint for each replica. Their
// paths are the ones normalize mounts.
func StackScripts(c *model.Config, st *model.Stack) ([]output.File, error) {
	var out []output.File
	for _, name := range slices.Sorted(maps.Keys(st.Services)) {
		svc := st.Services[name]
		switch {
		case svc.Kind == model.KindPgBouncer:
			ini, err := PgBouncerIni(c, st, svc)
			if err != nil {
				return nil, err
			}
			entry, err := PgBouncerEntrypoint(c, st, svc)
			if err != nil {
				return nil, err
			}
			out = append(out, ini, entry)
		case svc.Kind == model.KindPostgres && svc.Postgres.Role == model.RoleReplica:
			f, err := ReplicaBootstrap(c, st, svc)
			if err != nil {
				return nil, err
			}
			out = append(out, f)
		case svc.Kind == model.KindPostgres:
			f, err := RolesInit(c, st, svc)
			if err != nil {
				return nil, err
			}
			rec, err := Reconcile(st, svc)
			if err != nil {
				return nil, err
			}
			out = append(out, f, rec)
			if normalize.BackupService(st) == svc {
				files, err := pgBackRestFiles(st, svc)
				if err != nil {
					return nil, err
				}
				out = append(out, files...)
			}
		}
	}
	return out, nil
}

// psqlVarName is what a psql variable name may hold.
var psqlVarName = regexp.MustCompile(`[^a-z0-9_]`)

type initRole struct {
	Name, Ident, Literal string
	PasswordVar, PsqlVar string
	Attributes           string
	Monitoring           bool
	Why                  string
}

type initSlot struct{ Literal, For string }

type initDatabase struct {
	Name, Ident, Literal string
	// Template is template1, which always exists.
	Template bool
}

type rolesInitData struct {
	Header, Stack, Service, InitdbDir string
	// Superuser and Database are where the script logs in: the role
	// initdb created and the database the entrypoint created, shell-quoted.
	Superuser, Database string
	Roles               []initRole
	Slots               []initSlot
	Databases           []initDatabase
	AuthUsers           []string // quoted identifiers
}

// RolesInit renders the initdb script of the postgres service svc
// (templates/roles-init.sh.tmpl), which must not be a replica: a standby is
// a copy of its primary and gets its roles from there.
//
// It creates or updates every role of normalize.ServerRoles (LOGIN,
// NOINHERIT, REPLICATION and CONNECTION LIMIT as the role says, pg_monitor
// for monitoring roles), the physical slots of normalize.ReplicaSlots, and,
// when a PgBouncer pools for svc, PgBouncer's auth_query function
// pgbouncer.get_auth in template1 and in every database PgBouncer serves.
func RolesInit(c *model.Config, st *model.Stack, svc *model.Service) (output.File, error) {
	p := model.RolesInitPath(st.Key)
	fail := func(format string, a ...any) (output.File, error) {
		return output.File{}, fmt.Errorf("render %s: "+format, append([]any{p}, a...)...)
	}
	if svc.Postgres == nil || svc.Postgres.Role == model.RoleReplica {
		return fail("service %s is not a primary or single postgres service", svc.Key)
	}
	d := rolesInitData{
		Header:    strings.TrimSuffix(output.HashComment(), "\n"),
		Stack:     st.Name,
		Service:   svc.Key,
		InitdbDir: model.ContainerInitdbDir,
		Database:  escape.ShellSingleQuote(normalize.Database(c)),
	}
	su := normalize.Superuser(c)
	if su == nil {
		return fail("no role has superuser: true")
	}
	d.Superuser = escape.ShellSingleQuote(su.Name)

	why := map[string][]string{}
	for _, cl := range normalize.Clients(c, st, svc) {
		if !slices.Contains(why[cl.Role], cl.Description) {
			why[cl.Role] = append(why[cl.Role], cl.Description)
		}
	}
	// initdb gave the superuser the password of the first start; setting it
	// here too makes a rotated POSTGRES_PASSWORD apply on the next start.
	d.Roles = append(d.Roles, initRole{
		Name:        su.Name,
		Ident:       escape.SQLIdent(su.Name),
		Literal:     escape.SQLLiteral(su.Name),
		PasswordVar: su.PasswordVar,
		PsqlVar:     "azagen_password_superuser",
		Attributes:  "LOGIN SUPERUSER",
		Why:         "the healthcheck and these scripts, over the socket",
	})
	for i, r := range normalize.ServerRoles(c, st, svc) {
		attrs := []string{"LOGIN", "NOINHERIT", "NOSUPERUSER", "NOCREATEDB", "NOCREATEROLE", "NOBYPASSRLS"}
		if r.Replication {
			attrs = append(attrs, "REPLICATION")
		} else {
			attrs = append(attrs, "NOREPLICATION")
		}
		// -1 lifts a limit an earlier version of stacks.cue set.
		limit := -1
		if r.ConnectionLimit != nil {
			limit = *r.ConnectionLimit
		}
		attrs = append(attrs, fmt.Sprintf("CONNECTION LIMIT %d", limit))
		d.Roles = append(d.Roles, initRole{
			Name:        r.Name,
			Ident:       escape.SQLIdent(r.Name),
			Literal:     escape.SQLLiteral(r.Name),
			PasswordVar: r.PasswordVar,
			PsqlVar:     fmt.Sprintf("azagen_password_%d_%s", i+1, psqlVarName.ReplaceAllString(r.Name, "_")),
			Attributes:  strings.Join(attrs, " "),
			Monitoring:  r.Monitoring,
			Why:         strings.Join(why[r.Name], "; "),
		})
	}

	for _, r := range normalize.Replicas(c, st, svc) {
		slot := r.Postgres.Upstream.Slot
		if i := slices.IndexFunc(d.Slots, func(s initSlot) bool { return s.Literal == escape.SQLLiteral(slot) }); i >= 0 {
			d.Slots[i].For += ", " + r.Key
			continue
		}
		d.Slots = append(d.Slots, initSlot{Literal: escape.SQLLiteral(slot), For: r.Key})
	}
	slices.SortFunc(d.Slots, func(a, b initSlot) int { return strings.Compare(a.Literal, b.Literal) })

	databases := []string{"template1"}
	var authUsers []string
	for _, name := range slices.Sorted(maps.Keys(st.Services)) {
		pb := st.Services[name].PgBouncer
		if pb == nil || pb.Server != svc.Key {
			continue
		}
		r := c.Roles[pb.AuthUser]
		if r == nil || r.PgBouncerOnly || r.Superuser {
			return fail("PgBouncer %s: auth_user %s must be a non-superuser role created on %s", name, pb.AuthUser, svc.Key)
		}
		if !slices.Contains(authUsers, pb.AuthUser) {
			authUsers = append(authUsers, pb.AuthUser)
		}
		for _, db := range pb.Databases {
			if !slices.Contains(databases, db) {
				databases = append(databases, db)
			}
		}
	}
	if len(authUsers) > 0 {
		slices.Sort(authUsers)
		for _, u := range authUsers {
			d.AuthUsers = append(d.AuthUsers, escape.SQLIdent(u))
		}
		slices.Sort(databases[1:])
		for _, db := range databases {
			d.Databases = append(d.Databases, initDatabase{Name: db, Ident: escape.SQLIdent(db), Literal: escape.SQLLiteral(db), Template: db == "template1"})
		}
	}

	data, err := execTemplate("roles-init.sh.tmpl", d)
	if err != nil {
		return fail("%v", err)
	}
	return output.File{Path: p, Data: data, Mode: 0o755}, nil
}

// replicaWaitSeconds is how long the replica bootstrap waits for its
// primary by default; the replica's healthcheck start_period must cover it
// and the copy.
const replicaWaitSeconds = 120

type replicaBootstrapData struct {
	Header, Stack, Service, ScriptPath string
	ExecTarget, PGDataDefault          string
	WaitSeconds                        int
}

// ReplicaBootstrap renders the entrypoint of the replica postgres service
// svc (templates/replica-bootstrap.sh.tmpl): on a data directory without a
// cluster it copies the primary with pg_basebackup into a temporary
// sibling and renames it into place when complete; then it execs the
// image's entrypoint with the service's command. It reads the upstream from
// the environment normalize derives (PRIMARY_HOST, PRIMARY_PORT,
// PG_REPLICATION_USER, PG_REPLICATION_PASSWORD, REPLICATION_SLOT_NAME).
func ReplicaBootstrap(c *model.Config, st *model.Stack, svc *model.Service) (output.File, error) {
	p := model.ReplicaBootstrapPath(st.Key)
	if svc.Postgres == nil || svc.Postgres.Role != model.RoleReplica || svc.Postgres.Upstream == nil {
		return output.File{}, fmt.Errorf("render %s: service %s is not a replica", p, svc.Key)
	}
	d := replicaBootstrapData{
		Header:        strings.TrimSuffix(output.HashComment(), "\n"),
		Stack:         st.Name,
		Service:       svc.Key,
		ScriptPath:    path.Join(model.ContainerAzagenDir, path.Base(p)),
		ExecTarget:    model.ContainerImageEntrypoint,
		PGDataDefault: model.ContainerPGDataDefault,
		WaitSeconds:   replicaWaitSeconds,
	}
	data, err := execTemplate("replica-bootstrap.sh.tmpl", d)
	if err != nil {
		return output.File{}, fmt.Errorf("render %s: %v", p, err)
	}
	return output.File{Path: p, Data: data, Mode: 0o755}, nil
}

// Reconcile renders the day-2 script of a primary or single postgres
// service (templates/postgres-reconcile.sh.tmpl), which the image's
// auto-config entrypoint execs through AZAGEN_EXEC: on an initialized data
// directory it runs the roles script on a socket-only temporary server
// started with the real command, then execs the official entrypoint.
func Reconcile(st *model.Stack, svc *model.Service) (output.File, error) {
	p := model.ReconcilePath(st.Key)
	if svc.Postgres == nil || svc.Postgres.Role == model.RoleReplica {
		return output.File{}, fmt.Errorf("render %s: service %s is not a primary or single postgres service", p, svc.Key)
	}
	data, err := execTemplate("postgres-reconcile.sh.tmpl", struct {
		Header, Stack, Service, RolesScript, InitdbDir, ExecTarget string
	}{
		Header:      strings.TrimSuffix(output.HashComment(), "\n"),
		Stack:       st.Name,
		Service:     svc.Key,
		RolesScript: path.Join(model.ContainerInitdbDir, path.Base(model.RolesInitPath(st.Key))),
		InitdbDir:   model.ContainerInitdbDir,
		ExecTarget:  model.ContainerOfficialEntrypoint,
	})
	if err != nil {
		return output.File{}, fmt.Errorf("render %s: %w", p, err)
	}
	return output.File{Path: p, Data: data, Mode: 0o755}, nil
}
