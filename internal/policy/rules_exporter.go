package policy

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/exporternames"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/pgcatalog"
	"github.com/azagen/azagen/internal/sqlcheck"
)

// eachQuery visits the exporter queries in name order with their CUE path.
func (c *checker) eachQuery(fn func(q *model.ExporterQuery, path string)) {
	for _, name := range slices.Sorted(maps.Keys(c.cfg.ExporterQueries)) {
		fn(c.cfg.ExporterQueries[name], "exporter_queries."+diag.Label(name))
	}
}

// resolveQuery analyzes a query in the database the stacks create: PostgreSQL 18 with
// postgresql.extensions. Several rules need the analysis; it is made once per query and
// extension list, because parsing costs about 10 ms a query when the parser runs as
// WebAssembly (docs/PERFORMANCE.md).
func (c *checker) resolveQuery(q *model.ExporterQuery) (*sqlcheck.Result, *sqlcheck.Error) {
	key := strings.Join(c.cfg.PostgreSQL.Extensions, ",") + "\x00" + q.Query
	analyses.Lock()
	defer analyses.Unlock()
	if a, ok := analyses.m[key]; ok {
		return a.res, a.err
	}
	res, err := sqlcheck.Analyze(q.Query, pgcatalog.Load().View(c.cfg.PostgreSQL.Extensions))
	if len(analyses.m) >= 1024 { // a long-lived process (tests) must not grow without bound
		clear(analyses.m)
	}
	analyses.m[key] = analysis{res, err}
	return res, err
}

type analysis struct {
	res *sqlcheck.Result
	err *sqlcheck.Error
}

// analyses memoizes resolveQuery. Results are never modified by the rules.
var analyses = struct {
	sync.Mutex
	m map[string]analysis
}{m: map[string]analysis{}}

// exporterQueryResolves: the query parses and names only what PostgreSQL 18 has.
func exporterQueryResolves(c *checker) {
	c.eachQuery(func(q *model.ExporterQuery, path string) {
		_, e := c.resolveQuery(q)
		if e == nil {
			return
		}
		msg := e.Message
		if e.Hint != "" {
			msg += "; " + e.Hint
		}
		what := "does not resolve on PostgreSQL 18"
		if e.Syntax {
			what = "does not parse"
		}
		c.reportAt(path+".query", e.Offset, "query %s %s: %s", q.Name, what, msg)
	})
}

// exporterQueryColumns: the result columns are the declared metrics, with fitting types.
func exporterQueryColumns(c *checker) {
	c.eachQuery(func(q *model.ExporterQuery, path string) {
		res, e := c.resolveQuery(q)
		if e != nil {
			return // exporter-query-resolves reports it
		}
		declared := map[string]int{}
		for i, m := range q.Metrics {
			declared[m.Column] = i
		}
		seen := map[string]bool{}
		for _, col := range res.Columns {
			if seen[col.Name] {
				c.reportAt(path+".query", col.Offset, "query %s returns two columns named %q; postgres_exporter keeps one", q.Name, col.Name)
				continue
			}
			seen[col.Name] = true
			i, ok := declared[col.Name]
			if !ok {
				c.reportAt(path+".query", col.Offset, "query %s returns column %q, which metrics does not declare (declared: %s)", q.Name, col.Name, declaredNames(q))
				continue
			}
			m := q.Metrics[i]
			switch {
			case m.Usage == "LABEL" && !col.Text():
				c.reportAt(path+".query", col.Offset, "query %s: column %q is a LABEL but its type is %s; a label is text: cast it (::text)", q.Name, col.Name, typeWords(col))
			case m.Usage != "LABEL" && !col.Numeric():
				c.reportAt(path+".query", col.Offset, "query %s: column %q is a %s but its type is %s; postgres_exporter needs a number: cast it (::float8)", q.Name, col.Name, m.Usage, typeWords(col))
			}
		}
		for i, m := range q.Metrics {
			if !seen[m.Column] {
				got := make([]string, len(res.Columns))
				for j, col := range res.Columns {
					got[j] = col.Name
				}
				c.report(fmt.Sprintf("%s.metrics[%d].column", path, i), "query %s declares metric column %q, which the query does not return (it returns: %s)", q.Name, m.Column, strings.Join(got, ", "))
			}
		}
	})
}

func declaredNames(q *model.ExporterQuery) string {
	names := make([]string, len(q.Metrics))
	for i, m := range q.Metrics {
		names[i] = m.Column
	}
	return strings.Join(names, ", ")
}

func typeWords(col sqlcheck.Column) string {
	switch col.Type {
	case "":
		return "one azagen cannot tell"
	case "unknown":
		return "unknown (an untyped literal)"
	}
	return col.Type
}

// major is the PostgreSQL major of the catalog, the one the stacks' image runs.
func major() int {
	v, _, _ := strings.Cut(pgcatalog.Load().Version, ".")
	n, _ := strconv.Atoi(v)
	return n
}

// exporterQueryVersion: min_version is honoured.
func exporterQueryVersion(c *checker) {
	c.eachQuery(func(q *model.ExporterQuery, path string) {
		if m := major(); q.MinVersion > m {
			c.report(path+".min_version", "query %s needs PostgreSQL %d or later (min_version), but the stacks run PostgreSQL %d", q.Name, q.MinVersion, m)
		}
	})
}

// exporterNamesOwned: no metric or label name the exporter already uses.
func exporterNamesOwned(c *checker) {
	owned := exporternames.Load()
	c.eachQuery(func(q *model.ExporterQuery, path string) {
		for i, m := range q.Metrics {
			p := fmt.Sprintf("%s.metrics[%d].column", path, i)
			if m.Usage == "LABEL" {
				if owned.Label(m.Column) {
					c.report(p, "query %s: LABEL column %q is a label postgres_exporter %s adds to every custom metric itself; rename the column", q.Name, m.Column, exporternames.Version)
				}
				continue
			}
			if metric := q.Name + "_" + m.Column; owned.Metric(metric) {
				c.report(p, "query %s, column %s: metric %s is already exported by postgres_exporter %s's default collectors; a second one with other help makes every scrape fail (HTTP 500); rename the query or the column", q.Name, m.Column, metric, exporternames.Version)
			}
		}
	})
}
