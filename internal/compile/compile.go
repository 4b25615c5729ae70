// Package compile runs the whole pipeline in one direction: load, decode,
// normalize, policy, render, validate. It is what every command calls.
package compile

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
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
	set := output.Set{}
	for _, p := range base.Output.Paths() {
		if err := set.Add(base.Output[p]); err != nil {
			return nil, err
		}
	}
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

// buildEnvironment runs the pipeline on the source as env sees it. Every
// finding carries the environment's name.
func buildEnvironment(ctx context.Context, cache *composecheck.Cache, src *load.Source, env *model.Environment) (*built, error) {
	b := &built{Environment: Environment{Name: env.Name}}
	if msg := environmentName(env.Name); msg != "" {
		path := diag.CUEPath(diag.Fields("environments", env.Name)...)
		b.diags = diag.List{{Rule: rules.Environment, Severity: diag.Error, Pos: src.Pos(path), Path: path, Env: env.Name, Message: msg}}
		return b, nil
	}
	esrc, diags := src.Environment(env.Name)
	if diags.HasErrors() {
		b.diags = diags
	} else {
		r, err := build(ctx, cache, esrc, func(cfg *model.Config) diag.List {
			cfg.Active = cfg.Environments[env.Name]
			return applyTunables(cfg, env, src)
		})
		if err != nil {
			return nil, fmt.Errorf("environment %s: %w", env.Name, err)
		}
		b = r
		b.Name = env.Name
		pointAtEnvironment(b.diags, env, src)
	}
	for i := range b.diags {
		b.diags[i].Env = env.Name
	}
	return b, nil
}

// validEnvironmentName is what an environment's name may be: it names a
// directory and a command-line argument.
var validEnvironmentName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

// environmentName says what is wrong with an environment's name, or "".
func environmentName(name string) string {
	switch {
	case name == BaseName:
		return "the name base is reserved: it names the source without an environment (azagen diff base NAME)"
	case !validEnvironmentName.MatchString(name):
		return fmt.Sprintf("environment name %q must be a lower-case name: a letter, then letters, digits, '-' or '_' (at most 63 characters); it names a directory and a command-line argument", name)
	}
	return ""
}

// pointAtEnvironment adds to each finding in a stack the environment
// changes the places where it changes that stack, since the source alone
// does not have the finding. When there is exactly one such place, it
// becomes the finding's position and the source's place a related one.
func pointAtEnvironment(l diag.List, env *model.Environment, src *load.Source) {
	envPath := diag.CUEPath(diag.Fields("environments", env.Name)...)
	for i := range l {
		d := &l[i]
		if strings.HasPrefix(d.Path, envPath) {
			continue
		}
		var places []diag.Position
		for _, key := range slices.Sorted(maps.Keys(env.Tunables)) {
			stack := diag.CUEPath(diag.Fields("stacks", key)...)
			if d.Path != stack && !strings.HasPrefix(d.Path, stack+".") {
				continue
			}
			for _, name := range slices.Sorted(maps.Keys(env.Tunables[key])) {
				places = append(places, src.Pos(diag.CUEPath(diag.Fields("environments", env.Name, "tunables", key, name)...)))
			}
		}
		if p, ok := src.EnvironmentValuePos(env.Name, d.Path); ok {
			places = append(places, p)
		}
		if len(places) == 1 && places[0] != d.Pos {
			d.Related = append([]diag.Position{d.Pos}, d.Related...)
			d.Pos = places[0]
			continue
		}
		for _, p := range places {
			if p != d.Pos && !slices.Contains(d.Related, p) {
				d.Related = append(d.Related, p)
			}
		}
	}
}

// byteSize is the schema's #ByteSize (types.cue).
var byteSize = regexp.MustCompile(`^[0-9]+(b|k|kb|m|mb|g|gb)$`)

// tunableLiteral says how a tunable's value must be written when et is not
// written so, or "": the same literal the declaration's default takes in
// stacks.cue, so that an environment cannot render what the schema
// refuses there ("2G", "05555", a size without a unit).
func tunableLiteral(t *model.Tunable, et model.EnvTunable) string {
	switch t.Kind {
	case model.TunableSize:
		if !et.Quoted || !byteSize.MatchString(et.Text) {
			return fmt.Sprintf("a Compose byte size in quotes, such as %q", t.Default)
		}
	case model.TunableEnum:
		if !et.Quoted {
			return fmt.Sprintf("a string in quotes, such as %q", t.Default)
		}
	case model.TunableInt:
		if et.Quoted || strings.ContainsAny(et.Text, ".eE") || strings.HasPrefix(et.Text, "-0") {
			return fmt.Sprintf("an integer without quotes, such as %s", t.Default)
		}
	case model.TunableNumber:
		if et.Quoted {
			return fmt.Sprintf("a number without quotes, such as %s", t.Default)
		}
	}
	return ""
}

// applyTunables gives the tunables env names their environment defaults.
// A stack or tunable stacks.cue does not declare, and a value outside the
// tunable's range or set, are refused at the environment's entry.
func applyTunables(cfg *model.Config, env *model.Environment, src *load.Source) diag.List {
	var out diag.List
	report := func(path, format string, args ...any) {
		out = append(out, diag.Diagnostic{Rule: rules.Environment, Severity: diag.Error, Pos: src.Pos(path), Path: path,
			Message: fmt.Sprintf(format, args...)})
	}
	for _, key := range slices.Sorted(maps.Keys(env.Tunables)) {
		st := cfg.Stacks[key]
		if st == nil {
			report(diag.CUEPath(diag.Fields("environments", env.Name, "tunables", key)...),
				"stacks.cue has no stack %s (stacks: %s)", key, strings.Join(slices.Sorted(maps.Keys(cfg.Stacks)), ", "))
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(env.Tunables[key])) {
			path := diag.CUEPath(diag.Fields("environments", env.Name, "tunables", key, name)...)
			et := env.Tunables[key][name]
			value := et.Text
			var decl *model.Tunable
			var names []string
			for _, t := range st.Tunables {
				if t.Name == name && decl == nil {
					decl = t
				}
				if !slices.Contains(names, t.Name) {
					names = append(names, t.Name)
				}
			}
			if decl == nil {
				report(path, "stack %s declares no tunable %s (its tunables: %s)", key, name, strings.Join(names, ", "))
				continue
			}
			if want := tunableLiteral(decl, et); want != "" {
				report(path, "%s must be written as its declaration is: %s", name, want)
				continue
			}
			if err := derive.TunableValue(decl, value); err != nil {
				report(path, "%s: %v", value, err)
				continue
			}
			if err := st.SetTunableDefault(name, value); err != nil {
				report(path, "%v", err)
			}
		}
	}
	return out
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
