package render_test

import (
	"path"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/azagen/azagen/internal/model"
)

// Audit #14: one exporter queries file, mounted by every stack. Each
// compose file's postgres_exporter mount must resolve to the same rendered
// file, and no other queries file may be rendered.
func TestOneQueriesFileMountedEverywhere(t *testing.T) {
	set := compileRepo(t)
	var queryFiles []string
	for _, p := range set.Paths() {
		if strings.Contains(path.Base(p), "queries") {
			queryFiles = append(queryFiles, p)
		}
	}
	if len(queryFiles) != 1 || queryFiles[0] != model.ExporterQueriesPath {
		t.Fatalf("queries files rendered: %v, want only %s", queryFiles, model.ExporterQueriesPath)
	}
	stacks := 0
	for _, p := range set.Paths() {
		if path.Base(p) != "compose.yaml" {
			continue
		}
		var doc struct {
			Services map[string]struct {
				Volumes []string `yaml:"volumes"`
			} `yaml:"services"`
		}
		if err := yaml.Unmarshal(set[p].Data, &doc); err != nil {
			t.Fatal(err)
		}
		svc, ok := doc.Services["postgres_exporter"]
		if !ok {
			t.Fatalf("%s has no postgres_exporter", p)
		}
		found := false
		for _, v := range svc.Volumes {
			src, rest, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(rest, model.ContainerQueriesPath) {
				continue
			}
			found = true
			if got := path.Clean(path.Join(path.Dir(p), src)); got != model.ExporterQueriesPath {
				t.Errorf("%s mounts %s, which is not the shared %s", p, got, model.ExporterQueriesPath)
			}
		}
		if !found {
			t.Errorf("%s does not mount the queries file", p)
		}
		stacks++
	}
	if stacks != 3 {
		t.Fatalf("checked %d stacks, want 3", stacks)
	}
}
