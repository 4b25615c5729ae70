package k8s_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/render/k8s"
	"github.com/azagen/azagen/internal/testing/corpus"
)

// Paths are absolute because the corpus test changes into temporary
// directories.
var (
	repoRoot   = mustAbs("../../..")
	repoStacks = filepath.Join(repoRoot, "stacks.cue")
	toolDir    = filepath.Join(repoRoot, "tools", "k8svalidate")
)

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return a
}

var update = os.Getenv("AZAGEN_UPDATE") == "1"

var (
	buildOnce sync.Once
	toolPath  string
	buildErr  error
)

// validator builds tools/k8svalidate (its own module) once per test binary.
// It never skips: the module proxy or the module cache must provide its
// dependencies, in CI and here.
func validator(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "k8svalidate")
		if err != nil {
			buildErr = err
			return
		}
		toolPath = filepath.Join(dir, "k8svalidate")
		cmd := exec.Command("go", "build", "-o", toolPath, ".")
		cmd.Dir = toolDir
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build tools/k8svalidate: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return toolPath
}

type finding struct {
	Field, Type, Detail string
}

type report struct {
	File       string    `json:"file"`
	Index      int       `json:"index"`
	APIVersion string    `json:"apiVersion"`
	Kind       string    `json:"kind"`
	Name       string    `json:"name"`
	Errors     []finding `json:"errors"`
}

// validate runs the validator over files and returns its reports.
func validate(t *testing.T, files ...string) []report {
	t.Helper()
	args := append([]string{"-crds", filepath.Join(toolDir, "crds")}, files...)
	cmd := exec.Command(validator(t), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		t.Fatalf("k8svalidate: %v\n%s", err, stderr.String())
	}
	var reports []report
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r report
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("k8svalidate output %q: %v", sc.Text(), err)
		}
		reports = append(reports, r)
	}
	return reports
}

// TestGeneratedManifestsValid validates every committed manifest under
// generated/k8s against the pinned CRDs, in-process, the way the API server
// would on create.
func TestGeneratedManifestsValid(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "generated", "k8s", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no manifests under generated/k8s")
	}
	reports := validate(t, files...)
	kinds := map[string]int{}
	for _, r := range reports {
		kinds[r.Kind]++
		for _, e := range r.Errors {
			t.Errorf("%s %s/%s: %s: %s", filepath.Base(r.File), r.Kind, r.Name, e.Field, e.Detail)
		}
	}
	for _, k := range []string{"Cluster", "ImageCatalog", "Pooler", "PodMonitor", "ConfigMap", "Secret"} {
		if kinds[k] == 0 {
			t.Errorf("no %s was validated; kinds seen: %v", k, kinds)
		}
	}
}

// brokenCase is one archive of testdata/broken: an edit of the repository's
// stacks.cue that azagen must refuse, the same value set on the decoded
// model to render the raw object (raw: "CUE path = JSON value" lines), and
// the object and field the validator must refuse (k8s: "file kind field").
type brokenCase struct {
	archive *txtar.Archive
	edit    []byte
	want    string
	raw     []byte
	file    string
	kind    string
	field   string
}

func readBroken(t *testing.T, path string) brokenCase {
	t.Helper()
	a, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := brokenCase{archive: a}
	for _, f := range a.Files {
		switch f.Name {
		case corpus.EditSection:
			c.edit = f.Data
		case "want":
			c.want = string(f.Data)
		case "raw":
			c.raw = f.Data
		case "k8s":
			parts := strings.Fields(string(f.Data))
			if len(parts) != 3 {
				t.Fatalf("%s: k8s section wants \"file kind field\", got %q", path, f.Data)
			}
			c.file, c.kind, c.field = parts[0], parts[1], parts[2]
		default:
			t.Fatalf("%s: unexpected section %q", path, f.Name)
		}
	}
	if c.edit == nil || c.raw == nil || c.file == "" {
		t.Fatalf("%s: needs edit, raw and k8s sections", path)
	}
	if strings.TrimSpace(string(a.Comment)) == "" {
		t.Fatalf("%s: say in the comment what the case is about", path)
	}
	return c
}

