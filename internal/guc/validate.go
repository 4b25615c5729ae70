package guc

import (
	"fmt"
	"math"
	"strings"
)

// ErrorKind classifies a validation failure so that callers can decide
// how to report it without matching message text.
type ErrorKind int

const (
	// UnknownParameter: no such parameter in PostgreSQL 18 (or in a
	// preloaded extension's namespace).
	UnknownParameter ErrorKind = iota + 1
	// InvalidValue: the value does not parse for the parameter's type,
	// has a bad unit, or is not one of the enum's values.
	InvalidValue
	// OutOfRange: the value parses but is outside the parameter's limits.
	OutOfRange
	// ExtensionNotLoaded: an extension parameter whose extension the
	// stack does not load, so PostgreSQL would keep it as an unchecked
	// placeholder and nothing would ever read it.
	ExtensionNotLoaded
)

// Error is a validation failure. Message is worded like the
// corresponding PostgreSQL error so that users who know the server's
// logs recognise it; Hint, when set, is PostgreSQL's HINT line or a
// spelling suggestion.
type Error struct {
	Kind    ErrorKind
	Name    string // the parameter name as given
	Value   string // the value as given
	Message string
	Hint    string
}

// Error joins the message and the hint on one line, since compiler
// diagnostics are printed one per line.
func (e *Error) Error() string {
	if e.Hint == "" {
		return e.Message
	}
	return e.Message + ". " + e.Hint
}

// Validate checks that value is acceptable for parameter name in a
// PostgreSQL 18 postgresql.conf. value is the setting as the server sees
// it after the config-file lexer, i.e. with quotes removed: 128MB, on,
// pg_catalog.english, 1.1, 3s, -1.
//
// Extension parameters are validated when the catalog knows them
// (pg_stat_statements.*, auto_explain.*); any other prefix is reported as
// an extension the stack does not load. Enum values are those of the
// build the catalog was dumped from, which lacks lz4, zstd and io_uring;
// use a Checker to describe a stack's extensions and build.
func Validate(name, value string) error {
	return Checker{}.Validate(name, value)
}

// ValidateWithExtensions is Validate for a stack that loads the
// extensions in loaded; see Checker.Extensions.
func ValidateWithExtensions(name, value string, loaded map[string]bool) error {
	return Checker{Extensions: loaded}.Validate(name, value)
}

// Checker validates settings for one stack: the extensions it loads and
// the optional features of its PostgreSQL build. The zero Checker is the
// catalog as dumped, with no extensions beyond the catalog's.
type Checker struct {
	// Extensions lists the extensions the stack preloads or creates,
	// keyed by name ("cron" for pg_cron's cron.* parameters) and matched
	// case-insensitively. For a prefix.name parameter:
	//
	//   - if the catalog knows parameters with that prefix, the parameter
	//     must be one of them and its value is fully checked, whether or
	//     not the prefix is listed (PostgreSQL reserves a prefix once the
	//     extension is loaded and drops unknown names with a warning);
	//   - otherwise, if the prefix is listed, any value is accepted,
	//     because the catalog cannot know that extension's parameters;
	//   - otherwise it is an error: the setting would sit in the server as
	//     an unchecked placeholder that nothing reads.
	Extensions map[string]bool

	// LZ4, Zstd and IOUring say that the server was built with lz4,
	// zstd or liburing, which adds enum values the catalog's build does
	// not have (they are #ifdef'd in PostgreSQL's enum tables):
	// wal_compression = lz4 / zstd, default_toast_compression = lz4,
	// io_method = io_uring. PGDG's Debian packages, and so the official
	// postgres Docker images, enable lz4 and zstd.
	LZ4, Zstd, IOUring bool
}

