// Package autoconfig is the Go model of the aza-pg image's auto-config
// entrypoint: from the RAM and CPUs a container gets, its workload and its
// storage type, it computes the settings the entrypoint passes to postgres
// with -c. Every constant comes from the autoconfig block of stacks.cue
// ([Params]); the entrypoint script is rendered from the same block, and a
// differential test runs the real script over a grid of inputs and compares
// every value with this model. The docs tier table and azagen's cross-stack
// rules (a standby's max_connections must not be below its primary's) come
// from here.
package autoconfig

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/azagen/azagen/internal/model"
)

// Params are the entrypoint's constants, as decoded from stacks.cue.
type Params model.AutoConfig

// FromModel returns the parameters of a decoded configuration, or Default
// when its source has no autoconfig block.
func FromModel(c *model.Config) Params {
	if c.AutoConfig.Workloads == nil {
		return Default
	}
	return Params(c.AutoConfig)
}

// Workloads and storage types the entrypoint accepts. They are the keys the
// schema requires of autoconfig.workloads and autoconfig.storage, in the
// order the docs list them; the first storage type is the default one.
var (
	Workloads    = []string{"web", "oltp", "dw", "mixed"}
	StorageTypes = []string{"ssd", "hdd", "san"}
)

// Input is what the entrypoint detects or reads from its environment.
type Input struct {
	RAMMB    int
	CPUs     int
	Workload string
	Storage  string
	// MaxWorkerProcesses is POSTGRES_MAX_WORKER_PROCESSES; 0 means unset.
	MaxWorkerProcesses int
	// SharedPreloadLibraries and CronDatabaseName are passed through as
	// given (see Resolve); empty ones are left out of Settings.
	SharedPreloadLibraries string
	CronDatabaseName       string
}

// Output is every value the entrypoint computes. Memory values are in MB.
type Output struct {
	SharedBuffersMB              int
	EffectiveCacheSizeMB         int
	MaintenanceWorkMemMB         int
	WorkMemMB                    int
	MaxConnections               int
	WALBuffersMB                 int
	MaxWorkerProcesses           int
	MaxParallelWorkers           int
	MaxParallelWorkersPerGather  int
	MaxParallelMaintenanceWorker int
	IOWorkers                    int
	MinWALSizeMB                 int
	MaxWALSizeMB                 int
	DefaultStatisticsTarget      int
	CheckpointCompletionTarget   string
	RandomPageCost               string
	EffectiveIOConcurrency       int
	MaintenanceIOConcurrency     int
	SharedPreloadLibraries       string
	CronDatabaseName             string
}

// Compute applies the entrypoint's integer arithmetic (bash truncates
// toward zero, and so does Go's integer division) with the default
// parameters. Callers that hold a decoded configuration should use
// FromModel(cfg).Compute, which follows an edited stacks.cue.
func Compute(in Input) (Output, error) { return Default.Compute(in) }

