package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/azagen/azagen/internal/autoconfig"
	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/model"
)

// minUnprivilegedPort is the first port an unprivileged process may bind;
// a host-port tunable must not let the operator publish below it (KICS
// privileged_ports_mapped_in_container).
const minUnprivilegedPort = 1024

// tunableRange checks each tunable's declaration: a range whose ends parse
// and are ordered, a default inside it, a set of values its consumer
// accepts, and one declaration per name in a stack. The rules that depend
// on a tunable check its whole range themselves.
func tunableRange(c *checker) {
	p := autoconfig.FromModel(c.cfg)
	profiles := map[string][]string{
		autoconfig.WorkloadVar: keysOf(p.Workloads),
		autoconfig.StorageVar:  keysOf(p.Storage),
	}
	c.eachStack(func(st *model.Stack, _ string) {
		seen := map[string]*model.Tunable{}
		for _, t := range st.Tunables {
			if first := seen[t.Name]; first != nil {
				if first.Kind != t.Kind || first.Default != t.Default || first.Range() != t.Range() {
					c.report(t.Path, "%s is declared again with default %s and range %s, unlike at %s.%s (default %s, range %s): a stack's .env gives one value per name; use another name or the same declaration",
						t.Name, t.Default, t.Range(), first.Service, first.Field, first.Default, first.Range())
				}
				continue
			}
			seen[t.Name] = t
			switch t.Kind {
			case model.TunableEnum:
				if !slices.Contains(t.OneOf, t.Default) {
					c.report(t.Path+".default", "%s's default %q is not in its set %s", t.Name, t.Default, strings.Join(t.OneOf, ", "))
				}
				key := strings.TrimPrefix(t.Field, "environment.")
				if allowed, ok := profiles[key]; ok {
					for i, v := range t.OneOf {
						if !slices.Contains(allowed, v) {
							c.report(fmt.Sprintf("%s.one_of[%d]", t.Path, i), "%s=%q is not an auto-config profile the image accepts (%s)", t.Name, v, strings.Join(allowed, ", "))
						}
					}
				}
				continue
			}
			lo, hi, def, err := tunableBounds(t)
			if err != nil {
				c.report(t.Path, "%s: %v", t.Name, err)
				continue
			}
			if lo > hi {
				c.report(t.Path+".min", "%s's range %s is empty: min is above max", t.Name, t.Range())
				continue
			}
			if def < lo || def > hi {
				c.report(t.Path+".default", "%s's default %s lies outside its range %s", t.Name, t.Default, t.Range())
			}
			if strings.HasSuffix(t.Field, ".host") && strings.HasPrefix(t.Field, "ports[") && (lo < minUnprivilegedPort || hi > 65535) {
				c.report(t.Path+".min", "%s's range %s allows ports outside %d..65535: a host port below %d is privileged", t.Name, t.Range(), minUnprivilegedPort, minUnprivilegedPort)
			}
			if t.Field == "resources.pids" && lo < 16 {
				c.report(t.Path+".min", "%s's range %s allows a pids limit below 16", t.Name, t.Range())
			}
			if t.Field == "resources.cpus" && lo <= 0 {
				c.report(t.Path+".min", "%s's range %s allows a cpus limit of 0 or below", t.Name, t.Range())
			}
			if (t.Field == "pgbouncer.max_client_conn" || t.Field == "pgbouncer.default_pool_size") && lo < 1 {
				c.report(t.Path+".min", "%s's range %s allows a value below 1", t.Name, t.Range())
			}
		}
	})
}

// tunableBounds are a numeric or size tunable's min, max and default as
// numbers (bytes for sizes).
func tunableBounds(t *model.Tunable) (lo, hi, def float64, err error) {
	parse := func(s string) (float64, error) {
		if t.Kind == model.TunableSize {
			n, err := derive.ByteSize(s)
			return float64(n), err
		}
		return strconv.ParseFloat(s, 64)
	}
	if lo, err = parse(t.Min); err != nil {
		return
	}
	if hi, err = parse(t.Max); err != nil {
		return
	}
	def, err = parse(t.Default)
	return
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
