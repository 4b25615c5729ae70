package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/testing/oracle"
)

// backupDoc is the runbook whose commands the drill runs.
const backupDoc = "../../docs/BACKUP.md"

// drillBlock is one tagged ```sh block of the runbook: its commands, with continuation lines
// joined.
type drillBlock struct {
	name     string
	line     int
	commands []string
}

var drillTag = regexp.MustCompile(`^<!-- drill: ([a-z0-9-]+) -->$`)

// runbookBlocks reads every ```sh block of docs/BACKUP.md. Each must follow a
// `<!-- drill: NAME -->` line, so no command of the runbook can escape the drill.
func runbookBlocks(t *testing.T) map[string]drillBlock {
	t.Helper()
	data, err := os.ReadFile(backupDoc)
	if err != nil {
		t.Fatal(err)
	}
	blocks := map[string]drillBlock{}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```sh" {
			continue
		}
		var tag []string
		if i > 0 {
			tag = drillTag.FindStringSubmatch(strings.TrimSpace(lines[i-1]))
		}
		if tag == nil {
			t.Fatalf("%s:%d: a ```sh block without a <!-- drill: NAME --> line before it: the drill would not run it", backupDoc, i+1)
		}
		b := drillBlock{name: tag[1], line: i + 1}
		var cur string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			l := strings.TrimSpace(lines[i])
			if cont, ok := strings.CutSuffix(l, `\`); ok {
				cur += cont
				continue
			}
			if l = cur + l; l != "" && !strings.HasPrefix(l, "#") {
				b.commands = append(b.commands, l)
			}
			cur = ""
		}
		if _, dup := blocks[b.name]; dup {
			t.Fatalf("%s:%d: drill block %s twice", backupDoc, b.line, b.name)
		}
		blocks[b.name] = b
	}
	return blocks
}

// shellWords splits a command line as sh would for the forms the runbook uses: words, "double
// quotes" with $VAR and ${VAR} expanded from vars, 'single quotes', and unquoted $VAR.
func shellWords(line string, vars map[string]string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	expand := func(s string, i int) (string, int, error) {
		// s[i] == '$'
		j := i + 1
		braced := j < len(s) && s[j] == '{'
		if braced {
			j++
		}
		k := j
		for k < len(s) && (s[k] == '_' || s[k] >= 'A' && s[k] <= 'Z' || s[k] >= 'a' && s[k] <= 'z' || s[k] >= '0' && s[k] <= '9') {
			k++
		}
		name := s[j:k]
		if braced {
			if k >= len(s) || s[k] != '}' {
				return "", 0, fmt.Errorf("unterminated ${ in %q", s)
			}
			k++
		}
		v, ok := vars[name]
		if !ok {
			return "", 0, fmt.Errorf("$%s is not set", name)
		}
		return v, k, nil
	}
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
			i++
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unterminated ' in %q", line)
			}
			w.WriteString(line[i+1 : i+1+end])
			inWord, i = true, i+end+2
		case c == '"':
			i++
			for i < len(line) && line[i] != '"' {
				if line[i] == '$' {
					v, next, err := expand(line, i)
					if err != nil {
						return nil, err
					}
					w.WriteString(v)
					i = next
					continue
				}
				if line[i] == '\\' || line[i] == '`' {
					return nil, fmt.Errorf("the drill's shell does not interpret %q in %q", line[i], line)
				}
				w.WriteByte(line[i])
				i++
			}
			if i >= len(line) {
				return nil, fmt.Errorf("unterminated \" in %q", line)
			}
			inWord, i = true, i+1
		case c == '$':
			v, next, err := expand(line, i)
			if err != nil {
				return nil, err
			}
			w.WriteString(v)
			inWord, i = true, next
		case strings.ContainsRune(`\|&;<>()*?[]{}~#`+"`", rune(c)):
			return nil, fmt.Errorf("the drill's shell does not interpret %q in %q", c, line)
		default:
			w.WriteByte(c)
			inWord, i = true, i+1
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// composeStandIn plays `docker compose` for the runbook's commands over stacks started by
// stackRun: each service's container stands in for compose's, its directories for the named
// volumes. Commands other than docker compose run with bash, as root, in a container that
// stands in for the host, where the rendered tree is at the backup block's host_dir.
type composeStandIn struct {
	t    *testing.T
	res  *compile.Result
	svcs map[string]*runningService // "stack/service"
	host *oracle.Container
	// vars is the operator's shell environment; pinned names keep the test's value when the
	// runbook exports an example one.
	vars   map[string]string
	pinned map[string]bool
	cwd    string
	// beforeRestore, when set, runs between the stop and the restore of a block (to take the
	// data away, as a lost volume would).
	beforeRestore func(stack, service string)
}

