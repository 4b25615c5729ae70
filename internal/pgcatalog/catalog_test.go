package pgcatalog

import (
	"strings"
	"testing"
)

// TestRemovalsAreGone: every removal the table names is absent from the PostgreSQL 18
// catalog (with every extension), and a replacement written relation.column exists.
func TestRemovalsAreGone(t *testing.T) {
	v := Load().View(Load().Extensions())
	for _, r := range removals {
		if r.Function != "" {
			if len(v.Functions("", r.Function)) > 0 {
				t.Errorf("%s still exists in PostgreSQL 18", r.Function)
			}
			continue
		}
		rel := v.Relation("", r.Relation)
		if rel == nil {
			t.Errorf("removal of %s.%s: no relation %s", r.Relation, r.Column, r.Relation)
			continue
		}
		if _, ok := rel.Column(r.Column); ok {
			t.Errorf("%s.%s still exists in PostgreSQL 18", r.Relation, r.Column)
		}
		first, _, _ := strings.Cut(r.Replacement, " ")
		first = strings.TrimSuffix(first, ",")
		if relName, col, ok := strings.Cut(first, "."); ok {
			if repl := v.Relation("", relName); repl == nil {
				t.Errorf("replacement %s: no relation %s", r.Replacement, relName)
			} else if _, ok := repl.Column(col); !ok {
				t.Errorf("replacement %s: no column %s in %s", r.Replacement, col, relName)
			}
		} else if name, ok := strings.CutSuffix(first, "()"); ok && len(v.Functions("", name)) == 0 {
			t.Errorf("replacement %s does not exist", r.Replacement)
		}
	}
}

// TestCatalogParses: the committed data has the sections and the objects azagen relies on.
func TestCatalogParses(t *testing.T) {
	c := Load()
	if !strings.HasPrefix(c.Version, "18.") {
		t.Errorf("catalog version %q, want PostgreSQL 18", c.Version)
	}
	v := c.View(nil)
	for _, name := range []string{"pg_stat_activity", "pg_stat_checkpointer", "pg_settings"} {
		if v.Relation("", name) == nil {
			t.Errorf("no %s", name)
		}
	}
	if v.Relation("information_schema", "tables") == nil || v.Relation("", "tables") != nil {
		t.Error("information_schema is not looked up by schema only")
	}
	if v.Category("float8") != 'N' || v.Category("text") != 'S' || v.Category("_text") != 'A' {
		t.Error("type categories")
	}
}

// TestEveryFunctionParses: functions are parsed on first use, so a malformed
// line would only fail the query that names it; every line of the committed
// file must parse, and agree with the names the index was built from.
func TestEveryFunctionParses(t *testing.T) {
	c := Load()
	if len(c.functions) < 3000 {
		t.Fatalf("%d functions; the PostgreSQL 18 catalog has more than 3000", len(c.functions))
	}
	for i := range c.functions {
		e := &c.functions[i]
		fn, err := parseFunction(e)
		if err != nil {
			t.Fatal(err)
		}
		if fn.Schema != e.schema || fn.Name != e.name || fn.Extension != e.ext {
			t.Errorf("line %d: parsed %s.%s (%q), indexed %s.%s (%q)", e.lineNo, fn.Schema, fn.Name, fn.Extension, e.schema, e.name, e.ext)
		}
	}
}

// BenchmarkParse is loading the catalog, which every check of exporter
// queries pays once per process.
func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		if _, err := parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
