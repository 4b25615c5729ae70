package k8s

import (
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/azagen/azagen/internal/yamlnode"
)

// node is an ordered YAML mapping: Kubernetes objects read best in the
// order kubectl prints them (apiVersion, kind, metadata, spec), which Go's
// map order would lose. Keys are written as they are: every key is a name
// azagen or Kubernetes chose.
type node = yamlnode.Mapping

func obj() node { return yamlnode.NewMapping(nil) }

// str is a string scalar. Strings that YAML 1.1 readers would take for
// booleans or numbers ("on", "off", "5432") are double-quoted, because
// Kubernetes parameter maps hold strings only and some tools still read
// YAML 1.1.
func str(s string) *yaml.Node { return yamlnode.Str(s, needsQuotes) }

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

func strs(items []string) *yaml.Node { return yamlnode.Strs(items, needsQuotes) }

// literal is a block scalar (|), for embedded files.
func literal(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: yaml.LiteralStyle}
}
