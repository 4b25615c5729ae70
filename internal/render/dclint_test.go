package render_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/testing/oracle"
)

// dclintReport is dclint's -f json output: one entry per linted file.
type dclintReport []struct {
	FilePath string `json:"filePath"`
	Messages []struct {
		Rule    string `json:"rule"`
		Type    string `json:"type"`
		Message string `json:"message"`
		Line    int    `json:"line"`
		Column  int    `json:"column"`
	} `json:"messages"`
	ErrorCount   int `json:"errorCount"`
	WarningCount int `json:"warningCount"`
}

// TestDclint lints every rendered compose file with the real dclint 3.1,
// default rules, and wants neither an error nor a warning. Each file is
// linted alone in a directory beside its .env.example, as an operator would
// have it, so no dclint config of the repository can soften the result.
func TestDclint(t *testing.T) {
	dclint := oracle.Require(t, oracle.ToolDclint)
	set := compileRepo(t)
	n := 0
	for _, p := range set.Paths() {
		if path.Base(p) != "compose.yaml" {
			continue
		}
		n++
		t.Run(path.Dir(p), func(t *testing.T) {
			dir := t.TempDir()
			env := path.Join(path.Dir(p), ".env.example")
			for name, src := range map[string]string{"compose.yaml": p, ".env.example": env} {
				f, ok := set[src]
				if !ok {
					t.Fatalf("%s is not rendered", src)
				}
				if err := os.WriteFile(filepath.Join(dir, name), f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(dclint, "-f", "json", "compose.yaml")
			cmd.Dir = dir
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			runErr := cmd.Run()
			var ee *exec.ExitError
			if runErr != nil && !errors.As(runErr, &ee) {
				t.Fatalf("running dclint: %v\n%s", runErr, stderr.String())
			}
			var report dclintReport
			if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
				t.Fatalf("dclint output is not its JSON report (%v); exit %v\nstdout:\n%s\nstderr:\n%s", err, runErr, stdout.String(), stderr.String())
			}
			if len(report) != 1 {
				t.Fatalf("dclint reported on %d files, want 1:\n%s", len(report), stdout.String())
			}
			r := report[0]
			var found strings.Builder
			for _, m := range r.Messages {
				fmt.Fprintf(&found, "\n  %s:%d:%d: %s: %s [%s]", p, m.Line, m.Column, m.Type, m.Message, m.Rule)
			}
			if len(r.Messages) > 0 || r.ErrorCount+r.WarningCount > 0 {
				t.Errorf("dclint found %d error(s) and %d warning(s) in %s:%s", r.ErrorCount, r.WarningCount, p, found.String())
			}
			if runErr != nil && r.ErrorCount == 0 {
				t.Errorf("dclint exited with %v but reported no error; stderr:\n%s", runErr, stderr.String())
			}
		})
	}
	if n == 0 {
		t.Fatal("no compose file rendered")
	}
}
