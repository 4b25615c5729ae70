package derive

import (
	"path"

	"github.com/azagen/azagen/internal/model"
)

// BackupCommand is the host command a unit runs to take one type of backup:
// pgBackRest in the backed-up service's container, through docker compose
// in the stack's directory. -T because a unit has no terminal.
func BackupCommand(st *model.Stack, typ string) []string {
	return append([]string{"/usr/bin/docker", "compose", "exec", "-T", st.Backup.Service}, st.Backup.PgBackRest("--type="+typ, "backup")...)
}

// BackupHostDir is the stack's directory on the host, where the units run
// docker compose (it holds compose.yaml and .env).
func BackupHostDir(st *model.Stack) string {
	return path.Join(st.Backup.HostDir, model.StackDir(st.Key))
}
