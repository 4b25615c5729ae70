package docs

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/testing/oracle"
)

// mermaidToSVG renders the Mermaid blocks of a Markdown file with the real
// @mermaid-js/mermaid-cli in Debian's chromium, as GitHub would show them,
// and returns the SVG files it wrote, in block order.
func mermaidToSVG(t *testing.T, markdown string) ([]string, error) {
	t.Helper()
	mmdc := oracle.Require(t, oracle.ToolMermaidCLI)
	chromium := oracle.Require(t, oracle.ToolChromium)
	dir := t.TempDir()
	// --no-sandbox: CI runs as root, where chromium's sandbox refuses to
	// start; the input is our own diagram.
	cfg, err := json.Marshal(map[string]any{"executablePath": chromium, "args": []string{"--no-sandbox", "--disable-gpu"}})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "puppeteer.json"), cfg, 0o644))
	must(os.WriteFile(filepath.Join(dir, "in.md"), []byte(markdown), 0o644))
	cmd := exec.Command(mmdc, "--quiet", "-p", "puppeteer.json", "-i", "in.md", "-o", "out.md")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir) // chromium writes its profile there
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, &exec.ExitError{ProcessState: cmd.ProcessState, Stderr: out}
	}
	svgs, err := filepath.Glob(filepath.Join(dir, "out-*.svg"))
	must(err)
	return svgs, nil
}

// TestDiagramsRenderInMermaid renders every stack's diagram, exactly as the
// docs hold it, to SVG with the real mermaid-cli; a diagram Mermaid cannot
// parse fails. Each SVG must name every service of its stack.
func TestDiagramsRenderInMermaid(t *testing.T) {
	in := testInput(t)
	var doc strings.Builder
	keys := stackKeys(in.Config)
	for _, k := range keys {
		doc.WriteString("# " + k + "\n\n" + build(t, in, "diagram."+k).String() + "\n")
	}
	svgs, err := mermaidToSVG(t, doc.String())
	if err != nil {
		t.Fatalf("mermaid-cli refused the diagrams: %v\n%s", err, err.(*exec.ExitError).Stderr)
	}
	if len(svgs) != len(keys) {
		t.Fatalf("%d SVGs for %d diagrams", len(svgs), len(keys))
	}
	for i, k := range keys {
		data, err := os.ReadFile(filepath.Join(filepath.Dir(svgs[0]), "out-"+strconv.Itoa(i+1)+".svg"))
		if err != nil {
			t.Fatal(err)
		}
		svg := string(data)
		for name := range in.Config.Stacks[k].Services {
			if !strings.Contains(svg, name) {
				t.Errorf("the %s diagram's SVG does not show service %s", k, name)
			}
		}
		if !strings.Contains(svg, "pg_hba: hostssl") {
			t.Errorf("the %s diagram's SVG shows no admitting pg_hba rule", k)
		}
	}
}

// TestDiagramNegativeControl: mermaid-cli does refuse a diagram it cannot
// parse, so the test above can fail.
func TestDiagramNegativeControl(t *testing.T) {
	if _, err := mermaidToSVG(t, "```mermaid\nflowchart LR\n  a[\"unterminated] --> b\n```\n"); err == nil {
		t.Fatal("mermaid-cli accepted a broken diagram")
	}
}
