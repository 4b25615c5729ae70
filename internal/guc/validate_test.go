package guc

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// The settings this deployment renders into postgresql.conf.
func TestValidateDeploymentValues(t *testing.T) {
	lz4 := Checker{LZ4: true, Zstd: true}
	for _, tt := range []struct{ name, value string }{
		{"shared_buffers", "128MB"},
		{"work_mem", "1MB"},
		{"maintenance_work_mem", "64MB"},
		{"effective_cache_size", "4GB"},
		{"wal_level", "logical"},
		{"io_method", "worker"},
		{"wal_compression", "lz4"},
		{"max_connections", "100"},
		{"random_page_cost", "1.1"},
		{"checkpoint_timeout", "15min"},
		{"checkpoint_completion_target", "0.9"},
		{"log_min_duration_statement", "3s"},
		{"default_text_search_config", "pg_catalog.english"},
		{"shared_preload_libraries", "pg_stat_statements,auto_explain"},
		{"password_encryption", "scram-sha-256"},
		{"listen_addresses", "*"},
		{"pg_stat_statements.max", "10000"},
		{"pg_stat_statements.track", "all"},
		{"auto_explain.log_min_duration", "-1"},
		{"auto_explain.log_analyze", "on"},
		{"autovacuum_vacuum_cost_delay", "2ms"},
		{"io_workers", "3"},
		{"io_combine_limit", "128kB"},
	} {
		if err := lz4.Validate(tt.name, tt.value); err != nil {
			t.Errorf("%s = %s: %v", tt.name, tt.value, err)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name, value string
		wantKind    ErrorKind
		wantErr     string
	}{
		// Accepted, with PostgreSQL's conversions and rounding.
		{name: "shared_buffers", value: "16"},
		{name: "shared_buffers", value: "128kB"},
		{name: "work_mem", value: "64kB"},
		{name: "work_mem", value: " 4 MB "},
		{name: "work_mem", value: "0x1000"},
		{name: "work_mem", value: "1e3"},
		{name: "work_mem", value: "65535.5B"}, // 63.99... kB rounds to 64
		{name: "checkpoint_timeout", value: "1d"},
		{name: "checkpoint_timeout", value: "29.5s"}, // rint: half to even gives 30
		{name: "log_min_duration_statement", value: "-1"},
		{name: "log_min_duration_statement", value: "500us"},
		{name: "vacuum_cost_delay", value: "500us"},
		{name: "enable_seqscan", value: "of"},
		{name: "enable_seqscan", value: "TRUE"},
		{name: "enable_seqscan", value: "Ye"},
		{name: "enable_seqscan", value: "1"},
		{name: "wal_level", value: "LOGICAL"},
		{name: "wal_level", value: "hot_standby"},
		{name: "synchronous_commit", value: "true"},
		{name: "archive_mode", value: "yes"},
		{name: "client_min_messages", value: "debug"},
		{name: "ssl_max_protocol_version", value: ""},
		{name: "DateStyle", value: "ISO, DMY"},
		{name: "vacuum_mem", value: "64MB"},

		// Rejected, with PostgreSQL's wording (checked against postgres
		// -C where the parameter exists in 15; see oracle_test.go).
		{name: "shared_bufers", value: "128MB", wantKind: UnknownParameter,
			wantErr: `unrecognized configuration parameter "shared_bufers". Did you mean "shared_buffers"?`},
		{name: "wrk_mem", value: "1MB", wantKind: UnknownParameter,
			wantErr: `unrecognized configuration parameter "wrk_mem". Did you mean "work_mem"?`},
		{name: "completely_unknown_thing", value: "1", wantKind: UnknownParameter,
			wantErr: `unrecognized configuration parameter "completely_unknown_thing"`},
		{name: "shared_buffers", value: "lots", wantKind: InvalidValue,
			wantErr: `invalid value for parameter "shared_buffers": "lots"`},
		{name: "shared_buffers", value: "127kB"}, // 15.875 blocks round to 16
		{name: "shared_buffers", value: "120kB", wantKind: OutOfRange,
			wantErr: `15 8kB is outside`},
		{name: "shared_buffers", value: "100kB", wantKind: OutOfRange,
			wantErr: `12 8kB is outside the valid range for parameter "shared_buffers" (16 .. 1073741823)`},
		{name: "work_mem", value: "8XB", wantKind: InvalidValue,
			wantErr: `invalid value for parameter "work_mem": "8XB". Valid units for this parameter are "B", "kB", "MB", "GB", and "TB".`},
		{name: "work_mem", value: "1mb", wantKind: InvalidValue,
			wantErr: `Valid units for this parameter are "B", "kB", "MB", "GB", and "TB".`},
		{name: "work_mem", value: "2TB", wantKind: InvalidValue,
			wantErr: `invalid value for parameter "work_mem": "2TB". Value exceeds integer range.`},
		{name: "work_mem", value: "63kB", wantKind: OutOfRange,
			wantErr: `63 kB is outside the valid range for parameter "work_mem" (64 .. 2147483647)`},
		{name: "work_mem", value: "010", wantKind: OutOfRange,
			wantErr: `8 kB is outside`}, // strtol base 0: octal
		{name: "work_mem", value: "-.5", wantKind: InvalidValue},
		{name: "work_mem", value: "", wantKind: InvalidValue},
		{name: "checkpoint_timeout", value: "5m", wantKind: InvalidValue,
			wantErr: `Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".`},
		{name: "checkpoint_timeout", value: "2d", wantKind: OutOfRange,
			wantErr: `172800 s is outside the valid range for parameter "checkpoint_timeout" (30 .. 86400)`},
		{name: "max_connections", value: "0", wantKind: OutOfRange,
			wantErr: `0 is outside the valid range for parameter "max_connections" (1 .. 262143)`},
		{name: "max_connections", value: "100kB", wantKind: InvalidValue,
			wantErr: `invalid value for parameter "max_connections": "100kB"`},
		{name: "vacuum_cost_delay", value: "1s", wantKind: OutOfRange,
			wantErr: `1000 ms is outside the valid range for parameter "vacuum_cost_delay" (0 .. 100)`},
		{name: "random_page_cost", value: "-1", wantKind: OutOfRange,
			wantErr: `-1 is outside the valid range for parameter "random_page_cost" (0 .. 1.79769e+308)`},
		{name: "random_page_cost", value: "inf", wantKind: OutOfRange,
			wantErr: `Infinity is outside`},
		{name: "random_page_cost", value: "nan", wantKind: InvalidValue},
		{name: "random_page_cost", value: "1e-400", wantKind: InvalidValue},
		{name: "recursive_worktable_factor", value: "2e6", wantKind: OutOfRange,
			wantErr: `2e+06 is outside the valid range for parameter "recursive_worktable_factor" (0.001 .. 1e+06)`},
		{name: "enable_seqscan", value: "maybe", wantKind: InvalidValue,
			wantErr: `parameter "enable_seqscan" requires a Boolean value`},
		{name: "enable_seqscan", value: "o", wantKind: InvalidValue},
		{name: "enable_seqscan", value: "off ", wantKind: InvalidValue},
		{name: "wal_level", value: "full", wantKind: InvalidValue,
			wantErr: `invalid value for parameter "wal_level": "full". Available values: minimal, replica, logical.`},
		{name: "io_method", value: "io_uring", wantKind: InvalidValue,
			wantErr: `invalid value for parameter "io_method": "io_uring". Available values: sync, worker.`},
		{name: "wal_compression", value: "lz4", wantKind: InvalidValue,
			wantErr: `invalid value for parameter "wal_compression": "lz4". Available values: pglz, on, off.`},
		{name: "wal_level", value: "logical ", wantKind: InvalidValue},
		{name: "log_min_messages", value: "info", wantKind: 0},
		{name: "client_min_messages", value: "fatal", wantKind: InvalidValue},

		// Extensions.
		{name: "cron.log_run", value: "on", wantKind: ExtensionNotLoaded,
			wantErr: `parameter "cron.log_run" belongs to extension "cron", which the stack neither preloads nor creates`},
		{name: "pg_stat_statement.max", value: "1", wantKind: ExtensionNotLoaded,
			wantErr: `belongs to extension "pg_stat_statement", which the stack neither preloads nor creates. Did you mean "pg_stat_statements.max"?`},
		{name: "auto_explain.log_min_durationX", value: "1", wantKind: UnknownParameter,
			wantErr: `invalid configuration parameter name "auto_explain.log_min_durationX": "auto_explain" is a reserved prefix. Did you mean "auto_explain.log_min_duration"?`},
		{name: "pg_stat_statements.max", value: "abc", wantKind: InvalidValue,
			wantErr: `invalid value for parameter "pg_stat_statements.max": "abc"`},
		{name: "pg_stat_statements.max", value: "99", wantKind: OutOfRange},
		{name: "auto_explain.log_level", value: "debug"},
		{name: "auto_explain.log_format", value: "toml", wantKind: InvalidValue,
			wantErr: `Available values: text, xml, json, yaml.`},
	}
	for _, tt := range tests {
		err := Validate(tt.name, tt.value)
		if tt.wantKind == 0 {
			if err != nil {
				t.Errorf("Validate(%q, %q) = %v, want nil", tt.name, tt.value, err)
			}
			continue
		}
		var ve *Error
		if !errors.As(err, &ve) {
			t.Errorf("Validate(%q, %q) = %v, want *Error of kind %d", tt.name, tt.value, err, tt.wantKind)
			continue
		}
		if ve.Kind != tt.wantKind || ve.Name != tt.name || ve.Value != tt.value {
			t.Errorf("Validate(%q, %q) = %+v, want kind %d", tt.name, tt.value, ve, tt.wantKind)
		}
		if !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Validate(%q, %q) = %q, want it to contain %q", tt.name, tt.value, err, tt.wantErr)
		}
	}
}

