package autoconfig_test

// The differential test: the real rendered entrypoint runs under bash over a
// grid of RAM, CPU, workload, storage and detection-source points, with the
// cgroup files, /proc/meminfo and nproc faked through its AZAGEN_* hooks and
// its final exec pointed at a script that prints its arguments. Every value
// on its [AUTO-CONFIG] line and every -c argument must equal the Go model's.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/azagen/azagen/internal/autoconfig"
	"github.com/azagen/azagen/internal/load"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/render"
)

const repoStacks = "../../stacks.cue"

// harness holds a rendered entrypoint and the fakes it is run with.
type harness struct {
	params  autoconfig.Params
	preload []string
	script  string // the rendered entrypoint
	execSh  string // prints ARG:<arg> per argument and the initdb args
	nprocSh string // prints $FAKE_NPROC
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not found")
	}
	src, diags, err := load.Files([]string{repoStacks})
	if err != nil {
		t.Fatal(err)
	}
	if diags.HasErrors() {
		t.Fatalf("stacks.cue: %v", diags)
	}
	cfg, err := model.Decode(src.Value)
	if err != nil {
		t.Fatal(err)
	}
	f, err := render.Entrypoint(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	h := &harness{
		params:  autoconfig.FromModel(cfg),
		preload: cfg.PostgreSQL.Preload,
		script:  filepath.Join(dir, "entrypoint.sh"),
		execSh:  filepath.Join(dir, "exec.sh"),
		nprocSh: filepath.Join(dir, "nproc.sh"),
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(h.script, string(f.Data))
	write(h.execSh, "#!/bin/sh\nfor a in \"$@\"; do printf 'ARG:%s\\n' \"$a\"; done\nprintf 'INITDB:%s\\n' \"${POSTGRES_INITDB_ARGS-<unset>}\"\n")
	write(h.nprocSh, "#!/bin/sh\necho \"$FAKE_NPROC\"\n")
	return h
}

// run is one execution of the entrypoint.
type run struct {
	code   int
	stdout string
	stderr string
	line   []kv     // the parsed [AUTO-CONFIG] line
	lines  int      // how many [AUTO-CONFIG] lines stdout had
	args   []string // what the exec target received
	initdb string   // POSTGRES_INITDB_ARGS as the exec target saw it
}

type kv struct{ Key, Value string }

// run executes the entrypoint with the probe's files and environment.
func (h *harness) run(t testing.TB, pr autoconfig.Probe, args ...string) run {
	t.Helper()
	dir := t.TempDir()
	cg := filepath.Join(dir, "cgroup")
	if err := os.Mkdir(cg, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		filepath.Join(cg, "memory.max"): pr.MemoryMax,
		filepath.Join(cg, "cpu.max"):    pr.CPUMax,
		filepath.Join(dir, "meminfo"):   pr.MemInfo,
	}
	for p, content := range files {
		if content == "" {
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{
		"PATH=/usr/bin:/bin",
		"AZAGEN_CGROUP_ROOT=" + cg,
		"AZAGEN_MEMINFO=" + filepath.Join(dir, "meminfo"),
		"AZAGEN_NPROC=" + h.nprocSh,
		"AZAGEN_EXEC=" + h.execSh,
		"FAKE_NPROC=" + strconv.Itoa(pr.NProc),
	}
	for k, v := range pr.Env {
		env = append(env, k+"="+v)
	}
	cmd := exec.Command("bash", append([]string{h.script}, args...)...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := run{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("bash: %v", err)
	}
	for line := range strings.Lines(r.stdout) {
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, "[POSTGRES] [AUTO-CONFIG] "):
			r.lines++
			kvs, err := parseLine(strings.TrimPrefix(line, "[POSTGRES] [AUTO-CONFIG] "))
			if err != nil {
				t.Fatalf("%v in %q", err, line)
			}
			r.line = kvs
		case strings.HasPrefix(line, "ARG:"):
			r.args = append(r.args, strings.TrimPrefix(line, "ARG:"))
		case strings.HasPrefix(line, "INITDB:"):
			r.initdb = strings.TrimPrefix(line, "INITDB:")
		default:
			t.Fatalf("unexpected stdout line %q", line)
		}
	}
	return r
}

// parseLine reads the documented format: space-separated key=value, a value
// either bare or double-quoted with \" and \\ escapes.
func parseLine(s string) ([]kv, error) {
	var out []kv
	for s != "" {
		key, rest, ok := strings.Cut(s, "=")
		if !ok || key == "" || strings.ContainsAny(key, " \"") {
			return nil, fmt.Errorf("bad token at %q", s)
		}
		var val strings.Builder
		if strings.HasPrefix(rest, `"`) {
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				val.WriteByte(rest[i])
			}
			if i >= len(rest) {
				return nil, fmt.Errorf("unterminated quote at %q", s)
			}
			rest = rest[i+1:]
		} else {
			end := strings.IndexByte(rest, ' ')
			if end < 0 {
				end = len(rest)
			}
			val.WriteString(rest[:end])
			rest = rest[end:]
		}
		out = append(out, kv{key, val.String()})
		if rest != "" && rest[0] != ' ' {
			return nil, fmt.Errorf("no space after value at %q", rest)
		}
		s = strings.TrimPrefix(rest, " ")
	}
	return out, nil
}

// expect is the Go model's view of a run: the [AUTO-CONFIG] line and the -c
// arguments, or the reason it must fail.
func (h *harness) expect(pr autoconfig.Probe) ([]kv, []string, error) {
	d, err := h.params.Resolve(pr, h.preload)
	if err != nil {
		return nil, nil, err
	}
	o, err := h.params.Compute(d.Input)
	if err != nil {
		return nil, nil, err
	}
	line := []kv{
		{"ram_mb", strconv.Itoa(d.RAMMB)}, {"ram_source", d.RAMSource},
		{"cpus", strconv.Itoa(d.CPUs)}, {"cpu_source", d.CPUSource},
		{"workload", d.Workload}, {"storage", d.Storage},
	}
	var args []string
	for _, s := range o.Settings() {
		line = append(line, kv{s.Name, s.Value})
		args = append(args, "-c", s.Name+"="+s.Value)
	}
	return line, args, nil
}

// point is one grid point: a probe and a label for failures.
type point struct {
	name  string
	probe autoconfig.Probe
	args  []string
}

func memInfo(mb int) string {
	return fmt.Sprintf("MemFree:         123456 kB\nMemTotal:       %d kB\nBuffers:          1000 kB\n", mb*1024)
}

// grid builds the points: every RAM tier boundary with every workload,
// rotating CPU counts, storage types and how RAM and CPUs are detected, then
// every RAM with the CPU counts at the worker thresholds for the default
// profile.
func grid() []point {
	rams := []int{512, 513, 768, 1023, 1024, 1536, 2047, 2048, 2049, 3000, 4095, 4096, 6000, 8191, 8192, 8193,
		12000, 16384, 32767, 32768, 32769, 49152, 65536, 131072, 262144, 1048576}
	cpus := []int{1, 2, 3, 4, 5, 6, 8, 12, 16, 24, 64, 128, 200}
	var pts []point
	i := 0
	for _, ram := range rams {
		for _, wl := range autoconfig.Workloads {
			i++
			cpu := cpus[i%len(cpus)]
			st := autoconfig.StorageTypes[i%len(autoconfig.StorageTypes)]
			pr := autoconfig.Probe{Env: map[string]string{"POSTGRES_WORKLOAD_TYPE": wl, "POSTGRES_STORAGE_TYPE": st}, NProc: 7}
			switch i % 3 {
			case 0:
				pr.Env["POSTGRES_MEMORY"] = strconv.Itoa(ram)
				pr.MemoryMax = "4294967296\n" // POSTGRES_MEMORY wins over the cgroup
			case 1:
				pr.MemoryMax = strconv.Itoa(ram*1024*1024+i*4096) + "\n"
				pr.MemInfo = memInfo(999999)
			case 2:
				pr.MemoryMax = "max\n"
				pr.MemInfo = memInfo(ram)
			}
			switch i % 4 {
			case 0:
				pr.CPUMax = fmt.Sprintf("%d 100000\n", cpu*100000)
			case 1:
				// A fractional quota rounds up: 1.5 CPUs is 2.
				pr.CPUMax = fmt.Sprintf("%d 100000\n", cpu*100000-50000)
			case 2:
				pr.CPUMax = "max 100000\n"
				pr.NProc = cpu
			case 3:
				pr.NProc = cpu // no cpu.max at all
			}
			pts = append(pts, point{name: fmt.Sprintf("%s/%dMB/%dcpu/%s/src%d", wl, ram, cpu, st, i%12), probe: pr})
		}
	}
	for _, ram := range rams {
		for _, cpu := range []int{1, 2, 4, 8, 16, 128} {
			pts = append(pts, point{
				name:  fmt.Sprintf("default/%dMB/%dcpu", ram, cpu),
				probe: autoconfig.Probe{MemoryMax: strconv.Itoa(ram*1024*1024) + "\n", CPUMax: fmt.Sprintf("%d 100000\n", cpu*100000)},
			})
		}
	}
	return pts
}

func TestEntrypointEqualsModel(t *testing.T) {
	h := newHarness(t)
	pts := grid()
	if len(pts) < 200 {
		t.Fatalf("only %d grid points", len(pts))
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, pt := range pts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			h.checkPoint(t, pt)
		}()
	}
	wg.Wait()
	t.Logf("%d grid points agree", len(pts))
}

