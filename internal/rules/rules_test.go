package rules_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/rules"
)

// moduleRoot is the repository root, two levels above this package.
const moduleRoot = "../.."

func TestCatalogueWellFormed(t *testing.T) {
	seen := map[string]bool{}
	stages := map[rules.Stage]bool{rules.StageInput: true, rules.StageModel: true, rules.StageRendered: true,
		rules.StageOutput: true, rules.StageDocs: true, rules.StageCerts: true, rules.StageEnvFile: true}
	for _, r := range rules.All {
		if r.ID == "" || r.Summary == "" || seen[r.ID] {
			t.Errorf("rule %q: empty or duplicate", r.ID)
		}
		seen[r.ID] = true
		if !stages[r.Stage] {
			t.Errorf("rule %s: unknown stage %q", r.ID, r.Stage)
		}
		if r.Severity != diag.Error && r.Severity != diag.Warning {
			t.Errorf("rule %s: unknown severity %q", r.ID, r.Severity)
		}
	}
	for _, id := range []string{"cue-syntax", "cue-schema", "compose-valid", "eval-budget", "kics/parse", "drift",
		"docs-marker", "docs-unknown-table", "docs-table", "docs-dead-reference"} {
		if _, ok := rules.Lookup(id); !ok {
			t.Errorf("rule %s is not in the catalogue", id)
		}
	}
}

// TestEveryEmittedRuleIsCatalogued proves that no code path can emit a
// rule ID the catalogue lacks. Every ID is a constant of this package, and
// the constants are exactly the IDs of All; outside this package no Go
// file gives a diagnostic's Rule a string literal, and none spells out a
// catalogued ID (or any "kics/" ID) as a literal. So every emitted ID
// reaches a diagnostic through a constant, and every constant is listed.
func TestEveryEmittedRuleIsCatalogued(t *testing.T) {
	fset := token.NewFileSet()
	inAll := map[string]bool{}
	for _, r := range rules.All {
		inAll[r.ID] = true
	}

	// The constants of this package.
	f, err := parser.ParseFile(fset, "rules.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]bool{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if vs.Type != nil { // typed constants are stages, not IDs
				continue
			}
			for _, v := range vs.Values {
				if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					s, _ := strconv.Unquote(lit.Value)
					consts[s] = true
				}
			}
		}
	}
	for id := range consts {
		if !inAll[id] {
			t.Errorf("constant %q is not in All", id)
		}
	}
	for id := range inAll {
		if !consts[id] {
			t.Errorf("rule %q of All has no constant", id)
		}
	}

	spelled := func(s string) bool {
		return strings.HasPrefix(s, "kics/") || inAll[s] && strings.ContainsAny(s, "-/")
	}
	files := 0
	err = filepath.WalkDir(moduleRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "node_modules":
				return filepath.SkipDir
			}
			if filepath.ToSlash(path) == moduleRoot+"/internal/rules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		files++
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Rule" {
					if lit, ok := n.Value.(*ast.BasicLit); ok {
						t.Errorf("%s: Rule: %s is a literal; use a rules constant", fset.Position(lit.Pos()), lit.Value)
					}
				}
			case *ast.BasicLit:
				if n.Kind == token.STRING {
					if s, err := strconv.Unquote(n.Value); err == nil && spelled(s) {
						t.Errorf("%s: rule ID %s spelled out; use its rules constant", fset.Position(n.Pos()), n.Value)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("scanned only %d Go files; is %s the module root?", files, moduleRoot)
	}
}
