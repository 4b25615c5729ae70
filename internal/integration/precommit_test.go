package integration

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/azagen/azagen/internal/testing/oracle"
)

// repoRoot is the repository, seen from this package's directory.
const repoRoot = "../.."

// TestPreCommitHooks runs the hooks azagen publishes in .pre-commit-hooks.yaml through the real
// pre-commit, offline: as root inside `unshare -n` (a network namespace with no usable
// interface), otherwise with GOPROXY=off and the system variants, which need no network
// anyway. The hooks run in a temporary git repository holding a copy of this repository's
// files, with an azagen built from this tree first on PATH.
func TestPreCommitHooks(t *testing.T) {
	preCommit := oracle.Require(t, oracle.ToolPreCommit)
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not installed; pre-commit needs a git work tree")
	}
	pc := newPreCommitEnv(t, preCommit, git)

	hooks := publishedHooks(t)
	for _, id := range []string{"azagen-check", "azagen-check-system", "azagen-render", "azagen-render-system"} {
		h, ok := hooks[id]
		if !ok {
			t.Fatalf(".pre-commit-hooks.yaml has no hook %s", id)
		}
		if h["pass_filenames"] != false || h["require_serial"] != true {
			t.Errorf("hook %s: pass_filenames %v, require_serial %v; want false, true", id, h["pass_filenames"], h["require_serial"])
		}
		if strings.HasPrefix(id, "azagen-check") && h["always_run"] != true {
			t.Errorf("hook %s: always_run %v, want true", id, h["always_run"])
		}
		wantLang := "golang"
		if strings.HasSuffix(id, "-system") {
			wantLang = "system"
		}
		if h["language"] != wantLang {
			t.Errorf("hook %s: language %v, want %s", id, h["language"], wantLang)
		}
	}

	t.Run("validate", func(t *testing.T) {
		pc.run(t, 0, repoRoot, "validate-manifest", ".pre-commit-hooks.yaml")
		pc.run(t, 0, repoRoot, "validate-config", "examples/pre-commit-config.yaml")
	})

	t.Run("local", func(t *testing.T) {
		// repo: local, with the system hooks exactly as published.
		cfg := map[string]any{"repos": []any{map[string]any{
			"repo":  "local",
			"hooks": []any{hooks["azagen-render-system"], hooks["azagen-check-system"]},
		}}}
		work := pc.workRepo(t, cfg, true)
		out := pc.run(t, 0, work, "run", "--all-files")
		for _, name := range []any{hooks["azagen-render-system"]["name"], hooks["azagen-check-system"]["name"]} {
			if !regexpLine(out, name.(string), "Passed") {
				t.Errorf("hook %q did not pass on a clean tree:\n%s", name, out)
			}
		}

		clean := snapshotFiles(t, work, pc.driftFiles...)
		pc.makeDrift(t, work)
		drifted := snapshotFiles(t, work, pc.driftFiles...)

		// The check fails on the drift, names both files, and writes nothing.
		out = pc.run(t, 1, work, "run", "azagen-check-system", "--all-files")
		for _, want := range []string{"Failed", "changed:  generated/stacks/single/compose.yaml", "changed:  " + pc.driftFiles[1]} {
			if !strings.Contains(out, want) {
				t.Errorf("check hook output lacks %q:\n%s", want, out)
			}
		}
		if got := snapshotFiles(t, work, pc.driftFiles...); !equalSnapshots(got, drifted) {
			t.Error("the check hook changed files")
		}

		// The fixer rewrites both files and fails because it did.
		out = pc.run(t, 1, work, "run", "azagen-render-system", "--all-files")
		for _, want := range []string{"Failed", "files were modified by this hook", "render changed"} {
			if !strings.Contains(out, want) {
				t.Errorf("render hook output lacks %q:\n%s", want, out)
			}
		}
		if got := snapshotFiles(t, work, pc.driftFiles...); !equalSnapshots(got, clean) {
			t.Error("the render hook did not restore the rendered files")
		}

		// Fixed: both hooks pass.
		out = pc.run(t, 0, work, "run", "--all-files")
		if strings.Contains(out, "Failed") {
			t.Errorf("hooks fail after render:\n%s", out)
		}
	})

	t.Run("published", func(t *testing.T) {
		// The published manifest itself, fetched by pre-commit from a (local) hook repository.
		hookRepo := t.TempDir()
		data, err := os.ReadFile(filepath.Join(repoRoot, ".pre-commit-hooks.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(hookRepo, ".pre-commit-hooks.yaml"), data)
		pc.git(t, hookRepo, "init", "-q")
		pc.git(t, hookRepo, "add", "-A")
		pc.git(t, hookRepo, "commit", "-q", "-m", "hooks")
		rev := strings.TrimSpace(pc.git(t, hookRepo, "rev-parse", "HEAD"))
		cfg := map[string]any{"repos": []any{map[string]any{
			"repo":  hookRepo,
			"rev":   rev,
			"hooks": []any{map[string]any{"id": "azagen-render-system"}, map[string]any{"id": "azagen-check-system"}},
		}}}
		work := pc.workRepo(t, cfg, true)
		pc.run(t, 0, work, "run", "--all-files")
		pc.makeDrift(t, work)
		pc.run(t, 1, work, "run", "azagen-check-system", "--all-files")
		pc.run(t, 1, work, "run", "azagen-render-system", "--all-files")
		pc.run(t, 0, work, "run", "--all-files")
	})
}

// TestPreCommitHooksGolang runs the golang variants: pre-commit clones the hook repository (a
// copy of this one) and builds azagen from it with `go install ./...`, still offline, from the
// modules and build cache this machine already has.
func TestPreCommitHooksGolang(t *testing.T) {
	if testing.Short() {
		t.Skip("builds azagen inside pre-commit's environment; skipped with -short")
	}
	preCommit := oracle.Require(t, oracle.ToolPreCommit)
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not installed; pre-commit needs a git work tree")
	}
	pc := newPreCommitEnv(t, preCommit, git)
	goEnv := func(name string) string {
		out, err := exec.Command("go", "env", name).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", name, err)
		}
		return strings.TrimSpace(string(out))
	}
	modCache, buildCache := goEnv("GOMODCACHE"), goEnv("GOCACHE")
	// pre-commit points GOPATH at its own environment; GOMODCACHE keeps the modules (and so
	// the build cache's keys) where this machine has them, so nothing is downloaded or
	// extracted, and GOPROXY=off proves it.
	pc.env = append(pc.env, "GOPROXY=off", "GOSUMDB=off", "GOTOOLCHAIN=local", "GOMODCACHE="+modCache, "GOCACHE="+buildCache)
	// Without azagen on PATH: the hooks must use the one pre-commit built.
	pc.env = append(pc.env, "PATH="+strings.Join(slicesWithout(filepath.SplitList(os.Getenv("PATH")), pc.bin), string(os.PathListSeparator)))

	hookRepo := pc.copyRepo(t)
	pc.git(t, hookRepo, "init", "-q")
	pc.git(t, hookRepo, "add", "-A")
	pc.git(t, hookRepo, "commit", "-q", "-m", "azagen")
	rev := strings.TrimSpace(pc.git(t, hookRepo, "rev-parse", "HEAD"))
	cfg := map[string]any{"repos": []any{map[string]any{
		"repo":  hookRepo,
		"rev":   rev,
		"hooks": []any{map[string]any{"id": "azagen-render"}, map[string]any{"id": "azagen-check"}},
	}}}
	work := pc.workRepo(t, cfg, false)
	// Render with the azagen pre-commit built (the tree may have moved since this test built
	// its own), and commit the result as the clean state.
	pc.runAny(t, work, "run", "azagen-render", "--all-files")
	pc.git(t, work, "add", "-A")
	pc.git(t, work, "commit", "-q", "--allow-empty", "-m", "rendered by the hook")
	pc.run(t, 0, work, "run", "--all-files")
	pc.makeDrift(t, work)
	out := pc.run(t, 1, work, "run", "azagen-check", "--all-files")
	if !strings.Contains(out, "changed:  generated/stacks/single/compose.yaml") {
		t.Errorf("check hook output:\n%s", out)
	}
	pc.run(t, 1, work, "run", "azagen-render", "--all-files")
	pc.run(t, 0, work, "run", "--all-files")
}