func (h *harness) checkPoint(t *testing.T, pt point) {
	args := append([]string{"postgres", "-c", "config_file=/etc/postgresql/postgresql.conf"}, pt.args...)
	r := h.run(t, pt.probe, args...)
	wantLine, wantC, err := h.expect(pt.probe)
	if err != nil {
		t.Errorf("%s: the model rejects it (%v)", pt.name, err)
		return
	}
	if r.code != 0 {
		t.Errorf("%s: exit %d, stderr:\n%s", pt.name, r.code, r.stderr)
		return
	}
	if r.lines != 1 {
		t.Errorf("%s: %d [AUTO-CONFIG] lines, want exactly 1:\n%s", pt.name, r.lines, r.stdout)
	}
	if diff := cmp.Diff(wantLine, r.line); diff != "" {
		t.Errorf("%s: [AUTO-CONFIG] line (-model +script):\n%s", pt.name, diff)
	}
	wantArgs := append(append([]string{"postgres"}, wantC...), args[1:]...)
	if diff := cmp.Diff(wantArgs, r.args); diff != "" {
		t.Errorf("%s: exec arguments (-model +script):\n%s", pt.name, diff)
	}
	for _, a := range r.args {
		for _, owned := range []string{"listen_addresses=", "wal_level=", "max_wal_senders="} {
			if strings.HasPrefix(a, owned) {
				t.Errorf("%s: the entrypoint passed %s, which the stack config owns", pt.name, a)
			}
		}
	}
}

