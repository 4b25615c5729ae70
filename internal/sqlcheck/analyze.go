package sqlcheck

import (
	"fmt"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/azagen/azagen/internal/pgcatalog"
)

// rel is one FROM item (or CTE) as a scope sees it.
type rel struct {
	// alias is the name the query refers to it by: the alias, else the relation's name.
	alias string
	cols  []pgcatalog.Column
	// cat is the catalog relation, nil for a CTE, subquery, function or join.
	cat  *pgcatalog.Relation
	used map[string]bool
	// loc is where the query names it.
	loc int32
	// merged are columns a JOIN ... USING merged into the left side's: an unqualified
	// reference means the left one, so this side does not make it ambiguous.
	merged map[string]bool
}

func (r *rel) column(name string) (pgcatalog.Column, bool) {
	for _, c := range r.cols {
		if c.Name == name {
			return c, true
		}
	}
	return pgcatalog.Column{}, false
}

type scope struct {
	parent *scope
	rels   []*rel
	ctes   map[string]*rel
	// outputs are the SELECT list's names, which ORDER BY and GROUP BY may use.
	outputs []Column
}

func (s *scope) cte(name string) *rel {
	for sc := s; sc != nil; sc = sc.parent {
		if r, ok := sc.ctes[name]; ok {
			return r
		}
	}
	return nil
}

type analyzer struct {
	v     *pgcatalog.View
	rels  []*rel
	funcs map[string]bool
}

func errAt(loc int32, format string, args ...any) *Error {
	return &Error{Offset: int(loc), Message: fmt.Sprintf(format, args...)}
}

func (a *analyzer) selectStmt(s *pg_query.SelectStmt, parent *scope) ([]Column, *Error) {
	sc := &scope{parent: parent, ctes: map[string]*rel{}}
	if w := s.WithClause; w != nil {
		for _, n := range w.Ctes {
			if e := a.cte(n.GetCommonTableExpr(), sc, w.Recursive); e != nil {
				return nil, e
			}
		}
	}
	if s.Larg != nil && s.Rarg != nil {
		l, e := a.selectStmt(s.Larg, sc)
		if e != nil {
			return nil, e
		}
		r, e := a.selectStmt(s.Rarg, sc)
		if e != nil {
			return nil, e
		}
		if len(l) != len(r) {
			return nil, &Error{Offset: -1, Message: "each UNION, INTERSECT or EXCEPT query must have the same number of columns"}
		}
		sc.outputs = l
		if e := a.sortAndLimit(s, sc); e != nil {
			return nil, e
		}
		return l, nil
	}
	if len(s.ValuesLists) > 0 {
		var cols []Column
		for i, row := range s.ValuesLists {
			for j, n := range row.GetList().GetItems() {
				t, e := a.expr(n, sc)
				if e != nil {
					return nil, e
				}
				if i == 0 {
					cols = append(cols, a.column(fmt.Sprintf("column%d", j+1), t, location(n)))
				}
			}
		}
		return cols, nil
	}
	for _, n := range s.FromClause {
		r, e := a.fromItem(n, sc)
		if e != nil {
			return nil, e
		}
		sc.rels = append(sc.rels, r...)
	}
	if s.WhereClause != nil {
		if _, e := a.expr(s.WhereClause, sc); e != nil {
			return nil, e
		}
	}
	var cols []Column
	for _, n := range s.TargetList {
		rt := n.GetResTarget()
		if cr := rt.Val.GetColumnRef(); cr != nil && isStar(cr) {
			expanded, e := a.star(cr, sc)
			if e != nil {
				return nil, e
			}
			cols = append(cols, expanded...)
			continue
		}
		t, e := a.expr(rt.Val, sc)
		if e != nil {
			return nil, e
		}
		name := rt.Name
		if name == "" {
			name = figureColname(rt.Val)
		}
		cols = append(cols, a.column(name, t, int(rt.Location)))
	}
	sc.outputs = cols
	for _, n := range s.GroupClause {
		if e := a.outputOrExpr(n, sc); e != nil {
			return nil, e
		}
	}
	if s.HavingClause != nil {
		if _, e := a.expr(s.HavingClause, sc); e != nil {
			return nil, e
		}
	}
	for _, n := range s.DistinctClause {
		if n.GetNode() != nil {
			if _, e := a.expr(n, sc); e != nil {
				return nil, e
			}
		}
	}
	for _, n := range s.WindowClause {
		if e := a.window(n.GetWindowDef(), sc); e != nil {
			return nil, e
		}
	}
	if e := a.sortAndLimit(s, sc); e != nil {
		return nil, e
	}
	return cols, nil
}

