package explain

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/token"

	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/load"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
	"github.com/azagen/azagen/internal/output"
	"github.com/azagen/azagen/internal/pgcatalog"
	"github.com/azagen/azagen/internal/sqlcheck"
)

// Kinds of provenance entries.
const (
	FromSource      = "stacks.cue"     // written in the main file
	FromOverlay     = "overlay"        // written in an overlay
	FromDefault     = "schema default" // a *default of the schema
	FromSchema      = "schema"         // a value the schema itself gives
	FromConstraint  = "constraint"     // a schema constraint the value had to satisfy
	FromLayer       = "healthcheck layer"
	FromNormalize   = "normalize"   // derived or rewritten by normalization
	FromEnvironment = "environment" // a tunable default an environment sets
)

// Explanation says where one value of the configuration comes from and
// which generated lines it ends up in.
type Explanation struct {
	Path  string `json:"path"`
	Value string `json:"value,omitempty"`
	// Fields lists the children of a struct, for a path that is not a leaf.
	Fields  []string `json:"fields,omitempty"`
	Sources []Source `json:"sources"`
	UsedIn  []Use    `json:"used_in"`
	// Query is what an exporter query resolves to, for exporter_queries.<name> and its query.
	Query *Query `json:"query,omitempty"`
}

// Query is an exporter query as PostgreSQL 18 resolves it (internal/sqlcheck).
type Query struct {
	// Catalog is the PostgreSQL version of the catalog the names were resolved in.
	Catalog string `json:"catalog"`
	// Error is why it does not resolve, "" when it does.
	Error     string         `json:"error,omitempty"`
	Relations []sqlcheck.Use `json:"relations,omitempty"`
	Functions []string       `json:"functions,omitempty"`
	Columns   []QueryColumn  `json:"columns,omitempty"`
}

// QueryColumn is one result column: its resolved type and the usage the query declares.
type QueryColumn struct {
	Name string `json:"name"`
	// Type is the pg_type name ("" when azagen cannot tell, "unknown" for an untyped literal).
	Type  string `json:"type"`
	Usage string `json:"usage,omitempty"`
}

// explainQuery resolves an exporter query in the stacks' database.
func explainQuery(c *model.Config, q *model.ExporterQuery) *Query {
	out := &Query{Catalog: pgcatalog.Load().Version}
	res, e := sqlcheck.Analyze(q.Query, pgcatalog.Load().View(c.PostgreSQL.Extensions))
	if e != nil {
		out.Error = e.Error()
		return out
	}
	out.Relations, out.Functions = res.Relations, res.Functions
	for _, col := range res.Columns {
		qc := QueryColumn{Name: col.Name, Type: col.Type}
		for _, m := range q.Metrics {
			if m.Column == col.Name {
				qc.Usage = m.Usage
			}
		}
		out.Columns = append(out.Columns, qc)
	}
	return out
}

// Source is one place that contributed to the value.
type Source struct {
	Kind  string         `json:"kind"`
	Pos   *diag.Position `json:"position,omitempty"`
	Value string         `json:"value,omitempty"`
	Note  string         `json:"note,omitempty"`
}

// Use is one generated line that holds the value.
type Use struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Text string `json:"text"`
}

// Input is the compiled configuration explain reads.
type Input struct {
	Source *load.Source
	Config *model.Config
	Output output.Set
	// OutDisplay prefixes the output paths in UsedIn (e.g. "generated").
	OutDisplay string
	// Environment, when set, is the environment Config was compiled for:
	// a tunable default it sets is shown as a source.
	Environment *model.Environment
}

// NotFoundError is a path that names nothing in the configuration.
type NotFoundError struct {
	Path string
	// Known lists the fields of the deepest existing parent.
	Parent string
	Known  []string
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("%s: no such value in the configuration", e.Path)
	if len(e.Known) > 0 {
		msg += fmt.Sprintf("; %s has %s", e.Parent, strings.Join(e.Known, ", "))
	}
	return msg
}

