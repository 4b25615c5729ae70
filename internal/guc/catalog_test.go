package guc

import (
	"math"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCatalogMatchesDump(t *testing.T) {
	names := Names()
	if len(names) != 416 {
		t.Errorf("catalog has %d settings, want the 416 rows of the 18.4 dump", len(names))
	}
	// Every real limit must print back exactly as pg_settings printed it,
	// which checks formatG against PostgreSQL's %g and parseLimit's
	// DBL_MAX mapping.
	for _, line := range strings.Split(strings.TrimSpace(settingsTSV), "\n")[1:] {
		f := strings.Split(line, "\t")
		s, ok := Lookup(f[0])
		if !ok {
			t.Errorf("Lookup(%q) failed", f[0])
			continue
		}
		if s.Type != "real" && s.Type != "integer" {
			continue
		}
		for i, lim := range []struct {
			v   float64
			has bool
		}{{s.Min, s.HasMin}, {s.Max, s.HasMax}} {
			if !lim.has {
				t.Errorf("%s: numeric setting without a limit", s.Name)
				continue
			}
			if got := formatG(lim.v); s.Type == "real" && got != f[3+i] {
				t.Errorf("%s: formatG(limit) = %q, dump says %q", s.Name, got, f[3+i])
			}
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name string
		want Setting
	}{
		{"shared_buffers", Setting{Name: "shared_buffers", Type: "integer", Unit: "8kB", Min: 16, Max: 1073741823, HasMin: true, HasMax: true, Default: "16384", Context: "postmaster"}},
		{"SHARED_BUFFERS", Setting{Name: "shared_buffers", Type: "integer", Unit: "8kB", Min: 16, Max: 1073741823, HasMin: true, HasMax: true, Default: "16384", Context: "postmaster"}},
		{"work_mem", Setting{Name: "work_mem", Type: "integer", Unit: "kB", Min: 64, Max: 2147483647, HasMin: true, HasMax: true, Default: "4096", Context: "user"}},
		// Obsolete names map to their successors, as in PostgreSQL.
		{"sort_mem", Setting{Name: "work_mem", Type: "integer", Unit: "kB", Min: 64, Max: 2147483647, HasMin: true, HasMax: true, Default: "4096", Context: "user"}},
		{"datestyle", Setting{Name: "DateStyle", Type: "string", Default: "ISO, MDY", Context: "user"}},
		{"wal_level", Setting{Name: "wal_level", Type: "enum", Enum: []string{"minimal", "replica", "logical"}, Default: "replica", Context: "postmaster"}},
		{"random_page_cost", Setting{Name: "random_page_cost", Type: "real", Min: 0, Max: math.MaxFloat64, HasMin: true, HasMax: true, Default: "4", Context: "user"}},
		{"ssl_max_protocol_version", Setting{Name: "ssl_max_protocol_version", Type: "enum", Enum: []string{"", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}, Context: "sighup"}},
		{"pg_stat_statements.max", Setting{Name: "pg_stat_statements.max", Type: "integer", Min: 100, Max: 1073741823, HasMin: true, HasMax: true, Default: "5000", Context: "postmaster"}},
		{"auto_explain.log_min_duration", Setting{Name: "auto_explain.log_min_duration", Type: "integer", Unit: "ms", Min: -1, Max: 2147483647, HasMin: true, HasMax: true, Default: "-1", Context: "superuser"}},
	}
	for _, tt := range tests {
		got, ok := Lookup(tt.name)
		if !ok {
			t.Errorf("Lookup(%q) not found", tt.name)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Lookup(%q) mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
	for _, name := range []string{"", "shared_bufers", "cron.log_run", "pg_stat_statements.nope", "wal_level "} {
		if s, ok := Lookup(name); ok {
			t.Errorf("Lookup(%q) = %+v, want not found", name, s)
		}
	}
}

// TestIOCombineLimits records a PostgreSQL 18 fact the renderer relies on:
// io_combine_limit may be set up to 128 blocks (1MB), but the server-wide
// io_max_combine_limit that caps it defaults to 16 blocks (128kB), so
// raising io_combine_limit alone beyond 16 has no effect.
func TestIOCombineLimits(t *testing.T) {
	icl, _ := Lookup("io_combine_limit")
	imcl, _ := Lookup("io_max_combine_limit")
	if icl.Unit != "8kB" || icl.Min != 1 || icl.Max != 128 || icl.Default != "16" || icl.Context != "user" {
		t.Errorf("io_combine_limit = %+v, want 1..128 8kB blocks, default 16, user", icl)
	}
	if imcl.Unit != "8kB" || imcl.Max != 128 || imcl.Default != "16" || imcl.Context != "postmaster" {
		t.Errorf("io_max_combine_limit = %+v, want ..128 8kB blocks, default 16, postmaster", imcl)
	}
	if err := Validate("io_combine_limit", "1MB"); err != nil {
		t.Errorf("io_combine_limit = 1MB (128 blocks): %v", err)
	}
	if err := Validate("io_combine_limit", "129"); err == nil || err.Error() != `129 8kB is outside the valid range for parameter "io_combine_limit" (1 .. 128)` {
		t.Errorf("io_combine_limit = 129: %v", err)
	}
}

// TestBuildWithoutLZ4 records that the dump comes from a build without
// lz4, zstd or liburing: their enum values are absent, and only a Checker
// that declares them accepts them.
func TestBuildWithoutLZ4(t *testing.T) {
	wc, _ := Lookup("wal_compression")
	if diff := cmp.Diff([]string{"pglz", "on", "off"}, wc.Enum); diff != "" {
		t.Errorf("wal_compression enumvals (-want +got):\n%s", diff)
	}
	im, _ := Lookup("io_method")
	if diff := cmp.Diff([]string{"sync", "worker"}, im.Enum); diff != "" {
		t.Errorf("io_method enumvals (-want +got):\n%s", diff)
	}
	dtc, _ := Lookup("default_toast_compression")
	if diff := cmp.Diff([]string{"pglz"}, dtc.Enum); diff != "" {
		t.Errorf("default_toast_compression enumvals (-want +got):\n%s", diff)
	}
}

func TestIsExtension(t *testing.T) {
	tests := []struct {
		name   string
		prefix string
		ok     bool
	}{
		{"cron.log_run", "cron", true},
		{"pg_stat_statements.max", "pg_stat_statements", true},
		{"timescaledb.max_background_workers", "timescaledb", true},
		{"a.b.c", "a", true},
		{"ext.x$1", "ext", true},
		{"Ünï.x", "Ünï", true},
		{"work_mem", "", false},
		{".x", "", false},
		{"x.", "", false},
		{"x..y", "", false},
		{"1x.y", "", false},
		{"x.1y", "", false},
		{"x-y.z", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		p, ok := IsExtension(tt.name)
		if p != tt.prefix || ok != tt.ok {
			t.Errorf("IsExtension(%q) = %q, %v; want %q, %v", tt.name, p, ok, tt.prefix, tt.ok)
		}
	}
}

func TestParseTSVErrors(t *testing.T) {
	const hdr = "name\tvartype\tunit\tmin_val\tmax_val\tenumvals\tboot_val\tcontext\n"
	for _, tt := range []struct{ data, wantErr string }{
		{"nope\n", "want header"},
		{hdr + "x\tbool\n", "2 fields, want 8"},
		{hdr + "x\tweird\t\t\t\t\t\tuser\n", `unknown vartype "weird"`},
		{hdr + "x\tinteger\tGB\t0\t1\t\t0\tuser\n", `unknown unit "GB"`},
		{hdr + "x\tinteger\t\tzero\t1\t\t0\tuser\n", "min_val"},
		{hdr + "x\tbool\t\t\t\t\toff\tuser\nX\tbool\t\t\t\t\toff\tuser\n", "duplicate"},
	} {
		if _, err := parseTSV(tt.data); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("parseTSV(%q) error = %v, want %q", tt.data, err, tt.wantErr)
		}
	}
}

// TestParseOtherDump parses another regen.sh output when one is given,
// e.g. from a newer server before replacing the committed file.
func TestParseOtherDump(t *testing.T) {
	path := os.Getenv("AZAGEN_GUC_TSV")
	if path == "" {
		t.Skip("AZAGEN_GUC_TSV not set")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseTSV(string(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	t.Logf("%s: %d settings", path, len(c.names))
}
