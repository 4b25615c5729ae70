package escape

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ValidatePgpassField reports whether s can be written as one field of a
// libpq password file. libpq reads the file a line at a time and strips
// trailing CR and LF (passwordFromFile and pg_strip_crlf in
// src/interfaces/libpq/fe-connect.c), so a value containing a newline or
// carriage return cannot be represented; it also works on C strings, so a
// NUL byte cannot be either. Everything else can, once PgpassField has
// escaped it.
func ValidatePgpassField(s string) error {
	if i, b := firstByte(s, "\x00\n\r"); i >= 0 {
		return fmt.Errorf("a .pgpass field cannot contain %s (libpq reads the file line by line)", describeByte(b))
	}
	return nil
}

// PgpassField escapes s for a libpq password file (.pgpass): a backslash
// becomes \\ and a colon becomes \:. This is the rule libpq documents
// ("If an entry needs to contain : or \, escape this character with \")
// and implements in pwdfMatchesString (host, port, database, user) and
// the de-escape loop for the password, both in fe-connect.c.
//
// A field that is exactly "*" is a wildcard in the first four positions;
// PgpassField leaves it alone because that is what callers writing "*"
// want. It panics if ValidatePgpassField rejects s.
func PgpassField(s string) string {
	if err := ValidatePgpassField(s); err != nil {
		panic(unrepresentable("PgpassField", "ValidatePgpassField", err))
	}
	if !strings.ContainsAny(s, `\:`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' || s[i] == ':' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// PgpassLine renders one .pgpass entry, host:port:database:username:password,
// without a trailing newline. Port 0 is written as the wildcard "*"; pass
// "*" as host, db or user for the same effect there. libpq matches the
// host field against the literal -h/host string, not a resolved address.
//
// A host that starts with '#' is written as \# because libpq skips every
// line whose first byte is '#' as a comment.
//
// PgpassLine panics if a field fails ValidatePgpassField or the port is
// outside 0..65535.
func PgpassLine(host string, port int, db, user, password string) string {
	if port < 0 || port > 65535 {
		panic(fmt.Sprintf("escape.PgpassLine: port %d is outside 0..65535", port))
	}
	portField := "*"
	if port != 0 {
		portField = strconv.Itoa(port)
	}
	h := PgpassField(host)
	if strings.HasPrefix(h, "#") {
		h = `\` + h
	}
	return strings.Join([]string{h, portField, PgpassField(db), PgpassField(user), PgpassField(password)}, ":")
}

// ParsePgpassLine splits one .pgpass line into its five fields the way
// libpq's passwordFromFile reads it, and is the inverse of PgpassLine.
//
// Following libpq: trailing CR and LF are stripped; a line starting with
// '#' is a comment and an empty line is skipped (both are errors here,
// since they hold no entry); a backslash makes the next byte literal; a
// field that is exactly * (unescaped) comes back as "*"; the first four
// fields must each end in an unescaped ':'; the password runs to the next
// unescaped ':' or the end of the line, so anything after a fifth ':' is
// ignored, and a lone trailing backslash in the password is kept as is.
func ParsePgpassLine(line string) ([]string, error) {
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty .pgpass line")
	}
	if line[0] == '#' {
		return nil, errors.New(".pgpass line is a comment")
	}
	fields := make([]string, 0, 5)
	rest := line
	for n := 0; n < 4; n++ {
		if strings.HasPrefix(rest, "*:") {
			fields = append(fields, "*")
			rest = rest[2:]
			continue
		}
		var b strings.Builder
		closed := false
		i := 0
		for i < len(rest) {
			c := rest[i]
			if c == '\\' {
				if i+1 == len(rest) {
					// libpq compares the NUL after the backslash with the
					// token and never matches.
					return nil, fmt.Errorf(".pgpass line ends in a backslash inside field %d", n+1)
				}
				b.WriteByte(rest[i+1])
				i += 2
				continue
			}
			if c == ':' {
				closed = true
				i++
				break
			}
			b.WriteByte(c)
			i++
		}
		if !closed {
			return nil, fmt.Errorf(".pgpass line has %d fields, want 5", n+1)
		}
		fields = append(fields, b.String())
		rest = rest[i:]
	}
	var pw strings.Builder
	for i := 0; i < len(rest) && rest[i] != ':'; i++ {
		if rest[i] == '\\' && i+1 < len(rest) {
			i++
		}
		pw.WriteByte(rest[i])
	}
	return append(fields, pw.String()), nil
}
