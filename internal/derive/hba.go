package derive

import (
	"strings"

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
	// Two rejects: the keyword all matches every database but not a
	// replication (walsender) connection, which only "replication" does.
	out = append(out,
		HBALine{Type: HBAHostNoSSL, Database: "all", User: "all", Address: "all", Method: "reject",
			Comment: "every other connection without TLS is refused"},
		HBALine{Type: HBAHostNoSSL, Database: "replication", User: "all", Address: "all", Method: "reject",
			Comment: "every other replication connection without TLS is refused"})
	return append(out, tls...)
}

func joinComment(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// Admitting returns the index of the rule PostgreSQL applies to a network
// login of user to database ("replication" for a walsender) from a client
// on the server's own compose network, and whether there is one. As the
// server does (PostgreSQL 18 docs, "The pg_hba.conf File"), the first rule
// whose type, database, user and address match decides, even a reject:
// host matches both, hostssl only TLS, hostnossl only plaintext; "all"
// does not match replication; samenet and all match the client; any other
// address (a CIDR the operator wrote) is taken to match, since where a
// client's address falls is not known before it runs.
func Admitting(rules []HBALine, tls bool, database, user string) (int, bool) {
	for i, r := range rules {
		switch r.Type {
		case HBALocal:
			continue
		case HBAHostSSL:
			if !tls {
				continue
			}
		case HBAHostNoSSL:
			if tls {
				continue
			}
		}
		if hbaListMatches(r.Database, database, database != "replication") && hbaListMatches(r.User, user, true) {
			return i, true
		}
	}
	return 0, false
}

// hbaListMatches matches one comma-separated database or user field.
func hbaListMatches(field, name string, allMatches bool) bool {
	for _, f := range strings.Split(field, ",") {
		if f == name || (f == "all" && allMatches) {
			return true
		}
	}
	return false
}
