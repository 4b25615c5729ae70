package escape

import "strings"

// ShellSingleQuote quotes s as one word for POSIX sh: the whole value in
// single quotes, inside which every byte is literal (POSIX XCU 2.2.2), and
// each single quote written as close quote, backslash-escaped quote, open
// quote:
//
//	it's  ->  'it'\''s'
//
// The empty string becomes a pair of quotes. It panics if s contains NUL,
// which no shell word can hold.
func ShellSingleQuote(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		panic("escape.ShellSingleQuote: a shell word cannot contain a NUL byte")
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