// segment is one step of a path: a field label or a list index.
type segment struct {
	label string
	index int
	isIdx bool
}

// parsePath reads the paths people type: CUE syntax
// (stacks.replica.services."postgres-replica".ports[0].host) and the
// looser form without quotes or brackets
// (stacks.replica.services.postgres-replica.ports.0.host).
func parsePath(s string) ([]segment, error) {
	var out []segment
	i := 0
	for i < len(s) {
		switch c := s[i]; {
		case c == '.':
			i++
			if i == len(s) || s[i] == '.' {
				return nil, fmt.Errorf("invalid path %q: empty label", s)
			}
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, fmt.Errorf("invalid path %q: unterminated quote", s)
			}
			label, err := strconv.Unquote(s[i : j+1])
			if err != nil {
				return nil, fmt.Errorf("invalid path %q: %v", s, err)
			}
			out = append(out, segment{label: label})
			i = j + 1
		case c == '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("invalid path %q: unterminated [", s)
			}
			n, err := strconv.Atoi(s[i+1 : i+j])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("invalid path %q: %q is not a list index", s, s[i+1:i+j])
			}
			out = append(out, segment{index: n, isIdx: true})
			i += j + 1
		default:
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			label := s[i:j]
			if n, err := strconv.Atoi(label); err == nil && n >= 0 {
				out = append(out, segment{index: n, isIdx: true})
			} else {
				out = append(out, segment{label: label})
			}
			i = j
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty path")
	}
	return out, nil
}

// pathString prints segments in CUE syntax, the form diagnostics use.
func pathString(segs []segment) string {
	elems := make([]diag.PathElem, len(segs))
	for i, s := range segs {
		elems[i] = diag.PathElem{Label: s.label, Index: s.index, IsIndex: s.isIdx}
	}
	return diag.CUEPath(elems...)
}

func cuePath(segs []segment) cue.Path {
	var sels []cue.Selector
	for _, s := range segs {
		switch {
		case s.isIdx:
			sels = append(sels, cue.Index(s.index))
		case strings.HasPrefix(s.label, "#"):
			sels = append(sels, cue.Def(s.label))
		default:
			sels = append(sels, cue.Str(s.label))
		}
	}
	return cue.MakePath(sels...)
}

// healthFieldNames are the fields of a resolved healthcheck, in compose
// order.
var healthFieldNames = []string{"test", "interval", "timeout", "retries", "start_period", "start_interval"}

