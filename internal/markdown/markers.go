// Package markdown is azagen's model-agnostic Markdown: the marker engine
// that finds the generated blocks of a hand-written file (Parse), the line
// scanner it shares with the docs link checker (Lines, Fence, CodeSpans),
// and a small document model (Inline, Table, Paragraph, Heading, CodeFence)
// that table builders return and String renders as GitHub-flavoured
// Markdown. It knows nothing of stacks or services.
package markdown

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/rules"
)

// markerLine is a whole line holding one marker. Up to three spaces of
// indentation are allowed, as for any Markdown block.
var markerLine = regexp.MustCompile(`^( {0,3})<!--\s*(BEGIN|END)\s+azagen:(\S*)\s*-->\s*$`)

// nearMarker finds text that was probably meant as a marker: it is reported
// rather than silently left alone, so a typo never leaves a stale table.
// A backslash-escaped \<!-- is literal text to Markdown, not a comment:
// that is how a table cell shows marker syntax, so it is not reported.
var nearMarker = regexp.MustCompile(`(?i)(?:^|[^\\])(<!--)\s*(?:BEGIN|END)\b[^>]*\bazagen\b`)

// tableName is the grammar of a table reference: a name, optionally with
// one argument (a stack, a workload) after a dot.
var tableName = regexp.MustCompile(`^[a-z][a-z0-9-]*(\.[a-z][a-z0-9_-]*)?$`)

// Block is one pair of markers and the generated text between them.
type Block struct {
	// Table is the full reference, e.g. "ports.primary".
	Table string
	// Begin and End are the positions of the two marker comments.
	Begin, End diag.Position
	// NameCol is the column of the table name in the BEGIN line.
	NameCol int
	// ContentStart and ContentEnd delimit the bytes between the BEGIN
	// line (after its newline) and the END line.
	ContentStart, ContentEnd int
	// Newline is the line ending of the BEGIN line, kept for the
	// generated lines.
	Newline string
}

// Line is one line of a file with its byte offset.
type Line struct {
	Num    int    // 1-based
	Start  int    // byte offset of the line in the file
	Text   string // without the line ending
	Ending string // "\n", "\r\n" or "" on a last line without one
}

// Lines splits data into lines, keeping each line's ending.
func Lines(data []byte) []Line {
	var out []Line
	s := string(data)
	off := 0
	for n := 1; off < len(s); n++ {
		end := strings.IndexByte(s[off:], '\n')
		var text, ending string
		if end < 0 {
			text = s[off:]
		} else {
			text, ending = s[off:off+end], "\n"
		}
		if strings.HasSuffix(text, "\r") {
			text, ending = text[:len(text)-1], "\r"+ending
		}
		out = append(out, Line{Num: n, Start: off, Text: text, Ending: ending})
		off += len(text) + len(ending)
	}
	return out
}

// Fence tracks fenced code blocks: nothing inside one is a marker, a link
// or a path reference, so docs can show marker syntax in examples. The zero
// value is outside any block.
type Fence struct {
	char byte
	n    int
}

// Update consumes one line and reports whether the line is part of a
// fenced block (including its opening and closing fences).
func (f *Fence) Update(text string) bool {
	t := strings.TrimLeft(text, " ")
	if len(text)-len(t) > 3 {
		return f.n > 0
	}
	if f.n > 0 {
		if run := leadingRun(t, f.char); run >= f.n && strings.TrimSpace(t[run:]) == "" {
			f.n = 0
		}
		return true
	}
	for _, c := range []byte{'`', '~'} {
		if run := leadingRun(t, c); run >= 3 {
			if c == '`' && strings.Contains(t[run:], "`") {
				continue // not a fence: an info string cannot hold a backtick
			}
			f.char, f.n = c, run
			return true
		}
	}
	return false
}

func leadingRun(s string, c byte) int {
	n := 0
	for n < len(s) && s[n] == c {
		n++
	}
	return n
}

