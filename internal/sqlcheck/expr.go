package sqlcheck

import (
	"fmt"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/azagen/azagen/internal/pgcatalog"
)

// expr resolves every name in an expression and returns its type's typname ("" when it cannot
// be told, "unknown" for an untyped string literal or NULL).
func (a *analyzer) expr(n *pg_query.Node, sc *scope) (string, *Error) {
	if n == nil {
		return "", nil
	}
	switch {
	case n.GetColumnRef() != nil:
		cr := n.GetColumnRef()
		if isStar(cr) {
			return "", errAt(cr.Location, "a * is only valid in a SELECT list")
		}
		return a.colRef(cr, sc)
	case n.GetAConst() != nil:
		c := n.GetAConst()
		switch {
		case c.Isnull:
			return "unknown", nil
		case c.GetIval() != nil:
			return "int4", nil
		case c.GetFval() != nil:
			return "numeric", nil
		case c.GetBoolval() != nil:
			return "bool", nil
		case c.GetBsval() != nil:
			return "bit", nil
		}
		return "unknown", nil
	case n.GetTypeCast() != nil:
		tc := n.GetTypeCast()
		if _, e := a.expr(tc.Arg, sc); e != nil {
			return "", e
		}
		return a.typeName(tc.TypeName)
	case n.GetFuncCall() != nil:
		_, t, e := a.funcCall(n.GetFuncCall(), sc)
		return t, e
	case n.GetAExpr() != nil:
		return a.aExpr(n.GetAExpr(), sc)
	case n.GetBoolExpr() != nil:
		return "bool", a.each(n.GetBoolExpr().Args, sc)
	case n.GetNullTest() != nil:
		_, e := a.expr(n.GetNullTest().Arg, sc)
		return "bool", e
	case n.GetBooleanTest() != nil:
		_, e := a.expr(n.GetBooleanTest().Arg, sc)
		return "bool", e
	case n.GetCaseExpr() != nil:
		ce := n.GetCaseExpr()
		if _, e := a.expr(ce.Arg, sc); e != nil {
			return "", e
		}
		var results []string
		for _, w := range ce.Args {
			cw := w.GetCaseWhen()
			if _, e := a.expr(cw.Expr, sc); e != nil {
				return "", e
			}
			t, e := a.expr(cw.Result, sc)
			if e != nil {
				return "", e
			}
			results = append(results, t)
		}
		if ce.Defresult != nil {
			t, e := a.expr(ce.Defresult, sc)
			if e != nil {
				return "", e
			}
			results = append(results, t)
		}
		return common(results), nil
	case n.GetCoalesceExpr() != nil:
		return a.commonOf(n.GetCoalesceExpr().Args, sc)
	case n.GetMinMaxExpr() != nil:
		return a.commonOf(n.GetMinMaxExpr().Args, sc)
	case n.GetNullIfExpr() != nil:
		return a.commonOf(n.GetNullIfExpr().Args, sc)
	case n.GetSubLink() != nil:
		sl := n.GetSubLink()
		if sl.Testexpr != nil {
			if _, e := a.expr(sl.Testexpr, sc); e != nil {
				return "", e
			}
		}
		cols, e := a.selectStmt(sl.Subselect.GetSelectStmt(), sc)
		if e != nil {
			return "", e
		}
		switch sl.SubLinkType {
		case pg_query.SubLinkType_EXPR_SUBLINK:
			if len(cols) != 1 {
				return "", errAt(sl.Location, "subquery must return only one column")
			}
			return cols[0].Type, nil
		case pg_query.SubLinkType_ARRAY_SUBLINK:
			if len(cols) == 1 && cols[0].Type != "" {
				return "_" + cols[0].Type, nil
			}
			return "", nil
		}
		return "bool", nil
	case n.GetSqlvalueFunction() != nil:
		return sqlValueType(n.GetSqlvalueFunction().Op), nil
	case n.GetAArrayExpr() != nil:
		t, e := a.commonOf(n.GetAArrayExpr().Elements, sc)
		if t != "" && t != "unknown" {
			t = "_" + t
		}
		return t, e
	case n.GetRowExpr() != nil:
		return "record", a.each(n.GetRowExpr().Args, sc)
	case n.GetCollateClause() != nil:
		return a.expr(n.GetCollateClause().Arg, sc)
	case n.GetNamedArgExpr() != nil:
		return a.expr(n.GetNamedArgExpr().Arg, sc)
	case n.GetAIndirection() != nil:
		ind := n.GetAIndirection()
		t, e := a.expr(ind.Arg, sc)
		if e != nil {
			return "", e
		}
		for _, i := range ind.Indirection {
			if ai := i.GetAIndices(); ai != nil {
				if _, e := a.expr(ai.Lidx, sc); e != nil {
					return "", e
				}
				if _, e := a.expr(ai.Uidx, sc); e != nil {
					return "", e
				}
				if !ai.IsSlice {
					t = strings.TrimPrefix(t, "_")
				}
			} else {
				t = "" // a field of a composite: not tracked
			}
		}
		return t, nil
	case n.GetGroupingFunc() != nil:
		return "int4", a.each(n.GetGroupingFunc().Args, sc)
	case n.GetParamRef() != nil:
		return "", errAt(n.GetParamRef().Location, "an exporter query cannot take parameters ($%d)", n.GetParamRef().Number)
	case n.GetList() != nil:
		return "", a.each(n.GetList().Items, sc)
	case n.GetSortBy() != nil:
		return a.expr(n.GetSortBy().Node, sc)
	}
	return "", nil
}

