package derive

import (
	"fmt"
	"slices"
	"strings"

	"github.com/azagen/azagen/internal/model"
)

// SortedPorts orders ports the way dclint's service-ports-alphabetical-order
// rule expects: by the rendered string, numerically.
func SortedPorts(ports []model.PortMapping) []model.PortMapping {
	out := slices.Clone(ports)
	slices.SortFunc(out, func(a, b model.PortMapping) int {
		if c := strings.Compare(a.HostIP, b.HostIP); c != 0 {
			return c
		}
		return a.Host - b.Host
	})
	return out
}

// PortSpec is the short compose syntax with a literal host IP.
// A tunable host port is written as its interpolation.
func PortSpec(p model.PortMapping) string {
	if t := p.Tunables["host"]; t != nil {
		return fmt.Sprintf("%s:%s:%d", p.HostIP, t.Ref(), p.Container)
	}
	return fmt.Sprintf("%s:%d:%d", p.HostIP, p.Host, p.Container)
}
