// Package duration parses and prints durations in the Compose
// specification's grammar ("Specifying durations" in
// compose-spec/11-extension.md): one or more {value}{unit} pairs with units
// us, ms, s, m and h, for example 10ms, 40s, 1m30s or 1h5m30s20ms.
//
// The package exists because neither obvious tool is right for generated
// compose files. time.Duration.String prints 1h0m0s, 1.5s and 500µs (micro
// sign), none of which is the canonical spec form, and compose-go's loader
// accepts 1d, 1w, -5s and a bare 0, which the spec does not. Parse is
// exactly as strict as the spec, and Format prints one canonical spelling
// per value so that rendered files are byte-stable.
package duration

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strings"
	"time"
)

// grammar is the spec's duration syntax. The CUE schema's #Duration uses
// the same expression, so a value that passed CUE is only rejected here for
// the numeric reasons below (overflow, finer than a microsecond).
var grammar = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?(us|ms|s|m|h))+$`)

// unitMicros gives each unit's length in microseconds. Working in whole
// microseconds (the finest unit the grammar can name) keeps the arithmetic
// exact; time.ParseDuration goes through float64 for fractions and would
// silently drop digits below a nanosecond.
var unitMicros = map[string]int64{
	"us": 1,
	"ms": 1000,
	"s":  1000 * 1000,
	"m":  60 * 1000 * 1000,
	"h":  60 * 60 * 1000 * 1000,
}

// maxMicros is the largest whole number of microseconds a time.Duration
// can hold.
const maxMicros = math.MaxInt64 / int64(time.Microsecond)

// Parse reads a Compose duration. It accepts exactly
// ^([0-9]+(\.[0-9]+)?(us|ms|s|m|h))+$ and additionally rejects values that
// are not a whole number of microseconds (0.5us, 0.0000001s) or that do not
// fit in a time.Duration. A zero value must carry a unit: "0s" is valid,
// "0" is not.
func Parse(s string) (time.Duration, error) {
	if !grammar.MatchString(s) {
		return 0, fmt.Errorf("invalid duration %q: want a Compose duration such as 10s, 1m30s or 500ms", s)
	}
	total := new(big.Int)
	for rest := s; rest != ""; {
		intPart, fracPart, unit, tail := splitComponent(rest)
		rest = tail

		micros := big.NewInt(unitMicros[unit])
		n, _ := new(big.Int).SetString(intPart, 10)
		total.Add(total, n.Mul(n, micros))
		if fracPart == "" {
			continue
		}
		// frac/10^k of a unit is whole in microseconds only when
		// frac*unit is divisible by 10^k.
		num, _ := new(big.Int).SetString(fracPart, 10)
		num.Mul(num, micros)
		den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(fracPart))), nil)
		q, r := new(big.Int).QuoRem(num, den, new(big.Int))
		if r.Sign() != 0 {
			return 0, fmt.Errorf("invalid duration %q: %s.%s%s is not a whole number of microseconds", s, intPart, fracPart, unit)
		}
		total.Add(total, q)
	}
	if !total.IsInt64() || total.Int64() > maxMicros {
		return 0, fmt.Errorf("invalid duration %q: longer than the maximum %s", s, Format(time.Duration(maxMicros)*time.Microsecond))
	}
	return time.Duration(total.Int64()) * time.Microsecond, nil
}

// splitComponent takes the first {value}{unit} pair off s, which must
// already match grammar. "ms" has to be tried before "m" and "s".
func splitComponent(s string) (intPart, fracPart, unit, rest string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intPart = s[:i]
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		fracPart = s[i+1 : j]
		i = j
	}
	for _, u := range []string{"us", "ms", "s", "m", "h"} {
		if strings.HasPrefix(s[i:], u) {
			return intPart, fracPart, u, s[i+len(u):]
		}
	}
	panic("duration: splitComponent called on input that does not match the grammar: " + s)
}

// Format prints d in canonical Compose form: "0s" for zero, otherwise the
// non-zero hour, minute, second, millisecond and microsecond components in
// that order with integer values only (90s is "1m30s", 3600s is "1h",
// 1500ms is "1s500ms"). Hours are never folded into days, which the spec
// has no unit for, so 25h stays "25h".
//
// Format panics if d is negative or not a whole number of microseconds:
// such values cannot be written in the grammar, and every value coming
// from Parse satisfies both conditions.
func Format(d time.Duration) string {
	if d < 0 {
		panic(fmt.Sprintf("duration.Format: negative duration %v has no Compose spelling", d))
	}
	if d%time.Microsecond != 0 {
		panic(fmt.Sprintf("duration.Format: %v is not a whole number of microseconds", d))
	}
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	for _, c := range []struct {
		unit string
		size time.Duration
	}{
		{"h", time.Hour},
		{"m", time.Minute},
		{"s", time.Second},
		{"ms", time.Millisecond},
		{"us", time.Microsecond},
	} {
		if n := d / c.size; n != 0 {
			fmt.Fprintf(&b, "%d%s", n, c.unit)
			d -= n * c.size
		}
	}
	return b.String()
}

// Canonical rewrites a Compose duration into its canonical spelling, so
// that "90s", "1.5m" and "1m30s" all become "1m30s". It fails on exactly
// the inputs Parse rejects.
func Canonical(s string) (string, error) {
	d, err := Parse(s)
	if err != nil {
		return "", err
	}
	return Format(d), nil
}
