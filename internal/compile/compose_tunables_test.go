package compile_test

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/model"
)

// TestComposeResolvesTunables (issue 14): compose-go, given the sample .env
// with every tunable of a stack at the low end of its range (the first of
// its set), then at the high end (the last), resolves each field the
// tunable sets to that value. The fields are read from compose-go's typed
// project, after its interpolation and type conversion.
func TestComposeResolvesTunables(t *testing.T) {
	res, err := compile.Compile(context.Background(), []string{repoStacks})
	if err != nil || res.Diags.HasErrors() {
		t.Fatalf("compile: %v %s", err, text(res.Diags))
	}
	checked := 0
	for _, sk := range slices.Sorted(maps.Keys(res.Config.Stacks)) {
		st := res.Config.Stacks[sk]
		if len(st.Tunables) == 0 {
			continue
		}
		for _, end := range []string{"min", "max"} {
			t.Run(sk+"/"+end, func(t *testing.T) {
				env := derive.SampleEnvironment(st)
				value := func(tu *model.Tunable) string {
					switch {
					case tu.Kind == model.TunableEnum && end == "min":
						return tu.OneOf[0]
					case tu.Kind == model.TunableEnum:
						return tu.OneOf[len(tu.OneOf)-1]
					case end == "min":
						return tu.Min
					}
					return tu.Max
				}
				for _, tu := range st.Tunables {
					env[tu.Name] = value(tu)
				}
				project, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
					WorkingDir:  t.TempDir(),
					ConfigFiles: []types.ConfigFile{{Filename: "compose.yaml", Content: res.Output[model.ComposePath(sk)].Data}},
					Environment: types.Mapping(env),
				}, func(o *loader.Options) {
					o.SetProjectName(st.Name, true)
					o.ResolvePaths = false
					o.SkipConsistencyCheck = true
				})
				if err != nil {
					t.Fatal(err)
				}
				for _, tu := range st.Tunables {
					svc := project.Services[tu.Service]
					want := value(tu)
					got := resolved(t, svc, st.Services[tu.Service], tu)
					if !sameValue(tu, got, want) {
						t.Errorf("%s=%s: compose-go resolved %s.%s to %q", tu.Name, want, tu.Service, tu.Field, got)
					}
					checked++
				}
			})
		}
	}
	if checked == 0 {
		t.Fatal("stacks.cue declares no tunables")
	}
}

// resolved reads the field a tunable sets from compose-go's service.
func resolved(t *testing.T, svc types.ServiceConfig, src *model.Service, tu *model.Tunable) string {
	t.Helper()
	var limits, reservations *types.Resource
	if svc.Deploy != nil {
		limits, reservations = svc.Deploy.Resources.Limits, svc.Deploy.Resources.Reservations
	}
	switch {
	case tu.Field == "resources.memory" && limits != nil:
		return strconv.FormatInt(int64(limits.MemoryBytes), 10)
	case tu.Field == "resources.memory_reservation" && reservations != nil:
		return strconv.FormatInt(int64(reservations.MemoryBytes), 10)
	case tu.Field == "resources.cpus" && limits != nil:
		return strconv.FormatFloat(float64(limits.NanoCPUs.Value()), 'f', -1, 32)
	case tu.Field == "resources.pids" && limits != nil:
		return strconv.FormatInt(limits.Pids, 10)
	case strings.HasPrefix(tu.Field, "environment."):
		if v := svc.Environment[strings.TrimPrefix(tu.Field, "environment.")]; v != nil {
			return *v
		}
	case strings.HasPrefix(tu.Field, "pgbouncer."):
		// The entrypoint writes it into the ini from the environment.
		if v := svc.Environment[tu.Name]; v != nil {
			return *v
		}
	case strings.HasPrefix(tu.Field, "ports["):
		i, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(tu.Field, "ports["), "].host"))
		for _, p := range svc.Ports {
			if p.Target == uint32(src.Ports[i].Container) {
				return p.Published
			}
		}
	}
	t.Fatalf("compose-go has no %s for %s", tu.Field, tu.Service)
	return ""
}

// sameValue compares what compose-go resolved with the value set: sizes in
// bytes, cpus as numbers, the rest as text.
func sameValue(tu *model.Tunable, got, want string) bool {
	switch tu.Kind {
	case model.TunableSize:
		w, err := derive.ByteSize(want)
		return err == nil && got == strconv.FormatInt(w, 10)
	case model.TunableNumber:
		g, err1 := strconv.ParseFloat(got, 64)
		w, err2 := strconv.ParseFloat(want, 64)
		return err1 == nil && err2 == nil && g == w
	}
	return got == want
}
