package render

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/azagen/azagen/internal/yamlnode"
)

// mapping is a YAML mapping whose keys keep insertion order, because
// readable output needs a chosen order, not Go's map order.
type mapping = yamlnode.Mapping

func newMapping() mapping { return yamlnode.NewMapping(yaml11Special) }

// str builds a string scalar. yaml.v3 quotes a !!str value that would
// resolve to another type under YAML 1.2 ("5432", "true"); the words that are
// booleans or null only under YAML 1.1 ("no", "on", "y") it leaves bare, and
// PyYAML, yamllint or old docker-compose would read them as booleans, so
// those are quoted here.
func str(s string) *yaml.Node { return yamlnode.Str(s, yaml11Special) }

func yaml11Special(s string) bool {
	switch strings.ToLower(s) {
	case "", "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~":
		return true
	}
	return false
}

// singleQuoted forces single quotes, the style dclint expects for ports.
func singleQuoted(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: yaml.SingleQuotedStyle}
}

func integer(i int) *yaml.Node { return yamlnode.Int(int64(i)) }

func strList(items []string) *yaml.Node { return yamlnode.Strs(items, yaml11Special) }

// collationKey orders names the way dclint's alphabetical-order rules
// compare them (JavaScript's localeCompare, i.e. the Unicode root
// collation): punctuation first with '_' before '-' before '.', then digits,
// then letters case-insensitively. Plain byte order puts '-' before '_' and
// makes dclint warn.
func collationKey(s string) []int {
	key := make([]int, 0, len(s))
	for _, r := range s {
		switch {
		case r == '_':
			key = append(key, 1)
		case r == '-':
			key = append(key, 2)
		case r == '.':
			key = append(key, 3)
		case r >= '0' && r <= '9':
			key = append(key, 10+int(r-'0'))
		case r >= 'a' && r <= 'z':
			key = append(key, 100+int(r-'a'))
		case r >= 'A' && r <= 'Z':
			key = append(key, 100+int(r-'A'))
		default:
			key = append(key, 1000+int(r))
		}
	}
	return key
}

// sortedNames returns map keys in dclint's order, byte order breaking ties.
func sortedNames[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := slices.Compare(collationKey(a), collationKey(b)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return keys
}
