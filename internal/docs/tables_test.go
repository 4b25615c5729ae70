package docs

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/derive"
	md "github.com/azagen/azagen/internal/markdown"
)

// build renders one table reference as data.
func build(t *testing.T, in *Input, ref string) md.Content {
	t.Helper()
	if err := checkRef(in, ref); err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	name, arg, _ := strings.Cut(ref, ".")
	spec, _ := lookupSpec(name)
	c, err := spec.build(in, arg)
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	return c
}

// tableRows returns the rows of every table of c as the text a reader
// sees, each checked to have as many cells as its header.
func tableRows(t *testing.T, name string, c md.Content) [][]string {
	t.Helper()
	var rows [][]string
	for _, n := range c {
		tbl, ok := n.(*md.Table)
		if !ok {
			continue
		}
		for _, r := range tbl.Rows {
			if len(r) != len(tbl.Head) {
				t.Errorf("table %s: row has %d cells, header %d: %v", name, len(r), len(tbl.Head), r)
			}
			var cells []string
			for _, c := range r {
				cells = append(cells, c.Literal())
			}
			rows = append(rows, cells)
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
			c := build(t, in, ref)
			out := c.String()
			if len(tableRows(t, ref, c)) == 0 && s.name != "cli" && s.name != "diagram" { // those two are prose and pictures
				t.Errorf("%s: no table rows:\n%s", ref, out)
			}
			if bad := md.MarkerIn(out); bad != "" {
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
		out := build(t, in, "ports."+k)
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
				// The table shows a tunable host port's default.
				found := slices.ContainsFunc(rows, func(r []string) bool {
					return r[0] == svc.Key && r[1] == p.HostIP && r[2] == strconv.Itoa(p.Host) && r[3] == strconv.Itoa(p.Container)
				})
				if !found {
					t.Errorf("ports.%s has no row for %s %s", k, svc.Key, spec)
				}
			}
		}

		out = build(t, in, "env."+k)
		vars := derive.Variables(st)
		rows = tableRows(t, "env", out)
		if len(rows) != len(vars) {
			t.Errorf("env.%s: %d rows for %d variables", k, len(rows), len(vars))
		}
		for i, v := range vars {
			if i < len(rows) && rows[i][0] != v.Name {
				t.Errorf("env.%s row %d is %s, want %s", k, i, rows[i][0], v.Name)
			}
		}

		out = build(t, in, "healthchecks."+k)
		rows = tableRows(t, "healthchecks", out)
		for _, name := range slices.Sorted(maps.Keys(st.Services)) {
			h := st.Services[name].Health
			for field := range h.Origin {
				if !slices.ContainsFunc(rows, func(r []string) bool { return r[0] == name && r[1] == field }) {
					t.Errorf("healthchecks.%s lacks %s.%s", k, name, field)
				}
			}
		}
	}
	out := build(t, in, "metrics")
	for _, r := range tableRows(t, "metrics", out) {
		if q := r[4]; !strings.HasPrefix(r[0], q+"_") {
			t.Errorf("metric %s is not named <query>_<column> of %s", r[0], q)
		}
	}
}
