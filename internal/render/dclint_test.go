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

	"github.com/azagen/azagen/internal/oracle"
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

// knownDclint lists findings of dclint on the current renderer that are
// bugs in the renderer, not in this test, keyed by "path rule message". Each
// is logged instead of failing the test, and the test fails once dclint
// stops reporting it, so the entry is removed together with the fix.
var knownDclint = map[string]bool{
	// internal/render/compose.go orders services with Go's byte order, where
	// '-' (0x2d) sorts before '_' (0x5f); dclint's services-alphabetical-order
	// compares with JavaScript's localeCompare (ICU root collation), where '_'
	// sorts first. golang.org/x/text/collate with language.Und orders them the
	// way dclint does.
	`stacks/replica/compose.yaml services-alphabetical-order Service "postgres_exporter" should be before "postgres-replica".`: true,
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
			unexpected := 0
			seenKnown := map[string]bool{}
			for _, m := range r.Messages {
				line := fmt.Sprintf("%s:%d:%d: %s: %s [%s]", p, m.Line, m.Column, m.Type, m.Message, m.Rule)
				if k := p + " " + m.Rule + " " + m.Message; knownDclint[k] {
					seenKnown[k] = true
					t.Logf("known dclint finding (see knownDclint): %s", line)
					continue
				}
				unexpected++
				fmt.Fprintf(&found, "\n  %s", line)
			}
			if unexpected > 0 || r.ErrorCount+r.WarningCount != len(seenKnown) {
				t.Errorf("dclint found %d error(s) and %d warning(s) in %s:%s", r.ErrorCount, r.WarningCount, p, found.String())
			}
			for k := range knownDclint {
				if strings.HasPrefix(k, p+" ") && !seenKnown[k] {
					t.Errorf("dclint no longer reports %q: remove it from knownDclint", k)
				}
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
