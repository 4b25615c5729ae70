package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/azagen/azagen/internal/output"
)

func newRenderCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "render",
		Short: "Write every generated file",
		Long: `render compiles stacks.cue and writes every generated file under generated/.
Each file is written to a temporary file and renamed into place, so a reader
never sees a partial file. Files azagen rendered before (listed in
generated/manifest.json) that it no longer renders are removed. Nothing is
written when the input is invalid.`,
		Example: `  azagen render
  azagen render --file stacks.cue --overlay prod.cue`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := a.compile(cmd.Context())
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
			if len(wr.Written)+len(wr.Removed) == 0 {
				fmt.Fprintln(a.stderr, "azagen: everything up to date")
			}
			return nil
		},
	}
}
