package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/azagen/azagen/internal/diag"
)

func newVetCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "vet",
		Short: "Validate stacks.cue without writing or comparing anything",
		Long: `vet runs the schema, the policy rules and compose validation, prints every
finding and exits 2 when there is an error. It neither writes nor reads the
generated files.`,
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
			if format == diag.Text {
				fmt.Fprintln(a.stderr, "azagen: no errors")
			}
			return nil
		},
	}
}
