package main

import (
	"fmt"

	"time"

	"github.com/spf13/cobra"

	"github.com/azagen/azagen/internal/certs"
	"github.com/azagen/azagen/internal/diag"
)

func newVetCmd(a *app) *cobra.Command {
	var certDir string
	cmd := &cobra.Command{
		Use:   "vet",
		Short: "Validate stacks.cue without writing or comparing anything",
		Long: `vet runs the schema, the policy rules and compose validation, prints every
finding and exits 2 when there is an error. It neither writes nor reads the
generated files.

With --certs DIR it also checks the certificate directory DIR (the layout
azagen certs writes): every server certificate covers the names its clients
dial and chains to its stack's CA, no certificate expires within 30 days,
and every key matches its certificate and is readable by its owner only.`,
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
			diags := res.Diags
			if certDir != "" {
				diags = append(diags, certs.Vet(certDir, res.Config, time.Now())...)
				diags.Sort()
				if diags.HasErrors() {
					return &exitErr{code: exitInvalid, diags: diags}
				}
			}
			if err := a.printDiags(format, diags); err != nil {
				return &exitErr{code: exitError, err: err}
			}
			if format == diag.Text {
				fmt.Fprintln(a.stderr, "azagen: no errors")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&certDir, "certs", "", "also check the certificate directory `DIR` (see azagen certs)")
	return cmd
}
