package normalize

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/azagen/azagen/internal/model"
)

// TestReplicasOrder: Replicas finds the replicas without sorting every
// stack, then sorts what it found; it must return the same services in the
// same order (stack key, then service key) as a scan in that order. Random
// configurations mix matching and non-matching hosts and networks.
func TestReplicasOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 1))
	for round := range 200 {
		c := &model.Config{Stacks: map[string]*model.Stack{}}
		for range 1 + r.IntN(10) {
			st := &model.Stack{Key: fmt.Sprintf("s%d", r.IntN(100)), Services: map[string]*model.Service{},
				Networks: map[string]*model.Network{"net": {Name: []string{"shared", "other"}[r.IntN(2)]}}}
			for j := range 1 + r.IntN(4) {
				svc := &model.Service{Key: fmt.Sprintf("svc%d", j), Networks: []string{"net"}, Postgres: &model.PostgresSpec{}}
				if r.IntN(2) == 0 {
					svc.Postgres.Upstream = &model.Upstream{Host: []string{"postgres", "other"}[r.IntN(2)], Network: []string{"net", "missing"}[r.IntN(2)]}
				}
				st.Services[svc.Key] = svc
			}
			c.Stacks[st.Key] = st
		}
		st := &model.Stack{Key: "primary", Networks: map[string]*model.Network{"net": {Name: "shared"}}}
		primary := &model.Service{Key: "postgres", Networks: []string{"net"}, Postgres: &model.PostgresSpec{}}
		st.Services = map[string]*model.Service{"postgres": primary}
		c.Stacks[st.Key] = st
		got, want := Replicas(c, st, primary), replicasSorted(c, st, primary)
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: got %d replicas, want %d (or another order)", round, len(got), len(want))
		}
	}
}

// replicasSorted is Replicas as first written: every stack and service in
// sorted order.
func replicasSorted(c *model.Config, st *model.Stack, svc *model.Service) []*model.Service {
	nets := map[string]bool{}
	for _, n := range svc.Networks {
		if net := st.Networks[n]; net != nil {
			nets[net.Name] = true
		}
	}
	var out []*model.Service
	for _, sk := range slices.Sorted(maps.Keys(c.Stacks)) {
		other := c.Stacks[sk]
		for _, name := range slices.Sorted(maps.Keys(other.Services)) {
			r := other.Services[name]
			if r.Postgres == nil || r.Postgres.Upstream == nil || r.Postgres.Upstream.Host != svc.Key {
				continue
			}
			if net := other.Networks[r.Postgres.Upstream.Network]; net != nil && nets[net.Name] {
				out = append(out, r)
			}
		}
	}
	return out
}
