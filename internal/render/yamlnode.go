package render

import (
	"bytes"
	"strconv"

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

// str encodes a string scalar. Going through Encode makes yaml.v3 quote
// values that YAML 1.1 readers would take for booleans or numbers ("no",
// "on", "5432").
func str(s string) *yaml.Node {
	var n yaml.Node
	if err := n.Encode(s); err != nil {
		panic(err) // encoding a string cannot fail
	}
	return &n
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
