package derive

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/template"

	"github.com/azagen/azagen/internal/model"
)

// FuzzInterpolation renders environment values the way compose.yaml holds
// them and reads them back with compose-go's own interpolation: a literal
// must come back unchanged (its '$' escaped), a default must come back when
// the variable is unset, and the variable's value when it is set.
func FuzzInterpolation(f *testing.F) {
	for _, s := range []string{"", "plain", "$HOME", "a$$b", "${X}", "${X:-y}", "100%", "semi;colon", "ünïcode", "}"} {
		f.Add(s, "value")
	}
	f.Fuzz(func(t *testing.T, s, set string) {
		unset := func(string) (string, bool) { return "", false }
		lit := Interpolation("K", model.EnvValue{Literal: &s})
		got, err := template.Substitute(lit, unset)
		if err != nil {
			t.Fatalf("literal %q rendered as %q does not interpolate: %v", s, lit, err)
		}
		if got != s {
			t.Fatalf("literal %q rendered as %q reads back as %q", s, lit, got)
		}
		// The env-message-safe rule refuses the rest before rendering.
		if !InterpolationSafe(s) {
			return
		}
		def := Interpolation("K", model.EnvValue{Var: "V", Default: &s})
		if got, err := template.Substitute(def, unset); err != nil || got != s {
			t.Fatalf("default %q rendered as %q reads back as %q, %v", s, def, got, err)
		}
		isSet := func(name string) (string, bool) { return set, name == "V" }
		if got, err := template.Substitute(def, isSet); err != nil || (set != "" && got != set) {
			t.Fatalf("default %q with V=%q reads back as %q, %v", s, set, got, err)
		}
		if s == "" {
			return
		}
		req := Interpolation("K", model.EnvValue{Var: "V", Required: s})
		if _, err := template.Substitute(req, unset); err == nil {
			t.Fatalf("required %q rendered as %q does not fail when V is unset", s, req)
		}
		if set != "" {
			if got, err := template.Substitute(req, isSet); err != nil || got != set {
				t.Fatalf("required %q with V=%q reads back as %q, %v", s, set, got, err)
			}
		}
	})
}
