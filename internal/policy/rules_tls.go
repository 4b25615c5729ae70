package policy

import (
	"maps"
	"slices"
	"strings"

	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/model"
)

// tlsVerifyFull: a connection across a network that does not verify the
// server's certificate and name can be read or redirected by anyone on the
// path, so anything but verify-full needs its written reason. The
// connections are derive.Connections, the list the docs table shows.
func tlsVerifyFull(c *checker) {
	for _, sk := range slices.Sorted(maps.Keys(c.cfg.Stacks)) {
		for _, conn := range derive.Connections(c.cfg, c.cfg.Stacks[sk]) {
			if !conn.Network || conn.Path == "" || conn.SSLMode == model.SSLModeVerifyFull || conn.Reason != "" {
				continue
			}
			c.report(conn.Path, "%s dials %s:%d with sslmode=%s across the network: use verify-full, or write why not beside it (%s)",
				conn.Client, conn.Host, conn.Port, conn.SSLMode, reasonField(conn.Path))
		}
	}
}

// reasonField names the field that holds the reason for the sslmode at
// path.
func reasonField(path string) string {
	switch {
	case strings.HasSuffix(path, ".server_tls_sslmode"):
		return "server_tls_reason"
	default:
		return "sslmode_reason"
	}
}

// tlsMinProtocol: TLS 1.2 stays acceptable only for clients that cannot do
// 1.3, which the source must name.
func tlsMinProtocol(c *checker) {
	c.eachStack(func(st *model.Stack, path string) {
		if st.TLS.MinProtocol != "TLSv1.3" && st.TLS.MinProtocolReason == "" {
			c.report(path+".tls.min_protocol", "stack %s accepts %s: use TLSv1.3, or write min_protocol_reason", st.Key, st.TLS.MinProtocol)
		}
	})
}
