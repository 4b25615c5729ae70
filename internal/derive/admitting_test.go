package derive

import "testing"

// TestAdmitting follows PostgreSQL's first-match rule over a pg_hba list
// shaped like the rendered ones: a reject decides when it matches first,
// hostssl needs TLS, hostnossl only plaintext, "all" never matches
// replication, and local rules never match a network login.
func TestAdmitting(t *testing.T) {
	rules := []HBALine{
		{Type: HBALocal, Database: "all", User: "postgres", Method: "peer"},
		{Type: HBAHost, Database: "postgres", User: "legacy", Address: "samenet", Method: "scram-sha-256"},
		{Type: HBAHostNoSSL, Database: "all", User: "all", Address: "all", Method: "reject"},
		{Type: HBAHostNoSSL, Database: "replication", User: "all", Address: "all", Method: "reject"},
		{Type: HBAHostSSL, Database: "replication", User: "replicator", Address: "samenet", Method: "scram-sha-256"},
		{Type: HBAHostSSL, Database: "app,reports", User: "all", Address: "10.0.0.0/8", Method: "scram-sha-256"},
	}
	for _, tc := range []struct {
		tls            bool
		database, user string
		want           int
		ok             bool
	}{
		{true, "replication", "replicator", 4, true},
		{false, "replication", "replicator", 3, true}, // all does not match replication: the second reject decides
		{false, "postgres", "anyone", 2, true},        // the reject decides
		{false, "postgres", "legacy", 1, true},        // a plain host rule before the reject
		{true, "postgres", "legacy", 1, true},         // host matches TLS too
		{true, "reports", "anyone", 5, true},
		{true, "replication", "anyone", 0, false}, // "all" is not replication
		{true, "postgres", "postgres", 0, false},  // local only
	} {
		got, ok := Admitting(rules, tc.tls, tc.database, tc.user)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Admitting(tls=%v, %s, %s) = %d, %v; want %d, %v", tc.tls, tc.database, tc.user, got, ok, tc.want, tc.ok)
		}
	}
}
