// Package repotest compiles the repository's own stacks.cue for tests, so
// test packages need neither a relative path to it nor a copy of the same
// helper.
package repotest

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/azagen/azagen/internal/compile"
)

// Root is the repository root, found from this source file's location.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Stacks is the repository's stacks.cue.
func Stacks() string { return filepath.Join(Root(), "stacks.cue") }

// Compile compiles the repository's stacks.cue with the given overlays and
// fails the test unless it is valid.
func Compile(t testing.TB, overlays ...string) *compile.Result {
	t.Helper()
	res, err := compile.Compile(context.Background(), append([]string{Stacks()}, overlays...))
	if err != nil {
		t.Fatal(err)
	}
	if res.Diags.HasErrors() {
		t.Fatalf("stacks.cue does not compile:\n%v", res.Diags)
	}
	return res
}

// WriteFile writes data to p, creating its directory.
func WriteFile(t testing.TB, p, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
