// Package compile runs the whole pipeline in one direction: load, decode,
// normalize, policy, render, validate. It is what every command calls.
package compile

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/azagen/azagen/internal/composecheck"
	"github.com/azagen/azagen/internal/composelint"
	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/load"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
	"github.com/azagen/azagen/internal/output"
	"github.com/azagen/azagen/internal/policy"
	"github.com/azagen/azagen/internal/render"
	"github.com/azagen/azagen/internal/rules"
)

// Result is a finished compilation. Output is nil when Diags has errors:
// nothing may be written from an invalid source.
type Result struct {
	Source *load.Source
	Config *model.Config
	// Output holds every file: the source's, then each environment's under
	// environments/NAME/, and one manifest that owns them all.
	Output output.Set
	// SourceOutput holds the source's own files only (no environment, no
	// manifest), for azagen diff base NAME.
	SourceOutput output.Set
	Diags        diag.List
	// Environments are the compiled environments by name, each with its
	// files relative to its own directory (no manifest). Nil when Diags
	// has errors.
	Environments map[string]*Environment
}

// Environment is one compiled environment of the source.
type Environment struct {
	Name   string
	Source *load.Source
	Config *model.Config
	Output output.Set
}

// Options tune a compilation.
type Options struct {
	// Files are stacks.cue followed by the overlays.
	Files []string
	// CacheDir, when set, remembers compose files that passed compose-go
	// (see composecheck.Cache for why that is safe).
	CacheDir string
}

// BaseName names the source without an environment where an environment
// name is expected (azagen diff base staging).
const BaseName = "base"

// EnvironmentDir is the directory of an environment's files, relative to
// the output directory.
func EnvironmentDir(name string) string { return "environments/" + name }

// Compile loads the files (stacks.cue, then overlays) and renders them. The
// error is for I/O and internal failures; problems with the input are in
// Result.Diags.
func Compile(ctx context.Context, files []string) (*Result, error) {
	return CompileWith(ctx, Options{Files: files})
}

// CompileWith is Compile with options.
func CompileWith(ctx context.Context, opts Options) (*Result, error) {
	cache := composecheck.NewCache(opts.CacheDir)
	warmUp(cache)
	src, diags, err := load.Files(opts.Files)
	if err != nil {
		return nil, err
	}
	res := &Result{Source: src, Diags: diags}
	if diags.HasErrors() {
		return res, nil
	}
	base, err := build(ctx, cache, src, nil)
	if err != nil {
		return nil, err
	}
	res.Config, res.Diags = base.Config, append(res.Diags, base.diags...)
	if res.Diags.HasErrors() {
		return res, nil
	}
	set := maps.Clone(base.Output)
	envs := map[string]*Environment{}
	seen := map[string]bool{}
	for _, d := range res.Diags {
		seen[d.String()] = true
	}
	for _, name := range slices.Sorted(maps.Keys(base.Config.Environments)) {
		e, err := buildEnvironment(ctx, cache, src, base.Config.Environments[name])
		if err != nil {
			return nil, err
		}
		for _, d := range e.diags {
			// A finding the source has already is not news in each
			// environment.
			plain := d
			plain.Env = ""
			if !seen[plain.String()] {
				res.Diags = append(res.Diags, d)
			}
		}
		if e.Config == nil {
			continue
		}
		envs[name] = &e.Environment
		for _, p := range e.Output.Paths() {
			f := e.Output[p]
			f.Path = EnvironmentDir(name) + "/" + p
			if err := set.Add(f); err != nil {
				return nil, err
			}
		}
	}
	res.Diags.Sort()
	if res.Diags.HasErrors() {
		return res, nil
	}
	res.Environments, res.SourceOutput = envs, base.Output
	if res.Output, err = set.WithManifest(); err != nil {
		return nil, err
	}
	return res, nil
}

// built is one run of the pipeline after load: the source's or an
// environment's. Config is nil when it stopped at an error in diags.
type built struct {
	Environment
	diags diag.List
}

// build decodes, normalizes, checks, renders and validates one source.
// adjust, when set, changes the decoded model before normalization (an
// environment's tunables) and reports what it refused.
func build(ctx context.Context, cache *composecheck.Cache, src *load.Source, adjust func(*model.Config) diag.List) (*built, error) {
	b := &built{Environment: Environment{Source: src}}
	cfg, err := model.Decode(src.Value)
	if err != nil {
		return nil, fmt.Errorf("internal error: %w", err)
	}
	if adjust != nil {
		if b.diags = adjust(cfg); b.diags.HasErrors() {
			return b, nil
		}
	}
	b.diags = append(b.diags, normalize.Normalize(cfg, src)...)
	if b.diags.HasErrors() {
		b.diags.Sort()
		return b, nil
	}
	b.diags = append(b.diags, policy.Check(cfg, src)...)
	b.diags.Sort()
	if b.diags.HasErrors() {
		return b, nil
	}
	set, err := render.All(cfg)
	if err != nil {
		return nil, fmt.Errorf("internal error: %w", err)
	}
	b.diags = append(b.diags, validateCompose(ctx, cache, cfg, set, src)...)
	if b.diags.HasErrors() {
		return b, nil
	}
	b.Config, b.Output = cfg, set
	return b, nil
}

// validateCompose checks every rendered compose file with compose-go. A
// failure here is azagen's bug or a value CUE could not judge; it points at
// the stack in the source.
func validateCompose(ctx context.Context, cache *composecheck.Cache, cfg *model.Config, set output.Set, src *load.Source) diag.List {
	stacks := slices.Sorted(maps.Keys(cfg.Stacks))
	// compose-go compiles its schema once and is safe for concurrent use;
	// the files are independent, so they are checked in parallel and the
	// findings gathered in stack order.
	found := make([]diag.List, len(stacks))
	var wg sync.WaitGroup
	// Each file's two passes run side by side (composecheck.Validate), so
	// half as many files as cores keeps every core busy without holding
	// more of compose-go's models in memory at once.
	limit := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))
	for i, sk := range stacks {
		wg.Add(1)
		limit <- struct{}{}
		go func() {
			defer func() { <-limit; wg.Done() }()
			st := cfg.Stacks[sk]
			p := model.ComposePath(st.Key)
			f := set[p]
			dir := filepath.Dir(filepath.FromSlash(p))
			// The KICS findings point into the generated file: they mean
			// the renderer emitted something the rules forbid.
			found[i] = composelint.Check(filepath.ToSlash(filepath.Join("generated", p)), f.Data)
			if err := cache.Validate(ctx, p, dir, st.Name, f.Data, derive.SampleEnvironment(st)); err != nil {
				path := "stacks." + sk
				found[i] = append(found[i], diag.Diagnostic{Rule: rules.ComposeValid, Severity: diag.Error, Pos: src.Pos(path), Path: path,
					Message: fmt.Sprintf("rendered %s is not a valid compose file: %v", p, err)})
			}
		}()
	}
	wg.Wait()
	var out diag.List
	for _, d := range found {
		out = append(out, d...)
	}
	return out
}