func (a *analyzer) each(list []*pg_query.Node, sc *scope) *Error {
	for _, n := range list {
		if _, e := a.expr(n, sc); e != nil {
			return e
		}
	}
	return nil
}

func (a *analyzer) commonOf(list []*pg_query.Node, sc *scope) (string, *Error) {
	var ts []string
	for _, n := range list {
		t, e := a.expr(n, sc)
		if e != nil {
			return "", e
		}
		ts = append(ts, t)
	}
	return common(ts), nil
}

// common is the type of a CASE, COALESCE or array: the first typed branch (the server picks a
// preferred type of the same category; the category is what azagen needs).
func common(ts []string) string {
	for _, t := range ts {
		if t != "" && t != "unknown" {
			return t
		}
	}
	if slices.Contains(ts, "unknown") {
		return "text"
	}
	return ""
}

func sqlValueType(op pg_query.SQLValueFunctionOp) string {
	switch op {
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
		return "date"
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME_N:
		return "timetz"
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
		return "timestamptz"
	case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME_N:
		return "time"
	case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
		return "timestamp"
	}
	return "name"
}

// comparison operators yield bool whatever their operands.
var comparison = []string{"=", "<>", "!=", "<", ">", "<=", ">=", "~~", "!~~", "~~*", "!~~*", "~", "~*", "!~", "!~*", "@>", "<@", "&&", "?", "?|", "?&"}

func (a *analyzer) aExpr(x *pg_query.A_Expr, sc *scope) (string, *Error) {
	l, e := a.expr(x.Lexpr, sc)
	if e != nil {
		return "", e
	}
	r, e := a.expr(x.Rexpr, sc)
	if e != nil {
		return "", e
	}
	if x.Kind == pg_query.A_Expr_Kind_AEXPR_NULLIF {
		return common([]string{l}), nil
	}
	if x.Kind != pg_query.A_Expr_Kind_AEXPR_OP {
		return "bool", nil
	}
	ops := nameList(x.Name)
	op := ops[len(ops)-1]
	if slices.Contains(comparison, op) {
		return "bool", nil
	}
	lc, rc := a.category(l), a.category(r)
	switch {
	case op == "||":
		if lc == 'A' {
			return l, nil
		}
		if rc == 'A' {
			return r, nil
		}
		return "text", nil
	case lc == 'N' && rc == 'N':
		return numericResult(l, r), nil
	case x.Lexpr == nil && rc == 'N': // unary minus or plus
		return r, nil
	case lc == 'N' && r == "unknown":
		return l, nil
	case l == "unknown" && rc == 'N':
		return r, nil
	case lc == 'D' && rc == 'D' && op == "-":
		if l == "date" && r == "date" {
			return "int4", nil
		}
		return "interval", nil
	case lc == 'D' && (rc == 'T' || r == "unknown"):
		return l, nil
	case lc == 'T' && rc == 'D':
		return r, nil
	case lc == 'T' && (rc == 'T' || rc == 'N'):
		return "interval", nil
	case l == "pg_lsn" && r == "pg_lsn" && op == "-":
		return "numeric", nil
	}
	return "", nil
}

// numericResult follows the server's numeric promotion closely enough to keep the category:
// floats win, then numeric, then the wider integer.
func numericResult(l, r string) string {
	for _, t := range []string{"float8", "float4", "numeric", "int8", "int4", "int2"} {
		if l == t || r == t {
			return t
		}
	}
	return l
}

// typeName resolves a type name of a cast or column definition list to its typname.
func (a *analyzer) typeName(tn *pg_query.TypeName) (string, *Error) {
	names := nameList(tn.Names)
	name := names[len(names)-1]
	if len(names) == 1 {
		if alias, ok := typeAliases[name]; ok {
			name = alias
		}
	}
	if !a.v.HasType(name) {
		e := errAt(tn.Location, "type %q does not exist", strings.Join(names, "."))
		return "", e
	}
	if len(tn.ArrayBounds) > 0 {
		name = "_" + name
	}
	return name, nil
}

