package model

import "path"

// Backup is a stack's pgBackRest configuration (schema backup.cue).
type Backup struct {
	Service    string            `json:"service"`
	Stanza     string            `json:"stanza"`
	Repo1      LocalRepo         `json:"repo1"`
	Retention  BackupRetention   `json:"retention"`
	Schedule   BackupSchedule    `json:"schedule"`
	Compress   BackupCompress    `json:"compress"`
	Encryption *BackupEncryption `json:"encryption"`
	HostDir    string            `json:"host_dir"`
}

// LocalRepo is a repository the server's container mounts.
type LocalRepo struct {
	Volume   string `json:"volume"`
	HostPath string `json:"host_path"`
	Path     string `json:"path"`
}

// BackupRetention counts the backups expire keeps; Diff 0 is unset.
type BackupRetention struct {
	Full int `json:"full"`
	Diff int `json:"diff"`
}

// BackupSchedule holds systemd OnCalendar expressions; "" is unset.
type BackupSchedule struct {
	Full string `json:"full"`
	Diff string `json:"diff"`
	Incr string `json:"incr"`
}

// BackupTypes are pgBackRest's backup types, in the order the schedule
// lists them.
var BackupTypes = []string{"full", "diff", "incr"}

// Calendar returns the schedule of a backup type ("" when unscheduled).
func (s BackupSchedule) Calendar(typ string) string {
	switch typ {
	case "full":
		return s.Full
	case "diff":
		return s.Diff
	case "incr":
		return s.Incr
	}
	return ""
}

// BackupCompress is pgBackRest's compress-type and compress-level; Level nil
// keeps pgBackRest's default.
type BackupCompress struct {
	Type  string `json:"type"`
	Level *int   `json:"level"`
}

// BackupEncryption encrypts the repository; Pass is a required variable.
type BackupEncryption struct {
	Pass EnvValue `json:"pass"`
}

// Container paths of pgBackRest's rendered files. pgBackRest reads
// /etc/pgbackrest/pgbackrest.conf when --config is not given (pgBackRest's
// configuration reference, option config).
const (
	ContainerPgBackRestConf = "/etc/pgbackrest/pgbackrest.conf"
	// ContainerPgBackRestEntrypoint wraps the image's entrypoint with the
	// stanza creation that must precede the server's first archive_command.
	ContainerPgBackRestEntrypoint = ContainerAzagenDir + "/pgbackrest-entrypoint.sh"
	// ContainerSocketDir is where the image's server puts its socket.
	ContainerSocketDir = "/var/run/postgresql"
)

// PgBackRestConfPath is the pgbackrest.conf of a stack.
func PgBackRestConfPath(stack string) string {
	return path.Join(StackDir(stack), "configs", "pgbackrest.conf")
}

// PgBackRestEntrypointPath is the entrypoint wrapper of a backed-up server.
func PgBackRestEntrypointPath(stack string) string {
	return path.Join(StackDir(stack), "scripts", "pgbackrest-entrypoint.sh")
}

// PgBackRestInitPath is the initdb script that creates the stanza on a
// server's first start.
func PgBackRestInitPath(stack string) string {
	return path.Join(StackDir(stack), "initdb", "20-azagen-pgbackrest.sh")
}

// BackupUnitName is the systemd unit (without suffix) that takes one type of
// backup of a stack, e.g. aza-pg-primary-backup-full.
func BackupUnitName(st *Stack, typ string) string { return st.Name + "-backup-" + typ }

// BackupUnitPath is a rendered systemd unit; suffix is "service" or "timer".
func BackupUnitPath(st *Stack, typ, suffix string) string {
	return path.Join(StackDir(st.Key), "systemd", BackupUnitName(st, typ)+"."+suffix)
}

// PgBackRest runs pgBackRest for the stanza: the argv every rendered command
// starts with.
func (b *Backup) PgBackRest(args ...string) []string {
	return append([]string{"pgbackrest", "--stanza=" + b.Stanza}, args...)
}

// ArchiveCommand is the server's archive_command: pgBackRest pushes the
// segment %p into the repositories (pgBackRest user guide, "Configure
// Archiving").
func (b *Backup) ArchiveCommand() string {
	return "pgbackrest --stanza=" + b.Stanza + " archive-push %p"
}

// RestoreCommand is the restore_command recovery uses; it is also what
// pgBackRest's restore writes into postgresql.auto.conf.
func (b *Backup) RestoreCommand() string {
	return "pgbackrest --stanza=" + b.Stanza + ` archive-get %f "%p"`
}

// Pg1Path is the data directory pgBackRest backs up: the server's PGDATA,
// the image's own unless the service's environment sets PGDATA to a
// literal (rule backup-pg1-path refuses that).
func Pg1Path(svc *Service) string {
	if v, ok := svc.Environment["PGDATA"]; ok && v.IsLiteral() {
		return *v.Literal
	}
	return ContainerPGDataDefault
}