// Parse finds the marker blocks of one Markdown file. file is the name
// used in positions. Structural problems are returned as diagnostics; the
// blocks are only usable when there are none.
func Parse(file string, data []byte) ([]Block, diag.List) {
	var (
		blocks []Block
		diags  diag.List
		open   *Block
		seen   = map[string]diag.Position{}
		f      Fence
	)
	errAt := func(rule string, ln Line, col int, format string, args ...any) {
		diags = append(diags, diag.Diagnostic{
			Rule: rule, Severity: diag.Error,
			Pos:     diag.Position{File: file, Line: ln.Num, Col: col},
			Message: fmt.Sprintf(format, args...),
		})
	}
	for _, ln := range Lines(data) {
		if f.Update(ln.Text) {
			continue
		}
		m := markerLine.FindStringSubmatch(ln.Text)
		if m == nil {
			if loc := nearMarker.FindStringSubmatchIndex(StripCodeSpans(ln.Text)); loc != nil {
				errAt(rules.DocsMarker, ln, loc[2]+1, "malformed azagen marker: write <!-- BEGIN azagen:<table> --> or <!-- END azagen:<table> --> alone on its line")
			}
			continue
		}
		col := len(m[1]) + 1
		kind, name := m[2], m[3]
		nameCol := strings.Index(ln.Text, "azagen:") + len("azagen:") + 1
		pos := diag.Position{File: file, Line: ln.Num, Col: col}
		if !tableName.MatchString(name) {
			errAt(rules.DocsMarker, ln, nameCol, "malformed table name %q: want a name such as ports or ports.primary", name)
			if kind == "BEGIN" && open == nil {
				// Keep the block open so its END is not reported as well.
				open = &Block{Table: name, Begin: pos}
			}
			continue
		}
		switch kind {
		case "BEGIN":
			if open != nil {
				errAt(rules.DocsMarker, ln, col, "BEGIN azagen:%s is nested inside azagen:%s opened at %s; close that block first", name, open.Table, open.Begin)
			}
			open = &Block{Table: name, Begin: pos, NameCol: nameCol, ContentStart: ln.Start + len(ln.Text) + len(ln.Ending), Newline: ln.Ending}
			if open.Newline == "" {
				open.Newline = "\n"
			}
		case "END":
			switch {
			case open == nil:
				errAt(rules.DocsMarker, ln, col, "END azagen:%s has no BEGIN before it", name)
			case open.Table != name:
				errAt(rules.DocsMarker, ln, col, "END azagen:%s does not match BEGIN azagen:%s at %s", name, open.Table, open.Begin)
				open = nil
			default:
				open.End, open.ContentEnd = pos, ln.Start
				if first, dup := seen[name]; dup {
					errAt(rules.DocsMarker, Line{Num: open.Begin.Line}, open.Begin.Col, "azagen:%s appears twice in this file; the first block is at %s", name, first)
				} else {
					seen[name] = open.Begin
				}
				blocks = append(blocks, *open)
				open = nil
			}
		}
	}
	if open != nil {
		diags = append(diags, diag.Diagnostic{
			Rule: rules.DocsMarker, Severity: diag.Error, Pos: open.Begin,
			Message: fmt.Sprintf("BEGIN azagen:%s has no matching <!-- END azagen:%s -->", open.Table, open.Table),
		})
	}
	return blocks, diags
}

// StripCodeSpans blanks out inline code spans so their content is neither
// a marker, nor a link. The result has the length of s, so offsets hold.
func StripCodeSpans(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '`' {
			b.WriteByte(s[i])
			i++
			continue
		}
		n := leadingRun(s[i:], '`')
		end := findClosingRun(s, i+n, n)
		if end < 0 {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		b.WriteString(strings.Repeat(" ", end+n-i))
		i = end + n
	}
	return b.String()
}

// findClosingRun returns the offset of the next run of exactly n backticks
// at or after from, or -1.
func findClosingRun(s string, from, n int) int {
	for j := from; j < len(s); {
		if s[j] != '`' {
			j++
			continue
		}
		run := leadingRun(s[j:], '`')
		if run == n {
			return j
		}
		j += run
	}
	return -1
}

// CodeSpans returns the inline code spans of one line as byte ranges
// [start, end) of their content, between the backtick runs.
func CodeSpans(s string) [][2]int {
	var out [][2]int
	for i := 0; i < len(s); {
		if s[i] != '`' {
			i++
			continue
		}
		n := leadingRun(s[i:], '`')
		end := findClosingRun(s, i+n, n)
		if end < 0 {
			i += n
			continue
		}
		out = append(out, [2]int{i + n, end})
		i = end + n
	}
	return out
}

// MarkerIn returns a line of generated text that Parse would take for a
// marker, or "". Generated text must never be able to end its own block.
func MarkerIn(body string) string {
	var f Fence
	for _, l := range strings.Split(body, "\n") {
		if f.Update(l) {
			continue
		}
		if markerLine.MatchString(l) || nearMarker.MatchString(StripCodeSpans(l)) {
			return l
		}
	}
	return ""
}

// Frame is the content of a block holding body: a blank line on each side,
// so it is a block of its own whatever Markdown renderer reads it, in the
// file's own line ending nl.
func Frame(body, nl string) []byte {
	body = strings.TrimRight(body, "\n")
	if nl != "\n" {
		body = strings.ReplaceAll(body, "\n", nl)
	}
	return []byte(nl + body + nl + nl)
}
