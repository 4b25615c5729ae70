package policy

import (
	"fmt"
	"path"
	"strings"

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
