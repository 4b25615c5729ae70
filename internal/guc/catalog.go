// Package guc knows PostgreSQL 18's configuration parameters (GUCs) and
// checks postgresql.conf settings at compile time the way the server
// would check them at start-up: same parameter names, same value syntax,
// same unit conversion and rounding, same range limits, and error
// messages worded like the server's own.
//
// The catalog is a dump of pg_settings from a real server (see
// pg18-settings.tsv and regen.sh), not a hand-written list, so limits and
// enum values are the ones PostgreSQL 18.4 actually enforces. Checks that
// PostgreSQL only makes through check hooks or at run time (a search_path
// that names no schema, shared_buffers larger than memory, cross-parameter
// rules such as max_wal_senders needing wal_level >= replica) are out of
// scope.
package guc

import (
	_ "embed"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// settingsTSV is the output of
//
//	SELECT name, vartype, unit, min_val, max_val,
//	       array_to_string(enumvals, ','), boot_val, context
//	FROM pg_settings ORDER BY name COLLATE "C"
//
// on PostgreSQL 18.4 (the zonky/embedded-postgres linux-x64 build) with
// shared_preload_libraries = 'pg_stat_statements,auto_explain', printed by
// psql in unaligned mode with a tab separator and a header row; NULL is
// the empty string. regen.sh in this directory reproduces it.
//
// That build has no lz4, zstd or liburing, which shows in the enum values:
// wal_compression is {pglz,on,off} and io_method is {sync,worker}. Images
// built with lz4 accept wal_compression = lz4; this catalog does not.
//
//go:embed pg18-settings.tsv
var settingsTSV string

// Setting describes one parameter as pg_settings reports it.
type Setting struct {
	// Name is PostgreSQL's own spelling, e.g. "DateStyle" or "work_mem".
	Name string
	// Type is pg_settings.vartype: bool, integer, real, string or enum.
	Type string
	// Unit is the base unit of integer and real settings: "" (none),
	// "8kB" (blocks), "B", "kB", "MB", "ms", "s" or "min". Values written
	// with a unit are converted into it before the range check.
	Unit string
	// Min and Max are the inclusive limits of integer and real settings,
	// in Unit. HasMin and HasMax say whether pg_settings gave one.
	Min, Max       float64
	HasMin, HasMax bool
	// Enum lists the documented values of an enum setting, in
	// PostgreSQL's order. Hidden aliases that PostgreSQL also accepts
	// (wal_level = hot_standby, synchronous_commit = true, ...) are not
	// listed here but are accepted by Validate.
	Enum []string
	// Default is pg_settings.boot_val, the compiled-in default.
	Default string
	// Context is pg_settings.context: when the setting can change
	// (postmaster needs a restart, sighup a reload, user any session...).
	Context string
}

// catalog is the parsed TSV, keyed by lower-case name because GUC names
// are case-insensitive (guc_name_compare).
type catalog struct {
	byName     map[string]*Setting
	names      []string        // canonical names, sorted, for suggestions
	lowerNames []string        // names[i] in lower case
	prefixes   map[string]bool // lower-case extension prefixes in the dump
}

var loadCatalog = sync.OnceValue(func() *catalog {
	c, err := parseTSV(settingsTSV)
	if err != nil {
		// The file is embedded and covered by tests; failing here means
		// a broken regeneration, not bad user input.
		panic("guc: embedded pg18-settings.tsv: " + err.Error())
	}
	return c
})

func parseTSV(data string) (*catalog, error) {
	lines := strings.Split(strings.TrimRight(data, "\n"), "\n")
	const header = "name\tvartype\tunit\tmin_val\tmax_val\tenumvals\tboot_val\tcontext"
	if len(lines) == 0 || lines[0] != header {
		return nil, fmt.Errorf("want header %q", header)
	}
	c := &catalog{byName: map[string]*Setting{}, prefixes: map[string]bool{}}
	for i, line := range lines[1:] {
		f := strings.Split(line, "\t")
		if len(f) != 8 {
			return nil, fmt.Errorf("line %d: %d fields, want 8", i+2, len(f))
		}
		s := &Setting{Name: f[0], Type: f[1], Unit: f[2], Default: f[6], Context: f[7]}
		var err error
		if s.Min, s.HasMin, err = parseLimit(f[3]); err != nil {
			return nil, fmt.Errorf("line %d (%s): min_val: %v", i+2, s.Name, err)
		}
		if s.Max, s.HasMax, err = parseLimit(f[4]); err != nil {
			return nil, fmt.Errorf("line %d (%s): max_val: %v", i+2, s.Name, err)
		}
		if s.Type == "enum" {
			// No enum value in PostgreSQL contains a comma, and an empty
			// element (ssl_max_protocol_version's "") survives Split.
			s.Enum = strings.Split(f[5], ",")
		}
		switch s.Type {
		case "bool", "integer", "real", "string", "enum":
		default:
			return nil, fmt.Errorf("line %d (%s): unknown vartype %q", i+2, s.Name, s.Type)
		}
		if (s.Type == "integer" || s.Type == "real") && s.Unit != "" && unitTable(s.Unit) == nil {
			return nil, fmt.Errorf("line %d (%s): unknown unit %q", i+2, s.Name, s.Unit)
		}
		key := strings.ToLower(s.Name)
		if _, dup := c.byName[key]; dup {
			return nil, fmt.Errorf("line %d: duplicate name %q", i+2, s.Name)
		}
		c.byName[key] = s
		c.names = append(c.names, s.Name)
		if p, ok := IsExtension(s.Name); ok {
			c.prefixes[strings.ToLower(p)] = true
		}
	}
	sort.Strings(c.names)
	for _, n := range c.names {
		c.lowerNames = append(c.lowerNames, strings.ToLower(n))
	}
	return c, nil
}

// parseLimit reads a pg_settings min_val or max_val. PostgreSQL prints
// real limits with %g, which turns DBL_MAX into "1.79769e+308", a number
// slightly below DBL_MAX; reading that back literally would reject
// values the server accepts, so it is mapped back to DBL_MAX.
func parseLimit(s string) (float64, bool, error) {
	if s == "" {
		return 0, false, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false, err
	}
	switch s {
	case formatG(math.MaxFloat64):
		v = math.MaxFloat64
	case formatG(-math.MaxFloat64):
		v = -math.MaxFloat64
	}
	return v, true, nil
}

// oldNames are the obsolete names PostgreSQL 18 still maps to current
// parameters (map_old_guc_names in src/backend/utils/misc/guc.c).
var oldNames = map[string]string{
	"sort_mem":       "work_mem",
	"vacuum_mem":     "maintenance_work_mem",
	"ssl_ecdh_curve": "ssl_groups",
}

// Lookup finds a parameter by name. Like PostgreSQL it ignores ASCII case
// and accepts the obsolete names sort_mem, vacuum_mem and ssl_ecdh_curve
// for their successors. Extension parameters are known only for the
// extensions preloaded when the catalog was dumped: pg_stat_statements
// and auto_explain.
func Lookup(name string) (Setting, bool) {
	c := loadCatalog()
	key := strings.ToLower(name)
	s, ok := c.byName[key]
	if !ok {
		s, ok = c.byName[oldNames[key]]
	}
	if !ok {
		return Setting{}, false
	}
	out := *s
	// The catalog is shared; a caller appending to or editing Enum must
	// not change what the next Lookup sees.
	out.Enum = append([]string(nil), s.Enum...)
	return out, true
}

// Names returns every parameter name in the catalog, sorted.
func Names() []string {
	return append([]string(nil), loadCatalog().names...)
}

// IsExtension reports whether name has the form of an extension
// ("custom") parameter, prefix.name, and returns the prefix, which is by
// convention the extension's name. The rule is PostgreSQL's
// valid_custom_variable_name: at least one dot, and every dot-separated
// part a non-empty identifier (a letter, '_' or non-ASCII byte first;
// then also digits and '$').
func IsExtension(name string) (prefix string, ok bool) {
	sawDot := false
	partStart := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '.':
			if partStart {
				return "", false
			}
			sawDot = true
			partStart = true
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c >= 0x80:
			partStart = false
		case !partStart && (c >= '0' && c <= '9' || c == '$'):
		default:
			return "", false
		}
	}
	if partStart || !sawDot {
		return "", false
	}
	return name[:strings.IndexByte(name, '.')], true
}