func slicesWithout(list []string, drop string) []string {
	var out []string
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

// preCommitEnv holds what every pre-commit run of the test shares.
type preCommitEnv struct {
	preCommit, gitBin string
	// bin holds the azagen built from this tree.
	bin string
	// isolate prefixes commands to cut them off the network; empty when that is not possible.
	isolate []string
	env     []string
	// driftFiles are the files makeDrift edits: a generated file and a docs file.
	driftFiles []string
}

func newPreCommitEnv(t *testing.T, preCommit, git string) *preCommitEnv {
	t.Helper()
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "azagen"), "./cmd/azagen")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/azagen: %v\n%s", err, out)
	}
	home := t.TempDir()
	pc := &preCommitEnv{
		preCommit: preCommit,
		gitBin:    git,
		bin:       bin,
		env: append(os.Environ(),
			"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
			"PRE_COMMIT_HOME="+filepath.Join(home, "pre-commit"),
			"HOME="+home,
			"AZAGEN_CACHE=off",
			// No module downloads, whatever happens: the system hooks must not need any.
			"GOPROXY=off",
			"GIT_AUTHOR_NAME=azagen test", "GIT_AUTHOR_EMAIL=test@azagen.invalid",
			"GIT_COMMITTER_NAME=azagen test", "GIT_COMMITTER_EMAIL=test@azagen.invalid",
			"GIT_CONFIG_NOSYSTEM=1",
		),
	}
	if os.Geteuid() == 0 {
		if unshare, err := exec.LookPath("unshare"); err == nil && exec.Command(unshare, "-n", "true").Run() == nil {
			pc.isolate = []string{unshare, "-n"}
		}
	}
	if pc.isolate == nil {
		t.Log("not root (or unshare -n unavailable): pre-commit runs with GOPROXY=off but without a network namespace")
	}
	return pc
}

