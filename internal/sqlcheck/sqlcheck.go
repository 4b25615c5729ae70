// Package sqlcheck resolves the names of a monitoring query against the
// catalog of PostgreSQL 18 (internal/pgcatalog), the way the server's parse
// analysis would at PREPARE: every relation, column, function and type the
// query names must exist in the database the stack creates, and the result
// columns get a name and a type. It is what lets azagen refuse at compile
// time a query that postgres_exporter would only see fail at scrape time.
//
// What it checks: one statement, a SELECT (with CTEs, joins, subqueries,
// set operations, VALUES, functions in FROM); relation lookup along
// PostgreSQL's default search_path (pg_catalog, public) or by schema;
// column references, qualified or not, through aliases and scopes
// (correlated subqueries see outer columns; an ambiguous name is an
// error); functions by name, argument count and argument type category,
// as the server's function lookup narrows candidates; casts to types that
// exist; privileges of the role the exporter logs in as (a monitoring role,
// which has pg_monitor): USAGE on schemas, SELECT on relations or the
// columns named, EXECUTE on functions. It infers each result column's type (typname and pg_type
// category) well enough to tell numbers from text.
//
// What it does not check (the server does, so such a query is accepted here
// and refused there): operator existence for unusual operand types, exact
// implicit-cast rules between categories, aggregate nesting and GROUP BY
// completeness.
package sqlcheck

import (
	"fmt"
	"slices"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/azagen/azagen/internal/pgcatalog"
	"github.com/azagen/azagen/internal/sqlparse"
)

// Error is a problem in the query, positioned by byte offset.
type Error struct {
	// Offset is the 0-based byte offset in the query of the token at fault (the server's
	// "LINE 1: ... ^" position), or -1 for the whole query.
	Offset int
	// Message is worded like the server's own where it has one.
	Message string
	// Hint is the closest catalog name, or what replaced a removed name, or "".
	Hint string
	// Syntax says the parser refused the query (as opposed to name resolution).
	Syntax bool
}

func (e *Error) Error() string {
	if e.Hint != "" {
		return e.Message + " (" + e.Hint + ")"
	}
	return e.Message
}

// Column is one result column.
type Column struct {
	Name string
	// Type is the pg_type.typname ("" when it cannot be told, "unknown" for an untyped
	// literal), Category its pg_type.typcategory (0 when unknown).
	Type     string
	Category byte
	// Offset is where the column's expression starts in the query.
	Offset int
}

// Numeric reports whether the column's type is numeric (category N).
func (c Column) Numeric() bool { return c.Category == 'N' }

// Text reports whether the column's type is text-like (category S, or an untyped literal,
// which the server resolves to text).
func (c Column) Text() bool { return c.Category == 'S' || c.Type == "unknown" }

// Use is a relation the query reads and the columns it names from it.
type Use struct {
	// Relation is the name as the catalog knows it, schema-qualified unless it is on the
	// search path; Extension the extension that creates it ("" for core).
	Relation  string   `json:"relation"`
	Extension string   `json:"extension,omitempty"`
	Columns   []string `json:"columns"`
}

// Result is what the query resolved to.
type Result struct {
	Columns   []Column
	Relations []Use
	// Functions are the functions the query calls, sorted, each once.
	Functions []string
}

// Analyze parses sql and resolves it in the database view v.
func Analyze(sql string, v *pgcatalog.View) (*Result, *Error) {
	tree, err := sqlparse.Parse(sql)
	if err != nil {
		if pe, ok := err.(*sqlparse.Error); ok {
			return nil, &Error{Offset: pe.Offset, Message: pe.Message, Syntax: true}
		}
		return nil, &Error{Offset: -1, Message: "the SQL parser failed: " + err.Error(), Syntax: true}
	}
	if len(tree.Stmts) != 1 {
		return nil, &Error{Offset: -1, Message: fmt.Sprintf("the query holds %d statements; an exporter query is exactly one SELECT", len(tree.Stmts))}
	}
	sel := tree.Stmts[0].Stmt.GetSelectStmt()
	if sel == nil {
		return nil, &Error{Offset: int(tree.Stmts[0].StmtLocation), Message: "an exporter query must be a SELECT"}
	}
	a := &analyzer{v: v, funcs: map[string]bool{}}
	cols, e := a.selectStmt(sel, nil)
	if e == nil {
		e = a.privileges()
	}
	if e != nil {
		return nil, e
	}
	res := &Result{Columns: cols}
	seen := map[*pgcatalog.Relation]int{}
	for _, r := range a.rels {
		if r.cat == nil {
			continue
		}
		i, ok := seen[r.cat]
		if !ok {
			i = len(res.Relations)
			seen[r.cat] = i
			res.Relations = append(res.Relations, Use{Relation: display(r.cat.Schema, r.cat.Name), Extension: r.cat.Extension})
		}
		for _, c := range r.cols {
			if r.used[c.Name] && !slices.Contains(res.Relations[i].Columns, c.Name) {
				res.Relations[i].Columns = append(res.Relations[i].Columns, c.Name)
			}
		}
	}
	for f := range a.funcs {
		res.Functions = append(res.Functions, f)
	}
	slices.Sort(res.Functions)
	return res, nil
}

func display(schema, name string) string {
	if slices.Contains(pgcatalog.SearchPath, schema) {
		return name
	}
	return schema + "." + name
}

// Closest returns the candidate nearest to name by edit distance, or "" when none is near
// enough to be a likely typo (the limit grows with the name's length).
func Closest(name string, candidates []string) string {
	limit := max(len(name)/3, 2)
	best, bestD := "", limit+1
	for _, c := range candidates {
		if d := distance(name, c); d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	return best
}

func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func didYouMean(name string, candidates []string) string {
	if c := Closest(name, candidates); c != "" {
		return fmt.Sprintf("did you mean %q?", c)
	}
	return ""
}

// nameList returns the String values of a name list (funcname, type names, USING).
func nameList(list []*pg_query.Node) []string {
	out := make([]string, 0, len(list))
	for _, n := range list {
		if s := n.GetString_(); s != nil {
			out = append(out, s.Sval)
		}
	}
	return out
}