// Explain finds where the value at path comes from: the files and lines
// that wrote it (stacks.cue, an overlay, a schema default), the schema
// constraints it met, what normalization did to it, and the generated lines
// that hold it.
func Explain(in Input, path string) (*Explanation, error) {
	segs, err := parsePath(path)
	if err != nil {
		return nil, err
	}
	for _, s := range segs {
		if strings.HasPrefix(s.label, "_") {
			return nil, fmt.Errorf("%s: hidden fields such as %s are not part of the configuration; explain a field that uses it", path, s.label)
		}
	}
	ex := &Explanation{Path: pathString(segs), Sources: []Source{}, UsedIn: []Use{}}
	v := in.Source.Value.LookupPath(cuePath(segs))
	st, svc, rest := serviceOf(in.Config, segs)
	tun := tunableAt(st, segs)

	var needles [][]needle
	switch {
	case svc != nil && len(rest) >= 1 && rest[0].label == "healthcheck" && !rest[0].isIdx:
		if !explainHealth(in, ex, st, svc, rest[1:]) {
			return nil, notFound(in.Source.Value, segs)
		}
		needles = [][]needle{healthNeedles(svc, rest[1:])}
	case svc != nil && len(rest) >= 2 && rest[0].label == "environment":
		e, ok := envEntry(svc, rest[1].label)
		if !ok {
			return nil, notFound(in.Source.Value, segs)
		}
		ex.Value = derive.Interpolation(e.Key, e.Value)
		if v.Exists() {
			ex.Sources = append(ex.Sources, cueSources(in.Source, v)...)
			if tun != nil {
				ex.Sources = append(ex.Sources, environmentSources(in, st, tun)...)
			}
		} else {
			ex.Sources = append(ex.Sources, Source{Kind: FromNormalize, Value: ex.Value,
				Note: fmt.Sprintf("derived from the %s by normalization; stacks.cue does not write it", e.Origin)})
		}
		// compose.yaml, and .env.example for a variable.
		needles = [][]needle{{{key: e.Key + ":"}, {key: e.Key + "="}}}
	case tun != nil:
		t := tun
		ex.Value, ex.Fields = t.Ref(), nil
		if v.Exists() {
			ex.Sources = append(ex.Sources, cueSources(in.Source, v)...)
		}
		ex.Sources = append(ex.Sources, environmentSources(in, st, t)...)
		// The compose interpolation, the .env.example line, and the
		// configs that hold the default itself (pgbouncer.ini, the
		// Kubernetes manifests).
		field := t.Field[strings.LastIndex(t.Field, ".")+1:]
		needles = [][]needle{{{value: t.Ref()}, {exact: t.Name + "='" + t.Default + "'"}, {key: field, value: t.Default}}}
	case v.Exists():
		ex.Value, ex.Fields = describe(v)
		ex.Sources = append(ex.Sources, cueSources(in.Source, v)...)
		needles = genericNeedles(in, segs, svc, rest, v)
		markEnvironmentValues(in, ex)
	default:
		return nil, notFound(in.Source.Value, segs)
	}
	scope := ""
	if st != nil {
		scope = model.StackDir(st.Key) + "/"
	} else if len(segs) >= 2 && segs[0].label == "stacks" && in.Config.Stacks[segs[1].label] != nil {
		scope = model.StackDir(segs[1].label) + "/"
	}
	svcKey := ""
	if svc != nil {
		svcKey = svc.Key
	}
	ex.UsedIn = findUses(in, scope, svcKey, needles)
	if len(segs) >= 2 && segs[0].label == "exporter_queries" && (len(segs) == 2 || segs[2].label == "query") {
		if q := in.Config.ExporterQueries[segs[1].label]; q != nil {
			ex.Query = explainQuery(in.Config, q)
		}
	}
	return ex, nil
}

// serviceOf splits a stacks.<s>.services.<x>... path into its service and
// the rest of the path.
func serviceOf(c *model.Config, segs []segment) (*model.Stack, *model.Service, []segment) {
	if len(segs) < 4 || segs[0].label != "stacks" || segs[2].label != "services" {
		return nil, nil, nil
	}
	st := c.Stacks[segs[1].label]
	if st == nil {
		return nil, nil, nil
	}
	svc := st.Services[segs[3].label]
	if svc == nil {
		return st, nil, nil
	}
	return st, svc, segs[4:]
}

// markEnvironmentValues labels the source an environment's values wrote
// as the environment's, not as stacks.cue's or an overlay's.
func markEnvironmentValues(in Input, ex *Explanation) {
	if in.Environment == nil {
		return
	}
	p, ok := in.Source.EnvironmentValuePos(in.Environment.Name, ex.Path)
	if !ok {
		return
	}
	for i := range ex.Sources {
		// Compared by line: CUE gives a field's label or its value.
		if s := &ex.Sources[i]; s.Pos != nil && s.Pos.File == p.File && s.Pos.Line == p.Line {
			s.Kind, s.Note = FromEnvironment, fmt.Sprintf("written in environment %s's values", in.Environment.Name)
		}
	}
}

