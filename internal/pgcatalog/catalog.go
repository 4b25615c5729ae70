// Package pgcatalog knows the names a PostgreSQL 18 query can use: the
// relations and views of pg_catalog and information_schema with their
// columns and types, the functions with their argument and result types, the
// types with their category, and the same for each extension the stack may
// create. It also knows which names PostgreSQL removed or renamed, and in
// which major (removed.go).
//
// The data is a dump of a real PostgreSQL 18.6 server (the one of the test
// rootfs), pg18-catalog.tsv, made by dump_test.go through regen.sh; the
// test fails when the file and the server disagree. Its format, one object a
// line, tab-separated, sections "@core" and "@extension NAME":
//
//	T typname typcategory
//	R schema relname relkind readable name:type name:type! ...
//	F schema proname prokind proretset rettype executable argtype,... pronargdefaults variadic name:type ...
//
// where F's last field lists the OUT/TABLE columns of a set-returning
// function and types are pg_type.typname (int8, float8, _text, ...).
// readable ("r", or "-"), executable ("x", or "-") and a column's "!"
// record what the predefined role pg_monitor, which azagen's monitoring
// roles get, may read and call; "s" in either says it has no USAGE on the
// schema. PUBLIC's grants count.
package pgcatalog

import (
	_ "embed"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

const dataFile = "pg18-catalog.tsv"

//go:embed pg18-catalog.tsv
var data string

// Column is a column of a relation, or an OUT column of a function.
type Column struct {
	Name string
	// Type is the pg_type.typname, e.g. "int8", "text", "_text", "sql_identifier".
	Type string
	// Hidden says pg_monitor may not read the column (the table is readable or not apart).
	Hidden bool
}

// Relation is a table, view, materialized view, foreign table or sequence.
type Relation struct {
	Schema, Name string
	// Kind is pg_class.relkind: 'r', 'v', 'm', 'f', 'p' or 'S'.
	Kind    byte
	Columns []Column
	// Readable says pg_monitor may SELECT from the whole relation; SchemaDenied that it has
	// no USAGE on the schema, so nothing in it is reachable.
	Readable, SchemaDenied bool
	// Extension is the extension that creates it, "" for core.
	Extension string
}

// Column returns the named column.
func (r *Relation) Column(name string) (Column, bool) {
	for _, c := range r.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// Function is one overload of a function (not a procedure).
type Function struct {
	Schema, Name string
	// Kind is pg_proc.prokind: 'f' (function), 'a' (aggregate) or 'w' (window).
	Kind byte
	// RetSet says the function returns a set (SETOF ...).
	RetSet bool
	// Result is the result type's typname ("record" for OUT columns, see Out).
	Result string
	// Args are the input argument types; the last NDefaults have defaults, and with Variadic
	// the last one takes any number of values.
	Args      []string
	NDefaults int
	Variadic  bool
	// Out are the OUT or TABLE columns, in order.
	Out []Column
	// Executable says pg_monitor may call it; SchemaDenied that it has no USAGE on the schema.
	Executable, SchemaDenied bool
	Extension                string
}

// Accepts reports whether a call with n arguments can reach this overload.
func (f *Function) Accepts(n int) bool {
	lo, hi := len(f.Args)-f.NDefaults, len(f.Args)
	if f.Variadic {
		// The variadic parameter takes one value or more.
		return n >= lo
	}
	return n >= lo && n <= hi
}

// Catalog is the whole dump: core and every extension section.
type Catalog struct {
	// Version is the server version the dump came from.
	Version    string
	types      map[string]byte
	relations  []*Relation
	functions  []funcEntry
	extensions []string
	// byName indexes functions by name.
	byName map[string][]int
	// mu guards the lazy parse of each funcEntry.
	mu sync.Mutex
}

// funcEntry is a function's line, parsed into a Function on first use:
// a query names a handful of the catalog's thousands of functions, and
// parsing them all was most of the cost of loading the catalog.
type funcEntry struct {
	schema, name, ext string
	line              string // the whole line; fields after the name are parsed by fn
	lineNo            int
	fn                *Function
}

// Load returns the parsed catalog (parsed once).
var Load = sync.OnceValue(func() *Catalog {
	c, err := parse(data)
	if err != nil {
		panic(fmt.Sprintf("%s: %v", dataFile, err)) // the test of the committed file covers it
	}
	return c
})

func parse(s string) (*Catalog, error) {
	n := strings.Count(s, "\nF\t")
	c := &Catalog{types: map[string]byte{}, byName: make(map[string][]int, n), functions: make([]funcEntry, 0, n)}
	ext := ""
	for i := 0; s != ""; i++ {
		var line string
		line, s, _ = strings.Cut(s, "\n")
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "# Catalog of names of PostgreSQL ") {
			c.Version, _, _ = strings.Cut(strings.TrimPrefix(line, "# Catalog of names of PostgreSQL "), ",")
		}
		if line[0] == '#' {
			continue
		}
		if line == "@core" {
			ext = ""
			continue
		}
		if name, ok := strings.CutPrefix(line, "@extension "); ok {
			ext = name
			c.extensions = append(c.extensions, name)
			continue
		}
		if strings.HasPrefix(line, "F\t") {
			// Only the names are read now; the rest on first use
			// (TestEveryFunctionParses covers the committed file).
			_, rest, _ := strings.Cut(line, "\t")
			schema, rest, ok1 := strings.Cut(rest, "\t")
			name, _, ok2 := strings.Cut(rest, "\t")
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("line %d: malformed %q", i+1, line)
			}
			c.byName[name] = append(c.byName[name], len(c.functions))
			c.functions = append(c.functions, funcEntry{schema: schema, name: name, ext: ext, line: line, lineNo: i + 1})
			continue
		}
		f := strings.Split(line, "\t")
		switch {
		case f[0] == "T" && len(f) == 3 && len(f[2]) == 1:
			c.types[f[1]] = f[2][0]
		case f[0] == "R" && len(f) == 6 && len(f[3]) == 1:
			c.relations = append(c.relations, &Relation{Schema: f[1], Name: f[2], Kind: f[3][0], Readable: f[4] == "r", SchemaDenied: f[4] == "s", Columns: columns(f[5]), Extension: ext})
		default:
			return nil, fmt.Errorf("line %d: malformed %q", i+1, line)
		}
	}
	return c, nil
}

