package derive

import (
	"maps"
	"slices"
	"strings"

	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
)

// ClientUsesTLS reports whether a libpq client with this sslmode talks TLS
// to a server that has ssl = on: every mode but disable (allow and prefer
// negotiate it; libpq docs, "SSL Mode Descriptions").
func ClientUsesTLS(sslmode string) bool { return sslmode != "disable" }

// Connection is one connection the stacks make, from a client service (or
// the applications outside the stacks) to a server, with the TLS it uses.
type Connection struct {
	// Stack and Client name the client; Client is "applications" for the
	// clients outside the stacks, and a service key otherwise.
	Stack, Client string
	// ServerStack and Server name the service dialled.
	ServerStack, Server string
	// Host and Port are what the client dials.
	Host string
	Port int
	// User and Database are the login ("replication" for streaming).
	User, Database string
	// SSLMode is the client's libpq sslmode (for the applications, the
	// server-side setting that refuses their plaintext logins); Reason
	// explains one weaker than verify-full.
	SSLMode, Reason string
	// Network is true when the connection leaves the client's container:
	// a compose network or a published port.
	Network bool
	// Path is the CUE path of the field that sets SSLMode ("" when azagen
	// fixes it).
	Path string
	// Purpose says what the connection is for.
	Purpose string
}

// Mode is the TLS mode of the connection as the docs show it.
func (c Connection) Mode() string {
	if c.Client == applicationsClient {
		return "TLS required by the server: " + c.SSLMode
	}
	return "sslmode=" + c.SSLMode
}

const applicationsClient = "applications"

