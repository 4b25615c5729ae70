package escape

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPgpassField(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"*", "*"},
		{"we:ird", `we\:ird`},
		{`pa\ss`, `pa\\ss`},
		{`a:b\c"d'e#f@g h`, `a\:b\\c"d'e#f@g h`},
		{`\:`, `\\\:`},
		{"pässwörd✓", "pässwörd✓"},
	}
	for _, tt := range tests {
		if got := PgpassField(tt.in); got != tt.want {
			t.Errorf("PgpassField(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPgpassLine(t *testing.T) {
	tests := []struct {
		host     string
		port     int
		db, user string
		password string
		want     string
	}{
		// The line the oracle run used against PgBouncer 1.18 and libpq.
		{"localhost", 6432, "*", "weird", `we:ird"pa\ss`, `localhost:6432:*:weird:we\:ird"pa\\ss`},
		{"localhost", 6432, "appdb", "appuser", "apppass", "localhost:6432:appdb:appuser:apppass"},
		{"*", 0, "*", "postgres", "x", "*:*:*:postgres:x"},
		{"/var/run/postgresql", 5432, "postgres", "postgres", "p@ss word#1", "/var/run/postgresql:5432:postgres:postgres:p@ss word#1"},
		{"#host", 5432, "db", "u", "pw", `\#host:5432:db:u:pw`},
		{"::1", 5432, "db", "u", "pw", `\:\:1:5432:db:u:pw`},
		{"h", 1, "", "", "", "h:1:::"},
	}
	for _, tt := range tests {
		got := PgpassLine(tt.host, tt.port, tt.db, tt.user, tt.password)
		if got != tt.want {
			t.Errorf("PgpassLine(%q, %d, %q, %q, %q) = %q, want %q", tt.host, tt.port, tt.db, tt.user, tt.password, got, tt.want)
		}
		fields, err := ParsePgpassLine(got)
		if err != nil {
			t.Errorf("ParsePgpassLine(%q): %v", got, err)
			continue
		}
		want := []string{tt.host, pgpassPort(tt.port), tt.db, tt.user, tt.password}
		if diff := cmp.Diff(want, fields); diff != "" {
			t.Errorf("ParsePgpassLine(%q) mismatch (-want +got):\n%s", got, diff)
		}
	}
}

func TestValidatePgpassField(t *testing.T) {
	for _, s := range []string{"a\nb", "a\rb", "a\x00b", "trailing\n"} {
		if err := ValidatePgpassField(s); err == nil {
			t.Errorf("ValidatePgpassField(%q) = nil, want an error", s)
		}
	}
	for _, s := range []string{"", "*", `:\`, "tab\there", "ünïcode"} {
		if err := ValidatePgpassField(s); err != nil {
			t.Errorf("ValidatePgpassField(%q) = %v, want nil", s, err)
		}
	}
}

func TestPgpassPanics(t *testing.T) {
	mustPanic(t, "PgpassField newline", func() { PgpassField("a\nb") })
	mustPanic(t, "PgpassLine password newline", func() { PgpassLine("h", 1, "d", "u", "x\n*:*:*:*:y") })
	mustPanic(t, "PgpassLine port", func() { PgpassLine("h", 70000, "d", "u", "p") })
	mustPanic(t, "PgpassLine negative port", func() { PgpassLine("h", -1, "d", "u", "p") })
}

func TestParsePgpassLine(t *testing.T) {
	tests := []struct {
		line    string
		want    []string
		wantErr string
	}{
		{line: "h:5432:db:u:pw", want: []string{"h", "5432", "db", "u", "pw"}},
		{line: "h:5432:db:u:pw\r\n", want: []string{"h", "5432", "db", "u", "pw"}},
		{line: "*:*:*:*:pw", want: []string{"*", "*", "*", "*", "pw"}},
		// \* is a literal star, not the wildcard; both read back as "*".
		{line: `\*:5432:db:u:pw`, want: []string{"*", "5432", "db", "u", "pw"}},
		// The password stops at an unescaped colon; the rest is ignored.
		{line: "h:1:d:u:pw:extra:fields", want: []string{"h", "1", "d", "u", "pw"}},
		{line: "h:1:d:u:", want: []string{"h", "1", "d", "u", ""}},
		// A lone trailing backslash in the password is kept.
		{line: `h:1:d:u:pw\`, want: []string{"h", "1", "d", "u", `pw\`}},
		{line: `h:1:d:u:a\b`, want: []string{"h", "1", "d", "u", "ab"}},
		{line: " h:1:d:u:p", want: []string{" h", "1", "d", "u", "p"}},
		{line: "# h:1:d:u:p", wantErr: "comment"},
		{line: "", wantErr: "empty"},
		{line: "\r\n", wantErr: "empty"},
		{line: "h:1:d:u", wantErr: "has 4 fields, want 5"},
		{line: "h", wantErr: "has 1 fields, want 5"},
		{line: `h:1:d:u\`, wantErr: "ends in a backslash"},
	}
	for _, tt := range tests {
		got, err := ParsePgpassLine(tt.line)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParsePgpassLine(%q) = %q, %v; want error containing %q", tt.line, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParsePgpassLine(%q): %v", tt.line, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParsePgpassLine(%q) mismatch (-want +got):\n%s", tt.line, diff)
		}
	}
}

// FuzzPgpassLine: for any representable fields, libpq's reading of the
// rendered line gives back exactly those fields.
func FuzzPgpassLine(f *testing.F) {
	f.Add("localhost", uint16(6432), "*", "weird", `we:ird"pa\ss`)
	f.Add("#h", uint16(0), "d b", `u\`, `:\"'#@ ünï`)
	f.Add("*", uint16(5432), `\*`, "", `\`)
	f.Fuzz(func(t *testing.T, host string, port uint16, db, user, password string) {
		for _, s := range []string{host, db, user, password} {
			if ValidatePgpassField(s) != nil {
				return
			}
		}
		line := PgpassLine(host, int(port), db, user, password)
		if strings.ContainsAny(line, "\n\r\x00") {
			t.Fatalf("PgpassLine produced a control byte: %q", line)
		}
		got, err := ParsePgpassLine(line)
		if err != nil {
			t.Fatalf("ParsePgpassLine(%q): %v", line, err)
		}
		want := []string{host, pgpassPort(int(port)), db, user, password}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("round trip of %q mismatch (-want +got):\n%s", line, diff)
		}
	})
}

// FuzzParsePgpassLine: the parser never panics, and whatever it reads
// renders back to a line it reads the same way.
func FuzzParsePgpassLine(f *testing.F) {
	f.Add(`localhost:6432:*:weird:we\:ird"pa\\ss`)
	f.Add(`\#h:1:d:u:pw:rest`)
	f.Add("*:*:*:*:\\")
	f.Fuzz(func(t *testing.T, line string) {
		fields, err := ParsePgpassLine(line)
		if err != nil {
			return
		}
		if len(fields) != 5 {
			t.Fatalf("ParsePgpassLine(%q) returned %d fields", line, len(fields))
		}
		for _, s := range fields {
			if ValidatePgpassField(s) != nil {
				return
			}
		}
		var again []string
		out := strings.Join([]string{pgpassHost(fields[0]), PgpassField(fields[1]), PgpassField(fields[2]), PgpassField(fields[3]), PgpassField(fields[4])}, ":")
		again, err = ParsePgpassLine(out)
		if err != nil {
			t.Fatalf("re-reading %q (from %q): %v", out, line, err)
		}
		if diff := cmp.Diff(fields, again); diff != "" {
			t.Fatalf("re-reading %q (from %q) mismatch (-first +second):\n%s", out, line, diff)
		}
	})
}

// pgpassPort is how PgpassLine writes a port, read back.
func pgpassPort(port int) string {
	if port == 0 {
		return "*"
	}
	return strconv.Itoa(port)
}

// pgpassHost mirrors PgpassLine's treatment of the host field.
func pgpassHost(s string) string {
	h := PgpassField(s)
	if strings.HasPrefix(h, "#") {
		h = `\` + h
	}
	return h
}

func mustPanic(t *testing.T, what string, fn func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: did not panic", what)
		}
	}()
	fn()
}
