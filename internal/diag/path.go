package diag

import (
	"regexp"
	"strconv"
	"strings"
)

// PathElem is one selector of a CUE path: a field label (definitions keep
// their #) or a list index.
type PathElem struct {
	Label   string
	Index   int
	IsIndex bool
}

// Field is the selector of the field label l.
func Field(l string) PathElem { return PathElem{Label: l} }

// Index is the selector of list element i.
func Index(i int) PathElem { return PathElem{Index: i, IsIndex: true} }

// identifier is a label CUE prints bare (CUE spec, "Identifiers"; the
// $ that CUE also allows never appears in azagen's keys).
var identifier = regexp.MustCompile(`^#?[A-Za-z_][A-Za-z0-9_]*$`)

// CUEPath prints a path as CUE writes one and as every diagnostic carries
// it: labels that are not identifiers quoted, list indexes in brackets,
// e.g. stacks.primary.services."pg-bouncer".ports[0]. It is the one
// printer of paths; Label is its single-selector form.
func CUEPath(elems ...PathElem) string {
	var b strings.Builder
	for i, e := range elems {
		if e.IsIndex {
			b.WriteString("[" + strconv.Itoa(e.Index) + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(label(e.Label))
	}
	return b.String()
}

// Label is one field label as CUEPath prints it, for appending to a
// printed path: path + "." + Label(key).
func Label(l string) string { return label(l) }

func label(l string) string {
	if identifier.MatchString(l) {
		return l
	}
	return strconv.Quote(l)
}

// Fields is the path of the field labels ls, in order.
func Fields(ls ...string) []PathElem {
	out := make([]PathElem, len(ls))
	for i, l := range ls {
		out[i] = Field(l)
	}
	return out
}
