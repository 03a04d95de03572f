package main

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
)

// runHasVar tells whether the package in DIR declares the package-level
// variable NAME (exit status 0) or not (1), reading its non-test .go files:
//
//	buildbench hasvar DIR NAME
//
// The script asks it whether a main package has the `version` variable
// that the default ldflags set with -X main.version=...
func runHasVar(args []string) (bool, error) {
	if len(args) != 2 {
		return false, errors.New("usage: buildbench hasvar DIR NAME")
	}
	dir, name := args[0], args[1]
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return false, err
	}
	fset := token.NewFileSet()
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		src, err := os.ReadFile(p) // #nosec G304 G703 -- a Go file of the package directory the benchmark script names, read to parse it
		if err != nil {
			return false, err
		}
		f, err := parser.ParseFile(fset, p, src, parser.SkipObjectResolution)
		if err != nil {
			return false, fmt.Errorf("parse %s: %w", p, err)
		}
		if declaresVar(f, name) {
			return true, nil
		}
	}
	return false, nil
}

// declaresVar reports whether f declares the variable name at package level.
func declaresVar(f *ast.File, name string) bool {
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, s := range g.Specs {
			for _, n := range s.(*ast.ValueSpec).Names {
				if n.Name == name {
					return true
				}
			}
		}
	}
	return false
}
