package markdown

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDocumentWholeOutput pins the Markdown of every node kind, one blank
// line apart, with cells that try to break out of their cell or span.
func TestDocumentWholeOutput(t *testing.T) {
	tbl := NewTable("Name", "Value")
	tbl.Head[1] = Join(Text("Value in "), CodeSpan("x|y"))
	tbl.Add(CodeSpan("a|b"), Text("p|q <r> *s* [t] `u` \\"))
	tbl.Add(CodeSpan("x`y"), CodeList([]string{"`start", "two\nline"}))
	tbl.Add(Emph("base"), Text(""))
	tbl.Add(CodeSpan(""), CodeList(nil))
	c := Content{
		Heading{Level: 3, Text: CodeSpan("azagen vet")},
		Paragraph(Join(Text("Usage: "), CodeSpan("azagen vet [flags]"), Text("."))),
		CodeFence{Lang: "sh", Body: "echo ```\n"},
		tbl,
	}
	want := "### `azagen vet`\n" +
		"\n" +
		"Usage: `azagen vet [flags]`.\n" +
		"\n" +
		"````sh\necho ```\n````\n" +
		"\n" +
		"| Name | Value in `x\\|y` |\n" +
		"|---|---|\n" +
		"| `a\\|b` | p\\|q \\<r\\> \\*s\\* \\[t\\] \\`u\\` \\\\ |\n" +
		"| ``x`y`` | `` `start ``, `two line` |\n" +
		"| _base_ |   |\n" +
		"| `\"\"` | — |\n"
	if diff := cmp.Diff(want, c.String()); diff != "" {
		t.Errorf("markdown (-want +got):\n%s", diff)
	}
}

// TestDocumentCellsStayCells: whatever a cell holds, a GFM reader splits
// each row into exactly as many cells as the header (a pipe not preceded
// by a backslash ends a cell, inside code spans too).
func TestDocumentCellsStayCells(t *testing.T) {
	values := []string{"a|b", "|", "\\|", "x`|`y", "a\nb|c", "<!-- END azagen:x -->", "``", "\\"}
	for _, v := range values {
		tbl := NewTable("A", "B")
		tbl.Add(CodeSpan(v), Text(v))
		lines := strings.Split(strings.TrimSuffix(tbl.markdown(), "\n"), "\n")
		if len(lines) != 3 {
			t.Fatalf("%q: %d lines: %q", v, len(lines), lines)
		}
		if n := unescapedPipes(lines[2]); n != 3 {
			t.Errorf("%q: row %q has %d cell borders, want 3", v, lines[2], n)
		}
		if bad := MarkerIn(tbl.markdown()); bad != "" {
			t.Errorf("%q renders a marker line %q", v, bad)
		}
	}
}

func unescapedPipes(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}

// TestLiteralIsWhatAReaderSees: Literal drops markup, not text.
func TestLiteralIsWhatAReaderSees(t *testing.T) {
	in := Join(Text("a|b "), CodeSpan("c`d"), Emph("e"), CodeList([]string{"f", "g"}))
	if got, want := in.Literal(), "a|b c`def, g"; got != want {
		t.Errorf("Literal = %q, want %q", got, want)
	}
}