// typeAliases are the names the grammar does not already map to pg_catalog's typnames (it does
// for "double precision", "integer", "bigint", ...), but the server's type lookup accepts.
var typeAliases = map[string]string{
	"int": "int4", "integer": "int4", "smallint": "int2", "bigint": "int8", "real": "float4",
	"float": "float8", "boolean": "bool", "decimal": "numeric", "timestamp with time zone": "timestamptz",
}

// polymorphic result types take the type of the matching argument.
func polymorphic(t string) bool {
	return strings.HasPrefix(t, "any") && t != "any"
}

func (a *analyzer) funcCall(fc *pg_query.FuncCall, sc *scope) (*pgcatalog.Function, string, *Error) {
	names := nameList(fc.Funcname)
	name, schema := names[len(names)-1], ""
	if len(names) > 1 {
		schema = names[len(names)-2]
	}
	var argTypes []string
	for _, arg := range fc.Args {
		t, e := a.expr(arg, sc)
		if e != nil {
			return nil, "", e
		}
		argTypes = append(argTypes, t)
	}
	for _, n := range fc.AggOrder {
		if _, e := a.expr(n, sc); e != nil {
			return nil, "", e
		}
	}
	if _, e := a.expr(fc.AggFilter, sc); e != nil {
		return nil, "", e
	}
	if e := a.window(fc.Over, sc); e != nil {
		return nil, "", e
	}
	shown := name
	if schema != "" {
		shown = schema + "." + name
	}
	signature := fmt.Sprintf("%s(%s)", shown, strings.Join(displayTypes(argTypes), ", "))
	if fc.AggStar {
		signature = shown + "(*)"
	}
	cands := a.v.Functions(schema, name)
	if len(cands) == 0 {
		e := errAt(fc.Location, "function %s does not exist", signature)
		if rm := pgcatalog.RemovedFunction(name); rm != nil {
			e.Message = fmt.Sprintf("function %s does not exist: PostgreSQL %d removed %s", signature, rm.Major, name)
			e.Hint = "use " + rm.Replacement
		} else if ext := pgcatalog.Load().ExtensionOf(schema, name); ext != "" {
			e.Hint = fmt.Sprintf("%s belongs to extension %s, which postgresql.extensions does not create", name, ext)
		} else {
			e.Hint = didYouMean(name, a.v.FunctionNames())
		}
		return nil, "", e
	}
	var best *pgcatalog.Function
	bestScore, tied := -1, false
	for _, f := range cands {
		if !f.Accepts(len(argTypes)) {
			continue
		}
		score, ok := a.match(f, argTypes)
		switch {
		case ok && score > bestScore:
			best, bestScore, tied = f, score, false
		case ok && score == bestScore && f.Result != best.Result:
			tied = true
		}
	}
	if best == nil {
		e := errAt(fc.Location, "function %s does not exist", signature)
		e.Hint = "No function matches the given name and argument types. You might need to add explicit type casts."
		return nil, "", e
	}
	if (fc.AggStar || fc.AggDistinct || len(fc.AggOrder) > 0 || fc.AggFilter != nil) && best.Kind != 'a' {
		return nil, "", errAt(fc.Location, "%s is not an aggregate function", shown)
	}
	if fc.Over != nil && best.Kind == 'f' {
		return nil, "", errAt(fc.Location, "OVER specified, but %s is not a window function nor an aggregate function", shown)
	}
	if best.Kind == 'w' && fc.Over == nil {
		return nil, "", errAt(fc.Location, "window function %s requires an OVER clause", shown)
	}
	if best.SchemaDenied {
		return nil, "", errAt(fc.Location, "permission denied for schema %s", best.Schema)
	}
	if !best.Executable {
		e := errAt(fc.Location, "permission denied for function %s", best.Name)
		e.Hint = "the exporter's monitoring role (pg_monitor) may not call it"
		return nil, "", e
	}
	a.funcs[display(best.Schema, best.Name)] = true
	result := best.Result
	if tied {
		// Overloads with other result types match as well, because an
		// argument's type is not known here (string_agg of text or of
		// bytea): the server would know it, so claim no type rather than
		// the wrong one.
		result = ""
	}
	if polymorphic(result) {
		result = ""
		for i, at := range best.Args {
			if polymorphic(at) && i < len(argTypes) && argTypes[i] != "" && argTypes[i] != "unknown" {
				result = argTypes[i]
				switch {
				case strings.HasSuffix(best.Result, "array") && !strings.HasSuffix(at, "array"):
					result = "_" + result
				case !strings.HasSuffix(best.Result, "array") && strings.HasSuffix(at, "array"):
					result = strings.TrimPrefix(result, "_")
				}
				break
			}
		}
	}
	return best, result, nil
}