// parseFunction parses a function's line:
// F schema proname prokind proretset rettype executable argtype,... pronargdefaults variadic out-columns.
func parseFunction(e *funcEntry) (*Function, error) {
	f := strings.Split(e.line, "\t")
	if len(f) != 11 || len(f[3]) != 1 {
		return nil, fmt.Errorf("line %d: malformed %q", e.lineNo, e.line)
	}
	nd, err := strconv.Atoi(f[8])
	if err != nil {
		return nil, fmt.Errorf("line %d: malformed %q", e.lineNo, e.line)
	}
	fn := &Function{Schema: f[1], Name: f[2], Kind: f[3][0], RetSet: f[4] == "t", Result: f[5], Executable: f[6] == "x", SchemaDenied: f[6] == "s",
		NDefaults: nd, Variadic: f[9] == "t", Out: columns(f[10]), Extension: e.ext}
	if f[7] != "" {
		fn.Args = strings.Split(f[7], ",")
	}
	return fn, nil
}

// function returns the parsed function of entry i.
func (c *Catalog) function(i int) *Function {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &c.functions[i]
	if e.fn == nil {
		fn, err := parseFunction(e)
		if err != nil {
			panic(fmt.Sprintf("%s: %v", dataFile, err)) // TestEveryFunctionParses covers the committed file
		}
		e.fn = fn
	}
	return e.fn
}

func columns(s string) []Column {
	var out []Column
	for _, nt := range strings.Fields(s) {
		i := strings.LastIndexByte(nt, ':')
		typ, hidden := strings.CutSuffix(nt[i+1:], "!")
		out = append(out, Column{Name: nt[:i], Type: typ, Hidden: hidden})
	}
	return out
}

// Extensions lists the extensions the catalog has a section for, sorted.
func (c *Catalog) Extensions() []string { return slices.Clone(c.extensions) }

// View is the catalog as a database of one stack sees it: core plus the extensions it creates.
type View struct {
	cat        *Catalog
	extensions map[string]bool
	// Unknown are the stack's extensions that the catalog has no section for.
	Unknown []string
}

// View returns the catalog seen by a database where exactly the named extensions exist.
func (c *Catalog) View(extensions []string) *View {
	v := &View{cat: c, extensions: map[string]bool{}}
	for _, e := range extensions {
		if slices.Contains(c.extensions, e) {
			v.extensions[e] = true
		} else if e != "plpgsql" {
			v.Unknown = append(v.Unknown, e)
		}
	}
	return v
}

func (v *View) visible(ext string) bool { return ext == "" || v.extensions[ext] }

// SearchPath is the schemas an unqualified name is looked up in, in order: PostgreSQL's
// default search_path ("$user", public) with pg_catalog implicitly first.
var SearchPath = []string{"pg_catalog", "public"}

// Relation finds a relation; an empty schema searches SearchPath.
func (v *View) Relation(schema, name string) *Relation {
	for _, s := range schemas(schema) {
		for _, r := range v.cat.relations {
			if r.Name == name && r.Schema == s && v.visible(r.Extension) {
				return r
			}
		}
	}
	return nil
}

// Functions returns the overloads of a function, of the first schema on the path that has any.
func (v *View) Functions(schema, name string) []*Function {
	for _, s := range schemas(schema) {
		var out []*Function
		for _, i := range v.cat.byName[name] {
			if f := &v.cat.functions[i]; f.schema == s && v.visible(f.ext) {
				out = append(out, v.cat.function(i))
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// RelationNames lists every visible relation, qualified unless it is on SearchPath.
func (v *View) RelationNames() []string {
	var out []string
	for _, r := range v.cat.relations {
		if v.visible(r.Extension) {
			out = append(out, v.display(r.Schema, r.Name))
		}
	}
	return out
}

// FunctionNames lists every visible function once, qualified unless it is on SearchPath.
func (v *View) FunctionNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range v.cat.functions {
		if n := v.display(f.schema, f.name); v.visible(f.ext) && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

func (v *View) display(schema, name string) string {
	if slices.Contains(SearchPath, schema) {
		return name
	}
	return schema + "." + name
}

// ExtensionOf says which known extension (visible or not) has a relation of that name, or "".
func (c *Catalog) ExtensionOf(schema, name string) string {
	for _, r := range c.relations {
		if r.Name == name && r.Extension != "" && (schema == "" || schema == r.Schema) {
			return r.Extension
		}
	}
	for _, i := range c.byName[name] {
		if f := &c.functions[i]; f.ext != "" && (schema == "" || schema == f.schema) {
			return f.ext
		}
	}
	return ""
}

func schemas(schema string) []string {
	if schema != "" {
		return []string{schema}
	}
	return SearchPath
}

// Category is pg_type.typcategory of a type name: 'N' numeric, 'S' string, 'B' boolean, 'D'
// date/time, 'T' timespan, 'A' array, ... and 0 for a name the catalog does not know.
func (v *View) Category(typname string) byte {
	if strings.HasPrefix(typname, "_") {
		return 'A'
	}
	return v.cat.types[typname]
}

// HasType reports whether the type name exists.
func (v *View) HasType(typname string) bool { return v.Category(typname) != 0 }