func newComposeStandIn(t *testing.T, res *compile.Result, svcs map[string]*runningService, pinned map[string]string) *composeStandIn {
	t.Helper()
	c := &composeStandIn{t: t, res: res, svcs: svcs, vars: map[string]string{}, pinned: map[string]bool{}}
	for k, v := range pinned {
		c.vars[k], c.pinned[k] = v, true
	}
	c.host = svcs["primary/postgres"].ctr.Network().Container(t, "host")
	hostDir := res.Config.Stacks["primary"].Backup.HostDir
	for p, f := range res.Output {
		c.host.WriteFile(t, path.Join(hostDir, p), string(f.Data), f.Mode.Perm()|0o444)
	}
	return c
}

// stackOfDir maps a directory of the runbook to the stack whose files are there.
func (c *composeStandIn) stackOfDir(dir string) string {
	c.t.Helper()
	hostDir := c.res.Config.Stacks["primary"].Backup.HostDir
	for key := range c.res.Config.Stacks {
		if path.Clean(dir) == path.Join(hostDir, model.StackDir(key)) {
			return key
		}
	}
	c.t.Fatalf("the runbook works in %s, which holds no stack's files", dir)
	return ""
}

// runBlock runs every command of a runbook block, in order, failing the test on the first
// that fails.
func (c *composeStandIn) runBlock(b drillBlock) {
	c.t.Helper()
	c.t.Logf("runbook block %s (%s:%d)", b.name, backupDoc, b.line)
	for _, cmd := range b.commands {
		c.run(cmd)
	}
}

func (c *composeStandIn) run(line string) {
	t := c.t
	t.Helper()
	t.Logf("$ %s", line)
	first, _, _ := strings.Cut(line, " ")
	if !slices.Contains([]string{"cd", "export", "docker", "/usr/bin/docker"}, first) {
		// The host's own commands (install, systemctl), verbatim through bash, as root in the
		// host stand-in.
		out, err := runCommandOut(c.host.Command(t, "root", nil, "/bin/bash", "-c", "cd "+c.cwd+" && "+line), 2*time.Minute)
		if err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
		t.Logf("  %s", strings.TrimSpace(out))
		return
	}
	words, err := shellWords(line, c.vars)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	switch {
	case len(words) == 2 && words[0] == "cd":
		c.cwd = words[1]
	case len(words) == 2 && words[0] == "export" && strings.Contains(words[1], "="):
		name, val, _ := strings.Cut(words[1], "=")
		if c.pinned[name] {
			t.Logf("  (%s keeps the drill's value %q instead of the example)", name, c.vars[name])
			return
		}
		c.vars[name] = val
	case len(words) >= 2 && path.Base(words[0]) == "docker" && words[1] == "compose":
		c.compose(c.stackOfDir(c.cwd), words[2:])
	default:
		t.Fatalf("the drill cannot run %q", line)
	}
}

func (c *composeStandIn) service(stack, name string) *runningService {
	c.t.Helper()
	s := c.svcs[stack+"/"+name]
	if s == nil {
		c.t.Fatalf("stack %s has no running service %s", stack, name)
	}
	return s
}

// compose interprets one docker compose command line (after "docker compose").
func (c *composeStandIn) compose(stack string, args []string) {
	t := c.t
	t.Helper()
	if len(args) == 0 {
		t.Fatal("docker compose without a command")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "stop":
		for _, name := range args {
			c.stop(stack, name)
		}
	case "start":
		for _, name := range args {
			c.start(stack, name)
		}
	case "create":
		// compose creates the stack's containers and volumes without starting anything: the
		// stand-in's containers and their volume directories exist already.
		t.Logf("  (create: the stand-in's containers and volumes exist; nothing runs)")
	case "up":
		if len(args) == 0 || args[0] != "-d" {
			t.Fatalf("docker compose up without -d: %q", args)
		}
		for _, key := range c.order(stack) {
			if s := c.svcs[stack+"/"+key]; s != nil && s.exited() {
				c.start(stack, key)
			}
		}
	case "exec":
		if len(args) > 0 && args[0] == "-T" {
			args = args[1:]
		}
		if len(args) < 2 {
			t.Fatalf("docker compose exec %q", args)
		}
		s := c.service(stack, args[0])
		if s.exited() {
			t.Fatalf("docker compose exec %s: the service is not running", args[0])
		}
		out, err := runCommandOut(s.ctr.Command(t, s.user, s.env, args[1:]...), 5*time.Minute)
		if err != nil {
			t.Fatalf("exec %s %q: %v\n%s", args[0], args[1:], err, out)
		}
		t.Logf("  %s", strings.TrimSpace(out))
	case "run":
		c.runOnce(stack, args)
	default:
		t.Fatalf("the compose stand-in does not implement docker compose %s", sub)
	}
}

