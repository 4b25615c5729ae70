package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/azagen/azagen/internal/rules"
)

func newRulesCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "rules",
		Short: "List the policy rules azagen checks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, r := range rules.All {
				fmt.Fprintf(a.stdout, "%-52s %-8s %-8s %s\n", r.ID, r.Severity, r.Stage, r.Summary)
			}
			return nil
		},
	}
}
