// Package policy holds the rules azagen checks over the whole model after
// normalization: rules that need more than one field, one service or one
// stack, which CUE constraints cannot express with a useful position. Every
// finding has a stable rule ID, a severity, a position and a message.
package policy

import (
	"fmt"
	"maps"
	"slices"

	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
)

// Rule describes one check, for `azagen rules` and the docs.
type Rule struct {
	ID       string
	Severity diag.Severity
	Summary  string
	check    func(*checker)
}

// Rules returns every rule in ID order.
func Rules() []Rule {
	out := slices.Clone(rules)
	slices.SortFunc(out, func(a, b Rule) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out
}

var rules []Rule

func register(r Rule) { rules = append(rules, r) }

type checker struct {
	cfg   *model.Config
	pos   normalize.Positioner
	rule  Rule
	diags diag.List
}

func (c *checker) report(path, format string, args ...any) {
	c.diags = append(c.diags, diag.Diagnostic{
		Rule:     c.rule.ID,
		Severity: c.rule.Severity,
		Pos:      c.pos.Pos(path),
		Path:     path,
		Message:  fmt.Sprintf(format, args...),
	})
}

// Check runs every rule over a normalized model.
func Check(cfg *model.Config, pos normalize.Positioner) diag.List {
	var out diag.List
	for _, r := range Rules() {
		c := &checker{cfg: cfg, pos: pos, rule: r}
		r.check(c)
		out = append(out, c.diags...)
	}
	out.Sort()
	return out
}

// eachService visits services in a stable order.
func (c *checker) eachService(fn func(st *model.Stack, svc *model.Service, path string)) {
	for _, sk := range slices.Sorted(maps.Keys(c.cfg.Stacks)) {
		st := c.cfg.Stacks[sk]
		for _, name := range slices.Sorted(maps.Keys(st.Services)) {
			svc := st.Services[name]
			fn(st, svc, normalize.ServicePath(st, svc))
		}
	}
}

func (c *checker) eachStack(fn func(st *model.Stack, path string)) {
	for _, sk := range slices.Sorted(maps.Keys(c.cfg.Stacks)) {
		fn(c.cfg.Stacks[sk], "stacks."+normalize.Label(sk))
	}
}
