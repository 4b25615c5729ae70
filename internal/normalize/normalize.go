// Package normalize fills the derived fields of the model: merged and
// canonical healthchecks, the environment each service needs from the
// connection model, the files it mounts and the command that loads them.
// After normalize, renderers only read; they never decide.
package normalize

import (
	"maps"
	"slices"
	"time"

	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/duration"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/rules"
)

// Positioner maps a CUE path to a position in the user's files.
type Positioner interface {
	Pos(path string) diag.Position
}

// Normalize derives every rendered field. Findings (a duration CUE accepted
// but Compose cannot represent) are returned with positions.
func Normalize(c *model.Config, pos Positioner) diag.List {
	var diags diag.List
	for _, sk := range slices.Sorted(maps.Keys(c.Stacks)) {
		st := c.Stacks[sk]
		for _, name := range slices.Sorted(maps.Keys(st.Services)) {
			svc := st.Services[name]
			diags = append(diags, resolveHealthcheck(c, st, svc, pos)...)
			svc.Env = environment(c, st, svc)
			svc.Mounts = mounts(st, svc)
			svc.Command, svc.Entrypoint = command(st, svc)
		}
	}
	return diags
}

// ServicePath is the CUE path of a service, for diagnostics.
func ServicePath(st *model.Stack, svc *model.Service) string {
	return diag.CUEPath(diag.Fields("stacks", st.Key, "services", svc.Key)...)
}

// HealthLayer is one layer of a service's healthcheck, as it merges.
type HealthLayer struct {
	Origin      model.Origin
	Healthcheck *model.Healthcheck // nil when the layer sets nothing
}

// HealthLayers are the layers normalize merges field by field, lowest
// first: the schema default for the service's kind, the stack's default for
// that kind, and the service's own healthcheck.
func HealthLayers(c *model.Config, st *model.Stack, svc *model.Service) []HealthLayer {
	return []HealthLayer{
		{model.Origin{Layer: model.LayerSchemaDefault, Path: diag.CUEPath(diag.Fields("healthcheckDefaults", svc.Kind)...)}, c.HealthcheckDefaults[svc.Kind]},
		{model.Origin{Layer: model.LayerStack, Path: diag.CUEPath(diag.Fields("stacks", st.Key, "healthcheck", svc.Kind)...)}, st.Healthcheck[svc.Kind]},
		{model.Origin{Layer: model.LayerService, Path: ServicePath(st, svc) + ".healthcheck"}, svc.Healthcheck},
	}
}

func resolveHealthcheck(c *model.Config, st *model.Stack, svc *model.Service, pos Positioner) diag.List {
	h := model.ResolvedHealthcheck{Origin: map[string]model.Origin{}, Test: derivedTest(c, st, svc)}
	if h.Test != nil {
		h.Origin["test"] = model.Origin{Layer: model.LayerDerived}
	}
	var diags diag.List
	setDur := func(field string, l HealthLayer, raw *string, dst *time.Duration) {
		if raw == nil {
			return
		}
		d, err := duration.Parse(*raw)
		if err != nil {
			diags = append(diags, diag.Diagnostic{
				Rule: rules.Healthcheck, Severity: diag.Error,
				Pos: pos.Pos(l.Origin.Path + "." + field), Path: l.Origin.Path + "." + field,
				Message: err.Error(),
			})
			return
		}
		*dst = d
		h.Origin[field] = l.Origin
	}
	var interval, timeout, start, startInterval time.Duration
	for _, l := range HealthLayers(c, st, svc) {
		hc := l.Healthcheck
		if hc == nil {
			continue
		}
		if hc.Test != nil {
			h.Test = slices.Clone(hc.Test)
			h.Origin["test"] = l.Origin
		}
		setDur("interval", l, hc.Interval, &interval)
		setDur("timeout", l, hc.Timeout, &timeout)
		setDur("start_period", l, hc.StartPeriod, &start)
		setDur("start_interval", l, hc.StartInterval, &startInterval)
		if hc.Retries != nil {
			h.Retries = *hc.Retries
			h.Origin["retries"] = l.Origin
		}
		if hc.Reason != "" {
			h.Reason = hc.Reason
		}
	}
	h.Interval, h.Timeout, h.StartPeriod, h.StartInterval = interval, timeout, start, startInterval
	svc.Health = h
	return diags
}