func TestValidateWithExtensions(t *testing.T) {
	loaded := map[string]bool{"cron": true, "PGAudit": true, "timescaledb": false}
	tests := []struct {
		name, value string
		ok          bool
	}{
		{"cron.log_run", "on", true},
		{"CRON.anything_at_all", "whatever", true},
		{"pgaudit.log", "ddl", true},
		{"timescaledb.max_background_workers", "8", false}, // listed but false
		{"pgsodium.getkey_script", "/x", false},
		// A prefix the catalog knows is always checked.
		{"pg_stat_statements.max", "abc", false},
		{"pg_stat_statements.nope", "1", false},
		{"auto_explain.log_analyze", "on", true},
		{"work_mem", "1MB", true},
	}
	for _, tt := range tests {
		err := ValidateWithExtensions(tt.name, tt.value, loaded)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateWithExtensions(%q, %q) = %v, want ok=%v", tt.name, tt.value, err, tt.ok)
		}
	}
	if err := ValidateWithExtensions("cron.log_run", "on", nil); err == nil {
		t.Error("nil extension map accepted cron.log_run")
	}
}

func TestCheckerBuildOptions(t *testing.T) {
	tests := []struct {
		c           Checker
		name, value string
		wantErr     string
	}{
		{Checker{LZ4: true}, "wal_compression", "lz4", ""},
		{Checker{LZ4: true}, "wal_compression", "LZ4", ""},
		{Checker{LZ4: true}, "default_toast_compression", "lz4", ""},
		{Checker{LZ4: true}, "wal_compression", "zstd",
			`invalid value for parameter "wal_compression": "zstd". Available values: pglz, lz4, on, off.`},
		{Checker{LZ4: true, Zstd: true}, "wal_compression", "gzip",
			`Available values: pglz, lz4, zstd, on, off.`},
		{Checker{Zstd: true}, "wal_compression", "zstd", ""},
		{Checker{Zstd: true}, "default_toast_compression", "lz4", `Available values: pglz.`},
		{Checker{IOUring: true}, "io_method", "io_uring", ""},
		{Checker{IOUring: true}, "io_method", "posix", `Available values: sync, worker, io_uring.`},
		{Checker{}, "wal_compression", "true", ""}, // hidden alias
	}
	for _, tt := range tests {
		err := tt.c.Validate(tt.name, tt.value)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%+v.Validate(%q, %q) = %v, want nil", tt.c, tt.name, tt.value, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%+v.Validate(%q, %q) = %v, want %q", tt.c, tt.name, tt.value, err, tt.wantErr)
		}
	}
	// The catalog itself is not changed by a Checker.
	if s, _ := Lookup("wal_compression"); len(s.Enum) != 3 {
		t.Errorf("Lookup(wal_compression).Enum = %q after Checker use", s.Enum)
	}
}

