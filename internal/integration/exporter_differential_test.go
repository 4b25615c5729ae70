package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/compile"
	"github.com/azagen/azagen/internal/pgcatalog"
	"github.com/azagen/azagen/internal/sqlcheck"
	"github.com/azagen/azagen/internal/testing/oracle"
)

// TestExporterQueryDifferential holds azagen's verdict on every query of
// testdata/exporter_query_corpus.sql against the real server's: PostgreSQL 18.6 started from
// the primary stack's rendered config, with the stacks' extensions that the rootfs packages
// created, asked as the exporter's own role (the rendered monitoring login) to PREPARE the
// query and to EXPLAIN EXECUTE it. PREPARE is parse analysis (names, types, schema USAGE);
// EXPLAIN starts the plan, which is where the server checks SELECT and EXECUTE privileges,
// without running the query. Both sides must accept or both refuse, for every query.
//
// Then every query azagen accepts as an exporter query (the whole compile: names resolve,
// columns typed as their metrics, no exporter-owned name) is added to the stacks'
// exporter_queries and the real postgres_exporter 0.19.1 scrapes them all: the scrape must
// answer 200 with pg_up 1 and pg_exporter_last_scrape_error 0, the exporter must log no
// error and still be running.
func TestExporterQueryDifferential(t *testing.T) {
	exporterBin := oracle.Require(t, oracle.ToolPostgresExporter)
	corpus := readCorpus(t)
	if len(corpus) < 40 {
		t.Fatalf("the corpus has %d queries, want at least 40", len(corpus))
	}
	res := compileStacks(t)
	const stack = "primary"
	pg := newRenderedPostgres(t, res, stack, postgresService(t, res.Config.Stacks[stack]).Key)
	pg.start(t)
	runRolesInit(t, res, pg, stack)
	view := pgcatalog.Load().View(res.Config.PostgreSQL.Extensions)
	for _, ext := range res.Config.PostgreSQL.Extensions {
		if slices.Contains(pgcatalog.Load().Extensions(), ext) {
			pg.psql(t, "CREATE EXTENSION IF NOT EXISTS "+pgIdent(ext))
		}
	}

	expEnv := serviceEnvironment(t, renderedService(t, res, stack, "postgres_exporter"), sampleEnvironment(t, res, stack))
	dsn, err := url.Parse(expEnv["DATA_SOURCE_NAME"])
	if err != nil || dsn.User.Username() == "" || expEnv["PGPASSWORD"] == "" {
		t.Fatalf("no exporter login in the rendered environment: DATA_SOURCE_NAME %q: %v", expEnv["DATA_SOURCE_NAME"], err)
	}
	role := dsn.User.Username()

	agree, serverValid := 0, 0
	var valid []string
	for i, q := range corpus {
		_, azErr := sqlcheck.Analyze(q, view)
		_, pgErr := pg.Psql(t, role, expEnv["PGPASSWORD"], "postgres", "PREPARE corpus_q AS "+q+";\nEXPLAIN EXECUTE corpus_q;")
		az, server := "accepts", "accepts"
		if azErr != nil {
			az = "refuses: " + azErr.Error()
		}
		if pgErr != nil {
			server = "refuses: " + firstErrorLine(pgErr.Error())
		} else {
			serverValid++
			valid = append(valid, q)
		}
		if (azErr == nil) == (pgErr == nil) {
			agree++
			t.Logf("#%02d agree: %s\n    azagen %s\n    server %s", i+1, q, az, server)
		} else {
			t.Errorf("#%02d DISAGREE: %s\n    azagen %s\n    server %s", i+1, q, az, server)
		}
	}
	t.Logf("corpus %d queries (%d valid on PostgreSQL 18 for role %s, %d invalid); azagen agrees with the server on %d", len(corpus), serverValid, role, len(corpus)-serverValid, agree)
	if serverValid < 10 || len(corpus)-serverValid < 10 {
		t.Errorf("the corpus should hold at least 10 valid and 10 invalid queries, has %d and %d", serverValid, len(corpus)-serverValid)
	}
	if t.Failed() {
		return
	}

	accepted := acceptedExporterQueries(t, valid, view)
	t.Logf("azagen accepts %d of the %d valid queries as exporter queries", len(accepted), len(valid))
	overlay := filepath.Join(t.TempDir(), "corpus.cue")
	writeQueriesOverlay(t, overlay, accepted, view)
	withCorpus := compileStacks(t, overlay)
	exp := startExporter(t, exporterBin, withCorpus, pg, stack, "postgres_exporter")
	metrics := exp.scrape(t)
	checkMetric(t, metrics, "pg_up", "1")
	checkMetric(t, metrics, "pg_exporter_last_scrape_error", "0")
	checkMetric(t, metrics, "pg_exporter_user_queries_load_error", "0")
	if out := exp.Output(); strings.Contains(out, "level=ERROR") {
		t.Errorf("postgres_exporter logged errors scraping the accepted corpus queries:\n%s", out)
	}
	select {
	case <-exp.Done():
		t.Errorf("postgres_exporter exited during the scrape: %v\n%s", exp.Err(), exp.Output())
	default:
	}
	for name := range accepted {
		if !slices.ContainsFunc(mapKeys(metrics), func(m string) bool { return strings.HasPrefix(m, name+"_") }) {
			// A query that returns no row yields no sample; that is not an error.
			t.Logf("query %s yielded no sample (no rows on this server)", name)
		}
	}
}

