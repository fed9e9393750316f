package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFilesWrittenAtomically checks that no production code outside
// internal/atomicfile writes a file directly: every file the server writes
// (root key, credentials) must go through atomicfile's temp file, fsync,
// rename or link, and directory fsync. The database's own files are
// SQLite's business (WAL, synchronous=FULL; checked in store/sqlite).
func TestFilesWrittenAtomically(t *testing.T) {
	forbidden := map[string]bool{"WriteFile": true, "Create": true, "OpenFile": true, "CreateTemp": true, "Rename": true, "Link": true}
	root := filepath.Join("..", "..")
	// The database files belong to SQLite (WAL, synchronous=FULL), which
	// creates and syncs them itself; the store opens them first only to set
	// their mode, and creates backups that VACUUM INTO fills and syncs.
	allowed := map[string]bool{filepath.Join("internal", "store", "sqlite", "sqlite.go"): true}
	checked := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "test", "testdata", ".git", "atomicfile":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		if rel, _ := filepath.Rel(root, path); allowed[rel] {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "os" && forbidden[sel.Sel.Name] {
				t.Errorf("%s: os.%s writes a file without atomicfile (fsync, rename, directory fsync)", path, sel.Sel.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked only %d files; is the walk rooted at the repository?", checked)
	}
}
