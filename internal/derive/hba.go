package derive

import (
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
)

// HBALine is one pg_hba.conf rule.
type HBALine struct {
	Type, Database, User, Address, Method, Comment string
}

// pg_hba connection types (PostgreSQL 18 docs, "The pg_hba.conf File").
const (
	HBALocal     = "local"
	HBAHost      = "host"
	HBAHostSSL   = "hostssl"
	HBAHostNoSSL = "hostnossl"
)

// HBARules derives the access rules of a postgres service: the superuser
// over the local socket (healthcheck.sh and the initdb scripts); the network
// clients a written reason lets in without TLS (plain host rules); then a
// hostnossl reject for every other plaintext connection, so that a
// plaintext login is refused rather than left unmatched; then one hostssl
// rule per declared client connection, scoped to exactly its role and
// database, and the application rules of the source. Nothing else is
// admitted.
func HBARules(c *model.Config, st *model.Stack, svc *model.Service) []HBALine {
	var out []HBALine
	if su := normalize.Superuser(c); su != nil {
		out = append(out, HBALine{Type: HBALocal, Database: "all", User: su.Name, Method: "peer",
			Comment: "healthcheck.sh and the initdb scripts, over the socket as the OS user postgres"})
	}
	var plain, tls []HBALine
	for _, cl := range normalize.Clients(c, st, svc) {
		l := HBALine{Type: HBAHostSSL, Database: cl.Database, User: cl.Role, Address: "samenet", Method: "scram-sha-256",
			Comment: cl.Description}
		if !ClientUsesTLS(cl.SSLMode) {
			l.Type, l.Comment = HBAHost, cl.Description+"; without TLS: "+cl.Reason
			plain = append(plain, l)
			continue
		}
		tls = append(tls, l)
	}
	for _, r := range svc.Postgres.HBA {
		l := HBALine{Type: HBAHostSSL, Database: r.Database, User: r.User, Address: r.Address, Method: r.Method, Comment: r.Comment}
		if r.PlaintextReason != "" {
			l.Type = HBAHost
			l.Comment = joinComment(r.Comment, "without TLS: "+r.PlaintextReason)
			plain = append(plain, l)
			continue
		}
		tls = append(tls, l)
	}
	out = append(out, plain...)
	out = append(out, HBALine{Type: HBAHostNoSSL, Database: "all", User: "all", Address: "all", Method: "reject",
		Comment: "every other connection without TLS is refused"})
	return append(out, tls...)
}

func joinComment(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
