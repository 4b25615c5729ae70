package main

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/envfile"
)

func newVetCmd(a *app) *cobra.Command {
	var envFile, stack string
	cmd := &cobra.Command{
		Use:   "vet",
		Short: "Validate stacks.cue without writing or comparing anything",
		Long: `vet runs the schema, the policy rules and compose validation, prints every
finding and exits 2 when there is an error. It neither writes nor reads the
generated files.

With --env-file FILE --stack NAME it also checks an operator's .env for that
stack: every required variable is set and non-empty, every value is one its
consumer accepts (POSTGRES_WORKLOAD_TYPE, POSTGRES_STORAGE_TYPE), and no value
is one compose's .env parser would change ('$' or ' #' outside single quotes).
Each finding is FILE:line:col; no value is printed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (envFile == "") != (stack == "") {
				return &exitErr{code: exitError, err: fmt.Errorf("--env-file and --stack go together")}
			}
			res, err := a.compile(cmd.Context())
			if err != nil {
				return err
			}
			format, err := a.diagFormat()
			if err != nil {
				return err
			}
			diags := res.Diags
			if envFile != "" {
				st := res.Config.Stacks[stack]
				if st == nil {
					return &exitErr{code: exitError, err: fmt.Errorf("--stack %s: the source has no such stack (it has %s)",
						stack, strings.Join(slices.Sorted(maps.Keys(res.Config.Stacks)), ", "))}
				}
				data, err := os.ReadFile(envFile)
				if err != nil {
					return &exitErr{code: exitError, err: fmt.Errorf("cannot read input: %w", err)}
				}
				diags = append(slices.Clone(diags), envfile.Check(envFile, data, derive.VarRules(res.Config, st), stack)...)
				if diags.HasErrors() {
					return &exitErr{code: exitInvalid, diags: diags, summary: ""}
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
	cmd.Flags().StringVar(&envFile, "env-file", "", "also check this .env of an operator (with --stack)")
	cmd.Flags().StringVar(&stack, "stack", "", "the stack (key under stacks in stacks.cue) the --env-file is for")
	return cmd
}
