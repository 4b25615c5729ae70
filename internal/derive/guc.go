package derive

import (
	"strconv"

	"github.com/azagen/azagen/internal/escape"
	"github.com/azagen/azagen/internal/model"
)

// GUCLiteral renders a setting value in postgresql.conf syntax: booleans as
// on/off, numbers bare, strings single-quoted with quotes and backslashes
// escaped.
func GUCLiteral(v model.GUCValue) (string, error) {
	switch v.Kind {
	case model.GUCBool:
		if v.Bool {
			return "on", nil
		}
		return "off", nil
	case model.GUCInt:
		return strconv.FormatInt(v.Int, 10), nil
	case model.GUCFloat:
		return strconv.FormatFloat(v.Float, 'f', -1, 64), nil
	default:
		return escape.ConfStringChecked(v.String)
	}
}

// GUCText is the value as PostgreSQL parses it, without quotes: what the
// catalog check and the docs compare.
func GUCText(v model.GUCValue) string {
	switch v.Kind {
	case model.GUCString:
		return v.String
	default:
		s, _ := GUCLiteral(v)
		return s
	}
}
