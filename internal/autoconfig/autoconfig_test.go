package autoconfig

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The rows are the values upstream-facts §8.5 records from running the real
// entrypoint (mixed workload, ssd storage).
func TestComputeMatchesRecordedEntrypointRuns(t *testing.T) {
	type mem struct{ sb, ecs, mwm, wm, mc, wb int }
	want := map[int]mem{
		512:   {128, 256, 32, 1, 60, 3},
		1024:  {256, 512, 64, 1, 60, 7},
		2048:  {512, 1024, 128, 1, 84, 16},
		4096:  {1024, 2048, 256, 3, 102, 16},
		8192:  {2048, 4096, 512, 9, 120, 16},
		16384: {3276, 6882, 1024, 23, 120, 16},
		32768: {6553, 13763, 2048, 51, 120, 16},
		65536: {9830, 29819, 2048, 112, 120, 16},
	}
	for ram, w := range want {
		o, err := Compute(Input{RAMMB: ram, CPUs: 2, Workload: "mixed", Storage: "ssd"})
		if err != nil {
			t.Fatal(err)
		}
		got := mem{o.SharedBuffersMB, o.EffectiveCacheSizeMB, o.MaintenanceWorkMemMB, o.WorkMemMB, o.MaxConnections, o.WALBuffersMB}
		if diff := cmp.Diff(w, got, cmp.AllowUnexported(mem{})); diff != "" {
			t.Errorf("RAM %d (-want +got):\n%s", ram, diff)
		}
	}
}

func TestComputeCPUSide(t *testing.T) {
	type cpuRow struct{ mwp, mpw, gather, maint, io int }
	want := map[int]cpuRow{1: {8, 1, 1, 1, 1}, 2: {8, 2, 1, 1, 1}, 4: {8, 4, 2, 2, 1}, 8: {12, 8, 4, 4, 2}}
	for cpu, w := range want {
		o, err := Compute(Input{RAMMB: 2048, CPUs: cpu, Workload: "mixed", Storage: "ssd"})
		if err != nil {
			t.Fatal(err)
		}
		got := cpuRow{o.MaxWorkerProcesses, o.MaxParallelWorkers, o.MaxParallelWorkersPerGather, o.MaxParallelMaintenanceWorker, o.IOWorkers}
		if got != w {
			t.Errorf("%d CPUs: got %+v, want %+v", cpu, got, w)
		}
	}
}

func TestOtherWorkloads(t *testing.T) {
	for _, tc := range []struct {
		workload      string
		ram, mc, wm   int
		stats, maxWAL int
	}{
		{"web", 4096, 170, 1, 100, 4096},
		{"oltp", 65536, 300, 32, 100, 8192},
		{"dw", 65536, 100, 135, 500, 16384},
		{"dw", 512, 50, 1, 500, 16384},
	} {
		o, err := Compute(Input{RAMMB: tc.ram, CPUs: 4, Workload: tc.workload, Storage: "ssd"})
		if err != nil {
			t.Fatal(err)
		}
		if o.MaxConnections != tc.mc || o.WorkMemMB != tc.wm || o.DefaultStatisticsTarget != tc.stats || o.MaxWALSizeMB != tc.maxWAL {
			t.Errorf("%s %dMB: got mc=%d wm=%d stats=%d maxwal=%d", tc.workload, tc.ram, o.MaxConnections, o.WorkMemMB, o.DefaultStatisticsTarget, o.MaxWALSizeMB)
		}
	}
}

func TestRejectsBelowMinimum(t *testing.T) {
	if _, err := Compute(Input{RAMMB: 256, CPUs: 1, Workload: "mixed", Storage: "ssd"}); err == nil {
		t.Fatal("256MB accepted")
	}
}

func TestMemoryAndCPUConversions(t *testing.T) {
	for in, want := range map[string]int{"2g": 2048, "512m": 512, "64mb": 64, "1gb": 1024} {
		if got, err := MemoryMB(in); err != nil || got != want {
			t.Errorf("MemoryMB(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, want := range map[float64]int{0.5: 1, 1: 1, 2: 2, 2.5: 3} {
		if got := CPUs(in); got != want {
			t.Errorf("CPUs(%v) = %d, want %d", in, got, want)
		}
	}
}
