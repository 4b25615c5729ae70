package imagecheck_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/azagen/azagen/internal/load"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/render"
	"github.com/azagen/azagen/internal/testing/imagecheck"
	"github.com/azagen/azagen/internal/testing/oracle"
)

const (
	repoRoot     = "../../.."
	imageDir     = repoRoot + "/docker/postgres"
	dockerfile   = imageDir + "/Dockerfile"
	manifestPath = imageDir + "/extensions.manifest.json"
)

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func instructions(t *testing.T) []imagecheck.Instruction {
	t.Helper()
	return imagecheck.Parse(read(t, dockerfile))
}

func repoConfig(t *testing.T) *model.Config {
	t.Helper()
	src, diags, err := load.Files([]string{repoRoot + "/stacks.cue"})
	if err != nil {
		t.Fatal(err)
	}
	if diags.HasErrors() {
		t.Fatalf("stacks.cue: %v", diags)
	}
	cfg, err := model.Decode(src.Value)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func noFindings(t *testing.T, what string, fs []imagecheck.Finding) {
	t.Helper()
	for _, f := range fs {
		t.Errorf("Dockerfile %s: %s", what, f)
	}
}

func TestDockerfileArgsAllUsed(t *testing.T) {
	noFindings(t, "unused ARG", imagecheck.UnusedArgs(instructions(t)))
}

func TestDockerfileAptPackagesPinned(t *testing.T) {
	pkgs, fs := imagecheck.AptInstalls(instructions(t))
	noFindings(t, "apt pin", fs)
	if len(pkgs) < 20 {
		t.Errorf("only %d apt packages found: the parser missed apt-get install lines", len(pkgs))
	}
}

func TestDockerfileFromPinnedByDigest(t *testing.T) {
	ins := instructions(t)
	noFindings(t, "FROM", imagecheck.UnpinnedFroms(ins))
	var base string
	for _, in := range ins {
		if in.Cmd == "FROM" && strings.Contains(in.Args, "@sha256:") {
			base = in.Args
		}
	}
	// The base image of upstream HEAD (upstream-facts §10.1).
	if want := "postgres:18.4-trixie@sha256:8ff36f3c66371cba71d20ceedccfc3de9669a68737607888c4ef0af93abe8e39"; !strings.HasPrefix(base, want) {
		t.Errorf("base image %q, want %s", base, want)
	}
}

func TestDockerfileNoPipeToShell(t *testing.T) {
	noFindings(t, "pipe to shell", imagecheck.PipesToShell(instructions(t)))
}

// TestChecksCatchProblems feeds the checks Dockerfiles with the problems
// they exist for.
func TestChecksCatchProblems(t *testing.T) {
	bad := `ARG GLOBAL_UNUSED=1
ARG SHARED=2.0
FROM debian:trixie AS a
ARG UNUSED=3
ARG GIT_VERSION=1:2.47
ARG EMPTY
RUN apt-get update && apt-get install -y --no-install-recommends \
    git=${GIT_VERSION} \
    # a comment between continued lines
    curl \
    jq=${SHARED} \
    make=${EMPTY} \
    $(cat /tmp/pkgs)
RUN curl -fsSL https://sh.rustup.rs | sh -s -- -y
RUN wget -qO- https://example.invalid/install | sudo bash
FROM a AS b
FROM postgres:18@sha256:0123 AS c
`
	ins := imagecheck.Parse(bad)
	got := func(fs []imagecheck.Finding) string {
		var s []string
		for _, f := range fs {
			s = append(s, f.String())
		}
		return strings.Join(s, "\n")
	}
	for _, tc := range []struct {
		name  string
		fs    []imagecheck.Finding
		wants []string
	}{
		{"unused", imagecheck.UnusedArgs(ins), []string{"line 1: ARG GLOBAL_UNUSED is never used", "line 2: ARG SHARED is never used", "line 4: ARG UNUSED is never used"}},
		{"apt", func() []imagecheck.Finding { _, f := imagecheck.AptInstalls(ins); return f }(), []string{
			"line 7: apt package curl is not pinned",
			"line 7: apt package jq=${SHARED}: SHARED is not an ARG with a default in this stage",
			"line 7: apt package make=${EMPTY}: EMPTY is not an ARG",
			"line 7: apt-get install takes packages from a command substitution",
		}},
		{"pipe", imagecheck.PipesToShell(ins), []string{"line 14: a download is piped", "line 15: a download is piped"}},
		{"from", imagecheck.UnpinnedFroms(ins), []string{"line 3: FROM debian:trixie AS a is not pinned", "line 17: FROM postgres:18@sha256:0123 AS c is not pinned"}},
	} {
		s := got(tc.fs)
		for _, w := range tc.wants {
			if !strings.Contains(s, w) {
				t.Errorf("%s: findings lack %q:\n%s", tc.name, w, s)
			}
		}
		if len(tc.fs) != len(tc.wants) {
			t.Errorf("%s: %d findings, want %d:\n%s", tc.name, len(tc.fs), len(tc.wants), s)
		}
	}
}

// TestDockerfileMatchesManifest: every PGDG entry is installed with its
// package pinned by its ARG, whose default is the manifest's version, and
// no postgresql-18-* package is installed outside the manifest.
func TestDockerfileMatchesManifest(t *testing.T) {
	m := manifest(t)
	ins := instructions(t)
	pkgs, _ := imagecheck.AptInstalls(ins)
	defaults := map[string]string{}
	for _, a := range imagecheck.Args(ins) {
		if a.HasDefault {
			defaults[a.Name] = a.Default
		}
	}
	final := ins[len(ins)-1].Stage
	installed := map[string]imagecheck.AptPackage{}
	for _, p := range pkgs {
		if p.Stage == final {
			installed[p.Name] = p
		}
	}
	inManifest := map[string]bool{}
	for _, e := range m.Entries {
		if e.Install != "pgdg" || e.PGDG == nil {
			continue
		}
		inManifest[e.PGDG.Package] = true
		p, ok := installed[e.PGDG.Package]
		switch {
		case !e.IsEnabled():
			if ok {
				t.Errorf("%s is disabled but the final stage installs %s", e.Name, e.PGDG.Package)
			}
		case !ok:
			t.Errorf("%s: the final stage does not install %s", e.Name, e.PGDG.Package)
		case p.Var != e.PGDG.Arg:
			t.Errorf("%s: %s is pinned by %q, the manifest says ARG %s", e.Name, e.PGDG.Package, p.Version, e.PGDG.Arg)
		case defaults[e.PGDG.Arg] != e.PGDG.Version:
			t.Errorf("%s: ARG %s defaults to %q, the manifest says %q", e.Name, e.PGDG.Arg, defaults[e.PGDG.Arg], e.PGDG.Version)
		}
	}
	for name, p := range installed {
		if (strings.HasPrefix(name, "postgresql-18-") || name == "pgbackrest") && !inManifest[name] {
			t.Errorf("line %d: %s is installed but is no manifest entry", p.Line, name)
		}
	}
}

func manifest(t *testing.T) *imagecheck.Manifest {
	t.Helper()
	m, err := imagecheck.ParseManifest([]byte(read(t, manifestPath)))
	if err != nil {
		t.Fatalf("%s: %v", manifestPath, err)
	}
	return m
}

func TestManifestValid(t *testing.T) {
	m := manifest(t)
	for _, p := range m.Check(func(name string) bool {
		_, err := os.Stat(filepath.Join(imageDir, "patches", name))
		return err == nil
	}) {
		t.Error(p)
	}
	// Audit #9: pgroonga's install route is a recorded decision.
	for _, e := range m.Entries {
		if e.Name == "pgroonga" {
			if e.Install != "source" || e.Decision == nil || e.Decision.Install != "source" || !strings.Contains(e.Decision.Reason, "PGDG") {
				t.Errorf("pgroonga: want install source with a decision whose reason covers PGDG; got %+v", e)
			}
			return
		}
	}
	t.Error("no pgroonga entry")
}

// TestManifestCoversStacksCue: what stacks.cue preloads and creates is in
// the image.
func TestManifestCoversStacksCue(t *testing.T) {
	m := manifest(t)
	cfg := repoConfig(t)
	libs, creatable := map[string]bool{}, map[string]bool{}
	for _, e := range m.Entries {
		if !e.IsEnabled() {
			continue
		}
		if e.Runtime.Preload {
			libs[e.Runtime.Library] = true
		}
		if e.Runtime.Create {
			creatable[e.Name] = true
		}
	}
	for _, lib := range cfg.PostgreSQL.Preload {
		if !libs[lib] {
			t.Errorf("postgresql.preload names %s, which no enabled manifest entry provides as a preload library", lib)
		}
	}
	for _, ext := range cfg.PostgreSQL.Extensions {
		if !creatable[ext] {
			t.Errorf("postgresql.extensions names %s, which no enabled manifest entry marks runtime.create", ext)
		}
	}
}

// TestImageRuntimeMatchesCompose: the image runs the auto-config entrypoint
// and the same healthcheck the compose files render for postgres services.
func TestImageRuntimeMatchesCompose(t *testing.T) {
	ins := instructions(t)
	cfg := repoConfig(t)
	want := cfg.HealthcheckDefaults[model.KindPostgres]
	if want == nil {
		t.Fatal("no postgres healthcheck default in the schema")
	}
	h, err := imagecheck.ParseHealthcheck(ins)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(h.Test, want.Test) {
		t.Errorf("HEALTHCHECK %q, compose %q", h.Test, want.Test)
	}
	for opt, v := range map[string]*string{"interval": want.Interval, "timeout": want.Timeout, "start-period": want.StartPeriod} {
		a, err1 := time.ParseDuration(h.Options[opt])
		b, err2 := time.ParseDuration(*v)
		if err1 != nil || err2 != nil || a != b {
			t.Errorf("HEALTHCHECK --%s=%s, compose %s", opt, h.Options[opt], *v)
		}
	}
	if h.Options["retries"] != strconv.Itoa(*want.Retries) {
		t.Errorf("HEALTHCHECK --retries=%s, compose %d", h.Options["retries"], *want.Retries)
	}
	if ep, err := imagecheck.ExecForm(ins, "ENTRYPOINT"); err != nil || !slices.Equal(ep, []string{model.ContainerImageEntrypoint}) {
		t.Errorf("ENTRYPOINT %q (%v), want [%s]", ep, err, model.ContainerImageEntrypoint)
	}
	if cmd, err := imagecheck.ExecForm(ins, "CMD"); err != nil || !slices.Equal(cmd, []string{"postgres"}) {
		t.Errorf("CMD %q (%v), want [postgres]", cmd, err)
	}
	var user string
	for _, in := range ins {
		if in.Cmd == "USER" {
			user = in.Args
		}
	}
	if user != "postgres" {
		t.Errorf("USER %q, want postgres", user)
	}
}

// TestDockerfileCopiesFromRepoRoot: every file the Dockerfile copies exists
// relative to the repository root (the build context), the rendered ones
// are exactly what azagen renders, and none is excluded by the
// Dockerfile-specific .dockerignore.
func TestDockerfileCopiesFromRepoRoot(t *testing.T) {
	cfg := repoConfig(t)
	files, err := render.ImageFiles(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rendered := map[string]bool{"generated/postgres/postgresql-base.conf": true}
	for _, f := range files {
		rendered["generated/"+f.Path] = true
	}
	ignore := strings.Split(read(t, dockerfile+".dockerignore"), "\n")
	for src, line := range imagecheck.CopySources(instructions(t)) {
		p := filepath.Join(repoRoot, strings.TrimSuffix(src, "/"))
		if _, err := os.Stat(p); err != nil {
			t.Errorf("line %d: COPY %s: %v (the build context is the repository root)", line, src, err)
		}
		if strings.HasPrefix(src, "generated/") && !strings.HasSuffix(src, "/") && !rendered[src] {
			t.Errorf("line %d: COPY %s is not a file azagen renders", line, src)
		}
		if excluded(ignore, strings.TrimSuffix(src, "/")) {
			t.Errorf("line %d: COPY %s is excluded by Dockerfile.dockerignore", line, src)
		}
	}
}

// excluded evaluates .dockerignore lines the way the Dockerfile's file uses
// them: "*" excludes everything, "!path" includes path and what is below it;
// the last matching line wins.
func excluded(lines []string, p string) bool {
	ex := false
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		neg := strings.HasPrefix(l, "!")
		pat := strings.TrimSuffix(strings.TrimPrefix(l, "!"), "/")
		if m, _ := filepath.Match(pat, p); m || strings.HasPrefix(p, pat+"/") || pat == p {
			ex = !neg
		}
	}
	return ex
}

// TestPatchMechanism runs the real build-extensions.sh, patch step only, on
// the fixture tree in testdata/patchtree: a patch file and fixed-string
// replacements apply; a replacement whose anchor is gone, one that matches
// twice and a patch file that no longer applies each stop it, naming the
// entry.
func TestPatchMechanism(t *testing.T) {
	for _, tool := range []string{"bash", "jq", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is needed by build-extensions.sh: %v", tool, err)
			}
			t.Skipf("%s not found", tool)
		}
	}
	script, err := filepath.Abs(filepath.Join(imageDir, "build-extensions.sh"))
	if err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, names ...string) (string, string, int) {
		dir := t.TempDir()
		if err := os.CopyFS(dir, os.DirFS("testdata/patchtree")); err != nil {
			t.Fatal(err)
		}
		args := append([]string{script, "--steps", "patch", "--sources", "src", "--patches", "patches", "--dest", "dest", "manifest.json"}, names...)
		cmd := exec.Command("bash", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "TMPDIR="+dir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return dir, stderr.String(), code
	}

	t.Run("applies", func(t *testing.T) {
		dir, stderr, code := run(t, "demo_file", "demo_sed")
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, stderr)
		}
		for file, want := range map[string]string{
			"src/demo_file/hello.c":   `puts("hello, patched");`,
			"src/demo_sed/Cargo.toml": "pgrx = \"=0.16.1\"\n\n[dev-dependencies]\npgrx-tests = \"0.16.0\"",
			"src/demo_sed/src/lib.rs": `let re = "x & y \1 |/";`,
		} {
			if got := read(t, filepath.Join(dir, file)); !strings.Contains(got, want) {
				t.Errorf("%s lacks %q:\n%s", file, want, got)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "dest")); err == nil {
			t.Error("the patch step created the install root")
		}
	})
	for _, tc := range []struct{ entry, file, want string }{
		{"demo_stale", "main.c", "build-extensions: demo_stale: patch 1 of 1 (sed on main.c): anchor 'bool log_skipped_evtrigs' matches 0 lines, want exactly 1"},
		{"demo_twice", "main.c", "build-extensions: demo_twice: patch 1 of 1 (sed on main.c): anchor 'int counter' matches 2 lines, want exactly 1"},
		{"demo_stale_file", "hello.c", "build-extensions: demo_stale_file: patch 1 of 1: demo.patch does not apply"},
	} {
		t.Run(tc.entry, func(t *testing.T) {
			dir, stderr, code := run(t, tc.entry)
			if code == 0 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d; stderr lacks %q:\n%s", code, tc.want, stderr)
			}
			rel := filepath.Join("src", tc.entry, tc.file)
			if got, want := read(t, filepath.Join(dir, rel)), read(t, filepath.Join("testdata/patchtree", rel)); got != want {
				t.Errorf("a failing patch changed %s:\n%s", rel, got)
			}
		})
	}
	t.Run("all entries stop at the first stale one", func(t *testing.T) {
		_, stderr, code := run(t)
		if code == 0 || !strings.Contains(stderr, "build-extensions: demo_stale:") {
			t.Errorf("exit %d:\n%s", code, stderr)
		}
	})
	t.Run("unknown entry", func(t *testing.T) {
		_, stderr, code := run(t, "nope")
		if code == 0 || !strings.Contains(stderr, "build-extensions: nope: not a source entry") {
			t.Errorf("exit %d:\n%s", code, stderr)
		}
	})
}

// TestShellcheck: every shell script of the image, checked in place and
// rendered, is clean.
func TestShellcheck(t *testing.T) {
	sc := oracle.Require(t, oracle.ToolShellcheck)
	scripts, err := filepath.Glob(filepath.Join(imageDir, "*.sh"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := render.ImageFiles(repoConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range files {
		if strings.HasSuffix(f.Path, ".sh") {
			p := filepath.Join(dir, filepath.Base(f.Path))
			if err := os.WriteFile(p, f.Data, 0o755); err != nil {
				t.Fatal(err)
			}
			scripts = append(scripts, p)
		}
	}
	if len(scripts) < 3 {
		t.Fatalf("only %d scripts: %q", len(scripts), scripts)
	}
	if out, err := exec.Command(sc, append([]string{"-x", "-S", "style"}, scripts...)...).CombinedOutput(); err != nil {
		t.Errorf("shellcheck %s: %v\n%s", strings.Join(scripts, " "), err, out)
	}
}
