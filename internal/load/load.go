// Package load builds one CUE instance from the embedded schema and the
// user's stacks.cue (plus overlays), validates it, and turns CUE's errors
// into positioned diagnostics that point into the user's files.
package load

import (
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/rules"
	"github.com/azagen/azagen/schema"
)

// schemaPrefix marks positions inside the embedded schema. It cannot collide
// with a user path because ':' never starts a relative path azagen is given.
const schemaPrefix = "azagen:schema/"

// MaxFileSize bounds each input file. CUE's evaluation time grows faster
// than linearly with some shapes of input (a 3 MB file of plain fields took
// 46 s), so a hostile or mistaken input is refused before it is parsed.
const MaxFileSize = 1 << 20

// PackageName is the only package clause a user file may carry.
const PackageName = "azagen"

// Source is a validated CUE value plus what is needed to map CUE paths back
// to positions in the user's files.
type Source struct {
	Value cue.Value
	// Files are the user's files in load order: stacks.cue, then overlays.
	Files []string
	// contents are the files' bytes by name, for positions inside string literals.
	contents map[string][]byte
	// known are the top-level fields the schema declares.
	known map[string]bool
}

// ReadError is an I/O failure reading an input file; it is not a problem
// with the input's content, so the CLI reports it with a different exit code.
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// Files loads the named files (the first is stacks.cue, the rest overlays)
// together with the embedded schema. It returns diagnostics for any syntax,
// schema or constraint violation; a non-nil error means a file could not be
// read at all.
func Files(paths []string) (*Source, diag.List, error) {
	sources := make([][]byte, len(paths))
	var tooBig diag.List
	for i, p := range paths {
		b, size, err := readBounded(p)
		if err != nil {
			return nil, nil, &ReadError{Err: err}
		}
		if size > MaxFileSize {
			tooBig = append(tooBig, diag.Diagnostic{Rule: rules.CUESyntax, Severity: diag.Error,
				Pos:     diag.Position{File: p, Line: 1, Col: 1},
				Message: fmt.Sprintf("file is %d bytes; azagen reads at most %d bytes per file (a stacks.cue is a few kilobytes)", size, MaxFileSize)})
			continue
		}
		sources[i] = b
	}
	if len(tooBig) > 0 {
		return nil, tooBig, nil
	}
	src, diags := Sources(paths, sources)
	return src, diags, nil
}

// readBounded reads a file unless it is larger than MaxFileSize, in which
// case only its size is returned.
func readBounded(p string) ([]byte, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	if info.Size() > MaxFileSize {
		return nil, info.Size(), nil
	}
	b, err := io.ReadAll(f)
	return b, int64(len(b)), err
}

// Sources is Files with the contents already in memory.
func Sources(paths []string, contents [][]byte) (*Source, diag.List) {
	inst := build.NewContext().NewInstance("", nil)
	known := map[string]bool{}
	for _, f := range schema.Files() {
		file, err := parser.ParseFile(schemaPrefix+f.Name, f.Source, parser.ParseComments)
		if err != nil {
			panic(fmt.Sprintf("embedded schema %s does not parse: %v", f.Name, err)) // covered by tests
		}
		if err := inst.AddSyntax(file); err != nil {
			panic(fmt.Sprintf("embedded schema %s: %v", f.Name, err))
		}
		for _, name := range topLevelFields(file) {
			known[name.name] = true
		}
	}
	var diags diag.List
	for i, p := range paths {
		file, err := parser.ParseFile(p, contents[i], parser.ParseComments)
		if err != nil {
			diags = append(diags, fromCUE(rules.CUESyntax, err, cue.Value{})...)
			continue
		}
		if d, ok := checkPackage(file); !ok {
			diags = append(diags, d)
			continue
		}
		if d, ok := checkImports(file); !ok {
			diags = append(diags, d...)
			continue
		}
		diags = append(diags, checkTopLevel(file, known)...)
		if err := inst.AddSyntax(file); err != nil {
			diags = append(diags, fromCUE(rules.CUESyntax, err, cue.Value{})...)
		}
	}
	if len(diags) > 0 {
		diags.Sort()
		return nil, diags
	}
	v := cuecontext.New().BuildInstance(inst)
	if err := v.Err(); err != nil && !v.Exists() {
		d := fromCUE(rules.CUESchema, err, v)
		d.Sort()
		return nil, d
	}
	if err := v.Validate(cue.Concrete(true)); err != nil {
		d := fromCUE(rules.CUESchema, err, v)
		d.Sort()
		return nil, d
	}
	src := &Source{Value: v, Files: slices.Clone(paths), contents: map[string][]byte{}, known: known}
	for i, p := range paths {
		src.contents[p] = contents[i]
	}
	return src, nil
}

