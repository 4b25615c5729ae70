package normalize

import (
	"cmp"
	"fmt"
	"maps"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/azagen/azagen/internal/model"
)

// Origins of derived environment entries, shown by docs and explain.
const (
	originSource      = "stacks.cue"
	originConnections = "connection model"
)

// environment merges the service's own environment with what the connection
// model derives for it: every password a server creates at initdb, every
// password and DSN a client logs in with. A client therefore always gets
// exactly the credentials its server was given.
func environment(c *model.Config, st *model.Stack, svc *model.Service) []model.EnvEntry {
	env := map[string]model.EnvEntry{}
	for _, d := range DerivedEnvironment(c, st, svc) {
		env[d.Key] = d
	}
	// The user's value wins; policy reports the clash with a position.
	for k, v := range svc.Environment {
		env[k] = model.EnvEntry{Key: k, Value: v, Origin: originSource}
	}
	out := make([]model.EnvEntry, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, env[k])
	}
	return out
}

// DerivedEnvironment is what the connection model gives a service, sorted by
// key.
func DerivedEnvironment(c *model.Config, st *model.Stack, svc *model.Service) []model.EnvEntry {
	env := map[string]model.EnvEntry{}
	derive := func(k string, v model.EnvValue) {
		env[k] = model.EnvEntry{Key: k, Value: v, Origin: originConnections}
	}
	switch svc.Kind {
	case model.KindPostgres:
		if su := Superuser(c); su != nil {
			derive(su.PasswordVar, secretRef(su))
			// The entrypoint runs initdb -U $POSTGRES_USER and creates
			// $POSTGRES_DB; the socket rule, the healthcheck and the roles
			// script name the same role and database, so both come from the
			// model and nowhere else.
			derive("POSTGRES_USER", literal(su.Name))
		}
		derive("POSTGRES_DB", literal(Database(c)))
		pg := svc.Postgres
		switch pg.Role {
		case model.RoleReplica:
			up := pg.Upstream
			if r := c.Roles[up.User]; r != nil {
				derive(r.PasswordVar, secretRef(r))
			}
			derive("POSTGRES_ROLE", literal(string(model.RoleReplica)))
			derive("PRIMARY_HOST", literal(up.Host))
			derive("PRIMARY_PORT", literal(strconv.Itoa(up.Port)))
			derive("PG_REPLICATION_USER", literal(up.User))
			derive("REPLICATION_SLOT_NAME", literal(up.Slot))
			// The bootstrap passes them to pg_basebackup, whose -R writes
			// them into primary_conninfo.
			derive("PRIMARY_SSLMODE", literal(up.SSLMode))
			derive("PRIMARY_SSLROOTCERT", literal(model.ServiceTLSFiles(st, svc).CA))
		default:
			derive("POSTGRES_ROLE", literal(string(model.RolePrimary)))
			// The auto-config entrypoint hands the server's command to the
			// day-2 script, which re-applies the roles on every start.
			derive("AZAGEN_EXEC", literal(path.Join(model.ContainerAzagenDir, path.Base(model.ReconcilePath(st.Key)))))
			for _, r := range ServerRoles(c, st, svc) {
				derive(r.PasswordVar, secretRef(r))
			}
			if slots := ReplicaSlots(c, st, svc); len(slots) > 0 {
				derive("REPLICATION_SLOT_NAME", literal(slots[0]))
			}
		}
	case model.KindPgBouncer:
		pb := svc.PgBouncer
		for _, name := range []string{pb.AuthUser, pb.StatsUser} {
			if r := c.Roles[name]; r != nil {
				derive(r.PasswordVar, secretRef(r))
			}
		}
		// The healthcheck runs as a separate exec of the container: it sees
		// the service environment but nothing the entrypoint exported.
		derive("PGPASSFILE", literal(model.ContainerPgpassPath))
		// The entrypoint reads the tunables of the ini from these.
		for _, t := range pb.Tunables {
			def := t.Default
			derive(t.Name, model.EnvValue{Var: t.Name, Default: &def, Doc: t.Doc})
		}
	case model.KindPostgresExporter, model.KindPgBouncerExporter:
		ex := svc.Exporter
		if r := c.Roles[ex.Role]; r != nil {
			derive("PGPASSWORD", secretRef(r))
		}
		dsn := ExporterDSN(st, svc)
		if svc.Kind == model.KindPostgresExporter {
			derive("DATA_SOURCE_NAME", literal(dsn))
			derive("PG_EXPORTER_EXTEND_QUERY_PATH", literal(model.ContainerQueriesPath))
		} else {
			derive("PGBOUNCER_EXPORTER_CONNECTION_STRING", literal(dsn))
		}
	}
	out := make([]model.EnvEntry, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, env[k])
	}
	return out
}

