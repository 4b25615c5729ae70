package docs

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/azagen/azagen/internal/diag"
	md "github.com/azagen/azagen/internal/markdown"
	"github.com/azagen/azagen/internal/rules"
)

// A reference is a repository path named by a docs file: a Markdown link
// target or a backticked path.
type reference struct {
	target string
	line   int
	col    int
	link   bool
}

var (
	// inlineLink matches [text](target) and ![alt](target), with an
	// optional <...> around the target and an optional title.
	inlineLink = regexp.MustCompile(`!?\[[^\]]*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)`)
	// refDefinition matches a link reference definition: [id]: target.
	refDefinition = regexp.MustCompile(`^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)`)
	// repoPath is what a backticked path may look like: relative, no
	// spaces, no variables, globs, URLs or placeholders.
	repoPath = regexp.MustCompile(`^(\./)?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/?$`)
	// urlScheme starts an absolute URL (https:, mailto:, ...).
	urlScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
)

// pathExtensions are the file kinds of this repository: a backticked
// name/with/a/slash ending in one of them is a path even when its first
// directory does not exist (which is the dead reference to report).
var pathExtensions = map[string]bool{
	".md": true, ".cue": true, ".yaml": true, ".yml": true, ".json": true, ".conf": true,
	".sh": true, ".go": true, ".txtar": true, ".ini": true, ".sql": true, ".txt": true, ".toml": true,
}

// references finds the references of the hand-written parts of a file:
// fenced code, HTML comments and the generated blocks are skipped.
func references(data []byte, blocks []md.Block) []reference {
	var (
		out       []reference
		f         md.Fence
		inComment bool
	)
	inBlock := func(off int) bool {
		for _, b := range blocks {
			if off >= b.ContentStart && off < b.ContentEnd {
				return true
			}
		}
		return false
	}
	for _, ln := range md.Lines(data) {
		if f.Update(ln.Text) || inBlock(ln.Start) {
			continue
		}
		t := ln.Text
		if inComment {
			end := strings.Index(t, "-->")
			if end < 0 {
				continue
			}
			inComment = false
			t = strings.Repeat(" ", end+3) + t[end+3:]
		}
		// Blank out complete comments; note one left open.
		for {
			start := strings.Index(t, "<!--")
			if start < 0 {
				break
			}
			end := strings.Index(t[start:], "-->")
			if end < 0 {
				t = t[:start]
				inComment = true
				break
			}
			t = t[:start] + strings.Repeat(" ", end+3) + t[start+end+3:]
		}
		plain := md.StripCodeSpans(t)
		links := inlineLink.FindAllStringSubmatchIndex(plain, -1)
		// A backticked path that is the text of a link is only a label:
		// the link's target is what gets checked.
		for _, r := range codeSpanPaths(t, ln.Num) {
			if !slices.ContainsFunc(links, func(m []int) bool { return r.col-1 >= m[0] && r.col-1 < m[2] }) {
				out = append(out, r)
			}
		}
		for _, m := range links {
			out = append(out, linkRef(plain[m[2]:m[3]], ln.Num, m[2]))
		}
		if m := refDefinition.FindStringSubmatchIndex(plain); m != nil {
			out = append(out, linkRef(plain[m[2]:m[3]], ln.Num, m[2]))
		}
	}
	return out
}

func linkRef(target string, line, off int) reference {
	col := off + 1
	if strings.HasPrefix(target, "<") {
		target = strings.TrimSuffix(strings.TrimPrefix(target, "<"), ">")
		col++
	}
	return reference{target: target, line: line, col: col, link: true}
}

// codeSpanPaths returns the code spans of a line that look like
// repository paths.
func codeSpanPaths(s string, line int) []reference {
	var out []reference
	for _, span := range md.CodeSpans(s) {
		content := s[span[0]:span[1]]
		trimmed := strings.TrimSpace(content)
		if looksLikePath(trimmed) {
			col := span[0] + strings.Index(content, trimmed) + 1
			out = append(out, reference{target: trimmed, line: line, col: col})
		}
	}
	return out
}

// looksLikePath tells repository paths from the many other things docs
// put in backticks (settings, image names, CIDRs, commands, container
// paths): it must have a slash and either an extension of this
// repository's file kinds or a first segment that is a real top-level
// entry (checked later, when the root is known; see isRepoPath).
func looksLikePath(s string) bool {
	if !repoPath.MatchString(s) || !strings.Contains(s, "/") {
		return false
	}
	for _, seg := range strings.Split(strings.TrimPrefix(s, "./"), "/") {
		if seg == ".." || seg == "." {
			return false
		}
	}
	return true
}

// DeadReferences reports every link and backticked repository path of the
// hand-written text of the docs that names nothing. Links resolve from the
// file's directory (or the root, for /path); backticked paths from the
// root, as docs write them. exists says whether a slash path relative to
// the root exists, counting files a render is about to write.
func DeadReferences(root string, res *Result, exists func(rel string) bool) diag.List {
	var out diag.List
	for _, d := range res.Docs {
		if d.Blocks == nil && len(d.Old) > 0 && hasMarkerErrors(res.Diags, d.Path) {
			continue // its blocks are unknown; the marker errors come first
		}
		dir := path.Dir(d.Rel)
		for _, r := range references(d.Old, d.Blocks) {
			rel, ok, why := resolve(r, dir, root)
			if !ok {
				if why != "" {
					out = append(out, deadRef(d, r, why))
				}
				continue
			}
			if !exists(rel) {
				what := "path"
				if r.link {
					what = "link target"
				}
				msg := fmt.Sprintf("%s %s does not exist", what, r.target)
				if rel != path.Clean(strings.TrimPrefix(r.target, "./")) {
					msg += fmt.Sprintf(" (resolved to %s)", rel)
				}
				out = append(out, deadRef(d, r, msg))
			}
		}
	}
	out.Sort()
	return out
}

func hasMarkerErrors(diags diag.List, file string) bool {
	for _, d := range diags {
		if d.Pos.File == filepath.ToSlash(file) && d.Rule == rules.DocsMarker {
			return true
		}
	}
	return false
}

func deadRef(d *Doc, r reference, msg string) diag.Diagnostic {
	return diag.Diagnostic{Rule: rules.DocsDeadReference, Severity: diag.Error,
		Pos: diag.Position{File: filepath.ToSlash(d.Path), Line: r.line, Col: r.col}, Message: msg}
}

// resolve turns a reference into a slash path relative to the root. ok is
// false for references that are not repository paths (URLs, anchors,
// backticked text that only looks like a path); why is set when the
// reference is a path but can never exist.
func resolve(r reference, dir, root string) (rel string, ok bool, why string) {
	t := r.target
	if r.link {
		if t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, "//") || urlScheme.MatchString(t) {
			return "", false, ""
		}
		if i := strings.IndexAny(t, "#?"); i >= 0 {
			t = t[:i]
		}
		if u, err := url.PathUnescape(t); err == nil {
			t = u
		}
		if strings.HasPrefix(t, "/") {
			rel = path.Clean(strings.TrimPrefix(t, "/"))
		} else {
			rel = path.Clean(path.Join(dir, t))
		}
	} else {
		rel = path.Clean(strings.TrimPrefix(t, "./"))
		first, _, _ := strings.Cut(rel, "/")
		_, statErr := os.Stat(filepath.Join(root, first))
		if statErr != nil && !pathExtensions[path.Ext(rel)] {
			return "", false, ""
		}
	}
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false, fmt.Sprintf("%s leaves the repository", r.target)
	}
	return rel, true, ""
}
