package envfile_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"
	"github.com/sirupsen/logrus"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/envfile"
	"github.com/azagen/azagen/internal/rules"
)

var update = os.Getenv("AZAGEN_UPDATE") == "1"

func TestMain(m *testing.M) {
	// compose-go warns on stderr about every unset variable the oracle
	// expands; the cases are about exactly those.
	logrus.SetOutput(io.Discard)
	os.Exit(m.Run())
}

// plainLine is a KEY=value line whose value is either quoted or bare, as an
// operator means it: the text between the outer quotes, or the bare text
// without blanks around it. It is deliberately simpler than compose's
// grammar: where the two disagree, the file does not say what reaches the
// container.
var plainLine = regexp.MustCompile(`^(?:export )?([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)

func meant(raw string) string {
	raw = strings.TrimSpace(raw)
	for _, q := range []string{"'", `"`} {
		if len(raw) >= 2 && strings.HasPrefix(raw, q) {
			if i := strings.LastIndex(raw, q); i > 0 {
				return raw[1:i]
			}
		}
	}
	return raw
}

// TestEnvFileCorpus runs vet's .env check on every case of testdata against
// the repository's stacks.cue and compares the findings with the case's
// want section. compose-go's dotenv parser, the one compose reads .env
// with, is the oracle for env-file-literal: a line gets that finding
// exactly when compose reads the line's value as something other than the
// text the operator wrote.
func TestEnvFileCorpus(t *testing.T) {
	res, err := compile.Compile(context.Background(), []string{"../../stacks.cue"})
	if err != nil || res.Diags.HasErrors() {
		t.Fatalf("compile stacks.cue: %v %v", err, res.Diags)
	}
	cases, err := filepath.Glob("testdata/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 15 {
		t.Fatalf("%d cases, want at least 15", len(cases))
	}
	for _, path := range cases {
		name := strings.TrimSuffix(filepath.Base(path), ".txtar")
		t.Run(name, func(t *testing.T) {
			a, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			sections := map[string][]byte{}
			for _, f := range a.Files {
				sections[f.Name] = f.Data
			}
			stack := strings.TrimSpace(string(sections["stack"]))
			st := res.Config.Stacks[stack]
			if st == nil {
				t.Fatalf("case names stack %q, which stacks.cue lacks", stack)
			}
			data := sections[".env"]
			got := envfile.Check(".env", data, derive.VarRules(res.Config, st), stack)
			if update {
				for i := range a.Files {
					if a.Files[i].Name == "want" {
						a.Files[i].Data = []byte(got.String())
					}
				}
				if err := os.WriteFile(path, txtar.Format(a), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if diff := cmp.Diff(string(sections["want"]), got.String()); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			for _, d := range got {
				if d.Pos.File != ".env" || d.Pos.Line < 1 || d.Pos.Col < 1 {
					t.Errorf("finding without a FILE:line:col position: %s", d)
				}
				if _, ok := rules.Lookup(d.Rule); !ok {
					t.Errorf("rule %s is not catalogued", d.Rule)
				}
			}
			checkAgainstCompose(t, data, got)
		})
	}
}

// checkAgainstCompose: every line whose value compose-go reads differently
// from the text written there has an env-file-literal or env-file-syntax
// finding on that line, and no other line has an env-file-literal one.
func checkAgainstCompose(t *testing.T, data []byte, got diag.List) {
	t.Helper()
	flagged := map[int]string{}
	for _, d := range got {
		if d.Rule == rules.EnvFileLiteral || d.Rule == rules.EnvFileSyntax {
			flagged[d.Pos.Line] = d.Rule
		}
	}
	for i, line := range strings.Split(string(data), "\n") {
		m := plainLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		compose, err := dotenv.UnmarshalWithLookup(line, func(string) (string, bool) { return "", false })
		changed := err != nil || compose[m[1]] != meant(m[2])
		n := i + 1
		switch {
		case changed && flagged[n] == "":
			t.Errorf("line %d: compose reads %s as %q (err %v), not %q, but vet found nothing there", n, m[1], compose[m[1]], err, meant(m[2]))
		case !changed && flagged[n] == rules.EnvFileLiteral:
			t.Errorf("line %d: compose reads %s as written, but vet reports it would change it", n, m[1])
		}
	}
}

// TestEnvFileNeverPrintsValues: findings name variables and columns, never
// the secret itself.
func TestEnvFileNeverPrintsValues(t *testing.T) {
	res, err := compile.Compile(context.Background(), []string{"../../stacks.cue"})
	if err != nil || res.Diags.HasErrors() {
		t.Fatalf("compile stacks.cue: %v %v", err, res.Diags)
	}
	st := res.Config.Stacks["primary"]
	secrets := []string{"s3cr$tA", `"s3cr$tB"`, "s3cr #tC", "'s3cr\\'tD'", "'s3crtE\\'", "'s3crtF", "s3cr\"tG"}
	var b strings.Builder
	for i, s := range secrets {
		b.WriteString("POSTGRES_PASSWORD" + strconv.Itoa(i) + "=" + s + "\n")
	}
	b.WriteString("POSTGRES_PASSWORD=" + secrets[0] + "\n")
	got := envfile.Check(".env", []byte(b.String()), derive.VarRules(res.Config, st), "primary")
	if len(got) == 0 {
		t.Fatal("no findings")
	}
	for _, d := range got {
		if strings.Contains(d.Message, "s3cr") {
			t.Errorf("finding prints a value: %s", d)
		}
	}
}
