// Package docs renders the tables of the hand-written Markdown docs from the
// normalized model, between markers:
//
//	<!-- BEGIN azagen:ports.primary -->
//	(generated; rewritten by azagen render)
//	<!-- END azagen:ports.primary -->
//
// Text outside the markers belongs to people and is never touched. The docs
// are README.md beside stacks.cue and every .md file under docs/. They are
// not in the ownership manifest of generated/: azagen owns only what is
// between their markers. The package also checks that every link and
// backticked repository path in the hand-written text still exists, and
// explains where a value of the model comes from (see Explain).
package docs

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/load"
	md "github.com/azagen/azagen/internal/markdown"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/output"
	"github.com/azagen/azagen/internal/rules"
)

// Dir is the docs directory beside stacks.cue.
const Dir = "docs"

// Readme is the top-level README beside stacks.cue, also a docs file.
const Readme = "README.md"

// Input is what the tables are rendered from.
type Input struct {
	// Config is the normalized model.
	Config *model.Config
	// Source is the loaded CUE value, for the schema-defaults table.
	Source *load.Source
	// CLI is the root command, for the CLI reference tables.
	CLI *cobra.Command
	// ExitCodes is the CLI's table of exit codes, which --help prints too.
	ExitCodes []ExitCode
}

// ExitCode is one exit code of the CLI and what it means.
type ExitCode struct {
	Code    int
	Meaning string
}

// Doc is one Markdown file: what is on disk and what it becomes once every
// block holds its current table.
type Doc struct {
	// Path is the file as opened (root joined with Rel); positions use it.
	Path string
	// Rel is the slash-separated path relative to the root.
	Rel      string
	Mode     fs.FileMode
	Old, New []byte
	Blocks   []md.Block
	// Stale lists the blocks whose content changes.
	Stale []md.Block
}

// Changed reports whether rendering changes the file.
func (d *Doc) Changed() bool { return !bytes.Equal(d.Old, d.New) }

// Result is every docs file, rendered in memory, and the problems found.
type Result struct {
	Docs  []*Doc
	Diags diag.List
}

// Changed returns the files whose tables are stale.
func (r *Result) Changed() []*Doc {
	var out []*Doc
	for _, d := range r.Docs {
		if d.Changed() {
			out = append(out, d)
		}
	}
	return out
}

// Files lists the docs files under root, as slash paths relative to it:
// README.md when it exists, then every .md file under docs/, sorted.
func Files(root string) ([]string, error) {
	var out []string
	if info, err := os.Stat(filepath.Join(root, Readme)); err == nil && info.Mode().IsRegular() {
		out = append(out, Readme)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	dir := filepath.Join(root, Dir)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return filepath.SkipDir
			}
			return err
		}
		if d.Type().IsRegular() && strings.HasSuffix(d.Name(), ".md") {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// WalkDir visits in lexical order, so the list is stable.
	return out, nil
}

// Render reads every docs file under root and renders its blocks in
// memory. It writes nothing. Marker and table problems are in
// Result.Diags, positioned in the files; the error is for I/O.
func Render(root string, in *Input) (*Result, error) {
	files, err := Files(root)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	for _, rel := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		d := &Doc{Path: p, Rel: rel, Mode: info.Mode().Perm(), Old: data}
		blocks, diags := md.Parse(filepath.ToSlash(p), data)
		if len(diags) > 0 {
			// Still name the unknown tables, so one run shows every
			// problem of the file.
			for _, b := range blocks {
				if err := checkRef(in, b.Table); err != nil {
					pos := b.Begin
					pos.Col = b.NameCol
					diags = append(diags, diag.Diagnostic{Rule: rules.DocsUnknownTable, Severity: diag.Error, Pos: pos, Message: err.Error()})
				}
			}
			res.Diags = append(res.Diags, diags...)
			d.New = data
			res.Docs = append(res.Docs, d)
			continue
		}
		d.Blocks = blocks
		d.New, d.Stale, diags = fill(data, blocks, in)
		if len(diags) > 0 {
			// All or nothing per file: a half-rendered file is never
			// offered for writing.
			d.New, d.Stale = data, nil
		}
		res.Diags = append(res.Diags, diags...)
		res.Docs = append(res.Docs, d)
	}
	res.Diags.Sort()
	return res, nil
}

// fill replaces the content of every block with its table. A block that
// cannot be rendered is reported and keeps its old content.
func fill(data []byte, blocks []md.Block, in *Input) ([]byte, []md.Block, diag.List) {
	var (
		out   bytes.Buffer
		stale []md.Block
		diags diag.List
		prev  int
	)
	for _, b := range blocks {
		out.Write(data[prev:b.ContentStart])
		old := data[b.ContentStart:b.ContentEnd]
		body, err := renderTable(in, b.Table)
		if err != nil {
			rule := rules.DocsTable
			var te *tableError
			if errors.As(err, &te) {
				rule = te.rule
			}
			pos := b.Begin
			if rule == rules.DocsUnknownTable {
				pos.Col = b.NameCol
			}
			diags = append(diags, diag.Diagnostic{Rule: rule, Severity: diag.Error, Pos: pos, Message: err.Error()})
			out.Write(old)
			prev = b.ContentEnd
			continue
		}
		if bad := md.MarkerIn(body); bad != "" {
			diags = append(diags, diag.Diagnostic{Rule: rules.DocsTable, Severity: diag.Error, Pos: b.Begin,
				Message: fmt.Sprintf("table %s renders a line that reads as a marker (%q); this is a bug in azagen", b.Table, bad)})
			out.Write(old)
			prev = b.ContentEnd
			continue
		}
		content := md.Frame(body, b.Newline)
		if !bytes.Equal(old, content) {
			stale = append(stale, b)
		}
		out.Write(content)
		prev = b.ContentEnd
	}
	out.Write(data[prev:])
	return out.Bytes(), stale, diags
}

// Diff is the unified diff of a changed file.
func (d *Doc) Diff() (string, error) {
	return output.UnifiedDiff(filepath.ToSlash(d.Path), d.Old, d.New)
}

// Write puts every changed file in place: each is written to a temporary
// file in its directory and renamed over the old one, so a reader sees the
// old or the new file, never a mix. It returns the files it wrote.
func Write(res *Result) ([]*Doc, error) {
	var written []*Doc
	for _, d := range res.Changed() {
		if err := writeAtomic(d.Path, d.New, d.Mode); err != nil {
			return written, err
		}
		written = append(written, d)
	}
	return written, nil
}

func writeAtomic(target string, data []byte, mode fs.FileMode) error {
	// Write through a symlinked doc to the file it names, rather than
	// replacing the link with a copy.
	if resolved, err := filepath.EvalSymlinks(target); err == nil {
		target = resolved
	}
	return output.WriteFileAtomic(target, data, mode)
}