// runOnce is docker compose run --rm: a one-off container of the service, with its
// environment and volumes, plus the -v and -e the command adds, running the given
// entrypoint and arguments. The service itself must be stopped: the stand-in's one-off
// container is the service's own file system.
func (c *composeStandIn) runOnce(stack string, args []string) {
	t := c.t
	t.Helper()
	var entrypoint string
	var env []string
	var undo []func()
	defer func() {
		for _, u := range slices.Backward(undo) {
			u()
		}
	}()
	i := 0
	type mountArg struct{ src, target string }
	var mounts []mountArg
	for ; i < len(args) && strings.HasPrefix(args[i], "-"); i++ {
		switch args[i] {
		case "--rm", "--no-deps":
		case "--entrypoint", "-v", "-e":
			if i+1 >= len(args) {
				t.Fatalf("docker compose run: %s without a value", args[i])
			}
			v := args[i+1]
			switch args[i] {
			case "--entrypoint":
				entrypoint = v
			case "-v":
				parts := strings.Split(v, ":")
				mounts = append(mounts, mountArg{parts[0], parts[1]})
			case "-e":
				val, ok := c.vars[v]
				if !ok {
					t.Fatalf("docker compose run -e %s: not set in the operator's shell", v)
				}
				env = append(env, v+"="+val)
			}
			i++
		default:
			t.Fatalf("the compose stand-in does not implement docker compose run %s", args[i])
		}
	}
	if i >= len(args) || entrypoint == "" {
		t.Fatalf("docker compose run %q: want --entrypoint and a service", args)
	}
	s := c.service(stack, args[i])
	if !s.exited() {
		t.Fatalf("docker compose run %s while the service runs: the runbook must stop it first", s.name)
	}
	for _, m := range mounts {
		if strings.HasPrefix(m.src, ".") {
			p := path.Join(model.StackDir(stack), m.src)
			f, ok := c.res.Output[p]
			if !ok {
				t.Fatalf("-v %s: azagen renders no %s", m.src, p)
			}
			host := s.ctr.HostPath(m.target)
			old, readErr := os.ReadFile(host)
			s.ctr.WriteFile(t, m.target, string(f.Data), 0o444)
			undo = append(undo, func() {
				if readErr == nil {
					_ = os.WriteFile(host, old, 0o444)
				} else {
					_ = os.Remove(host)
				}
			})
			continue
		}
		src := c.volumeDir(m.src)
		dst := s.ctr.HostPath(m.target)
		if err := os.MkdirAll(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mount(src, dst, "", syscall.MS_BIND, ""); err != nil {
			t.Fatalf("-v %s:%s: %v", m.src, m.target, err)
		}
		undo = append(undo, func() { _ = syscall.Unmount(dst, syscall.MNT_DETACH) })
	}
	argv := append([]string{entrypoint}, args[i+1:]...)
	out, err := runCommandOut(s.ctr.Command(t, s.user, append(slices.Clone(s.env), env...), argv...), 5*time.Minute)
	if err != nil {
		t.Fatalf("run %s %q: %v\n%s", s.name, argv, err, out)
	}
	t.Logf("  %s", strings.TrimSpace(out))
}

// volumeDir finds the directory that stands in for the named volume called name (its real
// name): the directory where a running service of any stack mounts it.
func (c *composeStandIn) volumeDir(name string) string {
	c.t.Helper()
	for key, st := range c.res.Config.Stacks {
		for vk, v := range st.Volumes {
			if v.Name != name {
				continue
			}
			for sk, svc := range st.Services {
				for _, m := range svc.Mounts {
					if m.Volume == vk && c.svcs[key+"/"+sk] != nil {
						return c.svcs[key+"/"+sk].ctr.HostPath(m.Target)
					}
				}
			}
		}
	}
	c.t.Fatalf("no service mounts a volume named %s", name)
	return ""
}

// order lists a stack's services in depends_on order, as compose starts them.
func (c *composeStandIn) order(stack string) []string {
	var cf composeFile
	if err := yaml.Unmarshal(c.res.Output[model.ComposePath(stack)].Data, &cf); err != nil {
		c.t.Fatal(err)
	}
	var out []string
	for len(out) < len(cf.Services) {
		for _, name := range slices.Sorted(maps.Keys(cf.Services)) {
			if slices.Contains(out, name) {
				continue
			}
			ready := true
			for dep := range cf.Services[name].DependsOn {
				ready = ready && slices.Contains(out, dep)
			}
			if ready {
				out = append(out, name)
			}
		}
	}
	return out
}

// exited reports whether the service's process has ended.
func (s *runningService) exited() bool {
	select {
	case <-s.daemon.Done():
		return true
	default:
		return false
	}
}

// stop is docker compose stop: the image's STOPSIGNAL (SIGINT for the postgres image: a fast
// shutdown), then the wait.
func (c *composeStandIn) stop(stack, name string) {
	t := c.t
	t.Helper()
	s := c.service(stack, name)
	if !s.exited() {
		if err := syscall.Kill(s.daemon.PID(), syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		select {
		case <-s.daemon.Done():
		case <-time.After(60 * time.Second):
			t.Fatalf("%s did not stop within 60s:\n%s", s.name, s.daemon.Output())
		}
	}
	if c.beforeRestore != nil {
		c.beforeRestore(stack, name)
	}
}

// start is docker compose start: the service's own command again, until healthy.
func (c *composeStandIn) start(stack, name string) {
	t := c.t
	t.Helper()
	s := c.service(stack, name)
	if !s.exited() {
		t.Fatalf("docker compose start %s: it runs", name)
	}
	s.daemon = s.ctr.Start(t, s.user, s.env, s.argv...)
	if err := s.waitHealthy(t, 3*time.Minute); err != nil {
		t.Fatal(err)
	}
}

// psql runs sql in the service's container over its socket, as postgres (the peer rule).
func psqlIn(t *testing.T, s *runningService, sql string) string {
	t.Helper()
	out, err := runCommandOut(s.ctr.Command(t, "postgres", s.env, "psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c", sql), time.Minute)
	if err != nil {
		t.Fatalf("%s: psql %q: %v\n%s", s.name, sql, err, out)
	}
	return strings.TrimSpace(out)
}

// switchAndArchive closes the current WAL segment and waits until the archiver reports it
// archived, so that everything committed so far is in the repository.
func switchAndArchive(t *testing.T, s *runningService) {
	t.Helper()
	seg := psqlIn(t, s, "SELECT pg_walfile_name(pg_switch_wal())")
	deadline := time.Now().Add(time.Minute)
	for {
		if got := psqlIn(t, s, "SELECT coalesce(last_archived_wal, '') >= '"+seg+"' FROM pg_stat_archiver"); got == "t" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("segment %s not archived within a minute: %s", seg, psqlIn(t, s, "SELECT * FROM pg_stat_archiver"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// pgbackrestInfo is the part of `pgbackrest info --output=json` the drill reads.
type pgbackrestInfo []struct {
	Name   string `json:"name"`
	Status struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"status"`
	Backup []struct {
		Label     string `json:"label"`
		Type      string `json:"type"`
		Prior     string `json:"prior"`
		Timestamp struct {
			Start, Stop int64
		} `json:"timestamp"`
		Info struct {
			Size  int64 `json:"size"`
			Delta int64 `json:"delta"`
		} `json:"info"`
	} `json:"backup"`
}

func backupInfo(t *testing.T, s *runningService) pgbackrestInfo {
	t.Helper()
	out, err := runCommandOut(s.ctr.Command(t, s.user, s.env, "pgbackrest", "--stanza=main", "--output=json", "--log-level-console=warn", "info"), time.Minute)
	if err != nil {
		t.Fatalf("pgbackrest info: %v\n%s", err, out)
	}
	var info pgbackrestInfo
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("pgbackrest info: %v\n%s", err, out)
	}
	return info
}

// unitCommand reads a rendered backup service unit: its WorkingDirectory and ExecStart line.
func unitCommand(t *testing.T, res *compile.Result, typ string) (dir, line string) {
	t.Helper()
	st := res.Config.Stacks["primary"]
	f, ok := res.Output[model.BackupUnitPath(st, typ, "service")]
	if !ok {
		t.Fatalf("no %s backup unit rendered", typ)
	}
	sc := bufio.NewScanner(strings.NewReader(string(f.Data)))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "WorkingDirectory="); ok {
			dir = v
		}
		if v, ok := strings.CutPrefix(sc.Text(), "ExecStart="); ok {
			line = v
		}
	}
	if dir == "" || line == "" {
		t.Fatalf("%s unit lacks WorkingDirectory or ExecStart:\n%s", typ, f.Data)
	}
	return dir, line
}

// dirSize sums the sizes of the regular files below dir.
func dirSize(t *testing.T, dir string) (files int, bytes int64) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		files++
		bytes += fi.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, bytes
}

// TestBackupRestoreDrill runs the primary and replica stacks as compose would, with the
// rendered pgbackrest.conf, archive settings, stanza scripts and units at their container
// paths, on pgBackRest 2.60 and PostgreSQL 18.6, and every command of docs/BACKUP.md:
//
//   - the stanza exists from the first start (initdb script); `check` passes and WAL reaches
//     the repository through the rendered archive_command, which the server runs verbatim;
//   - a full, a differential and an incremental backup, each taken by the ExecStart line of
//     its rendered systemd unit;
//   - the backup-age metric from the running postgres_exporter;
//   - restore of the latest backup over a deleted data directory: no committed row lost;
//   - restore to a time between two commits: exactly the first;
//   - a restore into an empty data volume, as on a new host;
//   - a standby restored from the repository (--type=standby) into the replica's emptied
//     volume streams from the primary;
//   - expire keeps what retention says: a third full backup expires the first with the
//     differential and incremental based on it;
//   - a start that finds no stanza (repository emptied) creates it again.
func TestBackupRestoreDrill(t *testing.T) {
	oracle.Require(t, oracle.ToolPostgresBin)
	oracle.Require(t, oracle.ToolPgBackRest)
	res := compileStacks(t)
	blocks := runbookBlocks(t)
	ran := map[string]bool{}
	begin := time.Now()
	svcs, err := stackRun(t, res, []string{"primary", "replica"}, 3*time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stacks up in %v", time.Since(begin).Round(time.Millisecond))
	pg := svcs["primary/postgres"]
	sample := sampleEnvironment(t, res, "primary")
	const cipherVar = "PGBACKREST_REPO1_CIPHER_PASS"
	h := newComposeStandIn(t, res, svcs, map[string]string{cipherVar: sample[cipherVar], "TARGET_TIME": ""})
	block := func(name string) {
		t.Helper()
		b, ok := blocks[name]
		if !ok {
			t.Fatalf("docs/BACKUP.md has no drill block %s", name)
		}
		h.runBlock(b)
		ran[name] = true
	}
	count := func(s *runningService) int {
		n, err := strconv.Atoi(psqlIn(t, s, "SELECT count(*) FROM drill"))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	insert := func(from, to int) {
		psqlIn(t, pg, fmt.Sprintf("INSERT INTO drill SELECT g, md5(g::text) FROM generate_series(%d, %d) g", from, to))
	}
	unit := func(typ string) {
		dir, line := unitCommand(t, res, typ)
		h.cwd = dir
		h.run(line)
	}
	repo := pg.ctr.HostPath(res.Config.Stacks["primary"].Backup.Repo1.Path)

	// The first start created the stanza; check archives a segment through archive_command.
	if info := backupInfo(t, pg); len(info) != 1 || info[0].Name != "main" || len(info[0].Backup) != 0 {
		t.Fatalf("after the first start, pgbackrest info = %+v, want stanza main without backups", info)
	}
	want := fmt.Sprintf("%s|on", res.Config.Stacks["primary"].Backup.ArchiveCommand())
	if got := psqlIn(t, pg, "SELECT current_setting('archive_command') || '|' || current_setting('archive_mode')"); got != want {
		t.Fatalf("archive_command|archive_mode in effect = %q, want the rendered %q", got, want)
	}
	block("check")
	if got := psqlIn(t, pg, "SELECT archived_count > 0 AND failed_count = 0 FROM pg_stat_archiver"); got != "t" {
		t.Fatalf("pg_stat_archiver after check: %s", psqlIn(t, pg, "SELECT * FROM pg_stat_archiver"))
	}
	segments, _ := filepath.Glob(filepath.Join(repo, "archive", "main", "*", "*", "*.zst"))
	if len(segments) == 0 {
		t.Fatalf("no compressed WAL segment in the repository under %s", repo)
	}
	t.Logf("WAL in the repository: %d segment(s), e.g. %s", len(segments), filepath.Base(segments[0]))

	// Tiny data, three backup types, each by its unit's ExecStart.
	psqlIn(t, pg, "CREATE TABLE drill (id int PRIMARY KEY, note text)")
	insert(1, 1000)
	unit("full")
	insert(1001, 2000)
	unit("diff")
	insert(2001, 3000)
	unit("incr")
	info := backupInfo(t, pg)
	var types []string
	for _, b := range info[0].Backup {
		types = append(types, b.Type)
		t.Logf("backup %s (%s, prior %q): %d bytes of data, %d changed", b.Label, b.Type, b.Prior, b.Info.Size, b.Info.Delta)
	}
	if !slices.Equal(types, []string{"full", "diff", "incr"}) {
		t.Fatalf("backups %v, want full, diff, incr", types)
	}
	block("backup-now")

	// The backup-age metric, scraped from the stack's running postgres_exporter.
	exp := svcs["primary/postgres_exporter"]
	scrape, err := runCommandOut(exp.ctr.Command(t, exp.user, nil, "wget", "-q", "-O", "-", "http://127.0.0.1:9187/metrics"), 30*time.Second)
	if err != nil {
		t.Fatalf("scrape: %v\n%s", err, scrape)
	}
	metricLine := regexp.MustCompile(`(?m)^pg_pgbackrest_(backups|last_backup_age_seconds)\{([^}]*)\} (\S+)$`)
	found := map[string]float64{}
	for _, m := range metricLine.FindAllStringSubmatch(scrape, -1) {
		typ := regexp.MustCompile(`backup_type="([a-z]+)"`).FindStringSubmatch(m[2])
		if typ == nil || !strings.Contains(m[2], `stanza="main"`) {
			t.Errorf("metric without backup_type or stanza main: %s", m[0])
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("%s: %v", m[0], err)
		}
		found[m[1]+"/"+typ[1]] = v
	}
	if found["backups/full"] != 2 || found["backups/diff"] != 1 || found["backups/incr"] != 1 {
		t.Errorf("pg_pgbackrest_backups = %v, want full 2, diff 1, incr 1\n%s", found, grepLines(scrape, "pg_pgbackrest"))
	}
	for _, typ := range model.BackupTypes {
		if age, ok := found["last_backup_age_seconds/"+typ]; !ok || age < 0 || age > 600 {
			t.Errorf("pg_pgbackrest_last_backup_age_seconds for %s = %v (present %v), want the few seconds since the backup\n%s", typ, age, ok, grepLines(scrape, "pg_pgbackrest"))
		}
	}

	// Latest: rows committed after the last backup come back from the archived WAL, over a
	// data directory that was deleted.
	insert(3001, 3010)
	switchAndArchive(t, pg)
	pgdata := model.Pg1Path(res.Config.Stacks["primary"].Services["postgres"])
	h.beforeRestore = func(stack, service string) {
		if stack == "primary" && service == "postgres" {
			if err := os.RemoveAll(pg.ctr.HostPath(pgdata)); err != nil {
				t.Fatal(err)
			}
		}
	}
	block("restore-latest")
	h.beforeRestore = nil
	block("after-restore")
	if n := count(pg); n != 3010 {
		t.Fatalf("after restoring the latest backup: %d rows, want 3010", n)
	}

	// Point in time: between two commits.
	psqlIn(t, pg, "INSERT INTO drill VALUES (5001, 'first')")
	target := psqlIn(t, pg, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
	time.Sleep(1100 * time.Millisecond)
	psqlIn(t, pg, "INSERT INTO drill VALUES (5002, 'second')")
	switchAndArchive(t, pg)
	h.vars["TARGET_TIME"] = target
	block("restore-time")
	block("after-restore")
	if got := psqlIn(t, pg, "SELECT string_agg(note, ',' ORDER BY id) FROM drill WHERE id > 5000"); got != "first" {
		t.Fatalf("after restoring to %s: rows after 5000 are %q, want exactly first", target, got)
	}
	if got := psqlIn(t, pg, "SELECT pg_is_in_recovery()"); got != "f" {
		t.Fatalf("after the point-in-time restore the server is still in recovery")
	}

	// New host: an empty data volume, the repository in place.
	switchAndArchive(t, pg)
	h.stop("primary", "postgres")
	entries, err := os.ReadDir(pg.ctr.HostPath(model.ContainerDataPath))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(pg.ctr.HostPath(model.ContainerDataPath), e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	block("restore-new-host")
	block("after-restore")
	if n := count(pg); n != 3011 {
		t.Fatalf("after the restore onto an empty volume: %d rows, want 3011", n)
	}

	// A standby from the repository, into the replica's emptied volume.
	replica := svcs["replica/postgres-replica"]
	h.beforeRestore = func(stack, service string) {
		if stack == "replica" {
			if err := os.RemoveAll(replica.ctr.HostPath(pgdata)); err != nil {
				t.Fatal(err)
			}
		}
	}
	block("standby")
	h.beforeRestore = nil
	psqlIn(t, pg, "INSERT INTO drill VALUES (6001, 'streamed')")
	deadline := time.Now().Add(time.Minute)
	for psqlIn(t, replica, "SELECT count(*) FROM drill WHERE id = 6001") != "1" {
		if time.Now().After(deadline) {
			t.Fatalf("the standby restored from the repository does not have the primary's new row; pg_stat_replication: %q", psqlIn(t, pg, "SELECT * FROM pg_stat_replication"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := psqlIn(t, pg, "SELECT application_name || ':' || state || ':' || coalesce((SELECT slot_name FROM pg_replication_slots WHERE active_pid = pid), '') FROM pg_stat_replication"); got != "postgres-replica:streaming:replica_slot_1" {
		t.Fatalf("pg_stat_replication on the primary = %q, want postgres-replica streaming through replica_slot_1", got)
	}

	// Expire keeps two fulls: the repository holds the first full (with its diff and incr)
	// and the runbook's full; a third full expires the first set.
	unit("full")
	info = backupInfo(t, pg)
	var fulls, diffs int
	for _, b := range info[0].Backup {
		switch b.Type {
		case "full":
			fulls++
		case "diff":
			diffs++
		}
	}
	if fulls != res.Config.Stacks["primary"].Backup.Retention.Full || diffs > res.Config.Stacks["primary"].Backup.Retention.Diff {
		t.Fatalf("after four fulls: %d full and %d diff backups, want %d full (retention) and at most %d diff", fulls, diffs,
			res.Config.Stacks["primary"].Backup.Retention.Full, res.Config.Stacks["primary"].Backup.Retention.Diff)
	}
	for _, b := range info[0].Backup {
		if b.Type != "full" {
			t.Fatalf("backup %s (%s) survived the expiry of the full it was based on", b.Label, b.Type)
		}
	}

	files, bytes := dirSize(t, repo)
	t.Logf("repository after expire: %d files, %d bytes (%d backups)", files, bytes, len(info[0].Backup))

	// The schedule's install commands, on the host stand-in.
	block("install-schedule")
	for _, typ := range model.BackupTypes {
		link := h.host.HostPath("/etc/systemd/system/timers.target.wants/" + model.BackupUnitName(res.Config.Stacks["primary"], typ) + ".timer")
		if _, err := os.Lstat(link); err != nil {
			t.Errorf("after install-schedule the %s timer is not enabled: %v", typ, err)
		}
	}
	block("metric-function")

	// A start that finds no stanza creates it: empty the repository, restart.
	h.stop("primary", "postgres")
	if err := os.RemoveAll(repo); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(repo, 0o750); err != nil {
		t.Fatal(err)
	}
	pg.ctr.Chown(t, res.Config.Stacks["primary"].Backup.Repo1.Path, "postgres")
	h.start("primary", "postgres")
	if !strings.Contains(pg.daemon.Output(), "stanza-create command end: completed successfully") {
		t.Errorf("the entrypoint did not create the stanza on a start that found none:\n%s", pg.daemon.Output())
	}
	block("check")

	for name := range blocks {
		if !ran[name] {
			t.Errorf("docs/BACKUP.md block %s is not run by the drill", name)
		}
	}
	t.Logf("drill done in %v; table drill: %d rows, %s", time.Since(begin).Round(time.Millisecond), count(pg),
		psqlIn(t, pg, "SELECT pg_size_pretty(pg_total_relation_size('drill')) || ' in a ' || pg_size_pretty(pg_database_size('postgres')) || ' database'"))
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
