package integration

import (
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/testing/oracle"
)

const (
	replicaStack   = "replica"
	replicaService = "postgres-replica"
)

// TestReplicaStreamsFromRenderedPrimary makes a streaming standby of a primary started from
// the primary stack's rendered files (roles and slot made by its rendered roles init script),
// with the replica's rendered bootstrap script, starts it on the replica stack's rendered
// config, and checks that it streams and replays what the primary writes. Then it runs the
// bootstrap a second time, as every restart of the container does, and checks that this
// changes nothing and the standby streams on.
//
// It runs in private mount and network namespaces (inPrivateNamespaces, which needs root), so
// that the bootstrap's rendered PRIMARY_HOST, the primary's compose service name, resolves to
// loopback there, and the primary can listen on the rendered PRIMARY_PORT, without touching
// the machine's /etc/hosts or ports.
func TestReplicaStreamsFromRenderedPrimary(t *testing.T) {
	if !inPrivateNamespaces(t) {
		return
	}
	res := compileStacks(t)
	upstream := serviceEnvironment(t, renderedService(t, res, replicaStack, replicaService), sampleEnvironment(t, res, replicaStack))
	primaryPort, err := strconv.Atoi(upstream["PRIMARY_PORT"])
	if err != nil {
		t.Fatalf("rendered PRIMARY_PORT %q: %v", upstream["PRIMARY_PORT"], err)
	}
	mapHostsToLoopback(t, upstream["PRIMARY_HOST"])
	primary := newRenderedPostgresOnPort(t, res, "primary", postgresService(t, res.Config.Stacks["primary"]).Key, primaryPort)
	primary.start(t)
	runRolesInit(t, res, primary, "primary")
	// In the base backup already, so that polling the standby for rows never errors.
	primary.psql(t, "CREATE TABLE azagen_replica_probe (v text PRIMARY KEY)")

	standby := newRenderedPostgres(t, res, replicaStack, replicaService)
	// The standby's data directory starts absent, as on the replica's fresh volume.
	if err := os.RemoveAll(standby.DataDir()); err != nil {
		t.Fatal(err)
	}
	passfile := standby.DataDir() + ".replication.pgpass"

	runReplicaBootstrap(t, primary, standby)
	if _, err := os.Stat(filepath.Join(standby.DataDir(), "standby.signal")); err != nil {
		t.Fatalf("the bootstrap made no standby: %v", err)
	}
	server := startStandby(t, standby)
	if got := standby.psql(t, "SELECT pg_is_in_recovery()"); got != "t" {
		t.Fatalf("standby: pg_is_in_recovery() = %q, want t", got)
	}
	checkFileSettings(t, standby)
	checkHBAFileRules(t, standby)
	waitStreaming(t, primary, standby, server)
	checkReplays(t, primary, standby, server, "before the second bootstrap")

	// Second start of the container: the bootstrap must see the standby and leave it alone.
	if err := standby.Stop(); err != nil {
		t.Fatal(err)
	}
	<-server.Done()
	before := dataDirState(t, standby.DataDir())
	before[passfile] = pathState(t, passfile)
	runReplicaBootstrap(t, primary, standby)
	after := dataDirState(t, standby.DataDir())
	after[passfile] = pathState(t, passfile)
	if diff := diffDataDir(before, after); diff != "" {
		t.Errorf("the second bootstrap changed the data directory or the password file (-before +after):\n%s", diff)
	}
	server2 := startStandby(t, standby)
	waitStreaming(t, primary, standby, server2)
	checkReplays(t, primary, standby, server2, "after the second bootstrap")

	for name, log := range map[string]string{"standby": server.Output() + server2.Output(), "primary": primary.Log()} {
		if bad := logProblems(log); len(bad) > 0 {
			t.Errorf("%s log has %d WARNING/ERROR/FATAL lines:\n%s", name, len(bad), strings.Join(bad, "\n"))
		}
	}
}

