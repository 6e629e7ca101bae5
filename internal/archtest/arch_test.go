// Package archtest holds the test that keeps docs/architecture.md true:
// the import layers, the owner of every table, and the reads of another
// owner's table that are allowed, checked against the Go sources.
package archtest

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"steward/internal/db"
)

const module = "steward"

// model is what docs/architecture.md says.
type model struct {
	layer map[string]int         // package -> its layer, 1 the top
	owner map[string]string      // table -> owning package
	kept  map[[2]string][]string // table, package -> the columns it keeps there
	reads map[[2]string]bool     // reader, table -> allowed
	used  map[[2]string]bool     // allowed reads seen in the sources
	why   map[[2]string]string   // reader, table -> reason
}

var (
	backticked = regexp.MustCompile("`([^`]+)`")
	layerLine  = regexp.MustCompile(`^\d+\.\s+(.*)$`)
)

// section returns the lines under the heading "### "+title, up to the
// next heading.
func section(doc, title string) ([]string, error) {
	lines := strings.Split(doc, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "### "+title {
			continue
		}
		var out []string
		for _, l := range lines[i+1:] {
			if strings.HasPrefix(l, "#") {
				break
			}
			out = append(out, l)
		}
		return out, nil
	}
	return nil, fmt.Errorf("no section %q", title)
}

// tables parses the Markdown tables among lines, each as its rows of
// cells (backticks removed), keyed by its header's first two cells.
func tables(lines []string) map[string][][]string {
	out := map[string][][]string{}
	var key string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "|") {
			key = ""
			continue
		}
		cells := strings.Split(strings.Trim(l, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(strings.ReplaceAll(cells[i], "`", ""))
		}
		switch {
		case key == "":
			key = cells[0] + "|" + cells[1]
			out[key] = nil
		case strings.HasPrefix(cells[0], "---"):
		default:
			out[key] = append(out[key], cells)
		}
	}
	return out
}

func parseModel(doc string) (*model, error) {
	m := &model{layer: map[string]int{}, owner: map[string]string{}, kept: map[[2]string][]string{},
		reads: map[[2]string]bool{}, used: map[[2]string]bool{}, why: map[[2]string]string{}}
	lines, err := section(doc, "Import layers")
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		g := layerLine.FindStringSubmatch(strings.TrimSpace(l))
		if g == nil {
			continue
		}
		n, _ := strconv.Atoi(strings.SplitN(strings.TrimSpace(l), ".", 2)[0])
		for _, p := range backticked.FindAllStringSubmatch(g[1], -1) {
			m.layer[p[1]] = n
		}
	}
	lines, err = section(doc, "Tables and their owners")
	if err != nil {
		return nil, err
	}
	ts := tables(lines)
	for _, r := range ts["table|owner"] {
		m.owner[r[0]] = r[1]
	}
	for _, r := range ts["table|columns"] {
		var cols []string
		for c := range strings.SplitSeq(r[1], ",") {
			cols = append(cols, strings.TrimSpace(c))
		}
		m.kept[[2]string{r[0], r[2]}] = cols
	}
	lines, err = section(doc, "Allowed reads of another owner's table")
	if err != nil {
		return nil, err
	}
	for _, r := range tables(lines)["reader|table"] {
		k := [2]string{r[0], r[1]}
		m.reads[k] = true
		if len(r) > 2 {
			m.why[k] = r[2]
		}
	}
	if len(m.layer) == 0 || len(m.owner) == 0 || len(m.reads) == 0 {
		return nil, fmt.Errorf("the page gives %d layered packages, %d owned tables, %d allowed reads", len(m.layer), len(m.owner), len(m.reads))
	}
	return m, nil
}

var (
	writeRe  = regexp.MustCompile(`\b(?:INSERT\s+INTO|DELETE\s+FROM)\s+(\w+)|\bUPDATE\s+(\w+)(?:\s+\w+)?\s+SET\b`)
	readRe   = regexp.MustCompile(`\b(?:FROM|JOIN)\s+(\w+)`)
	deleteRe = regexp.MustCompile(`\bDELETE\s+FROM\b`)        // a write, not a read
	aliasRe  = regexp.MustCompile(`^\s*(\w+)\s+[a-z]\w?\s*$`) // "users u", handed to a query builder
	setRe    = regexp.MustCompile(`(?s)\bUPDATE\s+(\w+)(?:\s+\w+)?\s+SET\b(.*?)(?:\bWHERE\b|$)`)
	assignRe = regexp.MustCompile(`(?:^|,)\s*(\w+)\s*=`)
	// dynamicRe is a write whose table is joined on at run time
	// ("INSERT INTO " + table): only internal/db's generic machinery
	// (db.Copy, db.Batch, which owners hand out) may write so.
	dynamicRe = regexp.MustCompile(`\b(?:INSERT\s+INTO|DELETE\s+FROM|UPDATE)\s*$`)
)

// source is one Go file: its path from the module root, and its text.
type source struct{ path, text string }

