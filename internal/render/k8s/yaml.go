package k8s

import (
	"bytes"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// node is an ordered YAML mapping: Kubernetes objects read best in the
// order kubectl prints them (apiVersion, kind, metadata, spec), which Go's
// map order would lose.
type node struct{ n *yaml.Node }

func obj() node { return node{&yaml.Node{Kind: yaml.MappingNode}} }

func (m node) set(key string, v *yaml.Node) node {
	m.n.Content = append(m.n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	return m
}

func (m node) setComment(key, comment string, v *yaml.Node) node {
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, HeadComment: comment}
	m.n.Content = append(m.n.Content, k, v)
	return m
}

// str is a string scalar. Strings that YAML 1.1 readers would take for
// booleans or numbers ("on", "off", "5432") are double-quoted, because
// Kubernetes parameter maps hold strings only and some tools still read
// YAML 1.1.
func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if needsQuotes(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

func needsQuotes(s string) bool {
	switch s {
	case "", "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
		"Y", "N", "Yes", "No", "On", "Off", "True", "False", "YES", "NO", "ON", "OFF", "TRUE", "FALSE":
		return true
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return true
	}
	return false
}

func integer(i int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(i, 10)}
}

func boolean(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

func seq(items ...*yaml.Node) *yaml.Node { return &yaml.Node{Kind: yaml.SequenceNode, Content: items} }

func strs(items []string) *yaml.Node {
	l := seq()
	for _, s := range items {
		l.Content = append(l.Content, str(s))
	}
	return l
}

// literal is a block scalar (|), for embedded files.
func literal(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: yaml.LiteralStyle}
}

// encode prints documents separated by ---, two-space indentation, after a
// header.
func encode(header string, docs ...*yaml.Node) ([]byte, error) {
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