func (a *analyzer) sortAndLimit(s *pg_query.SelectStmt, sc *scope) *Error {
	for _, n := range s.SortClause {
		if e := a.outputOrExpr(n.GetSortBy().GetNode(), sc); e != nil {
			return e
		}
	}
	for _, n := range []*pg_query.Node{s.LimitCount, s.LimitOffset} {
		if n != nil {
			if _, e := a.expr(n, sc); e != nil {
				return e
			}
		}
	}
	return nil
}

// outputOrExpr resolves an ORDER BY or GROUP BY item: an output column's name or number, else
// an expression over the FROM items.
func (a *analyzer) outputOrExpr(n *pg_query.Node, sc *scope) *Error {
	if cr := n.GetColumnRef(); cr != nil && len(cr.Fields) == 1 {
		if s := cr.Fields[0].GetString_(); s != nil && slices.ContainsFunc(sc.outputs, func(c Column) bool { return c.Name == s.Sval }) {
			return nil
		}
	}
	if c := n.GetAConst(); c != nil && c.GetIval() != nil {
		if i := int(c.GetIval().Ival); i < 1 || i > len(sc.outputs) {
			return errAt(c.Location, "position %d is not in select list", i)
		}
		return nil
	}
	_, e := a.expr(n, sc)
	return e
}

func (a *analyzer) window(w *pg_query.WindowDef, sc *scope) *Error {
	if w == nil {
		return nil
	}
	for _, n := range slices.Concat(w.PartitionClause, w.OrderClause) {
		if sb := n.GetSortBy(); sb != nil {
			n = sb.Node
		}
		if _, e := a.expr(n, sc); e != nil {
			return e
		}
	}
	return nil
}

func (a *analyzer) column(name, typ string, offset int) Column {
	return Column{Name: name, Type: typ, Category: a.category(typ), Offset: offset}
}

func (a *analyzer) category(typ string) byte {
	if typ == "" || typ == "unknown" {
		return 0
	}
	return a.v.Category(typ)
}

func (a *analyzer) cte(c *pg_query.CommonTableExpr, sc *scope, recursive bool) *Error {
	q := c.Ctequery.GetSelectStmt()
	if q == nil {
		return errAt(c.Location, "WITH %s: only a SELECT can be a common table expression in an exporter query", c.Ctename)
	}
	if recursive && q.Larg != nil && q.Rarg != nil {
		// The non-recursive term fixes the columns; the recursive one may then refer to the CTE.
		cols, e := a.selectStmt(q.Larg, sc)
		if e != nil {
			return e
		}
		sc.ctes[c.Ctename] = cteRel(c, cols)
		if _, e := a.selectStmt(q.Rarg, sc); e != nil {
			return e
		}
		return nil
	}
	cols, e := a.selectStmt(q, sc)
	if e != nil {
		return e
	}
	sc.ctes[c.Ctename] = cteRel(c, cols)
	return nil
}

func cteRel(c *pg_query.CommonTableExpr, cols []Column) *rel {
	r := &rel{alias: c.Ctename, used: map[string]bool{}}
	names := nameList(c.Aliascolnames)
	for i, col := range cols {
		name := col.Name
		if i < len(names) {
			name = names[i]
		}
		r.cols = append(r.cols, pgcatalog.Column{Name: name, Type: col.Type})
	}
	return r
}