// runReplicaBootstrap runs the replica's rendered entrypoint as compose would (its rendered
// entrypoint followed by its rendered command) with its compose environment and the sample
// passwords, as the test user, and checks that it exits 0 after handing the rendered command
// to the image's entrypoint. PRIMARY_HOST and PRIMARY_PORT stay as rendered: the caller makes
// them reach the primary.
//
// The test adjustments, in the environment the script documents:
//   - PGDATA: the test's data directory (the image's default is /var/lib/postgresql/18/docker).
//   - AZAGEN_BOOTSTRAP_EXEC=/bin/echo instead of the image's entrypoint, which does not exist
//     here: the script's last step, exec "$AZAGEN_BOOTSTRAP_EXEC" "$@", then prints the
//     command it hands on, which must be the rendered one; the test starts that server itself.
//   - PATH starts with the PostgreSQL 18 bin directory, as in the image (see pgClientPath).
//
// Paths in the entrypoint and command are the container's, mapped to the laid-out files.
func runReplicaBootstrap(t *testing.T, primary, standby *renderedPostgres) {
	t.Helper()
	svc := standby.svc
	if len(svc.Entrypoint) == 0 {
		t.Fatalf("%s has no rendered entrypoint", replicaService)
	}
	var argv, command []string
	for _, a := range svc.Entrypoint {
		argv = append(argv, standby.layout.rewrite(a))
	}
	for _, a := range svc.Command {
		command = append(command, standby.layout.rewrite(a))
	}
	argv = append(argv, command...)
	// The entrypoint runs the mounted bootstrap script: that file must be the rendered one.
	standby.layout.local(t, path.Join(model.ContainerAzagenDir, path.Base(model.ReplicaBootstrapPath(replicaStack))))

	// pg_isready and pg_basebackup read the CA at its rendered container path.
	bindTLSDir(t, standby.layout)
	env := []string{}
	for _, k := range slices.Sorted(maps.Keys(standby.env)) {
		env = append(env, k+"="+standby.env[k])
	}
	env = append(env,
		"PGDATA="+standby.DataDir(),
		"AZAGEN_BOOTSTRAP_EXEC=/bin/echo",
		pgClientPath(t))
	stdout, stderr, err := runCommand(oracle.Command(t, "", env, argv...), 2*time.Minute)
	if err != nil {
		t.Fatalf("%q: %v\nstdout:\n%s\nstderr:\n%s\nprimary log:\n%s", argv, err, stdout, stderr, primary.Log())
	}
	t.Logf("bootstrap:\n%s", stderr)
	if want := strings.Join(command, " ") + "\n"; stdout != want {
		t.Errorf("the bootstrap handed on %q, want the rendered command %q", stdout, want)
	}
}

// waitStreaming waits until the primary reports the standby's WAL receiver as streaming
// through the rendered slot.
func waitStreaming(t *testing.T, primary, standby *renderedPostgres, server *oracle.Daemon) {
	t.Helper()
	slot := standby.env["REPLICATION_SLOT_NAME"]
	query := fmt.Sprintf(`SELECT r.state || '|' || s.slot_name FROM pg_stat_replication r
		JOIN pg_replication_slots s ON s.active_pid = r.pid WHERE s.slot_name = %s`, pgLiteral(slot))
	var got string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if got = primary.psql(t, query); got == "streaming|"+slot {
			return
		}
	}
	t.Fatalf("primary's pg_stat_replication for slot %s: %q, want streaming\nall rows:\n%s\nstandby log:\n%s",
		slot, got, primary.psql(t, "SELECT * FROM pg_stat_replication"), server.Output())
}

// checkReplays inserts a row on the primary and waits for it on the standby. The caller
// creates azagen_replica_probe before the base backup: polling a standby that does not have the
// table yet would put ERROR lines in its log.
func checkReplays(t *testing.T, primary, standby *renderedPostgres, server *oracle.Daemon, value string) {
	t.Helper()
	primary.psql(t, "CREATE TABLE IF NOT EXISTS azagen_replica_probe (v text PRIMARY KEY);\n"+
		"INSERT INTO azagen_replica_probe VALUES ("+pgLiteral(value)+")")
	query := "SELECT count(*) FROM azagen_replica_probe WHERE v = " + pgLiteral(value)
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if out, err := standby.Psql(t, oracle.Superuser, standby.superPassword, "postgres", query); err == nil && out == "1" {
			return
		}
	}
	t.Fatalf("row %q inserted on the primary did not reach the standby in 15s\nstandby log:\n%s", value, server.Output())
}

// startStandby starts the standby's server in the foreground, as the container runs it: the
// rendered command (see serverArgs), plus what the harness adds for every test server
// (loopback, a free port, a private socket directory). It waits until the server accepts
// read-only connections. It is started here rather than with pg_ctl so that its output, the
// standby's log, is the daemon's, for logProblems.
func startStandby(t *testing.T, p *renderedPostgres) *oracle.Daemon {
	t.Helper()
	bin := p.BinDir()
	args := append([]string{filepath.Join(bin, "postgres"), "-D", p.DataDir()}, p.serverArgs(t)...)
	args = append(args, "-c", "listen_addresses=127.0.0.1", "-c", "port="+strconv.Itoa(p.Port()),
		"-c", "unix_socket_directories="+p.SocketDir())
	d := oracle.StartDaemon(t, "", nil, args...)
	// Poll postmaster.pid, as pg_ctl -w does, rather than connect: a connection before the
	// standby is consistent would put a FATAL line in the log.
	pidFile := filepath.Join(p.DataDir(), "postmaster.pid")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if b, err := os.ReadFile(pidFile); err == nil {
			lines := strings.Split(string(b), "\n")
			if len(lines) > 7 && (strings.TrimSpace(lines[7]) == "standby" || strings.TrimSpace(lines[7]) == "ready") {
				return d
			}
		}
		select {
		case <-d.Done():
			t.Fatalf("standby exited (%v) before accepting connections:\n%s", d.Err(), d.Output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("standby not accepting connections after 30s:\n%s", d.Output())
		}
	}
}
