package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/explain"
)

func newExplainCmd(a *app) *cobra.Command {
	var environment string
	cmd := &cobra.Command{
		Use:   "explain <path>",
		Short: "Show where a value comes from and which generated lines use it",
		Long: `explain compiles stacks.cue and follows one value of the configuration, named
by its CUE path, from its source to its uses:

  - where it is written: stacks.cue or an overlay (file:line:col), or the
    schema default azagen filled in, and the schema constraints it met;
  - what normalization did: which healthcheck layer won, a duration
    rewritten in canonical form, a variable derived from the connection
    model;
  - which generated files and lines hold the rendered value.

Paths are written as in CUE (stacks.replica.services."postgres-replica".ports[0].host)
or without quotes and brackets (stacks.replica.services.postgres-replica.ports.0.host).
A path to a struct lists its fields. With --environment NAME it explains
the value as that environment of stacks.cue has it. explain writes nothing.`,
		Example: `  azagen explain stacks.replica.services.postgres-replica.healthcheck.start_period
  azagen explain stacks.primary.services.postgres.ports.0.host_ip
  azagen explain stacks.primary.services.pgbouncer.environment.PGPASSFILE
  azagen explain postgresql.base.wal_compression --format json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, format, err := a.compileAndWarn(cmd.Context())
			if err != nil {
				return err
			}
			e, out, err := a.environment(res, environment)
			if err != nil {
				return err
			}
			ex, err := explain.Explain(explain.Input{
				Source: e.Source, Config: e.Config, Output: e.Output,
				OutDisplay: displayPath(out), Environment: res.Config.Environments[environment],
			}, args[0])
			if err != nil {
				var nf *explain.NotFoundError
				if errors.As(err, &nf) {
					return &exitErr{code: exitError, err: err}
				}
				return &exitErr{code: exitError, err: fmt.Errorf("explain: %w", err)}
			}
			if format == diag.JSON {
				return encodeJSON(a.stdout, struct {
					Diagnostics diag.List `json:"diagnostics"`
					*explain.Explanation
				}{nonNil(res.Diags), ex})
			}
			printExplanation(a, ex)
			return nil
		},
	}
	cmd.Flags().StringVar(&environment, "environment", "", "explain the value in this environment of stacks.cue (base: the source itself)")
	return cmd
}

func printExplanation(a *app, ex *explain.Explanation) {
	w := a.stdout
	if ex.Value != "" {
		fmt.Fprintf(w, "%s = %s\n", ex.Path, ex.Value)
	} else {
		fmt.Fprintln(w, ex.Path)
	}
	if len(ex.Fields) > 0 {
		fmt.Fprintln(w, "\nfields:")
		for _, f := range ex.Fields {
			fmt.Fprintf(w, "  %s\n", f)
		}
	}
	fmt.Fprintln(w, "\ncomes from:")
	for _, s := range ex.Sources {
		pos := "-"
		if s.Pos != nil {
			pos = s.Pos.String()
		}
		line := fmt.Sprintf("  %s: %s", pos, s.Kind)
		if s.Value != "" {
			line += " " + s.Value
		}
		if s.Note != "" {
			line += " (" + s.Note + ")"
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w, "\nused in:")
	if len(ex.UsedIn) == 0 {
		fmt.Fprintln(w, "  (no generated line holds this value as such)")
	}
	for _, u := range ex.UsedIn {
		fmt.Fprintf(w, "  %s:%d: %s\n", u.File, u.Line, u.Text)
	}
	if q := ex.Query; q != nil {
		fmt.Fprintf(w, "\nresolves on PostgreSQL %s:\n", q.Catalog)
		if q.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", q.Error)
			return
		}
		for _, r := range q.Relations {
			name := r.Relation
			if r.Extension != "" {
				name += " (extension " + r.Extension + ")"
			}
			fmt.Fprintf(w, "  relation %s: %s\n", name, strings.Join(r.Columns, ", "))
		}
		if len(q.Functions) > 0 {
			fmt.Fprintf(w, "  functions: %s\n", strings.Join(q.Functions, ", "))
		}
		for _, c := range q.Columns {
			typ := c.Type
			if typ == "" {
				typ = "?"
			}
			fmt.Fprintf(w, "  column %s %s %s\n", c.Name, typ, c.Usage)
		}
	}
}
