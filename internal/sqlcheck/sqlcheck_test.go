package sqlcheck

import (
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/pgcatalog"
)

func view(exts ...string) *pgcatalog.View { return pgcatalog.Load().View(exts) }

// TestErrorPointsAtTheName: an unresolved name's offset is where the query names it, and the
// message names the removal's major and replacement, or the closest name.
func TestErrorPointsAtTheName(t *testing.T) {
	for _, c := range []struct {
		sql, at string
		want    []string
	}{
		{"SELECT checkpoints_timed::float8 AS timed FROM pg_stat_bgwriter", "checkpoints_timed", []string{"PostgreSQL 17", "pg_stat_checkpointer.num_timed"}},
		{"SELECT b.buffers_backend FROM pg_stat_bgwriter b", "b.buffers_backend", []string{"PostgreSQL 17", "pg_stat_io"}},
		{"SELECT 1 FROM pg_stat_activty", "pg_stat_activty", []string{`"pg_stat_activity"`}},
		{"SELECT pg_current_xlog_location()", "pg_current_xlog_location", []string{"PostgreSQL 10", "pg_current_wal_lsn()"}},
		{"SELECT a.stat FROM pg_stat_activity a", "a.stat", []string{`"state"`}},
		{"SELECT 1::float9", "float9", []string{`type "float9"`}},
		{"SELECT calls FROM pg_stat_statements", "pg_stat_statements", []string{"extension pg_stat_statements", "does not create"}},
	} {
		_, e := Analyze(c.sql, view())
		if e == nil {
			t.Errorf("%q: accepted", c.sql)
			continue
		}
		if e.Offset < 0 || !strings.HasPrefix(c.sql[e.Offset:], c.at) {
			t.Errorf("%q: offset %d, want at %q (%v)", c.sql, e.Offset, c.at, e)
		}
		for _, w := range c.want {
			if !strings.Contains(e.Error(), w) {
				t.Errorf("%q: %q does not say %q", c.sql, e.Error(), w)
			}
		}
	}
}

// TestExtensionsOnlyWhenCreated: an extension's relations resolve only in a view that creates
// it.
func TestExtensionsOnlyWhenCreated(t *testing.T) {
	const q = "SELECT sum(calls)::float8 AS calls FROM pg_stat_statements"
	if _, e := Analyze(q, view()); e == nil {
		t.Error("pg_stat_statements resolves without the extension")
	}
	res, e := Analyze(q, view("pg_stat_statements"))
	if e != nil {
		t.Fatal(e)
	}
	if len(res.Relations) != 1 || res.Relations[0].Extension != "pg_stat_statements" || res.Relations[0].Columns[0] != "calls" {
		t.Errorf("relations %+v", res.Relations)
	}
}

// TestResultColumns: names as the server gives them (aliases, FigureColname) and types
// through casts, functions, CASE, COALESCE, subqueries, CTE columns and joins.
func TestResultColumns(t *testing.T) {
	res, e := Analyze(`WITH w(n) AS (SELECT count(*) FROM pg_locks)
SELECT d.datname, s.numbackends, pg_database_size(d.oid), coalesce(s.blks_hit, 0) + 1 AS hits,
  CASE WHEN true THEN 'x' END AS word, (SELECT n FROM w)::float8 AS locks, now() - now() AS gap, s.datname = 'x'
FROM pg_stat_database s JOIN pg_database d ON d.oid = s.datid`, view())
	if e != nil {
		t.Fatal(e)
	}
	want := []struct {
		name, typ string
		cat       byte
	}{
		{"datname", "name", 'S'}, {"numbackends", "int4", 'N'}, {"pg_database_size", "int8", 'N'},
		{"hits", "int8", 'N'}, {"word", "text", 'S'}, {"locks", "float8", 'N'}, {"gap", "interval", 'T'}, {"?column?", "bool", 'B'},
	}
	if len(res.Columns) != len(want) {
		t.Fatalf("columns %+v", res.Columns)
	}
	for i, w := range want {
		if c := res.Columns[i]; c.Name != w.name || c.Type != w.typ || c.Category != w.cat {
			t.Errorf("column %d = %s %s %c, want %s %s %c", i, c.Name, c.Type, c.Category, w.name, w.typ, w.cat)
		}
	}
}

// TestPrivileges: what pg_monitor may not read or call is refused.
func TestPrivileges(t *testing.T) {
	for _, q := range []string{
		"SELECT rolpassword FROM pg_authid",
		"SELECT subconninfo FROM pg_subscription",
		"SELECT pg_read_file('x')",
	} {
		if _, e := Analyze(q, view()); e == nil || !strings.Contains(e.Message, "permission denied") {
			t.Errorf("%q: %v, want permission denied", q, e)
		}
	}
	if _, e := Analyze("SELECT subname FROM pg_subscription", view()); e != nil {
		t.Errorf("a column PUBLIC may read: %v", e)
	}
}

func BenchmarkAnalyze(b *testing.B) {
	v := view("pg_stat_statements")
	const q = "SELECT d.datname::text AS datname, sum(s.calls)::float8 AS calls FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid GROUP BY 1"
	for b.Loop() {
		if _, e := Analyze(q, v); e != nil {
			b.Fatal(e)
		}
	}
}

// TestFunctionInFromSeesEarlierItems: a function in FROM may name the items
// before it without LATERAL (PostgreSQL 18 docs, SELECT), never those after
// it; and an overloaded function whose argument type is not known gets no
// result type rather than the first overload's (string_agg of text or
// bytea), so a label built from it is not refused wrongly.
func TestFunctionInFromSeesEarlierItems(t *testing.T) {
	ok := []string{
		"SELECT e.key AS k FROM pg_settings s, jsonb_each_text(jsonb_build_object(s.name, s.setting)) e",
		"WITH i AS (SELECT '[{\"name\": \"main\"}]'::jsonb AS j) SELECT COALESCE((SELECT string_agg(DISTINCT s->>'name', ',') FROM i, jsonb_array_elements(i.j) s), '') AS stanza",
	}
	for _, q := range ok {
		if _, e := Analyze(q, view()); e != nil {
			t.Errorf("%q: %v", q, e)
		}
	}
	if _, e := Analyze("SELECT e.key AS k FROM jsonb_each_text(jsonb_build_object(s.name, s.setting)) e, pg_settings s", view()); e == nil {
		t.Error("a function in FROM resolved an item declared after it")
	}
}