// TestBrokenCorpus proves, for every broken input, that azagen refuses it
// with a position in stacks.cue, that the validator refuses the object
// azagen would have rendered from the same value, and that both name the
// same thing: the field the validator rejects comes from the CUE path
// azagen's diagnostic points at.
func TestBrokenCorpus(t *testing.T) {
	corpus.Run(t, "testdata/broken/*.txtar", 15, repoStacks, func(t *testing.T, abs string, base []byte) {
		c := readBroken(t, abs)

		// azagen refuses the edited source, with a position.
		dir := t.TempDir()
		edited, err := corpus.ApplyEdits(base, c.edit)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "stacks.cue"), edited, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Chdir(dir)
		res, err := compile.Compile(context.Background(), []string{"stacks.cue"})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Diags.HasErrors() || res.Output != nil {
			t.Fatalf("azagen accepted the broken input:\n%s", res.Diags)
		}
		got := res.Diags.String()
		if update {
			setWant(t, abs, c.archive, got)
		} else if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("diagnostics differ (-want +got):\n%s", diff)
		}
		first := res.Diags[0]
		if first.Pos.File != "stacks.cue" || first.Pos.Line <= 0 {
			t.Errorf("diagnostic %s has no position in stacks.cue", first)
		}

		// The raw object: the same value on the model of the valid
		// source, rendered without azagen's checks.
		obj, files := renderRaw(t, c)
		reports := validate(t, files...)
		var fields []string
		for _, r := range reports {
			if r.Kind != c.kind || filepath.Base(r.File) != c.file || r.Name != obj.Name {
				continue
			}
			for _, e := range r.Errors {
				fields = append(fields, e.Field+": "+e.Detail)
			}
		}
		hit := slices.IndexFunc(fields, func(f string) bool {
			return f == c.field || strings.HasPrefix(f, c.field+": ") || strings.HasPrefix(f, c.field+"[") || strings.HasPrefix(f, c.field+".")
		})
		if hit < 0 {
			t.Fatalf("the validator did not refuse %s of %s %s; its findings: %q", c.field, c.kind, obj.Name, fields)
		}
		t.Logf("azagen: %s\nvalidator: %s", first, fields[hit])
		origin, ok := obj.Origins[c.field]
		if !ok {
			t.Fatalf("the renderer records no source path for %s of %s; origins: %v", c.field, c.kind, obj.Origins)
		}
		if origin != first.Path {
			t.Errorf("azagen points at %s, but %s of the rendered %s comes from %s", first.Path, c.field, c.kind, origin)
		}
	})
}

func setWant(t *testing.T, path string, a *txtar.Archive, want string) {
	t.Helper()
	for i := range a.Files {
		if a.Files[i].Name == "want" {
			a.Files[i].Data = []byte(want)
		}
	}
	if err := os.WriteFile(path, txtar.Format(a), 0o644); err != nil {
		t.Fatal(err)
	}
}

// renderRaw loads the repository's source, sets the case's raw values on the
// model, renders the stack named by the first raw path and writes its
// manifests to a temporary directory. It returns the object the case
// expects the validator to refuse and the written files.
func renderRaw(t *testing.T, c brokenCase) (k8s.Object, []string) {
	t.Helper()
	dir := t.TempDir()
	cfg := repoModel(t)
	var stack string
	for _, line := range strings.Split(string(c.raw), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		path, value, ok := strings.Cut(line, " = ")
		if !ok {
			t.Fatalf("raw line %q: want \"path = json\"", line)
		}
		labels := splitPath(path)
		if stack == "" && len(labels) > 1 && labels[0] == "stacks" {
			stack = labels[1]
		}
		if err := setPath(reflect.ValueOf(cfg), labels, value); err != nil {
			t.Fatalf("raw %q: %v", line, err)
		}
	}
	if stack == "" {
		stack = "primary"
	}
	st := cfg.Stacks[stack]
	r, err := k8s.Render(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	files, err := r.Files()
	if err != nil {
		t.Fatal(err)
	}
	var written []string
	for _, f := range files {
		if !strings.HasSuffix(f.Path, ".yaml") {
			continue
		}
		w := filepath.Join(dir, filepath.Base(f.Path))
		if err := os.WriteFile(w, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		written = append(written, w)
	}
	for _, o := range r.Objects {
		if o.Kind == c.kind && filepath.Base(o.File) == c.file {
			return o, written
		}
	}
	t.Fatalf("the raw render has no %s in %s", c.kind, c.file)
	return k8s.Object{}, nil
}

// splitPath splits a CUE path on dots outside quotes.
func splitPath(p string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range p {
		switch {
		case r == '"':
			quoted = !quoted
		case r == '.' && !quoted:
			out = append(out, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteRune(r)
	}
	out = append(out, cur.String())
	for i, l := range out {
		if u, err := strconv.Unquote(l); err == nil {
			out[i] = u
		}
	}
	return out
}

// setPath follows labels through the model by json tags and map keys and
// sets the last one to the JSON value.
func setPath(v reflect.Value, labels []string, value string) error {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	if len(labels) == 0 {
		return json.Unmarshal([]byte(value), v.Addr().Interface())
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			if tag == labels[0] {
				return setPath(v.Field(i), labels[1:], value)
			}
		}
		return fmt.Errorf("no field %q in %s", labels[0], v.Type())
	case reflect.Map:
		e := v.MapIndex(reflect.ValueOf(labels[0]))
		if !e.IsValid() {
			return fmt.Errorf("no key %q", labels[0])
		}
		if e.Kind() != reflect.Pointer {
			return fmt.Errorf("map value %s is not a pointer", e.Type())
		}
		return setPath(e, labels[1:], value)
	}
	return fmt.Errorf("cannot descend into %s", v.Type())
}