// Compute applies the entrypoint's integer arithmetic to in.
func (p Params) Compute(in Input) (Output, error) {
	if in.RAMMB < p.MinRAMMB {
		return Output{}, fmt.Errorf("%dMB RAM is below the %dMB minimum", in.RAMMB, p.MinRAMMB)
	}
	if in.CPUs < 1 {
		return Output{}, fmt.Errorf("%d CPUs: want at least 1", in.CPUs)
	}
	wl, ok := p.Workloads[in.Workload]
	if !ok {
		return Output{}, fmt.Errorf("unknown workload %q; want one of %s", in.Workload, strings.Join(slices.Sorted(maps.Keys(p.Workloads)), ", "))
	}
	st, ok := p.Storage[in.Storage]
	if !ok {
		return Output{}, fmt.Errorf("unknown storage type %q; want one of %s", in.Storage, strings.Join(slices.Sorted(maps.Keys(p.Storage)), ", "))
	}
	w := p.Workers
	if in.MaxWorkerProcesses != 0 && (in.MaxWorkerProcesses < w.WorkerMin || in.MaxWorkerProcesses > w.WorkerMax) {
		return Output{}, fmt.Errorf("max_worker_processes %d is outside %d..%d", in.MaxWorkerProcesses, w.WorkerMin, w.WorkerMax)
	}
	ram, cpu := in.RAMMB, min(in.CPUs, p.MaxCPUs)
	var o Output

	mc := p.MaxConnections
	scale := mc.ScaleOtherwisePercent
	for _, t := range mc.Scale {
		if ram < t.RAMBelowMB {
			scale = t.Percent
			break
		}
	}
	o.MaxConnections = max(wl.BaseConnections*scale/100, mc.Min)

	sbp := p.SharedBuffers
	ratio := sbp.RatioOtherwisePercent
	for _, t := range sbp.Ratio {
		if ram <= t.RAMUpToMB {
			ratio = t.Percent
			break
		}
	}
	sb := min(max(ram*ratio/100, sbp.MinMB), sbp.CapMB)
	o.SharedBuffersMB = sb

	other := max(ram*p.OSReserve.Percent/100, p.OSReserve.MinMB)
	ecs := (ram - sb - other) * p.EffectiveCacheSize.Percent / 100
	o.EffectiveCacheSizeMB = max(ecs, p.EffectiveCacheSize.MinSharedBuffersMultiple*sb, 0)

	o.MaintenanceWorkMemMB = min(max(ram/wl.MaintenanceWorkMemDivisor, p.MaintenanceWorkMem.MinMB), p.MaintenanceWorkMem.CapMB)

	wmp := p.WorkMem
	pool := max(ram-sb-o.MaxConnections*wmp.PerConnectionOverheadMB-wmp.ReserveMB, wmp.MinPoolMB)
	wm := max(pool/(o.MaxConnections*wmp.OperationsPerConnection), wmp.MinMB)
	wmCap := wmp.FixedCapMB
	if wl.WorkMemCaps == "scaled" {
		for _, t := range wmp.ScaledCaps {
			if ram >= t.RAMFromMB {
				wmCap = t.CapMB
				break
			}
		}
	}
	o.WorkMemMB = min(wm, wmCap)

	wbp := p.WALBuffers
	wb := min(max(sb*wbp.Percent/100, wbp.MinMB), wbp.MaxMB)
	if wb == wbp.RoundUpFromMB {
		wb = wbp.MaxMB // the value PostgreSQL's own -1 (auto) would pick near the top
	}
	o.WALBuffersMB = wb

	o.IOWorkers = min(max(cpu/w.CPUsPerIOWorker, w.IOMin), w.IOMax)
	mwp := cpu + cpu/w.LargeDivisor
	if cpu <= w.SmallCPUs {
		mwp = cpu + w.SmallExtra
	}
	o.MaxWorkerProcesses = min(max(mwp, w.WorkerMin), w.WorkerMax)
	if in.MaxWorkerProcesses != 0 {
		o.MaxWorkerProcesses = in.MaxWorkerProcesses
	}
	o.MaxParallelWorkers = cpu
	o.MaxParallelWorkersPerGather, o.MaxParallelMaintenanceWorker = 1, 1
	if cpu >= w.ParallelMinCPUs {
		o.MaxParallelWorkersPerGather = max(cpu/w.GatherDivisor, 1)
		o.MaxParallelMaintenanceWorker = max(min(cpu/w.GatherDivisor, w.MaintenanceMax), 1)
	}
	o.MinWALSizeMB, o.MaxWALSizeMB = wl.MinWALSizeMB, wl.MaxWALSizeMB
	o.DefaultStatisticsTarget = wl.DefaultStatisticsTarget
	o.CheckpointCompletionTarget = strconv.FormatFloat(p.CheckpointCompletionTarget, 'f', -1, 64)
	o.RandomPageCost = st.RandomPageCost
	o.EffectiveIOConcurrency = st.EffectiveIOConcurrency
	o.MaintenanceIOConcurrency = st.MaintenanceIOConcurrency
	o.SharedPreloadLibraries = in.SharedPreloadLibraries
	o.CronDatabaseName = in.CronDatabaseName
	return o, nil
}