func checkPackage(f *ast.File) (diag.Diagnostic, bool) {
	name := f.PackageName()
	if name == "" || name == PackageName {
		return diag.Diagnostic{}, true
	}
	var pos token.Pos
	for _, d := range f.Decls {
		if p, ok := d.(*ast.Package); ok {
			pos = p.Name.Pos()
		}
	}
	return diag.Diagnostic{
		Rule:     rules.CUESyntax,
		Severity: diag.Error,
		Pos:      position(pos),
		Message:  fmt.Sprintf("package must be %s (or omitted), found %q", PackageName, name),
	}, false
}

// checkImports allows only CUE's builtin packages: the instance is built
// without a module, so any other import could never resolve and CUE's own
// message for that is confusing.
func checkImports(f *ast.File) (diag.List, bool) {
	var out diag.List
	for spec := range f.ImportSpecs() {
		path := strings.Trim(spec.Path.Value, `"`)
		first, _, _ := strings.Cut(path, "/")
		if strings.Contains(first, ".") {
			out = append(out, diag.Diagnostic{
				Rule:     rules.CUESyntax,
				Severity: diag.Error,
				Pos:      position(spec.Path.Pos()),
				Message:  fmt.Sprintf("import %q is not available: stacks.cue may import only CUE's builtin packages (strings, list, ...)", path),
			})
		}
	}
	return out, len(out) == 0
}

type label struct {
	name string
	pos  token.Pos
}

// topLevelFields lists the regular fields a file declares at its top level;
// hidden fields (_x), definitions (#X) and let clauses are not listed.
func topLevelFields(f *ast.File) []label {
	var out []label
	for _, d := range f.Decls {
		field, ok := d.(*ast.Field)
		if !ok {
			continue
		}
		name, _, err := ast.LabelName(field.Label)
		if err != nil || strings.HasPrefix(name, "_") || strings.HasPrefix(name, "#") {
			continue
		}
		out = append(out, label{name, field.Label.Pos()})
	}
	return out
}

// checkTopLevel rejects top-level fields the schema does not declare. The
// package's top level is not a closed definition, so CUE itself would accept
// a misspelled "stack:" silently.
func checkTopLevel(f *ast.File, known map[string]bool) diag.List {
	var out diag.List
	for _, l := range topLevelFields(f) {
		if !known[l.name] {
			names := make([]string, 0, len(known))
			for k := range known {
				names = append(names, k)
			}
			slices.Sort(names)
			out = append(out, diag.Diagnostic{
				Rule: rules.CUESchema, Severity: diag.Error, Pos: position(l.pos), Path: l.name,
				Message: fmt.Sprintf("field not allowed: the top level may only set %s (hidden fields such as _x are free)", strings.Join(names, ", ")),
			})
		}
	}
	return out
}

// tunableConflict finds the name of a tunable in a conflict CUE reports
// between a tunable's declaration and a concrete value an overlay gives.
var tunableConflict = regexp.MustCompile(`^conflicting values .*\{tunable:"([A-Z][A-Z0-9_]*)"`)

// tunableHint adds to a conflict with a tunable how to change its value:
// CUE unifies an overlay with stacks.cue and never replaces a value.
func tunableHint(msg string) string {
	m := tunableConflict.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	return msg + fmt.Sprintf(": the value is the tunable %s, which an overlay cannot replace; set %s in the stack's .env (azagen vet --env-file checks it against the range), or change its default and range in stacks.cue", m[1], m[1])
}

var emptyDisjunction = regexp.MustCompile(`^\d+ errors in empty disjunction:?$`)

