package markdown

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/rules"
)

// TestDocsParseMarkers covers the marker grammar: every structural problem
// is an error with the file, line and column of the marker that shows it.
func TestDocsParseMarkers(t *testing.T) {
	type want struct {
		Rule      string
		Line, Col int
		Msg       string
	}
	for _, tc := range []struct {
		name   string
		src    string
		tables []string
		diags  []want
	}{
		{
			name:   "two blocks and prose",
			src:    "# T\n\n<!-- BEGIN azagen:ports -->\nold\n<!-- END azagen:ports -->\ntext\n  <!-- BEGIN azagen:env.primary -->\n<!--END azagen:env.primary-->\n",
			tables: []string{"ports", "env.primary"},
		},
		{
			name:  "missing END",
			src:   "a\n<!-- BEGIN azagen:ports -->\nb\n",
			diags: []want{{rules.DocsMarker, 2, 1, "BEGIN azagen:ports has no matching <!-- END azagen:ports -->"}},
		},
		{
			name:  "END without BEGIN",
			src:   "a\n\n<!-- END azagen:ports -->\n",
			diags: []want{{rules.DocsMarker, 3, 1, "END azagen:ports has no BEGIN before it"}},
		},
		{
			name: "nested",
			src:  "<!-- BEGIN azagen:ports -->\n<!-- BEGIN azagen:env -->\n<!-- END azagen:env -->\n",
			diags: []want{
				{rules.DocsMarker, 2, 1, "BEGIN azagen:env is nested inside azagen:ports opened at d.md:1:1; close that block first"},
			},
			tables: []string{"env"},
		},
		{
			name:  "misordered END",
			src:   "<!-- BEGIN azagen:ports -->\n<!-- END azagen:env -->\n",
			diags: []want{{rules.DocsMarker, 2, 1, "END azagen:env does not match BEGIN azagen:ports at d.md:1:1"}},
		},
		{
			name:   "duplicated",
			src:    "<!-- BEGIN azagen:ports -->\n<!-- END azagen:ports -->\nx\n<!-- BEGIN azagen:ports -->\n<!-- END azagen:ports -->\n",
			diags:  []want{{rules.DocsMarker, 4, 1, "azagen:ports appears twice in this file; the first block is at d.md:1:1"}},
			tables: []string{"ports", "ports"},
		},
		{
			name:  "malformed marker",
			src:   "text\nsee <!-- BEGIN azagen:ports --> inline\n",
			diags: []want{{rules.DocsMarker, 2, 5, "malformed azagen marker: write <!-- BEGIN azagen:<table> --> or <!-- END azagen:<table> --> alone on its line"}},
		},
		{
			name:  "malformed name",
			src:   "<!-- END azagen:Ports! -->\n",
			diags: []want{{rules.DocsMarker, 1, 17, `malformed table name "Ports!": want a name such as ports or ports.primary`}},
		},
		{
			name: "fenced code and code spans are not markers",
			src:  "```markdown\n<!-- BEGIN azagen:ports -->\n```\n\n~~~~\n<!-- END azagen:x -->\n~~~~\n\nwrite `<!-- BEGIN azagen:ports -->` on its own line\n",
		},
		{
			name:   "indented four spaces is code, three is a marker",
			src:    "   <!-- BEGIN azagen:ports -->\n   <!-- END azagen:ports -->\n",
			tables: []string{"ports"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			blocks, diags := Parse("d.md", []byte(tc.src))
			var got []want
			for _, d := range diags {
				if d.Severity != diag.Error || d.Pos.File != "d.md" {
					t.Errorf("diagnostic %v: want an error in d.md", d)
				}
				got = append(got, want{d.Rule, d.Pos.Line, d.Pos.Col, d.Message})
			}
			if diff := cmp.Diff(tc.diags, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
			var tables []string
			for _, b := range blocks {
				tables = append(tables, b.Table)
			}
			if diff := cmp.Diff(tc.tables, tables); diff != "" {
				t.Errorf("blocks (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDocsParseOffsets: the content of a block is exactly the bytes
// between the BEGIN line and the END line, whatever the line endings.
func TestDocsParseOffsets(t *testing.T) {
	for _, nl := range []string{"\n", "\r\n"} {
		src := strings.ReplaceAll("x\n<!-- BEGIN azagen:ports -->\nold 1\nold 2\n<!-- END azagen:ports -->\ny\n", "\n", nl)
		blocks, diags := Parse("d.md", []byte(src))
		if len(diags) > 0 || len(blocks) != 1 {
			t.Fatalf("newline %q: %v %v", nl, blocks, diags)
		}
		b := blocks[0]
		if got, want := src[b.ContentStart:b.ContentEnd], "old 1"+nl+"old 2"+nl; got != want {
			t.Errorf("newline %q: content %q, want %q", nl, got, want)
		}
		if b.Newline != nl || b.Begin.Line != 2 || b.End.Line != 5 {
			t.Errorf("newline %q: block %+v", nl, b)
		}
	}
}
