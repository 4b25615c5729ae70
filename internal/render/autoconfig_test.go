package render_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/autoconfig"
	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/render"
	"github.com/azagen/azagen/internal/testing/oracle"
)

// TestImageFilesFollowTheSource: the entrypoint carries the constants of the
// autoconfig block and the preload default, the healthcheck and the initdb
// script the extension list; changing the model changes them.
func TestImageFilesFollowTheSource(t *testing.T) {
	cfg := repoConfig(t)
	entry, err := render.Entrypoint(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"preload='" + strings.Join(cfg.PostgreSQL.Preload, ",") + "'",
		"workload=${POSTGRES_WORKLOAD_TYPE:-" + cfg.AutoConfig.Defaults.Workload + "}",
		"if ((ram < 2048)); then\n\tconnection_percent=50\n",
	} {
		if !bytes.Contains(entry.Data, []byte(want)) {
			t.Errorf("entrypoint lacks %q", want)
		}
	}
	for _, owned := range []string{"listen_addresses=", "wal_level=", "max_wal_senders="} {
		if bytes.Contains(entry.Data, []byte(`"`+owned)) {
			t.Errorf("entrypoint passes %s", owned)
		}
	}

	cfg.AutoConfig.MaxConnections.Scale[0].Percent = 42
	cfg.PostgreSQL.Extensions = []string{"plpgsql", "odd-name"}
	entry2, err := render.Entrypoint(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(entry2.Data, []byte("connection_percent=42\n")) {
		t.Error("a changed tier percent does not reach the entrypoint")
	}
	health, err := render.Healthcheck(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(health.Data, []byte("expected_extensions=( plpgsql odd-name )")) {
		t.Errorf("healthcheck extension list:\n%s", health.Data)
	}
	sql := render.ExtensionsInit(cfg)
	if !bytes.Contains(sql.Data, []byte("CREATE EXTENSION IF NOT EXISTS \"odd-name\" CASCADE;\n")) {
		t.Errorf("extensions SQL:\n%s", sql.Data)
	}
}

// repoConfig compiles the repository's stacks.cue; every call returns a
// fresh model the test may change.
func repoConfig(t *testing.T) *model.Config {
	t.Helper()
	res, err := compile.Compile(context.Background(), []string{repoStacks})
	if err != nil {
		t.Fatal(err)
	}
	if res.Config == nil || res.Diags.HasErrors() {
		t.Fatalf("stacks.cue does not compile: %v", res.Diags)
	}
	return res.Config
}

// TestHealthcheckAgainstPostgres runs the rendered healthcheck against a real
// PostgreSQL 18.6 whose extensions were created by the rendered initdb SQL.
// Debian sid packages all of the image's libraries and extensions but
// pg_stat_monitor, safeupdate, pgmq and vectorscale: the model's lists lose
// exactly those (oracle.UnpackagedPreload, oracle.UnpackagedExtensions).
func TestHealthcheckAgainstPostgres(t *testing.T) {
	bin := oracle.Require(t, oracle.ToolPostgresBin)
	cfg := repoConfig(t)
	preload := oracle.PackagedPreload(strings.Join(cfg.PostgreSQL.Preload, ","))
	cfg.PostgreSQL.Preload = strings.Split(preload, ",")
	var exts []string
	for _, e := range cfg.PostgreSQL.Extensions {
		if !slices.Contains(oracle.UnpackagedExtensions, e) && !slices.Contains(oracle.UnpackagedPreload, e) {
			exts = append(exts, e)
		}
	}
	cfg.PostgreSQL.Extensions = exts

	c := oracle.NewCluster(t, oracle.ClusterOptions{BinDir: bin, Settings: []string{"shared_preload_libraries=" + preload}})
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	dir := oracle.TempDir(t)
	// The rendered initdb script creates the extensions, as the official
	// entrypoint would run it.
	initPath := filepath.Join(dir, "01-extensions.sh")
	if err := os.WriteFile(initPath, render.ExtensionsInit(cfg).Data, 0o755); err != nil {
		t.Fatal(err)
	}
	pgEnv := []string{
		"PATH=" + bin + ":/usr/bin:/bin", "PGHOST=" + c.SocketDir(), "PGPORT=" + strconv.Itoa(c.Port()),
		"PGPASSWORD=" + c.Password(), "PGPASSFILE=/dev/null", "POSTGRES_DB=postgres",
	}
	initCmd := oracle.Command(t, "", append(pgEnv, "POSTGRES_USER=postgres"), initPath)
	if out, err := initCmd.CombinedOutput(); err != nil {
		t.Fatalf("01-extensions.sh: %v\n%s", err, out)
	}
	sorted := slices.Sorted(slices.Values(exts))
	if got := c.SuperuserPsql(t, "SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension"); got != strings.Join(sorted, ",") {
		t.Fatalf("extensions after 01-extensions.sh: %s, want %s", got, strings.Join(sorted, ","))
	}
	healthPath := filepath.Join(dir, "healthcheck.sh")
	h, err := render.Healthcheck(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(healthPath, h.Data, 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(env ...string) (int, string) {
		cmd := oracle.Command(t, "", append(slices.Clone(pgEnv), env...), "/bin/bash", healthPath)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, string(out)
	}
	expect := func(name string, wantCode int, wantOut string, env ...string) {
		t.Run(name, func(t *testing.T) {
			code, out := run(env...)
			if code != wantCode || !strings.Contains(out, wantOut) {
				t.Errorf("exit %d, want %d; output %q lacks %q", code, wantCode, out, wantOut)
			}
		})
	}
	expect("healthy", 0, fmt.Sprintf("[POSTGRES] [HEALTHCHECK] healthy: primary, %d preloaded libraries, %d extensions",
		len(cfg.PostgreSQL.Preload), len(exts)))
	expect("single", 0, "healthy: single", "POSTGRES_ROLE=single")
	// Upstream's healthcheck failed when the preload list was overridden with fewer
	// libraries; the expected list follows the variable the entrypoint reads.
	expect("fewer preloaded libraries", 0, "healthy", "POSTGRES_SHARED_PRELOAD_LIBRARIES= pg_stat_statements ")
	expect("missing preload", 1, "shared_preload_libraries lacks pg_prewarm", "POSTGRES_SHARED_PRELOAD_LIBRARIES=pg_stat_statements,pg_prewarm")
	expect("replica not in recovery", 1, "POSTGRES_ROLE is replica but the server is not in recovery", "POSTGRES_ROLE=replica")
	expect("unknown role", 1, "POSTGRES_ROLE=standby: want primary, replica or single", "POSTGRES_ROLE=standby")

	// An extension the model expects but the server lacks.
	cfg.PostgreSQL.Extensions = append(cfg.PostgreSQL.Extensions, "hstore")
	h2, err := render.Healthcheck(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(healthPath, h2.Data, 0o755); err != nil {
		t.Fatal(err)
	}
	expect("missing extension", 1, "extensions missing in database postgres: hstore")

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	expect("server down", 1, "does not accept connections")
}

// TestImageScriptsShellcheck: the rendered entrypoint, healthcheck and
// initdb script are shellcheck-clean.
func TestImageScriptsShellcheck(t *testing.T) {
	sc := oracle.Require(t, oracle.ToolShellcheck)
	cfg := repoConfig(t)
	files, err := render.ImageFiles(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var scripts []string
	for _, f := range files {
		if !strings.HasSuffix(f.Path, ".sh") {
			continue
		}
		p := filepath.Join(dir, filepath.Base(f.Path))
		if err := os.WriteFile(p, f.Data, 0o755); err != nil {
			t.Fatal(err)
		}
		scripts = append(scripts, p)
	}
	if len(scripts) != 3 {
		t.Fatalf("%d scripts rendered, want 3", len(scripts))
	}
	if out, err := exec.Command(sc, append([]string{"-x"}, scripts...)...).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

// TestDefaultParamsMatchRenderedSource keeps autoconfig.Default (used by the
// package-level Compute) equal to what the renderer reads.
func TestDefaultParamsMatchRenderedSource(t *testing.T) {
	cfg := repoConfig(t)
	got := autoconfig.FromModel(cfg)
	in := autoconfig.Input{RAMMB: 8192, CPUs: 6, Workload: "dw", Storage: "hdd"}
	a, err1 := got.Compute(in)
	b, err2 := autoconfig.Compute(in)
	if err1 != nil || err2 != nil || a != b {
		t.Errorf("FromModel gives %+v (%v), Default gives %+v (%v)", a, err1, b, err2)
	}
}