// run runs pre-commit in dir, cut off the network, and checks its exit code.
func (pc *preCommitEnv) run(t *testing.T, want int, dir string, args ...string) string {
	t.Helper()
	argv := append(append(append([]string{}, pc.isolate...), pc.preCommit), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = pc.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		t.Fatalf("pre-commit %s: %v", strings.Join(args, " "), err)
	}
	if got != want {
		t.Fatalf("pre-commit %s exited %d, want %d:\n%s", strings.Join(args, " "), got, want, out.String())
	}
	return out.String()
}

// runAny runs pre-commit where both outcomes are fine (a fixer that may or may not have work).
func (pc *preCommitEnv) runAny(t *testing.T, dir string, args ...string) {
	t.Helper()
	argv := append(append(append([]string{}, pc.isolate...), pc.preCommit), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = pc.env
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && (!errors.As(err, &ee) || ee.ExitCode() != 1) {
		t.Fatalf("pre-commit %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (pc *preCommitEnv) git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(pc.gitBin, args...)
	cmd.Dir = dir
	cmd.Env = pc.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// workRepo creates a git repository holding a copy of this repository's files (tracked and
// new, not ignored ones), with prerender brings generated/ and the docs tables up to date with
// the azagen under test, adds the pre-commit config and commits everything.
func (pc *preCommitEnv) workRepo(t *testing.T, cfg map[string]any, prerender bool) string {
	t.Helper()
	work := pc.copyRepo(t)
	if prerender {
		// The copy may hold someone's unrendered edit; the hooks are tested from a rendered
		// tree.
		render := exec.Command(filepath.Join(pc.bin, "azagen"), "render")
		render.Dir = work
		render.Env = pc.env
		if out, err := render.CombinedOutput(); err != nil {
			t.Fatalf("azagen render in the copy: %v\n%s", err, out)
		}
	}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(work, ".pre-commit-config.yaml"), data)
	pc.git(t, work, "init", "-q")
	pc.git(t, work, "add", "-A")
	pc.git(t, work, "commit", "-q", "-m", "rendered")

	pc.driftFiles = []string{"generated/stacks/single/compose.yaml", firstDocsBlockFile(t, work)}
	return work
}

// copyRepo copies this repository's files (tracked and new, not ignored ones) into a new
// directory.
func (pc *preCommitEnv) copyRepo(t *testing.T) string {
	t.Helper()
	work := t.TempDir()
	list := exec.Command(pc.gitBin, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	list.Dir = repoRoot
	names, err := list.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(names), "\x00"), "\x00") {
		src := filepath.Join(repoRoot, name)
		info, err := os.Lstat(src)
		if err != nil || !info.Mode().IsRegular() {
			continue // deleted in the work tree, or not a plain file
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(work, name), data)
		if err := os.Chmod(filepath.Join(work, name), info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return work
}

// makeDrift hand-edits a generated file and the inside of a docs table, the two kinds of drift
// the hooks guard.
func (pc *preCommitEnv) makeDrift(t *testing.T, work string) {
	t.Helper()
	compose := filepath.Join(work, pc.driftFiles[0])
	data, err := os.ReadFile(compose)
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, compose, append(data, "# edited by hand\n"...))
	doc := filepath.Join(work, pc.driftFiles[1])
	data, err = os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte("<!-- END azagen:"))
	edited := append(append(append([]byte{}, data[:i]...), "| edited | by hand |\n"...), data[i:]...)
	writeTestFile(t, doc, edited)
}

// firstDocsBlockFile returns a docs file of the copy that has a table block.
func firstDocsBlockFile(t *testing.T, work string) string {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(work, "docs", "*.md"))
	for _, m := range matches {
		data, err := os.ReadFile(m)
		if err == nil && bytes.Contains(data, []byte("<!-- END azagen:")) {
			rel, _ := filepath.Rel(work, m)
			return filepath.ToSlash(rel)
		}
	}
	t.Fatal("no docs file with an azagen table")
	return ""
}

// publishedHooks reads .pre-commit-hooks.yaml, by hook id.
func publishedHooks(t *testing.T) map[string]map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, ".pre-commit-hooks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	if err := yaml.Unmarshal(data, &list); err != nil {
		t.Fatalf(".pre-commit-hooks.yaml: %v", err)
	}
	out := map[string]map[string]any{}
	for _, h := range list {
		out[h["id"].(string)] = h
	}
	return out
}

func writeTestFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func snapshotFiles(t *testing.T, root string, rels ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range rels {
		data, err := os.ReadFile(filepath.Join(root, r))
		if err != nil {
			t.Fatal(err)
		}
		out[r] = string(data)
	}
	return out
}

func equalSnapshots(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// regexpLine reports whether a line of out starts with prefix and ends with suffix: pre-commit
// pads hook names with dots up to its status word.
func regexpLine(out, prefix, suffix string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) && strings.HasSuffix(strings.TrimSpace(l), suffix) {
			return true
		}
	}
	return false
}
