package escape

import (
	"errors"
	"fmt"
	"strings"
)

// ConnstrValue quotes s as a value in a libpq key=value connection string
// (primary_conninfo, psql "host=... user=..."). libpq's conninfo_parse
// (src/interfaces/libpq/fe-connect.c) ends an unquoted value at the first
// whitespace and treats backslash as an escape everywhere; inside single
// quotes a backslash escapes the next byte and an unescaped quote ends the
// value. So a value is quoted when it is empty or contains whitespace, a
// quote or a backslash, and inside the quotes \ and ' are written as \\
// and \'. This matches appendConnStrVal in src/fe_utils/string_utils.c,
// which PostgreSQL's own tools use, except that appendConnStrVal also
// quotes harmless values such as host names with '-'.
//
// The result goes inside another format (postgresql.conf, a shell
// command), which has its own rules: wrap it with ConfString and friends.
// This is NOT the quoting PgBouncer's [databases] section understands;
// use PgbouncerConnstrValue there. It panics if s contains NUL, which no
// C string can hold.
func ConnstrValue(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		panic("escape.ConnstrValue: a connection string value cannot contain a NUL byte")
	}
	need := s == ""
	for i := 0; i < len(s) && !need; i++ {
		need = isCSpace(s[i]) || s[i] == '\'' || s[i] == '\\'
	}
	if !need {
		return s
	}
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
	return b.String()
}

// PgbouncerConnstrValue quotes s as a value in a PgBouncer [databases]
// (or [users], [peers]) connection string. PgBouncer does not use libpq
// for these; its own parser (cstr_get_value and cstr_unquote_value in
// src/loader.c) only splits on the space character, knows no backslash
// escapes, and inside single quotes reads a doubled quote as one quote. Writing
// libpq-style \' there would end the value early and shift every later
// key. So a value is quoted when it contains a space or a quote (or any
// other whitespace, for readability), and quotes inside are doubled.
//
// PgBouncer rejects an empty value, even a quoted one ("syntax error in
// connection string"), and cannot hold NUL, so both are errors. The whole
// connection string is then an ini value and must also pass IniValue,
// which rules out newlines and surrounding whitespace.
func PgbouncerConnstrValue(s string) (string, error) {
	if s == "" {
		return "", errors.New("PgBouncer rejects an empty connection string value")
	}
	if i := strings.IndexByte(s, 0); i >= 0 {
		return "", fmt.Errorf("a PgBouncer connection string value cannot contain %s", describeByte(0))
	}
	need := false
	for i := 0; i < len(s) && !need; i++ {
		need = isCSpace(s[i]) || s[i] == '\''
	}
	if !need {
		return s, nil
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'", nil
}
