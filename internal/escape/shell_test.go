package escape

import (
	"os/exec"
	"strings"
	"testing"
)

// unquoteShellWord decodes the subset of sh word syntax ShellSingleQuote
// produces: single-quoted runs and backslash-escaped bytes.
func unquoteShellWord(w string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		switch w[i] {
		case '\'':
			j := strings.IndexByte(w[i+1:], '\'')
			if j < 0 {
				return "", false
			}
			b.WriteString(w[i+1 : i+1+j])
			i += j + 1
		case '\\':
			if i+1 == len(w) {
				return "", false
			}
			i++
			b.WriteByte(w[i])
		default:
			// Anything unquoted could be expanded or split by the shell.
			return "", false
		}
	}
	return b.String(), true
}

var shellCases = []struct{ in, want string }{
	{"", "''"},
	{"plain", "'plain'"},
	{"it's", `'it'\''s'`},
	{"'", `''\'''`},
	{`$HOME "x" \n $(id) *`, `'$HOME "x" \n $(id) *'`},
	{"two\nlines", "'two\nlines'"},
	{"ünï ✓", "'ünï ✓'"},
}

func TestShellSingleQuote(t *testing.T) {
	for _, tt := range shellCases {
		got := ShellSingleQuote(tt.in)
		if got != tt.want {
			t.Errorf("ShellSingleQuote(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if back, ok := unquoteShellWord(got); !ok || back != tt.in {
			t.Errorf("unquoteShellWord(%q) = %q, %v; want %q", got, back, ok, tt.in)
		}
	}
	mustPanic(t, "ShellSingleQuote NUL", func() { ShellSingleQuote("a\x00") })
}

// TestShellSingleQuoteWithSh asks the real /bin/sh, when there is one.
func TestShellSingleQuoteWithSh(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh in PATH")
	}
	for _, tt := range shellCases {
		out, err := exec.Command(sh, "-c", "printf %s "+ShellSingleQuote(tt.in)).Output()
		if err != nil {
			t.Errorf("sh -c printf %s: %v", ShellSingleQuote(tt.in), err)
			continue
		}
		if string(out) != tt.in {
			t.Errorf("sh read %q as %q, want %q", ShellSingleQuote(tt.in), out, tt.in)
		}
	}
}

// FuzzShellSingleQuote: every value without NUL comes back from the
// quoted word unchanged.
func FuzzShellSingleQuote(f *testing.F) {
	for _, c := range shellCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.IndexByte(s, 0) >= 0 {
			return
		}
		w := ShellSingleQuote(s)
		if back, ok := unquoteShellWord(w); !ok || back != s {
			t.Fatalf("unquoteShellWord(%q) = %q, %v; want %q", w, back, ok, s)
		}
	})
}
