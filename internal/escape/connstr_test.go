package escape

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// parseLibpqConninfo re-implements libpq's conninfo_parse
// (src/interfaces/libpq/fe-connect.c) for key=value strings, returning the
// pairs in order.
func parseLibpqConninfo(s string) ([][2]string, error) {
	var out [][2]string
	p := 0
	for p < len(s) {
		if isCSpace(s[p]) {
			p++
			continue
		}
		start := p
		for p < len(s) && s[p] != '=' && !isCSpace(s[p]) {
			p++
		}
		key := s[start:p]
		for p < len(s) && isCSpace(s[p]) {
			p++
		}
		if p >= len(s) || s[p] != '=' {
			return nil, errors.New(`missing "=" after "` + key + `" in connection info string`)
		}
		p++
		for p < len(s) && isCSpace(s[p]) {
			p++
		}
		var v strings.Builder
		if p < len(s) && s[p] == '\'' {
			p++
			for {
				if p >= len(s) {
					return nil, errors.New("unterminated quoted string in connection info string")
				}
				if s[p] == '\\' {
					p++
					if p < len(s) {
						v.WriteByte(s[p])
						p++
					}
					continue
				}
				if s[p] == '\'' {
					p++
					break
				}
				v.WriteByte(s[p])
				p++
			}
		} else {
			for p < len(s) {
				if isCSpace(s[p]) {
					p++
					break
				}
				if s[p] == '\\' {
					p++
					if p < len(s) {
						v.WriteByte(s[p])
						p++
					}
					continue
				}
				v.WriteByte(s[p])
				p++
			}
		}
		out = append(out, [2]string{key, v.String()})
	}
	return out, nil
}

// parsePgbouncerConnstr re-implements PgBouncer's cstr_get_pair loop
// (src/loader.c): only ' ' separates, quoted values double their quotes,
// empty values are an error.
func parsePgbouncerConnstr(s string) ([][2]string, error) {
	var out [][2]string
	skip := func(p int) int {
		for p < len(s) && s[p] == ' ' {
			p++
		}
		return p
	}
	p := 0
	for {
		p = skip(p)
		if p >= len(s) {
			return out, nil
		}
		start := p
		for p < len(s) && s[p] != '=' && s[p] != ' ' {
			p++
		}
		key := s[start:p]
		p = skip(p)
		if p >= len(s) || s[p] != '=' || key == "" {
			return nil, errors.New("syntax error in connection string")
		}
		p = skip(p + 1)
		var v strings.Builder
		if p < len(s) && s[p] == '\'' {
			p++
			for {
				if p >= len(s) {
					return nil, errors.New("syntax error in connection string")
				}
				if s[p] == '\'' {
					if p+1 < len(s) && s[p+1] == '\'' {
						p++
					} else {
						break
					}
				}
				v.WriteByte(s[p])
				p++
			}
			p++ // the closing quote
		} else {
			for p < len(s) && s[p] != ' ' {
				v.WriteByte(s[p])
				p++
			}
		}
		if p < len(s) {
			p++ // the byte cut to end the value
		}
		if v.Len() == 0 {
			return nil, errors.New("syntax error in connection string")
		}
		out = append(out, [2]string{key, v.String()})
	}
}

func TestConnstrValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"127.0.0.1", "127.0.0.1"},
		{"db-primary", "db-primary"},
		{"", "''"},
		{"my db", "'my db'"},
		{"it's", `'it\'s'`},
		{`C:\x`, `'C:\\x'`},
		{"a=b", "a=b"},
		{"tab\t", "'tab\t'"},
		{`p@ss "#1"`, `'p@ss "#1"'`},
	}
	for _, tt := range tests {
		got := ConnstrValue(tt.in)
		if got != tt.want {
			t.Errorf("ConnstrValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
		pairs, err := parseLibpqConninfo("password=" + got + " host=h")
		want := [][2]string{{"password", tt.in}, {"host", "h"}}
		if err != nil {
			t.Errorf("libpq parse of %q: %v", got, err)
		} else if diff := cmp.Diff(want, pairs); diff != "" {
			t.Errorf("libpq parse of %q mismatch (-want +got):\n%s", got, diff)
		}
	}
	mustPanic(t, "ConnstrValue NUL", func() { ConnstrValue("a\x00") })
}

func TestPgbouncerConnstrValue(t *testing.T) {
	tests := []struct{ in, want, wantErr string }{
		{in: "appdb", want: "appdb"},
		{in: "my db", want: "'my db'"},
		{in: "it's", want: "'it''s'"},
		// Backslash is literal for PgBouncer; libpq-style \' would break.
		{in: `C:\x`, want: `C:\x`},
		{in: `a\'b c`, want: `'a\''b c'`},
		{in: "SET search_path TO app; SELECT 1", want: "'SET search_path TO app; SELECT 1'"},
		{in: "", wantErr: "empty"},
		{in: "a\x00", wantErr: "NUL"},
	}
	for _, tt := range tests {
		got, err := PgbouncerConnstrValue(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("PgbouncerConnstrValue(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("PgbouncerConnstrValue(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		pairs, err := parsePgbouncerConnstr("host=127.0.0.1 dbname=" + got + " port=5432")
		want := [][2]string{{"host", "127.0.0.1"}, {"dbname", tt.in}, {"port", "5432"}}
		if err != nil {
			t.Errorf("PgBouncer parse of %q: %v", got, err)
		} else if diff := cmp.Diff(want, pairs); diff != "" {
			t.Errorf("PgBouncer parse of %q mismatch (-want +got):\n%s", got, diff)
		}
	}
	// The libpq quoting really is wrong for PgBouncer: the value ends at
	// the escaped quote and the rest becomes a bogus key.
	if pairs, err := parsePgbouncerConnstr("password=" + ConnstrValue("a'b c") + " port=1"); err == nil && cmp.Equal(pairs, [][2]string{{"password", "a'b c"}, {"port", "1"}}) {
		t.Errorf("libpq quoting unexpectedly round-trips through PgBouncer's parser: %q", pairs)
	}
}

// FuzzConnstrValue: libpq reads back every quoted value, whatever it
// contains, and the next key is unaffected.
func FuzzConnstrValue(f *testing.F) {
	f.Add(`p@ss "#1" it's C:\x`)
	f.Add("")
	f.Add("\\")
	f.Fuzz(func(t *testing.T, s string) {
		if strings.IndexByte(s, 0) >= 0 {
			return
		}
		q := ConnstrValue(s)
		pairs, err := parseLibpqConninfo("password=" + q + " host=h")
		want := [][2]string{{"password", s}, {"host", "h"}}
		if err != nil || !cmp.Equal(want, pairs) {
			t.Fatalf("libpq parse of %q = %q, %v; want %q", q, pairs, err, want)
		}
	})
}

// FuzzPgbouncerConnstrValue: PgBouncer reads back every value it can
// hold, inside a complete connection string that is also a valid ini
// value.
func FuzzPgbouncerConnstrValue(f *testing.F) {
	f.Add("my db")
	f.Add(`a\'b c`)
	f.Add("''")
	f.Fuzz(func(t *testing.T, s string) {
		q, err := PgbouncerConnstrValue(s)
		if err != nil {
			return
		}
		line := "host=127.0.0.1 dbname=" + q + " port=5432"
		if strings.ContainsAny(s, "\n\r") {
			if _, err := IniValue(line); err == nil {
				t.Fatalf("IniValue accepted %q", line)
			}
			return
		}
		if _, err := IniValue(line); err != nil {
			t.Fatalf("IniValue(%q): %v", line, err)
		}
		pairs, err := parsePgbouncerConnstr(line)
		want := [][2]string{{"host", "127.0.0.1"}, {"dbname", s}, {"port", "5432"}}
		if err != nil || !cmp.Equal(want, pairs) {
			t.Fatalf("PgBouncer parse of %q = %q, %v; want %q", line, pairs, err, want)
		}
	})
}
