package escape

import (
	"strings"
	"testing"
)

// readIniValue re-implements how parse_ini_file (libusual
// usual/cfparser.c) reads the value of the line "key = " + v: skip spaces
// and tabs after '=', take the rest of the line, trim trailing C
// whitespace. It stops at NUL because the file is a C string.
func readIniValue(v string) string {
	line := "key = " + v + "\n"
	if i := strings.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	p := strings.IndexByte(line, '=') + 1
	for p < len(line) && (line[p] == ' ' || line[p] == '\t') {
		p++
	}
	end := p
	for end < len(line) && line[end] != '\n' {
		end++
	}
	val := line[p:end]
	for len(val) > 0 && isCSpace(val[len(val)-1]) {
		val = val[:len(val)-1]
	}
	return val
}

func TestIniValue(t *testing.T) {
	ok := []string{
		"",
		"127.0.0.1",
		"SELECT usename, passwd FROM pgbouncer.get_auth($1)",
		"SELECT 1; -- #not a comment",
		"#leading hash is literal",
		";leading semicolon is literal",
		"a = b",
		"host=127.0.0.1 port=5432 dbname='my db'",
		"mid\tvalue tab",
		"ünï ✓",
	}
	for _, s := range ok {
		got, err := IniValue(s)
		if err != nil || got != s {
			t.Errorf("IniValue(%q) = %q, %v; want it unchanged", s, got, err)
		}
		if back := readIniValue(s); back != s {
			t.Errorf("PgBouncer would read %q as %q", s, back)
		}
	}
	bad := []struct{ in, wantErr string }{
		{" lead", "cannot start with a space"},
		{"\tlead", "cannot start with a tab"},
		{"trail ", "cannot end with a space"},
		{"trail\t", "cannot end with a tab"},
		{"trail\f", "cannot end with a form feed"},
		{"\vlead", "cannot start with a vertical tab"},
		{"two\nlines", "cannot contain a newline"},
		{"cr\rmid", "cannot contain a carriage return"},
		{"nul\x00", "cannot contain a NUL byte"},
	}
	for _, tt := range bad {
		if _, err := IniValue(tt.in); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("IniValue(%q) error = %v, want %q", tt.in, err, tt.wantErr)
		}
	}
}

// FuzzIniValue: IniValue accepts a value exactly when PgBouncer reads it
// back unchanged, except for a carriage return anywhere or a leading \v
// or \f, which PgBouncer would keep but IniValue rejects on purpose.
func FuzzIniValue(f *testing.F) {
	f.Add("SELECT 1; -- #x")
	f.Add(" lead")
	f.Add("trail\v")
	f.Add("cr\rmid")
	f.Fuzz(func(t *testing.T, s string) {
		_, err := IniValue(s)
		roundTrips := readIniValue(s) == s
		switch {
		case err == nil && !roundTrips:
			t.Fatalf("IniValue(%q) accepted a value PgBouncer reads as %q", s, readIniValue(s))
		case err != nil && roundTrips && !strings.Contains(s, "\r") && s[0] != '\v' && s[0] != '\f':
			t.Fatalf("IniValue(%q) rejected a value PgBouncer reads back unchanged: %v", s, err)
		}
	})
}
