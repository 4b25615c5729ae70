package escape

import "strings"

// SQLIdent quotes s as a PostgreSQL identifier: always in double quotes,
// with embedded double quotes doubled (scan.l, "xd" state). The quoted form
// keeps case, so it names exactly the role or database stacks.cue declares.
func SQLIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// SQLIdentMinimal is SQLIdent only where needed: a name of lower-case
// letters, digits and '_' stands bare (it is read back unchanged), anything
// else is quoted (the schema allows '-' in names, which SQL does not).
func SQLIdentMinimal(s string) string {
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return SQLIdent(s)
		}
	}
	return s
}

// SQLLiteral quotes s as an SQL string literal. standard_conforming_strings
// is on in every supported PostgreSQL, so a backslash is literal and only
// the single quote is doubled.
func SQLLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }
