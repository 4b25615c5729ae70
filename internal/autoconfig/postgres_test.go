package autoconfig_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/azagen/azagen/internal/autoconfig"
	"github.com/azagen/azagen/internal/testing/oracle"
)

// entrypointSettings runs the rendered entrypoint for a container of ramMB
// and cpus and returns its -c settings in order.
func entrypointSettings(t *testing.T, h *harness, ramMB, cpus int) []string {
	t.Helper()
	r := h.run(t, autoconfig.Probe{
		MemoryMax: strconv.Itoa(ramMB*1024*1024) + "\n",
		CPUMax:    fmt.Sprintf("%d 100000\n", cpus*100000),
	}, "postgres")
	if r.code != 0 || r.lines != 1 {
		t.Fatalf("entrypoint: exit %d, %d [AUTO-CONFIG] lines\n%s%s", r.code, r.lines, r.stdout, r.stderr)
	}
	var out []string
	for i := 1; i+1 < len(r.args); i += 2 {
		if r.args[i] != "-c" {
			t.Fatalf("argument %d is %q, want -c: %q", i, r.args[i], r.args)
		}
		out = append(out, r.args[i+1])
	}
	return out
}

// TestPostgresAcceptsEntrypointSettings starts a real PostgreSQL 18 with the
// -c settings the entrypoint computes for a 512MB, a 2GB and a 64GB
// container, and checks that the server reports each value back, as
// coming from the command line.
func TestPostgresAcceptsEntrypointSettings(t *testing.T) {
	h := newHarness(t)
	bin := oracle.Require(t, oracle.ToolPostgresBin)
	for _, tc := range []struct {
		name       string
		ram, cpus  int
		hugeMemory bool
	}{
		{"512MB", 512, 1, false},
		{"2GB", 2048, 2, false},
		{"64GB", 65536, 8, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			settings := entrypointSettings(t, h, tc.ram, tc.cpus)
			want := map[string]string{}
			var names []string
			start := make([]string, 0, len(settings))
			for _, s := range settings {
				name, value, _ := strings.Cut(s, "=")
				switch {
				case name == "shared_preload_libraries":
					// Debian sid packages every preloaded library of the image but
					// pg_stat_monitor and safeupdate: only those two are dropped.
					value = oracle.PackagedPreload(value)
				case name == "shared_buffers" && tc.hugeMemory:
					// The computed 9830MB must not be allocated on a shared test machine: the
					// value is checked with postgres -C below, and the server starts with
					// 256MB. effective_cache_size, work_mem and maintenance_work_mem are limits
					// and planner hints, not allocations, so they stay as computed.
					checkWithDashC(t, bin, s)
					start = append(start, "shared_buffers=256MB")
					continue
				}
				want[name] = value
				names = append(names, name)
				start = append(start, name+"="+value)
			}
			c := oracle.NewCluster(t, oracle.ClusterOptions{BinDir: bin, Settings: start})
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			// One query for all of them: name, SHOW value, and where the value came from
			// (empty for a placeholder such as cron.*, which has no pg_settings row).
			quoted := make([]string, len(names))
			for i, n := range names {
				quoted[i] = "'" + n + "'"
			}
			rows := c.SuperuserPsql(t, fmt.Sprintf(`SELECT n, current_setting(n), coalesce((SELECT source FROM pg_settings s WHERE s.name = n), '')
				FROM unnest(ARRAY[%s]) AS n`, strings.Join(quoted, ",")))
			seen := 0
			for _, row := range strings.Split(rows, "\n") {
				f := strings.Split(row, "|")
				if len(f) != 3 {
					t.Fatalf("unexpected row %q", row)
				}
				name, got, src := f[0], f[1], f[2]
				seen++
				if !sameSetting(want[name], got) {
					t.Errorf("SHOW %s = %q, the entrypoint passed %q", name, got, want[name])
				}
				if src != "command line" && !strings.Contains(name, ".") {
					t.Errorf("%s comes from %q, not the command line", name, src)
				}
			}
			if seen != len(names) {
				t.Errorf("%d settings read back, %d passed", seen, len(names))
			}
			if log := c.Log(); strings.Contains(log, "WARNING") || strings.Contains(log, "invalid value") {
				t.Errorf("the server log has warnings:\n%s", log)
			}
		})
	}
}

// sameSetting compares a -c value with what SHOW prints, which picks the
// largest unit that divides the value (1024MB is shown as 1GB).
func sameSetting(passed, shown string) bool {
	if passed == shown {
		return true
	}
	a, okA := megabytes(passed)
	b, okB := megabytes(shown)
	return okA && okB && a == b
}

func megabytes(s string) (int, bool) {
	for unit, mult := range map[string]int{"MB": 1, "GB": 1024, "TB": 1024 * 1024} {
		if n, err := strconv.Atoi(strings.TrimSuffix(s, unit)); err == nil && strings.HasSuffix(s, unit) {
			return n * mult, true
		}
	}
	return 0, false
}

// checkWithDashC has postgres parse setting ("name=value") without starting
// a server: -C prints the value in the parameter's base unit.
func checkWithDashC(t *testing.T, bin, setting string) {
	t.Helper()
	name, value, _ := strings.Cut(setting, "=")
	dir := oracle.TempDir(t)
	conf := filepath.Join(dir, "postgresql.conf")
	if err := os.WriteFile(conf, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := oracle.Command(t, "", nil, filepath.Join(bin, "postgres"), "-D", dir, "-c", "config_file="+conf, "-C", name, "-c", setting)
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("postgres -C %s did not finish", name)
	}
	if err != nil {
		t.Fatalf("postgres -C %s -c %s: %v\n%s", name, setting, err, out)
	}
	mb, ok := megabytes(value)
	if !ok {
		t.Fatalf("%s is not in MB", setting)
	}
	// shared_buffers is counted in 8kB pages.
	got := strings.TrimSpace(lastLine(string(out)))
	if want := strconv.Itoa(mb * 1024 / 8); got != want {
		t.Errorf("postgres -C %s with %s printed %q, want %s pages", name, value, got, want)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
