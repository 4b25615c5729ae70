package compile_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/testing/corpus"
)

// TestBackupRepoOnHostPath: a repository on a host directory is bind-mounted at repo1.path
// in the backed-up service, pgbackrest.conf names that path, the backup volume is left as
// the service declares it, and no rule objects.
func TestBackupRepoOnHostPath(t *testing.T) {
	base, err := os.ReadFile(repoStacks)
	if err != nil {
		t.Fatal(err)
	}
	edited, err := corpus.ApplyEdits(base, []byte(`repo1: {volume: "postgres_backup", path: "/backup/pgbackrest"} => repo1: {host_path: "/srv/aza-pg-backup", path: "/pgbackrest"}`))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stacks.cue"), edited, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	res, err := compile.Compile(context.Background(), []string{"stacks.cue"})
	if err != nil {
		t.Fatal(err)
	}
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
