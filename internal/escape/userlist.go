package escape

import (
	"errors"
	"fmt"
	"strings"
)

// PgBouncer's fixed buffer sizes (MAX_USERNAME and MAX_PASSWORD in
// include/bouncer.h). load_auth_file in src/loader.c compares them with
// the length of the still-quoted token, so a doubled quote counts twice,
// and the terminating NUL takes one byte.
const (
	userlistMaxUser     = 128
	userlistMaxPassword = 2048
)

// ValidateUserlistEntry reports whether user and password can be written
// as one line of a PgBouncer auth_file. PgBouncer reads the file as a C
// string, so NUL is impossible, and it stops loading the file (keeping
// only the users before the bad line) when a quoted name is 128 bytes or
// longer or a quoted password 2048 bytes or longer. A newline or carriage
// return would actually survive inside the quotes, but the result would no
// longer be one line, which the entrypoint scripts and humans reading the
// file assume, so those are rejected too.
func ValidateUserlistEntry(user, password string) error {
	for _, f := range []struct {
		what, s string
		max     int
	}{
		{"user name", user, userlistMaxUser},
		{"password", password, userlistMaxPassword},
	} {
		if i, b := firstByte(f.s, "\x00\n\r"); i >= 0 {
			return fmt.Errorf("a PgBouncer auth_file %s cannot contain %s", f.what, describeByte(b))
		}
		if n := len(f.s) + strings.Count(f.s, `"`); n >= f.max {
			return fmt.Errorf("a PgBouncer auth_file %s must be shorter than %d bytes once quotes are doubled, got %d", f.what, f.max, n)
		}
	}
	return nil
}

// UserlistLine renders one PgBouncer auth_file entry, "user" "password",
// without a trailing newline. Inside the double quotes a double quote is
// written twice, which is the only escape PgBouncer knows (find_quote and
// copy_quoted in src/loader.c); backslashes, colons, spaces, '#' and ';'
// are literal. Passwords with : " \ were checked end to end through SCRAM
// against PgBouncer 1.18 (spec/real-software-oracles.md section 3).
//
// It panics if ValidateUserlistEntry rejects the pair.
func UserlistLine(user, password string) string {
	if err := ValidateUserlistEntry(user, password); err != nil {
		panic(unrepresentable("UserlistLine", "ValidateUserlistEntry", err))
	}
	return UserlistToken(user) + " " + UserlistToken(password)
}

// UserlistToken double-quotes one auth_file token (a user name or a
// password) the way UserlistLine writes it, without validating it: the
// PgBouncer entrypoint quotes a user name with it and appends a password
// that only exists at run time.
func UserlistToken(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// ParseUserlistLine reads one auth_file entry the way PgBouncer's
// load_auth_file does, and is the inverse of UserlistLine.
//
// Following PgBouncer: leading whitespace is skipped; a line whose first
// other byte is ';' is a comment (an error here, as is an empty line,
// since neither holds an entry); the user name must start with '"' and
// ends at the first '"' that is not part of a "" pair; everything up to
// the next '"' is skipped, whatever it is; the password is read like the
// user name; the rest of the line is ignored. Over-long tokens are errors,
// as they make PgBouncer stop reading the file.
func ParseUserlistLine(line string) (user, pass string, err error) {
	p := 0
	for p < len(line) && isCSpace(line[p]) {
		p++
	}
	if p == len(line) {
		return "", "", errors.New("empty auth_file line")
	}
	if line[p] == ';' {
		return "", "", errors.New("auth_file line is a comment")
	}
	if line[p] != '"' {
		return "", "", errors.New(`broken auth file: line does not start with '"'`)
	}
	user, p, err = userlistToken(line, p+1, "user name", userlistMaxUser)
	if err != nil {
		return "", "", err
	}
	// find_quote(p, true): anything before the password's opening quote is
	// skipped, including text that is not whitespace.
	for p < len(line) && line[p] != '"' {
		p++
	}
	if p == len(line) {
		return "", "", errors.New("broken auth file: no password")
	}
	pass, _, err = userlistToken(line, p+1, "password", userlistMaxPassword)
	if err != nil {
		return "", "", err
	}
	return user, pass, nil
}

// userlistToken reads a quoted token whose opening quote is just before
// start, and returns it unquoted with the position after its closing
// quote.
func userlistToken(line string, start int, what string, max int) (string, int, error) {
	p := start
	for {
		for p < len(line) && line[p] != '"' {
			p++
		}
		if p+1 < len(line) && line[p+1] == '"' {
			p += 2
			continue
		}
		break
	}
	if p >= len(line) {
		return "", 0, fmt.Errorf("broken auth file: %s has no closing quote", what)
	}
	if p-start >= max {
		return "", 0, fmt.Errorf("%s too long in auth file", what)
	}
	return strings.ReplaceAll(line[start:p], `""`, `"`), p + 1, nil
}
