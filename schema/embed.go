// Package schema embeds the CUE definitions that every stacks.cue is checked
// against. They are part of the binary, so a stacks.cue needs no cue.mod.
package schema

import (
	"embed"
	"io/fs"
	"sort"
)

//go:embed *.cue
var files embed.FS

// File is one embedded schema file.
type File struct {
	Name   string
	Source []byte
}

// Files returns the schema files in a stable order.
func Files() []File {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory exists
	}
	var out []File
	for _, e := range entries {
		src, err := files.ReadFile(e.Name())
		if err != nil {
			panic(err)
		}
		out = append(out, File{Name: e.Name(), Source: src})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
