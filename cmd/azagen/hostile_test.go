package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// hostileCase is an input built to be invalid in an odd way. main replaces
// stacks.cue when set; overlay is added with --overlay when set.
type hostileCase struct {
	name    string
	main    []byte
	overlay []byte
	args    []string
	// subprocess runs the case in its own azagen process.
	subprocess bool
}

// hostileCases builds the corpus in code: some inputs are megabytes large
// or random, which does not belong in the repository as files.
func hostileCases(repo []byte) []hostileCase {
	var cs []hostileCase
	add := func(name string, main, overlay []byte) {
		cs = append(cs, hostileCase{name: name, main: main, overlay: overlay})
	}
	ov := func(name, src string) { add(name, nil, []byte(src)) }

	// Empty and near-empty sources.
	add("empty file", []byte{}, nil)
	add("only a package clause", []byte("package azagen\n"), nil)
	add("only whitespace", []byte("\n\n   \t\n"), nil)
	add("only a comment", []byte("// nothing here\n"), nil)

	// Binary garbage, deterministic per seed.
	for seed := range 8 {
		r := rand.New(rand.NewPCG(uint64(seed), 7))
		b := make([]byte, 64<<seed)
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		ov(fmt.Sprintf("binary garbage %d bytes", len(b)), string(b))
	}
	ov("NUL bytes", "package azagen\n\x00\x00\x00")
	ov("invalid UTF-8", "package azagen\nstacks: \xff\xfe: {}\n")

	// Byte order marks and line endings.
	ov("BOM then a typo", "\ufeffpackage azagen\nstack: {}\n")
	ov("BOM in the middle", "package azagen\n\ufeffstacks: {}\n")
	add("CRLF stacks.cue with an error", []byte(strings.ReplaceAll(string(repo), "\n", "\r\n")+"\r\nroles: postgres: superuser: false\r\n"), nil)
	ov("CRLF overlay", "package azagen\r\nstacks: primary: services: postgres: ports: [{container: 5432, host: 70000}]\r\n")
	ov("CR only line endings", "package azagen\rstack: {}\r")
	ov("mixed line endings", "package azagen\r\n\nstacks: single: name: \"Bad Name\"\r\n")

	// Unicode.
	ov("unicode stack key", "package azagen\nstacks: \"prímary\": {name: \"x\"}\n")
	ov("unicode service key", "package azagen\nstacks: single: services: \"pöstgres\": {}\n")
	ov("unicode in a port", "package azagen\nstacks: single: services: postgres: ports: [{container: 5432, host: \"５４３２\"}]\n")
	ov("right-to-left override in a name", "package azagen\nstacks: single: name: \"aza\u202epg\"\n")
	ov("emoji image name", "package azagen\nstacks: single: services: postgres: image: name: \"🐘/postgres\"\n")
	ov("zero-width space in a role", "package azagen\nroles: \"post\u200bgres\": {password_var: \"X\"}\n")

	// Duplicate keys and contradictions.
	ov("duplicate key with two values", "package azagen\nroles: postgres: superuser: true\nroles: postgres: superuser: false\n")
	ov("overlay contradicts a port", "package azagen\nstacks: single: services: postgres: ports: [{container: 5432, host: 5999}]\n")
	ov("overlay contradicts a name", "package azagen\nstacks: primary: name: \"other\"\n")
	ov("overlay contradicts an image digest", "package azagen\nstacks: primary: services: pgbouncer: image: digest: \"sha256:"+strings.Repeat("0", 64)+"\"\n")
	ov("overlay changes a role's variable", "package azagen\nroles: replicator: password_var: \"OTHER_PASSWORD\"\n")
	ov("overlay adds an undeclared network", "package azagen\nstacks: single: services: postgres: networks: [\"postgres_net\", \"ghost\"]\n")

	// Imports and packages.
	ov("import of an unknown module", "package azagen\nimport \"example.com/evil\"\nx: evil.y\n")
	ov("import of a relative path", "package azagen\nimport \"./other\"\n")
	ov("import of a builtin that does not exist", "package azagen\nimport \"nosuchpkg\"\n_x: nosuchpkg.Y\n")
	ov("another package", "package evil\nstacks: {}\n")
	ov("package with a typo", "package azagenn\n")

	// Syntax.
	ov("unterminated string", "package azagen\nstacks: single: name: \"abc\n")
	ov("unbalanced braces", "package azagen\nstacks: { single: {\n")
	ov("stray closing brace", "package azagen\n}\n")
	ov("YAML instead of CUE", "package azagen\nstacks:\n  - single\n  - primary: [a, b\n")
	ov("JSON with trailing commas", "{\"stacks\": {\"single\": {\"name\": 3,},},}\n")
	ov("reference to an undefined field", "package azagen\nstacks: single: name: undefinedThing\n")
	ov("structural cycle", "package azagen\n_a: {x: _a}\nstacks: single: description: _a\n")
	ov("interpolation of a non-string", "package azagen\nstacks: single: name: \"\\(stacks)\"\n")
	ov("division by zero", "package azagen\nstacks: single: services: postgres: resources: cpus: 1 / 0\n")

	// Size and depth.
	deep := func(n int) string {
		return "package azagen\n_deep: " + strings.Repeat("{a: ", n) + "1" + strings.Repeat("}", n) + "\nstacks: single: name: 42\n"
	}
	ov("nesting 1000 deep", deep(1000))
	ov("nesting 20000 deep", deep(20000))
	var big strings.Builder
	big.WriteString("package azagen\n")
	for i := range 200000 {
		if big.Len() > 1<<20 {
			break
		}
		fmt.Fprintf(&big, "_f%d: %d\n", i, i)
	}
	big.WriteString("stacks: single: name: 42\n")
	ov("fields beyond the size limit", big.String())
	var fields strings.Builder
	fields.WriteString("package azagen\n")
	for i := range 5000 {
		fmt.Fprintf(&fields, "_g%d: %d\n", i, i)
	}
	fields.WriteString("stacks: single: name: 42\n")
	ov("5000 fields then an error", fields.String())
	ov("one 4 MB string", "package azagen\nstacks: single: description: \""+strings.Repeat("x", 4<<20)+"\"\nstacks: single: name: 42\n")
	ov("a 1 MB line of whitespace", "package azagen\n"+strings.Repeat(" ", 1<<20)+"stack: {}\n")
	ov("many errors at once", strings.Repeat("package azagen\n", 1)+strings.Repeat("stacks: single: name: 1\n", 500))
	ov("huge integer", "package azagen\nstacks: single: services: postgres: ports: [{container: 5432, host: 123456789012345678901234567890}]\n")
	ov("negative resources", "package azagen\nstacks: single: services: postgres: resources: pids: -1\n")
	// Unbounded work from a few bytes: refused once the budget is spent.
	cs = append(cs, hostileCase{name: "list.Range over 10^9 items",
		overlay: []byte("package azagen\nimport \"list\"\n_x: list.Range(0, 1000000000, 1)\n"),
		args:    []string{"--timeout", "2s"}, subprocess: true})
	return cs
}

