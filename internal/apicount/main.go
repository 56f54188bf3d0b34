// Command apicount counts the public API of the module: the exported
// top-level names (constants, variables, types, functions) and the exported
// methods of exported types (interface methods included), in every package
// that is not internal, not a command (package main) and not under
// testdata, leaving out _test.go files and generated files ("Code generated
// ... DO NOT EDIT."). A name declared in several files of a package under
// different build tags (the nogpu twin of package gpu) counts once.
// Exported struct fields are not names: they are listed by go doc with
// their type.
//
//	go run ./internal/apicount        # the total and the count per package
//	go run ./internal/apicount -v     # and every name
//
// Its test fails when the total exceeds the budget the project keeps (150).
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	verbose := flag.Bool("v", false, "list every name")
	root := flag.String("root", ".", "the module's root `folder`")
	flag.Parse()
	api, err := count(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "apicount:", err)
		os.Exit(1)
	}
	total := 0
	for _, pkg := range slices.Sorted(maps.Keys(api)) {
		names := api[pkg]
		total += len(names)
		fmt.Printf("%-24s %3d\n", pkg, len(names))
		if *verbose {
			fmt.Printf("    %s\n", strings.Join(names, " "))
		}
	}
	fmt.Printf("%-24s %3d\n", "total", total)
}

// count returns, per public package (its folder relative to root, with
// forward slashes), its public names sorted, each once.
func count(root string) (map[string][]string, error) {
	seen := map[string]map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (d.Name() == "internal" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		if ast.IsGenerated(f) || f.Name.Name == "main" {
			return nil
		}
		dir, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(dir)
		if seen[pkg] == nil {
			seen[pkg] = map[string]bool{}
		}
		for _, name := range exported(f) {
			seen[pkg][name] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	api := map[string][]string{}
	for pkg, names := range seen {
		if len(names) > 0 {
			api[pkg] = slices.Sorted(maps.Keys(names))
		}
	}
	return api, nil
}

// exported returns the public names a file declares: Name, or Type.Method.
func exported(f *ast.File) []string {
	var names []string
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			if d.Recv == nil {
				names = append(names, d.Name.Name)
				continue
			}
			if recv := receiverType(d.Recv.List[0].Type); recv != "" && ast.IsExported(recv) {
				names = append(names, recv+"."+d.Name.Name)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if !s.Name.IsExported() {
						continue
					}
					names = append(names, s.Name.Name)
					if it, ok := s.Type.(*ast.InterfaceType); ok {
						for _, m := range it.Methods.List {
							for _, n := range m.Names {
								if n.IsExported() {
									names = append(names, s.Name.Name+"."+n.Name)
								}
							}
						}
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() {
							names = append(names, n.Name)
						}
					}
				}
			}
		}
	}
	return names
}

// receiverType returns the name of a method's receiver type, without the
// pointer or type parameters.
func receiverType(t ast.Expr) string {
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
		case *ast.IndexExpr:
			t = x.X
		case *ast.IndexListExpr:
			t = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}
