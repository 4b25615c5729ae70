package render

import (
	"fmt"
	"strings"

	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
	"github.com/azagen/azagen/internal/output"
)

// HBALine is one pg_hba.conf rule.
type HBALine struct {
	Type, Database, User, Address, Method, Comment string
}

// HBARules derives the access rules of a postgres service: the superuser
// over the local socket (healthcheck.sh and the initdb scripts), one rule
// per declared client connection, scoped to exactly its role and database,
// then the application rules of the source. Nothing else is admitted.
func HBARules(c *model.Config, st *model.Stack, svc *model.Service) []HBALine {
	var out []HBALine
	if su := normalize.Superuser(c); su != nil {
		out = append(out, HBALine{Type: "local", Database: "all", User: su.Name, Method: "peer",
			Comment: "healthcheck.sh and the initdb scripts, over the socket as the OS user postgres"})
	}
	for _, cl := range normalize.Clients(c, st, svc) {
		out = append(out, HBALine{Type: "host", Database: cl.Database, User: cl.Role, Address: "samenet", Method: "scram-sha-256",
			Comment: cl.Description})
	}
	for _, r := range svc.Postgres.HBA {
		out = append(out, HBALine{Type: "host", Database: r.Database, User: r.User, Address: r.Address, Method: r.Method, Comment: r.Comment})
	}
	return out
}

// HBA renders pg_hba.conf with aligned columns.
func HBA(c *model.Config, st *model.Stack, svc *model.Service) output.File {
	rules := HBARules(c, st, svc)
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
