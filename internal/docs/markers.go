package docs

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
var nearMarker = regexp.MustCompile(`(?i)<!--\s*(BEGIN|END)\b[^>]*\bazagen\b`)

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

// line is one line of a file with its byte offset.
type line struct {
	num    int
	start  int
	text   string // without the line ending
	ending string
}

func splitLines(data []byte) []line {
	var out []line
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
		out = append(out, line{num: n, start: off, text: text, ending: ending})
		off += len(text) + len(ending)
	}
	return out
}

// fence tracks fenced code blocks: nothing inside one is a marker, a link
// or a path reference, so docs can show marker syntax in examples.
type fence struct {
	char byte
	n    int
}

// update consumes one line and reports whether the line is part of a
// fenced block (including its opening and closing fences).
func (f *fence) update(text string) bool {
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
		f      fence
	)
	errAt := func(rule string, ln line, col int, format string, args ...any) {
		diags = append(diags, diag.Diagnostic{
			Rule: rule, Severity: diag.Error,
			Pos:     diag.Position{File: file, Line: ln.num, Col: col},
			Message: fmt.Sprintf(format, args...),
		})
	}
	for _, ln := range splitLines(data) {
		if f.update(ln.text) {
			continue
		}
		m := markerLine.FindStringSubmatch(ln.text)
		if m == nil {
			if loc := nearMarker.FindStringIndex(stripCodeSpans(ln.text)); loc != nil {
				errAt(rules.DocsMarker, ln, loc[0]+1, "malformed azagen marker: write <!-- BEGIN azagen:<table> --> or <!-- END azagen:<table> --> alone on its line")
			}
			continue
		}
		col := len(m[1]) + 1
		kind, name := m[2], m[3]
		nameCol := strings.Index(ln.text, "azagen:") + len("azagen:") + 1
		pos := diag.Position{File: file, Line: ln.num, Col: col}
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
			open = &Block{Table: name, Begin: pos, NameCol: nameCol, ContentStart: ln.start + len(ln.text) + len(ln.ending), Newline: ln.ending}
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
				open.End, open.ContentEnd = pos, ln.start
				if first, dup := seen[name]; dup {
					errAt(rules.DocsMarker, line{num: open.Begin.Line}, open.Begin.Col, "azagen:%s appears twice in this file; the first block is at %s", name, first)
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

// stripCodeSpans blanks out inline code spans so their content is neither
// a marker, nor a link.
func stripCodeSpans(s string) string {
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
