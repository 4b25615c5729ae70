//go:build cgo

package sqlparse

import (
	"errors"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"
)

const backend = "cgo"

func parse(sql string) (*Tree, error) {
	tree, err := pg_query.Parse(sql)
	if err != nil {
		if pe, ok := errors.AsType[*parser.Error](err); ok {
			return nil, fromCursor(pe.Message, pe.Cursorpos)
		}
		return nil, err
	}
	return tree, nil
}
