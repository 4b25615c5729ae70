package policy

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/rules"
)

type noPositions struct{}

func (noPositions) Pos(string) diag.Position { return diag.Position{} }

// TestHealthcheckConsistentNamesTheFirstDiffering: healthcheck-consistent
// compares each service with one member of each class of equal
// healthchecks (linear), and must report exactly what comparing it with
// every earlier service reported (quadratic): the same services, each
// naming the first earlier service without a reason that differs. Random
// inputs mix several classes, kinds and reasons.
func TestHealthcheckConsistentNamesTheFirstDiffering(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 18))
	for round := range 200 {
		cfg := &model.Config{Stacks: map[string]*model.Stack{}}
		for i := range 1 + r.IntN(12) {
			st := &model.Stack{Key: fmt.Sprintf("s%02d", i), Services: map[string]*model.Service{}}
			for j := range 1 + r.IntN(3) {
				h := model.ResolvedHealthcheck{Test: []string{"CMD", "check"}, Retries: 1 + r.IntN(3)}
				if r.IntN(5) == 0 {
					h.Reason = "tuned"
				}
				if r.IntN(4) == 0 {
					h.Origin = map[string]model.Origin{"retries": {}} // not part of the comparison
				}
				key := fmt.Sprintf("svc%d", j)
				st.Services[key] = &model.Service{Key: key, Kind: []string{"postgres", "pgbouncer"}[r.IntN(2)], Health: h}
			}
			cfg.Stacks[st.Key] = st
		}
		got := &checker{cfg: cfg, pos: noPositions{}, rule: rules.Get(rules.HealthcheckConsistent)}
		healthcheckConsistent(got)
		want := &checker{cfg: cfg, pos: noPositions{}, rule: rules.Get(rules.HealthcheckConsistent)}
		healthcheckConsistentQuadratic(want)
		if !reflect.DeepEqual(got.diags, want.diags) {
			t.Fatalf("round %d: got\n%v\nwant\n%v", round, got.diags, want.diags)
		}
	}
}

// healthcheckConsistentQuadratic is the rule as it was first written: each
// service against every earlier one of its kind.
func healthcheckConsistentQuadratic(c *checker) {
	type entry struct {
		st   *model.Stack
		svc  *model.Service
		path string
	}
	byKind := map[string][]entry{}
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		byKind[svc.Kind] = append(byKind[svc.Kind], entry{st, svc, path})
	})
	for _, kind := range slices.Sorted(maps.Keys(byKind)) {
		es := byKind[kind]
		for i, a := range es {
			for _, b := range es[:i] {
				if sameHealth(a.svc.Health, b.svc.Health) || a.svc.Health.Reason != "" || b.svc.Health.Reason != "" {
					continue
				}
				c.report(a.path+".healthcheck", "%s healthcheck differs from %s/%s; give the override a reason or keep them equal", kind, b.st.Key, b.svc.Key)
				break
			}
		}
	}
}
