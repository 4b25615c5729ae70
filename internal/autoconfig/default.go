package autoconfig

import "github.com/azagen/azagen/internal/model"

// Default is a copy of the autoconfig block of the repository's stacks.cue,
// for the package-level Compute used by callers that hold no decoded
// configuration. TestDefaultMatchesStacksCue fails when the two differ;
// code that has a *model.Config should use FromModel instead, so that an
// edited stacks.cue is followed without touching Go code.
var Default = Params{
	Defaults:      model.AutoConfigDefaults{Workload: "mixed", Storage: "ssd"},
	MinRAMMB:      512,
	FallbackRAMMB: 1024,
	MaxMemoryMB:   1048576,
	MaxCPUs:       128,
	Workloads: map[string]model.WorkloadProfile{
		"web":   {BaseConnections: 200, MaintenanceWorkMemDivisor: 16, WorkMemCaps: "fixed", MinWALSizeMB: 1024, MaxWALSizeMB: 4096, DefaultStatisticsTarget: 100},
		"oltp":  {BaseConnections: 300, MaintenanceWorkMemDivisor: 16, WorkMemCaps: "fixed", MinWALSizeMB: 2048, MaxWALSizeMB: 8192, DefaultStatisticsTarget: 100},
		"dw":    {BaseConnections: 100, MaintenanceWorkMemDivisor: 8, WorkMemCaps: "scaled", MinWALSizeMB: 4096, MaxWALSizeMB: 16384, DefaultStatisticsTarget: 500},
		"mixed": {BaseConnections: 120, MaintenanceWorkMemDivisor: 16, WorkMemCaps: "scaled", MinWALSizeMB: 1024, MaxWALSizeMB: 4096, DefaultStatisticsTarget: 100},
	},
	MaxConnections: model.MaxConnectionsParams{
		Scale:                 []model.ConnectionScaleTier{{RAMBelowMB: 2048, Percent: 50}, {RAMBelowMB: 4096, Percent: 70}, {RAMBelowMB: 8192, Percent: 85}},
		ScaleOtherwisePercent: 100,
		Min:                   20,
	},
	SharedBuffers: model.SharedBuffersParams{
		Ratio:                 []model.SharedBuffersTier{{RAMUpToMB: 8192, Percent: 25}, {RAMUpToMB: 32768, Percent: 20}},
		RatioOtherwisePercent: 15,
		MinMB:                 64,
		CapMB:                 32768,
	},
	OSReserve:          model.OSReserveParams{Percent: 20, MinMB: 512},
	EffectiveCacheSize: model.EffectiveCacheSizeParams{Percent: 70, MinSharedBuffersMultiple: 2},
	MaintenanceWorkMem: model.BoundsMB{MinMB: 32, CapMB: 2048},
	WorkMem: model.WorkMemParams{
		PerConnectionOverheadMB: 10,
		ReserveMB:               512,
		MinPoolMB:               256,
		OperationsPerConnection: 4,
		MinMB:                   1,
		FixedCapMB:              32,
		ScaledCaps:              []model.WorkMemTier{{RAMFromMB: 32768, CapMB: 256}, {RAMFromMB: 8192, CapMB: 128}, {RAMFromMB: 2048, CapMB: 64}},
	},
	WALBuffers: model.WALBuffersParams{Percent: 3, MinMB: 1, MaxMB: 16, RoundUpFromMB: 15},
	Workers: model.WorkerParams{
		CPUsPerIOWorker: 4, IOMin: 1, IOMax: 32,
		SmallCPUs: 4, SmallExtra: 1, LargeDivisor: 2, WorkerMin: 8, WorkerMax: 64,
		ParallelMinCPUs: 4, GatherDivisor: 2, MaintenanceMax: 4,
	},
	CheckpointCompletionTarget: 0.9,
	Storage: map[string]model.StorageProfile{
		"ssd": {RandomPageCost: "1.1", EffectiveIOConcurrency: 200, MaintenanceIOConcurrency: 20},
		"hdd": {RandomPageCost: "4.0", EffectiveIOConcurrency: 2, MaintenanceIOConcurrency: 10},
		"san": {RandomPageCost: "1.1", EffectiveIOConcurrency: 300, MaintenanceIOConcurrency: 20},
	},
}
