package compile_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/testing/corpus"
	"github.com/azagen/azagen/schema"
)

// customMessage is one `T | error("msg")` field of the schema and the inputs
// that prove its message is given exactly when it is deserved.
type customMessage struct {
	// msg is the schema's message, verbatim.
	msg string
	// bad makes the repository's stacks.cue break T, through edit
	// ("old => new" lines, see corpus.ApplyEdits) and/or an overlay.
	edit, overlay string
	// path is a field typed T and goods are values that satisfy T. Each good
	// is set at path by its own overlay; with one good the overlay
	// contradicts the value stacks.cue sets there. Either way the field is a
	// conflict of valid values, which must be reported as the conflict
	// alone. Empty for hidden fields no source can set twice.
	path  string
	goods []string
}

// customMessages has a case for every error("...") of the schema;
// TestEveryCustomMessageHasACase keeps it complete.
var customMessages = []customMessage{
	{msg: "a tunable's value is a string or a number, written as its declaration's default is",
		overlay: `environments: e: tunables: primary: POSTGRES_PORT: true`,
		path:    "environments: e: tunables: primary: POSTGRES_PORT", goods: []string{"15432", "15433"}},
	{msg: "must be a lower-case name: a letter, then letters, digits, '-' or '_' (at most 63 characters)",
		overlay: `stacks: primary: services: pgbouncer: pgbouncer: stats_user: "Stats"`,
		path:    "stacks: primary: services: postgres_exporter: exporter: role", goods: []string{`"pgbouncer_stats"`}},
	{msg: "must be an upper-case variable name such as POSTGRES_DB",
		overlay: `roles: extra: password_var: "extra_pass"`,
		path:    "roles: replicator: password_var", goods: []string{`"REPLICA_PASS"`}},
	{msg: "must be a Compose duration such as 10s, 1m30s or 500ms",
		overlay: `stacks: primary: healthcheck: postgres: interval: "10 s"`,
		path:    "stacks: primary: healthcheck: postgres: interval", goods: []string{`"10s"`, `"20s"`}},
	// The case of issue 12: an overlay moves a published port.
	{msg: "must be a port number between 1 and 65535",
		overlay: `stacks: primary: services: pgbouncer: pgbouncer: listen_port: 0`,
		path:    "stacks: primary: services: postgres: ports: [{container: 5432, host: _}]", goods: []string{"15432"}},
	{msg: "must be a literal IPv4 address such as 127.0.0.1",
		overlay: `stacks: single: services: postgres: ports: [{host_ip: "localhost"}]`,
		path:    `stacks: single: services: postgres: ports: [{expose_reason: "r", host_ip: _}]`, goods: []string{`"10.0.0.1"`, `"10.0.0.2"`}},
	{msg: "must be a Compose byte size such as 64m or 2g",
		edit: `memory: "200m", memory_reservation: "100m" => memory: "200m", memory_reservation: "100 MB"`,
		path: "stacks: primary: services: pgbouncer: resources: memory", goods: []string{`"300m"`}},
	{msg: "must be a sha256 digest: sha256: followed by 64 lower-case hex digits",
		edit: `digest: "sha256:c7bf => digest: "SHA256:c7bf`,
		path: "stacks: primary: services: pgbouncer: image: digest", goods: []string{`"sha256:` + strings.Repeat("0", 64) + `"`}},
	{msg: "must be an image name such as edoburu/pgbouncer",
		edit: `name:   "edoburu/pgbouncer" => name:   "Edoburu/pgbouncer"`,
		path: "stacks: primary: services: pgbouncer: image: name", goods: []string{`"bitnami/pgbouncer"`}},
	{msg: "must be an image tag such as v1.25.1-p0",
		edit: `tag:    "v0.12.0" => tag:    "-v0.12.0"`,
		path: "stacks: primary: services: pgbouncer: image: tag", goods: []string{`"v1.26.1"`}},
	{msg: "required: give the message compose prints when the variable is unset",
		edit: `required: "set POSTGRES_IMAGE_DIGEST to the sha256 digest of the aza-pg release you deploy" => required: ""`,
		path: "stacks: single: services: postgres: environment: APP_NAME: required", goods: []string{`"set APP_NAME"`, `"set APP_NAME, the name"`}},
	{msg: `a secret may only be a required reference such as {required: "set POSTGRES_PASSWORD"}, never a literal or a default`,
		overlay: `stacks: single: services: postgres: environment: APP_PASSWORD: "hunter2"`,
		path:    "stacks: single: services: postgres: environment: APP_PASSWORD: required", goods: []string{`"set APP_PASSWORD"`, `"set APP_PASSWORD, the app's"`}},
	{msg: "must be a whole number of megabytes (0 or more)",
		edit: `os_reserve: {percent: 20, min_mb: 512} => os_reserve: {percent: 20, min_mb: -1}`,
		path: "autoconfig: os_reserve: min_mb", goods: []string{"256"}},
	{msg: "must be a percentage between 1 and 100",
		edit: `os_reserve: {percent: 20, min_mb: 512} => os_reserve: {percent: 0, min_mb: 512}`,
		path: "autoconfig: os_reserve: percent", goods: []string{"30"}},
	{msg: "max_connections.scale must be sorted by ram_below_mb, smallest first",
		edit: `{ram_below_mb: 2048, percent: 50}, {ram_below_mb: 4096, percent: 70} => {ram_below_mb: 4096, percent: 70}, {ram_below_mb: 2048, percent: 50}`},
	{msg: "shared_buffers.ratio must be sorted by ram_up_to_mb, smallest first",
		edit: `ratio: [{ram_up_to_mb: 8192, percent: 25}, {ram_up_to_mb: 32768, percent: 20}] => ratio: [{ram_up_to_mb: 32768, percent: 20}, {ram_up_to_mb: 8192, percent: 25}]`},
	{msg: "work_mem.scaled_caps must be sorted by ram_from_mb, largest first",
		edit: `{ram_from_mb: 32768, cap_mb: 256}, {ram_from_mb: 8192, cap_mb: 128} => {ram_from_mb: 8192, cap_mb: 128}, {ram_from_mb: 32768, cap_mb: 256}`},
	{msg: "random_page_cost must be a decimal such as 1.1 or 4.0",
		edit: `hdd: {random_page_cost: "4.0" => hdd: {random_page_cost: "4"`,
		path: "autoconfig: storage: hdd: random_page_cost", goods: []string{`"3.0"`}},
	{msg: "test must be a non-empty command list",
		overlay: `stacks: primary: healthcheck: pgbouncer: test: []`,
		path:    "stacks: primary: healthcheck: pgbouncer: test", goods: []string{`["CMD", "true"]`, `["CMD", "false"]`}},
	{msg: "retries must be at least 1",
		overlay: `stacks: primary: healthcheck: pgbouncer: retries: 0`,
		path:    "stacks: primary: healthcheck: pgbouncer: retries", goods: []string{"3", "4"}},
	{msg: "address must be samenet or a CIDR such as 10.0.0.0/8",
		edit: `address:  "samenet" => address:  "anywhere"`,
		path: "stacks: single: services: postgres: postgres: hba: [{address: _}]", goods: []string{`"10.0.0.0/8"`}},
	{msg: "target must be an absolute path in the container",
		overlay: `stacks: single: services: postgres: volumes: [{volume: "postgres_data", target: "data"}]`,
		path:    `stacks: single: services: postgres: volumes: [{volume: "postgres_data", target: _}]`, goods: []string{`"/srv/a"`, `"/srv/b"`}},
	{msg: "cpus must be a positive number",
		edit: `cpus: 0.5, pids: 128 => cpus: 0, pids: 128`,
		path: "stacks: primary: services: pgbouncer: resources: cpus", goods: []string{"1"}},
	{msg: "pids must be at least 16",
		edit: `cpus: 0.5, pids: 128 => cpus: 0.5, pids: 8`,
		path: "stacks: primary: services: pgbouncer: resources: pids", goods: []string{"256"}},
	{msg: "a service must join at least one network",
		edit: "networks: [\"postgres_net\"]\\n\t\t\tdepends_on: postgres: \"service_healthy\"\\n\t\t\tresources: {memory: \"200m\" => networks: []\\n\t\t\tdepends_on: postgres: \"service_healthy\"\\n\t\t\tresources: {memory: \"200m\"",
		path: "stacks: primary: services: pgbouncer: networks", goods: []string{`["monitoring"]`}},
	{msg: "slot must be lower-case letters, digits and '_'",
		edit: `slot:    "replica_slot_1" => slot:    "Replica-1"`,
		path: `stacks: replica: services: "postgres-replica": postgres: upstream: slot`, goods: []string{`"replica_slot_2"`}},
	{msg: "network name must be lower-case letters, digits, '.', '_' or '-'",
		overlay: `stacks: single: networks: extra: name: "Extra"`,
		path:    "stacks: single: networks: postgres_net: name", goods: []string{`"aza-pg-single-net2"`}},
	{msg: "volume name must be lower-case letters, digits, '.', '_' or '-'",
		overlay: `stacks: single: volumes: extra: name: "Extra"`,
		path:    "stacks: single: volumes: postgres_data: name", goods: []string{`"aza-pg-single-data2"`}},
	{msg: "stack name must be a compose project name: lower-case letters, digits, '-' or '_'",
		edit: `name:        "aza-pg-single" => name:        "Aza-pg-single"`,
		path: "stacks: single: name", goods: []string{`"aza-pg-solo"`}},
	{msg: "host_dir must be an absolute path without spaces",
		overlay: `stacks: primary: backup: host_dir: "opt/aza-pg"`,
		path:    "stacks: primary: backup: host_dir", goods: []string{`"/opt/a"`, `"/opt/b"`}},
	{msg: "host_path must be an absolute host path without ':' or spaces",
		overlay: `stacks: primary: backup: repo1: host_path: "srv/backup"`,
		path:    "stacks: primary: backup: repo1: host_path", goods: []string{`"/srv/a"`, `"/srv/b"`}},
	{msg: "path must be an absolute container path without spaces",
		edit: `path: "/backup/pgbackrest"} => path: "backup/pgbackrest"}`,
		path: "stacks: primary: backup: repo1: path", goods: []string{`"/srv/backup"`}},
	{msg: `must be a systemd OnCalendar expression such as "Sun *-*-* 01:00:00"`,
		edit: `full: "Sun *-*-* 01:00:00" => full: "Sun *-*-* 01:00:00!"`,
		path: "stacks: primary: backup: schedule: full", goods: []string{`"Sat *-*-* 01:00:00"`}},
	{msg: "dir must be a path without ':'",
		edit: `dir:          "./tls" => dir:          "c:/tls"`,
		path: "stacks: single: tls: dir", goods: []string{`"./certs"`}},
	{msg: "ca must be a file name in dir",
		edit: `ca:           "ca.crt" => ca:           "certs/ca.crt"`,
		path: "stacks: single: tls: ca", goods: []string{`"root.crt"`}},
	{msg: "must be a host name such as db.example.com or an IPv4 address",
		overlay: `stacks: single: services: postgres_exporter: tls: hosts: ["db example"]`,
		path:    "stacks: single: services: postgres_exporter: tls: hosts: [_]", goods: []string{`"a.example.com"`, `"b.example.com"`}},
	{msg: "must be a Prometheus duration such as 30s or 1m30s",
		overlay: `stacks: primary: kubernetes: scrape_interval: "30 s"`,
		path:    "stacks: primary: kubernetes: scrape_interval", goods: []string{`"15s"`, `"1m"`}},
	{msg: "must be a CIDR such as 10.0.0.0/8",
		edit: `samenet_cidr: "10.244.0.0/16"\n} => samenet_cidr: "pods"\n}`,
		path: "stacks: primary: kubernetes: samenet_cidr", goods: []string{`"10.0.0.0/8"`}},
	{msg: "must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
		edit: `namespace: "aza-pg-single" => namespace: "Aza-PG-Single"`,
		path: "stacks: single: kubernetes: namespace", goods: []string{`"aza-pg-solo"`}},
	{msg: "must be a Kubernetes quantity such as 10Gi or 500Mi",
		edit: `storage: size: "5Gi" => storage: size: "5 GB"`,
		path: "stacks: single: kubernetes: storage: size", goods: []string{`"6Gi"`}},
}

