// Package diag holds diagnostics as data: every schema error and policy
// finding is a Diagnostic with a rule ID, a severity and a source position,
// so the CLI can print it as text, JSON or GitHub annotations.
package diag

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity says whether a finding blocks rendering.
type Severity string

// Severities, from most to least serious.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Position is a place in a source file. Line and Col are 1-based; a zero
// Line means the finding has no position (for example a missing file).
type Position struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// String prints file:line:col, or just the file when there is no line.
func (p Position) String() string {
	switch {
	case p.File == "":
		return ""
	case p.Line == 0:
		return p.File
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	}
}

// Diagnostic is one finding.
type Diagnostic struct {
	Rule     string     `json:"rule"`
	Severity Severity   `json:"severity"`
	Pos      Position   `json:"position"`
	Path     string     `json:"path,omitempty"`
	Message  string     `json:"message"`
	Related  []Position `json:"related,omitempty"`
	// Env names the environment (stacks.cue environments) in which the
	// finding holds; empty for the source itself.
	Env string `json:"environment,omitempty"`
}

// List is a set of diagnostics.
type List []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (l List) HasErrors() bool {
	return slices.ContainsFunc(l, func(d Diagnostic) bool { return d.Severity == Error })
}

// Sort orders diagnostics by file, line, column, rule and message, so output
// is stable whatever order the checks ran in.
func (l List) Sort() {
	slices.SortStableFunc(l, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Env, b.Env),
			cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// Format names an output format for diagnostics.
type Format string

// Output formats.
const (
	Text   Format = "text"
	JSON   Format = "json"
	GitHub Format = "github"
)

// ParseFormat validates a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case Text, JSON, GitHub:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q: want text, json or github", s)
}

// Errors counts the diagnostics of severity error.
func (l List) Errors() int {
	n := 0
	for _, d := range l {
		if d.Severity == Error {
			n++
		}
	}
	return n
}

// String renders the list in the text format, one diagnostic a line.
func (l List) String() string {
	var b strings.Builder
	for _, d := range l {
		b.WriteString(d.String())
		b.WriteString("\n")
	}
	return b.String()
}

// String renders one diagnostic the way compilers do:
// file:line:col: severity: message [rule].
func (d Diagnostic) String() string {
	var b strings.Builder
	if pos := d.Pos.String(); pos != "" {
		b.WriteString(pos)
		b.WriteString(": ")
	}
	b.WriteString(string(d.Severity))
	b.WriteString(": ")
	// A path into the environment's own declaration names it already.
	if d.Env != "" && !strings.HasPrefix(d.Path, "environments."+label(d.Env)) {
		b.WriteString("environment ")
		b.WriteString(d.Env)
		b.WriteString(": ")
	}
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	b.WriteString(" [")
	b.WriteString(d.Rule)
	b.WriteString("]")
	for _, r := range d.Related {
		b.WriteString("\n\tsee ")
		b.WriteString(r.String())
	}
	return b.String()
}
