package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/azagen/azagen/internal/composelint"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/policy"
)

func newRulesCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "rules",
		Short: "List the policy rules azagen checks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, r := range policy.Rules() {
				fmt.Fprintf(a.stdout, "%-52s %-8s %s\n", r.ID, r.Severity, r.Summary)
			}
			for _, r := range composelint.Rules {
				fmt.Fprintf(a.stdout, "%-52s %-8s %s (checked on the rendered compose files)\n", r.ID, diag.Error, r.Summary)
			}
			return nil
		},
	}
}
