// Package exporternames knows the names the pinned postgres_exporter owns:
// the metric names its default collectors export, and the label names it
// adds to the metrics of a custom query. A custom query whose
// <query>_<column> is one of those metric names makes every scrape fail
// (HTTP 500: the registry refuses a metric described twice with different
// help), and a LABEL column named like a label the exporter adds makes the
// metric invalid.
//
// The data, postgres_exporter.tsv, is recorded from the real exporter at the
// version the stacks pin (Version), scraping a real PostgreSQL 18, by
// generate_test.go through regen.sh; the test fails when the file and the
// exporter disagree, and another when stacks.cue pins another version.
package exporternames

import (
	_ "embed"
	"slices"
	"strings"
	"sync"
)

// Version is the postgres_exporter version the data was recorded from; it must be the tag of
// the postgres-exporter image that stacks.cue pins.
const Version = "0.19.1"

const dataFile = "postgres_exporter.tsv"

//go:embed postgres_exporter.tsv
var data string

// Names are the recorded names.
type Names struct {
	// Metrics are the metric names of the default collectors (sample names, so a histogram's
	// _bucket, _sum and _count are there), sorted.
	Metrics []string
	// Labels are the label names the exporter adds to a custom query's metrics, sorted.
	Labels []string
}

// Load returns the recorded names.
var Load = sync.OnceValue(func() Names { return parse(data) })

func parse(s string) Names {
	var n Names
	for _, line := range strings.Split(s, "\n") {
		kind, name, ok := strings.Cut(line, "\t")
		switch {
		case !ok || strings.HasPrefix(line, "#"):
		case kind == "metric":
			n.Metrics = append(n.Metrics, name)
		case kind == "label":
			n.Labels = append(n.Labels, name)
		}
	}
	return n
}

// Metric reports whether the exporter exports a metric of that name.
func (n Names) Metric(name string) bool {
	_, ok := slices.BinarySearch(n.Metrics, name)
	return ok
}

// Label reports whether the exporter adds a label of that name to custom query metrics.
func (n Names) Label(name string) bool { return slices.Contains(n.Labels, name) }