var positioned = regexp.MustCompile(`^[^\s:][^:]*:\d+:\d+: error: `)

// TestHostileInputs feeds every hostile case to render over a valid output
// directory: each must exit 2 with every error positioned file:line:col,
// and leave the directory byte-for-byte as it was.
func TestHostileInputs(t *testing.T) {
	repo, err := os.ReadFile(repoStacks)
	if err != nil {
		t.Fatal(err)
	}
	cases := hostileCases(repo)
	if len(cases) < 50 {
		t.Fatalf("only %d hostile cases, want at least 50", len(cases))
	}
	valid := t.TempDir()
	must(t, os.WriteFile(filepath.Join(valid, "stacks.cue"), repo, 0o644))
	if code, _, stderr := runCLI(t, "render", "--no-cache", "--file", filepath.Join(valid, "stacks.cue")); code != 0 {
		t.Fatalf("valid render exited %d:\n%s", code, stderr)
	}
	before := snapshotTree(t, filepath.Join(valid, "generated"))
	bin := sync.OnceValue(func() string { return buildAzagen(t) })
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			main := filepath.Join(valid, "stacks.cue")
			args := []string{"render", "--no-cache", "--out", filepath.Join(valid, "generated")}
			if c.main != nil {
				main = filepath.Join(t.TempDir(), "stacks.cue")
				must(t, os.WriteFile(main, c.main, 0o644))
			}
			args = append(args, "--file", main)
			args = append(args, c.args...)
			if c.overlay != nil {
				ov := filepath.Join(t.TempDir(), "overlay.cue")
				must(t, os.WriteFile(ov, c.overlay, 0o644))
				args = append(args, "--overlay", ov)
			}
			var code int
			var stderr string
			if c.subprocess {
				// The evaluation this case abandons keeps running until its
				// process exits: give it a process of its own.
				cmd := exec.Command(bin(), args...)
				out, err := cmd.CombinedOutput()
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					code = ee.ExitCode()
				}
				stderr = string(out)
			} else {
				code, _, stderr = runCLI(t, args...)
			}
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d:\n%.2000s", code, exitInvalid, stderr)
			}
			errors := 0
			for _, line := range strings.Split(stderr, "\n") {
				if strings.Contains(line, ": error: ") {
					errors++
					if !positioned.MatchString(line) {
						t.Errorf("error without file:line:col: %.300s", line)
					}
				}
			}
			if errors == 0 {
				t.Fatalf("no error reported:\n%.2000s", stderr)
			}
			after := snapshotTree(t, filepath.Join(valid, "generated"))
			if len(after) != len(before) {
				t.Fatalf("output directory has %d files, had %d", len(after), len(before))
			}
			for p, h := range before {
				if after[p] != h {
					t.Fatalf("%s changed", p)
				}
			}
		})
	}
}
