package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"
	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/azagen/azagen/internal/testing/corpus"
)

// repoStacks is the repository's stacks.cue, relative to this package. The
// scripts work on a copy of it so they never go stale.
const repoStacks = "../../stacks.cue"

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"azagen": func() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs testdata/script/*.txtar. Every script starts in a work
// directory holding a copy of the repository's stacks.cue (unless the
// script brings its own). AZAGEN_UPDATE=1 rewrites the scripts' cmp files.
func TestScripts(t *testing.T) {
	stacks, err := os.ReadFile(repoStacks)
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("AZAGEN_UPDATE") == "1",
		Setup: func(env *testscript.Env) error {
			// The versions `azagen version` reports, for cmpenv.
			v := currentVersion()
			env.Setenv("AZAGEN_VERSION", v.Azagen)
			env.Setenv("GO_VERSION", v.Go)
			env.Setenv("CUE_VERSION", v.CUE)
			env.Setenv("COMPOSE_GO_VERSION", v.ComposeGo)
			p := filepath.Join(env.WorkDir, "stacks.cue")
			if _, err := os.Stat(p); err == nil {
				return nil
			}
			return os.WriteFile(p, stacks, 0o644)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":      cmdExits,
			"snapshot":   cmdSnapshot,
			"cue-delete": cmdCueDelete,
			"append":     cmdAppend,
		},
	})
}

// cmdExits runs a program and asserts its exact exit code, which `exec` and
// `! exec` cannot: azagen's exit codes 1, 2 and 3 mean different things.
//
//	exits code program [args...]
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! exits")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exits code program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad exit code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// cmdSnapshot writes a listing of every file under dir (path, mode, size,
// sha256), so that two snapshots compared with cmp prove a command changed
// nothing there, byte for byte, and created nothing.
//
//	snapshot dir file
func cmdSnapshot(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: snapshot dir file")
	}
	listing, err := snapshot(ts.MkAbs(args[0]))
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(listing), 0o644))
}

func snapshot(root string) (string, error) {
	var b strings.Builder
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			fmt.Fprintf(&b, "%s/ %v\n", filepath.ToSlash(rel), info.Mode())
		case d.Type().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			fmt.Fprintf(&b, "%s %v %d %s\n", filepath.ToSlash(rel), info.Mode(), len(data), hex.EncodeToString(sum[:]))
		default:
			fmt.Fprintf(&b, "%s %v\n", filepath.ToSlash(rel), info.Mode())
		}
		return nil
	})
	return b.String(), err
}

// cmdAppend appends the contents of src to dst, as `cat src >> dst` would:
// scripts use it to add a block to their copy of stacks.cue.
//
//	append dst src
func cmdAppend(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: append dst src")
	}
	f, err := os.OpenFile(ts.MkAbs(args[0]), os.O_APPEND|os.O_WRONLY, 0)
	ts.Check(err)
	_, err = f.WriteString(ts.ReadFile(args[1]))
	ts.Check(err)
	ts.Check(f.Close())
}

// cmdCueDelete removes a field from a CUE file, wherever the path is
// declared, and fails when it is declared nowhere. Scripts use it to take a
// service or a stack out of their copy of stacks.cue, which an overlay
// cannot do.
//
//	cue-delete file label.path
func cmdCueDelete(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: cue-delete file label.path")
	}
	file := ts.MkAbs(args[0])
	src, err := os.ReadFile(file)
	ts.Check(err)
	out, err := deleteCUEField(file, src, strings.Split(args[1], "."))
	ts.Check(err)
	ts.Check(os.WriteFile(file, out, 0o644))
}

func deleteCUEField(name string, src []byte, path []string) ([]byte, error) {
	f, err := parser.ParseFile(name, src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	var n int
	f.Decls, n = deleteIn(f.Decls, path)
	if n == 0 {
		return nil, fmt.Errorf("%s: no field %s", name, strings.Join(path, "."))
	}
	return format.Node(f)
}

// deleteIn removes the field at path from decls, following nested structs
// (including `a: b: {}` shorthand and the operands of `&`).
func deleteIn(decls []ast.Decl, path []string) ([]ast.Decl, int) {
	n := 0
	out := decls[:0]
	for _, d := range decls {
		f, ok := d.(*ast.Field)
		if !ok {
			out = append(out, d)
			continue
		}
		label, _, err := ast.LabelName(f.Label)
		if err != nil || label != path[0] {
			out = append(out, d)
			continue
		}
		if len(path) == 1 {
			n++
			continue
		}
		n += deleteInExpr(f.Value, path[1:])
		out = append(out, d)
	}
	return out, n
}

func deleteInExpr(e ast.Expr, path []string) int {
	switch x := e.(type) {
	case *ast.StructLit:
		var n int
		x.Elts, n = deleteIn(x.Elts, path)
		return n
	case *ast.BinaryExpr:
		return deleteInExpr(x.X, path) + deleteInExpr(x.Y, path)
	case *ast.ParenExpr:
		return deleteInExpr(x.X, path)
	}
	return 0
}

// TestInvalidCorpusWritesNothing runs `azagen render` and `azagen check` on
// every case of the invalid-input corpus over an output directory rendered
// from the valid stacks.cue, and asserts the exit code 2, the diagnostics on
// stderr (the corpus's want plus the summary line) and that the directory is
// unchanged byte for byte, with no new file.
func TestInvalidCorpusWritesNothing(t *testing.T) {
	archives, err := filepath.Glob("../../internal/compile/testdata/invalid/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(archives) == 0 {
		t.Fatal("no invalid-input corpus")
	}
	for i, a := range archives {
		if archives[i], err = filepath.Abs(a); err != nil {
			t.Fatal(err)
		}
	}
	base, err := os.ReadFile(repoStacks)
	if err != nil {
		t.Fatal(err)
	}
	// The output directory as a previous, valid render left it, plus a file
	// azagen does not own; each case starts from a copy.
	valid := t.TempDir()
	must(t, os.WriteFile(filepath.Join(valid, "stacks.cue"), base, 0o644))
	if code, _, stderr := runCLI(t, "render", "--file", filepath.Join(valid, "stacks.cue")); code != 0 {
		t.Fatalf("render of the valid stacks.cue exited %d:\n%s", code, stderr)
	}
	must(t, os.WriteFile(filepath.Join(valid, "generated", "NOTES.md"), []byte("hand-written\n"), 0o644))
	for _, archive := range archives {
		name := strings.TrimSuffix(filepath.Base(archive), ".txtar")
		t.Run(name, func(t *testing.T) {
			a, err := txtar.ParseFile(archive)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			t.Chdir(dir)
			must(t, os.CopyFS("generated", os.DirFS(filepath.Join(valid, "generated"))))
			must(t, os.WriteFile("stacks.cue", base, 0o644))
			var overlays []string
			var want string
			for _, f := range a.Files {
				switch {
				case f.Name == "want":
					want = string(f.Data)
				case f.Name == "stacks.cue":
					must(t, os.WriteFile(f.Name, f.Data, 0o644))
				case f.Name == corpus.EditSection:
					edited, err := corpus.ApplyEdits(base, f.Data)
					must(t, err)
					must(t, os.WriteFile("stacks.cue", edited, 0o644))
				case strings.HasSuffix(f.Name, ".cue"):
					must(t, os.WriteFile(f.Name, f.Data, 0o644))
					overlays = append(overlays, "--overlay", f.Name)
				}
			}
			before, err := snapshot("generated")
			if err != nil {
				t.Fatal(err)
			}
			for _, cmd := range []string{"render", "check"} {
				code, stdout, stderr := runCLI(t, append([]string{cmd}, overlays...)...)
				if code != exitInvalid {
					t.Errorf("azagen %s exited %d, want %d; stderr:\n%s", cmd, code, exitInvalid, stderr)
				}
				if stdout != "" {
					t.Errorf("azagen %s wrote to stdout:\n%s", cmd, stdout)
				}
				n := strings.Count(want, ": error: ")
				wantErr := want + fmt.Sprintf("azagen: %d error(s); nothing was written\n", n)
				if diff := cmp.Diff(wantErr, stderr); diff != "" {
					t.Errorf("azagen %s stderr differs from the corpus (-want +got):\n%s", cmd, diff)
				}
				after, err := snapshot("generated")
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(before, after); diff != "" {
					t.Fatalf("azagen %s on an invalid input changed the output directory (-before +after):\n%s", cmd, diff)
				}
			}
		})
	}
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestExitCodesDocumented keeps --help and the constants in step.
func TestExitCodesDocumented(t *testing.T) {
	code, stdout, stderr := runCLI(t, "--help")
	if code != exitOK {
		t.Fatalf("--help exited %d: %s", code, stderr)
	}
	for _, c := range []int{exitOK, exitDrift, exitInvalid, exitError} {
		if !strings.Contains(stdout, fmt.Sprintf("\n  %d  ", c)) {
			t.Errorf("--help does not document exit code %d:\n%s", c, stdout)
		}
	}
}

// TestDeleteCUEField covers the script helper itself.
func TestDeleteCUEField(t *testing.T) {
	src := []byte(`package azagen

stacks: primary: {
	name: "p"
	services: {
		a: {kind: "postgres"}
		b: x & {kind: "pgbouncer"}
	}
}
stacks: single: name: "s"
`)
	out, err := deleteCUEField("t.cue", src, []string{"stacks", "primary", "services", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("pgbouncer")) || !bytes.Contains(out, []byte(`a: {kind: "postgres"}`)) {
		t.Errorf("deleting services.b:\n%s", out)
	}
	out, err = deleteCUEField("t.cue", src, []string{"stacks", "single"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte(`"s"`)) || !bytes.Contains(out, []byte(`name: "p"`)) {
		t.Errorf("deleting stacks.single:\n%s", out)
	}
	if _, err := deleteCUEField("t.cue", src, []string{"stacks", "nope"}); err == nil {
		t.Error("deleting a field that does not exist succeeded")
	}
}
