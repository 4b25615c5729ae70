// Package escape quotes strings for the file formats azagen renders:
// libpq's .pgpass, PgBouncer's auth_file (userlist.txt) and pgbouncer.ini,
// postgresql.conf string literals, libpq and PgBouncer connection strings,
// and POSIX sh.
//
// Each target format has its own rules, and getting one wrong either
// breaks authentication (a password with ':' in .pgpass) or, worse, lets
// a value inject configuration (a newline in a .pgpass password starts a
// new entry). Every quoting rule below names the parser it was checked
// against, and each format that has a parser here is round-trip fuzzed:
// quote, parse with a re-implementation of the consumer's own parser,
// compare.
//
// The rules were also checked end to end on 2026-11-25 against PgBouncer
// 1.18.0 (Debian) and psql/libpq 15.18, with the password
// a:b"c\d'e #f;g@h ünï =x: a .pgpass line from PgpassLine and a libpq
// conninfo from ConnstrValue both authenticated (SCRAM) against a
// userlist.txt written by UserlistLine; a user named we"ird us;er was
// loaded intact; a [databases] entry with dbname and user quoted by
// PgbouncerConnstrValue showed up as my 'db' \x and o'neil in SHOW
// DATABASES; server_reset_query = SELECT 1; -- #x ;y showed up whole in
// SHOW CONFIG; and the 127/128-byte user name and 2047/2048-byte password
// limits behaved as ValidateUserlistEntry says.
//
// Convention: a function that returns only a string assumes its input is
// representable in the target format and panics otherwise, because
// emitting a silently wrong file is worse than stopping. Values that come
// from users go through the matching Validate or Checked function first,
// which returns an error instead.
package escape

import (
	"fmt"
	"strings"
)

// unrepresentable builds the panic message used by the unchecked quoting
// functions, naming the function callers should have used.
func unrepresentable(fn, checked string, err error) string {
	return fmt.Sprintf("escape.%s: %v (validate with %s first)", fn, err, checked)
}

// firstByte finds the first occurrence of any of the bytes in set.
func firstByte(s, set string) (int, byte) {
	if i := strings.IndexAny(s, set); i >= 0 {
		return i, s[i]
	}
	return -1, 0
}

// describeByte names a control byte for error messages in words a user can
// act on.
func describeByte(b byte) string {
	switch b {
	case 0:
		return "a NUL byte"
	case '\n':
		return "a newline"
	case '\r':
		return "a carriage return"
	case '\t':
		return "a tab"
	case '\v':
		return "a vertical tab"
	case '\f':
		return "a form feed"
	case ' ':
		return "a space"
	}
	return fmt.Sprintf("byte 0x%02x", b)
}

// isCSpace reports whether b is whitespace for C's isspace() in the C
// locale, which is what PgBouncer and libpq use to trim and split.
func isCSpace(b byte) bool {
	switch b {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}
