package duration

import (
	"strings"
	"testing"
	"time"
)

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in        string
		want      time.Duration
		canonical string
	}{
		{"10s", 10 * time.Second, "10s"},
		{"30s", 30 * time.Second, "30s"},
		{"1m30s", 90 * time.Second, "1m30s"},
		{"90s", 90 * time.Second, "1m30s"},
		{"1.5m", 90 * time.Second, "1m30s"},
		{"1h", time.Hour, "1h"},
		{"3600s", time.Hour, "1h"},
		{"1h30m", 90 * time.Minute, "1h30m"},
		{"1m60s", 2 * time.Minute, "2m"},
		{"0s", 0, "0s"},
		{"0us", 0, "0s"},
		{"0.0h", 0, "0s"},
		{"1500ms", 1500 * time.Millisecond, "1s500ms"},
		{"1.5s", 1500 * time.Millisecond, "1s500ms"},
		{"0.5ms", 500 * time.Microsecond, "500us"},
		{"100us", 100 * time.Microsecond, "100us"},
		{"25h", 25 * time.Hour, "25h"},
		{"2h45m30.5s", 2*time.Hour + 45*time.Minute + 30500*time.Millisecond, "2h45m30s500ms"},
		{"1h5m30s20ms", time.Hour + 5*time.Minute + 30*time.Second + 20*time.Millisecond, "1h5m30s20ms"},
		// Components may repeat and come in any order; the grammar allows it.
		{"1s1s", 2 * time.Second, "2s"},
		{"1s1h", time.Hour + time.Second, "1h1s"},
		// Leading zeros and long but exact fractions.
		{"007s", 7 * time.Second, "7s"},
		{"0.000001000s", time.Microsecond, "1us"},
		{"0.000001h", 3600 * time.Microsecond, "3ms600us"},
		// The largest value a time.Duration holds in whole microseconds.
		{"2562047h47m16s854ms775us", 9223372036854775 * time.Microsecond, "2562047h47m16s854ms775us"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): unexpected error %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if f := Format(got); f != tt.canonical {
			t.Errorf("Format(Parse(%q)) = %q, want %q", tt.in, f, tt.canonical)
		}
		if c, err := Canonical(tt.in); err != nil || c != tt.canonical {
			t.Errorf("Canonical(%q) = %q, %v; want %q", tt.in, c, err, tt.canonical)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{"10 seconds", `invalid duration "10 seconds": want a Compose duration such as 10s, 1m30s or 500ms`},
		{"", `invalid duration "": want a Compose duration`},
		{"0", `invalid duration "0": want a Compose duration`},
		{"10", `want a Compose duration`},
		{"1d", `want a Compose duration`},
		{"1w", `want a Compose duration`},
		{"-5s", `want a Compose duration`},
		{"+5s", `want a Compose duration`},
		{".5s", `want a Compose duration`},
		{"5.s", `want a Compose duration`},
		{"1µs", `want a Compose duration`},
		{"1ns", `want a Compose duration`},
		{"10S", `want a Compose duration`},
		{" 10s", `want a Compose duration`},
		{"10s ", `want a Compose duration`},
		{"1h 30m", `want a Compose duration`},
		{"1e3s", `want a Compose duration`},
		{"0.5us", `invalid duration "0.5us": 0.5us is not a whole number of microseconds`},
		{"0.0000001s", `0.0000001s is not a whole number of microseconds`},
		{".000000001h", `want a Compose duration`},
		{"0.000000001h", `0.000000001h is not a whole number of microseconds`},
		// time.ParseDuration would drop the trailing digit and say 1s.
		{"1.0000000001s", `1.0000000001s is not a whole number of microseconds`},
		{"2562047h47m16s854ms776us", `longer than the maximum 2562047h47m16s854ms775us`},
		{"2562048h", `longer than the maximum`},
		{"99999999999999999999999h", `longer than the maximum`},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) = %v, want error containing %q", tt.in, got, tt.wantErr)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Parse(%q) error = %q, want it to contain %q", tt.in, err, tt.wantErr)
		}
		if _, cerr := Canonical(tt.in); cerr == nil || cerr.Error() != err.Error() {
			t.Errorf("Canonical(%q) error = %v, want %v", tt.in, cerr, err)
		}
	}
}

func TestFormatPanics(t *testing.T) {
	for _, d := range []time.Duration{-time.Second, time.Nanosecond, 1500 * time.Nanosecond} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Format(%d) did not panic", int64(d))
				}
			}()
			Format(d)
		}()
	}
}

// FuzzParse checks the two properties the renderer relies on: whatever
// Parse accepts, Format prints in a form that parses back to the same
// value, and that printed form is a fixed point of Canonical.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"10s", "1m30s", "1.5m", "0s", "2h45m30.5s", "0.000001h", "1d", ".5s", "0.5us", "1s1h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			if grammar.MatchString(s) && !strings.Contains(err.Error(), "microseconds") && !strings.Contains(err.Error(), "maximum") {
				t.Fatalf("Parse(%q) rejected a grammatical value for an unexpected reason: %v", s, err)
			}
			return
		}
		if d < 0 || d%time.Microsecond != 0 {
			t.Fatalf("Parse(%q) = %d ns: negative or finer than a microsecond", s, int64(d))
		}
		out := Format(d)
		if !grammar.MatchString(out) {
			t.Fatalf("Format(%v) = %q does not match the grammar", d, out)
		}
		back, err := Parse(out)
		if err != nil || back != d {
			t.Fatalf("Parse(Format(Parse(%q))) = %v, %v; want %v", s, back, err, d)
		}
		if again, err := Canonical(out); err != nil || again != out {
			t.Fatalf("Canonical(%q) = %q, %v; want a fixed point", out, again, err)
		}
		// Cross-check against the standard library where it is exact: it
		// agrees on every value without a fraction.
		if !strings.Contains(s, ".") {
			if std, err := time.ParseDuration(s); err == nil && std != d {
				t.Fatalf("Parse(%q) = %v, time.ParseDuration = %v", s, d, std)
			}
		}
	})
}

// FuzzFormat starts from the value side: every non-negative whole number
// of microseconds has a spelling that parses back to itself.
func FuzzFormat(f *testing.F) {
	for _, n := range []int64{0, 1, 999, 1000, 1500000, 90000000, 3600000000, 9223372036854775} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, micros int64) {
		if micros < 0 || micros > maxMicros {
			return
		}
		d := time.Duration(micros) * time.Microsecond
		s := Format(d)
		back, err := Parse(s)
		if err != nil || back != d {
			t.Fatalf("Parse(Format(%v)) = %v, %v (Format gave %q)", d, back, err, s)
		}
	})
}