// TestHiddenEnumValuesExist guards the alias table against typos: every
// name in it must be an enum in the catalog, and no alias may already be
// a listed value.
func TestHiddenEnumValuesExist(t *testing.T) {
	for name, aliases := range hiddenEnumValues {
		s, ok := Lookup(name)
		if !ok || s.Type != "enum" {
			t.Errorf("hiddenEnumValues names %q, which is not an enum in the catalog", name)
			continue
		}
		for _, a := range aliases {
			for _, e := range s.Enum {
				if strings.EqualFold(a, e) {
					t.Errorf("%s: hidden alias %q is already listed", name, a)
				}
			}
		}
	}
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{
		"on": true, "ON": true, "off": false, "of": false, "Off": false,
		"t": true, "tr": true, "tru": true, "true": true, "TrUe": true,
		"f": false, "fa": false, "false": false,
		"y": true, "ye": true, "yes": true, "n": false, "no": false,
		"1": true, "0": false,
	} {
		if got, ok := parseBool(in); !ok || got != want {
			t.Errorf("parseBool(%q) = %v, %v; want %v, true", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "o", "onn", "offf", "truex", "yess", "nope", "01", "10", "2", " on", "on ", "enable"} {
		if got, ok := parseBool(in); ok {
			t.Errorf("parseBool(%q) = %v, true; want failure", in, got)
		}
	}
}

func TestParseIntConversions(t *testing.T) {
	tests := []struct {
		value, unit string
		want        int64
	}{
		{"128MB", "8kB", 16384},
		{"1GB", "8kB", 131072},
		{"0.1GB", "8kB", 13056}, // rounded to whole MB first: 102MB
		{"12kB", "8kB", 2},      // 1.5 blocks, half to even
		{"20kB", "8kB", 2},      // 2.5 blocks, half to even
		{"1.5MB", "kB", 1536},
		{"65535.5B", "kB", 64},
		{"1TB", "MB", 1048576},
		{"1d", "s", 86400},
		{"1.5min", "s", 90},
		{"29999ms", "s", 30},
		{"1500us", "ms", 2},
		{"2500us", "ms", 2},
		{"90s", "min", 2},
		{"30s", "min", 0},
		{"0x10", "", 16},
		{"-010", "", -8},
		{"1e3", "", 1000},
		{"2147483647", "", 2147483647},
		{"-2147483648", "", -2147483648},
		{"0x1.8p1", "", 3},
	}
	for _, tt := range tests {
		got, hint, ok := parseInt(tt.value, tt.unit)
		if !ok || got != tt.want {
			t.Errorf("parseInt(%q, %q) = %d, %q, %v; want %d", tt.value, tt.unit, got, hint, ok, tt.want)
		}
	}
	for _, tt := range []struct{ value, unit, hint string }{
		{"2147483648", "", "Value exceeds integer range."},
		{"99999999999999999999", "", "Value exceeds integer range."},
		{"1 M B", "kB", memoryUnitsHint},
		{"1MBB", "kB", memoryUnitsHint},
		{"1 day", "s", timeUnitsHint},
		{"08", "", ""},
		{"1e", "", ""},
		{"inf", "", ""},
		{"-", "", ""},
		{"0x", "", ""},
	} {
		if got, hint, ok := parseInt(tt.value, tt.unit); ok || hint != tt.hint {
			t.Errorf("parseInt(%q, %q) = %d, %q, %v; want failure with hint %q", tt.value, tt.unit, got, hint, ok, tt.hint)
		}
	}
}

func TestStrtod(t *testing.T) {
	tests := []struct {
		in     string
		v      float64
		end    int
		erange bool
	}{
		{"1.5", 1.5, 3, false},
		{"  -2e3x", -2000, 6, false},
		{"1.", 1, 2, false},
		{".5", 0.5, 2, false},
		{"1e", 1, 1, false},
		{"1e+", 1, 1, false},
		{"0x1p4", 16, 5, false},
		{"0x10", 16, 4, false},
		{"0x", 0, 1, false},
		{"0x.8", 0.5, 4, false},
		{"INF", math.Inf(1), 3, false},
		{"-Infinity", math.Inf(-1), 9, false},
		{"1e400", math.Inf(1), 5, true},
		{"1e-400", 0, 6, true},
		{"0e-400", 0, 6, false},
		{".", 0, 0, false},
		{"", 0, 0, false},
		{"+", 0, 0, false},
		{"abc", 0, 0, false},
	}
	for _, tt := range tests {
		v, end, erange := strtod(tt.in)
		if v != tt.v || end != tt.end || erange != tt.erange {
			t.Errorf("strtod(%q) = %v, %d, %v; want %v, %d, %v", tt.in, v, end, erange, tt.v, tt.end, tt.erange)
		}
	}
	if v, end, _ := strtod("nan(123)x"); !math.IsNaN(v) || end != 8 {
		t.Errorf("strtod(nan(123)x) = %v, %d", v, end)
	}
}

func TestStrtol(t *testing.T) {
	tests := []struct {
		in     string
		v      float64
		end    int
		erange bool
	}{
		{"42", 42, 2, false},
		{" -0x1F!", -31, 6, false},
		{"017", 15, 3, false},
		{"08", 0, 1, false},
		{"0x", 0, 1, false},
		{"0xg", 0, 1, false},
		{"9223372036854775807", math.MaxInt64, 19, false},
		{"9223372036854775808", math.MaxInt64, 19, true},
		{"-9223372036854775808", math.MinInt64, 20, false},
		{"-9223372036854775809", math.MinInt64, 20, true},
		{"99999999999999999999999", math.MaxInt64, 23, true},
		{"  ", 0, 0, false},
		{"-x", 0, 0, false},
	}
	for _, tt := range tests {
		v, end, erange := strtol(tt.in)
		if v != tt.v || end != tt.end || erange != tt.erange {
			t.Errorf("strtol(%q) = %v, %d, %v; want %v, %d, %v", tt.in, v, end, erange, tt.v, tt.end, tt.erange)
		}
	}
}

func TestFormatG(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0", 1: "1", 0.1: "0.1", 100000: "100000", 1e6: "1e+06", 1234567: "1.23457e+06",
		0.0001: "0.0001", 0.00001: "1e-05", math.MaxFloat64: "1.79769e+308", -2.5: "-2.5",
		math.Inf(1): "Infinity", math.Inf(-1): "-Infinity",
	} {
		if got := formatG(v); got != want {
			t.Errorf("formatG(%v) = %q, want %q", v, got, want)
		}
	}
	if got := formatG(math.NaN()); got != "NaN" {
		t.Errorf("formatG(NaN) = %q", got)
	}
}

func TestDidYouMean(t *testing.T) {
	for in, want := range map[string]string{
		"shared_bufers":        `Did you mean "shared_buffers"?`,
		"SHARED_BUFERS":        `Did you mean "shared_buffers"?`,
		"max_conections":       `Did you mean "max_connections"?`,
		"datestyl":             `Did you mean "DateStyle"?`,
		"x":                    "",
		"totally_unrelated_xy": "",
	} {
		if got := didYouMean(in); got != want {
			t.Errorf("didYouMean(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzValidate: Validate never panics, errors always come as *Error with
// a message, and an accepted integer or real value really is in range.
func FuzzValidate(f *testing.F) {
	f.Add("shared_buffers", "128MB")
	f.Add("work_mem", "0x1.8p10 kB")
	f.Add("random_page_cost", "1e-400")
	f.Add("wal_level", "hot_standby")
	f.Add("cron.log_run", "on")
	f.Add("checkpoint_timeout", " 1.5 min ")
	f.Fuzz(func(t *testing.T, name, value string) {
		err := Checker{Extensions: map[string]bool{"cron": true}, LZ4: true}.Validate(name, value)
		if err != nil {
			var ve *Error
			if !errors.As(err, &ve) || ve.Message == "" || ve.Kind == 0 {
				t.Fatalf("Validate(%q, %q) = %#v", name, value, err)
			}
			return
		}
		s, ok := Lookup(name)
		if !ok {
			return
		}
		switch s.Type {
		case "integer":
			v, _, ok := parseInt(value, s.Unit)
			if !ok || float64(v) < s.Min || float64(v) > s.Max {
				t.Fatalf("Validate(%q, %q) accepted %d outside %v..%v", name, value, v, s.Min, s.Max)
			}
		case "real":
			v, _, ok := parseReal(value, s.Unit)
			if !ok || math.IsNaN(v) || v < s.Min || v > s.Max {
				t.Fatalf("Validate(%q, %q) accepted %v outside %v..%v", name, value, v, s.Min, s.Max)
			}
		}
	})
}

// FuzzParseNumber drives the number parsers directly with every unit
// table, where most of the C emulation lives.
func FuzzParseNumber(f *testing.F) {
	f.Add("0x1.8p10", uint8(1))
	f.Add(" -1e3 min ", uint8(5))
	f.Add("65535.5B", uint8(2))
	f.Fuzz(func(t *testing.T, value string, u uint8) {
		units := []string{"", "B", "kB", "MB", "8kB", "ms", "s", "min"}
		unit := units[int(u)%len(units)]
		if v, hint, ok := parseInt(value, unit); ok && (hint != "" || v > math.MaxInt32 || v < math.MinInt32) {
			t.Fatalf("parseInt(%q, %q) = %d, %q", value, unit, v, hint)
		}
		if v, _, ok := parseReal(value, unit); ok && math.IsNaN(v) {
			t.Fatalf("parseReal(%q, %q) = NaN", value, unit)
		}
	})
}
