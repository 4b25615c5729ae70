package escape

import (
	"fmt"
	"strings"
)

// IniValue checks that s can be written verbatim as a pgbouncer.ini value
// ("key = s") and returns it unchanged. PgBouncer's ini reader
// (parse_ini_file in libusual's usual/cfparser.c) has no quoting or
// escaping at all:
//
//   - the value is the rest of the line after '=', with leading spaces and
//     tabs skipped and trailing C whitespace (also \v and \f) trimmed, so
//     such whitespace at either end cannot be represented;
//   - '#' and ';' start a comment only as the first non-blank byte of a
//     line, so inside a value they are literal (a value such as
//     "SELECT 1; -- #x" is read whole);
//   - a newline ends the value and the file is read as a C string, so
//     neither a newline nor NUL can be represented.
//
// Two things PgBouncer would read back are rejected anyway, because they
// are never intended and only invite confusion: a carriage return
// anywhere (files edited on Windows end lines in CRLF) and a leading
// vertical tab or form feed (kept at the start, trimmed at the end). The
// empty string is fine ("unix_socket_dir =").
func IniValue(s string) (string, error) {
	if i, b := firstByte(s, "\x00\n\r"); i >= 0 {
		return "", fmt.Errorf("a pgbouncer.ini value cannot contain %s", describeByte(b))
	}
	if s == "" {
		return s, nil
	}
	if isCSpace(s[0]) {
		return "", fmt.Errorf("a pgbouncer.ini value cannot start with %s: PgBouncer strips it", describeByte(s[0]))
	}
	if last := s[len(s)-1]; isCSpace(last) {
		return "", fmt.Errorf("a pgbouncer.ini value cannot end with %s: PgBouncer strips it", describeByte(last))
	}
	return s, nil
}

// IniKey checks a pgbouncer.ini key: the database and user names of
// [databases] and [users] are keys, and PgBouncer's ini reader ends a key at
// whitespace or '=' and treats a line starting with ';', '#' or '[' as a
// comment or a section.
func IniKey(k string) error {
	if k == "" || strings.ContainsAny(k, " \t\r\n\v\f=\x00") || strings.ContainsAny(k[:1], ";#[") {
		return fmt.Errorf("%q cannot be a pgbouncer.ini key", k)
	}
	return nil
}