// Validate checks one setting; see the package-level Validate for the
// value format.
func (c Checker) Validate(name, value string) error {
	if s, ok := Lookup(name); ok {
		return c.validate(s, name, value)
	}
	prefix, isExt := IsExtension(name)
	if !isExt {
		return &Error{Kind: UnknownParameter, Name: name, Value: value,
			Message: fmt.Sprintf("unrecognized configuration parameter %q", name),
			Hint:    didYouMean(name)}
	}
	if loadCatalog().prefixes[strings.ToLower(prefix)] {
		return &Error{Kind: UnknownParameter, Name: name, Value: value,
			Message: fmt.Sprintf("invalid configuration parameter name %q: %q is a reserved prefix", name, prefix),
			Hint:    didYouMean(name)}
	}
	for ext, on := range c.Extensions {
		if on && strings.EqualFold(ext, prefix) {
			return nil
		}
	}
	return &Error{Kind: ExtensionNotLoaded, Name: name, Value: value,
		Message: fmt.Sprintf("parameter %q belongs to extension %q, which the stack neither preloads nor creates", name, prefix),
		Hint:    didYouMean(name)}
}

// enumValues is s.Enum plus the values c's build options add, in the
// order PostgreSQL's tables list them (so the HINT reads like the
// server's: "pglz, lz4, zstd, on, off").
func (c Checker) enumValues(s Setting) []string {
	has := func(v string) bool {
		for _, e := range s.Enum {
			if e == v {
				return true
			}
		}
		return false
	}
	var add []string
	at := len(s.Enum)
	switch strings.ToLower(s.Name) {
	case "wal_compression":
		if c.LZ4 && !has("lz4") {
			add = append(add, "lz4")
		}
		if c.Zstd && !has("zstd") {
			add = append(add, "zstd")
		}
		at = 1 // right after pglz
	case "default_toast_compression":
		if c.LZ4 && !has("lz4") {
			add = append(add, "lz4")
		}
	case "io_method":
		if c.IOUring && !has("io_uring") {
			add = append(add, "io_uring")
		}
	}
	if len(add) == 0 {
		return s.Enum
	}
	at = min(at, len(s.Enum))
	out := append(append(append([]string(nil), s.Enum[:at]...), add...), s.Enum[at:]...)
	return out
}

// hiddenEnumValues are the enum spellings PostgreSQL 18 accepts but does
// not list in pg_settings.enumvals (entries with hidden = true in the
// config_enum_entry tables of guc_tables.c, xlog.c and auto_explain.c).
// Without them, wal_level = hot_standby or synchronous_commit = true,
// which the server takes, would be reported as invalid.
var hiddenEnumValues = func() map[string][]string {
	boolish := []string{"true", "false", "yes", "no", "1", "0"}
	m := map[string][]string{
		"wal_level":               {"archive", "hot_standby"},
		"client_min_messages":     {"debug", "info"},
		"icu_validation_level":    {"debug", "info"},
		"log_min_messages":        {"debug"},
		"log_min_error_statement": {"debug"},
		"auto_explain.log_level":  {"debug"},
	}
	for _, n := range []string{
		"archive_mode", "backslash_quote", "compute_query_id",
		"constraint_exclusion", "debug_parallel_query", "huge_pages",
		"recovery_prefetch", "synchronous_commit", "wal_compression",
	} {
		m[n] = boolish
	}
	return m
}()

func (c Checker) validate(s Setting, name, value string) error {
	invalid := func(hint string) error {
		return &Error{Kind: InvalidValue, Name: name, Value: value,
			Message: fmt.Sprintf("invalid value for parameter %q: %q", s.Name, value),
			Hint:    hint}
	}
	switch s.Type {
	case "bool":
		if _, ok := parseBool(value); !ok {
			return &Error{Kind: InvalidValue, Name: name, Value: value,
				Message: fmt.Sprintf("parameter %q requires a Boolean value", s.Name)}
		}
	case "integer":
		v, hint, ok := parseInt(value, s.Unit)
		if !ok {
			return invalid(hint)
		}
		if (s.HasMin && float64(v) < s.Min) || (s.HasMax && float64(v) > s.Max) {
			u := unitSuffix(s.Unit)
			return &Error{Kind: OutOfRange, Name: name, Value: value,
				Message: fmt.Sprintf("%d%s is outside the valid range for parameter %q (%d .. %d)",
					v, u, s.Name, int64(s.Min), int64(s.Max))}
		}
	case "real":
		v, hint, ok := parseReal(value, s.Unit)
		if !ok {
			return invalid(hint)
		}
		if (s.HasMin && v < s.Min) || (s.HasMax && v > s.Max) {
			u := unitSuffix(s.Unit)
			return &Error{Kind: OutOfRange, Name: name, Value: value,
				Message: fmt.Sprintf("%s%s is outside the valid range for parameter %q (%s .. %s)",
					formatG(v), u, s.Name, formatG(s.Min), formatG(s.Max))}
		}
	case "enum":
		// config_enum_lookup_by_name: case-insensitive, no trimming.
		values := c.enumValues(s)
		for _, e := range values {
			if strings.EqualFold(e, value) {
				return nil
			}
		}
		for _, e := range hiddenEnumValues[strings.ToLower(s.Name)] {
			if strings.EqualFold(e, value) {
				return nil
			}
		}
		return invalid("Available values: " + strings.Join(values, ", ") + ".")
	case "string":
		// PostgreSQL accepts any string here; check hooks (search_path,
		// timezone, ...) need a running server.
	}
	return nil
}