// fromCUE turns a CUE error into diagnostics following the recipe in
// spec/cue-and-compose-go.md A2: flatten, drop disjunction summaries, prefer
// errors that point at the user's files, and find a user position for errors
// that only carry schema positions by walking up the path.
func fromCUE(rule string, err error, root cue.Value) diag.List {
	type ranked struct {
		d    diag.Diagnostic
		rank int
	}
	byPath := map[string][]ranked{}
	// userConflict marks paths where two values the user wrote disagree.
	// (a conflict that names no schema position: not a value against an arm
	// of a schema disjunction). There the field's value is bottom, so every
	// constraint on it fails too: a `T | error("...")` type reports its
	// message for values that satisfy T. The conflict is the one root
	// cause; the other messages at that path are its echoes and are
	// dropped.
	userConflict := map[string]bool{}
	var order []string
	for _, e := range errors.Errors(errors.Sanitize(errors.Promote(err, ""))) {
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		if emptyDisjunction.MatchString(msg) {
			continue
		}
		var user, schemaPos []token.Pos
		for _, p := range errors.Positions(e) {
			if !p.IsValid() {
				continue
			}
			if strings.HasPrefix(p.Filename(), schemaPrefix) {
				schemaPos = append(schemaPos, p)
			} else {
				user = append(user, p)
			}
		}
		msg = tunableHint(msg)
		path := cuePath(e.Path())
		rank := 0
		if strings.HasPrefix(msg, "conflicting values") && len(schemaPos) > 0 {
			// Usually the user's value against one arm of a schema
			// disjunction or its default: noise next to the real message.
			rank = 1
		}
		if len(user) == 0 && root.Exists() {
			if p := ancestorPos(root, e.Path()); p.IsValid() {
				user = append(user, p)
			}
		}
		if strings.HasPrefix(msg, "conflicting values") && len(user) >= 2 && len(schemaPos) == 0 {
			userConflict[path] = true
		}
		d := diag.Diagnostic{Rule: rule, Severity: diag.Error, Path: path, Message: msg}
		switch {
		case len(user) > 0:
			d.Pos = position(user[0])
			for _, p := range user[1:] {
				d.Related = append(d.Related, position(p))
			}
		case len(schemaPos) > 0:
			d.Pos = position(schemaPos[0])
		}
		if _, seen := byPath[path]; !seen {
			order = append(order, path)
		}
		byPath[path] = append(byPath[path], ranked{d, rank})
	}
	var out diag.List
	seen := map[string]bool{}
	for _, p := range order {
		best := 2
		for _, r := range byPath[p] {
			best = min(best, r.rank)
		}
		for _, r := range byPath[p] {
			key := r.d.Pos.String() + "\x00" + r.d.Message
			if userConflict[p] && !strings.HasPrefix(r.d.Message, "conflicting values") {
				continue
			}
			if r.rank == best && !seen[key] {
				seen[key] = true
				out = append(out, r.d)
			}
		}
	}
	return out
}

// cuePath renders a CUE error path the way policy paths are written:
// fields joined by dots, list indexes in brackets (ports[0].host).
func cuePath(sel []string) string {
	elems := make([]diag.PathElem, len(sel))
	for i, s := range sel {
		if n, err := strconv.Atoi(s); err == nil {
			elems[i] = diag.Index(n)
			continue
		}
		// CUE quotes a label that is not an identifier; CUEPath quotes
		// again, from the label itself.
		if u, err := strconv.Unquote(s); err == nil && strings.HasPrefix(s, `"`) {
			s = u
		}
		elems[i] = diag.Field(s)
	}
	return diag.CUEPath(elems...)
}

// selector turns one element of an error path into a CUE selector: list
// indexes come back from CUE as bare numbers, which ParsePath would reject
// as a field name.
func selector(s string) cue.Selector {
	if i, err := strconv.Atoi(s); err == nil {
		return cue.Index(i)
	}
	if sels := cue.ParsePath(s).Selectors(); len(sels) == 1 {
		return sels[0]
	}
	return cue.Str(s)
}

// ancestorPos finds the nearest value on the path (or above it) that was
// written in a user file, for errors CUE reports only against the schema.
func ancestorPos(root cue.Value, sel []string) token.Pos {
	selectors := make([]cue.Selector, 0, len(sel))
	for _, s := range sel {
		selectors = append(selectors, selector(s))
	}
	return ancestorPosPath(root, cue.MakePath(selectors...))
}

// ancestorPosPath is ancestorPos for a parsed path.
func ancestorPosPath(root cue.Value, path cue.Path) token.Pos {
	sels := path.Selectors()
	for n := len(sels); n >= 0; n-- {
		v := root.LookupPath(cue.MakePath(sels[:n]...))
		if !v.Exists() {
			continue
		}
		if p := UserPos(v); p.IsValid() {
			return p
		}
	}
	return token.NoPos
}

// UserPos returns the position of v in a user file, looking through the
// conjuncts CUE unified into it; NoPos if every conjunct is from the schema.
func UserPos(v cue.Value) token.Pos {
	if p := v.Pos(); p.IsValid() && !strings.HasPrefix(p.Filename(), schemaPrefix) {
		return p
	}
	_, args := v.Expr()
	for _, a := range args {
		if p := a.Pos(); p.IsValid() && !strings.HasPrefix(p.Filename(), schemaPrefix) {
			return p
		}
	}
	return token.NoPos
}

// Pos maps a path in the configuration to the nearest position in a user
// file, for diagnostics found after CUE (normalization and policy).
func (s *Source) Pos(path string) diag.Position {
	if s == nil {
		return diag.Position{}
	}
	if p := ancestorPosPath(s.Value, cue.ParsePath(path)); p.IsValid() {
		return position(p)
	}
	// Nothing on the path was written by the user (an empty file, say):
	// point at the start of stacks.cue rather than nowhere.
	return diag.Position{File: s.Files[0], Line: 1, Col: 1}
}

