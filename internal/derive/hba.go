package derive

import (
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
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
