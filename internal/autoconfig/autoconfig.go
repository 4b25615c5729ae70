// Package autoconfig is the Go model of the aza-pg image's auto-config
// entrypoint: from the RAM and CPUs a container gets, its workload and its
// storage type, it computes the settings the entrypoint passes to postgres
// with -c. The docs tier table and azagen's cross-stack rules (a standby's
// max_connections must not be below its primary's) come from this model; a
// differential test keeps it equal to the real script.
package autoconfig

import (
	"fmt"
	"strconv"
	"strings"
)

// Workloads and storage types the entrypoint accepts.
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
	RandomPageCost               string
	EffectiveIOConcurrency       int
	MaintenanceIOConcurrency     int
}

// MinRAMMB is the smallest RAM the entrypoint starts with.
const MinRAMMB = 512

// Compute applies the entrypoint's integer arithmetic (bash truncates
// toward zero, and so does Go's integer division).
func Compute(in Input) (Output, error) {
	if in.RAMMB < MinRAMMB {
		return Output{}, fmt.Errorf("%dMB RAM is below the %dMB minimum", in.RAMMB, MinRAMMB)
	}
	if in.CPUs < 1 {
		return Output{}, fmt.Errorf("%d CPUs: want at least 1", in.CPUs)
	}
	ram, cpu := in.RAMMB, min(in.CPUs, 128)
	var o Output

	base := map[string]int{"web": 200, "oltp": 300, "dw": 100, "mixed": 120}[in.Workload]
	if base == 0 {
		return Output{}, fmt.Errorf("unknown workload %q", in.Workload)
	}
	scale := 100
	switch {
	case ram < 2048:
		scale = 50
	case ram < 4096:
		scale = 70
	case ram < 8192:
		scale = 85
	}
	o.MaxConnections = max(base*scale/100, 20)

	ratio := 15
	switch {
	case ram <= 8192:
		ratio = 25
	case ram <= 32768:
		ratio = 20
	}
	o.SharedBuffersMB = min(max(ram*ratio/100, 64), 32768)
	sb := o.SharedBuffersMB

	other := max(ram*20/100, 512)
	ecs := (ram - sb - other) * 70 / 100
	o.EffectiveCacheSizeMB = max(ecs, 2*sb, 0)

	mwm := ram / 16
	if in.Workload == "dw" {
		mwm = ram / 8
	}
	o.MaintenanceWorkMemMB = min(max(mwm, 32), 2048)

	pool := max(ram-sb-o.MaxConnections*10-512, 256)
	wm := max(pool/(o.MaxConnections*4), 1)
	wmCap := 32
	if in.Workload == "dw" || in.Workload == "mixed" {
		switch {
		case ram >= 32768:
			wmCap = 256
		case ram >= 8192:
			wmCap = 128
		case ram >= 2048:
			wmCap = 64
		}
	}
	o.WorkMemMB = min(wm, wmCap)

	wb := min(max(sb*3/100, 1), 16)
	if wb == 15 {
		wb = 16 // the entrypoint rounds 15MB up to the 16MB PostgreSQL would pick
	}
	o.WALBuffersMB = wb

	o.IOWorkers = min(max(cpu/4, 1), 64)
	mwp := cpu + cpu/2
	if cpu <= 4 {
		mwp = cpu + 1
	}
	o.MaxWorkerProcesses = min(max(mwp, 8), 64)
	o.MaxParallelWorkers = cpu
	o.MaxParallelWorkersPerGather, o.MaxParallelMaintenanceWorker = 1, 1
	if cpu >= 4 {
		o.MaxParallelWorkersPerGather = max(cpu/2, 1)
		o.MaxParallelMaintenanceWorker = min(cpu/2, 4)
	}
	wal := map[string][2]int{"web": {1024, 4096}, "oltp": {2048, 8192}, "dw": {4096, 16384}, "mixed": {1024, 4096}}[in.Workload]
	o.MinWALSizeMB, o.MaxWALSizeMB = wal[0], wal[1]
	o.DefaultStatisticsTarget = 100
	if in.Workload == "dw" {
		o.DefaultStatisticsTarget = 500
	}
	switch in.Storage {
	case "ssd":
		o.RandomPageCost, o.EffectiveIOConcurrency, o.MaintenanceIOConcurrency = "1.1", 200, 20
	case "san":
		o.RandomPageCost, o.EffectiveIOConcurrency, o.MaintenanceIOConcurrency = "1.1", 300, 20
	case "hdd":
		o.RandomPageCost, o.EffectiveIOConcurrency, o.MaintenanceIOConcurrency = "4.0", 2, 10
	default:
		return Output{}, fmt.Errorf("unknown storage type %q", in.Storage)
	}
	return o, nil
}

// Overridden lists the GUCs the entrypoint passes with -c: a value for them
// in a config file would be silently replaced.
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
