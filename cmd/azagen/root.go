package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/composecheck"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/load"
	"github.com/azagen/azagen/internal/rules"
)

// exitErr carries an exit code out of a command, with the error message or
// the diagnostics that run prints for it (or neither, when the command has
// printed everything already). summary follows the diagnostics in the text
// format, after their error count.
type exitErr struct {
	code    int
	err     error
	diags   diag.List
	summary string
}

func (e *exitErr) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

// app holds what every command shares: the streams and the global flags.
type app struct {
	stdout, stderr io.Writer
	file           string
	overlays       []string
	outDir         string
	format         string
	noCache        bool
	timeout        time.Duration
	// identity names this binary for the caches (commit and dependency
	// versions of a clean build); empty turns the check-result cache off.
	identity string
	// refsSeen, when set, records every path the docs' dead-reference
	// check looks at, for the check-result cache.
	refsSeen map[string]bool
}

// inputs lists stacks.cue followed by the overlays, in unification order.
func (a *app) inputs() []string { return append([]string{a.file}, a.overlays...) }

// root is the directory of stacks.cue: generated/ and docs/ live beside it.
func (a *app) root() string { return filepath.Dir(a.file) }

// out is the output directory.
func (a *app) out() string {
	if a.outDir != "" {
		return a.outDir
	}
	return filepath.Join(a.root(), "generated")
}

// cacheDir is where compose validation results are remembered, or "" when
// the cache is off (--no-cache or AZAGEN_CACHE=off).
func (a *app) cacheDir() string { return a.cacheSubdir(rules.ComposeValid) } // that rule's verdicts

// cacheSubdir is the directory of one cache under the user's cache
// directory, or "" when caching is off.
func (a *app) cacheSubdir(name string) string {
	if a.noCache || os.Getenv("AZAGEN_CACHE") == "off" {
		return ""
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "azagen", name)
}

func (a *app) diagFormat() (diag.Format, error) {
	f, err := diag.ParseFormat(a.format)
	if err != nil {
		return "", &exitErr{code: exitError, err: err}
	}
	return f, nil
}

// compile runs the pipeline. An invalid input ends the command: the error
// is an exitErr with code 2 carrying the findings, which run prints. The
// findings of a valid input (warnings) are in the result, for the command
// to print with the rest of its output.
func (a *app) compile(ctx context.Context) (*compile.Result, error) {
	if _, err := a.diagFormat(); err != nil {
		return nil, err
	}
	res, err := a.compileWithin(ctx)
	if err != nil {
		var re *load.ReadError
		if errors.As(err, &re) {
			return nil, &exitErr{code: exitError, err: fmt.Errorf("cannot read input: %w", re.Err)}
		}
		return nil, &exitErr{code: exitError, err: err}
	}
	if res.Diags.HasErrors() {
		return res, &exitErr{code: exitInvalid, diags: res.Diags, summary: "; nothing was written"}
	}
	return res, nil
}

// compileAndWarn is compile for the commands that go on with a valid
// input: it prints the input's warnings, except in the JSON format, where
// the command puts them in its own object.
func (a *app) compileAndWarn(ctx context.Context) (*compile.Result, diag.Format, error) {
	format, err := a.diagFormat()
	if err != nil {
		return nil, "", err
	}
	res, err := a.compile(ctx)
	if err != nil {
		return nil, "", err
	}
	if format != diag.JSON {
		if err := a.printDiags(format, res.Diags); err != nil {
			return nil, "", &exitErr{code: exitError, err: err}
		}
	}
	return res, format, nil
}

// compileWithin runs the pipeline under the --timeout budget. CUE's
// evaluation cannot be interrupted, and a few lines of CUE can ask for
// unbounded work (list.Range over 10^8 items ran out the clock and the
// memory), so an input that exhausts the budget is reported as invalid and
// the process exits with the evaluation abandoned.
func (a *app) compileWithin(ctx context.Context) (*compile.Result, error) {
	type outcome struct {
		res *compile.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := compile.CompileWith(ctx, compile.Options{Files: a.inputs(), CacheDir: a.cacheDir()})
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		return o.res, o.err
	case <-time.After(a.timeout):
		return &compile.Result{Diags: diag.List{{
			Rule: rules.EvalBudget, Severity: diag.Error,
			Pos: diag.Position{File: a.file, Line: 1, Col: 1},
			Message: fmt.Sprintf("evaluation did not finish within %s: the input asks for values too large to check "+
				"(for example list.Range over millions of items); raise --timeout if that is intended", a.timeout),
		}}}, nil
	}
}

func newRootCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "azagen",
		Short: "Compile stacks.cue into the aza-pg compose stacks and their configs",
		Long: `azagen validates stacks.cue against its embedded CUE schema, normalizes it and
renders every generated file of the aza-pg deployment from it: the compose
files, .env.example, PostgreSQL and PgBouncer configs, scripts, exporter
queries and the docs tables. The same binary is the pre-commit drift check
and the CI diff gate.

` + exitCodeHelp(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetOut(a.stdout)
	cmd.SetErr(a.stderr)
	pf := cmd.PersistentFlags()
	pf.StringVarP(&a.file, "file", "f", "stacks.cue", "the stacks.cue to compile")
	pf.StringArrayVar(&a.overlays, "overlay", nil, "extra .cue file unified on top of --file (repeatable, applied in order)")
	pf.StringVar(&a.outDir, "out", "", "output directory (default: generated/ beside --file)")
	pf.StringVar(&a.format, "format", "text", "diagnostics format: text, json or github")
	pf.DurationVar(&a.timeout, "timeout", 30*time.Second, "give up on an input whose evaluation takes longer (exit 2)")
	pf.BoolVar(&a.noCache, "no-cache", false, "do not use or fill the caches of compose validation and clean check results (also AZAGEN_CACHE=off)")
	cmd.AddCommand(newRenderCmd(a), newCheckCmd(a), newVetCmd(a), newVersionCmd(a), newRulesCmd(a), newExplainCmd(a), newCertsCmd(a), newDiffCmd(a))
	return cmd
}

// run executes the command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runApp(ctx, &app{stdout: stdout, stderr: stderr, identity: composecheck.BuildIdentity()}, args)
}

// runApp executes the command line on a prepared app.
func runApp(ctx context.Context, a *app, args []string) int {
	stderr := a.stderr
	cmd := newRootCmd(a)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitErr
	if errors.As(err, &ee) {
		if len(ee.diags) > 0 {
			// The format was valid, or nothing would have been found.
			format, _ := a.diagFormat()
			if err := a.printFailure(format, ee.diags, ee.summary); err != nil {
				fmt.Fprintf(stderr, "azagen: %v\n", err)
				return exitError
			}
		}
		if ee.err != nil {
			fmt.Fprintf(stderr, "azagen: %v\n", ee.err)
		}
		return ee.code
	}
	// Anything else came from cobra itself: an unknown command or flag.
	fmt.Fprintf(stderr, "azagen: %v\nRun 'azagen --help' for usage.\n", err)
	return exitError
}
