// Command apicount counts the public API of the module: the exported
// top-level names (constants, variables, types, functions) and the exported
// methods of exported types (interface methods included, and the methods
// an exported struct type gets from unexported types it embeds), in every
// package that is not internal, not a command (package main) and not under
// testdata or a folder whose name starts with "." or "_", leaving out
// _test.go files and generated files ("Code generated ... DO NOT EDIT."). A
// name declared in several files of a package under different build tags
// (the nogpu twin of package gpu) counts once.
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
	pkgs := map[string]*pkgDecls{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (d.Name() == "internal" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
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
		if pkgs[pkg] == nil {
			pkgs[pkg] = &pkgDecls{names: map[string]bool{}, methods: map[string][]string{}, embeds: map[string][]string{}}
		}
		pkgs[pkg].add(f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	api := map[string][]string{}
	for pkg, p := range pkgs {
		if names := p.public(); len(names) > 0 {
			api[pkg] = names
		}
	}
	return api, nil
}

// pkgDecls is what a package's files declare: its exported names, the
// exported methods of every type (exported or not), and the types each
// exported struct type embeds.
type pkgDecls struct {
	names   map[string]bool     // exported top-level names and interface methods
	methods map[string][]string // receiver type -> its exported methods
	embeds  map[string][]string // struct type -> the types of its package it embeds
}

// add records a file's declarations.
func (p *pkgDecls) add(f *ast.File) {
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			if d.Recv == nil {
				p.names[d.Name.Name] = true
				continue
			}
			if recv := typeName(d.Recv.List[0].Type); recv != "" {
				p.methods[recv] = append(p.methods[recv], d.Name.Name)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					exported := s.Name.IsExported()
					if exported {
						p.names[s.Name.Name] = true
					}
					switch t := s.Type.(type) {
					case *ast.InterfaceType:
						if !exported {
							continue
						}
						for _, m := range t.Methods.List {
							for _, n := range m.Names {
								if n.IsExported() {
									p.names[s.Name.Name+"."+n.Name] = true
								}
							}
						}
					case *ast.StructType:
						for _, field := range t.Fields.List {
							if len(field.Names) == 0 {
								if name := typeName(field.Type); name != "" {
									p.embeds[s.Name.Name] = append(p.embeds[s.Name.Name], name)
								}
							}
						}
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() {
							p.names[n.Name] = true
						}
					}
				}
			}
		}
	}
}

// public returns the package's public names, sorted: its exported names,
// the exported methods of its exported types, and the exported methods
// that an exported struct type gets from the unexported types it embeds
// (promoted methods are part of its method set, whatever file declares
// them).
func (p *pkgDecls) public() []string {
	names := maps.Clone(p.names)
	for typ, methods := range p.methods {
		if ast.IsExported(typ) {
			for _, m := range methods {
				names[typ+"."+m] = true
			}
		}
	}
	var promote func(outer, inner string, depth int)
	promote = func(outer, inner string, depth int) {
		if ast.IsExported(inner) || depth > 8 {
			return // an exported embedded type's methods are counted as its own
		}
		for _, m := range p.methods[inner] {
			names[outer+"."+m] = true
		}
		for _, deeper := range p.embeds[inner] {
			promote(outer, deeper, depth+1)
		}
	}
	for outer, inners := range p.embeds {
		if !ast.IsExported(outer) {
			continue
		}
		for _, inner := range inners {
			promote(outer, inner, 0)
		}
	}
	return slices.Sorted(maps.Keys(names))
}

// typeName returns the name of a receiver or embedded type, without the
// pointer or type parameters; "" for a type of another package.
func typeName(t ast.Expr) string {
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
