package policy_test

import (
	"os"
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/load"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
	"github.com/azagen/azagen/internal/policy"
	"github.com/azagen/azagen/internal/rules"
)

// checkEdited runs every policy rule over the repository's stacks.cue with
// each old string replaced by its new one (each must occur exactly once).
func checkEdited(t *testing.T, edits ...string) diag.List {
	t.Helper()
	b, err := os.ReadFile("../../stacks.cue")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(edits); i += 2 {
		if n := strings.Count(s, edits[i]); n != 1 {
			t.Fatalf("%q occurs %d times in stacks.cue, want once", edits[i], n)
		}
		s = strings.Replace(s, edits[i], edits[i+1], 1)
	}
	src, diags := load.Sources([]string{"stacks.cue"}, [][]byte{[]byte(s)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg, err := model.Decode(src.Value)
	if err != nil {
		t.Fatal(err)
	}
	if d := normalize.Normalize(cfg, src); d.HasErrors() {
		t.Fatal(d)
	}
	return policy.Check(cfg, src)
}

// wantOne asserts that the findings are exactly one of rule, whose message
// contains every fragment.
func wantOne(t *testing.T, d diag.List, rule string, fragments ...string) {
	t.Helper()
	if len(d) != 1 || d[0].Rule != rule {
		t.Fatalf("want one %s finding, got:\n%v", rule, d)
	}
	for _, f := range fragments {
		if !strings.Contains(d[0].Message, f) {
			t.Errorf("message %q lacks %q", d[0].Message, f)
		}
	}
	if d[0].Pos.Line == 0 {
		t.Errorf("finding has no position: %v", d[0])
	}
}

const (
	primaryMemory = `memory: {tunable: "POSTGRES_MEMORY_LIMIT", default: "2g", min: "2g", max: "3g",`
	primaryCPUs   = `cpus: {tunable: "POSTGRES_CPU_LIMIT", default: 2, min: 1, max: 4,`
	primaryRes    = `memory_reservation: {tunable: "POSTGRES_MEMORY_RESERVATION", default: "1g", min: "256m", max: "2g", doc: "Memory the host reserves for PostgreSQL."}`
	primaryLoad   = `POSTGRES_WORKLOAD_TYPE: one_of: ["mixed", "dw"]`
)

func TestStandbyRuleAtPrimaryMemoryMax(t *testing.T) {
	// At 8g the primary gets mixed's full 120 connections; the standby's
	// smallest memory, 2g, gives 84.
	d := checkEdited(t, primaryMemory, strings.Replace(primaryMemory, `max: "3g"`, `max: "8g"`, 1))
	wantOne(t, d, rules.StandbyNotBelowPrimary,
		"at POSTGRES_MEMORY_LIMIT=2g, POSTGRES_WORKLOAD_TYPE=mixed the standby gets max_connections=84 < 120", "at POSTGRES_MEMORY_LIMIT=8g")
}

func TestStandbyRuleAtTierBoundaryInsideRange(t *testing.T) {
	// 4095m is the last value of the 70% tier: a range ending at 4095m
	// holds; one ending a megabyte later, at 4096m, crosses into 85%.
	if d := checkEdited(t, primaryMemory, strings.Replace(primaryMemory, `max: "3g"`, `max: "4095m"`, 1)); len(d) != 0 {
		t.Fatalf("range ending at 4095m: want no finding, got %v", d)
	}
	d := checkEdited(t, primaryMemory, strings.Replace(primaryMemory, `max: "3g"`, `max: "5000m"`, 1))
	wantOne(t, d, rules.StandbyNotBelowPrimary, "max_connections=84 < 102", "at POSTGRES_MEMORY_LIMIT=4g")
}

func TestStandbyRuleAtPrimaryWorkload(t *testing.T) {
	d := checkEdited(t, primaryLoad, `POSTGRES_WORKLOAD_TYPE: one_of: ["mixed", "dw", "web"]`)
	wantOne(t, d, rules.StandbyNotBelowPrimary, "max_connections=84 < 140", "POSTGRES_WORKLOAD_TYPE=web")
}

func TestStandbyWorkersAtPrimaryCPUs(t *testing.T) {
	d := checkEdited(t, primaryCPUs, strings.Replace(primaryCPUs, "max: 4", "max: 8", 1))
	wantOne(t, d, rules.StandbyNotBelowPrimary, "max_worker_processes=8 at POSTGRES_CPU_LIMIT=1", "below the primary's 12 at POSTGRES_CPU_LIMIT=8")
}

func TestPoolRuleAtSmallestMemory(t *testing.T) {
	d := checkEdited(t, primaryMemory, strings.Replace(primaryMemory, `min: "2g"`, `min: "1g"`, 1),
		primaryRes, strings.Replace(primaryRes, `max: "2g"`, `max: "1g"`, 1))
	// dw at 1g is the smallest: 50% of its 100 base connections.
	wantOne(t, d, rules.PoolWithinLimits, "at POSTGRES_MEMORY_LIMIT=1g, POSTGRES_WORKLOAD_TYPE=dw", "max_connections=50", "37 left")
}

func TestReservationRuleAtRangeEnds(t *testing.T) {
	d := checkEdited(t, primaryRes, strings.Replace(primaryRes, `max: "2g"`, `max: "3g"`, 1))
	wantOne(t, d, rules.ReservationWithinLimit, "memory_reservation 3g exceeds the memory limit 2g", "POSTGRES_MEMORY_RESERVATION=3g", "POSTGRES_MEMORY_LIMIT=2g")
}

func TestPgBouncerNoFileAtLargestMaxClientConn(t *testing.T) {
	d := checkEdited(t, `max: 10000, doc: "Client connections`, `max: 2000000, doc: "Client connections`)
	wantOne(t, d, rules.PgBouncerFDLimit, "at PGBOUNCER_MAX_CLIENT_CONN=2000000, the top of its range, max_client_conn 2000000")
}

func TestPoolSizeAtLargestDefaultPoolSize(t *testing.T) {
	d := checkEdited(t, `min: 1, max: 45,`, `min: 1, max: 46,`)
	wantOne(t, d, rules.PoolWithinLimits, "at PGBOUNCER_DEFAULT_POOL_SIZE=46 default_pool_size 46 + reserve_pool_size 5 exceeds max_db_connections 50")
}

func TestTunableDeclarations(t *testing.T) {
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"default outside range", primaryMemory, strings.Replace(primaryMemory, `default: "2g"`, `default: "4g"`, 1), "POSTGRES_MEMORY_LIMIT's default 4g lies outside its range 2g..3g"},
		{"empty range", primaryCPUs, strings.Replace(primaryCPUs, "min: 1", "min: 5", 1), "POSTGRES_CPU_LIMIT's range 5..4 is empty"},
		{"unknown workload", primaryLoad, `POSTGRES_WORKLOAD_TYPE: one_of: ["mixed", "batch"]`, `POSTGRES_WORKLOAD_TYPE="batch" is not an auto-config profile`},
		{"privileged host port", `default: 6432, min: 1024`, `default: 6432, min: 80`, "PGBOUNCER_PORT's range 80..65535 allows ports outside 1024..65535"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := checkEdited(t, tc.old, tc.new)
			wantOne(t, d, rules.TunableRange, tc.want)
		})
	}
}