// check returns every way the sources break the model.
func (m *model) check(files []source) []string {
	var bad []string
	for _, f := range files {
		pkg := path.Dir(f.path)
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, f.path, f.text, parser.SkipObjectResolution)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		mine, layered := m.layer[pkg]
		if !layered {
			bad = append(bad, fmt.Sprintf("%s: package %s is in no import layer", f.path, pkg))
		}
		for _, imp := range file.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			dep, ok := strings.CutPrefix(p, module+"/")
			if !ok {
				continue
			}
			theirs, known := m.layer[dep]
			switch {
			case !known:
				bad = append(bad, fmt.Sprintf("%s: imports %s, which is in no import layer", f.path, dep))
			case layered && theirs <= mine:
				bad = append(bad, fmt.Sprintf("%s: %s (layer %d) imports %s (layer %d): against the import layers", f.path, pkg, mine, dep, theirs))
			}
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			at := fset.Position(lit.Pos())
			where := fmt.Sprintf("%s:%d", f.path, at.Line)
			bad = append(bad, m.checkSQL(where, pkg, s)...)
			return true
		})
	}
	return bad
}

// checkSQL checks one string of package pkg for writes and reads of
// tables pkg does not own.
func (m *model) checkSQL(where, pkg, s string) []string {
	var bad []string
	if dynamicRe.MatchString(s) && pkg != "internal/db" {
		bad = append(bad, fmt.Sprintf("%s: %s writes a table named at run time: name it in its owner's SQL, or take a db.Batch from the owner", where, pkg))
	}
	for _, g := range writeRe.FindAllStringSubmatch(s, -1) {
		table := g[1] + g[2]
		owner, ok := m.owner[table]
		if !ok || owner == pkg {
			continue
		}
		if g[2] != "" && m.keeps(pkg, table, s) {
			continue
		}
		bad = append(bad, fmt.Sprintf("%s: %s writes %s, which %s owns", where, pkg, table, owner))
	}
	var read []string
	for _, g := range readRe.FindAllStringSubmatch(deleteRe.ReplaceAllString(s, "DELETE"), -1) {
		read = append(read, g[1])
	}
	if g := aliasRe.FindStringSubmatch(s); g != nil {
		read = append(read, g[1])
	}
	for _, table := range read {
		owner, ok := m.owner[table]
		if !ok || owner == pkg {
			continue
		}
		k := [2]string{pkg, table}
		if m.reads[k] {
			m.used[k] = true
			continue
		}
		bad = append(bad, fmt.Sprintf("%s: %s reads %s, which %s owns, and the allowed reads do not list it", where, pkg, table, owner))
	}
	return bad
}

// keeps reports whether every UPDATE of table in s sets only columns pkg
// keeps there.
func (m *model) keeps(pkg, table, s string) bool {
	cols, ok := m.kept[[2]string{table, pkg}]
	if !ok {
		return false
	}
	for _, g := range setRe.FindAllStringSubmatch(s, -1) {
		if g[1] != table {
			continue
		}
		set := assignRe.FindAllStringSubmatch(g[2], -1)
		if len(set) == 0 {
			return false
		}
		for _, a := range set {
			if !slices.Contains(cols, a[1]) {
				return false
			}
		}
	}
	return true
}

// repoSources reads every Go file of the module but tests, testdata and
// what npm installed.
func repoSources(t *testing.T, root string) []source {
	t.Helper()
	var out []source
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		out = append(out, source{filepath.ToSlash(rel), string(b)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readModel(t *testing.T, root string) *model {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseModel(string(b))
	if err != nil {
		t.Fatalf("docs/architecture.md: %v", err)
	}
	return m
}

// TestArchitecture checks the sources against docs/architecture.md.
func TestArchitecture(t *testing.T) {
	root := filepath.Join("..", "..")
	m := readModel(t, root)
	files := repoSources(t, root)
	if len(files) < 50 {
		t.Fatalf("only %d Go files found under %s", len(files), root)
	}
	for _, b := range m.check(files) {
		t.Error(b)
	}
	// The page stays true: an allowed read nothing does any more goes.
	for k := range m.reads {
		if !m.used[k] {
			t.Errorf("docs/architecture.md allows %s to read %s, and no source does: remove the entry", k[0], k[1])
		}
		if strings.TrimSpace(m.why[k]) == "" {
			t.Errorf("docs/architecture.md allows %s to read %s without saying why", k[0], k[1])
		}
	}
	for table, owner := range m.owner {
		if _, ok := m.layer[owner]; !ok {
			t.Errorf("%s's owner %s is in no import layer", table, owner)
		}
	}
}

// TestEveryTableHasAnOwner: the schema the migrations build and the
// owners' table name the same tables.
func TestEveryTableHasAnOwner(t *testing.T) {
	m := readModel(t, filepath.Join("..", ".."))
	d, err := db.Open(filepath.Join(t.TempDir(), "schema.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	var have []string
	if err := d.Select(&have, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name`); err != nil {
		t.Fatal(err)
	}
	for _, table := range have {
		if _, ok := m.owner[table]; !ok {
			t.Errorf("table %s has no owner in docs/architecture.md", table)
		}
	}
	for table := range m.owner {
		if !slices.Contains(have, table) {
			t.Errorf("docs/architecture.md names an owner for %s, which the schema does not have", table)
		}
	}
}
