package render

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/escape"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
	"github.com/azagen/azagen/internal/output"
)

// iniComment prefixes the header for pgbouncer.ini, whose comment lines
// start with ';' (or '#').
func iniComment() string { return ";; " + output.Header + "\n" }

// PgBouncerIni renders the pgbouncer.ini of the PgBouncer service svc. Every
// key is one PgBouncer 1.18 knows (the test oracle), so no newer-only key
// such as auth_dbname can creep in.
//
// [databases] names no user: each client keeps its own identity on the
// server, and auth_query looks up its password. [users] caps the auth user
// one connection below its role's CONNECTION LIMIT, which keeps a
// connection free for auth_query.
func PgBouncerIni(c *model.Config, st *model.Stack, svc *model.Service) (output.File, error) {
	p := model.PgBouncerIniPath(st.Key)
	fail := func(format string, a ...any) (output.File, error) {
		return output.File{}, fmt.Errorf("render %s: "+format, append([]any{p}, a...)...)
	}
	pb := svc.PgBouncer
	if pb == nil {
		return fail("service %s is not a PgBouncer", svc.Key)
	}
	server := st.Services[pb.Server]
	if server == nil || server.Postgres == nil {
		return fail("PgBouncer %s pools for %q, which is not a postgres service of stack %s", svc.Key, pb.Server, st.Key)
	}
	auth, err := pgBouncerLoginRole(c, pb.AuthUser, "auth_user", true)
	if err != nil {
		return fail("%v", err)
	}
	if _, err := pgBouncerLoginRole(c, pb.StatsUser, "stats_user", false); err != nil {
		return fail("%v", err)
	}

	var b strings.Builder
	b.WriteString(iniComment())
	fmt.Fprintf(&b, ";;\n;; PgBouncer %s of the %s stack, pooling for %s.\n", svc.Key, st.Name, pb.Server)
	b.WriteString(";; Clients log in as themselves: auth_user runs auth_query to look up\n")
	b.WriteString(";; their passwords, and the [databases] entries force no server user.\n")

	line := func(key, value string) error {
		if err := escape.IniKey(key); err != nil {
			return err
		}
		v, err := escape.IniValue(value)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if v == "" {
			fmt.Fprintf(&b, "%s =\n", key)
		} else {
			fmt.Fprintf(&b, "%s = %s\n", key, v)
		}
		return nil
	}

	b.WriteString("\n[databases]\n")
	if len(pb.Databases) == 0 {
		return fail("PgBouncer %s serves no database", svc.Key)
	}
	for _, db := range pb.Databases {
		connstr, err := pgBouncerConnstr([][2]string{
			{"host", pb.Server},
			{"port", strconv.Itoa(server.Postgres.Port)},
			{"dbname", db},
			{"max_db_connections", strconv.Itoa(pb.MaxDBConnections)},
		})
		if err != nil {
			return fail("database %s: %v", db, err)
		}
		if err := line(db, connstr); err != nil {
			return fail("%v", err)
		}
	}

	if auth.ConnectionLimit != nil {
		b.WriteString("\n[users]\n")
		fmt.Fprintf(&b, ";; CONNECTION LIMIT %d of role %s, minus the connection auth_query needs.\n",
			*auth.ConnectionLimit, auth.Name)
		if err := line(auth.Name, "max_user_connections="+strconv.Itoa(*auth.ConnectionLimit-1)); err != nil {
			return fail("%v", err)
		}
	}

	b.WriteString("\n[pgbouncer]\n")
	for _, s := range derive.PgBouncerSettings(pb) {
		if err := line(s.Key, s.Value); err != nil {
			return fail("%v", err)
		}
	}
	b.WriteString(";; TLS toward clients and toward the server.\n")
	for _, s := range derive.PgBouncerTLSSettings(st, svc) {
		if err := line(s.Key, s.Value); err != nil {
			return fail("%v", err)
		}
	}
	if tun := derive.PgBouncerTunables(pb); len(tun) > 0 {
		names := make([]string, len(tun))
		for i, t := range tun {
			names[i] = t.Name
		}
		fmt.Fprintf(&b, "\n;; The entrypoint writes %s from the tunables %s;\n;; its values replace the defaults above.\n%%include %s\n",
			model.ContainerPgBouncerTunables, strings.Join(names, ", "), model.ContainerPgBouncerTunables)
	}
	return output.File{Path: p, Data: []byte(b.String())}, nil
}

// pgBouncerLoginRole returns the role PgBouncer logs in as (or lets log in
// to its console) under the given setting. The auth user must exist on the
// server and leave auth_query a connection below its limit.
func pgBouncerLoginRole(c *model.Config, name, setting string, onServer bool) (*model.Role, error) {
	r := c.Roles[name]
	if r == nil {
		return nil, fmt.Errorf("%s %s is not a role in stacks.cue", setting, name)
	}
	if onServer && r.PgBouncerOnly {
		return nil, fmt.Errorf("%s %s is pgbouncer_only, but auth_query runs as it on the server", setting, name)
	}
	if onServer && r.ConnectionLimit != nil && *r.ConnectionLimit < 2 {
		return nil, fmt.Errorf("%s %s has CONNECTION LIMIT %d: PgBouncer needs at least 2 (one for auth_query)",
			setting, name, *r.ConnectionLimit)
	}
	return r, nil
}

