package docs

import (
	"strings"
)

// mdTable builds a GitHub-flavoured Markdown table. Cells are Markdown
// already (see code and text); the builder only lays them out.
type mdTable struct {
	head []string
	rows [][]string
}

func newTable(head ...string) *mdTable { return &mdTable{head: head} }

func (t *mdTable) add(cells ...string) { t.rows = append(t.rows, cells) }

// String renders the table, one row per line, ending with a newline. Cells
// are not padded: a wider value elsewhere must not rewrite every line.
func (t *mdTable) String() string {
	var b strings.Builder
	row := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			if c == "" {
				c = " "
			}
			b.WriteString(" " + c + " |")
		}
		b.WriteString("\n")
	}
	row(t.head)
	b.WriteString("|")
	for range t.head {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range t.rows {
		row(r)
	}
	return b.String()
}

// none is the cell of a value that is not set.
const none = "—"

// code renders s as an inline code span that survives a table cell: pipes
// are escaped (GFM splits cells before it parses code spans), line breaks
// become spaces, and the fence is longer than any backtick run inside.
func code(s string) string {
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

// text escapes prose for a table cell: characters that would start
// Markdown or HTML syntax, or end the cell.
func text(s string) string {
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

// codeList renders each item as code, separated by commas.
func codeList(items []string) string {
	if len(items) == 0 {
		return none
	}
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = code(s)
	}
	return strings.Join(out, ", ")
}
