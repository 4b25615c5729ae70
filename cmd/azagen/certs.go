package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/azagen/azagen/internal/certs"
)

func newCertsCmd(a *app) *cobra.Command {
	var out string
	var days int
	cmd := &cobra.Command{
		Use:   "certs",
		Short: "Make a development CA and a certificate for every TLS server",
		Long: `certs writes a certificate directory for the stacks: DIR/ca.crt and
DIR/ca.key (a development CA, kept when DIR already holds one), and for every
stack DIR/<stack>/ca.crt plus <service>.crt and <service>.key (mode 0600) for
each postgres and pgbouncer service. Each certificate's SANs are every name
its clients dial: the service name, the names the healthcheck and other
stacks use, and the service's tls.hosts. DIR/<stack> is what the stack's
tls.dir must hold. Running it again re-issues the server certificates under
the same CA, which is how they are rotated.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return &exitErr{code: exitError, err: fmt.Errorf("--out DIR is required")}
			}
			if days < 1 {
				return &exitErr{code: exitError, err: fmt.Errorf("--days must be at least 1")}
			}
			res, err := a.compile(cmd.Context())
			if err != nil {
				return err
			}
			written, err := certs.Write(out, res.Config, certs.Options{Validity: time.Duration(days) * 24 * time.Hour})
			if err != nil {
				return &exitErr{code: exitError, err: err}
			}
			for _, f := range written {
				fmt.Fprintf(a.stdout, "wrote %s\n", f)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "certificate directory to write (created if absent)")
	cmd.Flags().IntVar(&days, "days", 397, "validity of the server certificates, in days")
	return cmd
}