var schemaMessage = regexp.MustCompile(`error\(("(?:[^"\\]|\\.)*")\)`)

// TestEveryCustomMessageHasACase: a new error("...") in the schema needs a
// case in customMessages.
func TestEveryCustomMessageHasACase(t *testing.T) {
	have := map[string]bool{}
	for _, c := range customMessages {
		have[c.msg] = true
	}
	n := 0
	for _, f := range schema.Files() {
		for _, m := range schemaMessage.FindAllSubmatch(f.Source, -1) {
			msg, err := strconv.Unquote(string(m[1]))
			if err != nil {
				t.Fatalf("%s: %s: %v", f.Name, m[1], err)
			}
			n++
			if !have[msg] {
				t.Errorf("%s: error(%q) has no case in customMessages", f.Name, msg)
			}
		}
	}
	if n == 0 {
		t.Fatal("found no error(...) in the schema")
	}
}

// TestCustomMessagesOneRootCause: a value breaking T gets T's message,
// once; a conflict between values that satisfy T gets the conflict and
// never T's message (issue 12, kind 5).
func TestCustomMessagesOneRootCause(t *testing.T) {
	base, err := os.ReadFile(repoStacks)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range customMessages {
		t.Run(c.msg, func(t *testing.T) {
			t.Run("bad", func(t *testing.T) {
				var overlays []string
				if c.overlay != "" {
					overlays = append(overlays, c.overlay)
				}
				got := compileWith(t, base, c.edit, overlays)
				if n := strings.Count(got, ": "+c.msg+" [cue-schema]"); n != 1 {
					t.Errorf("message given %d times, want once:\n%s", n, got)
				}
			})
			if c.path == "" {
				return
			}
			t.Run("conflict", func(t *testing.T) {
				var overlays []string
				for _, g := range c.goods {
					overlays = append(overlays, fillPath(c.path, g))
				}
				got := compileWith(t, base, "", overlays)
				if !strings.Contains(got, "conflicting values") {
					t.Errorf("no conflict reported:\n%s", got)
				}
				if strings.Contains(got, c.msg) {
					t.Errorf("a conflict of valid values got the message %q:\n%s", c.msg, got)
				}
			})
		})
	}
}

// fillPath sets value at path: in place of "_" when the path has one,
// else after a colon.
func fillPath(path, value string) string {
	if strings.Contains(path, ": _") {
		return strings.Replace(path, ": _", ": "+value, 1)
	}
	return path + ": " + value
}

// compileWith compiles the repository's stacks.cue, edited, with overlays;
// it returns the diagnostics as vet prints them and fails when there are
// none.
func compileWith(t *testing.T, base []byte, edit string, overlays []string) string {
	t.Helper()
	edited, err := corpus.ApplyEdits(base, []byte(edit))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stacks.cue"), edited, 0o644); err != nil {
		t.Fatal(err)
	}
	inputs := []string{"stacks.cue"}
	for i, o := range overlays {
		name := "overlay" + strconv.Itoa(i) + ".cue"
		if err := os.WriteFile(filepath.Join(dir, name), []byte("package azagen\n\n"+o+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, name)
	}
	t.Chdir(dir)
	res, err := compile.Compile(context.Background(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Diags.HasErrors() {
		t.Fatalf("no error for edit %q, overlays %q", edit, overlays)
	}
	return text(res.Diags)
}
