package policy

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/model"
)

// legacyPGData is where PostgreSQL images before 18 kept PGDATA. The 18+
// images keep it at model.ContainerPGDataDefault, below a volume mounted at
// model.ContainerDataPath, and their entrypoint stops when it finds a
// cluster at the old path; anything else mounted there is never read.
const legacyPGData = "/var/lib/postgresql/data"

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// mountImageLayout refuses user mounts that the image ignores, refuses or
// that hide what azagen mounts: a path of the pre-18 data layout, a mount
// inside the data volume, and a mount on (or over, or under) a file or
// volume azagen renders into the service. A PGDATA outside the data volume
// is refused with them: the cluster would live in the container's writable
// layer and vanish with it.
func mountImageLayout(c *checker) {
	c.eachService(func(st *model.Stack, svc *model.Service, svcPath string) {
		for i, v := range svc.Volumes {
			at := fmt.Sprintf("%s.volumes[%d].target", svcPath, i)
			target := path.Clean(v.Target)
			if svc.Kind == model.KindPostgres {
				switch {
				case within(target, legacyPGData):
					c.report(at, "%s is the data directory of PostgreSQL 17 and older images: the PostgreSQL 18 image keeps PGDATA at %s on the data volume mounted at %s, ignores a volume at %s and refuses an old cluster there; name the volume in postgres.data_volume instead (an old cluster needs pg_upgrade, not a mount)",
						v.Target, model.ContainerPGDataDefault, model.ContainerDataPath, legacyPGData)
					continue
				case within(target, model.ContainerDataPath):
					c.report(at, "%s is inside the data volume (postgres.data_volume, mounted at %s, which holds PGDATA %s): a second mount there hides part of the cluster; mount it elsewhere",
						v.Target, model.ContainerDataPath, model.ContainerPGDataDefault)
					continue
				}
			}
			for _, m := range svc.Mounts {
				if m.Volume == v.Volume && m.Target == v.Target && m.File == "" {
					continue // the user's own entry
				}
				mt := path.Clean(m.Target)
				if within(target, mt) || within(mt, target) {
					what := "the volume " + m.Volume
					if m.File != "" {
						what = "the file azagen renders from " + m.File
					}
					c.report(at, "%s collides with %s at %s: one of the two would hide the other; mount it elsewhere", v.Target, what, m.Target)
					break
				}
			}
		}
		if svc.Kind == model.KindPostgres {
			if e, ok := svc.Environment["PGDATA"]; ok {
				if e.Literal == nil || !within(path.Clean(*e.Literal), model.ContainerDataPath) || path.Clean(*e.Literal) == model.ContainerDataPath || within(path.Clean(*e.Literal), legacyPGData) {
					c.report(svcPath+".environment.PGDATA", "PGDATA must be a literal directory below the data volume at %s (the image's default is %s, not %s); remove it to keep the default",
						model.ContainerDataPath, model.ContainerPGDataDefault, legacyPGData)
				}
			}
		}
	})
}

// imageOSUser is the user the PostgreSQL image runs its server, its
// entrypoint and its healthcheck as (USER postgres of the image). The socket
// rule authenticates by peer, which admits a role only under the OS user's
// own name.
const imageOSUser = "postgres"

// superuserIdentity: exactly one role is the superuser, and it is named as
// the image's OS user. initdb creates it (POSTGRES_USER is derived from
// it), the socket rule, the healthcheck and the roles script log in as it.
func superuserIdentity(c *checker) {
	var supers []string
	for _, name := range slices.Sorted(maps.Keys(c.cfg.Roles)) {
		if c.cfg.Roles[name].Superuser {
			supers = append(supers, name)
		}
	}
	hasServer := false
	c.eachService(func(_ *model.Stack, svc *model.Service, _ string) {
		hasServer = hasServer || svc.Kind == model.KindPostgres
	})
	if len(supers) == 0 && hasServer {
		c.report("roles", "no role has superuser: true: initdb creates the superuser as POSTGRES_USER, which is derived from that role; add roles: %s: {password_var: \"POSTGRES_PASSWORD\", superuser: true}", imageOSUser)
	}
	for _, name := range supers {
		switch {
		case name == imageOSUser:
		case slices.Contains(supers, imageOSUser):
			c.report("roles."+diag.Label(name)+".superuser", "role %s is superuser: true besides %s: exactly one role is the superuser initdb creates and the scripts log in as; drop superuser here",
				name, imageOSUser)
		default:
			c.report("roles."+diag.Label(name)+".superuser", "the superuser role is named %s, but the image runs as the OS user %s and the socket rule of pg_hba.conf authenticates by peer, which admits only the role of that name: initdb would create %s and the healthcheck and roles script could not log in; name the superuser role %s",
				name, imageOSUser, name, imageOSUser)
		}
	}
}

// composeLiteralPaths refuses a '$' in the paths a service mounts at
// (volumes[].target, security.tmpfs). Compose interpolates every string of
// a compose file when it reads it; azagen escapes the strings meant as
// literals (environment literals, commands, healthcheck tests), but a path
// with '$' is an attempt at a variable, which these fields do not take: the
// image's paths are fixed, and a mount must be checkable before it runs.
func composeLiteralPaths(c *checker) {
	c.eachService(func(_ *model.Stack, svc *model.Service, svcPath string) {
		for i, v := range svc.Volumes {
			if strings.Contains(v.Target, "$") {
				c.report(fmt.Sprintf("%s.volumes[%d].target", svcPath, i), "%s: compose would read '$' as a variable reference; a mount target is a literal path (variables are only taken in environment values and the image digest)", v.Target)
			}
		}
		for i, p := range svc.Security.Tmpfs {
			if strings.Contains(p, "$") {
				c.report(fmt.Sprintf("%s.security.tmpfs[%d]", svcPath, i), "%s: compose would read '$' as a variable reference; a tmpfs path is a literal path", p)
			}
		}
	})
}

// pgbouncerFDLimit refuses a PgBouncer capacity no open-file limit can
// hold: the compose file gives PgBouncer derive.PgBouncerNoFile
// descriptors, and a container cannot get more than derive.MaxNoFile.
func pgbouncerFDLimit(c *checker) {
	c.eachService(func(_ *model.Stack, svc *model.Service, svcPath string) {
		pb := svc.PgBouncer
		if pb == nil {
			return
		}
		if need := derive.PgBouncerFDNeed(pb); need > derive.MaxNoFile {
			at := ""
			if t := pb.Tunables["max_client_conn"]; t != nil {
				at = "at " + t.Name + "=" + t.Max + ", the top of its range, "
			}
			c.report(svcPath+".pgbouncer.max_client_conn", "%smax_client_conn %d with %d database(s) of max_db_connections %d needs %d open files (clients + server connections + %d slack + %d margin), above %d, the most a container can be given (fs.nr_open); lower max_client_conn or run more PgBouncers",
				at, derive.TunableMaxInt(pb.Tunables, "max_client_conn", pb.MaxClientConn), len(pb.Databases), pb.MaxDBConnections, need, derive.PgBouncerFDSlack, derive.PgBouncerFDMargin, derive.MaxNoFile)
		}
	})
}
