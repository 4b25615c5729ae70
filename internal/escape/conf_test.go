package escape

import (
	"strings"
	"testing"
)

func TestConfString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "''"},
		{"pg_catalog.english", "'pg_catalog.english'"},
		{"it's", "'it''s'"},
		{`C:\data`, `'C:\\data'`},
		{`\'`, `'\\'''`},
		{"%m [%p] %q%u@%d ", "'%m [%p] %q%u@%d '"},
		{"host=db password='x y'", "'host=db password=''x y'''"},
		{"tab\there", "'tab\there'"},
		{"ünï ✓", "'ünï ✓'"},
	}
	for _, tt := range tests {
		got := ConfString(tt.in)
		if got != tt.want {
			t.Errorf("ConfString(%q) = %q, want %q", tt.in, got, tt.want)
		}
		back, err := ParseConfString(got)
		if err != nil || back != tt.in {
			t.Errorf("ParseConfString(%q) = %q, %v; want %q", got, back, err, tt.in)
		}
	}
}

func TestConfStringChecked(t *testing.T) {
	for _, tt := range []struct{ in, wantErr string }{
		{"a\nb", "cannot contain a newline"},
		{"a\rb", "cannot contain a carriage return"},
		{"a\x00b", "cannot contain a NUL byte"},
	} {
		if _, err := ConfStringChecked(tt.in); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ConfStringChecked(%q) error = %v, want %q", tt.in, err, tt.wantErr)
		}
	}
	mustPanic(t, "ConfString newline", func() { ConfString("a\nb") })
}

func TestParseConfString(t *testing.T) {
	tests := []struct {
		lit, want, wantErr string
	}{
		// Decoding checked against `postgres -C log_line_prefix` (15.18):
		// 'a\nb''c\\d\101' reads as "a", newline, "b'c\dA".
		{lit: `'a\nb''c\\d\101'`, want: "a\nb'c\\dA"},
		{lit: `'\b\f\r\t'`, want: "\b\f\r\t"},
		{lit: `'\q\''`, want: "q'"},
		{lit: `'\7\77\777\1234'`, want: "\x07\x3f\xff\x534"},
		{lit: `'\08'`, want: ""},
		{lit: `'ab\0cd'`, want: "ab"},
		{lit: `''`, want: ""},
		{lit: `''''`, want: "'"},
		{lit: "'ünï'", want: "ünï"},
		{lit: `'\ü'`, want: "ü"},
		{lit: "unquoted", wantErr: "must start with a single quote"},
		{lit: "'", wantErr: "must start with a single quote"},
		{lit: "'abc", wantErr: "unterminated"},
		{lit: `'abc\'`, wantErr: "unterminated"},
		{lit: `'abc'''`, want: "abc'"},
		{lit: `'abc''`, wantErr: "unterminated"},
		{lit: "'a\nb'", wantErr: "cannot span lines"},
		{lit: "'a\\\nb'", wantErr: "same line"},
		{lit: `'a' b`, wantErr: `unexpected text " b"`},
		{lit: `'a'x'`, wantErr: "unexpected text"},
	}
	for _, tt := range tests {
		got, err := ParseConfString(tt.lit)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseConfString(%q) = %q, %v; want error containing %q", tt.lit, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseConfString(%q) = %q, %v; want %q", tt.lit, got, err, tt.want)
		}
	}
}

// FuzzConfString: for any representable value, PostgreSQL's reading of
// the literal gives the value back.
func FuzzConfString(f *testing.F) {
	f.Add("pg_catalog.english")
	f.Add(`it's C:\data`)
	f.Add(`\'\\''`)
	f.Add(`p@ss "#1"; ünï`)
	f.Fuzz(func(t *testing.T, s string) {
		lit, err := ConfStringChecked(s)
		if err != nil {
			if !strings.ContainsAny(s, "\x00\n\r") {
				t.Fatalf("ConfStringChecked(%q) rejected a representable value: %v", s, err)
			}
			return
		}
		back, err := ParseConfString(lit)
		if err != nil || back != s {
			t.Fatalf("ParseConfString(%q) = %q, %v; want %q", lit, back, err, s)
		}
	})
}

// FuzzParseConfString: the decoder never panics, and never returns a
// value with a NUL in it.
func FuzzParseConfString(f *testing.F) {
	f.Add(`'a\nb''c\\d\101'`)
	f.Add(`'\777'`)
	f.Add(`'\`)
	f.Fuzz(func(t *testing.T, lit string) {
		v, err := ParseConfString(lit)
		if err == nil && strings.IndexByte(v, 0) >= 0 {
			t.Fatalf("ParseConfString(%q) = %q contains NUL", lit, v)
		}
	})
}