// environmentSources is the environment's setting of t's default, if the
// explained configuration is an environment that sets it.
func environmentSources(in Input, st *model.Stack, t *model.Tunable) []Source {
	e := in.Environment
	if e == nil {
		return nil
	}
	val, ok := e.Tunables[st.Key][t.Name]
	if !ok {
		return nil
	}
	p := in.Source.Pos(diag.CUEPath(diag.Fields("environments", e.Name, "tunables", st.Key, t.Name)...))
	return []Source{{Kind: FromEnvironment, Pos: &p, Value: val.Text,
		Note: fmt.Sprintf("environment %s sets the default of %s", e.Name, t.Name)}}
}

// tunableAt is the tunable declared at segs (its struct or its default),
// or nil.
func tunableAt(st *model.Stack, segs []segment) *model.Tunable {
	if st == nil {
		return nil
	}
	p := pathString(segs)
	for _, t := range st.Tunables {
		if p == t.Path || p == t.Path+".default" {
			return t
		}
	}
	return nil
}

func envEntry(svc *model.Service, key string) (model.EnvEntry, bool) {
	for _, e := range svc.Env {
		if e.Key == key {
			return e, true
		}
	}
	return model.EnvEntry{}, false
}

func notFound(root cue.Value, segs []segment) error {
	e := &NotFoundError{Path: pathString(segs)}
	for n := len(segs) - 1; n >= 0; n-- {
		parent := root
		if n > 0 {
			parent = root.LookupPath(cuePath(segs[:n]))
		}
		if !parent.Exists() {
			continue
		}
		e.Parent = pathString(segs[:n])
		if n == 0 {
			e.Parent = "the top level"
		}
		_, e.Known = describe(parent)
		if parent.IncompleteKind() == cue.ListKind {
			l, _ := parent.Len().Int64()
			e.Known = []string{fmt.Sprintf("indexes 0 to %d", l-1)}
		}
		break
	}
	return e
}

// describe renders a scalar as azagen reads it, or lists a struct's fields.
func describe(v cue.Value) (string, []string) {
	switch v.IncompleteKind() {
	case cue.StructKind:
		var fields []string
		it, err := v.Fields()
		if err == nil {
			for it.Next() {
				fields = append(fields, it.Selector().String())
			}
		}
		return "", fields
	case cue.ListKind:
		return fmt.Sprint(v), nil
	case cue.StringKind:
		if s, err := v.String(); err == nil {
			return s, nil
		}
	}
	return fmt.Sprint(v), nil
}

// position maps a CUE position to a diagnostic one, with the embedded
// schema shown at its path in the repository.
func position(p token.Pos) *diag.Position {
	if !p.IsValid() {
		return nil
	}
	return &diag.Position{File: strings.TrimPrefix(p.Filename(), "azagen:"), Line: p.Line(), Col: p.Column()}
}

func isSchema(p token.Pos) bool { return strings.HasPrefix(p.Filename(), "azagen:schema/") }

// cueSources lists the places that wrote v: every conjunct unified into it
// that comes from a user file (stacks.cue or an overlay), else the schema
// default or schema value, then the schema constraints it was checked
// against.
func cueSources(src *load.Source, v cue.Value) []Source {
	var user, schema []token.Pos
	seen := map[string]bool{}
	add := func(p token.Pos) {
		if !p.IsValid() {
			return
		}
		key := fmt.Sprintf("%s:%d", p.Filename(), p.Line())
		if seen[key] {
			return
		}
		seen[key] = true
		if isSchema(p) {
			schema = append(schema, p)
		} else {
			user = append(user, p)
		}
	}
	if p := load.UserPos(v); p.IsValid() {
		add(p)
	}
	add(v.Pos())
	var walk func(v cue.Value, depth int)
	walk = func(v cue.Value, depth int) {
		op, args := v.Expr()
		if op != cue.AndOp || depth > 4 {
			return
		}
		for _, a := range args {
			add(a.Pos())
			walk(a, depth+1)
		}
	}
	walk(v, 0)
	value, _ := describe(v)
	var out []Source
	for _, p := range user {
		kind := FromSource
		if len(src.Files) > 0 && p.Filename() != src.Files[0] {
			kind = FromOverlay
		}
		out = append(out, Source{Kind: kind, Pos: position(p), Value: value})
	}
	if len(user) == 0 {
		kind, note := FromSchema, "stacks.cue does not set it"
		if _, isDefault := v.Default(); isDefault {
			kind, note = FromDefault, "stacks.cue leaves it out, so the schema's *default applies"
		}
		var p *diag.Position
		if len(schema) > 0 {
			p, schema = position(schema[0]), schema[1:]
		}
		out = append(out, Source{Kind: kind, Pos: p, Value: value, Note: note})
	}
	for _, p := range schema {
		out = append(out, Source{Kind: FromConstraint, Pos: position(p), Note: "checked against the schema here"})
	}
	return out
}