// unitSuffix is how PostgreSQL prints the unit after the rejected value
// in range errors: " kB", " 8kB", " ms", or nothing for unitless
// settings. The limits in the same message carry no unit, as in
// "63 kB is outside the valid range for parameter "work_mem" (64 .. 2147483647)".
func unitSuffix(unit string) string {
	if unit == "" {
		return ""
	}
	return " " + unit
}

// parseBool is PostgreSQL's parse_bool (src/backend/utils/adt/bool.c):
// true, false, yes, no and any prefix of them, on and off (at least two
// letters, since "o" is ambiguous), 1 and 0, all case-insensitive. No
// whitespace is allowed.
func parseBool(s string) (bool, bool) {
	if s == "" {
		return false, false
	}
	prefixOf := func(word string, minLen int) bool {
		return len(s) >= minLen && len(s) <= len(word) && strings.EqualFold(s, word[:len(s)])
	}
	switch s[0] {
	case 't', 'T':
		return true, prefixOf("true", 1)
	case 'f', 'F':
		return false, prefixOf("false", 1)
	case 'y', 'Y':
		return true, prefixOf("yes", 1)
	case 'n', 'N':
		return false, prefixOf("no", 1)
	case 'o', 'O':
		if prefixOf("on", 2) {
			return true, true
		}
		return false, prefixOf("off", 2)
	case '1':
		return true, s == "1"
	case '0':
		return false, s == "0"
	}
	return false, false
}

// parseInt is PostgreSQL's parse_int: strtol with base 0, falling back to
// strtod when the number continues with '.', 'e' or 'E' or overflows;
// then an optional unit converted into the setting's base unit; then
// rounding half to even (rint) and a check against the int range. hint is
// PostgreSQL's HINT for the failure, if it gives one.
func parseInt(value, baseUnit string) (v int64, hint string, ok bool) {
	f, end, erange := strtol(value)
	if end < len(value) && (value[end] == '.' || value[end] == 'e' || value[end] == 'E') || erange {
		f, end, erange = strtod(value)
	}
	if end == 0 || erange || math.IsNaN(f) {
		return 0, "", false
	}
	f, hint, ok = applyUnit(f, value[end:], baseUnit)
	if !ok {
		return 0, hint, false
	}
	f = math.RoundToEven(f)
	if f > math.MaxInt32 || f < math.MinInt32 {
		return 0, "Value exceeds integer range.", false
	}
	return int64(f), "", true
}

// parseReal is PostgreSQL's parse_real: strtod, then an optional unit.
func parseReal(value, baseUnit string) (v float64, hint string, ok bool) {
	f, end, erange := strtod(value)
	if end == 0 || erange || math.IsNaN(f) {
		return 0, "", false
	}
	return applyUnit(f, value[end:], baseUnit)
}

// applyUnit handles whatever follows the number: whitespace only, or a
// unit (only for settings that have a base unit).
func applyUnit(f float64, rest, baseUnit string) (float64, string, bool) {
	i := 0
	for i < len(rest) && isCSpace(rest[i]) {
		i++
	}
	if i == len(rest) {
		return f, "", true
	}
	if baseUnit == "" {
		return 0, "", false
	}
	v, ok := convertToBaseUnit(f, rest[i:], baseUnit)
	if !ok {
		return 0, unitsHint(baseUnit), false
	}
	return v, "", true
}
