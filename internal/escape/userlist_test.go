package escape

import (
	"strings"
	"testing"
)

func TestUserlistLine(t *testing.T) {
	tests := []struct{ user, password, want string }{
		// The line the oracle run used against PgBouncer 1.18.
		{"pgbouncer_auth", `au:th"pa\ss`, `"pgbouncer_auth" "au:th""pa\ss"`},
		{"appuser", "apppass", `"appuser" "apppass"`},
		{"", "", `"" ""`},
		{`"`, `""`, `"""" """"""`},
		{"we ird", "p@ss #1; x'y", `"we ird" "p@ss #1; x'y"`},
		{"ünï", "✓", `"ünï" "✓"`},
		{"u", "SCRAM-SHA-256$4096:c2FsdA==$a:b", `"u" "SCRAM-SHA-256$4096:c2FsdA==$a:b"`},
	}
	for _, tt := range tests {
		got := UserlistLine(tt.user, tt.password)
		if got != tt.want {
			t.Errorf("UserlistLine(%q, %q) = %q, want %q", tt.user, tt.password, got, tt.want)
		}
		u, p, err := ParseUserlistLine(got)
		if err != nil || u != tt.user || p != tt.password {
			t.Errorf("ParseUserlistLine(%q) = %q, %q, %v; want %q, %q", got, u, p, err, tt.user, tt.password)
		}
	}
}

func TestValidateUserlistEntry(t *testing.T) {
	tests := []struct {
		user, password, wantErr string
	}{
		{"a\x00", "p", "user name cannot contain a NUL byte"},
		{"a", "p\n", "password cannot contain a newline"},
		{"a", "p\r", "password cannot contain a carriage return"},
		{strings.Repeat("u", 127), "p", ""},
		{strings.Repeat("u", 128), "p", "user name must be shorter than 128 bytes"},
		// Quotes are counted doubled, as PgBouncer sees them in the file.
		{strings.Repeat("u", 125) + `"`, "p", ""},
		{strings.Repeat("u", 126) + `"`, "p", "shorter than 128 bytes once quotes are doubled, got 128"},
		{"u", strings.Repeat("p", 2047), ""},
		{"u", strings.Repeat("p", 2048), "password must be shorter than 2048 bytes"},
	}
	for _, tt := range tests {
		err := ValidateUserlistEntry(tt.user, tt.password)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("ValidateUserlistEntry(%.20q, %.20q) = %v, want nil", tt.user, tt.password, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("ValidateUserlistEntry(%.20q, %.20q) = %v, want error containing %q", tt.user, tt.password, err, tt.wantErr)
		}
	}
	mustPanic(t, "UserlistLine NUL", func() { UserlistLine("u", "a\x00b") })
}

func TestParseUserlistLine(t *testing.T) {
	tests := []struct {
		line, user, pass, wantErr string
	}{
		{line: `"u" "p"`, user: "u", pass: "p"},
		{line: "  \t\"u\"\t\"p\"  trailing junk ignored\n", user: "u", pass: "p"},
		// PgBouncer skips anything between the two tokens.
		{line: `"u"garbage"p"`, user: "u", pass: "p"},
		{line: `"a""b" "c""""d"`, user: `a"b`, pass: `c""d`},
		{line: `"u" ""`, user: "u", pass: ""},
		{line: `; "u" "p"`, wantErr: "comment"},
		{line: "   ", wantErr: "empty"},
		{line: `u "p"`, wantErr: `does not start with '"'`},
		{line: `"u`, wantErr: "user name has no closing quote"},
		{line: `"u" `, wantErr: "no password"},
		{line: `"u" "p`, wantErr: "password has no closing quote"},
		{line: `"u" "p""`, wantErr: "password has no closing quote"},
		{line: `"` + strings.Repeat("u", 128) + `" "p"`, wantErr: "user name too long"},
	}
	for _, tt := range tests {
		u, p, err := ParseUserlistLine(tt.line)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseUserlistLine(%q) = %q, %q, %v; want error containing %q", tt.line, u, p, err, tt.wantErr)
			}
			continue
		}
		if err != nil || u != tt.user || p != tt.pass {
			t.Errorf("ParseUserlistLine(%q) = %q, %q, %v; want %q, %q", tt.line, u, p, err, tt.user, tt.pass)
		}
	}
}

// FuzzUserlistLine: for any representable user and password (any bytes
// but NUL, CR and LF, including : \ " ' # @ and non-ASCII), PgBouncer's
// reading of the rendered line gives back exactly the pair.
func FuzzUserlistLine(f *testing.F) {
	f.Add("pgbouncer_auth", `au:th"pa\ss`)
	f.Add(`"`, `""`)
	f.Add("", "")
	f.Add("we ird", "p@ss #1; x'y ünï")
	f.Fuzz(func(t *testing.T, user, password string) {
		if ValidateUserlistEntry(user, password) != nil {
			return
		}
		line := UserlistLine(user, password)
		u, p, err := ParseUserlistLine(line)
		if err != nil {
			t.Fatalf("ParseUserlistLine(%q): %v", line, err)
		}
		if u != user || p != password {
			t.Fatalf("round trip of %q = %q, %q; want %q, %q", line, u, p, user, password)
		}
	})
}
