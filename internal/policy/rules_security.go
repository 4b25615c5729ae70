package policy

import (
	"strings"

	"slices"

	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/model"
)

func leastCapabilities(c *checker) {
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		if !slices.Contains(svc.Security.CapDrop, "ALL") && svc.Security.Reason == "" {
			c.report(path+".security.cap_drop", "%s keeps the default capabilities: add cap_drop: [\"ALL\"] or a security.reason", svc.Key)
		}
	})
}

func readOnlyRootfs(c *checker) {
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		if !svc.Security.ReadOnly && svc.Security.Reason == "" {
			c.report(path+".security.read_only", "%s has a writable root filesystem: set read_only: true (with tmpfs for the paths it writes) or a security.reason", svc.Key)
		}
	})
}

func resourceLimits(c *checker) {
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		r := svc.Resources
		if r.Memory == "" || r.CPUs <= 0 || r.Pids <= 0 {
			c.report(path+".resources", "%s needs memory, cpus and pids limits", svc.Key)
		}
	})
}

func reservationWithinLimit(c *checker) {
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		r := svc.Resources
		if r.MemoryReservation == "" {
			return
		}
		// Over tunables: the largest reservation against the smallest limit.
		limit, err1 := derive.TunableMinMB(r.Tunables, "memory", r.Memory)
		res, err2 := derive.TunableMaxMB(r.Tunables, "memory_reservation", r.MemoryReservation)
		if err1 == nil && err2 == nil && res > limit {
			if r.Tunables["memory"] == nil && r.Tunables["memory_reservation"] == nil {
				c.report(path+".resources.memory_reservation", "memory_reservation %s exceeds the memory limit %s", r.MemoryReservation, r.Memory)
				return
			}
			c.report(path+".resources.memory_reservation", "memory_reservation %s exceeds the memory limit %s%s", derive.FormatMB(res), derive.FormatMB(limit), rangeNote(r.Tunables, "memory_reservation", "memory"))
		}
	})
}

// rangeNote names the tunables of fields whose range ends a message uses:
// " (POSTGRES_MEMORY_RESERVATION's max, POSTGRES_MEMORY_LIMIT's min)".
func rangeNote(tun model.Tunables, maxField, minField string) string {
	var parts []string
	if t := tun[maxField]; t != nil {
		parts = append(parts, "at "+t.Name+"="+t.Max)
	}
	if t := tun[minField]; t != nil {
		parts = append(parts, "at "+t.Name+"="+t.Min)
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
