package autoconfig

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Sources the entrypoint names in its [AUTO-CONFIG] line.
const (
	RAMSourceManual   = "manual"    // POSTGRES_MEMORY
	RAMSourceCgroup   = "cgroup-v2" // memory.max
	RAMSourceMeminfo  = "meminfo"   // /proc/meminfo MemTotal
	RAMSourceFallback = "default"   // nothing readable
	CPUSourceCgroup   = "cgroup-v2" // cpu.max
	CPUSourceNproc    = "nproc"
)

// Probe is what the entrypoint reads from the container: the environment
// and the contents of the files it probes. An absent file is an empty
// string; the entrypoint treats an empty or unparsable file the same way.
type Probe struct {
	Env map[string]string
	// MemoryMax, CPUMax and MemInfo are the contents of the cgroup v2
	// memory.max and cpu.max files and of /proc/meminfo.
	MemoryMax string
	CPUMax    string
	MemInfo   string
	// NProc is what nproc prints.
	NProc int
}

// Detected is the entrypoint's view of its container, as its [AUTO-CONFIG]
// line reports it.
type Detected struct {
	Input
	RAMSource string
	CPUSource string
}

// Reasons Resolve rejects a probe; the entrypoint exits 1 with an
// "[POSTGRES] ERROR:" line naming the variable.
var (
	digitsRE  = regexp.MustCompile(`^[0-9]+$`)
	libListRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$`)
	// maxDigits keeps every number the entrypoint reads inside bash's 64-bit
	// arithmetic; a longer cgroup value counts as no limit.
	maxDigits = 18
)

// WALLevels are the values POSTGRES_WAL_LEVEL may have. The entrypoint only
// validates it: wal_level comes from the stack's config file.
var WALLevels = []string{"minimal", "replica", "logical"}

// Resolve models the entrypoint's detection and validation: it reads the
// environment variables and probe files in the entrypoint's order and
// returns the input Compute needs, or the error for which the entrypoint
// exits 1. defaultPreload is the image's shared_preload_libraries default.
func (p Params) Resolve(pr Probe, defaultPreload []string) (Detected, error) {
	env := func(k string) string { return pr.Env[k] }
	var d Detected

	if v := env("DISABLE_DATA_CHECKSUMS"); v != "" && v != "true" && v != "false" {
		return d, fmt.Errorf("DISABLE_DATA_CHECKSUMS=%q: want true or false", v)
	}
	if v := env("POSTGRES_WAL_LEVEL"); v != "" && !contains(WALLevels, v) {
		return d, fmt.Errorf("POSTGRES_WAL_LEVEL=%q: want one of %s", v, strings.Join(WALLevels, ", "))
	}

	switch v := env("POSTGRES_MEMORY"); {
	case v != "":
		n, ok := smallInt(v)
		if !ok || n < 1 || n > p.MaxMemoryMB {
			return d, fmt.Errorf("POSTGRES_MEMORY=%q: want a whole number of MB between 1 and %d", v, p.MaxMemoryMB)
		}
		d.RAMMB, d.RAMSource = n, RAMSourceManual
	default:
		if n, ok := cgroupMemoryMB(pr.MemoryMax); ok {
			d.RAMMB, d.RAMSource = n, RAMSourceCgroup
		} else if n, ok := memTotalMB(pr.MemInfo); ok {
			d.RAMMB, d.RAMSource = n, RAMSourceMeminfo
		} else {
			d.RAMMB, d.RAMSource = p.FallbackRAMMB, RAMSourceFallback
		}
		// A limit above what the tiers are made for (a cgroup limit of
		// petabytes, say) is treated as the largest supported RAM.
		d.RAMMB = min(d.RAMMB, p.MaxMemoryMB)
	}

	if n, ok := cgroupCPUs(pr.CPUMax); ok {
		d.CPUs, d.CPUSource = n, CPUSourceCgroup
	} else {
		d.CPUs, d.CPUSource = max(pr.NProc, 1), CPUSourceNproc
	}
	d.CPUs = min(max(d.CPUs, 1), p.MaxCPUs)

	if d.RAMMB < p.MinRAMMB {
		return d, fmt.Errorf("%dMB RAM (%s) is below the %dMB minimum", d.RAMMB, d.RAMSource, p.MinRAMMB)
	}

	d.Workload = or(env("POSTGRES_WORKLOAD_TYPE"), p.Defaults.Workload)
	if _, ok := p.Workloads[d.Workload]; !ok {
		return d, fmt.Errorf("POSTGRES_WORKLOAD_TYPE=%q: want one of %s", d.Workload, strings.Join(Workloads, ", "))
	}
	d.Storage = or(env("POSTGRES_STORAGE_TYPE"), p.Defaults.Storage)
	if _, ok := p.Storage[d.Storage]; !ok {
		return d, fmt.Errorf("POSTGRES_STORAGE_TYPE=%q: want one of %s", d.Storage, strings.Join(StorageTypes, ", "))
	}
	if v := env("POSTGRES_MAX_WORKER_PROCESSES"); v != "" {
		n, ok := smallInt(v)
		if !ok || n < p.Workers.WorkerMin || n > p.Workers.WorkerMax {
			return d, fmt.Errorf("POSTGRES_MAX_WORKER_PROCESSES=%q: want a whole number between %d and %d", v, p.Workers.WorkerMin, p.Workers.WorkerMax)
		}
		d.MaxWorkerProcesses = n
	}
	preload := strings.Join(strings.Fields(env("POSTGRES_SHARED_PRELOAD_LIBRARIES")), "")
	if preload == "" {
		preload = strings.Join(defaultPreload, ",")
	} else if !libListRE.MatchString(preload) {
		return d, fmt.Errorf("POSTGRES_SHARED_PRELOAD_LIBRARIES=%q: want library names separated by commas", env("POSTGRES_SHARED_PRELOAD_LIBRARIES"))
	}
	d.SharedPreloadLibraries = preload
	d.CronDatabaseName = or(env("POSTGRES_DB"), or(env("POSTGRES_USER"), "postgres"))
	return d, nil
}

// smallInt parses a decimal of at most 7 characters (leading zeros
// allowed: the entrypoint reads numbers base 10).
func smallInt(s string) (int, bool) {
	if !digitsRE.MatchString(s) || len(s) > 7 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// firstLine returns the first line of a file's contents, without spaces
// around it.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

// cgroupMemoryMB reads memory.max: bytes, or "max" for no limit.
func cgroupMemoryMB(s string) (int, bool) {
	v := firstLine(s)
	if !digitsRE.MatchString(v) || len(v) > maxDigits {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false
	}
	return int(n / 1024 / 1024), true
}

// memTotalMB reads the MemTotal line of /proc/meminfo (in kB).
func memTotalMB(s string) (int, bool) {
	for line := range strings.Lines(s) {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "MemTotal:" {
			if !digitsRE.MatchString(f[1]) || len(f[1]) > maxDigits {
				return 0, false
			}
			n, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return 0, false
			}
			return int(n / 1024), true
		}
	}
	return 0, false
}

// cgroupCPUs reads cpu.max ("<quota> <period>", quota "max" for none) and
// rounds the quota up to whole CPUs.
func cgroupCPUs(s string) (int, bool) {
	f := strings.Fields(firstLine(s))
	if len(f) < 2 {
		return 0, false
	}
	f = f[:2]
	for _, v := range f {
		if !digitsRE.MatchString(v) || len(v) > maxDigits {
			return 0, false
		}
	}
	quota, err1 := strconv.ParseInt(f[0], 10, 64)
	period, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil || quota == 0 || period == 0 {
		return 0, false
	}
	return int(max((quota+period-1)/period, 1)), true
}

func or(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