func literal(s string) model.EnvValue { return model.EnvValue{Literal: &s} }

func secretRef(r *model.Role) model.EnvValue {
	return model.EnvValue{
		Var:      r.PasswordVar,
		Required: fmt.Sprintf("set %s, the password of role %s", r.PasswordVar, r.Name),
		Doc:      roleDoc(r),
	}
}

func roleDoc(r *model.Role) string {
	if r.PgBouncerOnly {
		return fmt.Sprintf("Password of %s, a PgBouncer-only login (admin console); no PostgreSQL role has it.", r.Name)
	}
	return fmt.Sprintf("Password of the PostgreSQL role %s.", r.Name)
}

// Database is the database the image creates at initdb and the superuser's
// own connections use (postgresql.database).
func Database(c *model.Config) string {
	if c.PostgreSQL.Database == "" {
		return "postgres"
	}
	return c.PostgreSQL.Database
}

// Superuser returns the role flagged superuser.
func Superuser(c *model.Config) *model.Role {
	for _, k := range slices.Sorted(maps.Keys(c.Roles)) {
		if c.Roles[k].Superuser {
			return c.Roles[k]
		}
	}
	return nil
}

// Client is one declared connection to a postgres server: who logs in,
// to which database ("replication" for streaming), why, and with which
// libpq sslmode (Reason explains one weaker than verify-full).
type Client struct {
	Role        string
	Database    string
	Description string
	SSLMode     string
	Reason      string
}

// Clients lists every connection the model declares to the postgres service
// svc: its PgBouncer's auth user (auth_query and the healthcheck run in
// each pooled database), its exporters, and the replicas streaming from it.
func Clients(c *model.Config, st *model.Stack, svc *model.Service) []Client {
	var out []Client
	for _, name := range slices.Sorted(maps.Keys(st.Services)) {
		other := st.Services[name]
		switch {
		case other.PgBouncer != nil && other.PgBouncer.Server == svc.Key:
			for _, db := range other.PgBouncer.Databases {
				out = append(out, Client{Role: other.PgBouncer.AuthUser, Database: db,
					Description: fmt.Sprintf("%s: auth_query and healthcheck of PgBouncer", name),
					SSLMode:     other.PgBouncer.ServerTLSSSLMode, Reason: other.PgBouncer.ServerTLSReason})
			}
		case other.Kind == model.KindPostgresExporter && other.Exporter.Target == svc.Key:
			out = append(out, Client{Role: other.Exporter.Role, Database: other.Exporter.Database,
				Description: fmt.Sprintf("%s: metrics", name),
				SSLMode:     other.Exporter.SSLMode, Reason: other.Exporter.SSLModeReason})
		}
	}
	for _, r := range Replicas(c, st, svc) {
		up := r.Postgres.Upstream
		out = append(out, Client{Role: up.User, Database: "replication",
			Description: fmt.Sprintf("%s: streaming replication", r.Key),
			SSLMode:     up.SSLMode, Reason: up.SSLModeReason})
	}
	return out
}

// ServerRoles lists the non-superuser PostgreSQL roles that clients use to
// log in to the postgres service svc, including the clients of its replicas:
// a standby is a read-only copy, so the primary creates their roles too.
func ServerRoles(c *model.Config, st *model.Stack, svc *model.Service) []*model.Role {
	names := map[string]bool{}
	for _, cl := range Clients(c, st, svc) {
		names[cl.Role] = true
	}
	for _, r := range Replicas(c, st, svc) {
		for _, cl := range Clients(c, stackOf(c, r), r) {
			names[cl.Role] = true
		}
	}
	var out []*model.Role
	for _, n := range slices.Sorted(maps.Keys(names)) {
		if r := c.Roles[n]; r != nil && !r.Superuser && !r.PgBouncerOnly {
			out = append(out, r)
		}
	}
	return out
}

