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

// pgBackRestFiles renders what the backed-up server svc mounts:
// pgbackrest.conf, the entrypoint wrapper and the initdb script.
func pgBackRestFiles(st *model.Stack, svc *model.Service) ([]output.File, error) {
	entry, err := PgBackRestEntrypoint(st, svc)
	if err != nil {
		return nil, err
	}
	initdb, err := PgBackRestInit(st, svc)
	if err != nil {
		return nil, err
	}
	return []output.File{PgBackRestConf(st, svc), entry, initdb}, nil
}

// PgBackRestConf renders pgbackrest.conf (pgBackRest's configuration
// reference): repo1 with its retention and cipher type, compression, and the
// stanza's pg1 at the server's data directory and socket. The cipher pass is
// not in it: pgBackRest reads it from PGBACKREST_REPO1_CIPHER_PASS.
func PgBackRestConf(st *model.Stack, svc *model.Service) output.File {
	b := st.Backup
	var w strings.Builder
	w.WriteString(output.HashComment())
	fmt.Fprintf(&w, `#
# pgBackRest configuration of the postgres service %s (%s stack), mounted at
# %s in its container. docs/BACKUP.md is the runbook.

[global]
repo1-path=%s
repo1-retention-full=%d
`, svc.Key, st.Name, model.ContainerPgBackRestConf, b.Repo1.Path, b.Retention.Full)
	if b.Retention.Diff > 0 {
		fmt.Fprintf(&w, "repo1-retention-diff=%d\n", b.Retention.Diff)
	}
	if b.Encryption != nil {
		fmt.Fprintf(&w, "# repo1-cipher-pass comes from %s in the container's environment.\nrepo1-cipher-type=aes-256-cbc\n", normalize.CipherPassEnv)
	}
	fmt.Fprintf(&w, "compress-type=%s\n", b.Compress.Type)
	if b.Compress.Level != nil {
		fmt.Fprintf(&w, "compress-level=%d\n", *b.Compress.Level)
	}
	fmt.Fprintf(&w, `# The container's log is its stdout; no log file is written.
log-level-console=info
log-level-file=off
# A backup starts with an immediate checkpoint instead of waiting for the next one.
start-fast=y

[%s]
pg1-path=%s
pg1-port=%d
pg1-socket-path=%s
`, b.Stanza, model.Pg1Path(svc), svc.Postgres.Port, model.ContainerSocketDir)
	return output.File{Path: model.PgBackRestConfPath(st.Key), Data: []byte(w.String())}
}

type pgBackRestScriptData struct {
	Header, Stack, Service, Stanza string
	ExecTarget, PGData, InitScript string
	InitdbDir                      string
	StanzaCreate, InfoCommand      string
}

func pgBackRestScriptFields(st *model.Stack, svc *model.Service) pgBackRestScriptData {
	b := st.Backup
	return pgBackRestScriptData{
		Header:      strings.TrimSuffix(output.HashComment(), "\n"),
		Stack:       st.Name,
		Service:     svc.Key,
		Stanza:      b.Stanza,
		ExecTarget:  model.ContainerImageEntrypoint,
		PGData:      model.Pg1Path(svc),
		InitScript:  path.Base(model.PgBackRestInitPath(st.Key)),
		InitdbDir:   model.ContainerInitdbDir,
		InfoCommand: escape.SQLLiteral(strings.Join(b.PgBackRest("--output=json", "info"), " ")),
	}
}

// PgBackRestEntrypoint renders the entrypoint wrapper of the backed-up server
// (templates/pgbackrest-entrypoint.sh.tmpl): an offline, idempotent
// stanza-create on every start that finds a cluster, then the image's
// entrypoint.
func PgBackRestEntrypoint(st *model.Stack, svc *model.Service) (output.File, error) {
	p := model.PgBackRestEntrypointPath(st.Key)
	d := pgBackRestScriptFields(st, svc)
	d.StanzaCreate = strings.Join(st.Backup.PgBackRest("--no-online", "stanza-create"), " ")
	data, err := execTemplate("pgbackrest-entrypoint.sh.tmpl", d)
	if err != nil {
		return output.File{}, fmt.Errorf("render %s: %v", p, err)
	}
	return output.File{Path: p, Data: data, Mode: 0o755}, nil
}

// PgBackRestInit renders the initdb script of the backed-up server
// (templates/pgbackrest-init.sh.tmpl): stanza-create against the initdb
// server, and the function the backup-age metric reads.
func PgBackRestInit(st *model.Stack, svc *model.Service) (output.File, error) {
	p := model.PgBackRestInitPath(st.Key)
	d := pgBackRestScriptFields(st, svc)
	d.StanzaCreate = strings.Join(st.Backup.PgBackRest("stanza-create"), " ")
	data, err := execTemplate("pgbackrest-init.sh.tmpl", d)
	if err != nil {
		return output.File{}, fmt.Errorf("render %s: %v", p, err)
	}
	return output.File{Path: p, Data: data, Mode: 0o755}, nil
}

// BackupUnits renders a oneshot service and its timer (systemd.service(5),
// systemd.timer(5)) for every scheduled backup type of the stack; nothing
// for a stack without a backup block. The timers are Persistent: a run
// missed while the host was off happens at the next boot.
func BackupUnits(st *model.Stack) []output.File {
	if normalize.BackupService(st) == nil {
		return nil
	}
	b := st.Backup
	var out []output.File
	for _, typ := range model.BackupTypes {
		cal := b.Schedule.Calendar(typ)
		if cal == "" {
			continue
		}
		name := model.BackupUnitName(st, typ)
		argv := derive.BackupCommand(st, typ)
		for i, a := range argv {
			argv[i] = systemdArg(a)
		}
		svcUnit := output.HashComment() + fmt.Sprintf(`#
# Takes a %s pgBackRest backup of stanza %s of the %s stack. Install with
# its timer, %s.timer (docs/BACKUP.md).

[Unit]
Description=pgBackRest %s backup of stanza %s (%s stack)
After=docker.service

[Service]
Type=oneshot
WorkingDirectory=%s
ExecStart=%s
`, typ, b.Stanza, st.Name, name, typ, b.Stanza, st.Name, derive.BackupHostDir(st), strings.Join(argv, " "))
		timer := output.HashComment() + fmt.Sprintf(`#
# Starts %s.service: %s.

[Unit]
Description=Schedule of pgBackRest %s backups (%s stack)

[Timer]
OnCalendar=%s
Persistent=true

[Install]
WantedBy=timers.target
`, name, strconv.Quote(cal), typ, st.Name, cal)
		out = append(out,
			output.File{Path: model.BackupUnitPath(st, typ, "service"), Data: []byte(svcUnit)},
			output.File{Path: model.BackupUnitPath(st, typ, "timer"), Data: []byte(timer)})
	}
	return out
}

// systemdArg writes one word of an Exec line (systemd.syntax(7)): bare when
// it holds only characters systemd never interprets, else single-quoted,
// with % doubled because systemd expands specifiers even inside quotes.
func systemdArg(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=:,+-") == "" {
		return s
	}
	return escape.ShellSingleQuote(s)
}
