// Package diag holds diagnostics as data: every schema error and policy
// finding is a Diagnostic with a rule ID, a severity and a source position,
// so the CLI can print it as text, JSON or GitHub annotations.
package diag

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
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

// Print writes the list in the given format.
func (l List) Print(w io.Writer, f Format) error {
	switch f {
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		out := l
		if out == nil {
			out = List{}
		}
		return enc.Encode(out)
	case GitHub:
		for _, d := range l {
			level := "error"
			if d.Severity == Warning {
				level = "warning"
			}
			var props []string
			if d.Pos.File != "" {
				props = append(props, "file="+escapeProperty(d.Pos.File))
			}
			if d.Pos.Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", d.Pos.Line), fmt.Sprintf("col=%d", d.Pos.Col))
			}
			props = append(props, "title="+escapeProperty("azagen "+d.Rule))
			if _, err := fmt.Fprintf(w, "::%s %s::%s\n", level, strings.Join(props, ","), escapeData(d.Message)); err != nil {
				return err
			}
		}
		return nil
	default:
		for _, d := range l {
			if _, err := io.WriteString(w, d.String()+"\n"); err != nil {
				return err
			}
		}
		return nil
	}
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

// GitHub workflow commands need %, CR and LF escaped in data, and also : and ,
// in properties.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
