package compile

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/azagen/azagen/internal/composecheck"
	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/load"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/rules"
)

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
