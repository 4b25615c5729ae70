package docs

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/azagen/azagen/internal/derive"
	md "github.com/azagen/azagen/internal/markdown"
	"github.com/azagen/azagen/internal/model"
)

// buildDiagram draws one stack as a Mermaid flowchart, which GitHub renders
// in place: its services (grouped in the stack), the compose networks they
// join (dotted), every published port with its host binding, and every
// connection of the connection model (derive.Connections): who logs in as
// which role to which database, with its sslmode, and for a PostgreSQL
// server the pg_hba rule that admits it (derive.Admitting).
func buildDiagram(in *Input, arg string) (md.Content, error) {
	st := in.Config.Stacks[arg]
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("flowchart LR")
	ids := map[string]string{} // "stack/service" -> node ID
	svcID := func(stack, svc string) string {
		k := stack + "/" + svc
		if _, ok := ids[k]; !ok {
			ids[k] = "s" + strconv.Itoa(len(ids))
		}
		return ids[k]
	}
	line("  host([%s])", mermaidLabel("host"))
	line("  subgraph stack[%s]", mermaidLabel("stack "+st.Key+": compose project "+st.Name))
	for _, svc := range services(st) {
		line("    %s[%s]", svcID(st.Key, svc.Key), mermaidLabel(svc.Key, svc.Kind+" · "+svc.Image.Name+":"+svc.Image.Tag))
	}
	netIDs := map[string]string{}
	for i, k := range slices.Sorted(maps.Keys(st.Networks)) {
		n := st.Networks[k]
		id := "n" + strconv.Itoa(i)
		netIDs[k] = id
		what := "network " + k
		if n.External {
			what += " (external)"
		}
		line("    %s{{%s}}", id, mermaidLabel(what, n.Name))
	}
	line("  end")
	// Servers of other stacks that this stack's services dial.
	conns := derive.Connections(in.Config, st)
	for _, c := range conns {
		if c.ServerStack != st.Key {
			k := c.ServerStack + "/" + c.Server
			if _, drawn := ids[k]; !drawn {
				line("  %s[%s]", svcID(c.ServerStack, c.Server), mermaidLabel(c.Server, "in stack "+c.ServerStack))
			}
		}
	}
	for _, svc := range services(st) {
		for _, n := range svc.Networks {
			line("  %s -.- %s", svcID(st.Key, svc.Key), netIDs[n])
		}
	}
	for _, svc := range services(st) {
		for _, p := range derive.SortedPorts(svc.Ports) {
			label := []string{fmt.Sprintf("%s:%d → %d", p.HostIP, p.Host, p.Container)}
			for _, c := range conns {
				if c.Client == applicationsClientName && c.Server == svc.Key && c.Port == p.Host {
					label = append(label, c.SSLMode)
				}
			}
			line("  host -->|%s| %s", mermaidLabel(label...), svcID(st.Key, svc.Key))
		}
	}
	for _, c := range conns {
		client, ok := st.Services[c.Client]
		if !ok || c.Server == c.Client {
			continue // the applications (drawn as the host's ports) and healthchecks (inside a container)
		}
		label := []string{c.User + " / " + c.Database, "sslmode=" + c.SSLMode}
		if rule, ok := admittingRule(in.Config, c, client); ok {
			label = append(label, "pg_hba: "+rule)
		}
		line("  %s ==>|%s| %s", svcID(st.Key, c.Client), mermaidLabel(label...), svcID(c.ServerStack, c.Server))
	}
	return md.Content{md.CodeFence{Lang: "mermaid", Body: b.String()}}, nil
}

// applicationsClientName is the client derive.Connections names for the
// applications outside the stacks.
const applicationsClientName = "applications"

// admittingRule is the pg_hba rule of the PostgreSQL server of c that
// admits c's login, as written in pg_hba.conf; false when the server is not
// PostgreSQL or no rule admits it (policy reports the latter).
func admittingRule(cfg *model.Config, c derive.Connection, client *model.Service) (string, bool) {
	st := cfg.Stacks[c.ServerStack]
	if st == nil {
		return "", false
	}
	server := st.Services[c.Server]
	if server == nil || server.Postgres == nil {
		return "", false
	}
	user, database := c.User, c.Database
	if client.PgBouncer != nil {
		// Pooled logins use each client's own role; auth_query, which
		// every pool runs first, logs in as the auth user.
		user, database = client.PgBouncer.AuthUser, client.PgBouncer.Databases[0]
	}
	rules := derive.HBARules(cfg, st, server)
	i, ok := derive.Admitting(rules, derive.ClientUsesTLS(c.SSLMode), database, user)
	if !ok {
		return "", false
	}
	r := rules[i]
	return strings.Join([]string{r.Type, r.Database, r.User, r.Address, r.Method}, " "), true
}

// mermaidLabel is a quoted Mermaid label of one or more lines. Inside the
// quotes Mermaid reads entity codes, so # and the quote itself are written
// as codes (Mermaid docs, "Entity codes to escape characters"), and < > as
// well so that no text is taken for HTML.
func mermaidLabel(lines ...string) string {
	esc := strings.NewReplacer("#", "#35;", `"`, "#quot;", "<", "#lt;", ">", "#gt;")
	for i, l := range lines {
		lines[i] = esc.Replace(l)
	}
	return `"` + strings.Join(lines, "<br/>") + `"`
}
