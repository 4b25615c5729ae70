package sqlparse

import (
	"strings"
	"testing"
)

// TestSyntaxErrorOffset checks that a syntax error points at the offending
// token, the way the server's "at or near" does.
func TestSyntaxErrorOffset(t *testing.T) {
	for _, c := range []struct{ sql, near string }{
		{"SELECT 1 AS x FORM pg_class", "FORM"},
		{"SELECT a,, b FROM t", ","},
		{"SELECT (1", ""},
	} {
		_, err := Parse(c.sql)
		pe, ok := err.(*Error)
		if !ok {
			t.Fatalf("%q: error %v (%T), want *Error", c.sql, err, err)
		}
		if c.near == "" {
			if pe.Offset != len(c.sql) {
				t.Errorf("%q: offset %d, want end of input %d (%s)", c.sql, pe.Offset, len(c.sql), pe.Message)
			}
			continue
		}
		if pe.Offset < 0 || !strings.HasPrefix(c.sql[pe.Offset:], c.near) || !strings.Contains(pe.Message, `"`+c.near+`"`) {
			t.Errorf("%q (%s backend): %q at offset %d, want at %q", c.sql, Backend, pe.Message, pe.Offset, c.near)
		}
	}
}

// TestParseTree checks the tree's shape for a query with a join and a CTE.
func TestParseTree(t *testing.T) {
	tree, err := Parse("WITH w AS (SELECT 1 AS one) SELECT c.relname FROM pg_class c JOIN w ON true")
	if err != nil {
		t.Fatal(err)
	}
	if len(tree.Stmts) != 1 || tree.Stmts[0].Stmt.GetSelectStmt() == nil {
		t.Fatalf("want one SELECT, got %v", tree)
	}
	if tree.Stmts[0].Stmt.GetSelectStmt().WithClause == nil {
		t.Error("the CTE is missing from the tree")
	}
}

func BenchmarkParse(b *testing.B) {
	const q = "SELECT backend_type, object, context, COALESCE(reads, 0)::float8 AS reads FROM pg_stat_io WHERE backend_type IS NOT NULL"
	for b.Loop() {
		if _, err := Parse(q); err != nil {
			b.Fatal(err)
		}
	}
}
