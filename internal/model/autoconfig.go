package model

// AutoConfig holds the constants of the image's auto-config entrypoint
// (schema/autoconfig.cue documents each field). The entrypoint template and
// the Go model in internal/autoconfig both compute from these values.
type AutoConfig struct {
	Defaults                   AutoConfigDefaults         `json:"defaults"`
	MinRAMMB                   int                        `json:"min_ram_mb"`
	FallbackRAMMB              int                        `json:"fallback_ram_mb"`
	MaxMemoryMB                int                        `json:"max_memory_mb"`
	MaxCPUs                    int                        `json:"max_cpus"`
	Workloads                  map[string]WorkloadProfile `json:"workloads"`
	MaxConnections             MaxConnectionsParams       `json:"max_connections"`
	SharedBuffers              SharedBuffersParams        `json:"shared_buffers"`
	OSReserve                  OSReserveParams            `json:"os_reserve"`
	EffectiveCacheSize         EffectiveCacheSizeParams   `json:"effective_cache_size"`
	MaintenanceWorkMem         BoundsMB                   `json:"maintenance_work_mem"`
	WorkMem                    WorkMemParams              `json:"work_mem"`
	WALBuffers                 WALBuffersParams           `json:"wal_buffers"`
	Workers                    WorkerParams               `json:"workers"`
	CheckpointCompletionTarget float64                    `json:"checkpoint_completion_target"`
	Storage                    map[string]StorageProfile  `json:"storage"`
}

// AutoConfigDefaults are the workload and storage profiles used when the
// container's environment names none.
type AutoConfigDefaults struct {
	Workload string `json:"workload"`
	Storage  string `json:"storage"`
}

// WorkloadProfile is what a POSTGRES_WORKLOAD_TYPE selects.
type WorkloadProfile struct {
	BaseConnections           int    `json:"base_connections"`
	MaintenanceWorkMemDivisor int    `json:"maintenance_work_mem_divisor"`
	WorkMemCaps               string `json:"work_mem_caps"` // "fixed" or "scaled"
	MinWALSizeMB              int    `json:"min_wal_size_mb"`
	MaxWALSizeMB              int    `json:"max_wal_size_mb"`
	DefaultStatisticsTarget   int    `json:"default_statistics_target"`
}

// MaxConnectionsParams scales a workload's base connection count by RAM.
type MaxConnectionsParams struct {
	Scale                 []ConnectionScaleTier `json:"scale"`
	ScaleOtherwisePercent int                   `json:"scale_otherwise_percent"`
	Min                   int                   `json:"min"`
}

// ConnectionScaleTier applies below RAMBelowMB.
type ConnectionScaleTier struct {
	RAMBelowMB int `json:"ram_below_mb"`
	Percent    int `json:"percent"`
}

// SharedBuffersParams size shared_buffers as a share of RAM.
type SharedBuffersParams struct {
	Ratio                 []SharedBuffersTier `json:"ratio"`
	RatioOtherwisePercent int                 `json:"ratio_otherwise_percent"`
	MinMB                 int                 `json:"min_mb"`
	CapMB                 int                 `json:"cap_mb"`
}

// SharedBuffersTier applies up to and including RAMUpToMB.
type SharedBuffersTier struct {
	RAMUpToMB int `json:"ram_up_to_mb"`
	Percent   int `json:"percent"`
}

// OSReserveParams is the RAM left to the OS when estimating the page cache.
type OSReserveParams struct {
	Percent int `json:"percent"`
	MinMB   int `json:"min_mb"`
}

// EffectiveCacheSizeParams estimate the page cache PostgreSQL can count on.
type EffectiveCacheSizeParams struct {
	Percent                  int `json:"percent"`
	MinSharedBuffersMultiple int `json:"min_shared_buffers_multiple"`
}

// BoundsMB is a lower and upper bound in MB.
type BoundsMB struct {
	MinMB int `json:"min_mb"`
	CapMB int `json:"cap_mb"`
}

// WorkMemParams split the remaining RAM among the connections' operations.
type WorkMemParams struct {
	PerConnectionOverheadMB int           `json:"per_connection_overhead_mb"`
	ReserveMB               int           `json:"reserve_mb"`
	MinPoolMB               int           `json:"min_pool_mb"`
	OperationsPerConnection int           `json:"operations_per_connection"`
	MinMB                   int           `json:"min_mb"`
	FixedCapMB              int           `json:"fixed_cap_mb"`
	ScaledCaps              []WorkMemTier `json:"scaled_caps"`
}

// WorkMemTier caps work_mem from RAMFromMB on.
type WorkMemTier struct {
	RAMFromMB int `json:"ram_from_mb"`
	CapMB     int `json:"cap_mb"`
}

// WALBuffersParams size wal_buffers from shared_buffers.
type WALBuffersParams struct {
	Percent       int `json:"percent"`
	MinMB         int `json:"min_mb"`
	MaxMB         int `json:"max_mb"`
	RoundUpFromMB int `json:"round_up_from_mb"`
}

// WorkerParams derive the worker and parallelism settings from the CPUs.
type WorkerParams struct {
	CPUsPerIOWorker int `json:"cpus_per_io_worker"`
	IOMin           int `json:"io_min"`
	IOMax           int `json:"io_max"`
	SmallCPUs       int `json:"small_cpus"`
	SmallExtra      int `json:"small_extra"`
	LargeDivisor    int `json:"large_divisor"`
	WorkerMin       int `json:"worker_min"`
	WorkerMax       int `json:"worker_max"`
	ParallelMinCPUs int `json:"parallel_min_cpus"`
	GatherDivisor   int `json:"gather_divisor"`
	MaintenanceMax  int `json:"maintenance_max"`
}

// StorageProfile is what a POSTGRES_STORAGE_TYPE selects.
type StorageProfile struct {
	RandomPageCost           string `json:"random_page_cost"`
	EffectiveIOConcurrency   int    `json:"effective_io_concurrency"`
	MaintenanceIOConcurrency int    `json:"maintenance_io_concurrency"`
}