// fromItem resolves one FROM item into the relations it brings into scope.
func (a *analyzer) fromItem(n *pg_query.Node, sc *scope) ([]*rel, *Error) {
	switch {
	case n.GetRangeVar() != nil:
		r, e := a.rangeVar(n.GetRangeVar(), sc)
		if e != nil {
			return nil, e
		}
		return []*rel{r}, nil
	case n.GetRangeSubselect() != nil:
		rs := n.GetRangeSubselect()
		inner := &scope{parent: sc.parent, ctes: sc.ctes}
		if rs.Lateral {
			inner = sc
		}
		cols, e := a.selectStmt(rs.Subquery.GetSelectStmt(), inner)
		if e != nil {
			return nil, e
		}
		r := &rel{used: map[string]bool{}}
		for _, c := range cols {
			r.cols = append(r.cols, pgcatalog.Column{Name: c.Name, Type: c.Type})
		}
		applyAlias(r, rs.Alias)
		return []*rel{r}, nil
	case n.GetRangeFunction() != nil:
		r, e := a.rangeFunction(n.GetRangeFunction(), sc)
		if e != nil {
			return nil, e
		}
		return []*rel{r}, nil
	case n.GetJoinExpr() != nil:
		j := n.GetJoinExpr()
		l, e := a.fromItem(j.Larg, sc)
		if e != nil {
			return nil, e
		}
		// The right side of a join may be LATERAL and see the left.
		inner := &scope{parent: sc.parent, rels: slices.Concat(sc.rels, l), ctes: sc.ctes}
		r, e := a.fromItem(j.Rarg, inner)
		if e != nil {
			return nil, e
		}
		both := &scope{parent: sc.parent, rels: slices.Concat(sc.rels, l, r), ctes: sc.ctes}
		for _, u := range nameList(j.UsingClause) {
			for _, side := range [][]*rel{l, r} {
				if !slices.ContainsFunc(side, func(x *rel) bool { _, ok := x.column(u); return ok }) {
					return nil, &Error{Offset: -1, Message: fmt.Sprintf("column %q specified in USING clause does not exist in one side of the join", u)}
				}
				for _, x := range side {
					if _, ok := x.column(u); ok {
						x.used[usedName(x, u)] = true
					}
				}
			}
			for _, x := range r {
				if x.merged == nil {
					x.merged = map[string]bool{}
				}
				x.merged[u] = true
			}
		}
		if j.Quals != nil {
			if _, e := a.expr(j.Quals, both); e != nil {
				return nil, e
			}
		}
		all := slices.Concat(l, r)
		if j.Alias != nil {
			merged := &rel{used: map[string]bool{}}
			for _, x := range all {
				merged.cols = append(merged.cols, x.cols...)
			}
			applyAlias(merged, j.Alias)
			return []*rel{merged}, nil
		}
		return all, nil
	case n.GetRangeTableSample() != nil:
		return a.fromItem(n.GetRangeTableSample().Relation, sc)
	}
	return nil, &Error{Offset: -1, Message: "unsupported FROM item"}
}

// privileges checks, once every reference is resolved, that the monitoring role may read what
// the query reads: the whole relation, or each column it names (with none named, any column),
// as the executor's permission check does.
func (a *analyzer) privileges() *Error {
	for _, r := range a.rels {
		if r.cat == nil || r.cat.Readable {
			continue
		}
		ok := false
		if len(r.used) == 0 {
			ok = slices.ContainsFunc(r.cat.Columns, func(c pgcatalog.Column) bool { return !c.Hidden })
		} else {
			ok = true
			for _, c := range r.cat.Columns {
				if r.used[c.Name] && c.Hidden {
					ok = false
				}
			}
		}
		if !ok {
			e := errAt(r.loc, "permission denied for %s %s", relkindWord(r.cat.Kind), r.cat.Name)
			e.Hint = "the exporter's monitoring role (pg_monitor) may not read it"
			return e
		}
	}
	return nil
}

func relkindWord(k byte) string {
	switch k {
	case 'v':
		return "view"
	case 'm':
		return "materialized view"
	case 'S':
		return "sequence"
	case 'f':
		return "foreign table"
	}
	return "table"
}

func applyAlias(r *rel, al *pg_query.Alias) {
	if al == nil {
		return
	}
	r.alias = al.Aliasname
	for i, name := range nameList(al.Colnames) {
		if i < len(r.cols) {
			r.cols[i].Name = name
		}
	}
}

func (a *analyzer) rangeVar(rv *pg_query.RangeVar, sc *scope) (*rel, *Error) {
	var r *rel
	if rv.Schemaname == "" {
		if c := sc.cte(rv.Relname); c != nil {
			r = &rel{alias: c.alias, cols: slices.Clone(c.cols), used: c.used}
		}
	}
	if r == nil {
		cat := a.v.Relation(rv.Schemaname, rv.Relname)
		if cat == nil {
			return nil, a.unknownRelation(rv)
		}
		if cat.SchemaDenied {
			return nil, errAt(rv.Location, "permission denied for schema %s", cat.Schema)
		}
		r = &rel{alias: rv.Relname, cols: slices.Clone(cat.Columns), cat: cat, used: map[string]bool{}, loc: rv.Location}
		a.rels = append(a.rels, r)
	}
	if rv.Alias != nil {
		// An alias's column names rename the columns, but uses are still recorded under the
		// catalog's names (see colRef), so keep a map.
		applyAliasKeepUse(r, rv.Alias)
	}
	return r, nil
}

