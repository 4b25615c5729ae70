package render_test

import (
	"bufio"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/escape"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
	"github.com/azagen/azagen/internal/output"
	"github.com/azagen/azagen/internal/render"
	"github.com/azagen/azagen/internal/testing/oracle"
)

// showConfigTSV is SHOW CONFIG of PgBouncer 1.18.0, the version the
// integration tests run: every key 1.18 accepts in [pgbouncer].
const showConfigTSV = "testdata/pgbouncer-1.18-show-config.tsv"

// compileRepoConfig compiles the repository's stacks.cue and returns the
// normalized model, failing on any diagnostic.
func compileRepoConfig(t testing.TB) *model.Config {
	t.Helper()
	return compileRepoResult(t).Config
}

// pgbouncerServices returns every PgBouncer service of the configuration
// with its stack, and fails when there is none: the tests would then check
// nothing.
func pgbouncerServices(t testing.TB, c *model.Config) [][2]string {
	t.Helper()
	var out [][2]string
	for _, sk := range sortedKeys(c.Stacks) {
		for _, name := range sortedKeys(c.Stacks[sk].Services) {
			if c.Stacks[sk].Services[name].Kind == model.KindPgBouncer {
				out = append(out, [2]string{sk, name})
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("stacks.cue has no PgBouncer service")
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// iniFile is a parsed pgbouncer.ini: section -> ordered key/value pairs.
type iniFile map[string][][2]string

// parseIni reads an ini the way PgBouncer's reader does for what azagen
// renders: ';' and '#' comment lines, [section] headers, key = value with
// the value trimmed.
func parseIni(t testing.TB, data []byte) iniFile {
	t.Helper()
	out := iniFile{}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == ';' || line[0] == '#':
			continue
		case strings.HasPrefix(line, "%include "):
			// The tunables' file the entrypoint writes (PgBouncer's
			// include directive); TestPgBouncerTunablesFromEnvironment
			// runs it.
		case line[0] == '[' && line[len(line)-1] == ']':
			section = line[1 : len(line)-1]
			if _, dup := out[section]; dup {
				t.Errorf("line %d: section [%s] twice", n, section)
			}
			out[section] = nil
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Errorf("line %d: %q is not key = value inside a section", n, line)
				continue
			}
			out[section] = append(out[section], [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
		}
	}
	return out
}

func (f iniFile) get(section, key string) (string, bool) {
	for _, kv := range f[section] {
		if kv[0] == key {
			return kv[1], true
		}
	}
	return "", false
}

// pgbouncer118Keys reads the keys of showConfigTSV.
func pgbouncer118Keys(t testing.TB) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(showConfigTSV)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		key, _, _ := strings.Cut(line, "\t")
		if i == 0 || strings.HasPrefix(key, "(") {
			continue // the header and psql's "(84 rows)"
		}
		keys[key] = true
	}
	if len(keys) < 80 {
		t.Fatalf("%s lists only %d keys", showConfigTSV, len(keys))
	}
	return keys
}

// TestPgBouncerIni checks the rendered ini of every PgBouncer: keys known to
// PgBouncer 1.18 only, no forced server user, the auth user capped below its
// role's connection limit, and the settings the connection model implies.
func TestPgBouncerIni(t *testing.T) {
	c := compileRepoConfig(t)
	known := pgbouncer118Keys(t)
	for _, ss := range pgbouncerServices(t, c) {
		st := c.Stacks[ss[0]]
		svc := st.Services[ss[1]]
		pb := svc.PgBouncer
		f, err := render.PgBouncerIni(c, st, svc)
		if err != nil {
			t.Fatal(err)
		}
		if f.Path != model.PgBouncerIniPath(st.Key) {
			t.Errorf("path %s, want %s", f.Path, model.PgBouncerIniPath(st.Key))
		}
		if want := ";; " + output.Header + "\n"; !strings.HasPrefix(string(f.Data), want) {
			t.Errorf("%s does not start with %q", f.Path, want)
		}
		ini := parseIni(t, f.Data)
		if got := slices.Sorted(maps.Keys(ini)); !slices.Equal(got, []string{"databases", "pgbouncer", "users"}) {
			t.Errorf("%s: sections %v, want databases, pgbouncer, users", f.Path, got)
		}

		for _, kv := range ini["pgbouncer"] {
			if !known[kv[0]] {
				t.Errorf("%s: [pgbouncer] key %s is unknown to PgBouncer 1.18 (%s)", f.Path, kv[0], showConfigTSV)
			}
		}
		seen := map[string]bool{}
		for _, kv := range ini["pgbouncer"] {
			if seen[kv[0]] {
				t.Errorf("%s: key %s twice", f.Path, kv[0])
			}
			seen[kv[0]] = true
		}

		server := st.Services[pb.Server]
		if len(ini["databases"]) != len(pb.Databases) {
			t.Errorf("%s: %d [databases] entries, want %d", f.Path, len(ini["databases"]), len(pb.Databases))
		}
		for _, db := range pb.Databases {
			got, _ := ini.get("databases", db)
			want := "host=" + pb.Server + " port=" + itoa(server.Postgres.Port) + " dbname=" + db + " max_db_connections=" + itoa(pb.MaxDBConnections)
			if got != want {
				t.Errorf("%s: [databases] %s = %q, want %q", f.Path, db, got, want)
			}
			if strings.Contains(got, "user=") {
				t.Errorf("%s: [databases] %s forces a server user: %q", f.Path, db, got)
			}
		}

		auth := c.Roles[pb.AuthUser]
		if auth.ConnectionLimit == nil {
			t.Fatalf("role %s has no connection limit; this test expects the repository's one", auth.Name)
		}
		if got, want := ini["users"], [][2]string{{auth.Name, "max_user_connections=" + itoa(*auth.ConnectionLimit-1)}}; !slices.Equal(got, want) {
			t.Errorf("%s: [users] = %v, want %v", f.Path, got, want)
		}

		for key, want := range map[string]string{
			"listen_addr":               pb.ListenAddr,
			"listen_port":               itoa(pb.ListenPort),
			"unix_socket_dir":           "",
			"auth_type":                 "scram-sha-256",
			"auth_file":                 model.ContainerUserlistPath,
			"auth_user":                 pb.AuthUser,
			"auth_query":                "SELECT usename, passwd FROM pgbouncer.get_auth($1)",
			"pool_mode":                 pb.PoolMode,
			"max_client_conn":           itoa(pb.MaxClientConn),
			"default_pool_size":         itoa(pb.DefaultPoolSize),
			"min_pool_size":             itoa(pb.MinPoolSize),
			"reserve_pool_size":         itoa(pb.ReservePoolSize),
			"reserve_pool_timeout":      "5",
			"server_tls_sslmode":        pb.ServerTLSSSLMode,
			"ignore_startup_parameters": "extra_float_digits",
			"stats_users":               pb.StatsUser,
			"server_idle_timeout":       "600",
			"server_lifetime":           "3600",
			"server_connect_timeout":    "15",
			"query_wait_timeout":        "120",
		} {
			got, ok := ini.get("pgbouncer", key)
			if !ok || got != want {
				t.Errorf("%s: %s = %q (present %v), want %q", f.Path, key, got, ok, want)
			}
		}
		for _, key := range []string{"admin_users", "auth_dbname", "logfile"} {
			if v, ok := ini.get("pgbouncer", key); ok {
				t.Errorf("%s: %s = %q should be absent", f.Path, key, v)
			}
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// smallConfig is a hand-built model with one primary and one PgBouncer, for
// values stacks.cue's schema would refuse.
func smallConfig() (*model.Config, *model.Stack) {
	limit := 4
	c := &model.Config{Roles: map[string]*model.Role{
		"postgres": {Name: "postgres", PasswordVar: "POSTGRES_PASSWORD", Superuser: true},
		"auth":     {Name: "auth", PasswordVar: "AUTH_PASSWORD", ConnectionLimit: &limit},
		"stats":    {Name: "stats", PasswordVar: "STATS_PASSWORD", PgBouncerOnly: true},
	}}
	st := &model.Stack{Key: "s", Name: "s", Services: map[string]*model.Service{
		"db": {Key: "db", Kind: model.KindPostgres, Networks: []string{"n"},
			Postgres: &model.PostgresSpec{Role: "primary", Port: 5432}},
		"pool": {Key: "pool", Kind: model.KindPgBouncer, Networks: []string{"n"},
			PgBouncer: &model.PgBouncerSpec{Server: "db", AuthUser: "auth", StatsUser: "stats",
				ListenAddr: "0.0.0.0", ListenPort: 6432, PoolMode: "transaction", MaxClientConn: 10,
				DefaultPoolSize: 2, MaxDBConnections: 3, Databases: []string{"app"}}},
	}, Networks: map[string]*model.Network{"n": {Name: "n"}}}
	c.Stacks = map[string]*model.Stack{"s": st}
	return c, st
}

// TestPgBouncerIniRejects: values the ini cannot hold, and an auth user
// whose limit leaves no connection for auth_query, are errors rather than a
// silently wrong file.
func TestPgBouncerIniRejects(t *testing.T) {
	for _, tt := range []struct {
		name    string
		edit    func(c *model.Config, pb *model.PgBouncerSpec)
		wantErr string
	}{
		{"newline in listen_addr", func(_ *model.Config, pb *model.PgBouncerSpec) { pb.ListenAddr = "0.0.0.0\nadmin_users = x" }, "cannot contain a newline"},
		{"database name with a space", func(_ *model.Config, pb *model.PgBouncerSpec) { pb.Databases = []string{"my db"} }, "cannot be a pgbouncer.ini key"},
		{"no database", func(_ *model.Config, pb *model.PgBouncerSpec) { pb.Databases = nil }, "serves no database"},
		{"auth limit 1", func(c *model.Config, _ *model.PgBouncerSpec) { one := 1; c.Roles["auth"].ConnectionLimit = &one }, "needs at least 2"},
		{"unknown auth user", func(_ *model.Config, pb *model.PgBouncerSpec) { pb.AuthUser = "nobody" }, "not a role"},
		{"pgbouncer_only auth user", func(_ *model.Config, pb *model.PgBouncerSpec) { pb.AuthUser = "stats" }, "pgbouncer_only"},
		{"unknown server", func(_ *model.Config, pb *model.PgBouncerSpec) { pb.Server = "nowhere" }, "not a postgres service"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, st := smallConfig()
			svc := st.Services["pool"]
			tt.edit(c, svc.PgBouncer)
			_, err := render.PgBouncerIni(c, st, svc)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	c, st := smallConfig()
	f, err := render.PgBouncerIni(c, st, st.Services["pool"])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(f.Data), "\nauth = max_user_connections=3\n") {
		t.Errorf("[users] does not cap auth at 3:\n%s", f.Data)
	}
}

// shellcheck runs shellcheck on a rendered script with the given dialect.
func shellcheck(t *testing.T, f output.File, dialect string) {
	t.Helper()
	bin := oracle.Require(t, oracle.ToolShellcheck)
	p := filepath.Join(t.TempDir(), filepath.Base(f.Path))
	if err := os.WriteFile(p, f.Data, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-s", dialect, "-f", "gcc", p).CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck -s %s %s: %v\n%s", dialect, f.Path, err, out)
	}
}

// TestPgBouncerEntrypoint checks the rendered entrypoint's content and
// runs shellcheck on it as POSIX sh.
func TestPgBouncerEntrypoint(t *testing.T) {
	c := compileRepoConfig(t)
	for _, ss := range pgbouncerServices(t, c) {
		st := c.Stacks[ss[0]]
		svc := st.Services[ss[1]]
		pb := svc.PgBouncer
		f, err := render.PgBouncerEntrypoint(c, st, svc)
		if err != nil {
			t.Fatal(err)
		}
		if f.Path != model.PgBouncerEntrypointPath(st.Key) || f.Mode != 0o755 {
			t.Errorf("path %s mode %04o, want %s 0755", f.Path, f.Mode, model.PgBouncerEntrypointPath(st.Key))
		}
		script := string(f.Data)
		if want := "#!/bin/sh\n# " + output.Header + "\n"; !strings.HasPrefix(script, want) {
			t.Errorf("script does not start with %q", want)
		}
		// The .pgpass line is exactly the healthcheck's login.
		login := normalize.PgBouncerHealthLogin(pb)
		prefix := escape.PgpassLine(login.Host, login.Port, login.Database, login.User, "")
		if !strings.Contains(script, "printf '%s%s\\n' "+escape.ShellSingleQuote(prefix)+` "$(pgpass_escape "$password_1")" >'`+model.ContainerPgpassPath+"'") {
			t.Errorf("the script does not write the .pgpass line %q for the healthcheck:\n%s", prefix, script)
		}
		if n := strings.Count(script, ">'"+model.ContainerPgpassPath+"'"); n != 1 {
			t.Errorf("the script writes %s %d times, want once", model.ContainerPgpassPath, n)
		}
		for _, role := range []string{pb.AuthUser, pb.StatsUser} {
			v := c.Roles[role].PasswordVar
			if !strings.Contains(script, "${"+v+"-}") || !strings.Contains(script, "require_secret "+v+" ") {
				t.Errorf("the script does not read and check %s (role %s)", v, role)
			}
			if !strings.Contains(script, escape.ShellSingleQuote(`"`+role+`"`)) {
				t.Errorf("the script writes no userlist entry for %s", role)
			}
		}
		for _, want := range []string{"umask 077", "chmod 600 '" + model.ContainerPgpassPath + "'",
			"chmod 600 '" + model.ContainerUserlistPath + "'", "exec pgbouncer '" + model.ContainerPgBouncerIni + "'"} {
			if !strings.Contains(script, want) {
				t.Errorf("the script lacks %q", want)
			}
		}
		// The healthcheck this script serves is the one compose runs.
		if got := svc.Health.Test; len(got) != 2 || !strings.Contains(got[1], "'host="+login.Host+" port="+itoa(login.Port)+" user="+login.User+" dbname="+login.Database+" ") {
			t.Errorf("healthcheck %q does not log in as %+v", got, login)
		}
		shellcheck(t, f, "sh")
	}
}

// runEntrypointCopy runs the rendered entrypoint with sh after pointing its
// container paths into dir, with a fake pgbouncer that records its
// arguments. The integration test runs the script verbatim in a private
// mount namespace; this one checks the escaping without PgBouncer.
func runEntrypointCopy(t *testing.T, f output.File, env []string) (dir, out string, err error) {
	t.Helper()
	dir = t.TempDir()
	script := string(f.Data)
	for _, p := range []string{model.ContainerPgpassPath, model.ContainerUserlistPath} {
		script = strings.ReplaceAll(script, "'"+p+"'", escape.ShellSingleQuote(filepath.Join(dir, filepath.Base(p))))
	}
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	fake := "#!/bin/sh\nprintf '%s\\n' \"$@\" >" + escape.ShellSingleQuote(filepath.Join(dir, "pgbouncer.args")) + "\n"
	if err := os.WriteFile(filepath.Join(bin, "pgbouncer"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "entrypoint.sh")
	if err := os.WriteFile(p, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", p)
	cmd.Env = append([]string{"PATH=" + bin + ":/usr/bin:/bin", "LANG=C.UTF-8"}, env...)
	b, err := cmd.CombinedOutput()
	return dir, string(b), err
}

// oddPasswords hold every byte the formats treat specially.
var oddPasswords = []string{
	`a:b\c"d'e #f@g h`,
	`\:\\::""'`,
	`ünï ✓ $HOME $(id) ` + "`id` *;&|<>",
	`"`,
	`\`,
	` leading and trailing `,
}

// TestPgBouncerEntrypointEscaping runs the entrypoint with passwords full
// of : \ " ' # @, spaces and non-ASCII, and reads the files it writes with
// re-implementations of libpq's and PgBouncer's parsers.
func TestPgBouncerEntrypointEscaping(t *testing.T) {
	c := compileRepoConfig(t)
	ss := pgbouncerServices(t, c)[0]
	st := c.Stacks[ss[0]]
	svc := st.Services[ss[1]]
	pb := svc.PgBouncer
	f, err := render.PgBouncerEntrypoint(c, st, svc)
	if err != nil {
		t.Fatal(err)
	}
	authVar, statsVar := c.Roles[pb.AuthUser].PasswordVar, c.Roles[pb.StatsUser].PasswordVar
	login := normalize.PgBouncerHealthLogin(pb)
	for i, authPass := range oddPasswords {
		statsPass := oddPasswords[(i+1)%len(oddPasswords)]
		dir, out, err := runEntrypointCopy(t, f, []string{authVar + "=" + authPass, statsVar + "=" + statsPass})
		if err != nil {
			t.Fatalf("password %q: %v\n%s", authPass, err, out)
		}
		pgpass := readPrivate(t, filepath.Join(dir, ".pgpass"))
		wantLine := escape.PgpassLine(login.Host, login.Port, login.Database, login.User, authPass)
		if pgpass != wantLine+"\n" {
			t.Errorf("password %q: .pgpass = %q, want %q", authPass, pgpass, wantLine+"\n")
		}
		fields, err := escape.ParsePgpassLine(strings.TrimSuffix(pgpass, "\n"))
		if err != nil || !slices.Equal(fields, []string{login.Host, itoa(login.Port), login.Database, login.User, authPass}) {
			t.Errorf("password %q: libpq reads .pgpass as %q, %v", authPass, fields, err)
		}

		userlist := strings.Split(strings.TrimSuffix(readPrivate(t, filepath.Join(dir, "userlist.txt")), "\n"), "\n")
		want := [][2]string{{pb.AuthUser, authPass}, {pb.StatsUser, statsPass}}
		if len(userlist) != len(want) {
			t.Fatalf("userlist.txt has %d lines, want %d: %q", len(userlist), len(want), userlist)
		}
		for j, line := range userlist {
			if line != escape.UserlistLine(want[j][0], want[j][1]) {
				t.Errorf("userlist line %d = %q, want %q", j+1, line, escape.UserlistLine(want[j][0], want[j][1]))
			}
			u, p, err := escape.ParseUserlistLine(line)
			if err != nil || u != want[j][0] || p != want[j][1] {
				t.Errorf("PgBouncer reads userlist line %q as %q, %q, %v; want %q", line, u, p, err, want[j])
			}
		}
		args, err := os.ReadFile(filepath.Join(dir, "pgbouncer.args"))
		if err != nil || string(args) != model.ContainerPgBouncerIni+"\n" {
			t.Errorf("pgbouncer ran with %q (%v), want %s", args, err, model.ContainerPgBouncerIni)
		}
	}
}

// readPrivate reads a file that must have mode 0600.
func readPrivate(t *testing.T, p string) string {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %04o, want 0600", p, fi.Mode().Perm())
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPgBouncerEntrypointRefuses: a missing, empty or multi-line password
// stops the entrypoint before it writes anything or starts PgBouncer.
func TestPgBouncerEntrypointRefuses(t *testing.T) {
	c := compileRepoConfig(t)
	ss := pgbouncerServices(t, c)[0]
	st := c.Stacks[ss[0]]
	svc := st.Services[ss[1]]
	pb := svc.PgBouncer
	f, err := render.PgBouncerEntrypoint(c, st, svc)
	if err != nil {
		t.Fatal(err)
	}
	authVar, statsVar := c.Roles[pb.AuthUser].PasswordVar, c.Roles[pb.StatsUser].PasswordVar
	for _, tt := range []struct {
		name string
		env  []string
		want string
	}{
		{"auth unset", []string{statsVar + "=s"}, authVar + " is unset or empty"},
		{"stats empty", []string{authVar + "=a", statsVar + "="}, statsVar + " is unset or empty"},
		{"newline", []string{authVar + "=a\nb", statsVar + "=s"}, authVar + " contains a line break"},
		{"carriage return", []string{authVar + "=a", statsVar + "=s\r"}, statsVar + " contains a line break"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir, out, err := runEntrypointCopy(t, f, tt.env)
			if err == nil || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %v, output %q; want a failure saying %q", err, out, tt.want)
			}
			for _, name := range []string{".pgpass", "userlist.txt", "pgbouncer.args"} {
				if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
					t.Errorf("%s was written although the entrypoint refused to start", name)
				}
			}
		})
	}
}

// TestPgBouncerEntrypointOddUser: user names are quoted at render time with
// the same rules (a hand-built model; stacks.cue's names cannot hold these
// characters).
func TestPgBouncerEntrypointOddUser(t *testing.T) {
	c, st := smallConfig()
	c.Roles[`o"ne:il\x`] = &model.Role{Name: `o"ne:il\x`, PasswordVar: "ODD_PASSWORD"}
	pb := st.Services["pool"].PgBouncer
	pb.AuthUser = `o"ne:il\x`
	f, err := render.PgBouncerEntrypoint(c, st, st.Services["pool"])
	if err != nil {
		t.Fatal(err)
	}
	dir, out, err := runEntrypointCopy(t, f, []string{"ODD_PASSWORD=p:w", "STATS_PASSWORD=s"})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	pgpass := strings.TrimSuffix(readPrivate(t, filepath.Join(dir, ".pgpass")), "\n")
	if fields, err := escape.ParsePgpassLine(pgpass); err != nil || fields[3] != pb.AuthUser || fields[4] != "p:w" {
		t.Errorf(".pgpass %q reads as %q, %v", pgpass, fields, err)
	}
	first, _, _ := strings.Cut(readPrivate(t, filepath.Join(dir, "userlist.txt")), "\n")
	if u, p, err := escape.ParseUserlistLine(first); err != nil || u != pb.AuthUser || p != "p:w" {
		t.Errorf("userlist %q reads as %q, %q, %v", first, u, p, err)
	}
}
