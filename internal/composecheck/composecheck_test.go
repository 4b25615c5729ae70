package composecheck_test

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/composecheck"
	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/model"
)

const repoStacks = "../../stacks.cue"

// rendered is one stack's compose file with what Validate needs.
type rendered struct {
	path, dir, project string
	data               []byte
	env                map[string]string
}

func renderRepo(t *testing.T) []rendered {
	t.Helper()
	res, err := compile.Compile(context.Background(), []string{repoStacks})
	if err != nil {
		t.Fatal(err)
	}
	if res.Diags.HasErrors() {
		var b strings.Builder
		b.WriteString(res.Diags.String())
		t.Fatalf("stacks.cue is invalid:\n%s", b.String())
	}
	var out []rendered
	for _, sk := range slices.Sorted(maps.Keys(res.Config.Stacks)) {
		st := res.Config.Stacks[sk]
		p := model.ComposePath(st.Key)
		f, ok := res.Output[p]
		if !ok {
			t.Fatalf("%s not rendered", p)
		}
		out = append(out, rendered{p, filepath.Dir(filepath.FromSlash(p)), st.Name, f.Data, derive.SampleEnvironment(st)})
	}
	if len(out) == 0 {
		t.Fatal("no stack rendered")
	}
	return out
}

// TestRenderedComposeValid: every rendered compose file passes both passes,
// static and with the sample environment of its .env.example.
func TestRenderedComposeValid(t *testing.T) {
	for _, r := range renderRepo(t) {
		if err := composecheck.Validate(context.Background(), r.path, r.dir, r.project, r.data, r.env); err != nil {
			t.Errorf("%s: %v", r.path, err)
		}
	}
}

// TestUnknownKeyFailsStaticPass: a key the Compose spec does not have is a
// schema error even with interpolation skipped.
func TestUnknownKeyFailsStaticPass(t *testing.T) {
	r := renderRepo(t)[0]
	// Insert the key into the first service, at the indentation of its keys.
	data := strings.Replace(string(r.data), "\n    image: ", "\n    restart_policy_typo: always\n    image: ", 1)
	if data == string(r.data) {
		t.Fatalf("%s has no service image line to insert before", r.path)
	}
	err := composecheck.Validate(context.Background(), r.path, r.dir, r.project, []byte(data), r.env)
	if err == nil {
		t.Fatal("a compose file with an unknown service key passed")
	}
	if !strings.Contains(err.Error(), "static pass") || !strings.Contains(err.Error(), "restart_policy_typo") {
		t.Errorf("error = %v; want a static-pass error naming restart_policy_typo", err)
	}
}

// TestMissingRequiredVariableFailsSecondPass: the static pass cannot see
// through ${VAR:?msg}; the pass with the sample environment must fail when
// the environment lacks a required variable, with compose's message.
func TestMissingRequiredVariableFailsSecondPass(t *testing.T) {
	for _, r := range renderRepo(t) {
		t.Run(r.project, func(t *testing.T) {
			// A required variable has no default in .env.example, so its
			// sample value is the placeholder SampleEnvironment invents.
			var required string
			for _, k := range slices.Sorted(maps.Keys(r.env)) {
				if strings.HasPrefix(r.env[k], "sample-") && strings.Contains(string(r.data), "${"+k+":?") {
					required = k
					break
				}
			}
			if required == "" {
				t.Skipf("%s reads no required variable", r.path)
			}
			env := maps.Clone(r.env)
			delete(env, required)
			err := composecheck.Validate(context.Background(), r.path, r.dir, r.project, r.data, env)
			if err == nil {
				t.Fatalf("validation passed without the required variable %s", required)
			}
			if !strings.Contains(err.Error(), "with sample environment") || !strings.Contains(err.Error(), required) {
				t.Errorf("error = %v; want a second-pass error naming %s", err, required)
			}
		})
	}
}

// TestBadValueBehindVariableFailsSecondPass: a value that is only wrong once
// interpolated (a non-numeric port) passes the static pass and fails the
// second.
func TestBadValueBehindVariableFailsSecondPass(t *testing.T) {
	const compose = `name: t
services:
  db:
    image: postgres:18
    ports:
      - '127.0.0.1:${DB_PORT:-5432}:5432'
`
	ctx := context.Background()
	if err := composecheck.Validate(ctx, "compose.yaml", ".", "t", []byte(compose), map[string]string{"DB_PORT": "5433"}); err != nil {
		t.Fatalf("valid file: %v", err)
	}
	err := composecheck.Validate(ctx, "compose.yaml", ".", "t", []byte(compose), map[string]string{"DB_PORT": "not-a-port"})
	if err == nil || !strings.Contains(err.Error(), "with sample environment") {
		t.Errorf("error = %v; want a second-pass error", err)
	}
}
