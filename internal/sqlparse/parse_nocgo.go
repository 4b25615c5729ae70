//go:build !cgo

package sqlparse

import (
	"errors"

	pgquery "github.com/wasilibs/go-pgquery"
	"github.com/wasilibs/go-pgquery/parser"
)

const backend = "wasm"

func parse(sql string) (*Tree, error) {
	tree, err := pgquery.Parse(sql)
	if err != nil {
		if pe, ok := errors.AsType[*parser.Error](err); ok {
			return nil, fromCursor(pe.Message, pe.Cursorpos)
		}
		return nil, err
	}
	return tree, nil
}
