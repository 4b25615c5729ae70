package compile_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/model"
)

// TestComposeSeesLiterals (issue 12, kind 2): every literal string azagen
// writes into a compose file reaches the container unchanged after
// compose-go's interpolation, even when it holds '$'. The case of the issue
// is the healthcheck override with $POSTGRES_USER, which compose resolved to
// "pg_isready -U  -d " at parse time; the container's shell must see the
// variable. The environment variant holds every form of '$' compose knows.
func TestComposeSeesLiterals(t *testing.T) {
	base, err := os.ReadFile(repoStacks)
	if err != nil {
		t.Fatal(err)
	}
	test := []string{"CMD-SHELL", "pg_isready -U $POSTGRES_USER -d ${POSTGRES_DB} && test $$ != ${X:-y} && echo '${Y:?z}'"}
	literal := `pa$word ${HOME} $${X} $ \$ ${X:-d} ${X:?m} $$`
	overlay := `package azagen

stacks: single: healthcheck: postgres: {test: ["CMD-SHELL", "pg_isready -U $POSTGRES_USER -d ${POSTGRES_DB} && test $$ != ${X:-y} && echo '${Y:?z}'"], reason: "r"}
stacks: single: services: postgres: environment: APP_GREETING: "pa$word ${HOME} $${X} $ \\$ ${X:-d} ${X:?m} $$"
`
	dir := t.TempDir()
	for name, data := range map[string][]byte{"stacks.cue": base, "overlay.cue": []byte(overlay)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	res, err := compile.Compile(context.Background(), []string{"stacks.cue", "overlay.cue"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Diags.HasErrors() {
		t.Fatalf("compile: %s", text(res.Diags))
	}
	st := res.Config.Stacks["single"]
	env := derive.SampleEnvironment(st)
	// Variables the literals name are set, so an interpolation would show.
	for _, v := range []string{"POSTGRES_USER", "POSTGRES_DB", "HOME", "X", "Y"} {
		env[v] = "SET-" + v
	}
	project, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: "compose.yaml", Content: res.Output[model.ComposePath("single")].Data}},
		Environment: types.Mapping(maps.Clone(env)),
	}, func(o *loader.Options) {
		o.SetProjectName(st.Name, true)
		o.ResolvePaths = false
	})
	if err != nil {
		t.Fatal(err)
	}
	svc, ok := project.Services["postgres"]
	if !ok {
		t.Fatal("no postgres service")
	}
	if svc.HealthCheck == nil || !slices.Equal([]string(svc.HealthCheck.Test), test) {
		t.Errorf("healthcheck test after compose's interpolation:\n got %q\nwant %q", svc.HealthCheck.Test, test)
	}
	if got := svc.Environment["APP_GREETING"]; got == nil || *got != literal {
		t.Errorf("APP_GREETING after compose's interpolation = %v, want %q", got, literal)
	}
	// The command azagen derives is a literal too.
	if want := res.Config.Stacks["single"].Services["postgres"].Command; !slices.Equal([]string(svc.Command), want) {
		t.Errorf("command after interpolation = %q, want %q", svc.Command, want)
	}
}
