package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/output"
)

func newCheckCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Fail when generated files differ from what stacks.cue renders",
		Long: `check compiles stacks.cue and compares the result with the files on disk. It
never writes. It prints a unified diff for every changed file and lists
missing files and orphaned files (rendered before, no longer rendered), then
exits 1 when anything differs. Run azagen render to fix the drift.

The tables between the azagen markers of README.md and docs/*.md are
compared the same way. A broken marker, an unknown table, or a link or
backticked repository path in the docs that points at nothing is invalid
input (exit 2).`,
		Example: `  azagen check
  azagen check --format github   # annotations in GitHub Actions`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := a.diagFormat()
			if err != nil {
				return err
			}
			a.jsonOwnedByCommand = true
			res, err := a.compile(cmd.Context())
			if err != nil {
				return err
			}
			out := a.out()
			display := displayPath(out)
			dres, err := a.docsStep(res, format, true)
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
			if err := printDrift(a, format, display, drift, res.Diags, stale); err != nil {
				return &exitErr{code: exitError, err: err}
			}
			if !drift.Clean() || len(stale) > 0 {
				return &exitErr{code: exitDrift}
			}
			return nil
		},
	}
}

func printDrift(a *app, format diag.Format, display string, d output.Drift, diags diag.List, stale []docDrift) error {
	switch format {
	case diag.JSON:
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if diags == nil {
			diags = diag.List{}
		}
		return enc.Encode(struct {
			Diagnostics diag.List    `json:"diagnostics"`
			Drift       output.Drift `json:"drift"`
			Docs        []docDrift   `json:"docs"`
		}{diags, d, stale})
	case diag.GitHub:
		for _, c := range d.Changed {
			fmt.Fprintf(a.stdout, "::error file=%s,title=azagen drift::%s differs from what stacks.cue renders; run azagen render\n", filepath.ToSlash(filepath.Join(display, c.Path)), c.Path)
		}
		for _, p := range d.Missing {
			fmt.Fprintf(a.stdout, "::error title=azagen drift::%s is missing; run azagen render\n", filepath.ToSlash(filepath.Join(display, p)))
		}
		for _, p := range d.Orphaned {
			fmt.Fprintf(a.stdout, "::error file=%s,title=azagen drift::%s is no longer rendered; run azagen render to remove it\n", filepath.ToSlash(filepath.Join(display, p)), p)
		}
		for _, s := range stale {
			for _, t := range s.Tables {
				fmt.Fprintf(a.stdout, "::error file=%s,line=%d,title=azagen drift::table %s differs from what stacks.cue renders; run azagen render\n", s.Path, t.Line, t.Table)
			}
		}
	default:
		for _, c := range d.Changed {
			fmt.Fprint(a.stdout, c.Diff)
		}
		for _, s := range stale {
			fmt.Fprint(a.stdout, s.Diff)
		}
	}
	if format != diag.JSON {
		for _, c := range d.Changed {
			fmt.Fprintf(a.stderr, "changed:  %s\n", filepath.ToSlash(filepath.Join(display, c.Path)))
		}
		for _, p := range d.Missing {
			fmt.Fprintf(a.stderr, "missing:  %s\n", filepath.ToSlash(filepath.Join(display, p)))
		}
		for _, p := range d.Orphaned {
			fmt.Fprintf(a.stderr, "orphaned: %s\n", filepath.ToSlash(filepath.Join(display, p)))
		}
		for _, s := range stale {
			fmt.Fprintf(a.stderr, "changed:  %s\n", s.Path)
		}
		if d.Clean() {
			fmt.Fprintln(a.stderr, "azagen: generated files are up to date")
		} else {
			fmt.Fprintf(a.stderr, "azagen: %d changed, %d missing, %d orphaned; run azagen render\n", len(d.Changed), len(d.Missing), len(d.Orphaned))
		}
		if len(stale) > 0 {
			fmt.Fprintf(a.stderr, "azagen: %d docs file(s) with stale tables; run azagen render\n", len(stale))
		}
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