// TestRecordedTiers pins the script itself to upstream-facts §8.5, the
// recorded runs of the original entrypoint (mixed, ssd, 2 CPUs), including
// the 512MB, 1GB, 2GB and 64GB tiers the audit asks about.
func TestRecordedTiers(t *testing.T) {
	h := newHarness(t)
	want := map[int]string{
		512:   "shared_buffers=128MB effective_cache_size=256MB maintenance_work_mem=32MB work_mem=1MB max_connections=60 wal_buffers=3MB",
		1024:  "shared_buffers=256MB effective_cache_size=512MB maintenance_work_mem=64MB work_mem=1MB max_connections=60 wal_buffers=7MB",
		2048:  "shared_buffers=512MB effective_cache_size=1024MB maintenance_work_mem=128MB work_mem=1MB max_connections=84 wal_buffers=16MB",
		4096:  "shared_buffers=1024MB effective_cache_size=2048MB maintenance_work_mem=256MB work_mem=3MB max_connections=102 wal_buffers=16MB",
		65536: "shared_buffers=9830MB effective_cache_size=29819MB maintenance_work_mem=2048MB work_mem=112MB max_connections=120 wal_buffers=16MB",
	}
	for ram, w := range want {
		r := h.run(t, autoconfig.Probe{Env: map[string]string{"POSTGRES_MEMORY": strconv.Itoa(ram)}, CPUMax: "200000 100000"})
		if r.code != 0 {
			t.Fatalf("%dMB: exit %d: %s", ram, r.code, r.stderr)
		}
		got := map[string]string{}
		for _, p := range r.line {
			got[p.Key] = p.Value
		}
		for _, f := range strings.Fields(w) {
			k, v, _ := strings.Cut(f, "=")
			if got[k] != v {
				t.Errorf("%dMB: %s=%s, recorded %s", ram, k, got[k], v)
			}
		}
	}
}

