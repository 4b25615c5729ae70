package derive

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/azagen/azagen/internal/autoconfig"
	"github.com/azagen/azagen/internal/model"
)

// ByteSize parses a Compose byte size (512m, 2g, 64mb, 100k, 1024b) into
// bytes; units are powers of 1024, as compose-go's units.RAMInBytes reads
// them.
func ByteSize(s string) (int64, error) {
	l := strings.ToLower(s)
	num := strings.TrimRight(l, "bkmg")
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || num == "" || n < 0 {
		return 0, fmt.Errorf("%q is not a byte size such as 512m or 2g", s)
	}
	mult := map[string]int64{"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "g": 1 << 30, "gb": 1 << 30}[l[len(num):]]
	if mult == 0 {
		return 0, fmt.Errorf("%q is not a byte size such as 512m or 2g", s)
	}
	return n * mult, nil
}

// FormatMB writes a size in MB the way stacks.cue writes sizes: 2g, 1536m.
func FormatMB(mb int) string {
	if mb%1024 == 0 {
		return strconv.Itoa(mb/1024) + "g"
	}
	return strconv.Itoa(mb) + "m"
}

// TunableValue returns why value is not an allowed value of t, or nil.
func TunableValue(t *model.Tunable, value string) error {
	switch t.Kind {
	case model.TunableEnum:
		if !slices.Contains(t.OneOf, value) {
			return fmt.Errorf("not one of %s, the set stacks.cue allows for %s", strings.Join(t.OneOf, ", "), t.Service)
		}
		return nil
	case model.TunableSize:
		v, err := ByteSize(value)
		if err != nil {
			return err
		}
		lo, _ := ByteSize(t.Min)
		hi, _ := ByteSize(t.Max)
		if v < lo || v > hi {
			return fmt.Errorf("outside %s, the range stacks.cue allows for %s %s", t.Range(), t.Service, t.Field)
		}
		return nil
	}
	v, err := strconv.ParseFloat(value, 64)
	if err != nil || (t.Kind == model.TunableInt && strings.ContainsAny(value, ".eE")) {
		kind := "a number"
		if t.Kind == model.TunableInt {
			kind = "an integer"
		}
		return fmt.Errorf("not %s", kind)
	}
	lo, _ := strconv.ParseFloat(t.Min, 64)
	hi, _ := strconv.ParseFloat(t.Max, 64)
	if v < lo || v > hi {
		return fmt.Errorf("outside %s, the range stacks.cue allows for %s %s", t.Range(), t.Service, t.Field)
	}
	return nil
}

// TunableMaxInt is the largest value an integer field can take: its
// tunable's max, or the value itself when it is not tunable.
func TunableMaxInt(tun model.Tunables, field string, value int) int {
	if t := tun[field]; t != nil {
		if n, err := strconv.Atoi(t.Max); err == nil {
			return n
		}
	}
	return value
}

// TunableMinMB and TunableMaxMB are the smallest and largest memory, in MB,
// a size field can take: its tunable's range ends, or the value itself.
func TunableMinMB(tun model.Tunables, field, value string) (int, error) {
	if t := tun[field]; t != nil {
		value = t.Min
	}
	return autoconfig.MemoryMB(value)
}

// TunableMaxMB: see TunableMinMB.
func TunableMaxMB(tun model.Tunables, field, value string) (int, error) {
	if t := tun[field]; t != nil {
		value = t.Max
	}
	return autoconfig.MemoryMB(value)
}

// Axis is a tunable input of auto-config.
type Axis string

// Axes: max_connections depends on memory and workload, the worker limits
// on cpus.
const (
	AxisMemory   Axis = "memory"
	AxisCPUs     Axis = "cpus"
	AxisWorkload Axis = "workload"
)

// Point is a postgres service at one assignment of its tunables: the
// service as its entrypoint would see it, and the assignment for messages
// ("POSTGRES_MEMORY_LIMIT=2g, POSTGRES_WORKLOAD_TYPE=dw"; empty when the
// service has no tunables).
type Point struct {
	Service *model.Service
	Label   string
}

// At is " at LABEL" for a point with tunables, "" otherwise.
func (p Point) At() string {
	if p.Label == "" {
		return ""
	}
	return " at " + p.Label
}

// AutoconfigPoints lists the assignments of the tunables that decide a
// postgres service's auto-config (memory, cpus, workload) at which every
// value auto-config derives from them takes each of its values: the range
// ends, both sides of every max_connections tier boundary inside the memory
// range, every whole CPU count in the cpus range (the entrypoint rounds the
// quota up), and every workload of the set. A service without tunables has
// one point, itself. Only the axes named in use are varied, so that a
// message names only the tunables its value depends on.
func AutoconfigPoints(c *model.Config, st *model.Stack, svc *model.Service, use ...Axis) []Point {
	type axis struct {
		name   string
		values []string
		apply  func(s *model.Service, v string)
	}
	var axes []axis
	tun := svc.Resources.Tunables
	if t := tun["memory"]; t != nil && slices.Contains(use, AxisMemory) {
		lo, err1 := autoconfig.MemoryMB(t.Min)
		hi, err2 := autoconfig.MemoryMB(t.Max)
		vals := []string{t.Min, t.Max}
		if err1 == nil && err2 == nil {
			for _, tier := range autoconfig.FromModel(c).MaxConnections.Scale {
				for _, b := range []int{tier.RAMBelowMB - 1, tier.RAMBelowMB} {
					if b > lo && b < hi {
						vals = append(vals, FormatMB(b))
					}
				}
			}
		}
		axes = append(axes, axis{t.Name, uniqueSorted(vals, sizeLess), func(s *model.Service, v string) { s.Resources.Memory = v }})
	}
	if t := tun["cpus"]; t != nil && slices.Contains(use, AxisCPUs) {
		lo, err1 := strconv.ParseFloat(t.Min, 64)
		hi, err2 := strconv.ParseFloat(t.Max, 64)
		vals := []string{t.Min, t.Max}
		if err1 == nil && err2 == nil {
			for n := autoconfig.CPUs(lo); float64(n) < hi && n <= 1024; n++ {
				vals = append(vals, strconv.Itoa(n))
			}
		}
		axes = append(axes, axis{t.Name, uniqueSorted(vals, numLess), func(s *model.Service, v string) {
			s.Resources.CPUs, _ = strconv.ParseFloat(v, 64)
		}})
	}
	for _, t := range st.Tunables {
		if !slices.Contains(use, AxisWorkload) || t.Kind != model.TunableEnum || t.Service != svc.Key || t.Field != "environment."+autoconfig.WorkloadVar {
			continue
		}
		// A value the image does not accept is tunable-range's finding.
		var known []string
		for _, v := range t.OneOf {
			if _, ok := autoconfig.FromModel(c).Workloads[v]; ok {
				known = append(known, v)
			}
		}
		if len(known) == 0 {
			continue
		}
		axes = append(axes, axis{t.Name, known, func(s *model.Service, v string) {
			env := maps.Clone(s.Environment)
			e := env[autoconfig.WorkloadVar]
			e.Default = &v
			env[autoconfig.WorkloadVar] = e
			s.Environment = env
		}})
	}
	points := []Point{{Service: svc}}
	for _, ax := range axes {
		var next []Point
		for _, p := range points {
			for _, v := range ax.values {
				s := *p.Service
				ax.apply(&s, v)
				label := ax.name + "=" + v
				if p.Label != "" {
					label = p.Label + ", " + label
				}
				next = append(next, Point{Service: &s, Label: label})
			}
		}
		points = next
	}
	return points
}

func sizeLess(a, b string) bool {
	x, _ := autoconfig.MemoryMB(a)
	y, _ := autoconfig.MemoryMB(b)
	return x < y
}

func numLess(a, b string) bool {
	x, _ := strconv.ParseFloat(a, 64)
	y, _ := strconv.ParseFloat(b, 64)
	return x < y
}

// uniqueSorted sorts vals by less and drops values equal under it.
func uniqueSorted(vals []string, less func(a, b string) bool) []string {
	slices.SortStableFunc(vals, func(a, b string) int {
		switch {
		case less(a, b):
			return -1
		case less(b, a):
			return 1
		}
		return 0
	})
	return slices.CompactFunc(vals, func(a, b string) bool { return !less(a, b) && !less(b, a) })
}
