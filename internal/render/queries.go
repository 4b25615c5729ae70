package render

import (
	"maps"
	"slices"

	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/output"
)

// ExporterQueries renders the custom queries file of postgres_exporter,
// one file for every stack.
func ExporterQueries(cfg *model.Config) (output.File, error) {
	root := newMapping()
	for _, name := range slices.Sorted(maps.Keys(cfg.ExporterQueries)) {
		q := cfg.ExporterQueries[name]
		metrics := list()
		for _, m := range q.Metrics {
			metrics.Content = append(metrics.Content, newMapping().set(m.Column,
				newMapping().set("usage", str(m.Usage)).set("description", str(m.Description)).n).n)
		}
		entry := newMapping().set("query", str(q.Query)).set("master", boolean(true)).set("metrics", metrics)
		key := str(name)
		key.HeadComment = q.Help
		root.n.Content = append(root.n.Content, key, entry.n)
	}
	data, err := encodeYAML(output.HashComment(), root.n)
	if err != nil {
		return output.File{}, err
	}
	return output.File{Path: model.ExporterQueriesPath, Data: data}, nil
}