// TestRejectsInvalidEnvironment: every invalid value stops the container
// with one clear error naming the variable, before anything is executed,
// and the model rejects the same input.
func TestRejectsInvalidEnvironment(t *testing.T) {
	h := newHarness(t)
	base := func() autoconfig.Probe {
		return autoconfig.Probe{MemoryMax: strconv.Itoa(2048*1024*1024) + "\n", CPUMax: "200000 100000\n"}
	}
	for _, tc := range []struct{ name, value, want string }{
		{"POSTGRES_WORKLOAD_TYPE", "olap", "POSTGRES_WORKLOAD_TYPE=olap: want one of web, oltp, dw, mixed"},
		{"POSTGRES_WORKLOAD_TYPE", "MIXED", "POSTGRES_WORKLOAD_TYPE=MIXED"},
		{"POSTGRES_STORAGE_TYPE", "nvme", "POSTGRES_STORAGE_TYPE=nvme: want one of ssd, hdd, san"},
		{"POSTGRES_MAX_WORKER_PROCESSES", "abc", "POSTGRES_MAX_WORKER_PROCESSES=abc"},
		{"POSTGRES_MAX_WORKER_PROCESSES", "4", "POSTGRES_MAX_WORKER_PROCESSES=4: want a whole number between 8 and 64"},
		{"POSTGRES_MAX_WORKER_PROCESSES", "65", "POSTGRES_MAX_WORKER_PROCESSES=65"},
		{"POSTGRES_MAX_WORKER_PROCESSES", "-8", "POSTGRES_MAX_WORKER_PROCESSES=-8"},
		{"POSTGRES_MAX_WORKER_PROCESSES", "1e3", "POSTGRES_MAX_WORKER_PROCESSES=1e3"},
		{"POSTGRES_MAX_WORKER_PROCESSES", "16; rm -rf /", "POSTGRES_MAX_WORKER_PROCESSES=16; rm -rf /"},
		{"POSTGRES_MEMORY", "2g", "POSTGRES_MEMORY=2g: want a whole number of MB between 1 and 1048576"},
		{"POSTGRES_MEMORY", "0", "POSTGRES_MEMORY=0"},
		{"POSTGRES_MEMORY", "2048.5", "POSTGRES_MEMORY=2048.5"},
		{"POSTGRES_MEMORY", "99999999", "POSTGRES_MEMORY=99999999"},
		{"POSTGRES_MEMORY", " 1024", "POSTGRES_MEMORY= 1024"},
		{"POSTGRES_MEMORY", "256", "256MB RAM (manual) is below the 512MB minimum"},
		{"POSTGRES_WAL_LEVEL", "hot_standby", "POSTGRES_WAL_LEVEL=hot_standby: want one of minimal, replica, logical"},
		{"POSTGRES_WAL_LEVEL", "archive", "POSTGRES_WAL_LEVEL=archive"},
		{"DISABLE_DATA_CHECKSUMS", "yes", "DISABLE_DATA_CHECKSUMS=yes: want true or false"},
		{"POSTGRES_SHARED_PRELOAD_LIBRARIES", "pg_cron;evil", "POSTGRES_SHARED_PRELOAD_LIBRARIES=pg_cron;evil"},
	} {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			pr := base()
			pr.Env = map[string]string{tc.name: tc.value}
			r := h.run(t, pr, "postgres")
			if r.code != 1 {
				t.Errorf("exit %d, want 1; stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			if want := "[POSTGRES] ERROR: " + tc.want; !strings.Contains(r.stderr, want) {
				t.Errorf("stderr %q lacks %q", r.stderr, want)
			}
			if n := strings.Count(r.stderr, "[POSTGRES] ERROR:"); n != 1 {
				t.Errorf("%d error lines, want 1:\n%s", n, r.stderr)
			}
			if r.lines != 0 || r.args != nil {
				t.Errorf("it went on after the error: stdout:\n%s", r.stdout)
			}
			if _, _, err := h.expect(pr); err == nil {
				t.Errorf("the Go model accepts what the script rejects")
			}
		})
	}
}

