package normalize

import (
	"fmt"
	"maps"
	"path"
	"slices"

	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/rules"
)

// originBackup marks what the backup block derives, for docs and explain.
const originBackup = "backup"

// CipherPassEnv is the variable pgBackRest reads repo1-cipher-pass from
// (pgBackRest reads every option from PGBACKREST_<OPTION> in its
// environment), so the pass is never written into a rendered file.
const CipherPassEnv = "PGBACKREST_REPO1_CIPHER_PASS"

// ArchiveSettings are the GUCs a backup block owns on its server.
var ArchiveSettings = []string{"archive_command", "archive_mode", "restore_command"}

// BackupService returns the postgres service a stack's backup block names,
// or nil when there is none or it cannot be backed up (policy reports why).
func BackupService(st *model.Stack) *model.Service {
	if st.Backup == nil {
		return nil
	}
	svc := st.Services[st.Backup.Service]
	if svc == nil || svc.Postgres == nil || svc.Postgres.Role == model.RoleReplica {
		return nil
	}
	return svc
}

// backup derives what a stack's backup block gives its server: the archive
// settings, the cipher pass variable, pgBackRest's files and the entrypoint
// that creates the stanza before the server starts. A setting the user wrote
// for one of ArchiveSettings is reported, not silently replaced.
func backup(st *model.Stack, pos Positioner) diag.List {
	svc := BackupService(st)
	if svc == nil {
		return nil
	}
	b := st.Backup
	pg := svc.Postgres
	var diags diag.List
	for _, name := range ArchiveSettings {
		if _, ok := pg.Settings[name]; ok {
			p := ServicePath(st, svc) + ".postgres.settings." + name
			diags = append(diags, diag.Diagnostic{Rule: rules.BackupSettingsDerived, Severity: diag.Error, Pos: pos.Pos(p), Path: p,
				Message: fmt.Sprintf("%s is derived from stacks.%s.backup; remove it here", name, diag.Label(st.Key))})
		}
	}
	settings := maps.Clone(pg.Settings)
	if settings == nil {
		settings = map[string]model.GUCValue{}
	}
	str := func(s string) model.GUCValue { return model.GUCValue{Kind: model.GUCString, String: s} }
	settings["archive_mode"] = str("on")
	settings["archive_command"] = str(b.ArchiveCommand())
	settings["restore_command"] = str(b.RestoreCommand())
	pg.Settings = settings

	if b.Encryption != nil {
		svc.Env = append(svc.Env, model.EnvEntry{Key: CipherPassEnv, Value: b.Encryption.Pass, Origin: originBackup})
		slices.SortStableFunc(svc.Env, func(a, b model.EnvEntry) int {
			switch {
			case a.Key < b.Key:
				return -1
			case a.Key > b.Key:
				return 1
			}
			return 0
		})
	}
	if b.Repo1.HostPath != "" {
		svc.Mounts = append(svc.Mounts, model.Mount{Volume: b.Repo1.HostPath, Target: b.Repo1.Path})
	}
	file := func(src, target string) {
		svc.Mounts = append(svc.Mounts, model.Mount{File: src, Target: target, ReadOnly: true})
	}
	file(model.PgBackRestConfPath(st.Key), model.ContainerPgBackRestConf)
	file(model.PgBackRestEntrypointPath(st.Key), model.ContainerPgBackRestEntrypoint)
	file(model.PgBackRestInitPath(st.Key), path.Join(model.ContainerInitdbDir, path.Base(model.PgBackRestInitPath(st.Key))))
	svc.Entrypoint = []string{"/bin/bash", model.ContainerPgBackRestEntrypoint}
	return diags
}
