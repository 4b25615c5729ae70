package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/azagen/azagen/internal/docs"
	"github.com/azagen/azagen/internal/output"
)

func newRenderCmd(a *app) *cobra.Command {
	var failOnChange bool
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Write every generated file",
		Long: `render compiles stacks.cue and writes every generated file under generated/.
Each file is written to a temporary file and renamed into place, so a reader
never sees a partial file. Files azagen rendered before (listed in
generated/manifest.json) that it no longer renders are removed. It also
rewrites the tables between the azagen markers of README.md and docs/*.md,
and nothing outside them. Each environment of stacks.cue is rendered the
same way under environments/NAME/ in the output directory. Nothing is written when the input or a marker is
invalid.

With --fail-on-change it exits 1 when it wrote or removed anything, as a
pre-commit fixer must: the files are fixed, and the commit stops so the
fix can be reviewed and staged.`,
		Example: `  azagen render
  azagen render --file stacks.cue --overlay prod.cue
  azagen render --fail-on-change   # in a pre-commit hook`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := a.compile(cmd.Context())
			if err != nil {
				return err
			}
			format, err := a.diagFormat()
			if err != nil {
				return err
			}
			if err := a.printDiags(format, res.Diags); err != nil {
				return &exitErr{code: exitError, err: err}
			}
			dres, err := a.docsStep(res, false)
			if err != nil {
				return err
			}
			wr, err := output.Write(a.out(), res.Output)
			if err != nil {
				return &exitErr{code: exitError, err: fmt.Errorf("render: %w", err)}
			}
			for _, p := range wr.Written {
				fmt.Fprintf(a.stderr, "wrote %s\n", p)
			}
			for _, p := range wr.Removed {
				fmt.Fprintf(a.stderr, "removed %s\n", p)
			}
			docsWritten, err := docs.Write(dres)
			for _, d := range docsWritten {
				fmt.Fprintf(a.stderr, "wrote %s\n", filepath.ToSlash(d.Path))
			}
			if err != nil {
				return &exitErr{code: exitError, err: fmt.Errorf("render: %w", err)}
			}
			changed := len(wr.Written) + len(wr.Removed) + len(docsWritten)
			if changed == 0 {
				fmt.Fprintln(a.stderr, "azagen: everything up to date")
			} else if failOnChange {
				return &exitErr{code: exitDrift, err: fmt.Errorf("render changed %d file(s); review them and stage them", changed)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&failOnChange, "fail-on-change", false, "exit 1 when anything was written or removed (for pre-commit)")
	return cmd
}
