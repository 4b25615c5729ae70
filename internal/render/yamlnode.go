package render

import (
	"bytes"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// mapping builds a YAML mapping whose keys keep insertion order, because
// readable output needs a chosen order, not Go's map order.
type mapping struct{ n *yaml.Node }

func newMapping() mapping { return mapping{&yaml.Node{Kind: yaml.MappingNode}} }

func (m mapping) set(key string, v *yaml.Node) mapping {
	m.n.Content = append(m.n.Content, str(key), v)
	return m
}

func (m mapping) empty() bool { return len(m.n.Content) == 0 }

// str builds a string scalar. yaml.v3 quotes a !!str value that would
// resolve to another type under YAML 1.2 ("5432", "true"); the words that are
// booleans or null only under YAML 1.1 ("no", "on", "y") it leaves bare, and
// PyYAML, yamllint or old docker-compose would read them as booleans, so
// those are quoted here.
func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if yaml11Special(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

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

func integer(i int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(i)}
}

func boolean(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

func list(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Content: items}
}

func strList(items []string) *yaml.Node {
	l := list()
	for _, s := range items {
		l.Content = append(l.Content, str(s))
	}
	return l
}

// encodeYAML prints a document with two-space indentation after a header.
func encodeYAML(header string, root *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(header)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

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
