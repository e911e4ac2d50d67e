package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// TestNoWireTags: the store's exported types are storage shapes, not wire formats —
// the API and the CLI declare their own answers, so a change here never changes one
// by accident. Only the unexported shape of a JSON column may carry json tags.
func TestNoWireTags(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok || !ts.Name.IsExported() {
				return true
			}
			ast.Inspect(ts.Type, func(n ast.Node) bool {
				if fl, ok := n.(*ast.Field); ok && fl.Tag != nil && strings.Contains(fl.Tag.Value, `json:"`) {
					t.Errorf("%s: %s carries a json tag %s", fset.Position(fl.Pos()), ts.Name.Name, fl.Tag.Value)
				}
				return true
			})
			return false
		})
	}
}
