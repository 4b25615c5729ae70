package explain

import (
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/testing/repotest"
)

func explainInput(res *compile.Result) Input {
	return Input{Source: res.Source, Config: res.Config, Output: res.Output, OutDisplay: "generated"}
}

func TestExplainParsePath(t *testing.T) {
	for in, want := range map[string]string{
		`stacks.replica.services."postgres-replica".ports[0].host`: `stacks.replica.services."postgres-replica".ports[0].host`,
		`stacks.replica.services.postgres-replica.ports.0.host`:    `stacks.replica.services."postgres-replica".ports[0].host`,
		`postgresql.base."pg_stat_statements.max"`:                 `postgresql.base."pg_stat_statements.max"`,
		`#PortMapping.host_ip`:                                     `#PortMapping.host_ip`,
	} {
		segs, err := parsePath(in)
		if err != nil {
			t.Errorf("parsePath(%s): %v", in, err)
			continue
		}
		if got := pathString(segs); got != want {
			t.Errorf("parsePath(%s) = %s, want %s", in, got, want)
		}
	}
	for _, bad := range []string{"", "a..b", `a."b`, "a[x]", "a[1"} {
		if _, err := parsePath(bad); err == nil {
			t.Errorf("parsePath(%q) succeeded", bad)
		}
	}
}

// TestExplainHealthcheckLayers: a healthcheck field set by an overlay
// shows every layer that set it, the winner, the canonical rewrite, and the
// line of compose.yaml that holds the result.
func TestExplainHealthcheckLayers(t *testing.T) {
	overlay := filepath.Join(t.TempDir(), "slow.cue")
	repotest.WriteFile(t, overlay, "package azagen\n\nstacks: single: services: postgres: healthcheck: {\n\tinterval: \"90s\"\n\treason:   \"test overlay\"\n}\n")
	res := repotest.Compile(t, overlay)
	ex, err := Explain(explainInput(res), "stacks.single.services.postgres.healthcheck.interval")
	if err != nil {
		t.Fatal(err)
	}
	if ex.Value != "1m30s" {
		t.Errorf("value %q, want the canonical 1m30s", ex.Value)
	}
	var kinds []string
	for _, s := range ex.Sources {
		kinds = append(kinds, s.Kind)
		switch {
		case s.Kind == FromLayer && strings.HasPrefix(s.Note, "schema default for postgres"):
			if s.Pos == nil || s.Pos.File != "schema/healthcheck.cue" || !strings.HasSuffix(s.Note, "overridden by a later layer") {
				t.Errorf("schema layer: %+v", s)
			}
		case s.Kind == FromLayer:
			if s.Pos == nil || s.Pos.File != overlay || s.Pos.Line != 4 || !strings.HasSuffix(s.Note, ": wins") || s.Value != "90s" {
				t.Errorf("overlay layer: %+v %v", s, s.Pos)
			}
		case s.Kind == FromNormalize:
			if s.Value != "1m30s" || !strings.Contains(s.Note, "90s rewritten in canonical Compose form") {
				t.Errorf("normalize entry: %+v", s)
			}
		}
	}
	if diff := cmp.Diff([]string{FromLayer, FromLayer, FromNormalize}, kinds); diff != "" {
		t.Errorf("source kinds (-want +got):\n%s", diff)
	}
	want := Use{File: "generated/stacks/single/compose.yaml", Text: "interval: 1m30s"}
	if len(ex.UsedIn) != 1 || ex.UsedIn[0].File != want.File || ex.UsedIn[0].Text != want.Text || ex.UsedIn[0].Line == 0 {
		t.Errorf("used in %+v, want one %+v", ex.UsedIn, want)
	}
	lines := strings.Split(string(res.Output["stacks/single/compose.yaml"].Data), "\n")
	if got := strings.TrimSpace(lines[ex.UsedIn[0].Line-1]); got != want.Text {
		t.Errorf("line %d of compose.yaml is %q", ex.UsedIn[0].Line, got)
	}
}

// TestExplainSchemaDefault: a field stacks.cue leaves out comes from the
// schema default, positioned in the schema file of the repository.
func TestExplainSchemaDefault(t *testing.T) {
	res := repotest.Compile(t)
	// Find a published port whose host_ip stacks.cue leaves to the schema.
	for _, k := range slices.Sorted(maps.Keys(res.Config.Stacks)) {
		st := res.Config.Stacks[k]
		for _, name := range slices.Sorted(maps.Keys(st.Services)) {
			svc := st.Services[name]
			for i, p := range svc.Ports {
				path := pathString([]segment{{label: "stacks"}, {label: k}, {label: "services"}, {label: name}, {label: "ports"}, {index: i, isIdx: true}, {label: "host_ip"}})
				ex, err := Explain(explainInput(res), path)
				if err != nil {
					t.Fatal(err)
				}
				if ex.Sources[0].Kind != FromDefault {
					continue // set in stacks.cue
				}
				if ex.Value != p.HostIP || ex.Sources[0].Pos == nil || ex.Sources[0].Pos.File != "schema/service.cue" {
					t.Errorf("%s: %+v", path, ex)
				}
				if len(ex.UsedIn) != 1 || !strings.Contains(ex.UsedIn[0].Text, derive.PortSpec(p)) {
					t.Errorf("%s used in %+v, want the port spec %s", path, ex.UsedIn, derive.PortSpec(p))
				}
				return
			}
		}
	}
	t.Skip("every port sets host_ip in stacks.cue")
}