// Connections lists every connection of the stack st: those its services
// make (also to servers of other stacks, such as a replica's stream) and
// the applications' connections to its published servers, ordered by
// client, then server.
func Connections(c *model.Config, st *model.Stack) []Connection {
	var out []Connection
	svcPath := func(svc *model.Service) string { return normalize.ServicePath(st, svc) }
	for _, name := range slices.Sorted(maps.Keys(st.Services)) {
		svc := st.Services[name]
		switch {
		case svc.PgBouncer != nil:
			pb := svc.PgBouncer
			port := 0
			if s := st.Services[pb.Server]; s != nil && s.Postgres != nil {
				port = s.Postgres.Port
			}
			out = append(out, Connection{Stack: st.Key, Client: name, ServerStack: st.Key, Server: pb.Server,
				Host: pb.Server, Port: port, User: pb.AuthUser + " and each client's own role", Database: strings.Join(pb.Databases, ", "),
				SSLMode: pb.ServerTLSSSLMode, Reason: pb.ServerTLSReason, Network: true,
				Path: svcPath(svc) + ".pgbouncer.server_tls_sslmode", Purpose: "pooled server connections and auth_query"})
			l := normalize.PgBouncerHealthLogin(pb)
			out = append(out, Connection{Stack: st.Key, Client: name + " (healthcheck)", ServerStack: st.Key, Server: name,
				Host: l.Host, Port: l.Port, User: l.User, Database: l.Database,
				SSLMode: normalize.PgBouncerHealthSSLMode, Purpose: "compose healthcheck, inside the container"})
		case svc.Exporter != nil:
			ex := svc.Exporter
			port := 0
			if s := st.Services[ex.Target]; s != nil {
				switch {
				case s.Postgres != nil:
					port = s.Postgres.Port
				case s.PgBouncer != nil:
					port = s.PgBouncer.ListenPort
				}
			}
			out = append(out, Connection{Stack: st.Key, Client: name, ServerStack: st.Key, Server: ex.Target,
				Host: ex.Target, Port: port, User: ex.Role, Database: ex.Database,
				SSLMode: ex.SSLMode, Reason: ex.SSLModeReason, Network: true,
				Path: svcPath(svc) + ".exporter.sslmode", Purpose: "metrics"})
		case svc.Postgres != nil && svc.Postgres.Upstream != nil:
			up := svc.Postgres.Upstream
			serverStack := st.Key
			for _, sk := range slices.Sorted(maps.Keys(c.Stacks)) {
				other := c.Stacks[sk]
				if p := other.Services[up.Host]; p != nil && slices.Contains(normalize.Replicas(c, other, p), svc) {
					serverStack = sk
					break
				}
			}
			out = append(out, Connection{Stack: st.Key, Client: name, ServerStack: serverStack, Server: up.Host,
				Host: up.Host, Port: up.Port, User: up.User, Database: "replication",
				SSLMode: up.SSLMode, Reason: up.SSLModeReason, Network: true,
				Path: svcPath(svc) + ".postgres.upstream.sslmode", Purpose: "base backup and streaming replication"})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(st.Services)) {
		svc := st.Services[name]
		if !model.ServesTLS(svc.Kind) || len(svc.Ports) == 0 {
			continue
		}
		for _, p := range SortedPorts(svc.Ports) {
			host := p.HostIP
			if len(svc.TLS.Hosts) > 0 {
				host = svc.TLS.Hosts[0]
			}
			out = append(out, Connection{Stack: st.Key, Client: applicationsClient, ServerStack: st.Key, Server: name,
				Host: host, Port: p.Host, User: "their own roles", Database: "any",
				SSLMode: serverTLSRule(svc), Network: true, Purpose: "the published port; clients should use verify-full with the stack's ca.crt"})
		}
	}
	return out
}

// serverTLSRule is what makes a server refuse plaintext applications.
func serverTLSRule(svc *model.Service) string {
	if svc.PgBouncer != nil {
		return "client_tls_sslmode=require"
	}
	return "hostssl, hostnossl reject"
}

// DialedNames lists every name clients dial to reach the server svc of stack
// st, sorted: the service name (compose's DNS name for it on every network
// it joins), the names its healthcheck and the other stacks' clients use,
// and the published host names the source declares (tls.hosts). A server
// certificate must cover all of them for verify-full to pass.
func DialedNames(c *model.Config, st *model.Stack, svc *model.Service) []string {
	names := map[string]bool{svc.Key: true}
	for _, h := range svc.TLS.Hosts {
		names[h] = true
	}
	for _, sk := range slices.Sorted(maps.Keys(c.Stacks)) {
		for _, conn := range Connections(c, c.Stacks[sk]) {
			if conn.ServerStack == st.Key && conn.Server == svc.Key && conn.Client != applicationsClient {
				names[conn.Host] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(names))
}

// ServerTLSSettings are the settings that turn TLS on in a postgres
// service's config (PostgreSQL 18 docs, "SSL"): the certificate, key and CA
// at their container paths, and the oldest protocol accepted.
func ServerTLSSettings(st *model.Stack, svc *model.Service) map[string]model.GUCValue {
	f := model.ServiceTLSFiles(st, svc)
	s := func(v string) model.GUCValue { return model.GUCValue{Kind: model.GUCString, String: v} }
	return map[string]model.GUCValue{
		"ssl":                      {Kind: model.GUCBool, Bool: true},
		"ssl_cert_file":            s(f.Cert),
		"ssl_key_file":             s(f.Key),
		"ssl_ca_file":              s(f.CA),
		"ssl_min_protocol_version": s(st.TLS.MinProtocol),
	}
}

// PgBouncerTLSSettings are the TLS lines of a pgbouncer.ini (PgBouncer 1.26
// docs, "TLS settings"): clients must use TLS (client_tls_sslmode =
// require: a plaintext client is refused), and PgBouncer verifies the
// server's certificate and name with server_tls_sslmode against the CA.
func PgBouncerTLSSettings(st *model.Stack, svc *model.Service) []IniSetting {
	f := model.ServiceTLSFiles(st, svc)
	protocols := pgBouncerProtocols(st.TLS.MinProtocol)
	return []IniSetting{
		{"client_tls_sslmode", "require"},
		{"client_tls_cert_file", f.Cert},
		{"client_tls_key_file", f.Key},
		{"client_tls_ca_file", f.CA},
		{"client_tls_protocols", protocols},
		{"server_tls_sslmode", svc.PgBouncer.ServerTLSSSLMode},
		{"server_tls_ca_file", f.CA},
		{"server_tls_protocols", protocols},
	}
}

// pgBouncerProtocols spells a minimum TLS version as PgBouncer's
// *_tls_protocols list: that version and every newer one.
func pgBouncerProtocols(min string) string {
	if min == "TLSv1.2" {
		return "tlsv1.2,tlsv1.3"
	}
	return "tlsv1.3"
}
