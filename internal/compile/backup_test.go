package compile_test

import (
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/model"
)

// TestBackupRepoOnHostPath: a repository on a host directory is bind-mounted at repo1.path
// in the backed-up service, pgbackrest.conf names that path, the backup volume is left as
// the service declares it, and no rule objects.
func TestBackupRepoOnHostPath(t *testing.T) {
	res := compileEdited(t, `repo1: {volume: "postgres_backup", path: "/backup/pgbackrest"} => repo1: {host_path: "/srv/aza-pg-backup", path: "/pgbackrest"}`, "")
	if res.Diags.HasErrors() {
		t.Fatalf("diagnostics:\n%s", res.Diags)
	}
	compose := string(res.Output[model.ComposePath("primary")].Data)
	if !strings.Contains(compose, "- /srv/aza-pg-backup:/pgbackrest\n") {
		t.Errorf("compose.yaml does not bind the host path at repo1.path:\n%s", compose)
	}
	conf := string(res.Output[model.PgBackRestConfPath("primary")].Data)
	if !strings.Contains(conf, "\nrepo1-path=/pgbackrest\n") {
		t.Errorf("pgbackrest.conf does not name repo1.path:\n%s", conf)
	}
}