// applyAliasKeepUse renames the columns of a catalog relation for this reference only.
func applyAliasKeepUse(r *rel, al *pg_query.Alias) {
	r.alias = al.Aliasname
	names := nameList(al.Colnames)
	if len(names) == 0 {
		return
	}
	if r.cat != nil {
		// A renamed column is marked used under its catalog name when referenced.
		renamed := &rel{alias: r.alias, cat: r.cat, used: r.used}
		for i, c := range r.cols {
			if i < len(names) {
				c.Name = names[i]
			}
			renamed.cols = append(renamed.cols, c)
		}
		*r = *renamed
		return
	}
	applyAlias(r, al)
}

func (a *analyzer) unknownRelation(rv *pg_query.RangeVar) *Error {
	name := rv.Relname
	if rv.Schemaname != "" {
		name = rv.Schemaname + "." + rv.Relname
	}
	e := errAt(rv.Location, "relation %q does not exist", name)
	if ext := pgcatalog.Load().ExtensionOf(rv.Schemaname, rv.Relname); ext != "" {
		e.Hint = fmt.Sprintf("%s belongs to extension %s, which postgresql.extensions does not create", rv.Relname, ext)
		return e
	}
	if len(a.v.Unknown) > 0 {
		e.Hint = fmt.Sprintf("azagen has no catalog of extension(s) %s; ", strings.Join(a.v.Unknown, ", "))
	}
	if h := didYouMean(name, a.v.RelationNames()); h != "" {
		e.Hint += h
	}
	e.Hint = strings.TrimSuffix(e.Hint, "; ")
	return e
}

func (a *analyzer) rangeFunction(rf *pg_query.RangeFunction, sc *scope) (*rel, *Error) {
	// A function in FROM sees the FROM items before it with or without
	// LATERAL, which is a noise word there (PostgreSQL 18 docs, SELECT,
	// "LATERAL").
	inner := sc
	r := &rel{used: map[string]bool{}}
	for _, item := range rf.Functions {
		parts := item.GetList().GetItems()
		if len(parts) == 0 {
			continue
		}
		fc := parts[0].GetFuncCall()
		if fc == nil {
			t, e := a.expr(parts[0], inner)
			if e != nil {
				return nil, e
			}
			r.cols = append(r.cols, pgcatalog.Column{Name: figureColname(parts[0]), Type: t})
			continue
		}
		fn, t, e := a.funcCall(fc, inner)
		if e != nil {
			return nil, e
		}
		switch {
		case fn != nil && len(fn.Out) > 0:
			r.cols = append(r.cols, fn.Out...)
		case t == "record":
			defs := rf.Coldeflist
			if len(parts) > 1 {
				defs = parts[1].GetList().GetItems()
			}
			if len(defs) == 0 {
				return nil, errAt(fc.Location, "a column definition list is required for functions returning \"record\"")
			}
			for _, d := range defs {
				cd := d.GetColumnDef()
				tn, e := a.typeName(cd.TypeName)
				if e != nil {
					return nil, e
				}
				r.cols = append(r.cols, pgcatalog.Column{Name: cd.Colname, Type: tn})
			}
		default:
			names := nameList(fc.Funcname)
			r.cols = append(r.cols, pgcatalog.Column{Name: names[len(names)-1], Type: t})
		}
	}
	if rf.Ordinality {
		r.cols = append(r.cols, pgcatalog.Column{Name: "ordinality", Type: "int8"})
	}
	if len(r.cols) > 0 {
		r.alias = r.cols[0].Name
	}
	if rf.Alias != nil {
		// A single-column function's alias names its column too.
		if len(r.cols) == 1 && len(rf.Alias.Colnames) == 0 && (len(rf.Functions) == 1) {
			r.cols[0].Name = rf.Alias.Aliasname
		}
		applyAlias(r, rf.Alias)
	}
	return r, nil
}

func isStar(cr *pg_query.ColumnRef) bool {
	return len(cr.Fields) > 0 && cr.Fields[len(cr.Fields)-1].GetAStar() != nil
}

