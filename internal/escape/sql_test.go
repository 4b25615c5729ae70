package escape

import "testing"

func TestSQLQuoting(t *testing.T) {
	for _, c := range []struct{ in, ident, minimal, literal string }{
		{"app", `"app"`, "app", `'app'`},
		{"my-db", `"my-db"`, `"my-db"`, `'my-db'`},
		{`we"ird`, `"we""ird"`, `"we""ird"`, `'we"ird'`},
		{"o'neil", `"o'neil"`, `"o'neil"`, `'o''neil'`},
		{"Upper", `"Upper"`, `"Upper"`, `'Upper'`},
		{`back\slash`, `"back\slash"`, `"back\slash"`, `'back\slash'`},
	} {
		if got := SQLIdent(c.in); got != c.ident {
			t.Errorf("SQLIdent(%q) = %s, want %s", c.in, got, c.ident)
		}
		if got := SQLIdentMinimal(c.in); got != c.minimal {
			t.Errorf("SQLIdentMinimal(%q) = %s, want %s", c.in, got, c.minimal)
		}
		if got := SQLLiteral(c.in); got != c.literal {
			t.Errorf("SQLLiteral(%q) = %s, want %s", c.in, got, c.literal)
		}
	}
}

func TestIniKey(t *testing.T) {
	for _, ok := range []string{"app", "my-db", "we\"ird", "a;b"} {
		if err := IniKey(ok); err != nil {
			t.Errorf("IniKey(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a b", "a=b", ";x", "#x", "[x", "a\nb", "a\x00"} {
		if err := IniKey(bad); err == nil {
			t.Errorf("IniKey(%q) accepted", bad)
		}
	}
}
