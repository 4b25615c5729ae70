package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"golang.org/x/tools/txtar"
)

// scriptMarker introduces a documented example that a testscript runs: the
// fenced block right after it is the named file of the named script.
var scriptMarker = regexp.MustCompile(`^<!-- script: ([a-z0-9_]+\.txtar) (\S+) -->$`)

// TestDocExamples holds every documented example marked
// <!-- script: NAME.txtar FILE --> byte for byte equal to FILE in
// testdata/script/NAME.txtar, which runs it: the docs show what actually
// works and the messages it really prints. AZAGEN_UPDATE=1 copies the
// scripts' files into the docs.
func TestDocExamples(t *testing.T) {
	pages, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, page := range append([]string{"../../README.md"}, pages...) {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		out, n, err := syncExamples(string(data), func(script, file string) (string, error) {
			ar, err := txtar.ParseFile(filepath.Join("testdata", "script", script))
			if err != nil {
				return "", err
			}
			for _, f := range ar.Files {
				if f.Name == file {
					return string(f.Data), nil
				}
			}
			return "", fmt.Errorf("%s has no file %s", script, file)
		})
		if err != nil {
			t.Errorf("%s: %v", page, err)
			continue
		}
		found += n
		if out == string(data) {
			continue
		}
		if os.Getenv("AZAGEN_UPDATE") == "1" {
			if err := os.WriteFile(page, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Errorf("%s: a documented example differs from the script that runs it; run AZAGEN_UPDATE=1 go test ./cmd/azagen -run 'TestScripts|TestDocExamples'", page)
	}
	if found == 0 {
		t.Fatal("no <!-- script: --> example in the docs: the marker or this test is broken")
	}
}

// syncExamples returns doc with every marked block replaced by the file
// lookup gives, and how many blocks there were. A marker not followed by a
// fenced block is an error.
func syncExamples(doc string, lookup func(script, file string) (string, error)) (string, int, error) {
	lines := strings.SplitAfter(doc, "\n")
	var b strings.Builder
	n := 0
	for i := 0; i < len(lines); i++ {
		b.WriteString(lines[i])
		m := scriptMarker.FindStringSubmatch(strings.TrimRight(lines[i], "\n"))
		if m == nil {
			continue
		}
		if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "```") {
			return "", 0, fmt.Errorf("line %d: %s is not followed by a fenced block", i+1, strings.TrimSpace(lines[i]))
		}
		end := i + 2
		for end < len(lines) && strings.TrimRight(lines[end], "\n") != "```" {
			end++
		}
		if end == len(lines) {
			return "", 0, fmt.Errorf("line %d: the fenced block is not closed", i+2)
		}
		want, err := lookup(m[1], m[2])
		if err != nil {
			return "", 0, fmt.Errorf("line %d: %v", i+1, err)
		}
		b.WriteString(lines[i+1])
		b.WriteString(want)
		b.WriteString(lines[end])
		i = end
		n++
	}
	return b.String(), n, nil
}

// TestCommandExamplesRun holds every line of every command's Example
// (azagen --help) to a line of testdata/script/examples.txtar that runs it
// as written and asserts its exit code, so the help shows what works.
func TestCommandExamplesRun(t *testing.T) {
	script, err := os.ReadFile(filepath.Join("testdata", "script", "examples.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	run := map[string]bool{}
	for _, line := range strings.Split(string(script), "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "exits" {
			run[strings.Join(f[2:], " ")] = true
		}
	}
	n := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, line := range strings.Split(c.Example, "\n") {
			line, _, _ = strings.Cut(line, "#")
			if f := strings.Fields(line); len(f) > 0 {
				n++
				if !run[strings.Join(f, " ")] {
					t.Errorf("%s: the example %q is not run by examples.txtar", c.CommandPath(), strings.Join(f, " "))
				}
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(&app{stdout: io.Discard, stderr: io.Discard}))
	if n < 10 {
		t.Fatalf("found %d examples, want the commands' 12 or more", n)
	}
}