// pgBouncerConnstr renders a [databases] connection string.
func pgBouncerConnstr(pairs [][2]string) (string, error) {
	parts := make([]string, 0, len(pairs))
	for _, kv := range pairs {
		v, err := escape.PgbouncerConnstrValue(kv[1])
		if err != nil {
			return "", fmt.Errorf("%s: %w", kv[0], err)
		}
		parts = append(parts, kv[0]+"="+v)
	}
	return strings.Join(parts, " "), nil
}

// pgBouncerSecret is one password the PgBouncer entrypoint reads.
type pgBouncerSecret struct {
	Role         string
	RoleQ        string // Role, shell-quoted
	Var          string
	ShellVar     string
	UserlistUser string // the quoted auth_file user token, shell-quoted
}

type pgBouncerHealth struct {
	normalize.PgBouncerHealthcheck
	ShellVar string
}

type pgBouncerEntrypointData struct {
	Header, Stack, Service, ScriptPath   string
	PgpassPath, UserlistPath             string
	PgpassPathQ, UserlistPathQ, IniPathQ string
	PgpassPrefix                         string
	StartMessage                         string // shell-quoted
	Health                               pgBouncerHealth
	Secrets                              []pgBouncerSecret
	// Tunables are the settings the entrypoint writes to TunablesPathQ
	// from their variables, after checking each is an integer in range.
	Tunables      []pgBouncerTunable
	TunablesPathQ string
}

type pgBouncerTunable struct {
	Setting, Var, Min, Max string
}

// PgBouncerEntrypoint renders the POSIX sh entrypoint of the PgBouncer
// service svc (templates/pgbouncer-entrypoint.sh.tmpl). It writes
// userlist.txt for the auth and stats users and a .pgpass holding exactly
// the login of the compose healthcheck (normalize.PgBouncerHealthLogin),
// so the healthcheck can never ask for credentials nothing wrote.
func PgBouncerEntrypoint(c *model.Config, st *model.Stack, svc *model.Service) (output.File, error) {
	p := model.PgBouncerEntrypointPath(st.Key)
	fail := func(format string, a ...any) (output.File, error) {
		return output.File{}, fmt.Errorf("render %s: "+format, append([]any{p}, a...)...)
	}
	pb := svc.PgBouncer
	if pb == nil {
		return fail("service %s is not a PgBouncer", svc.Key)
	}
	d := pgBouncerEntrypointData{
		Header:        strings.TrimSuffix(output.HashComment(), "\n"),
		Stack:         st.Name,
		Service:       svc.Key,
		ScriptPath:    path.Join(model.ContainerAzagenDir, path.Base(p)),
		PgpassPath:    model.ContainerPgpassPath,
		UserlistPath:  model.ContainerUserlistPath,
		PgpassPathQ:   escape.ShellSingleQuote(model.ContainerPgpassPath),
		UserlistPathQ: escape.ShellSingleQuote(model.ContainerUserlistPath),
		IniPathQ:      escape.ShellSingleQuote(model.ContainerPgBouncerIni),
		TunablesPathQ: escape.ShellSingleQuote(model.ContainerPgBouncerTunables),
	}
	for _, t := range derive.PgBouncerTunables(pb) {
		// Names and bounds are schema-checked: #EnvName and integers.
		d.Tunables = append(d.Tunables, pgBouncerTunable{Setting: strings.TrimPrefix(t.Field, "pgbouncer."), Var: t.Name, Min: t.Min, Max: t.Max})
	}
	var users []string
	for i, name := range []string{pb.AuthUser, pb.StatsUser} {
		if i > 0 && name == pb.AuthUser {
			continue
		}
		r := c.Roles[name]
		if r == nil {
			return fail("role %s (PgBouncer %s) is not in stacks.cue", name, svc.Key)
		}
		if err := escape.ValidateUserlistEntry(name, ""); err != nil {
			return fail("role %s: %v", name, err)
		}
		d.Secrets = append(d.Secrets, pgBouncerSecret{
			Role:         name,
			RoleQ:        escape.ShellSingleQuote(name),
			Var:          r.PasswordVar,
			ShellVar:     fmt.Sprintf("password_%d", i+1),
			UserlistUser: escape.ShellSingleQuote(escape.UserlistToken(name)),
		})
		users = append(users, name)
	}
	d.StartMessage = escape.ShellSingleQuote(fmt.Sprintf("wrote %s (for the healthcheck) and %s (users %s); starting pgbouncer",
		model.ContainerPgpassPath, model.ContainerUserlistPath, strings.Join(users, ", ")))

	login := normalize.PgBouncerHealthLogin(pb)
	d.Health.PgBouncerHealthcheck = login
	for _, s := range d.Secrets {
		if s.Role == login.User {
			d.Health.ShellVar = s.ShellVar
		}
	}
	if d.Health.ShellVar == "" {
		return fail("the healthcheck logs in as %s, whose password the entrypoint is not given", login.User)
	}
	for _, f := range []string{login.Host, login.Database, login.User} {
		if err := escape.ValidatePgpassField(f); err != nil {
			return fail("healthcheck login: %v", err)
		}
	}
	// The line without its password, which the script escapes at run time.
	d.PgpassPrefix = escape.ShellSingleQuote(escape.PgpassLine(login.Host, login.Port, login.Database, login.User, ""))

	data, err := execTemplate("pgbouncer-entrypoint.sh.tmpl", d)
	if err != nil {
		return fail("%v", err)
	}
	return output.File{Path: p, Data: data, Mode: 0o755}, nil
}
