package main

import (
	"fmt"

	"github.com/spf13/cobra"
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
			if _, err := a.compile(cmd.Context()); err != nil {
				return err
			}
			if a.format == "text" {
				fmt.Fprintln(a.stderr, "azagen: no errors")
			}
			return nil
		},
	}
}
