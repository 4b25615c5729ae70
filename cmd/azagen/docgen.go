package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/docs"
)

// docsStep renders the tables of the docs beside stacks.cue (README.md and
// docs/**/*.md) in memory. Marker and table problems end the command with
// exit 2 and are printed like any other diagnostics, before anything is
// written. For check, links and backticked paths of the hand-written text
// that name nothing are reported the same way.
func (a *app) docsStep(res *compile.Result, check bool) (*docs.Result, error) {
	// The CLI reference is rendered from a fresh command tree: the one
	// running has cobra's help and completion commands added to it.
	cli := newRootCmd(&app{stdout: io.Discard, stderr: io.Discard})
	in := &docs.Input{Config: res.Config, Source: res.Source, CLI: cli, ExitCodes: exitCodes}
	dres, err := docs.Render(a.root(), in)
	if err != nil {
		return nil, &exitErr{code: exitError, err: fmt.Errorf("docs: %w", err)}
	}
	diags := dres.Diags
	if check && !diags.HasErrors() {
		exists := a.existsAfterRender(res)
		if a.refsSeen != nil {
			inner := exists
			exists = func(rel string) bool {
				a.refsSeen[rel] = true
				return inner(rel)
			}
		}
		diags = append(diags, docs.DeadReferences(a.root(), dres, exists)...)
		diags.Sort()
	}
	if !diags.HasErrors() {
		return dres, nil
	}
	summary := " in the docs; nothing was written"
	if check {
		summary = " in the docs"
	}
	return nil, &exitErr{code: exitInvalid, diags: diags, summary: summary}
}

// existsAfterRender says whether a path relative to the root exists on
// disk or is a file the render writes: docs may name a generated file
// before its first render.
func (a *app) existsAfterRender(res *compile.Result) func(string) bool {
	root, out := a.root(), a.out()
	outRel, err := filepath.Rel(root, out)
	if err != nil {
		outRel = ""
	}
	outRel = filepath.ToSlash(outRel)
	return func(rel string) bool {
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel))); err == nil {
			return true
		}
		if outRel == "" || res.Output == nil {
			return false
		}
		if inner, ok := strings.CutPrefix(rel, outRel+"/"); ok {
			if _, rendered := res.Output[inner]; rendered {
				return true
			}
			// A directory that will hold rendered files.
			for p := range res.Output {
				if strings.HasPrefix(p, strings.TrimSuffix(inner, "/")+"/") {
					return true
				}
			}
		}
		return false
	}
}

// docDrift is one docs file whose tables are stale, for check's output.
type docDrift struct {
	Path   string       `json:"path"`
	Tables []staleTable `json:"tables"`
	Diff   string       `json:"diff"`
}

// staleTable is one block whose content differs from its table.
type staleTable struct {
	Table string `json:"table"`
	Line  int    `json:"line"`
	Col   int    `json:"-"`
}

// docsDrift lists the stale docs files with their diffs.
func docsDrift(dres *docs.Result) ([]docDrift, error) {
	out := []docDrift{}
	for _, d := range dres.Changed() {
		diff, err := d.Diff()
		if err != nil {
			return nil, err
		}
		dd := docDrift{Path: filepath.ToSlash(d.Path), Diff: diff, Tables: []staleTable{}}
		for _, b := range d.Stale {
			dd.Tables = append(dd.Tables, staleTable{b.Table, b.Begin.Line, b.Begin.Col})
		}
		out = append(out, dd)
	}
	return out, nil
}
