package compile_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/model"
)

// TestEnvironmentSetsEveryTunable (issue 14): an environment that gives
// every tunable of every stack the far end of its range (the last of its
// set) compiles, passes every rule and compose-go, and renders each
// tunable's compose interpolation and .env.example line with that default,
// while the source's own files keep theirs. It covers every kind of field
// a tunable can sit in, so a field SetTunableDefault cannot set fails here.
func TestEnvironmentSetsEveryTunable(t *testing.T) {
	base, err := compile.Compile(context.Background(), []string{repoStacks})
	if err != nil || base.Diags.HasErrors() {
		t.Fatalf("compile: %v %s", err, text(base.Diags))
	}
	// Host ports go to the top of their ranges one below the other:
	// host-port-unique holds in an environment too.
	port := map[*model.Tunable]string{}
	far := func(tu *model.Tunable) string {
		switch {
		case tu.Kind == model.TunableEnum:
			return tu.OneOf[len(tu.OneOf)-1]
		case strings.HasSuffix(tu.Field, ".host"):
			if port[tu] == "" {
				max, err := strconv.Atoi(tu.Max)
				if err != nil {
					t.Fatal(err)
				}
				port[tu] = strconv.Itoa(max - len(port))
			}
			return port[tu]
		}
		return tu.Max
	}
	var b strings.Builder
	b.WriteString("\nenvironments: far: tunables: {\n")
	fields := map[string]bool{}
	for _, sk := range slices.Sorted(maps.Keys(base.Config.Stacks)) {
		for _, tu := range base.Config.Stacks[sk].Tunables {
			v := far(tu)
			if tu.Kind == model.TunableSize || tu.Kind == model.TunableEnum {
				v = fmt.Sprintf("%q", v)
			}
			fmt.Fprintf(&b, "\t%q: %s: %s\n", sk, tu.Name, v)
			fields[strings.TrimRightFunc(strings.SplitN(tu.Field, "[", 2)[0], func(r rune) bool { return r == '.' })] = true
		}
	}
	b.WriteString("}\n")
	res := compileEdited(t, "", b.String())
	if res.Diags.HasErrors() {
		t.Fatalf("compile: %s", text(res.Diags))
	}
	env := res.Environments["far"]
	if env == nil {
		t.Fatalf("no environment far in %v", slices.Collect(maps.Keys(res.Environments)))
	}
	checked := 0
	for _, sk := range slices.Sorted(maps.Keys(base.Config.Stacks)) {
		for _, tu := range base.Config.Stacks[sk].Tunables {
			compose := string(env.Output[model.ComposePath(sk)].Data)
			want := "${" + tu.Name + ":-" + far(tu) + "}"
			if !strings.Contains(compose, want) {
				t.Errorf("%s %s: compose file lacks %s", sk, tu.Name, want)
			}
			if got := fieldValue(env.Config.Stacks[sk].Services[tu.Service], tu.Field); got != far(tu) {
				t.Errorf("%s %s: the environment's model holds %s = %q, want %q", sk, tu.Name, tu.Field, got, far(tu))
			}
			line := tu.Name + "='" + far(tu) + "'"
			if got := string(env.Output[model.EnvExamplePath(sk)].Data); !strings.Contains(got, "\n"+line+"\n") {
				t.Errorf("%s: .env.example of the environment lacks %s", sk, line)
			}
			if got := string(res.Output[model.EnvExamplePath(sk)].Data); strings.Contains(got, "\n"+line+"\n") && far(tu) != tu.Default {
				t.Errorf("%s: the source's .env.example took the environment's %s", sk, line)
			}
			if p := "environments/far/" + model.ComposePath(sk); res.Output[p].Path != p {
				t.Errorf("the output set lacks %s", p)
			}
			checked++
		}
	}
	for _, f := range []string{"resources", "ports", "pgbouncer", "environment"} {
		if !fields[f] && !fields[f+".memory"] {
			found := false
			for k := range fields {
				found = found || strings.HasPrefix(k, f)
			}
			if !found {
				t.Errorf("no tunable of the repository sits in %s: the test no longer covers that kind of field", f)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("checked %d tunables, want the repository's 20 and more", checked)
	}
}

// fieldValue reads the model field a tunable sets, as stacks.cue writes it.
func fieldValue(svc *model.Service, field string) string {
	var i int
	if _, err := fmt.Sscanf(field, "ports[%d].host", &i); err == nil {
		return strconv.Itoa(svc.Ports[i].Host)
	}
	if key, ok := strings.CutPrefix(field, "environment."); ok {
		if d := svc.Environment[key].Default; d != nil {
			return *d
		}
		return ""
	}
	switch field {
	case "resources.memory":
		return svc.Resources.Memory
	case "resources.memory_reservation":
		return svc.Resources.MemoryReservation
	case "resources.cpus":
		return strconv.FormatFloat(svc.Resources.CPUs, 'f', -1, 64)
	case "resources.pids":
		return strconv.Itoa(svc.Resources.Pids)
	case "pgbouncer.max_client_conn":
		return strconv.Itoa(svc.PgBouncer.MaxClientConn)
	case "pgbouncer.default_pool_size":
		return strconv.Itoa(svc.PgBouncer.DefaultPoolSize)
	}
	return "unknown field " + field
}