func (a *analyzer) star(cr *pg_query.ColumnRef, sc *scope) ([]Column, *Error) {
	var rels []*rel
	if len(cr.Fields) == 1 {
		rels = sc.rels
		if len(rels) == 0 {
			return nil, errAt(cr.Location, "SELECT * with no tables specified is not valid")
		}
	} else {
		name := cr.Fields[len(cr.Fields)-2].GetString_().GetSval()
		r := findRel(sc, name)
		if r == nil {
			return nil, errAt(cr.Location, "missing FROM-clause entry for table %q", name)
		}
		rels = []*rel{r}
	}
	var out []Column
	for _, r := range rels {
		for _, c := range r.cols {
			r.used[usedName(r, c.Name)] = true
			out = append(out, a.column(c.Name, c.Type, int(cr.Location)))
		}
	}
	return out, nil
}

// usedName is the catalog name of a column of r as this reference names it.
func usedName(r *rel, name string) string {
	if r.cat == nil {
		return name
	}
	for i, c := range r.cols {
		if c.Name == name && i < len(r.cat.Columns) {
			return r.cat.Columns[i].Name
		}
	}
	return name
}

func findRel(sc *scope, name string) *rel {
	for s := sc; s != nil; s = s.parent {
		for _, r := range s.rels {
			if r.alias == name {
				return r
			}
		}
	}
	return nil
}

// colRef resolves a column reference to its type.
func (a *analyzer) colRef(cr *pg_query.ColumnRef, sc *scope) (string, *Error) {
	var names []string
	for _, f := range cr.Fields {
		s := f.GetString_()
		if s == nil {
			return "", errAt(cr.Location, "unsupported column reference")
		}
		names = append(names, s.Sval)
	}
	col := names[len(names)-1]
	if len(names) >= 2 {
		relName := names[len(names)-2]
		r := findRel(sc, relName)
		if r == nil {
			e := errAt(cr.Location, "missing FROM-clause entry for table %q", relName)
			var aliases []string
			for s := sc; s != nil; s = s.parent {
				for _, x := range s.rels {
					aliases = append(aliases, x.alias)
				}
			}
			e.Hint = didYouMean(relName, aliases)
			return "", e
		}
		if c, ok := r.column(col); ok {
			r.used[usedName(r, col)] = true
			return c.Type, nil
		}
		return "", a.unknownColumn(cr, col, []*rel{r}, relName+"."+col)
	}
	var inScope []*rel
	for s := sc; s != nil; s = s.parent {
		var found []*rel
		for _, r := range s.rels {
			inScope = append(inScope, r)
			if _, ok := r.column(col); ok && !r.merged[col] {
				found = append(found, r)
			}
		}
		switch len(found) {
		case 0:
			// A bare FROM item's name is a whole-row reference.
			for _, r := range s.rels {
				if r.alias == col {
					return "record", nil
				}
			}
			continue
		case 1:
			c, _ := found[0].column(col)
			found[0].used[usedName(found[0], col)] = true
			return c.Type, nil
		default:
			return "", errAt(cr.Location, "column reference %q is ambiguous", col)
		}
	}
	return "", a.unknownColumn(cr, col, inScope, col)
}

func (a *analyzer) unknownColumn(cr *pg_query.ColumnRef, col string, rels []*rel, shown string) *Error {
	e := errAt(cr.Location, "column %s does not exist", quoteRef(shown))
	var cands []string
	for _, r := range rels {
		if r.cat != nil {
			if rm := pgcatalog.RemovedColumn(r.cat.Name, col); rm != nil {
				e.Message = fmt.Sprintf("column %s does not exist: PostgreSQL %d removed %s.%s", quoteRef(shown), rm.Major, r.cat.Name, col)
				e.Hint = "use " + rm.Replacement
				return e
			}
		}
		for _, c := range r.cols {
			cands = append(cands, c.Name)
		}
	}
	e.Hint = didYouMean(col, cands)
	return e
}

// quoteRef prints a column reference the way the server's message does: "x" or t.x.
func quoteRef(s string) string {
	if strings.Contains(s, ".") {
		return s
	}
	return `"` + s + `"`
}

func location(n *pg_query.Node) int {
	switch {
	case n.GetColumnRef() != nil:
		return int(n.GetColumnRef().Location)
	case n.GetFuncCall() != nil:
		return int(n.GetFuncCall().Location)
	case n.GetAConst() != nil:
		return int(n.GetAConst().Location)
	case n.GetTypeCast() != nil:
		return int(n.GetTypeCast().Location)
	case n.GetAExpr() != nil:
		return int(n.GetAExpr().Location)
	}
	return -1
}
