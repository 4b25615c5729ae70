package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/azagen/azagen/internal/certs"
	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/envfile"
	"github.com/azagen/azagen/internal/model"
)

func newVetCmd(a *app) *cobra.Command {
	var certDir, envFile, stack, environment string
	cmd := &cobra.Command{
		Use:   "vet",
		Short: "Validate stacks.cue without writing or comparing anything",
		Long: `vet runs the schema, the policy rules and compose validation, prints every
finding and exits 2 when there is an error. It neither writes nor reads the
generated files.

It also checks the TLS files of every stack whose tls.dir exists here
(a relative tls.dir is resolved from the stack's directory in the output
directory), or with --certs DIR the certificate directory DIR, in the
layout azagen certs writes: every server certificate covers the names its
clients dial and chains to its stack's CA, no certificate expires within
30 days, and every key matches its certificate and is readable by its
owner only.

With --env-file FILE --stack NAME it also checks an operator's .env for that
stack: every required variable is set and non-empty, every value is one its
consumer accepts (POSTGRES_WORKLOAD_TYPE, POSTGRES_STORAGE_TYPE), and no value
is one compose's .env parser would change ('$' or ' #' outside single quotes).
Each finding is FILE:line:col; no value is printed. With --environment NAME
the .env and the certificates are checked against that environment of
stacks.cue instead of the source itself.`,
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
			e, out, err := a.environment(res, environment)
			if err != nil {
				return err
			}
			cfg := e.Config
			diags := slices.Clone(res.Diags)
			if certDir != "" {
				diags = append(diags, certs.Vet(certDir, cfg, time.Now())...)
			} else {
				// The stacks' own tls directories, where they exist here.
				diags = append(diags, certs.VetStacks(stackTLSDirs(out, cfg), cfg, time.Now())...)
			}
			if envFile != "" {
				st := cfg.Stacks[stack]
				if st == nil {
					return &exitErr{code: exitError, err: fmt.Errorf("--stack %s: the source has no such stack (it has %s)",
						stack, strings.Join(slices.Sorted(maps.Keys(res.Config.Stacks)), ", "))}
				}
				data, err := os.ReadFile(envFile)
				if err != nil {
					return &exitErr{code: exitError, err: fmt.Errorf("cannot read input: %w", err)}
				}
				diags = append(diags, envfile.Check(envFile, data, derive.VarRules(cfg, st), stack)...)
			}
			diags.Sort()
			if diags.HasErrors() {
				return &exitErr{code: exitInvalid, diags: diags}
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
	cmd.Flags().StringVar(&envFile, "env-file", "", "also check this .env of an operator (with --stack)")
	cmd.Flags().StringVar(&stack, "stack", "", "the stack (key under stacks in stacks.cue) the --env-file is for")
	cmd.Flags().StringVar(&environment, "environment", "", "check --env-file and --certs against this environment of stacks.cue (base: the source itself)")
	return cmd
}

// stackTLSDirs maps each stack whose tls.dir exists on this machine to it:
// an absolute tls.dir as is, a relative one from the stack's directory in
// the output directory root, where compose resolves it.
func stackTLSDirs(root string, c *model.Config) map[string]string {
	out := map[string]string{}
	for sk, st := range c.Stacks {
		d := filepath.FromSlash(st.TLS.Dir)
		if !filepath.IsAbs(d) {
			d = filepath.Join(root, filepath.FromSlash(model.StackDir(sk)), d)
		}
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			out[sk] = d
		}
	}
	return out
}