// Setting is one -c name=value the entrypoint passes.
type Setting struct{ Name, Value string }

// Settings lists the -c settings in the order the entrypoint passes them
// (the order of Overridden); the preload list and cron database are left
// out when empty.
func (o Output) Settings() []Setting {
	mb := func(n int) string { return strconv.Itoa(n) + "MB" }
	n := strconv.Itoa
	all := []Setting{
		{"shared_buffers", mb(o.SharedBuffersMB)},
		{"effective_cache_size", mb(o.EffectiveCacheSizeMB)},
		{"maintenance_work_mem", mb(o.MaintenanceWorkMemMB)},
		{"work_mem", mb(o.WorkMemMB)},
		{"max_connections", n(o.MaxConnections)},
		{"max_worker_processes", n(o.MaxWorkerProcesses)},
		{"shared_preload_libraries", o.SharedPreloadLibraries},
		{"cron.database_name", o.CronDatabaseName},
		{"checkpoint_completion_target", o.CheckpointCompletionTarget},
		{"wal_buffers", mb(o.WALBuffersMB)},
		{"min_wal_size", mb(o.MinWALSizeMB)},
		{"max_wal_size", mb(o.MaxWALSizeMB)},
		{"random_page_cost", o.RandomPageCost},
		{"default_statistics_target", n(o.DefaultStatisticsTarget)},
		{"io_workers", n(o.IOWorkers)},
		{"maintenance_io_concurrency", n(o.MaintenanceIOConcurrency)},
		{"max_parallel_workers", n(o.MaxParallelWorkers)},
		{"max_parallel_workers_per_gather", n(o.MaxParallelWorkersPerGather)},
		{"max_parallel_maintenance_workers", n(o.MaxParallelMaintenanceWorker)},
		{"effective_io_concurrency", n(o.EffectiveIOConcurrency)},
	}
	out := all[:0]
	for _, s := range all {
		if s.Value != "" {
			out = append(out, s)
		}
	}
	return out
}

// Overridden lists the GUCs the entrypoint passes with -c, in that order: a
// value for them in a config file would be silently replaced. The
// entrypoint never passes listen_addresses, wal_level or max_wal_senders:
// the stack's config files own them.
var Overridden = []string{
	"shared_buffers", "effective_cache_size", "maintenance_work_mem", "work_mem",
	"max_connections", "max_worker_processes", "shared_preload_libraries", "cron.database_name",
	"checkpoint_completion_target", "wal_buffers", "min_wal_size", "max_wal_size", "random_page_cost",
	"default_statistics_target", "io_workers", "maintenance_io_concurrency",
	"max_parallel_workers", "max_parallel_workers_per_gather", "max_parallel_maintenance_workers",
	"effective_io_concurrency",
}

// MemoryMB converts a Compose byte size (512m, 2g, 64mb) to MB, the way the
// cgroup limit reaches the entrypoint.
func MemoryMB(size string) (int, error) {
	s := strings.ToLower(size)
	num := strings.TrimRight(s, "bkmg")
	unit := s[len(num):]
	n, err := strconv.Atoi(num)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q", size)
	}
	switch unit {
	case "g", "gb":
		return n * 1024, nil
	case "m", "mb":
		return n, nil
	case "k", "kb":
		return n / 1024, nil
	case "b", "":
		return n / (1024 * 1024), nil
	}
	return 0, fmt.Errorf("invalid size %q", size)
}

// CPUs converts a compose cpus limit to the count the entrypoint derives
// from cgroup cpu.max: the quota rounded up, at least 1.
func CPUs(limit float64) int {
	n := int(limit)
	if float64(n) < limit {
		n++
	}
	return max(n, 1)
}
