// Package yamlnode builds YAML documents node by node, so that keys come in
// the order a reader expects rather than Go's map order, and encodes them
// with two-space indentation. The compose and Kubernetes renderers share
// it; each decides which string scalars need quotes (Quote).
package yamlnode

import (
	"bytes"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Quote reports whether a string scalar must be double-quoted because some
// reader would take it for another type. A nil Quote quotes nothing beyond
// what yaml.v3 quotes itself.
type Quote func(string) bool

// Str is a string scalar, double-quoted when q says so.
func Str(s string, q Quote) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if q != nil && q(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// Mapping is a YAML mapping whose keys keep insertion order. Its keys are
// string scalars quoted by its Quote.
type Mapping struct {
	Node  *yaml.Node
	quote Quote
}

// NewMapping is an empty mapping whose keys are quoted by q.
func NewMapping(q Quote) Mapping {
	return Mapping{Node: &yaml.Node{Kind: yaml.MappingNode}, quote: q}
}

// Set appends key: v.
func (m Mapping) Set(key string, v *yaml.Node) Mapping {
	m.Node.Content = append(m.Node.Content, Str(key, m.quote), v)
	return m
}

// SetComment appends key: v with a comment on the line above the key.
func (m Mapping) SetComment(key, comment string, v *yaml.Node) Mapping {
	k := Str(key, m.quote)
	k.HeadComment = comment
	m.Node.Content = append(m.Node.Content, k, v)
	return m
}

// Int is an integer scalar.
func Int(i int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(i, 10)}
}

// Bool is a boolean scalar.
func Bool(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

// Seq is a sequence of the items.
func Seq(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Content: items}
}

// Strs is a sequence of string scalars quoted by q.
func Strs(items []string, q Quote) *yaml.Node {
	l := Seq()
	for _, s := range items {
		l.Content = append(l.Content, Str(s, q))
	}
	return l
}

// Encode prints header, then the documents separated by ---, with
// two-space indentation.
func Encode(header string, docs ...*yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(header)
	for i, d := range docs {
		if i > 0 {
			buf.WriteString("---\n")
		}
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(d); err != nil {
			return nil, err
		}
		if err := enc.Close(); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}
