package resilog

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestREADMEConfigurationTable keeps the README's configuration table in step with the
// code: every exported function of package resilog that returns an Option has a row (in
// the option column), every OTEL_* or RESILOG_* variable the library reads (a string
// literal of that form in a non-test file of a library package) is in the variable
// column, and every option or variable the table names exists. A new option or variable
// needs only its row.
func TestREADMEConfigurationTable(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	tableOptions, tableVars := configurationTable(t, string(readme))
	codeOptions, codeVars := optionConstructors(t), variablesRead(t)
	if len(codeOptions) < 20 || len(codeVars) < 20 || len(tableOptions) < 20 || len(tableVars) < 20 {
		t.Fatalf("found %d options and %d variables in the code, %d and %d in the table: the parsing is broken",
			len(codeOptions), len(codeVars), len(tableOptions), len(tableVars))
	}
	for _, c := range []struct {
		what        string
		code, table map[string]bool
	}{{"option", codeOptions, tableOptions}, {"variable", codeVars, tableVars}} {
		for _, name := range sortedKeys(c.code) {
			if !c.table[name] {
				t.Errorf("%s %s has no row in the README's configuration table", c.what, name)
			}
		}
		for _, name := range sortedKeys(c.table) {
			if !c.code[name] {
				t.Errorf("the README's configuration table names %s %s, which the code does not have (stale row)", c.what, name)
			}
		}
	}
}

var (
	optionName   = regexp.MustCompile(`\bWith[A-Za-z0-9]*`)
	variableName = regexp.MustCompile(`^(OTEL|RESILOG)_[A-Z0-9_]+$`)
	variableRef  = regexp.MustCompile(`\b(OTEL|RESILOG)_[A-Z0-9_]+\b`)
)

// configurationTable returns the options named in the first column of the table under
// "## Configuration" and the variables named in its second.
func configurationTable(t *testing.T, readme string) (options, vars map[string]bool) {
	_, section, ok := strings.Cut(readme, "\n## Configuration\n")
	if !ok {
		t.Fatal(`README has no "## Configuration" section`)
	}
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	options, vars = map[string]bool{}, map[string]bool{}
	header := true
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if header || strings.HasPrefix(strings.TrimSpace(cells[0]), "---") {
			header = false // the header row, then the delimiter row
			continue
		}
		if len(cells) < 2 {
			t.Fatalf("configuration row with fewer than 2 cells: %s", line)
		}
		for _, m := range optionName.FindAllString(cells[0], -1) {
			options[m] = true
		}
		for _, m := range variableRef.FindAllString(cells[1], -1) {
			vars[m] = true
		}
	}
	return options, vars
}

// optionConstructors returns the exported functions of package resilog (any non-test file
// of this directory) whose result is an Option.
func optionConstructors(t *testing.T) map[string]bool {
	names := map[string]bool{}
	fset := token.NewFileSet()
	pkgFiles, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range pkgFiles {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !fn.Name.IsExported() || fn.Type.Results == nil || len(fn.Type.Results.List) != 1 {
				continue
			}
			if id, ok := fn.Type.Results.List[0].Type.(*ast.Ident); ok && id.Name == "Option" {
				names[fn.Name.Name] = true
			}
		}
	}
	return names
}

// variablesRead returns the OTEL_* and RESILOG_* names written as string literals in the
// non-test files of the library's packages: this module's packages but main ones
// (commands, examples) and the collector's module.
func variablesRead(t *testing.T) map[string]bool {
	names := map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || path == "collector" || path == "examples" || path == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil || f.Name.Name == "main" {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && variableName.MatchString(s) {
					names[s] = true
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestREADMELayoutNamesEveryPackage fails on a public package of the library (not main,
// not internal) that the README's Layout table does not name, so that a user finds every
// package from the README.
func TestREADMELayoutNamesEveryPackage(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, layout, ok := strings.Cut(string(readme), "\n## Layout\n")
	if !ok {
		t.Fatal(`README has no "## Layout" section`)
	}
	if end := strings.Index(layout, "\n## "); end >= 0 {
		layout = layout[:end]
	}
	fset := token.NewFileSet()
	packages := map[string]bool{}
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "internal" || path == "collector" || path == "examples" || path == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		dir := filepath.Dir(path)
		if dir == "." || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.PackageClauseOnly)
		if err != nil {
			return err
		}
		if f.Name.Name != "main" {
			packages[filepath.ToSlash(dir)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(packages) < 5 {
		t.Fatalf("found %d packages: the walk is broken", len(packages))
	}
	for _, dir := range sortedKeys(packages) {
		if !strings.Contains(layout, "| `"+dir+"/` |") {
			t.Errorf("package %s/ has no row in the README's Layout table", dir)
		}
	}
}