func position(p token.Pos) diag.Position {
	if !p.IsValid() {
		return diag.Position{}
	}
	return diag.Position{File: p.Filename(), Line: p.Line(), Col: p.Column()}
}

// Environment returns the source as the named environment sees it: the
// whole value unified with environments.NAME.values, validated like the
// source itself. Positions stay those of the user's files, so a finding in
// an environment points at stacks.cue (or an overlay) as any other. A
// conflict with a value stacks.cue fixes gets a hint: unification never
// replaces a concrete value.
func (s *Source) Environment(name string) (*Source, diag.List) {
	vals := s.Value.LookupPath(environmentValues(name))
	if !vals.Exists() {
		return s, nil
	}
	if d := s.valuesTopLevel(name, vals); len(d) > 0 {
		return nil, d
	}
	v := s.Value.Unify(vals)
	err := v.Err()
	if err == nil {
		err = v.Validate(cue.Concrete(true))
	}
	if err != nil {
		d := fromCUE(rules.CUESchema, err, v)
		for i := range d {
			// Point first at what the environment wrote, then at the
			// source's side of a conflict.
			if p := UserPos(vals.LookupPath(cue.ParsePath(d[i].Path))); p.IsValid() {
				if pos := position(p); pos != d[i].Pos {
					var related []diag.Position
					for _, r := range append([]diag.Position{d[i].Pos}, d[i].Related...) {
						if r.File != pos.File || r.Line != pos.Line {
							related = append(related, r)
						}
					}
					d[i].Pos, d[i].Related = pos, related
				}
			}
			if m := tunableConflict.FindStringSubmatch(d[i].Message); m != nil {
				// The overlay's hint does not fit: an environment sets a
				// tunable's default under its tunables.
				stack := ""
				if sels := cue.ParsePath(d[i].Path).Selectors(); len(sels) > 1 {
					stack = sels[1].Unquoted()
				}
				d[i].Message = fmt.Sprintf("%s is a tunable, which values cannot replace: set environments.%s.tunables.%s.%s instead", m[1], diag.Label(name), diag.Label(stack), m[1])
			} else if strings.HasPrefix(d[i].Message, "conflicting values") {
				d[i].Message += fmt.Sprintf(": environment %s can only fill what stacks.cue leaves open; to let it choose this value, write it in stacks.cue as a default (*value | type) or declare it tunable and set it under environments.%s.tunables", name, name)
			}
		}
		d.Sort()
		return nil, d
	}
	return &Source{Value: v, Files: s.Files, contents: s.contents, known: s.known}, nil
}

// environmentValues is the path of an environment's values.
func environmentValues(name string) cue.Path {
	return cue.MakePath(cue.Str("environments"), cue.Str(name), cue.Str("values"))
}

// EnvironmentValuePos is where environment name's values set what path
// (a configuration path such as stacks.primary.services.pgbouncer.restart)
// holds: the value at path itself, or a list or scalar above it that the
// environment replaces as a whole. ok is false when the environment's
// values do not touch path.
func (s *Source) EnvironmentValuePos(name, path string) (diag.Position, bool) {
	vals := s.Value.LookupPath(environmentValues(name))
	if !vals.Exists() {
		return diag.Position{}, false
	}
	sels := cue.ParsePath(path).Selectors()
	for n := len(sels); n > 0; n-- {
		v := vals.LookupPath(cue.MakePath(sels[:n]...))
		if !v.Exists() || (n < len(sels) && v.IncompleteKind() == cue.StructKind) {
			continue
		}
		if p := UserPos(v); p.IsValid() {
			return position(p), true
		}
	}
	return diag.Position{}, false
}

// valuesTopLevel refuses what an environment's values set at the top level
// that the source could not: a field the schema does not declare, and
// environments themselves.
func (s *Source) valuesTopLevel(name string, vals cue.Value) diag.List {
	var out diag.List
	it, err := vals.Fields()
	if err != nil {
		return nil
	}
	for it.Next() {
		label := it.Selector().Unquoted()
		path := diag.CUEPath(diag.Fields("environments", name, "values", label)...)
		var msg string
		switch {
		case label == "environments":
			msg = "an environment's values cannot declare environments; declare each environment under environments in stacks.cue"
		case !s.known[label]:
			msg = fmt.Sprintf("field not allowed: an environment's values may only set %s, as the top level of stacks.cue", strings.Join(slices.DeleteFunc(slices.Sorted(maps.Keys(s.known)), func(k string) bool { return k == "environments" }), ", "))
		default:
			continue
		}
		out = append(out, diag.Diagnostic{Rule: rules.CUESchema, Severity: diag.Error, Pos: position(UserPos(it.Value())), Path: path, Message: msg})
	}
	return out
}
