package render

import (
	"maps"
	"slices"

	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/output"
	"github.com/azagen/azagen/internal/yamlnode"
)

// ExporterQueries renders the custom queries file of postgres_exporter,
// one file for every stack.
func ExporterQueries(cfg *model.Config) (output.File, error) {
	root := newMapping()
	for _, name := range slices.Sorted(maps.Keys(cfg.ExporterQueries)) {
		q := cfg.ExporterQueries[name]
		metrics := yamlnode.Seq()
		for _, m := range q.Metrics {
			metrics.Content = append(metrics.Content, newMapping().Set(m.Column,
				newMapping().Set("usage", str(m.Usage)).Set("description", str(m.Description)).Node).Node)
		}
		entry := newMapping().Set("query", str(q.Query)).Set("master", yamlnode.Bool(true)).Set("metrics", metrics)
		key := str(name)
		key.HeadComment = q.Help
		root.Node.Content = append(root.Node.Content, key, entry.Node)
	}
	data, err := yamlnode.Encode(output.HashComment(), root.Node)
	if err != nil {
		return output.File{}, err
	}
	return output.File{Path: model.ExporterQueriesPath, Data: data}, nil
}
