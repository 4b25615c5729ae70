package markdown

import "strings"

// SpanKind says how a span of inline text is marked up.
type SpanKind int

const (
	// Plain text, escaped so it cannot start Markdown or HTML syntax or
	// end a table cell.
	Plain SpanKind = iota
	// Code is an inline code span.
	Code
	// Emphasis is _text_.
	Emphasis
)

// Span is a run of inline text of one kind. Text is the literal value,
// never Markdown: the renderer escapes it.
type Span struct {
	Kind SpanKind
	Text string
}

// Inline is a sequence of spans: a table cell, a paragraph or a heading.
type Inline []Span

// Text is plain text.
func Text(s string) Inline { return Inline{{Plain, s}} }

// CodeSpan is one inline code span.
func CodeSpan(s string) Inline { return Inline{{Code, s}} }

// Emph is emphasised text.
func Emph(s string) Inline { return Inline{{Emphasis, s}} }

// None is the cell of a value that is not set.
var None = Text("—")

// Join concatenates inline parts.
func Join(parts ...Inline) Inline {
	var out Inline
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// CodeList is each item as code, separated by commas; None when empty.
func CodeList(items []string) Inline {
	if len(items) == 0 {
		return None
	}
	var out Inline
	for i, s := range items {
		if i > 0 {
			out = append(out, Span{Plain, ", "})
		}
		out = append(out, Span{Code, s})
	}
	return out
}

// Literal is the text of the spans without any markup, as a reader sees it.
func (in Inline) Literal() string {
	var b strings.Builder
	for _, s := range in {
		b.WriteString(s.Text)
	}
	return b.String()
}

// String renders the spans as Markdown that survives a table cell.
func (in Inline) String() string {
	var b strings.Builder
	for _, s := range in {
		switch s.Kind {
		case Code:
			if strings.Contains(s.Text, `\|`) {
				// GFM splits a row before it parses code spans and reads
				// \\| as an escaped backslash and a cell border, so no code
				// span can hold a backslash before a pipe; escaped text can.
				b.WriteString(escape(s.Text))
				break
			}
			b.WriteString(codeSpan(s.Text))
		case Emphasis:
			b.WriteString("_" + escape(s.Text) + "_")
		default:
			b.WriteString(escape(s.Text))
		}
	}
	return b.String()
}

// codeSpan renders s as an inline code span that survives a table cell:
// pipes are escaped (GFM splits cells before it parses code spans), line
// breaks become spaces, and the fence is longer than any backtick run
// inside (CommonMark 0.31, "Code spans").
func codeSpan(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "|", `\|`).Replace(s)
	if s == "" {
		return "`\"\"`"
	}
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || (strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ")) {
		s = " " + s + " "
	}
	return fence + s + fence
}

// escape makes prose safe for a table cell: characters that would start
// Markdown or HTML syntax, or end the cell, are backslash-escaped, and line
// breaks become spaces.
func escape(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ").Replace(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '|', '*', '<', '>', '[', ']', '`':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Node is one block of a document: a Paragraph, Heading, Table or
// CodeFence.
type Node interface {
	// markdown renders the block, ending with one newline.
	markdown() string
}

// Content is a sequence of nodes, rendered one blank line apart.
type Content []Node

// String renders the content as GitHub-flavoured Markdown.
func (c Content) String() string {
	var b strings.Builder
	for i, blk := range c {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(blk.markdown())
	}
	return b.String()
}

// Paragraph is one paragraph of inline text.
type Paragraph Inline

func (p Paragraph) markdown() string { return Inline(p).String() + "\n" }

// Heading is an ATX heading of Level 1 to 6.
type Heading struct {
	Level int
	Text  Inline
}

func (h Heading) markdown() string {
	return strings.Repeat("#", h.Level) + " " + h.Text.String() + "\n"
}

// CodeFence is a fenced code block. Body is literal; the fence is longer
// than any backtick run of three or more inside it.
type CodeFence struct {
	Lang string
	Body string
}

func (f CodeFence) markdown() string {
	fence := "```"
	for strings.Contains(f.Body, fence) {
		fence += "`"
	}
	return fence + f.Lang + "\n" + strings.TrimRight(f.Body, "\n") + "\n" + fence + "\n"
}

// Table is a GitHub-flavoured Markdown table: a header and rows of cells.
// Every row has as many cells as the header.
type Table struct {
	Head []Inline
	Rows [][]Inline
}

// NewTable starts a table whose header cells are plain text.
func NewTable(head ...string) *Table {
	t := &Table{}
	for _, h := range head {
		t.Head = append(t.Head, Text(h))
	}
	return t
}

// Add appends one row.
func (t *Table) Add(cells ...Inline) { t.Rows = append(t.Rows, cells) }

// markdown lays the table out one row per line. Cells are not padded: a
// wider value elsewhere must not rewrite every line of a diff.
func (t *Table) markdown() string {
	var b strings.Builder
	row := func(cells []Inline) {
		b.WriteString("|")
		for _, c := range cells {
			s := c.String()
			if s == "" {
				s = " "
			}
			b.WriteString(" " + s + " |")
		}
		b.WriteString("\n")
	}
	row(t.Head)
	b.WriteString("|")
	for range t.Head {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		row(r)
	}
	return b.String()
}
