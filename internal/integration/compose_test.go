package integration

import (
	"fmt"
	"maps"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/go-units"
	"go.yaml.in/yaml/v3"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/render"
	"github.com/azagen/azagen/internal/testing/oracle"
)

// composeFile is the part of a rendered compose.yaml that running its services needs.
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Command     []string          `yaml:"command"`
		Entrypoint  []string          `yaml:"entrypoint"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Tmpfs       []string          `yaml:"tmpfs"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
		Deploy struct {
			Resources struct {
				Limits struct {
					CPUs   string `yaml:"cpus"`
					Memory string `yaml:"memory"`
				} `yaml:"limits"`
			} `yaml:"resources"`
		} `yaml:"deploy"`
	} `yaml:"services"`
}

// image is what an image gives a service that its compose file does not: the entrypoint and
// command when the compose file has none, the user it runs as, environment, and files.
type image struct {
	entrypoint, command []string
	user                string
	env                 []string
	files               map[string]string // container path -> content (mode 0755)
	symlinks            map[string]string // container path -> target
	dirs                []string          // directories owned by user (the image's volumes)
}

// images maps the stacks' image repositories to what the sid rootfs needs to stand in for them.
// Their programs are the rootfs's, at the pinned versions; the paths and users are the images'.
func images(t *testing.T, res *compile.Result) map[string]image {
	t.Helper()
	// The aza-pg image bakes the entrypoint, the healthcheck and the extensions script rendered
	// from the model. Debian sid lacks pg_stat_monitor, safeupdate, pgmq and vectorscale: the
	// healthcheck and the extensions script are rendered without exactly those, and the
	// preload default follows (oracle.PackagedPreload); every other line is the model's.
	cfg := *res.Config
	cfg.PostgreSQL.Preload = strings.Split(oracle.PackagedPreload(strings.Join(cfg.PostgreSQL.Preload, ",")), ",")
	cfg.PostgreSQL.Extensions = slices.DeleteFunc(slices.Clone(cfg.PostgreSQL.Extensions), func(e string) bool {
		return slices.Contains(oracle.UnpackagedPreload, e) || slices.Contains(oracle.UnpackagedExtensions, e)
	})
	entry, err := render.Entrypoint(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	health, err := render.Healthcheck(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	official, err := os.ReadFile("testdata/image/docker-entrypoint.sh")
	if err != nil {
		t.Fatal(err)
	}
	pg := image{
		entrypoint: []string{"/usr/local/bin/docker-auto-config-entrypoint.sh"},
		command:    []string{"postgres"},
		user:       "postgres",
		// The official image's PATH and PGDATA.
		env: []string{"PATH=/usr/lib/postgresql/18/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"PGDATA=/var/lib/postgresql/18/docker", "LANG=en_US.utf8"},
		files: map[string]string{
			"/usr/local/bin/docker-auto-config-entrypoint.sh": string(entry.Data),
			"/usr/local/bin/healthcheck.sh":                   string(health.Data),
			"/docker-entrypoint-initdb.d/01-extensions.sh":    string(render.ExtensionsInit(&cfg).Data),
			"/usr/local/bin/docker-entrypoint.sh":             string(official),
		},
		// The image's volumes and /backup, which it creates for the postgres user.
		dirs: []string{"/var/lib/postgresql", "/var/run/postgresql", "/backup"},
	}
	return map[string]image{
		"ghcr.io/fluxo-kt/aza-pg": pg,
		// edoburu/pgbouncer runs as postgres; the compose file gives the entrypoint.
		"edoburu/pgbouncer": {user: "postgres"},
		// The exporter images: ENTRYPOINT /bin/<exporter>, USER nobody, default flags.
		"prometheuscommunity/postgres-exporter": {
			entrypoint: []string{"/bin/postgres_exporter"}, user: "nobody",
			symlinks: map[string]string{"/bin/postgres_exporter": "/usr/bin/prometheus-postgres-exporter"},
		},
		"prometheuscommunity/pgbouncer-exporter": {
			entrypoint: []string{"/bin/pgbouncer_exporter"}, user: "nobody",
			symlinks: map[string]string{"/bin/pgbouncer_exporter": "/usr/bin/prometheus-pgbouncer-exporter"},
		},
	}
}

// runningService is one service of a stack, started in its own container.
type runningService struct {
	name   string
	ctr    *oracle.Container
	daemon *oracle.Daemon
	user   string
	env    []string
	argv   []string // what compose runs: entrypoint and command
	health []string // the healthcheck test, verbatim
}

// healthcheck runs the service's rendered healthcheck verbatim in its container, as compose
// does: CMD as an argv, CMD-SHELL through sh -c, as the service's user with its environment.
func (s *runningService) healthcheck(t *testing.T) (string, error) {
	t.Helper()
	var argv []string
	switch s.health[0] {
	case "CMD":
		argv = s.health[1:]
	case "CMD-SHELL":
		argv = []string{"/bin/sh", "-c", s.health[1]}
	default:
		t.Fatalf("%s: healthcheck test %q", s.name, s.health)
	}
	return runCommandOut(s.ctr.Command(t, s.user, s.env, argv...), 15*time.Second)
}

// waitHealthy runs the healthcheck until it passes, or fails the test after timeout (or at
// once if the service has exited).
func (s *runningService) waitHealthy(t *testing.T, timeout time.Duration) error {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out, err := s.healthcheck(t)
		if err == nil {
			t.Logf("%s healthy: %s", s.name, strings.TrimSpace(out))
			return nil
		}
		select {
		case <-s.daemon.Done():
			return fmt.Errorf("%s exited (%v) before it was healthy; healthcheck: %v\n%s\noutput:\n%s", s.name, s.daemon.Err(), err, out, s.daemon.Output())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not healthy after %v: %v\n%s\noutput:\n%s", s.name, timeout, err, out, s.daemon.Output())
		}
		time.Sleep(time.Second)
	}
}

// stackRun starts stacks' services the way compose would, on one network (the replica stack
// joins the primary's network), in depends_on order, each once the services it depends on
// are healthy. Services are keyed "stack/service". tweak, when set, may change a service's argv before it starts (negative
// controls). It returns the services by name, and the first service that would not become
// healthy as an error.
func stackRun(t *testing.T, res *compile.Result, stacks []string, healthWait time.Duration, tweak func(service string, argv []string) []string) (map[string]*runningService, error) {
	t.Helper()
	return stackStart(t, res, stacks, healthWait, stackOptions{tweak: tweak})
}

// stackOptions change how stackStart runs a stack.
type stackOptions struct {
	// tweak may change a service's argv before it starts (negative controls).
	tweak func(service string, argv []string) []string
	// env replaces variables of the sample environment (what .env holds).
	env map[string]string
	// again restarts the services of an earlier run, stopped, in their own
	// containers: their volumes (and the data in them) are kept, their
	// tmpfs mounts are new, as `compose up` after `compose stop` does.
	again map[string]*runningService
}

// stackStart is stackRun with options.
func stackStart(t *testing.T, res *compile.Result, stacks []string, healthWait time.Duration, opts stackOptions) (map[string]*runningService, error) {
	t.Helper()
	tweak := opts.tweak
	imgs := images(t, res)
	var nw *oracle.Network
	if opts.again == nil {
		nw = oracle.NewNetwork(t)
	}
	running := map[string]*runningService{}
	for _, stack := range stacks {
		var cf composeFile
		if err := yaml.Unmarshal(res.Output[model.ComposePath(stack)].Data, &cf); err != nil {
			t.Fatal(err)
		}
		sample := sampleEnvironment(t, res, stack)
		maps.Copy(sample, opts.env)
		started := map[string]bool{}
		for len(started) < len(cf.Services) {
			progress := false
			for _, name := range slices.Sorted(maps.Keys(cf.Services)) {
				svc := cf.Services[name]
				ready := !started[name]
				for dep := range svc.DependsOn {
					ready = ready && started[dep]
				}
				if !ready {
					continue
				}
				started[name], progress = true, true
				repo, _, _ := strings.Cut(svc.Image, ":")
				img, ok := imgs[repo]
				if !ok {
					t.Fatalf("%s/%s: no stand-in for image %s", stack, name, svc.Image)
				}
				var ctr *oracle.Container
				if prev := opts.again[stack+"/"+name]; prev != nil {
					ctr = prev.ctr
				} else {
					ctr = nw.Container(t, name)
				}
				for p, content := range img.files {
					ctr.WriteFile(t, p, content, 0o755)
				}
				for p, target := range img.symlinks {
					if err := os.Symlink(target, ctr.HostPath(p)); err != nil && !os.IsExist(err) {
						t.Fatal(err)
					}
				}
				for _, d := range img.dirs {
					if err := os.MkdirAll(ctr.HostPath(d), 0o755); err != nil {
						t.Fatal(err)
					}
					ctr.Chown(t, d, img.user)
				}
				// Bind mounts of rendered files, at their container paths; named volumes are
				// the image's directories above.
				for _, v := range svc.Volumes {
					src, rest, _ := strings.Cut(v, ":")
					target, _, _ := strings.Cut(rest, ":")
					if !strings.HasPrefix(src, ".") {
						continue
					}
					f, ok := res.Output[path.Join(model.StackDir(stack), src)]
					if ok {
						ctr.WriteFile(t, target, string(f.Data), f.Mode.Perm()|0o444)
						continue
					}
					// The operator's TLS files, made by azagen's certs package, owned by
					// the image's user as an operator must chown them.
					data, mode, ok := operatorFile(t, res, stack, src)
					if !ok {
						t.Fatalf("%s/%s mounts %s, which azagen does not render", stack, name, src)
					}
					ctr.WriteFile(t, target, string(data), mode)
					ctr.Chown(t, target, img.user)
				}
				for _, p := range svc.Tmpfs {
					ctr.Tmpfs(t, p)
				}
				env := slices.Clone(img.env)
				for k, v := range serviceEnvironment(t, composeService{Environment: svc.Environment}, sample) {
					env = append(env, k+"="+v)
				}
				// Tunable limits are ${NAME:-default}: compose interpolates
				// them from the stack's .env.
				env = append(env, cgroupEnv(t, ctr, interpolate(svc.Deploy.Resources.Limits.Memory, sample), interpolate(svc.Deploy.Resources.Limits.CPUs, sample))...)
				slices.Sort(env)
				argv := append(slices.Clone(orDefault(svc.Entrypoint, img.entrypoint)), orDefault(svc.Command, img.command)...)
				if len(svc.Entrypoint) > 0 && len(svc.Command) == 0 {
					argv = slices.Clone(svc.Entrypoint) // compose drops the image's CMD with a new entrypoint
				}
				if tweak != nil {
					argv = tweak(name, argv)
				}
				rs := &runningService{name: name, ctr: ctr, user: img.user, env: env, argv: argv, health: svc.Healthcheck.Test}
				rs.daemon = ctr.Start(t, img.user, env, argv...)
				running[stack+"/"+name] = rs
				t.Logf("started %s/%s (%s) as %s: %q", stack, name, ctr.IP, img.user, argv)
				if err := rs.waitHealthy(t, healthWait); err != nil {
					return running, err
				}
			}
			if !progress {
				t.Fatalf("%s: depends_on has a cycle or names a service of another stack", stack)
			}
		}
	}
	return running, nil
}

func orDefault(a, b []string) []string {
	if len(a) > 0 {
		return a
	}
	return b
}

// cgroupEnv gives the auto-config entrypoint the cgroup v2 memory.max and cpu.max that
// compose's deploy.resources.limits would put in the container's cgroup (this host's cgroups
// are v1), through its AZAGEN_CGROUP_ROOT hook. Services without limits get nothing.
func cgroupEnv(t *testing.T, ctr *oracle.Container, memory, cpus string) []string {
	t.Helper()
	if memory == "" {
		return nil
	}
	bytes, err := units.RAMInBytes(memory)
	if err != nil {
		t.Fatal(err)
	}
	cpu, err := strconv.ParseFloat(cpus, 64)
	if err != nil {
		t.Fatal(err)
	}
	ctr.WriteFile(t, "/run/azagen-cgroup/memory.max", strconv.FormatInt(bytes, 10)+"\n", 0o644)
	ctr.WriteFile(t, "/run/azagen-cgroup/cpu.max", fmt.Sprintf("%d 100000\n", int(cpu*100000)), 0o644)
	return []string{"AZAGEN_CGROUP_ROOT=/run/azagen-cgroup"}
}

// TestStacksRunAsComposeWould starts every service of the primary and replica stacks, and then
// of the single stack, each in its own network namespace on a bridge, with its rendered
// command or entrypoint, environment, mounted files and tmpfs mounts, and requires every
// rendered healthcheck, run verbatim, to pass; then it checks the exporters' metrics and the
// replica's stream.
func TestStacksRunAsComposeWould(t *testing.T) {
	oracle.Require(t, oracle.ToolPostgresBin)
	res := compileStacks(t)
	t.Run("primary+replica", func(t *testing.T) {
		svcs, err := stackRun(t, res, []string{"primary", "replica"}, 3*time.Minute, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"primary/postgres", "primary/pgbouncer", "primary/postgres_exporter", "primary/pgbouncer_exporter",
			"replica/postgres-replica", "replica/postgres_exporter"} {
			if svcs[name] == nil {
				t.Fatalf("service %s did not run", name)
			}
		}
		checkScrape(t, svcs["primary/postgres_exporter"], 9187, "pg_up 1", "pg_exporter_last_scrape_error 0")
		checkScrape(t, svcs["primary/pgbouncer_exporter"], 9127, "pgbouncer_up 1")
		checkScrape(t, svcs["replica/postgres_exporter"], 9187, "pg_up 1", "pg_exporter_last_scrape_error 0")
		// The standby streams from the primary across the bridge.
		primary := svcs["primary/postgres"]
		out, err := runCommandOut(primary.ctr.Command(t, "postgres", primary.env,
			"psql", "-X", "-A", "-t", "-c", "SELECT application_name || ':' || state FROM pg_stat_replication"), 30*time.Second)
		if err != nil || !strings.Contains(out, ":streaming") {
			t.Errorf("pg_stat_replication on the primary: %q, %v", out, err)
		}
	})
	t.Run("single", func(t *testing.T) {
		svcs, err := stackRun(t, res, []string{"single"}, 3*time.Minute, nil)
		if err != nil {
			t.Fatal(err)
		}
		checkScrape(t, svcs["single/postgres_exporter"], 9187, "pg_up 1", "pg_exporter_last_scrape_error 0")
	})
}

// TestStackLoopbackOnlyServiceFails is the negative control of TestStacksRunAsComposeWould: a
// postgres that listens on 127.0.0.1 only, inside its own network namespace, is healthy by its
// own socket healthcheck, but PgBouncer, in its own namespace, cannot reach it, so the stack
// run must fail at pgbouncer. Were the services sharing one namespace, it would pass.
func TestStackLoopbackOnlyServiceFails(t *testing.T) {
	oracle.Require(t, oracle.ToolPostgresBin)
	res := compileStacks(t)
	// PgBouncer's healthcheck gets 30 s: the positive test shows it passes in a few.
	_, err := stackRun(t, res, []string{"primary"}, 30*time.Second, func(service string, argv []string) []string {
		if service == "postgres" {
			return append(argv, "-c", "listen_addresses=127.0.0.1")
		}
		return argv
	})
	if err == nil {
		t.Fatal("the primary stack came up with postgres listening on its own loopback only")
	}
	if !strings.HasPrefix(err.Error(), "pgbouncer ") {
		t.Fatalf("the stack failed, but not at pgbouncer: %v", err)
	}
	// PgBouncer itself logs why: its server connections to postgres fail.
	if !strings.Contains(err.Error(), "closing because: connect failed") {
		t.Errorf("pgbouncer failed, but its log does not say the connection to postgres was refused: %v", err)
	}
	t.Logf("as expected: %v", err)
}

// checkScrape fetches /metrics from inside the exporter's container and requires every want line.
func checkScrape(t *testing.T, s *runningService, port int, want ...string) {
	t.Helper()
	out, err := runCommandOut(s.ctr.Command(t, s.user, nil, "wget", "-q", "-O", "-", fmt.Sprintf("http://127.0.0.1:%d/metrics", port)), 30*time.Second)
	if err != nil {
		t.Fatalf("%s: scrape: %v\n%s", s.name, err, out)
	}
	lines := strings.Split(out, "\n")
	for _, w := range want {
		if !slices.Contains(lines, w) {
			t.Errorf("%s: /metrics lacks %q", s.name, w)
		}
	}
	if log := s.daemon.Output(); strings.Contains(log, "level=ERROR") {
		t.Errorf("%s logged an error:\n%s", s.name, log)
	}
}

// defaultedRef is ${NAME:-default}, the form azagen renders tunables in.
var defaultedRef = regexp.MustCompile(`\$\{([A-Z][A-Z0-9_]*):-([^}]*)\}`)

// interpolate resolves the ${NAME:-default} references of s from env as
// compose does: the value when set and non-empty, else the default.
func interpolate(s string, env map[string]string) string {
	return defaultedRef.ReplaceAllStringFunc(s, func(ref string) string {
		m := defaultedRef.FindStringSubmatch(ref)
		if v := env[m[1]]; v != "" {
			return v
		}
		return m[2]
	})
}