// explainHealth fills in a healthcheck field from its normalized value and
// every layer that set it; rest is the path below "healthcheck".
func explainHealth(in Input, ex *Explanation, st *model.Stack, svc *model.Service, rest []segment) bool {
	h := svc.Health
	if len(rest) == 0 {
		for _, f := range derive.HealthFields(h) {
			ex.Fields = append(ex.Fields, fmt.Sprintf("%s: %s (from %s)", f.Name, f.Value, f.Origin))
		}
		ex.Sources = append(ex.Sources, Source{Kind: FromNormalize, Note: "merged field by field: schema default, then the stack's default for " + svc.Kind + ", then the service's own healthcheck"})
		return true
	}
	if len(rest) != 1 || !slices.Contains(healthFieldNames, rest[0].label) {
		return false
	}
	field := rest[0].label
	var current string
	for _, f := range derive.HealthFields(h) {
		if f.Name == field {
			current = f.Value
		}
	}
	winner, ok := h.Origin[field]
	if !ok {
		return false
	}
	ex.Value = current
	if field == "test" && winner.Layer == model.LayerDerived {
		ex.Sources = append(ex.Sources, Source{Kind: FromNormalize, Value: current,
			Note: "derived from the connection model: the command logs in with the service's own role, port and database"})
	}
	for _, layer := range normalize.HealthLayers(in.Config, st, svc) {
		lp := cue.ParsePath(layer.Origin.Path + "." + field)
		if lp.Err() != nil {
			return false
		}
		lv := in.Source.Value.LookupPath(lp)
		if !lv.Exists() {
			continue
		}
		srcs := cueSources(in.Source, lv)
		s := srcs[0]
		s.Kind = FromLayer
		status := "overridden by a later layer"
		if layer.Origin == winner {
			status = "wins"
		}
		s.Note = layer.Origin.String() + ": " + status
		ex.Sources = append(ex.Sources, s)
		if layer.Origin == winner && s.Value != current && field != "test" && field != "retries" {
			ex.Sources = append(ex.Sources, Source{Kind: FromNormalize, Value: current,
				Note: fmt.Sprintf("%s rewritten in canonical Compose form", s.Value)})
		}
	}
	return true
}

// needle is what a value looks like in a generated line: a key, a value,
// or both, or a whole line.
type needle struct {
	key, value string
	exact      string
}

func (n needle) match(line string) bool {
	t := strings.TrimSpace(line)
	switch {
	case n.exact != "":
		return t == n.exact
	case n.key != "" && n.value != "":
		return strings.Contains(t, n.key) && containsToken(t, n.value)
	case n.key != "":
		return strings.HasPrefix(t, n.key)
	default:
		return containsToken(t, n.value)
	}
}

