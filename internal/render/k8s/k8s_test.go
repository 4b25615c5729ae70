package k8s_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/azagen/azagen/internal/autoconfig"
	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/load"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
	"github.com/azagen/azagen/internal/render/k8s"
)

// repoModel loads the repository's stacks.cue into a normalized model.
func repoModel(t *testing.T) *model.Config {
	t.Helper()
	src, diags, err := load.Files([]string{repoStacks})
	if err != nil || diags.HasErrors() {
		t.Fatalf("load: %v %s", err, diags)
	}
	cfg, err := model.Decode(src.Value)
	if err != nil {
		t.Fatal(err)
	}
	if d := normalize.Normalize(cfg, src); d.HasErrors() {
		t.Fatal(d)
	}
	return cfg
}

type cluster struct {
	Spec struct {
		Instances  int `yaml:"instances"`
		PostgreSQL struct {
			Parameters map[string]string `yaml:"parameters"`
			Preload    []string          `yaml:"shared_preload_libraries"`
			HBA        []string          `yaml:"pg_hba"`
		} `yaml:"postgresql"`
	} `yaml:"spec"`
}

func clusterOf(t *testing.T, r *k8s.Stack) cluster {
	t.Helper()
	files, err := r.Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f.Path, "/cluster.yaml") {
			var c cluster
			if err := yaml.Unmarshal(f.Data, &c); err != nil {
				t.Fatal(err)
			}
			return c
		}
	}
	t.Fatal("no cluster.yaml")
	return cluster{}
}

// eachCluster calls fn with every stack of cfg that renders a CNPG Cluster:
// its key, the stack, the server the Cluster runs and the rendered Cluster.
func eachCluster(t *testing.T, cfg *model.Config, fn func(sk string, st *model.Stack, svc *model.Service, c cluster)) {
	t.Helper()
	for _, sk := range slices.Sorted(maps.Keys(cfg.Stacks)) {
		st := cfg.Stacks[sk]
		svc := derive.CNPGServer(st)
		if st.Kubernetes == nil || svc == nil {
			continue
		}
		r, err := k8s.Render(cfg, st)
		if err != nil {
			t.Fatal(err)
		}
		fn(sk, st, svc, clusterOf(t, r))
	}
}

// TestClusterCarriesAutoConfig: CNPG never runs the image's entrypoint, so
// every value its auto-config would pass for the service's limits must be
// in the Cluster's parameters, as the Go model of the entrypoint computes
// it, and the image's preload list in its own field.
func TestClusterCarriesAutoConfig(t *testing.T) {
	cfg := repoModel(t)
	eachCluster(t, cfg, func(sk string, st *model.Stack, svc *model.Service, c cluster) {
		out, err := autoconfig.ForService(cfg, svc)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, s := range out.Settings() {
			if s.Name == "shared_preload_libraries" {
				continue
			}
			n++
			if got := c.Spec.PostgreSQL.Parameters[s.Name]; got != s.Value {
				t.Errorf("%s: parameters[%s] = %q, auto-config computes %q for %s and %v CPUs", sk, s.Name, got, s.Value, svc.Resources.Memory, svc.Resources.CPUs)
			}
		}
		if n < 15 {
			t.Errorf("%s: only %d auto-config values compared", sk, n)
		}
		if _, ok := c.Spec.PostgreSQL.Parameters["shared_preload_libraries"]; ok {
			t.Errorf("%s: shared_preload_libraries is in parameters, which CNPG refuses", sk)
		}
		if !slices.Equal(c.Spec.PostgreSQL.Preload, cfg.PostgreSQL.Preload) {
			t.Errorf("%s: shared_preload_libraries = %v, want the image's %v", sk, c.Spec.PostgreSQL.Preload, cfg.PostgreSQL.Preload)
		}
		for _, h := range c.Spec.PostgreSQL.HBA {
			if strings.Contains(h, "samenet") {
				t.Errorf("%s: pg_hba line %q keeps samenet", sk, h)
			}
		}
	})
}

// TestOwnedSettingsNotedNotWritten: every base or stack setting CNPG owns
// is absent from the parameters and named in NOTES.md.
func TestOwnedSettingsNotedNotWritten(t *testing.T) {
	cfg := repoModel(t)
	eachCluster(t, cfg, func(sk string, st *model.Stack, svc *model.Service, c cluster) {
		notes, err := os.ReadFile(filepath.Join(repoRoot, "generated", model.K8sNotesPath(sk)))
		if err != nil {
			t.Fatal(err)
		}
		params, err := derive.CNPGParameters(cfg, svc, normalize.ServicePath(st, svc))
		if err != nil {
			t.Fatal(err)
		}
		owned := 0
		for _, p := range params {
			_, written := c.Spec.PostgreSQL.Parameters[p.Name]
			if p.Disposition == derive.CNPGKeep {
				if !written {
					t.Errorf("%s: %s is missing from parameters", sk, p.Name)
				}
				continue
			}
			owned++
			if written {
				t.Errorf("%s: %s, which CNPG owns, is in parameters", sk, p.Name)
			}
			if !strings.Contains(string(notes), "`"+p.Path+"`") {
				t.Errorf("%s: NOTES.md does not name %s", sk, p.Path)
			}
		}
		if owned == 0 {
			t.Errorf("%s: no owned setting was checked", sk)
		}
	})
}

// TestSecretsHoldNoValues: the Secrets example names every key CNPG reads
// and carries no value.
func TestSecretsHoldNoValues(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "generated", "k8s", "*", "secrets.example.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no secrets examples: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		n := 0
		for {
			var s struct {
				Type       string            `yaml:"type"`
				StringData map[string]string `yaml:"stringData"`
			}
			if err := dec.Decode(&s); err != nil {
				break
			}
			n++
			if s.Type != "kubernetes.io/basic-auth" {
				t.Errorf("%s: type %q", f, s.Type)
			}
			pw, ok := s.StringData["password"]
			if !ok || pw != "" {
				t.Errorf("%s: password key missing or not empty", f)
			}
			if s.StringData["username"] == "" {
				t.Errorf("%s: no username", f)
			}
		}
		if n == 0 {
			t.Errorf("%s: no Secret", f)
		}
	}
}
