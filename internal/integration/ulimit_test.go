package integration

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/testing/oracle"
)

// renderedNoFile reads ulimits.nofile of a service from its rendered compose
// file.
func renderedNoFile(t *testing.T, data []byte, service string) (soft, hard int) {
	t.Helper()
	var f struct {
		Services map[string]struct {
			Ulimits struct {
				Nofile struct{ Soft, Hard int } `yaml:"nofile"`
			} `yaml:"ulimits"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	n := f.Services[service].Ulimits.Nofile
	return n.Soft, n.Hard
}

// pgbouncerUnderLimit compiles stacks.cue with max_client_conn at 1500 and
// starts real PgBouncer through the rendered entrypoint under an open-file
// limit (prlimit, as the container runtime sets ulimits): limit, or the
// rendered ulimits.nofile when limit is 0. It opens `clients` idle
// connections, then logs in to the admin console. It returns the login's
// error, PgBouncer's log and the limit used.
func pgbouncerUnderLimit(t *testing.T, limit, clients int) (error, string, int) {
	t.Helper()
	// max_client_conn is a tunable: the operator's .env sets 1500, and the
	// rendered limit is sized for the top of its range.
	res, err := compile.Compile(context.Background(), []string{stacksSource})
	if err != nil || res.Diags.HasErrors() {
		t.Fatalf("compile: %v\n%v", err, res.Diags)
	}
	pbName, pb := pgbouncerService(t, res.Config.Stacks["primary"])
	tu := pb.Tunables["max_client_conn"]
	if tu == nil || derive.TunableValue(tu, "1500") != nil {
		t.Fatalf("max_client_conn is not a tunable that allows 1500: %+v", tu)
	}
	soft, hard := renderedNoFile(t, res.Output[model.ComposePath("primary")].Data, pbName)
	if soft < clients+16 || hard != soft {
		t.Fatalf("rendered ulimits.nofile soft %d hard %d: want soft = hard, room for %d clients", soft, hard, clients)
	}
	if limit == 0 {
		limit = soft
	}
	env := sampleEnvironment(t, res, "primary")
	env[tu.Name] = "1500"
	statsPass := env[res.Config.Roles[pb.StatsUser].PasswordVar]

	bouncer := startRenderedPgBouncer(t, res, "primary", pbName, env, "prlimit", fmt.Sprintf("--nofile=%d:%d", limit, limit), "--")
	addr := "127.0.0.1:" + strconv.Itoa(pb.ListenPort)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range clients {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			// Once PgBouncer stops accepting, its listen backlog fills
			// and further clients time out.
			return fmt.Errorf("client %d could not connect: %w", len(conns)+1, err), bouncer.Output(), limit
		}
		conns = append(conns, c)
	}
	time.Sleep(time.Second) // PgBouncer accepts them in its event loop
	psql := oracle.Require(t, oracle.ToolPsql)
	cmd := oracle.Command(t, "", []string{"PGPASSWORD=" + statsPass, "PGCONNECT_TIMEOUT=5", bouncer.path},
		psql, "-X", "-w", "-A", "-t", "-h", "127.0.0.1", "-p", strconv.Itoa(pb.ListenPort), "-U", pb.StatsUser, "-d", "pgbouncer", "-c", "SHOW VERSION")
	out, err := runCommandOut(cmd, 30*time.Second)
	if err == nil && !strings.Contains(out, "PgBouncer") {
		err = fmt.Errorf("SHOW VERSION printed %q", out)
	}
	return err, bouncer.Output(), limit
}

// pgbouncerClients is how many idle clients the ulimit tests open: more
// than the image's default soft limit of 1024 descriptors can hold, fewer
// than max_client_conn (1500).
const pgbouncerClients = 1400

// TestPgBouncerHoldsMaxClientConnUnderRenderedLimit (issue 12, kind 6):
// under the rendered ulimits.nofile, real PgBouncer accepts 1400 idle
// clients and still logs an admin-console login in, and says in its log
// that its limit covers its own "max expected fd use".
func TestPgBouncerHoldsMaxClientConnUnderRenderedLimit(t *testing.T) {
	if !inPrivateNamespaces(t) {
		return
	}
	err, log, limit := pgbouncerUnderLimit(t, 0, pgbouncerClients)
	if err != nil {
		t.Errorf("admin login with %d idle clients under nofile %d: %v\n%s", pgbouncerClients, limit, err, tail(log))
	}
	if strings.Contains(log, "Too many open files") {
		t.Errorf("PgBouncer ran out of descriptors under the rendered limit %d:\n%s", limit, tail(log))
	}
	m := regexp.MustCompile(`kernel file descriptor limit: (\d+) \(hard: \d+\); max_client_conn: 1500, max expected fd use: (\d+)`).FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("PgBouncer did not log its descriptor arithmetic:\n%s", tail(log))
	}
	got, _ := strconv.Atoi(m[1])
	expected, _ := strconv.Atoi(m[2])
	if got != limit || expected > limit {
		t.Errorf("PgBouncer runs with limit %d and expects to use %d; the rendered limit is %d", got, expected, limit)
	}
	t.Logf("nofile %d, PgBouncer's max expected fd use %d, %d idle clients held", limit, expected, pgbouncerClients)
}

// TestPgBouncerFailsUnderImageDefaultLimit is the negative control: the
// same PgBouncer under the image's default soft limit of 1024 logs
// "accept() failed: Too many open files" and new logins fail, the fault
// issue 12 reports.
func TestPgBouncerFailsUnderImageDefaultLimit(t *testing.T) {
	if !inPrivateNamespaces(t) {
		return
	}
	err, log, _ := pgbouncerUnderLimit(t, 1024, pgbouncerClients)
	if !strings.Contains(log, "Too many open files") {
		t.Errorf("PgBouncer under nofile 1024 with %d clients did not run out of descriptors (login err %v):\n%s", pgbouncerClients, err, tail(log))
	}
	if err == nil {
		t.Errorf("a login succeeded under nofile 1024 with %d idle clients", pgbouncerClients)
	}
	t.Logf("as expected: %v", err)
}

// tail is the end of a long log, for failure messages.
func tail(s string) string {
	if len(s) > 3000 {
		return "..." + s[len(s)-3000:]
	}
	return s
}