// containsToken reports whether v occurs in s not as part of a longer word
// or number.
func containsToken(s, v string) bool {
	if v == "" {
		return false
	}
	for off := 0; ; {
		i := strings.Index(s[off:], v)
		if i < 0 {
			return false
		}
		i += off
		before := i == 0 || !isWordByte(s[i-1])
		after := i+len(v) == len(s) || !isWordByte(s[i+len(v)])
		if before && after {
			return true
		}
		off = i + 1
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func healthNeedles(svc *model.Service, rest []segment) []needle {
	var out []needle
	for _, f := range derive.HealthFields(svc.Health) {
		if len(rest) == 1 && f.Name != rest[0].label {
			continue
		}
		if f.Name == "test" {
			if n := len(svc.Health.Test); n > 0 {
				out = append(out, needle{exact: "- " + svc.Health.Test[n-1]})
			}
			continue
		}
		out = append(out, needle{exact: f.Name + ": " + f.Value})
	}
	return out
}

// genericNeedles guesses how a source value is rendered: ports as compose
// port specs, settings as postgresql.conf lines, other scalars as their
// field name and value on one line, else (when distinctive enough) the bare
// value. Each tier is tried only when the one before matched nothing.
func genericNeedles(in Input, segs []segment, svc *model.Service, rest []segment, v cue.Value) [][]needle {
	last := segs[len(segs)-1]
	if svc != nil && len(rest) >= 2 && rest[0].label == "ports" && rest[1].isIdx && rest[1].index < len(svc.Ports) {
		return [][]needle{{{value: derive.PortSpec(svc.Ports[rest[1].index])}}}
	}
	isSetting := len(segs) >= 2 && !last.isIdx && segs[len(segs)-2].label == "settings" ||
		len(segs) == 3 && segs[0].label == "postgresql" && segs[1].label == "base"
	if isSetting {
		var g model.GUCValue
		if err := g.UnmarshalCUE(v); err == nil {
			if lit, err := derive.GUCLiteral(g); err == nil {
				return [][]needle{{{exact: last.label + " = " + lit}}}
			}
		}
	}
	value, fields := describe(v)
	if fields != nil || value == "" {
		return nil
	}
	if last.isIdx {
		return [][]needle{{{value: value}}}
	}
	tiers := [][]needle{{{key: last.label, value: value}}}
	if len(value) >= 4 {
		tiers = append(tiers, []needle{{value: value}})
	}
	return tiers
}

// findUses searches the rendered files (those under scope, when set) for
// lines that hold the value. The needles of a tier are tried together; a
// later tier only when the earlier ones found nothing, so a value found with
// its key is not also listed wherever the bare value appears.
func findUses(in Input, scope, service string, tiers [][]needle) []Use {
	for _, tier := range tiers {
		out := []Use{}
		for _, p := range in.Output.Paths() {
			if p == output.ManifestName || (scope != "" && !strings.HasPrefix(p, scope)) {
				continue
			}
			lines := strings.Split(string(in.Output[p].Data), "\n")
			from, to := 0, len(lines)
			if service != "" && path.Base(p) == "compose.yaml" {
				from, to = serviceLines(lines, service)
			}
			for i := from; i < to; i++ {
				l := lines[i]
				if strings.HasPrefix(strings.TrimSpace(l), "#") {
					continue // a comment, not a use
				}
				if slices.ContainsFunc(tier, func(n needle) bool { return n.match(l) }) {
					out = append(out, Use{File: displayJoin(in.OutDisplay, p), Line: i + 1, Text: strings.TrimSpace(l)})
				}
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return []Use{}
}

// serviceLines is the range of lines of one service's block in a
// compose file: a value of one service must not be found in another.
func serviceLines(lines []string, service string) (int, int) {
	inServices := false
	for i, l := range lines {
		switch {
		case l == "services:":
			inServices = true
		case inServices && l == "  "+service+":":
			end := i + 1
			for end < len(lines) && (strings.TrimSpace(lines[end]) == "" || strings.HasPrefix(lines[end], "   ")) {
				end++
			}
			return i, end
		case !strings.HasPrefix(l, " ") && l != "":
			inServices = false
		}
	}
	return 0, 0
}

func displayJoin(dir, p string) string {
	if dir == "" || dir == "." {
		return p
	}
	return strings.TrimSuffix(dir, "/") + "/" + p
}
