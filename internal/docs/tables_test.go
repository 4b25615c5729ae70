package docs

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/derive"
)

// cells splits a Markdown table row into its cells, honouring \| escapes.
func cells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimSuffix(strings.TrimPrefix(row, "|"), "|")
	var out []string
	var cur strings.Builder
	for i := 0; i < len(row); i++ {
		switch {
		case row[i] == '\\' && i+1 < len(row):
			cur.WriteByte(row[i])
			cur.WriteByte(row[i+1])
			i++
		case row[i] == '|':
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(row[i])
		}
	}
	return append(out, strings.TrimSpace(cur.String()))
}

// tableRows returns the rows of every table in md, each checked to have as
// many cells as its header.
func tableRows(t *testing.T, name, md string) [][]string {
	t.Helper()
	var rows [][]string
	width := 0
	var f fence
	for _, l := range strings.Split(md, "\n") {
		if f.update(l) || !strings.HasPrefix(l, "|") {
			width = 0
			continue
		}
		c := cells(l)
		switch {
		case width == 0:
			width = len(c)
		case len(c) != width:
			t.Errorf("table %s: row has %d cells, header %d: %s", name, len(c), width, l)
		case strings.HasPrefix(l, "|---"):
		default:
			rows = append(rows, c)
		}
	}
	return rows
}

// TestDocsEveryTable renders every table, for all stacks and for each
// stack where it takes one: each renders, keeps its shape and holds no
// marker.
func TestDocsEveryTable(t *testing.T) {
	in := testInput(t)
	for _, s := range specs() {
		refs := []string{s.name}
		switch s.arg {
		case argStack:
			refs = nil
			fallthrough
		case argOptionalStack:
			for _, k := range stackKeys(in.Config) {
				refs = append(refs, s.name+"."+k)
			}
		}
		for _, ref := range refs {
			out, err := renderTable(in, ref)
			if err != nil {
				t.Errorf("%s: %v", ref, err)
				continue
			}
			if len(tableRows(t, ref, out)) == 0 && ref != "cli" {
				t.Errorf("%s: no table rows:\n%s", ref, out)
			}
			if bad := markerInside(out); bad != "" {
				t.Errorf("%s renders a marker line %q", ref, bad)
			}
		}
	}
}

// TestDocsTablesFollowTheModel spot-checks tables against the model and
// the renderers' own helpers, so a table cannot drift from compose.yaml.
func TestDocsTablesFollowTheModel(t *testing.T) {
	in := testInput(t)
	for _, k := range stackKeys(in.Config) {
		st := in.Config.Stacks[k]
		out, _ := renderTable(in, "ports."+k)
		n := 0
		for _, svc := range st.Services {
			n += len(svc.Ports)
		}
		rows := tableRows(t, "ports", out)
		if len(rows) != n {
			t.Errorf("ports.%s: %d rows, the model publishes %d ports", k, len(rows), n)
		}
		for _, svc := range st.Services {
			for _, p := range svc.Ports {
				spec := derive.PortSpec(p)
				parts := strings.Split(spec, ":")
				found := slices.ContainsFunc(rows, func(r []string) bool {
					return r[0] == code(svc.Key) && r[1] == code(parts[0]) && r[2] == parts[1] && r[3] == parts[2]
				})
				if !found {
					t.Errorf("ports.%s has no row for %s %s", k, svc.Key, spec)
				}
			}
		}

		out, _ = renderTable(in, "env."+k)
		vars := derive.Variables(st)
		rows = tableRows(t, "env", out)
		if len(rows) != len(vars) {
			t.Errorf("env.%s: %d rows for %d variables", k, len(rows), len(vars))
		}
		for i, v := range vars {
			if i < len(rows) && rows[i][0] != code(v.Name) {
				t.Errorf("env.%s row %d is %s, want %s", k, i, rows[i][0], v.Name)
			}
		}

		out, _ = renderTable(in, "healthchecks."+k)
		rows = tableRows(t, "healthchecks", out)
		for _, name := range slices.Sorted(maps.Keys(st.Services)) {
			h := st.Services[name].Health
			for field := range h.Origin {
				if !slices.ContainsFunc(rows, func(r []string) bool { return r[0] == code(name) && r[1] == code(field) }) {
					t.Errorf("healthchecks.%s lacks %s.%s", k, name, field)
				}
			}
		}
	}
	out, _ := renderTable(in, "metrics")
	for _, r := range tableRows(t, "metrics", out) {
		q := strings.Trim(r[4], "`")
		if !strings.HasPrefix(strings.Trim(r[0], "`"), q+"_") {
			t.Errorf("metric %s is not named <query>_<column> of %s", r[0], q)
		}
	}
}

// TestDocsMarkdownEscaping: cell values cannot break out of their cell or
// their code span.
func TestDocsMarkdownEscaping(t *testing.T) {
	for in, want := range map[string]string{
		"a|b":       "`a\\|b`",
		"x`y":       "``x`y``",
		"`start":    "`` `start ``",
		"":          "`\"\"`",
		"two\nline": "`two line`",
	} {
		if got := code(in); got != want {
			t.Errorf("code(%q) = %s, want %s", in, got, want)
		}
	}
	if got := text("a|b <c> *d* [e]"); got != `a\|b \<c\> \*d\* \[e\]` {
		t.Errorf("text = %s", got)
	}
	row := newTable("A", "B")
	row.add(code("x|y"), text("p|q"))
	if c := cells(strings.Split(row.String(), "\n")[2]); len(c) != 2 {
		t.Errorf("escaped pipes split the cell: %v", c)
	}
}