// TestEntrypointBehaviour covers the rest of the control flow and the bugs
// upstream-facts §8 lists.
func TestEntrypointBehaviour(t *testing.T) {
	h := newHarness(t)
	twoGB := func(env map[string]string) autoconfig.Probe {
		return autoconfig.Probe{Env: env, MemoryMax: strconv.Itoa(2048*1024*1024) + "\n", CPUMax: "200000 100000\n"}
	}
	value := func(r run, key string) string {
		for _, p := range r.line {
			if p.Key == key {
				return p.Value
			}
		}
		return "<absent>"
	}

	t.Run("checksums without initdb args", func(t *testing.T) {
		// At R0 this combination aborted with "unbound variable".
		r := h.run(t, twoGB(map[string]string{"DISABLE_DATA_CHECKSUMS": "true"}), "postgres")
		if r.code != 0 || r.initdb != "--no-data-checksums" {
			t.Errorf("exit %d, POSTGRES_INITDB_ARGS %q; stderr:\n%s", r.code, r.initdb, r.stderr)
		}
		r = h.run(t, twoGB(map[string]string{"DISABLE_DATA_CHECKSUMS": "true", "POSTGRES_INITDB_ARGS": "--locale=C.UTF-8"}), "postgres")
		if r.code != 0 || r.initdb != "--locale=C.UTF-8 --no-data-checksums" {
			t.Errorf("exit %d, POSTGRES_INITDB_ARGS %q", r.code, r.initdb)
		}
		r = h.run(t, twoGB(nil), "postgres")
		if r.initdb != "<unset>" {
			t.Errorf("POSTGRES_INITDB_ARGS set to %q without DISABLE_DATA_CHECKSUMS", r.initdb)
		}
	})

	t.Run("valid wal level is not applied and warned once", func(t *testing.T) {
		r := h.run(t, twoGB(map[string]string{"POSTGRES_WAL_LEVEL": "replica", "POSTGRES_BIND_IP": "0.0.0.0"}), "postgres")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if n := strings.Count(r.stderr, "POSTGRES_WAL_LEVEL"); n != 1 {
			t.Errorf("POSTGRES_WAL_LEVEL mentioned %d times on stderr, want once:\n%s", n, r.stderr)
		}
		for _, a := range r.args {
			if strings.HasPrefix(a, "wal_level=") || strings.HasPrefix(a, "listen_addresses=") {
				t.Errorf("passed %s", a)
			}
		}
	})

	t.Run("other commands pass through untouched", func(t *testing.T) {
		r := h.run(t, twoGB(map[string]string{"POSTGRES_WORKLOAD_TYPE": "bogus"}), "bash", "-c", "echo hi")
		if r.code != 0 || r.lines != 0 || !slices.Equal(r.args, []string{"bash", "-c", "echo hi"}) {
			t.Errorf("exit %d, %d lines, args %q", r.code, r.lines, r.args)
		}
	})

	t.Run("no arguments and leading flags mean postgres", func(t *testing.T) {
		r := h.run(t, twoGB(nil))
		if r.code != 0 || len(r.args) == 0 || r.args[0] != "postgres" || r.lines != 1 {
			t.Errorf("exit %d, args %q", r.code, r.args)
		}
		r = h.run(t, twoGB(nil), "-c", "work_mem=64MB")
		if n := len(r.args); r.code != 0 || r.args[0] != "postgres" || r.args[n-2] != "-c" || r.args[n-1] != "work_mem=64MB" {
			t.Errorf("exit %d, args %q", r.code, r.args)
		}
	})

	t.Run("detection sources and fallbacks", func(t *testing.T) {
		for _, tc := range []struct {
			name            string
			probe           autoconfig.Probe
			ram, ramSrc     string
			cpus, cpuSource string
		}{
			{"nothing readable", autoconfig.Probe{NProc: 3}, "1024", "default", "3", "nproc"},
			{"meminfo", autoconfig.Probe{MemoryMax: "max\n", MemInfo: memInfo(3000), CPUMax: "max 100000\n", NProc: 2}, "3000", "meminfo", "2", "nproc"},
			{"garbage cgroup files", autoconfig.Probe{MemoryMax: "lots\n", MemInfo: memInfo(4096), CPUMax: "x y\n", NProc: 4}, "4096", "meminfo", "4", "nproc"},
			{"petabyte limit", autoconfig.Probe{MemoryMax: "1125899906842624\n", CPUMax: "100000000 100000\n"}, "1048576", "cgroup-v2", "128", "cgroup-v2"},
			{"limit beyond 64 bits", autoconfig.Probe{MemoryMax: "99999999999999999999\n", MemInfo: memInfo(8192), CPUMax: "50000 100000\n"}, "8192", "meminfo", "1", "cgroup-v2"},
			{"leading zeros are decimal", autoconfig.Probe{Env: map[string]string{"POSTGRES_MEMORY": "0002048"}, CPUMax: "150000 100000\n"}, "2048", "manual", "2", "cgroup-v2"},
			{"nproc garbage", autoconfig.Probe{MemoryMax: "1073741824\n", NProc: 0}, "1024", "cgroup-v2", "1", "nproc"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := h.run(t, tc.probe, "postgres")
				if r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				got := [4]string{value(r, "ram_mb"), value(r, "ram_source"), value(r, "cpus"), value(r, "cpu_source")}
				if want := [4]string{tc.ram, tc.ramSrc, tc.cpus, tc.cpuSource}; got != want {
					t.Errorf("got %v, want %v", got, want)
				}
				wantLine, _, err := h.expect(tc.probe)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(wantLine, r.line); diff != "" {
					t.Errorf("(-model +script):\n%s", diff)
				}
			})
		}
	})

	t.Run("values with spaces are quoted", func(t *testing.T) {
		pr := twoGB(map[string]string{"POSTGRES_DB": `my "app" db`, "POSTGRES_SHARED_PRELOAD_LIBRARIES": " pg_stat_statements, auto_explain "})
		r := h.run(t, pr, "postgres")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if got := value(r, "cron.database_name"); got != `my "app" db` {
			t.Errorf("cron.database_name %q", got)
		}
		if got := value(r, "shared_preload_libraries"); got != "pg_stat_statements,auto_explain" {
			t.Errorf("shared_preload_libraries %q", got)
		}
		if !strings.Contains(r.stdout, `cron.database_name="my \"app\" db" `) {
			t.Errorf("the log line does not quote the value:\n%s", r.stdout)
		}
		wantLine, _, err := h.expect(pr)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantLine, r.line); diff != "" {
			t.Errorf("(-model +script):\n%s", diff)
		}
	})

	t.Run("worker override", func(t *testing.T) {
		r := h.run(t, twoGB(map[string]string{"POSTGRES_MAX_WORKER_PROCESSES": "24"}), "postgres")
		if r.code != 0 || value(r, "max_worker_processes") != "24" {
			t.Errorf("exit %d, max_worker_processes %s", r.code, value(r, "max_worker_processes"))
		}
	})
}

func TestParseLine(t *testing.T) {
	got, err := parseLine(`a=1 b="x \"y\" \\z" c=`)
	if err != nil {
		t.Fatal(err)
	}
	want := []kv{{"a", "1"}, {"b", `x "y" \z`}, {"c", ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
	if _, err := parseLine(`a="open`); err == nil {
		t.Error("unterminated quote accepted")
	}
}