// TestExplainSourceAndUses: a value written in stacks.cue points at its
// line there, and every stack that renders it lists its lines.
func TestExplainSourceAndUses(t *testing.T) {
	res := repotest.Compile(t)
	su := ""
	for _, name := range slices.Sorted(maps.Keys(res.Config.Roles)) {
		if res.Config.Roles[name].Superuser {
			su = name
		}
	}
	if su == "" {
		t.Skip("no superuser role")
	}
	ex, err := Explain(explainInput(res), "roles."+su+".password_var")
	if err != nil {
		t.Fatal(err)
	}
	if s := ex.Sources[0]; s.Kind != FromSource || s.Pos == nil || s.Pos.File != repotest.Stacks() || s.Pos.Line == 0 {
		t.Errorf("source %+v", s)
	}
	stacks := map[string]bool{}
	for _, u := range ex.UsedIn {
		if !strings.Contains(u.Text, ex.Value) {
			t.Errorf("use %+v does not hold %s", u, ex.Value)
		}
		stacks[strings.Split(u.File, "/")[2]] = true
	}
	if len(stacks) != len(res.Config.Stacks) {
		t.Errorf("%s is used in stacks %v, want all of %v", ex.Value, slices.Sorted(maps.Keys(stacks)), slices.Sorted(maps.Keys(res.Config.Stacks)))
	}
}

// TestExplainDerived: an environment variable no one wrote is explained
// as derived by normalization, with the compose line that holds it.
func TestExplainDerived(t *testing.T) {
	res := repotest.Compile(t)
	for _, k := range slices.Sorted(maps.Keys(res.Config.Stacks)) {
		st := res.Config.Stacks[k]
		for _, name := range slices.Sorted(maps.Keys(st.Services)) {
			for _, e := range st.Services[name].Env {
				if e.Origin == "stacks.cue" {
					continue
				}
				path := pathString([]segment{{label: "stacks"}, {label: k}, {label: "services"}, {label: name}, {label: "environment"}, {label: e.Key}})
				ex, err := Explain(explainInput(res), path)
				if err != nil {
					t.Fatal(err)
				}
				if len(ex.Sources) != 1 || ex.Sources[0].Kind != FromNormalize || !strings.Contains(ex.Sources[0].Note, e.Origin) {
					t.Errorf("%s sources %+v", path, ex.Sources)
				}
				want := e.Key + ": " + derive.Interpolation(e.Key, e.Value)
				if !slices.ContainsFunc(ex.UsedIn, func(u Use) bool { return u.Text == want }) {
					t.Errorf("%s used in %+v, want a line %q", path, ex.UsedIn, want)
				}
				return
			}
		}
	}
	t.Skip("no derived variable")
}

// TestExplainNotFound: a path that names nothing is an error listing what
// the nearest existing parent has.
func TestExplainNotFound(t *testing.T) {
	res := repotest.Compile(t)
	k := slices.Sorted(maps.Keys(res.Config.Stacks))[0]
	_, err := Explain(explainInput(res), "stacks."+k+".services.no-such-service.image")
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v, want a NotFoundError", err)
	}
	for name := range res.Config.Stacks[k].Services {
		if !slices.Contains(nf.Known, name) && !slices.Contains(nf.Known, `"`+name+`"`) {
			t.Errorf("%v does not list service %s", nf.Known, name)
		}
	}
	if _, err := Explain(explainInput(res), "_images"); err == nil || !strings.Contains(err.Error(), "hidden") {
		t.Errorf("hidden field: %v", err)
	}
}

// TestExplainExporterQuery: an exporter query is explained with the relations and columns it
// resolves to in PostgreSQL 18, and each result column with its type and declared usage.
func TestExplainExporterQuery(t *testing.T) {
	res := repotest.Compile(t)
	for _, name := range slices.Sorted(maps.Keys(res.Config.ExporterQueries)) {
		q := res.Config.ExporterQueries[name]
		for _, p := range []string{"exporter_queries." + name, "exporter_queries." + name + ".query"} {
			ex, err := Explain(explainInput(res), p)
			if err != nil {
				t.Fatal(err)
			}
			if ex.Query == nil || ex.Query.Error != "" {
				t.Fatalf("%s: query %+v", p, ex.Query)
			}
			if len(ex.Query.Columns) != len(q.Metrics) {
				t.Errorf("%s: %d columns %+v, the query declares %d metrics", p, len(ex.Query.Columns), ex.Query.Columns, len(q.Metrics))
			}
			for _, c := range ex.Query.Columns {
				if c.Type == "" || c.Usage == "" {
					t.Errorf("%s: column %+v has no type or usage", p, c)
				}
			}
			for _, r := range ex.Query.Relations {
				for _, col := range r.Columns {
					if !strings.Contains(q.Query, col) {
						t.Errorf("%s: relation %s column %s is not named in the query %q", p, r.Relation, col, q.Query)
					}
				}
			}
		}
	}
	ex, err := Explain(explainInput(res), "exporter_queries")
	if err != nil {
		t.Fatal(err)
	}
	if ex.Query != nil {
		t.Errorf("exporter_queries itself has a query explanation %+v", ex.Query)
	}
}