func mapKeys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func readCorpus(t *testing.T) []string {
	b, err := os.ReadFile("testdata/exporter_query_corpus.sql")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

// firstErrorLine is psql's "ERROR:  ..." line of an error.
func firstErrorLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if _, msg, ok := strings.Cut(line, "ERROR:  "); ok {
			return msg
		}
	}
	return s
}

// corpusQueryName is the exporter query name of the corpus query q, stable across runs.
func corpusQueryName(i int) string { return fmt.Sprintf("azagen_corpus_%02d", i+1) }

// acceptedExporterQueries compiles the stacks with each valid query as an exporter query whose
// metrics are its resolved columns (text: LABEL, else GAUGE) and keeps those azagen accepts.
func acceptedExporterQueries(t *testing.T, valid []string, view *pgcatalog.View) map[string]string {
	all := map[string]string{}
	for i, q := range valid {
		all[corpusQueryName(i)] = q
	}
	overlay := filepath.Join(t.TempDir(), "all.cue")
	writeQueriesOverlay(t, overlay, all, view)
	res, err := compile.Compile(context.Background(), []string{stacksSource, overlay})
	if err != nil {
		t.Fatal(err)
	}
	accepted := map[string]string{}
	for name, q := range all {
		var own []string
		for _, d := range res.Diags {
			if strings.HasPrefix(d.Path, "exporter_queries."+name+".") {
				own = append(own, d.Message)
			}
		}
		if len(own) > 0 {
			t.Logf("azagen refuses %s as an exporter query (%s): %s", name, q, strings.Join(own, "; "))
			continue
		}
		accepted[name] = q
	}
	for _, d := range res.Diags {
		if !strings.HasPrefix(d.Path, "exporter_queries.azagen_corpus_") {
			t.Errorf("unexpected finding: %v", d)
		}
	}
	return accepted
}

func writeQueriesOverlay(t *testing.T, path string, queries map[string]string, view *pgcatalog.View) {
	var b strings.Builder
	b.WriteString("package azagen\n\nexporter_queries: {\n")
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range queries {
			if !yield(k) {
				return
			}
		}
	}) {
		q := queries[name]
		res, e := sqlcheck.Analyze(q, view)
		if e != nil {
			t.Fatalf("%s: %v", q, e)
		}
		sql, _ := json.Marshal(q)
		fmt.Fprintf(&b, "\t%s: {\n\t\thelp: \"corpus query\"\n\t\tquery: %s\n\t\tmetrics: [\n", name, sql)
		for _, c := range res.Columns {
			usage := "GAUGE"
			if c.Text() {
				usage = "LABEL"
			}
			col, _ := json.Marshal(c.Name)
			fmt.Fprintf(&b, "\t\t\t{column: %s, usage: %q, description: \"corpus column\"},\n", col, usage)
		}
		b.WriteString("\t\t]\n\t}\n")
	}
	b.WriteString("}\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