// Replicas returns the replica services, in any stack, that stream from the
// postgres service svc: their upstream host is svc's name and their upstream
// network is the same network as one svc joins.
func Replicas(c *model.Config, st *model.Stack, svc *model.Service) []*model.Service {
	nets := map[string]bool{}
	for _, n := range svc.Networks {
		if net := st.Networks[n]; net != nil {
			nets[net.Name] = true
		}
	}
	// Many rules ask this for every postgres service: scan without sorting
	// (sorting every stack's keys on each call made it quadratic in the
	// number of stacks, issue #18) and sort only the replicas found, by
	// stack key then service key.
	type found struct {
		stack string
		svc   *model.Service
	}
	var hits []found
	for sk, other := range c.Stacks {
		for _, r := range other.Services {
			if r.Postgres == nil || r.Postgres.Upstream == nil || r.Postgres.Upstream.Host != svc.Key {
				continue
			}
			if net := other.Networks[r.Postgres.Upstream.Network]; net != nil && nets[net.Name] {
				hits = append(hits, found{sk, r})
			}
		}
	}
	slices.SortFunc(hits, func(a, b found) int {
		return cmp.Or(strings.Compare(a.stack, b.stack), strings.Compare(a.svc.Key, b.svc.Key))
	})
	out := make([]*model.Service, 0, len(hits))
	for _, h := range hits {
		out = append(out, h.svc)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// stackOf returns the stack a service belongs to.
func stackOf(c *model.Config, svc *model.Service) *model.Stack {
	for _, st := range c.Stacks {
		if st.Services[svc.Key] == svc {
			return st
		}
	}
	return nil
}

// ReplicaSlots lists the replication slots the primary svc must create.
func ReplicaSlots(c *model.Config, st *model.Stack, svc *model.Service) []string {
	var slots []string
	for _, r := range Replicas(c, st, svc) {
		slots = append(slots, r.Postgres.Upstream.Slot)
	}
	slices.Sort(slots)
	return slices.Compact(slots)
}

// ExporterDSN is the connection URL an exporter uses. The password is not in
// it: the exporter reads PGPASSWORD, so the URL holds no secret. sslmode
// and sslrootcert (the stack's CA at its container path) come from the TLS
// model; lib/pq, which both exporters use, reads both.
func ExporterDSN(st *model.Stack, svc *model.Service) string {
	ex := svc.Exporter
	target := st.Services[ex.Target]
	port := 5432
	scheme := "postgresql"
	if target != nil {
		switch {
		case target.Postgres != nil:
			port = target.Postgres.Port
		case target.PgBouncer != nil:
			port = target.PgBouncer.ListenPort
			scheme = "postgres"
		}
	}
	u := url.URL{
		Scheme:   scheme,
		User:     url.User(ex.Role),
		Host:     ex.Target + ":" + strconv.Itoa(port),
		Path:     "/" + ex.Database,
		RawQuery: "sslmode=" + queryValue(ex.SSLMode) + "&sslrootcert=" + queryValue(model.ServiceTLSFiles(st, svc).CA),
	}
	return u.String()
}

// derivedTest builds the healthcheck test of kinds whose command depends on
// the connection model. The pgbouncer check logs in with the .pgpass line
// its entrypoint writes for exactly this host, port, database and user, and
// -w makes psql fail instead of prompting.
func derivedTest(c *model.Config, st *model.Stack, svc *model.Service) []string {
	switch svc.Kind {
	case model.KindPgBouncer:
		return []string{"CMD-SHELL", PgBouncerHealthcheckCommand(st, svc)}
	case model.KindPostgresExporter, model.KindPgBouncerExporter:
		return []string{"CMD", "wget", "--quiet", "--tries=1", "--spider",
			"http://localhost:" + strconv.Itoa(svc.Exporter.ListenPort) + "/metrics"}
	}
	return nil
}

// PgBouncerHealthcheck names the login the pgbouncer healthcheck uses.
type PgBouncerHealthcheck struct {
	Host, Database, User string
	Port                 int
}

// PgBouncerHealthSSLMode is the sslmode of the pgbouncer healthcheck: it
// dials PgBouncer's own TLS listener by the name localhost, which the
// certificate covers (derive.DialedNames), so it verifies like any client.
const PgBouncerHealthSSLMode = model.SSLModeVerifyFull

// PgBouncerHealthLogin is the login of the pgbouncer healthcheck: a real
// query through the pool as the auth user, so a broken auth_query or an
// unreachable server makes the service unhealthy, not just a dead process.
//
// The database is the first one PgBouncer serves: PgBouncer refuses a
// login to a database missing from its [databases], so a fixed name would
// fail for any list without it.
func PgBouncerHealthLogin(pb *model.PgBouncerSpec) PgBouncerHealthcheck {
	db := "postgres"
	if len(pb.Databases) > 0 {
		db = pb.Databases[0]
	}
	return PgBouncerHealthcheck{Host: "localhost", Port: pb.ListenPort, Database: db, User: pb.AuthUser}
}

// PgBouncerHealthcheckCommand is the shell command of the healthcheck: a
// libpq connection string in single quotes (the names and paths are
// azagen's own, without quotes or spaces), over TLS verified against the
// stack's CA.
func PgBouncerHealthcheckCommand(st *model.Stack, svc *model.Service) string {
	l := PgBouncerHealthLogin(svc.PgBouncer)
	return fmt.Sprintf("psql -X -w 'host=%s port=%d user=%s dbname=%s sslmode=%s sslrootcert=%s' -Atc 'SELECT 1' >/dev/null",
		l.Host, l.Port, l.User, l.Database, PgBouncerHealthSSLMode, model.ServiceTLSFiles(st, svc).CA)
}

// mounts lists what a service mounts: its named volumes and the files azagen
// renders for it, each at the path its command or image expects.
func mounts(st *model.Stack, svc *model.Service) []model.Mount {
	var out []model.Mount
	for _, v := range svc.Volumes {
		out = append(out, model.Mount{Volume: v.Volume, Target: v.Target, ReadOnly: v.ReadOnly})
	}
	file := func(src, target string) {
		out = append(out, model.Mount{File: src, Target: target, ReadOnly: true})
	}
	switch svc.Kind {
	case model.KindPostgres:
		pg := svc.Postgres
		out = append(out, model.Mount{Volume: pg.DataVolume, Target: model.ContainerDataPath})
		if pg.BackupVolume != "" {
			out = append(out, model.Mount{Volume: pg.BackupVolume, Target: model.ContainerBackupPath})
		}
		file(model.BaseConfPath, model.ContainerBaseConfPath)
		file(model.PostgresConfPath(st.Key), model.ContainerConfPath)
		file(model.HBAPath(st.Key), model.ContainerHBAPath)
		if pg.Role == model.RoleReplica {
			file(model.ReplicaBootstrapPath(st.Key), path.Join(model.ContainerAzagenDir, "replica-bootstrap.sh"))
		} else {
			file(model.RolesInitPath(st.Key), path.Join(model.ContainerInitdbDir, path.Base(model.RolesInitPath(st.Key))))
			file(model.ReconcilePath(st.Key), path.Join(model.ContainerAzagenDir, path.Base(model.ReconcilePath(st.Key))))
		}
	case model.KindPgBouncer:
		file(model.PgBouncerIniPath(st.Key), model.ContainerPgBouncerIni)
		file(model.PgBouncerEntrypointPath(st.Key), path.Join(model.ContainerAzagenDir, "pgbouncer-entrypoint.sh"))
	case model.KindPostgresExporter:
		file(model.ExporterQueriesPath, model.ContainerQueriesPath)
	}
	if st.TLS.Source == model.TLSSourceFiles {
		tls := model.ServiceTLSFiles(st, svc)
		operator := func(src, target string) {
			if src != "" {
				out = append(out, model.Mount{HostFile: src, Target: target, ReadOnly: true})
			}
		}
		operator(tls.HostCert, tls.Cert)
		operator(tls.HostKey, tls.Key)
		operator(tls.HostCA, tls.CA)
	}
	return out
}

// secrets lists the compose secrets of a service when the stack's TLS files
// come from secrets: the CA for every service, the certificate and key for
// a server.
func secrets(st *model.Stack, svc *model.Service) []model.SecretMount {
	if st.TLS.Source != model.TLSSourceSecrets {
		return nil
	}
	tls := model.ServiceTLSFiles(st, svc)
	out := []model.SecretMount{{Name: model.TLSSecretName("", "ca"), HostFile: tls.HostCA}}
	if tls.HostCert != "" {
		out = append(out,
			model.SecretMount{Name: model.TLSSecretName(svc.Key, "crt"), HostFile: tls.HostCert},
			model.SecretMount{Name: model.TLSSecretName(svc.Key, "key"), HostFile: tls.HostKey})
	}
	return out
}

// command returns the command and entrypoint of a service. A postgres
// service always loads the config files it mounts: both come from here.
func command(st *model.Stack, svc *model.Service) (cmd, entrypoint []string) {
	switch svc.Kind {
	case model.KindPostgres:
		cmd = []string{"postgres", "-c", "config_file=" + model.ContainerConfPath, "-c", "hba_file=" + model.ContainerHBAPath}
		if svc.Postgres.Role == model.RoleReplica {
			entrypoint = []string{"/bin/bash", path.Join(model.ContainerAzagenDir, "replica-bootstrap.sh")}
		}
	case model.KindPgBouncer:
		entrypoint = []string{"/bin/sh", path.Join(model.ContainerAzagenDir, "pgbouncer-entrypoint.sh")}
	}
	return cmd, entrypoint
}

// queryValue escapes a URL query value, leaving '/' readable (RFC 3986
// allows it in a query).
func queryValue(v string) string { return strings.ReplaceAll(url.QueryEscape(v), "%2F", "/") }
