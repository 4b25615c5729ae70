package escape

import (
	"errors"
	"fmt"
	"strings"
)

// ConfString quotes s as a postgresql.conf string literal: single quotes
// around it, a single quote doubled and a backslash doubled. The lexer
// (src/backend/utils/misc/guc-file.l, STRING rule
// \'([^'\\\n]|\\.|\'\')*\') treats backslash as an escape character
// inside quotes, so an undoubled backslash would eat the next character.
// PostgreSQL's own writer for postgresql.auto.conf quotes the same way
// (escape_single_quotes_ascii in write_auto_conf_file).
//
// It panics on the inputs ConfStringChecked rejects.
func ConfString(s string) string {
	out, err := ConfStringChecked(s)
	if err != nil {
		panic(unrepresentable("ConfString", "ConfStringChecked", err))
	}
	return out
}

// ConfStringChecked is ConfString for values that may not be
// representable. It rejects a NUL byte, which PostgreSQL cannot store in a
// setting at all (values are C strings), and newlines and carriage
// returns. Strictly, the lexer would accept a line break written as the
// escape \n, but PostgreSQL itself refuses line breaks in settings it
// writes ("parameter value for ALTER SYSTEM must not contain a newline"),
// and no setting azagen renders has a legitimate use for one: a line break
// there is a templating mistake, so it is reported rather than encoded.
func ConfStringChecked(s string) (string, error) {
	if i, b := firstByte(s, "\x00\n\r"); i >= 0 {
		return "", fmt.Errorf("a postgresql.conf string cannot contain %s", describeByte(b))
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'':
			b.WriteString("''")
		case '\\':
			b.WriteString(`\\`)
		default:
			b.WriteByte(s[i])
		}
	}
	b.WriteByte('\'')
	return b.String(), nil
}

// ParseConfString decodes a single-quoted postgresql.conf string literal
// the way PostgreSQL does, and is the inverse of ConfString.
//
// The whole of lit must be one token of the lexer's STRING rule: no raw
// newline inside, no unescaped lone quote, nothing after the closing
// quote. Decoding then follows DeescapeQuotedString (GUC_scanstr before
// PostgreSQL 16): \b \f \n \r \t are control characters, \ followed by
// one to three octal digits is that byte, \ before any other byte is that
// byte, and a doubled single quote is one quote. As in PostgreSQL, whose
// settings are C
// strings, an escaped NUL (\0) ends the value.
func ParseConfString(lit string) (string, error) {
	if len(lit) < 2 || lit[0] != '\'' {
		return "", errors.New("a postgresql.conf string literal must start with a single quote")
	}
	var b strings.Builder
	i := 1
	for {
		if i >= len(lit) {
			return "", errors.New("unterminated postgresql.conf string literal")
		}
		c := lit[i]
		switch {
		case c == '\n':
			return "", errors.New("a postgresql.conf string literal cannot span lines")
		case c == '\'' && i+1 < len(lit) && lit[i+1] == '\'':
			b.WriteByte('\'')
			i += 2
		case c == '\'':
			if i != len(lit)-1 {
				return "", fmt.Errorf("unexpected text %q after the closing quote", lit[i+1:])
			}
			return cString(b.String()), nil
		case c == '\\':
			if i+1 >= len(lit) || lit[i+1] == '\n' {
				return "", errors.New("a backslash must be followed by a character on the same line")
			}
			i++
			switch e := lit[i]; e {
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '0', '1', '2', '3', '4', '5', '6', '7':
				v := 0
				k := 0
				for ; k < 3 && i+k < len(lit) && lit[i+k] >= '0' && lit[i+k] <= '7'; k++ {
					v = v<<3 + int(lit[i+k]-'0')
				}
				// (char) octVal in C keeps the low eight bits.
				b.WriteByte(byte(v))
				i += k - 1
			default:
				b.WriteByte(e)
			}
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
}

// cString cuts s at its first NUL, as PostgreSQL's C strings do.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}
