package main

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/output"
)

func newDiffCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "diff ENV_A ENV_B",
		Short: "Show how two environments' rendered files differ",
		Long: `diff compiles stacks.cue and prints the unified diff of what two of its
environments render, file by file, from ENV_A to ENV_B. base names the
source without an environment. It reads and writes nothing else: the
files come from the compilation, not from the output directory.

It exits 0 when the two render the same files and 1 when they differ, as
diff(1) does. With --format json it prints the changed files and their
diffs as one JSON object; an invalid source prints its diagnostics as every
command does. Every environment must be valid: the source and its
environments compile as one.`,
		Example: `  azagen diff base staging
  azagen diff staging production`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, format, err := a.compileAndWarn(cmd.Context())
			if err != nil {
				return err
			}
			sets := make([]output.Set, 2)
			for i, name := range args {
				e, _, err := a.environment(res, name)
				if err != nil {
					return err
				}
				sets[i] = e.Output
				if name == compile.BaseName {
					sets[i] = res.SourceOutput
				}
			}
			changes, err := output.Compare(sets[0], sets[1], args[0], args[1])
			if err != nil {
				return &exitErr{code: exitError, err: err}
			}
			if format == diag.JSON {
				if err := encodeJSON(a.stdout, struct {
					Diagnostics diag.List       `json:"diagnostics"`
					From        string          `json:"from"`
					To          string          `json:"to"`
					Changed     []output.Change `json:"changed"`
				}{nonNil(res.Diags), args[0], args[1], append([]output.Change{}, changes...)}); err != nil {
					return &exitErr{code: exitError, err: err}
				}
			} else {
				for _, c := range changes {
					fmt.Fprint(a.stdout, c.Diff)
				}
			}
			if len(changes) == 0 {
				fmt.Fprintf(a.stderr, "azagen: %s and %s render the same files\n", args[0], args[1])
				return nil
			}
			fmt.Fprintf(a.stderr, "azagen: %s and %s differ in %d file(s)\n", args[0], args[1], len(changes))
			return &exitErr{code: exitDrift}
		},
	}
}

// environment picks what a command looks at: the source itself when name
// is empty or base, or the named environment. out is that one's output
// directory.
func (a *app) environment(res *compile.Result, name string) (*compile.Environment, string, error) {
	if name == "" || name == compile.BaseName {
		return &compile.Environment{Name: compile.BaseName, Source: res.Source, Config: res.Config, Output: res.Output}, a.out(), nil
	}
	e := res.Environments[name]
	if e == nil {
		known := append([]string{compile.BaseName}, slices.Sorted(maps.Keys(res.Environments))...)
		return nil, "", &exitErr{code: exitError, err: fmt.Errorf("no environment %q in %s (known: %s)", name, a.file, strings.Join(known, ", "))}
	}
	return e, filepath.Join(a.out(), filepath.FromSlash(compile.EnvironmentDir(name))), nil
}
