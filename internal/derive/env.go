package derive

import (
	"strings"
	"unicode"

	"github.com/azagen/azagen/internal/model"
)

// VarName is the variable an EnvValue reads: its own var, or the key it is
// assigned to.
func VarName(key string, v model.EnvValue) string {
	if v.Var != "" {
		return v.Var
	}
	return key
}

// ComposeLiteral writes s so that compose's interpolation, which runs over
// every string of a compose file, gives back s: each '$' is doubled
// (compose-spec, interpolation: "$$" is a literal "$"). azagen writes every
// literal string of a compose file through it; only the variables it means
// compose to fill (${VAR:-default}, ${VAR:?message}) are written bare.
func ComposeLiteral(s string) string { return strings.ReplaceAll(s, "$", "$$") }

// Interpolation renders an environment value in compose syntax. Literals
// have '$' doubled so compose never interpolates them.
func Interpolation(key string, v model.EnvValue) string {
	switch {
	case v.Literal != nil:
		return ComposeLiteral(*v.Literal)
	case v.Default != nil:
		return "${" + VarName(key, v) + ":-" + *v.Default + "}"
	default:
		return "${" + VarName(key, v) + ":?" + v.Required + "}"
	}
}

// ImageRef renders name:tag@digest, the digest possibly a required variable.
func ImageRef(img model.Image) string {
	return img.Name + ":" + img.Tag + "@" + Interpolation("", img.Digest)
}

// InterpolationSafe reports whether s can stand as the default or message
// of a ${VAR:-s} or ${VAR:?s}: compose's parser ends the expression at '}',
// reads '$' as a nested variable, and rejects control characters such as a
// newline ("Invalid template").
func InterpolationSafe(s string) bool {
	for _, r := range s {
		if r == '}' || r == '$' || unicode.IsControl(r) {
			return false
		}
	}
	return true
}
