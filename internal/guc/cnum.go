package guc

import (
	"math"
	"strconv"
	"strings"
)

// The functions in this file reproduce the C library behaviour that
// PostgreSQL's parse_int and parse_real build on (glibc strtol with base
// 0, strtod, and printf's %g), because the accepted syntax is defined by
// them rather than by any PostgreSQL grammar: "0x10" and "010" (octal!)
// are integers, "1e3" is a valid integer setting, "-.5" is not.

// isCSpace is C isspace() in the C locale.
func isCSpace(b byte) bool {
	switch b {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// strtol mimics strtol(s, &end, 0) for a 64-bit long. end is 0 when no
// digits were found, even after leading whitespace or a sign, as in C.
// erange reports overflow; the value is then clamped like LONG_MAX/MIN.
func strtol(s string) (v float64, end int, erange bool) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	base := uint64(10)
	switch {
	case i+2 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && hexVal(s[i+2]) >= 0:
		base = 16
		i += 2
	case i < len(s) && s[i] == '0':
		base = 8
	}
	start := i
	var n uint64
	over := false
	for i < len(s) {
		d := digitVal(s[i], base)
		if d < 0 {
			break
		}
		if !over {
			if n > (math.MaxUint64-uint64(d))/base {
				over = true
			} else {
				n = n*base + uint64(d)
			}
		}
		i++
	}
	if i == start {
		return 0, 0, false
	}
	switch {
	case !neg && (over || n > math.MaxInt64):
		return math.MaxInt64, i, true
	case neg && (over || n > 1<<63):
		return math.MinInt64, i, true
	case neg:
		return -float64(n), i, false
	}
	return float64(n), i, false
}

func hexVal(b byte) int {
	switch {
	case b >= '0' && b <= '9':
		return int(b - '0')
	case b >= 'a' && b <= 'f':
		return int(b-'a') + 10
	case b >= 'A' && b <= 'F':
		return int(b-'A') + 10
	}
	return -1
}

func digitVal(b byte, base uint64) int {
	d := hexVal(b)
	if d < 0 || uint64(d) >= base {
		return -1
	}
	return d
}

// strtod mimics glibc strtod: leading whitespace, a sign, then a decimal
// or hexadecimal (0x, exponent p optional) number, "inf", "infinity" or
// "nan[(...)]", all case-insensitive. end is 0 when nothing was parsed.
// erange reports overflow and underflow; glibc sets ERANGE for results
// that round to zero or to a subnormal, which this approximates by
// checking the magnitude of the result.
func strtod(s string) (v float64, end int, erange bool) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	rest := strings.ToLower(s[i:])
	switch {
	case strings.HasPrefix(rest, "infinity"):
		return signed(math.Inf(1), neg), i + 8, false
	case strings.HasPrefix(rest, "inf"):
		return signed(math.Inf(1), neg), i + 3, false
	case strings.HasPrefix(rest, "nan"):
		j := i + 3
		if j < len(s) && s[j] == '(' {
			k := j + 1
			for k < len(s) && (hexVal(s[k]) >= 0 || s[k] >= 'a' && s[k] <= 'z' || s[k] >= 'A' && s[k] <= 'Z' || s[k] == '_') {
				k++
			}
			if k < len(s) && s[k] == ')' {
				j = k + 1
			}
		}
		return math.NaN(), j, false
	}

	hex := i+2 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') &&
		(hexVal(s[i+2]) >= 0 || s[i+2] == '.' && i+3 < len(s) && hexVal(s[i+3]) >= 0)
	base := uint64(10)
	mantStart := i
	if hex {
		base = 16
		i += 2
	}
	digits, nonZero := 0, false
	for i < len(s) && digitVal(s[i], base) >= 0 {
		nonZero = nonZero || s[i] != '0'
		digits++
		i++
	}
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && digitVal(s[j], base) >= 0 {
			nonZero = nonZero || s[j] != '0'
			digits++
			j++
		}
		if digits > 0 {
			i = j
		}
	}
	if digits == 0 {
		return 0, 0, false
	}
	mantEnd := i
	expMark := byte('e')
	if hex {
		expMark = 'p'
	}
	exp := ""
	if i < len(s) && (s[i]|0x20) == expMark {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j {
			exp = s[i+1 : k]
			i = k
		}
	}
	text := s[mantStart:mantEnd]
	if hex {
		if exp == "" {
			exp = "0"
		}
		text += "p" + exp
	} else if exp != "" {
		text += "e" + exp
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return signed(f, neg), i, true
		}
		// Cannot happen for text built above; treat as no conversion.
		return 0, 0, false
	}
	if nonZero && math.Abs(f) < 0x1p-1022 {
		return signed(f, neg), i, true
	}
	return signed(f, neg), i, false
}

func signed(f float64, neg bool) float64 {
	if neg {
		return -f
	}
	return f
}

// formatG is C printf("%g") as PostgreSQL's snprintf does it: six
// significant digits, trailing zeros dropped, exponent form below 1e-4 or
// from 1e6, and "NaN"/"Infinity" spelled PostgreSQL's way.
func formatG(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}
