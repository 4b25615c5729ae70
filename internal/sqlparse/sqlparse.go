// Package sqlparse is PostgreSQL's own SQL parser (libpg_query, through
// github.com/pganalyze/pg_query_go/v6) behind one small API, so that the
// rest of azagen never knows how it runs.
//
// With cgo (the default wherever a C compiler is found) the parser is the C
// library linked into azagen. Without cgo (CGO_ENABLED=0, e.g. a `go install`
// on a machine without gcc) it is the same library compiled to WebAssembly
// by github.com/wasilibs/go-pgquery and run by wazero; both yield the same
// protobuf parse tree (pg_query_go's types). docs/PERFORMANCE.md records
// what each costs.
//
// The grammar is PostgreSQL 17's (pg_query_go v6 bundles libpg_query
// 17-6.x). PostgreSQL 18 added no syntax that a monitoring SELECT needs;
// the catalog of names (internal/pgcatalog) is 18's.
package sqlparse

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// Tree is the parse tree: one RawStmt per statement.
type Tree = pg_query.ParseResult

// Error is a syntax error as the server would report it.
type Error struct {
	// Message is the server's message, e.g. `syntax error at or near "FORM"`.
	Message string
	// Offset is the 0-based byte offset in the query of the token the error
	// is at, or -1 when the parser gave none (an error at the end of input
	// points past the last byte: Offset == len(query)).
	Offset int
}

func (e *Error) Error() string { return e.Message }

// Backend names the parser build in use: "cgo" or "wasm".
const Backend = backend

// Parse parses sql into its tree. A syntax error is an *Error; any other
// error is a failure of the parser itself (the wasm runtime, say).
func Parse(sql string) (*Tree, error) {
	return parse(sql)
}

// fromCursor converts libpg_query's cursorpos (1-based, 0 = none) to an
// offset.
func fromCursor(msg string, cursorpos int) *Error {
	return &Error{Message: msg, Offset: cursorpos - 1}
}
