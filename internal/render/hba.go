package render

import (
	"fmt"
	"strings"

	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/output"
)

// HBA renders pg_hba.conf with aligned columns.
func HBA(c *model.Config, st *model.Stack, svc *model.Service) output.File {
	rules := derive.HBARules(c, st, svc)
	w := [4]int{len("# TYPE"), len("DATABASE"), len("USER"), len("ADDRESS")}
	for _, r := range rules {
		for i, f := range []string{r.Type, r.Database, r.User, r.Address} {
			w[i] = max(w[i], len(f))
		}
	}
	row := func(f ...string) string {
		return strings.TrimRight(fmt.Sprintf("%-*s  %-*s  %-*s  %-*s  %s", w[0], f[0], w[1], f[1], w[2], f[2], w[3], f[3], f[4]), " ") + "\n"
	}
	var b strings.Builder
	b.WriteString(output.HashComment())
	fmt.Fprintf(&b, "#\n# Client authentication of %s in the %s stack. Every rule comes from a\n", svc.Key, st.Name)
	b.WriteString("# declared connection or an application rule in stacks.cue; samenet is the\n# compose network the server is on.\n\n")
	b.WriteString(row("# TYPE", "DATABASE", "USER", "ADDRESS", "METHOD"))
	for _, r := range rules {
		if r.Comment != "" {
			fmt.Fprintf(&b, "# %s\n", r.Comment)
		}
		b.WriteString(row(r.Type, r.Database, r.User, r.Address, r.Method))
	}
	return output.File{Path: model.HBAPath(st.Key), Data: []byte(b.String())}
}
