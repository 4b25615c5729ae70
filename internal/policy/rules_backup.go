package policy

import (
	"path"
	"strings"

	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
)

// archiveWalLevel: PostgreSQL refuses to start with archive_mode on and
// wal_level minimal ("WAL archival cannot be enabled when wal_level is
// minimal"). archive_mode may come from the backup block or be set by hand.
func archiveWalLevel(c *checker) {
	c.eachService(func(st *model.Stack, svc *model.Service, p string) {
		if svc.Postgres == nil {
			return
		}
		mode := strings.ToLower(effective(c.cfg, svc, "archive_mode", "off"))
		if mode == "off" || mode == "false" || mode == "no" || mode == "0" {
			return
		}
		if effective(c.cfg, svc, "wal_level", "replica") != "minimal" {
			return
		}
		at := p + ".postgres.settings.wal_level"
		if _, ok := svc.Postgres.Settings["wal_level"]; !ok {
			at = "postgresql.base.wal_level"
		}
		why := "archive_mode is on"
		if normalize.BackupService(st) == svc {
			why += " (derived from stacks." + diag.Label(st.Key) + ".backup)"
		}
		c.report(at, "%s but wal_level is minimal: PostgreSQL refuses to start; set wal_level to replica or logical", why)
	})
}

// eachBackup visits the stacks with a backup block whose service can be
// backed up (backupService reports the others).
func (c *checker) eachBackup(fn func(st *model.Stack, b *model.Backup, svc *model.Service, path string)) {
	c.eachStack(func(st *model.Stack, p string) {
		if svc := normalize.BackupService(st); svc != nil {
			fn(st, st.Backup, svc, p+".backup")
		}
	})
}

func backupService(c *checker) {
	c.eachStack(func(st *model.Stack, p string) {
		b := st.Backup
		if b == nil {
			return
		}
		svc := st.Services[b.Service]
		switch {
		case svc == nil || svc.Postgres == nil:
			c.report(p+".backup.service", "%q is not a postgres service of stack %s", b.Service, st.Key)
		case svc.Postgres.Role == model.RoleReplica:
			c.report(p+".backup.service", "%q is a standby: back up its primary, whose stack archives the WAL a restore needs", b.Service)
		}
	})
}

// under reports whether p is dir or below it.
func under(p, dir string) bool {
	p, dir = path.Clean(p), path.Clean(dir)
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// backupRepoMounted: every service that runs pgBackRest (the backed-up
// server: its archive_command, the stanza creation and the units' exec) has
// pgbackrest.conf mounted where pgBackRest reads it, and the repository
// mounted at or above the repo1-path that file names.
func backupRepoMounted(c *checker) {
	c.eachBackup(func(st *model.Stack, b *model.Backup, svc *model.Service, p string) {
		repo := b.Repo1
		if (repo.Volume == "") == (repo.HostPath == "") {
			c.report(p+".repo1", "repo1 needs exactly one of volume and host_path")
			return
		}
		if repo.Volume != "" && st.Volumes[repo.Volume] == nil {
			c.report(p+".repo1.volume", "volume %q is not declared in stacks.%s.volumes", repo.Volume, diag.Label(st.Key))
			return
		}
		var conf, repoMounted bool
		for _, m := range svc.Mounts {
			if m.File != "" && m.Target == model.ContainerPgBackRestConf {
				conf = true
			}
			src := repo.Volume
			if src == "" {
				src = repo.HostPath
			}
			if m.File == "" && m.Volume == src && under(repo.Path, m.Target) {
				repoMounted = true
			}
		}
		if !conf {
			c.report(p+".service", "service %s runs pgBackRest but does not mount pgbackrest.conf at %s", svc.Key, model.ContainerPgBackRestConf)
		}
		if !repoMounted {
			c.report(p+".repo1", "service %s does not mount the repository (%s) at %s or a directory above it, where pgbackrest.conf's repo1-path points; mount it with postgres.backup_volume or volumes",
				svc.Key, repo.Volume+repo.HostPath, repo.Path)
		}
	})
}

func backupRepoNotData(c *checker) {
	c.eachBackup(func(st *model.Stack, b *model.Backup, svc *model.Service, p string) {
		if b.Repo1.Volume != "" && b.Repo1.Volume == svc.Postgres.DataVolume {
			c.report(p+".repo1.volume", "the repository is the data volume %q: losing the volume would lose every backup with it; use another volume or a host path", b.Repo1.Volume)
			return
		}
		for _, m := range svc.Mounts {
			if m.Volume == svc.Postgres.DataVolume && under(b.Repo1.Path, m.Target) {
				c.report(p+".repo1.path", "repo1 path %s is inside the data volume %q (mounted at %s): losing the volume would lose every backup with it", b.Repo1.Path, m.Volume, m.Target)
			}
		}
	})
}

func backupPg1Path(c *checker) {
	c.eachBackup(func(st *model.Stack, b *model.Backup, svc *model.Service, p string) {
		v, ok := svc.Environment["PGDATA"]
		if !ok || (v.IsLiteral() && *v.Literal == model.ContainerPGDataDefault) {
			return
		}
		c.report(normalize.ServicePath(st, svc)+".environment.PGDATA",
			"PGDATA moves the data directory away from the image's %s, which pgbackrest.conf names as pg1-path; remove it", model.ContainerPGDataDefault)
	})
}

func backupRetentionFull(c *checker) {
	c.eachBackup(func(st *model.Stack, b *model.Backup, svc *model.Service, p string) {
		if b.Retention.Full < 1 {
			c.report(p+".retention.full", "retention.full is %d: expire would remove every full backup, and with them every backup and the WAL a restore needs; keep at least 1", b.Retention.Full)
		}
	})
}

func backupScheduleFull(c *checker) {
	c.eachBackup(func(st *model.Stack, b *model.Backup, svc *model.Service, p string) {
		if b.Schedule.Full == "" {
			c.report(p+".schedule", "the schedule never takes a full backup: differential and incremental backups are based on one, and retention counts fulls; add schedule.full")
		}
	})
}
