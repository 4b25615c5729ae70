package policy

import (
	"slices"

	"github.com/azagen/azagen/internal/autoconfig"
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
		limit, err1 := autoconfig.MemoryMB(r.Memory)
		res, err2 := autoconfig.MemoryMB(r.MemoryReservation)
		if err1 == nil && err2 == nil && res > limit {
			c.report(path+".resources.memory_reservation", "memory_reservation %s exceeds the memory limit %s", r.MemoryReservation, r.Memory)
		}
	})
}
