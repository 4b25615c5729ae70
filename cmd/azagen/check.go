package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/output"
	"github.com/azagen/azagen/internal/rules"
)

func newCheckCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Fail when generated files differ from what stacks.cue renders",
		Long: `check compiles stacks.cue and compares the result with the files on disk. It
never writes. It prints a unified diff for every changed file and lists
missing files and orphaned files (rendered before, no longer rendered), then
exits 1 when anything differs. Run azagen render to fix the drift. The files
of every environment of stacks.cue (environments/NAME/ in the output
directory) are compared too.

The tables between the azagen markers of README.md and docs/*.md are
compared the same way. A broken marker, an unknown table, or a link or
backticked repository path in the docs that points at nothing is invalid
input (exit 2).`,
		Example: `  azagen check
  azagen check --format github   # annotations in GitHub Actions`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.checkCached(cmd.Context()) },
	}
}

// doCheck compares what stacks.cue renders with the output directory and
// the docs. Every difference is a diagnostic of rule drift (one per changed,
// missing or orphaned file and per stale docs table): JSON lists them with
// the other diagnostics, beside the diffs, and GitHub annotates each; the
// text format shows the diffs and lists the files. When the run finds
// nothing at all, onClean (if set) gets every file it compared.
func (a *app) doCheck(ctx context.Context, onClean func(*cleanRun)) error {
	format, err := a.diagFormat()
	if err != nil {
		return err
	}
	res, err := a.compile(ctx)
	if err != nil {
		return err
	}
	out := a.out()
	display := displayPath(out)
	dres, err := a.docsStep(res, true)
	if err != nil {
		return err
	}
	drift, err := output.Check(out, display, res.Output)
	if err != nil {
		return &exitErr{code: exitError, err: fmt.Errorf("check: %w", err)}
	}
	stale, err := docsDrift(dres)
	if err != nil {
		return &exitErr{code: exitError, err: fmt.Errorf("check: %w", err)}
	}
	found := driftDiags(display, drift, stale)
	all := append(slices.Clone(res.Diags), found...)
	if format == diag.JSON {
		err = encodeJSON(a.stdout, struct {
			Diagnostics diag.List    `json:"diagnostics"`
			Drift       output.Drift `json:"drift"`
			Docs        []docDrift   `json:"docs"`
		}{nonNil(all), drift, stale})
	} else {
		err = a.printDrift(format, display, drift, all, stale)
	}
	if err != nil {
		return &exitErr{code: exitError, err: err}
	}
	if len(found) > 0 {
		return &exitErr{code: exitDrift}
	}
	if onClean != nil && len(all) == 0 {
		c := &cleanRun{}
		for _, p := range res.Output.Paths() {
			c.files = append(c.files, filepath.Join(out, filepath.FromSlash(p)))
		}
		for _, d := range dres.Docs {
			c.files = append(c.files, d.Path)
		}
		onClean(c)
	}
	return nil
}

// driftDiags turns the differences into diagnostics of rule drift.
func driftDiags(display string, d output.Drift, stale []docDrift) diag.List {
	var out diag.List
	shown := func(p string) string { return filepath.ToSlash(filepath.Join(display, p)) }
	add := func(pos diag.Position, format string, args ...any) {
		out = append(out, diag.Diagnostic{Rule: rules.Drift, Severity: rules.Get(rules.Drift).Severity, Pos: pos,
			Message: fmt.Sprintf(format, args...)})
	}
	for _, c := range d.Changed {
		add(diag.Position{File: shown(c.Path), Line: firstChangedLine(c.Diff), Col: 1}, "%s differs from what stacks.cue renders; run azagen render", c.Path)
	}
	// A missing file has no place to annotate: the message names it.
	for _, p := range d.Missing {
		add(diag.Position{}, "%s is missing; run azagen render", shown(p))
	}
	for _, p := range d.Orphaned {
		add(diag.Position{File: shown(p)}, "%s is no longer rendered; run azagen render to remove it", p)
	}
	for _, s := range stale {
		for _, t := range s.Tables {
			add(diag.Position{File: s.Path, Line: t.Line, Col: t.Col}, "table %s differs from what stacks.cue renders; run azagen render", t.Table)
		}
	}
	return out
}

// firstChangedLine is the line of the file on disk where a unified diff's
// first change starts (for an annotation on it), or 0 when the diff has no
// hunk (a mode change).
func firstChangedLine(diff string) int {
	line := 0
	inHunk := false
	for _, l := range strings.Split(diff, "\n") {
		switch {
		case strings.HasPrefix(l, "@@ -"):
			var start int
			if _, err := fmt.Sscanf(l, "@@ -%d", &start); err != nil {
				return 0
			}
			line, inHunk = start, true
		case !inHunk:
		case strings.HasPrefix(l, "-"), strings.HasPrefix(l, "+"):
			return max(line, 1)
		case strings.HasPrefix(l, " "):
			line++
		}
	}
	return 0
}

// printDrift prints check's findings in the text or GitHub format. GitHub
// gets every diagnostic as an annotation. Text gets the unified diffs on
// stdout and, on stderr, the findings that are not drift, then drift as a
// compact list of changed, missing and orphaned files, then a summary.
func (a *app) printDrift(format diag.Format, display string, d output.Drift, diags diag.List, stale []docDrift) error {
	if format == diag.GitHub {
		if err := a.printDiags(format, diags); err != nil {
			return err
		}
	} else {
		for _, c := range d.Changed {
			fmt.Fprint(a.stdout, c.Diff)
		}
		for _, s := range stale {
			fmt.Fprint(a.stdout, s.Diff)
		}
		other := slices.DeleteFunc(slices.Clone(diags), func(x diag.Diagnostic) bool { return x.Rule == rules.Drift })
		if err := a.printDiags(format, other); err != nil {
			return err
		}
		shown := func(p string) string { return filepath.ToSlash(filepath.Join(display, p)) }
		for _, c := range d.Changed {
			fmt.Fprintf(a.stderr, "changed:  %s\n", shown(c.Path))
		}
		for _, p := range d.Missing {
			fmt.Fprintf(a.stderr, "missing:  %s\n", shown(p))
		}
		for _, p := range d.Orphaned {
			fmt.Fprintf(a.stderr, "orphaned: %s\n", shown(p))
		}
		for _, s := range stale {
			fmt.Fprintf(a.stderr, "changed:  %s\n", s.Path)
		}
	}
	if d.Clean() {
		fmt.Fprintln(a.stderr, "azagen: generated files are up to date")
	} else {
		fmt.Fprintf(a.stderr, "azagen: %d changed, %d missing, %d orphaned; run azagen render\n", len(d.Changed), len(d.Missing), len(d.Orphaned))
	}
	if len(stale) > 0 {
		fmt.Fprintf(a.stderr, "azagen: %d docs file(s) with stale tables; run azagen render\n", len(stale))
	}
	return nil
}

// displayPath shows a directory relative to the working directory when it
// is below it, and as given otherwise.
func displayPath(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	wd, err := os.Getwd()
	if err != nil {
		return dir
	}
	rel, err := filepath.Rel(wd, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return abs
	}
	return rel
}
