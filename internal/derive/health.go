package derive

import (
	"encoding/json"
	"strconv"

	"github.com/azagen/azagen/internal/duration"
	"github.com/azagen/azagen/internal/model"
)

// HealthField is one set field of a resolved healthcheck, as compose.yaml
// renders it, and the layer it came from.
type HealthField struct {
	Name, Value string
	Origin      model.Origin
}

// HealthFields lists the set fields of h in compose.yaml's order.
func HealthFields(h model.ResolvedHealthcheck) []HealthField {
	var out []HealthField
	add := func(name, value string) {
		if o, ok := h.Origin[name]; ok {
			out = append(out, HealthField{name, value, o})
		}
	}
	add("test", testString(h.Test))
	add("interval", duration.Format(h.Interval))
	add("timeout", duration.Format(h.Timeout))
	add("retries", strconv.Itoa(h.Retries))
	add("start_period", duration.Format(h.StartPeriod))
	add("start_interval", duration.Format(h.StartInterval))
	return out
}

// testString shows a healthcheck test the way compose's short form reads:
// the shell command for CMD-SHELL, a JSON list otherwise.
func testString(test []string) string {
	if len(test) == 2 && test[0] == "CMD-SHELL" {
		return test[1]
	}
	b, _ := json.Marshal(test)
	return string(b)
}
