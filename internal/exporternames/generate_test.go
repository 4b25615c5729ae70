package exporternames

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/azagen/azagen/internal/testing/oracle"
)

var update = flag.Bool("update", false, "rewrite "+dataFile+" from the real exporter")

// probeQuery is a custom query whose metrics show which labels the exporter adds: any label on
// azagen_probe_value other than probe_label is the exporter's own.
const probeQuery = `azagen_probe:
  query: "SELECT 'x'::text AS probe_label, 1::float8 AS value"
  metrics:
    - probe_label:
        usage: "LABEL"
        description: "probe"
    - value:
        usage: "GAUGE"
        description: "probe"
`

// TestNamesMatchExporter runs the pinned postgres_exporter (the sid rootfs's, at Version) with
// its default collectors and the probe query against PostgreSQL 18.6, scrapes it, and checks
// that the committed data is what it exports. With -update it rewrites the file (regen.sh).
func TestNamesMatchExporter(t *testing.T) {
	bin := oracle.Require(t, oracle.ToolPostgresExporter)
	pg := oracle.NewCluster(t, oracle.ClusterOptions{Settings: []string{"wal_level=logical"}})
	if err := pg.Start(); err != nil {
		t.Fatalf("start: %v\n%s", err, pg.Log())
	}
	// A replication slot of each kind, so that the slot collector has rows to export.
	pg.SuperuserPsql(t, "SELECT pg_create_physical_replication_slot('azagen_physical', true); SELECT pg_create_logical_replication_slot('azagen_logical', 'pgoutput')")
	dir := oracle.TempDir(t)
	queries := filepath.Join(dir, "queries.yaml")
	if err := os.WriteFile(queries, []byte(probeQuery), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(oracle.FreePort(t))
	exp := oracle.StartDaemon(t, "", []string{
		fmt.Sprintf("DATA_SOURCE_NAME=postgresql://%s:%s@127.0.0.1:%d/postgres?sslmode=disable", oracle.Superuser, pg.Password(), pg.Port()),
		"PG_EXPORTER_EXTEND_QUERY_PATH=" + queries,
	}, bin, "--web.listen-address="+addr)
	exp.WaitTCP(t, addr, 20*time.Second)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %s\n%s", resp.Status, body)
	}
	if !strings.Contains(string(body), `version="`+Version+`"`) {
		t.Fatalf("the exporter's build info is not version %s:\n%s", Version, body)
	}
	got := record(t, string(body))
	if *update {
		if err := os.WriteFile(dataFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want := data; got != want {
		t.Errorf("%s is not what postgres_exporter %s exports (run regen.sh); it exports:\n%s", dataFile, Version, got)
	}
}

var sample = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? `)
var labelName = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="`)

// record turns a scrape into the data file: the sorted sample names (less the probe's), then
// the labels on the probe's metric that the probe did not set.
func record(t *testing.T, body string) string {
	metrics := map[string]bool{}
	var labels []string
	probed := false
	for _, line := range strings.Split(body, "\n") {
		m := sample.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if strings.HasPrefix(m[1], "azagen_probe_") {
			probed = true
			for _, l := range labelName.FindAllStringSubmatch(m[2], -1) {
				if l[1] != "probe_label" && !slices.Contains(labels, l[1]) {
					labels = append(labels, l[1])
				}
			}
			continue
		}
		metrics[m[1]] = true
	}
	if !probed {
		t.Fatalf("the scrape has no azagen_probe_value: the probe query did not run\n%s", body)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Names postgres_exporter %s owns, recorded by generate_test.go (regen.sh) from its default\n# collectors scraping PostgreSQL 18.6; do not edit. metric: a sample name; label: a label it adds\n# to a custom query's metrics.\n", Version)
	for _, name := range slices.Sorted(mapsKeys(metrics)) {
		fmt.Fprintf(&b, "metric\t%s\n", name)
	}
	slices.Sort(labels)
	for _, l := range labels {
		fmt.Fprintf(&b, "label\t%s\n", l)
	}
	return b.String()
}

func mapsKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestVersionIsThePin checks that the data is for the exporter image stacks.cue pins.
func TestVersionIsThePin(t *testing.T) {
	src, err := os.ReadFile("../../stacks.cue")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)postgresExporter:\s*\{.*?tag:\s*"v([^"]+)"`).FindSubmatch(src)
	if m == nil {
		t.Fatal("stacks.cue pins no postgresExporter tag")
	}
	if string(m[1]) != Version {
		t.Errorf("stacks.cue pins postgres-exporter v%s, the recorded names are of %s: run regen.sh with that exporter", m[1], Version)
	}
}
