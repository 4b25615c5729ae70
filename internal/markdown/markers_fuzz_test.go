package markdown

import (
	"regexp"
	"strings"
	"testing"
)

func marker(kind, table string) *regexp.Regexp {
	return regexp.MustCompile(kind + `\s+azagen:` + regexp.QuoteMeta(table) + `\b`)
}

// FuzzParse feeds arbitrary Markdown to the marker parser: it must not
// panic, every diagnostic must carry a position in the file, and every block
// it returns must delimit a span of the input that starts after its BEGIN
// line and ends at the start of its END line, in order and without overlap,
// so that filling it can never touch text outside the markers.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"# Title\n<!-- BEGIN azagen:ports.primary -->\nold\n<!-- END azagen:ports.primary -->\ntext\n",
		"<!-- BEGIN azagen:env -->\r\n<!-- END azagen:env -->\r\n",
		"<!-- BEGIN azagen:x -->\n<!-- BEGIN azagen:y -->\n<!-- END azagen:y -->\n",
		"```\n<!-- BEGIN azagen:ports -->\n```\n",
		"`<!-- END azagen:ports -->`\n",
		"<!-- END azagen:ports -->\n<!-- BEGIN azagen:ports -->",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		blocks, diags := Parse("doc.md", data)
		for _, d := range diags {
			if d.Pos.File != "doc.md" || d.Pos.Line < 1 {
				t.Fatalf("diagnostic without a position: %v", d)
			}
		}
		if len(diags) > 0 {
			return
		}
		prev := 0
		for _, b := range blocks {
			if b.ContentStart < prev || b.ContentStart > b.ContentEnd || b.ContentEnd > len(data) {
				t.Fatalf("block %q spans [%d,%d) after %d in %d bytes", b.Table, b.ContentStart, b.ContentEnd, prev, len(data))
			}
			before := strings.TrimRight(string(data[:b.ContentStart]), "\r\n")
			beginLine := before[strings.LastIndex(before, "\n")+1:]
			if !marker("BEGIN", b.Table).MatchString(beginLine) {
				t.Fatalf("block %q does not start right after its BEGIN line %q", b.Table, beginLine)
			}
			if !marker("END", b.Table).Match(data[b.ContentEnd:]) {
				t.Fatalf("block %q has no END after its content", b.Table)
			}
			prev = b.ContentEnd
		}
	})
}
