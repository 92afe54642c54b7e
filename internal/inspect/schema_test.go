package inspect

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/exe"
)

// TestExeHasNoJSONTags fails when a struct type in internal/exe (test files aside)
// carries a JSON tag: the JSON schema is defined once, by this package's report types.
func TestExeHasNoJSONTags(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "exe", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no exe sources: %v", err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			st, ok := n.(*ast.StructType)
			if !ok {
				return true
			}
			for _, field := range st.Fields.List {
				if field.Tag == nil {
					continue
				}
				tag, err := strconv.Unquote(field.Tag.Value)
				if err != nil {
					t.Errorf("%s: tag %s: %v", fset.Position(field.Pos()), field.Tag.Value, err)
					continue
				}
				if _, ok := reflect.StructTag(tag).Lookup("json"); ok {
					t.Errorf("%s: exe type has JSON tag %s; define the schema in internal/inspect", fset.Position(field.Pos()), field.Tag.Value)
				}
			}
			return true
		})
	}
}

// TestMirrorsMatchExe fails when an exe type the report mirrors gains, loses or
// reorders a field and its mirror does not follow: the report would silently drop a
// fact (or the cache encoding would change without the pack version).
func TestMirrorsMatchExe(t *testing.T) {
	for _, tc := range []struct {
		exe, report any
		skip        string // an exe field the report leaves out
		extra       string // the report's last field, which exe's facts carry in each Fact: why they are unknown
	}{
		{exe.Library{}, LibraryReport{}, "", ""},
		{exe.Signature{}, SignatureReport{}, "", "Unknown"},
		{exe.MachOHeader{}, MachOReport{}, "", ""},
		{exe.FatArch{}, FatArchReport{}, "Err", ""},
		{exe.GoInfo{}, GoReport{}, "", ""},
		{exe.Module{}, ModuleReport{}, "", ""},
	} {
		var names []string
		e := reflect.TypeOf(tc.exe)
		for i := range e.NumField() {
			if f := e.Field(i); f.IsExported() && f.Name != tc.skip {
				names = append(names, f.Name)
			}
		}
		var got []string
		r := reflect.TypeOf(tc.report)
		for i := range r.NumField() {
			got = append(got, r.Field(i).Name)
		}
		if tc.extra != "" {
			names = append(names, tc.extra)
		}
		if !slices.Equal(names, got) {
			t.Errorf("%s has fields %v, its mirror %s %v", e, names, r, got)
		}
	}
}