// match reports whether argument types can be passed to f, and how well: 2 per exact type, 1
// per same category or polymorphic parameter. An untyped literal, or a type azagen cannot tell,
// goes anywhere; otherwise the category must agree, as almost every implicit cast of the server
// stays within one.
func (a *analyzer) match(f *pgcatalog.Function, args []string) (int, bool) {
	score := 0
	for i, at := range args {
		var pt string
		switch {
		case i < len(f.Args):
			pt = f.Args[i]
		case f.Variadic && len(f.Args) > 0:
			pt = f.Args[len(f.Args)-1]
		}
		if f.Variadic && i >= len(f.Args)-1 && strings.HasPrefix(pt, "_") {
			pt = strings.TrimPrefix(pt, "_")
		}
		switch {
		case at == pt:
			score += 2
		case at == "" || at == "unknown" || pt == "any" || polymorphic(pt):
			score++
		case a.category(at) != 0 && a.category(at) == a.category(pt):
			score++
		case implicitAcross(at, pt):
			score++
		default:
			return 0, false
		}
	}
	return score, true
}

// implicitAcross are the server's implicit casts between categories that monitoring queries
// meet: text-like to the reg* lookups, "char" to text, and integers to oid-like types.
func implicitAcross(from, to string) bool {
	switch {
	case (from == "char" || from == "name" || from == "bpchar" || from == "varchar") && (to == "text" || to == "name"):
		return true
	case to == "text" && from == "char":
		return true
	}
	return false
}

func displayTypes(ts []string) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		switch {
		case t == "":
			out[i] = "?"
		case strings.HasPrefix(t, "_"):
			out[i] = strings.TrimPrefix(t, "_") + "[]"
		default:
			out[i] = t
		}
	}
	return out
}

// figureColname names an unnamed SELECT-list entry the way the server's FigureColname does.
func figureColname(n *pg_query.Node) string {
	switch {
	case n.GetColumnRef() != nil:
		f := n.GetColumnRef().Fields
		if s := f[len(f)-1].GetString_(); s != nil {
			return s.Sval
		}
	case n.GetAIndirection() != nil:
		ind := n.GetAIndirection().Indirection
		for i := len(ind) - 1; i >= 0; i-- {
			if s := ind[i].GetString_(); s != nil {
				return s.Sval
			}
		}
		return figureColname(n.GetAIndirection().Arg)
	case n.GetFuncCall() != nil:
		names := nameList(n.GetFuncCall().Funcname)
		return names[len(names)-1]
	case n.GetAExpr() != nil:
		if n.GetAExpr().Kind == pg_query.A_Expr_Kind_AEXPR_NULLIF {
			return "nullif"
		}
	case n.GetTypeCast() != nil:
		if name := figureColname(n.GetTypeCast().Arg); name != "?column?" {
			return name
		}
		names := nameList(n.GetTypeCast().TypeName.Names)
		return names[len(names)-1]
	case n.GetCaseExpr() != nil:
		return "case"
	case n.GetCoalesceExpr() != nil:
		return "coalesce"
	case n.GetMinMaxExpr() != nil:
		if n.GetMinMaxExpr().Op == pg_query.MinMaxOp_IS_GREATEST {
			return "greatest"
		}
		return "least"
	case n.GetSqlvalueFunction() != nil:
		return sqlValueName(n.GetSqlvalueFunction().Op)
	case n.GetSubLink() != nil:
		sl := n.GetSubLink()
		switch sl.SubLinkType {
		case pg_query.SubLinkType_EXISTS_SUBLINK:
			return "exists"
		case pg_query.SubLinkType_ARRAY_SUBLINK:
			return "array"
		case pg_query.SubLinkType_EXPR_SUBLINK:
			if s := sl.Subselect.GetSelectStmt(); s != nil && len(s.TargetList) == 1 {
				rt := s.TargetList[0].GetResTarget()
				if rt.Name != "" {
					return rt.Name
				}
				return figureColname(rt.Val)
			}
		}
	case n.GetAArrayExpr() != nil:
		return "array"
	case n.GetRowExpr() != nil:
		return "row"
	case n.GetCollateClause() != nil:
		return figureColname(n.GetCollateClause().Arg)
	}
	return "?column?"
}

func sqlValueName(op pg_query.SQLValueFunctionOp) string {
	name := strings.TrimPrefix(op.String(), "SVFOP_")
	return strings.ToLower(strings.TrimSuffix(name, "_N"))
}
