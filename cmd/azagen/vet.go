package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/azagen/azagen/internal/certs"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/model"
)

func newVetCmd(a *app) *cobra.Command {
	var certDir string
	cmd := &cobra.Command{
		Use:   "vet",
		Short: "Validate stacks.cue without writing or comparing anything",
		Long: `vet runs the schema, the policy rules and compose validation, prints every
finding and exits 2 when there is an error. It writes nothing and reads no
generated file.

It also checks the TLS files of every stack whose tls.dir exists here
(a relative tls.dir is resolved from the stack's directory in the output
directory), or with --certs DIR the certificate directory DIR, in the
layout azagen certs writes: every server certificate covers the names its
clients dial and chains to its stack's CA, no certificate expires within
30 days, and every key matches its certificate and is readable by its
owner only.`,
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
			var found diag.List
			if certDir != "" {
				found = certs.Vet(certDir, res.Config, time.Now())
			} else {
				// The stacks' own tls directories, where they exist here.
				found = certs.VetStacks(a.stackTLSDirs(res.Config), res.Config, time.Now())
			}
			if len(found) > 0 {
				diags = append(diags, found...)
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

// stackTLSDirs maps each stack whose tls.dir exists on this machine to it:
// an absolute tls.dir as is, a relative one from the stack's directory in
// the output directory, where compose resolves it.
func (a *app) stackTLSDirs(c *model.Config) map[string]string {
	out := map[string]string{}
	for sk, st := range c.Stacks {
		d := filepath.FromSlash(st.TLS.Dir)
		if !filepath.IsAbs(d) {
			d = filepath.Join(a.out(), filepath.FromSlash(model.StackDir(sk)), d)
		}
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			out[sk] = d
		}
	}
	return out
}
