package integration

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/escape"
	"github.com/azagen/azagen/internal/testing/oracle"
)

// fuzzCorpusStrings reads every string argument of the committed fuzz seed
// files of a target ("go test fuzz v1" format).
func fuzzCorpusStrings(t *testing.T, target string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "escape", "testdata", "fuzz", target, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seed corpus for %s: %v", target, err)
	}
	var out []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			line := sc.Text()
			if inner, ok := strings.CutPrefix(line, "string("); ok {
				s, err := strconv.Unquote(strings.TrimSuffix(inner, ")"))
				if err != nil {
					t.Fatalf("%s: %q: %v", f, line, err)
				}
				out = append(out, s)
			}
		}
		fh.Close()
	}
	return out
}

// TestPasswordsRoundTripThroughRealClients takes every password the escape
// fuzz corpora hold that the targets can represent, sets it on a real
// PostgreSQL 18 role, and logs in twice: with psql reading a .pgpass line
// written by escape.PgpassLine, and through a real PgBouncer whose
// auth_file is written by escape.UserlistLine.
func TestPasswordsRoundTripThroughRealClients(t *testing.T) {
	pgbouncer := oracle.Require(t, oracle.ToolPgBouncer)
	seen := map[string]bool{}
	var passwords []string
	for _, target := range []string{"FuzzPgpassLine", "FuzzUserlistLine", "FuzzParsePgpassLine"} {
		for _, s := range fuzzCorpusStrings(t, target) {
			if s == "" || seen[s] || escape.ValidatePgpassField(s) != nil || escape.ValidateUserlistEntry("u", s) != nil {
				continue
			}
			seen[s] = true
			passwords = append(passwords, s)
		}
	}
	if len(passwords) < 5 {
		t.Fatalf("only %d usable passwords in the fuzz corpora", len(passwords))
	}

	cluster := oracle.NewCluster(t, oracle.ClusterOptions{})
	if err := cluster.Start("-c", "password_encryption=scram-sha-256"); err != nil {
		t.Fatal(err)
	}
	dir := oracle.TempDir(t)
	var users, userlist []string
	for i, pw := range passwords {
		user := fmt.Sprintf("rt%d", i)
		users = append(users, user)
		cluster.SuperuserPsql(t, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD %s", pgIdent(user), pgLiteral(pw)))
		userlist = append(userlist, escape.UserlistLine(user, pw))
	}
	authFile := filepath.Join(dir, "userlist.txt")
	must(t, os.WriteFile(authFile, []byte(strings.Join(userlist, "\n")+"\n"), 0o600))
	oracle.ChownToTestUser(t, authFile)
	bouncerPort := oracle.FreePort(t)
	ini := fmt.Sprintf(`[databases]
postgres = host=127.0.0.1 port=%d dbname=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = scram-sha-256
auth_file = %s
pool_mode = transaction
query_wait_timeout = 10
`, cluster.Port(), bouncerPort, authFile)
	iniPath := filepath.Join(dir, "pgbouncer.ini")
	must(t, os.WriteFile(iniPath, []byte(ini), 0o644))
	d := oracle.StartDaemon(t, "", nil, pgbouncer, iniPath)
	d.WaitTCP(t, fmt.Sprintf("127.0.0.1:%d", bouncerPort), 10e9)

	for i, pw := range passwords {
		user := users[i]
		pgpass := filepath.Join(dir, user+".pgpass")
		must(t, os.WriteFile(pgpass, []byte(escape.PgpassLine("127.0.0.1", cluster.Port(), "postgres", user, pw)+"\n"), 0o600))
		oracle.ChownToTestUser(t, pgpass)
		out, err := oracle.Psql(t, oracle.Conn{Port: cluster.Port(), User: user, PassFile: pgpass}, "SELECT current_user")
		if err != nil || strings.TrimSpace(out) != user {
			t.Errorf("password %q through .pgpass: %q, %v", pw, out, err)
		}
		out, err = oracle.Psql(t, oracle.Conn{Port: bouncerPort, User: user, Password: pw}, "SELECT current_user")
		if err != nil || strings.TrimSpace(out) != user {
			t.Errorf("password %q through PgBouncer's userlist: %q, %v\n%s", pw, out, err, d.Output())
		}
	}
	t.Logf("%d passwords from the fuzz corpora authenticated through .pgpass and PgBouncer", len(passwords))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
