package store_test

// A static proof that every SQL statement of the module is parameterized (docs/reliability.md):
// the text handed to a database is built from compile-time constants and from the
// identifier builders of sqlAllowList only; values travel as arguments.
//
// The check type-checks every non-test Go file of the module (dependencies come from
// the build cache through `go list -export`) and follows the SQL argument of every
// call that takes SQL text back to where it came from:
//
//   - sinks are the methods of database/sql and pgx that take SQL text or identifiers
//     (Exec, Query, QueryRow, Prepare in all their forms, CopyFrom, CopyTo, Batch.Queue),
//     any interface method of those names (the store's Querier, sqlite's conn), and
//     every function of the module that hands one of its parameters unchanged to a
//     sink (the store's wrappers: SQL.each, eachRow, execOn, Tx.Stage ...), found by
//     a fixpoint, whose callers are then checked in turn;
//   - an SQL argument is safe when it is a constant, a concatenation or formatting of
//     safe parts, a local or package variable every assignment of which is safe, a
//     field or element of a safe value, or the result of a module function whose
//     returned text is safe given safe arguments (a summary, with local closures
//     followed to their call sites);
//   - a parameter built into SQL text (rather than passed through whole) is refused
//     unless its function is allow-listed as an identifier builder, whose callers
//     must then pass safe values; anything else (a value read from the database,
//     the network, the environment; a variable whose address escapes; a call the
//     check cannot follow) is refused.
//
// What it cannot see: a slice or map filled by a function it was handed is assumed
// unchanged when that function is a sink or a pure string function; reflection and
// unsafe are not followed. The module uses neither to build SQL.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// sqlAllow is an allow-list entry: a function trusted to build SQL text.
type sqlAllow struct {
	// embeds names the parameters ("recv" for the receiver) the function may build
	// into SQL text; they become sink parameters, so its callers must pass safe values.
	embeds []string
	// safeResult: the function's result is trusted SQL whatever its arguments.
	safeResult bool
	// passThrough: the result is the named parameter's text, rewritten (the rest of
	// the body is not followed).
	passThrough string
	reason      string
}

// sqlAllowList is the module's allow-list of identifier builders, by types.Func.FullName.
var sqlAllowList = map[string]sqlAllow{
	"github.com/chainrisk/chainrisk/store.stageTable": {safeResult: true,
		reason: `"stage_" + a credit.Kind: the kinds are the four constants of credit.Kinds; (*sqlBatch).Stage ` +
			`refuses any other kind before it names a table, and every other caller takes the kind from a constant table`},
	"github.com/chainrisk/chainrisk/store.Migrations": {safeResult: true,
		reason: "the SQL of the migration files embedded in the binary at build time (go:embed migrations/*.sql)"},
	"(*github.com/chainrisk/chainrisk/store/postgres.dialect).rebind": {passThrough: "q",
		reason: "rewrites the '?' placeholders of q into $1, $2, ... (caching the rewrite by q); adds no text of its own"},
	"(*github.com/chainrisk/chainrisk/store/sqlite.sqliteTx).Stage": {embeds: []string{"table", "cols"},
		reason: "INSERT INTO <table> (<cols>) VALUES (?, ...): the staging table and its column names are identifiers; " +
			"the values are arguments"},
	"(*github.com/chainrisk/chainrisk/store/postgres.dialect).copyOut": {embeds: []string{"q"},
		reason: "COPY (<q>) TO STDOUT (FORMAT binary): q is a whole SELECT without arguments, which its callers " +
			"must pass safe; COPY takes no parameters, so a query with arguments never comes here"},
	"(*github.com/chainrisk/chainrisk/store.SQL).silences": {embeds: []string{"where"},
		reason: "a WHERE clause with '?' placeholders, given as a constant by each caller; the values are in args"},
	"(*github.com/chainrisk/chainrisk/store.SQL).subscriptions": {embeds: []string{"where"},
		reason: "a WHERE clause with '?' placeholders, given as a constant by each caller; the values are in args"},
	"(github.com/jackc/pgx/v5.Identifier).Sanitize": {safeResult: true,
		reason: "quotes an identifier, doubling embedded quotes: whatever the input, the output is one identifier"},
}

// TestSQLParameterized runs the check over the module: no finding, every allow-list
// entry still needed, and the store's wrappers found (so the check saw the calls).
func TestSQLParameterized(t *testing.T) {
	root, modPath := sqlModuleRoot(t)
	files := map[string]map[string][]byte{} // import path → file name → source
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if path != root {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		dir := filepath.Dir(path)
		if ok, err := build.Default.MatchFile(dir, name); err != nil || !ok {
			return err
		}
		rel, _ := filepath.Rel(root, dir)
		ip := modPath
		if rel != "." {
			ip += "/" + filepath.ToSlash(rel)
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if files[ip] == nil {
			files[ip] = map[string][]byte{}
		}
		files[ip][path] = src
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	prog := sqlLoad(t, root, modPath, files)
	c := newSQLChecker(prog, sqlAllowList)
	findings := c.run()
	for _, f := range findings {
		t.Errorf("%s", f)
	}
	for name, a := range sqlAllowList {
		if !c.used[name] {
			t.Errorf("allow-list entry %s (%s) is not needed any more: remove it", name, a.reason)
		}
	}
	// The check found the store's wrappers, so it followed the SQL through them.
	for _, want := range []string{
		"(*github.com/chainrisk/chainrisk/store.SQL).each",
		"github.com/chainrisk/chainrisk/store.eachRow",
		"(github.com/chainrisk/chainrisk/store.Querier).Exec",
		"(github.com/chainrisk/chainrisk/store.Tx).Stage",
		"github.com/chainrisk/chainrisk/store/sqlite.execOn",
		"(*github.com/chainrisk/chainrisk/store/postgres.pgTx).Stage",
	} {
		if !c.isSink(want) {
			t.Errorf("the check did not find the wrapper %s", want)
		}
	}
	if c.sinkCalls < 80 {
		t.Errorf("only %d calls taking SQL were checked; the check is not seeing the store", c.sinkCalls)
	}
	t.Logf("%d calls taking SQL checked in %d packages; %d sink functions", c.sinkCalls, len(files), len(c.sinks))
}

// The sample's allow-list: one identifier builder.
var sqlSampleAllow = map[string]sqlAllow{
	"example.com/sample.stageInsert": {embeds: []string{"table"}, reason: "a table name from constant tables"},
}

// sqlBadSample is code the check must refuse: each `// want: text` line must have a
// finding mentioning text, and no other line may have one.
const sqlBadSample = `package sample

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
)

type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (int64, error)
}

func DeleteConcat(ctx context.Context, db DB, id string) {
	db.Exec(ctx, "DELETE FROM x WHERE id = '"+id+"'") // want: parameter id
}

func FindSprintf(ctx context.Context, db *sql.DB, userValue string) {
	db.QueryContext(ctx, fmt.Sprintf("SELECT * FROM t WHERE name = '%s'", userValue)) // want: parameter userValue
}

func FromEnvironment(db *sql.DB) {
	db.Exec("DROP TABLE " + os.Getenv("TABLE")) // want: os.Getenv
}

// run is a wrapper: its callers are checked.
func run(ctx context.Context, db DB, q string) { db.Exec(ctx, q) }

func ThroughWrapper(ctx context.Context, db DB, name string) {
	run(ctx, db, "SELECT 1 FROM t WHERE name = '"+name+"'") // want: parameter name
}

func ValueFromTheDatabase(ctx context.Context, db *sql.DB) {
	var table string
	_ = db.QueryRowContext(ctx, "SELECT name FROM tables LIMIT 1").Scan(&table)
	db.ExecContext(ctx, "DROP TABLE "+table) // want: address of table
}

func Built(ctx context.Context, db DB, name string) {
	var b strings.Builder
	b.WriteString("SELECT * FROM t WHERE name = ")
	b.WriteString(name)
	db.Exec(ctx, b.String()) // want: parameter name
}

func LocalClosure(ctx context.Context, db DB, f Filter) {
	q := "SELECT * FROM t WHERE 1=1"
	add := func(cond string) { q += " AND " + cond }
	add("a = ?")
	add("b = '" + f.B + "'")
	db.Exec(ctx, q) // want: parameter f
}

type Filter struct{ B string }

func Batch(b *pgx.Batch, v string) {
	b.Queue("INSERT INTO t VALUES ('" + v + "')") // want: parameter v
}

func Copy(ctx context.Context, conn *pgx.Conn, table string, rows [][]any) {
	conn.CopyFrom(ctx, pgx.Identifier{strings.ToLower(table)}, []string{"a"}, pgx.CopyFromRows(rows)) // want: parameter table
}

func MethodValue(ctx context.Context, db DB) {
	exec := db.Exec // want: used as a value
	exec(ctx, "SELECT 1")
}

var mutable = "t"

func SetTable(s string) { mutable = s }

func PackageVariable(ctx context.Context, db DB) {
	db.Exec(ctx, "SELECT * FROM "+mutable) // want: parameter s
}

func Prepared(ctx context.Context, conn *pgx.Conn, name string) {
	conn.Prepare(ctx, "stmt", "SELECT * FROM t WHERE n = '"+name+"'") // want: parameter name
}

func NotAllowListed(ctx context.Context, db DB, table string) {
	db.Exec(ctx, "DELETE FROM "+table) // want: parameter table
}

func BuilderFed(ctx context.Context, db DB, table string) {
	stageInsert(ctx, db, "t_"+table) // want: parameter table
}

// stageInsert is allow-listed: it may build its table into SQL; its callers are checked.
func stageInsert(ctx context.Context, db DB, table string) {
	db.Exec(ctx, "INSERT INTO "+table+" VALUES (?)")
}
`

// sqlGoodSample is code the check must accept.
const sqlGoodSample = `package sample

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

const cols = "id, name"

var tables = map[string][]string{"t": {"id", "name"}}

var order = []string{"t"}

type stmt struct {
	q    string
	args []any
}

func Good(ctx context.Context, db DB, id string, ids []string, limit int) {
	db.Exec(ctx, "DELETE FROM x WHERE id = ?", id)
	db.Exec(ctx, "SELECT "+cols+" FROM x WHERE id IN ("+placeholders(len(ids))+")", id)
	q := "SELECT * FROM t WHERE 1=1"
	if id != "" {
		q += " AND id = ?"
	}
	add := func(cond string) { q += " AND " + cond }
	add("name = ?")
	db.Exec(ctx, q, id)
	for _, t := range order {
		db.Exec(ctx, fmt.Sprintf("SELECT %s FROM %s LIMIT %d", strings.Join(tables[t], ", "), t, 10))
		stageInsert(ctx, db, t)
	}
	steps := []stmt{{q: "UPDATE t SET a = ?", args: []any{id}}, {q: "DELETE FROM t"}}
	for _, st := range steps {
		db.Exec(ctx, st.q, st.args...)
	}
	var b strings.Builder
	for i := range 3 {
		b.WriteString("$" + strconv.Itoa(i+1))
	}
	db.Exec(ctx, b.String())
	run(ctx, db, "SELECT 1")
	db.Exec(ctx, "SELECT * FROM t LIMIT ?", limit)
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }
`

// TestSQLCheckerCatchesInjection proves the check on a sample: it reports every
// injection of the bad file, on its line, and nothing in the good file; and without
// its allow-list entry the sample's identifier builder is refused too.
func TestSQLCheckerCatchesInjection(t *testing.T) {
	root, _ := sqlModuleRoot(t)
	files := map[string]map[string][]byte{"example.com/sample": {"bad.go": []byte(sqlBadSample), "good.go": []byte(sqlGoodSample)}}
	prog := sqlLoad(t, root, "example.com/sample", files)
	c := newSQLChecker(prog, sqlSampleAllow)
	findings := c.run()

	wants := map[int]string{} // line of bad.go → wanted text
	for i, line := range strings.Split(sqlBadSample, "\n") {
		if _, w, ok := strings.Cut(line, "// want: "); ok {
			wants[i+1] = w
		}
	}
	got := map[int][]string{}
	for _, f := range findings {
		if f.pos.Filename != "bad.go" {
			t.Errorf("finding in good code: %s", f)
			continue
		}
		got[f.pos.Line] = append(got[f.pos.Line], f.msg)
	}
	for line, w := range wants {
		if !slices.ContainsFunc(got[line], func(m string) bool { return strings.Contains(m, w) }) {
			t.Errorf("bad.go:%d: no finding mentioning %q (got %q)", line, w, got[line])
		}
	}
	for line, msgs := range got {
		if _, ok := wants[line]; !ok {
			t.Errorf("bad.go:%d: unexpected finding %q", line, msgs)
		}
	}
	if !c.used["example.com/sample.stageInsert"] {
		t.Error("the sample's allow-list entry was not consulted")
	}

	// Without the allow-list, the builder itself is refused where it reaches SQL.
	c = newSQLChecker(prog, nil)
	var builder bool
	for _, f := range c.run() {
		builder = builder || strings.Contains(f.msg, "parameter table of example.com/sample.stageInsert is built into")
	}
	if !builder {
		t.Error("without its allow-list entry, stageInsert was not refused")
	}
}

// sqlModuleRoot finds the module's root and path from the test's directory.
func sqlModuleRoot(t *testing.T) (root, modPath string) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if p, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
					return dir, strings.Trim(strings.TrimSpace(p), `"`)
				}
			}
			t.Fatalf("%s/go.mod has no module line", dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// sqlProgram is the type-checked code under test.
type sqlProgram struct {
	fset    *token.FileSet
	info    *types.Info
	files   []*ast.File
	modPath string
}

// sqlLoad parses and type-checks the given packages (import path → file name →
// source), importing everything else from export data the go command builds.
func sqlLoad(t *testing.T, root, modPath string, srcs map[string]map[string][]byte) *sqlProgram {
	t.Helper()
	fset := token.NewFileSet()
	parsed := map[string][]*ast.File{}
	external := map[string]bool{}
	var paths []string
	for ip, fm := range srcs {
		paths = append(paths, ip)
		names := slices.Sorted(func(yield func(string) bool) {
			for n := range fm {
				if !yield(n) {
					return
				}
			}
		})
		for _, name := range names {
			f, err := parser.ParseFile(fset, name, fm[name], parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			parsed[ip] = append(parsed[ip], f)
			for _, im := range f.Imports {
				p, _ := strconv.Unquote(im.Path.Value)
				if _, ok := srcs[p]; !ok && p != "unsafe" && p != "C" {
					external[p] = true
				}
			}
		}
	}
	exports := sqlExports(t, root, slices.Sorted(func(yield func(string) bool) {
		for p := range external {
			if !yield(p) {
				return
			}
		}
	}))
	gc := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok || f == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
	prog := &sqlProgram{fset: fset, modPath: modPath, info: &types.Info{
		Types:      map[ast.Expr]types.TypeAndValue{},
		Defs:       map[*ast.Ident]types.Object{},
		Uses:       map[*ast.Ident]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{},
		Implicits:  map[ast.Node]types.Object{},
	}}
	checked := map[string]*types.Package{}
	var typeErrs []error
	var imp sqlImporterFunc
	imp = func(path string) (*types.Package, error) {
		if p, ok := checked[path]; ok {
			if p == nil {
				return nil, fmt.Errorf("import cycle through %s", path)
			}
			return p, nil
		}
		files, ok := parsed[path]
		if !ok {
			return gc.Import(path)
		}
		checked[path] = nil
		conf := types.Config{Importer: imp, Error: func(err error) { typeErrs = append(typeErrs, err) }}
		pkg, _ := conf.Check(path, fset, files, prog.info)
		checked[path] = pkg
		prog.files = append(prog.files, files...)
		return pkg, nil
	}
	sort.Strings(paths)
	for _, p := range paths {
		if _, err := imp.Import(p); err != nil {
			t.Fatal(err)
		}
	}
	if len(typeErrs) > 0 {
		t.Fatalf("type-checking the module failed (%d errors), first: %v", len(typeErrs), errors.Join(typeErrs[:min(5, len(typeErrs))]...))
	}
	return prog
}

type sqlImporterFunc func(path string) (*types.Package, error)

func (f sqlImporterFunc) Import(path string) (*types.Package, error) { return f(path) }

// sqlExports asks the go command for the export data of the packages and their
// dependencies (from the build cache, building what is missing).
func sqlExports(t *testing.T, root string, pkgs []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	if len(pkgs) == 0 {
		return out
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go command is needed for export data: %v", err)
	}
	cmd := exec.Command(goCmd, append([]string{"list", "-e", "-export", "-deps", "-json=ImportPath,Export,Error"}, pkgs...)...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v: %s", err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		var p struct {
			ImportPath, Export string
			Error              *struct{ Err string }
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Error != nil {
			t.Fatalf("go list %s: %s", p.ImportPath, p.Error.Err)
		}
		out[p.ImportPath] = p.Export
	}
	return out
}

// sqlFinding is one refused SQL argument.
type sqlFinding struct {
	pos token.Position
	msg string
}

func (f sqlFinding) String() string { return f.pos.String() + ": " + f.msg }

// sqlRoot is a parameter (idx; -1 the receiver) of a function (*ast.FuncDecl or
// *ast.FuncLit) that a text depends on.
type sqlRoot struct {
	fn  ast.Node
	idx int
}

// sqlDeps is what a text is built from: parameters (true when the text is the
// parameter's whole value, false when the parameter is built into it) and unsafe
// sources (why, the first few).
type sqlDeps struct {
	roots  map[sqlRoot]bool
	unsafe []string
}

func (d *sqlDeps) add(o sqlDeps) {
	for r, whole := range o.roots {
		if d.roots == nil {
			d.roots = map[sqlRoot]bool{}
		}
		if w, ok := d.roots[r]; ok {
			whole = whole && w
		}
		d.roots[r] = whole
	}
	for _, u := range o.unsafe {
		if len(d.unsafe) < 3 && !slices.Contains(d.unsafe, u) {
			d.unsafe = append(d.unsafe, u)
		}
	}
}

// embedded marks every parameter as built into a larger text.
func (d sqlDeps) embedded() sqlDeps {
	out := sqlDeps{unsafe: d.unsafe}
	for r := range d.roots {
		if out.roots == nil {
			out.roots = map[sqlRoot]bool{}
		}
		out.roots[r] = false
	}
	return out
}

func sqlUnsafe(format string, args ...any) sqlDeps {
	return sqlDeps{unsafe: []string{fmt.Sprintf(format, args...)}}
}

// sqlDef is one assignment to a variable (or to a field or element of it).
type sqlDef struct {
	path []string // fields below the variable that the assignment writes
	// rhs is the value, or the ranged-over value whose elements (or keys) the
	// variable takes: text-wise an element is its container. nil: the zero value.
	rhs ast.Expr
	// plus: the assignment adds to the value (+=, a builder's Write).
	plus bool
}

type sqlEscape struct {
	call *ast.CallExpr
	idx  int      // the argument (-1: the receiver)
	path []string // the fields of the variable handed over
}

type sqlCall struct {
	call *ast.CallExpr
	decl *ast.FuncDecl // the enclosing declaration; nil at package level
}

// sqlChecker holds the indexes of a program and the sinks found so far.
type sqlChecker struct {
	prog  *sqlProgram
	info  *types.Info
	allow map[string]sqlAllow
	used  map[string]bool

	decls     map[*types.Func]*ast.FuncDecl
	declFunc  map[*ast.FuncDecl]*types.Func
	params    map[*types.Var]sqlRoot
	defs      map[*types.Var][]sqlDef
	addrTaken map[*types.Var]token.Pos
	escapes   map[*types.Var][]sqlEscape
	closures  map[*types.Var]*ast.FuncLit // local variables holding one function literal
	litCalls  map[*ast.FuncLit][]*ast.CallExpr
	litEscape map[*ast.FuncLit]bool // called from where the check cannot follow
	varCalls  map[*types.Var][]*ast.CallExpr
	uses      map[*types.Var]int
	calls     []sqlCall
	callFuns  map[ast.Expr]bool
	impls     map[*types.Func][]*types.Func // interface method → module implementations
	ifaceOf   map[*types.Func][]*types.Func // module method → interface methods it implements

	sinks     map[*types.Func]map[int]bool
	sinkCalls int
	sums      map[ast.Node]*sqlDeps
	summing   map[ast.Node]bool
}

// sqlDBNames are the database methods that take SQL text or identifiers.
var sqlDBNames = map[string]bool{
	"Exec": true, "ExecContext": true, "Query": true, "QueryContext": true, "QueryRow": true,
	"QueryRowContext": true, "Prepare": true, "PrepareContext": true, "CopyFrom": true, "Queue": true,
	"ExecParams": true, "CopyTo": true,
}

// sqlPure are standard functions whose result is text made of the listed arguments
// (-1: the receiver; nil: all of them) and nothing else.
var sqlPure = map[string][]int{
	"fmt.Sprintf": nil, "fmt.Sprint": nil, "fmt.Sprintln": nil,
	"strings.Join": nil, "strings.Repeat": {0}, "strings.TrimSuffix": nil, "strings.TrimPrefix": nil,
	"strings.TrimSpace": nil, "strings.Trim": nil, "strings.TrimLeft": nil, "strings.TrimRight": nil,
	"strings.ToLower": nil, "strings.ToUpper": nil, "strings.Replace": {0, 1, 2}, "strings.ReplaceAll": nil,
	"strings.Split": {0}, "strings.SplitN": {0}, "strings.Fields": nil, "strings.NewReplacer": nil,
	"(*strings.Replacer).Replace": {-1, 0}, "(*strings.Builder).String": {-1}, "(*bytes.Buffer).String": {-1},
	"strconv.Itoa": nil, "strconv.FormatInt": {0},
}

// sqlBuilderWrites are the builder methods that append their argument; the builders'
// other methods (Reset, Grow, Len, String) add nothing.
var sqlBuilderWrites = map[string]bool{
	"(*strings.Builder).WriteString": true, "(*strings.Builder).WriteByte": true, "(*strings.Builder).WriteRune": true,
	"(*strings.Builder).Write": true, "(*bytes.Buffer).WriteString": true, "(*bytes.Buffer).WriteByte": true,
	"(*bytes.Buffer).WriteRune": true, "(*bytes.Buffer).Write": true,
}

var sqlBuilderQuiet = map[string]bool{
	"(*strings.Builder).Reset": true, "(*strings.Builder).Grow": true, "(*strings.Builder).Len": true,
	"(*strings.Builder).String": true, "(*bytes.Buffer).Reset": true, "(*bytes.Buffer).Grow": true,
	"(*bytes.Buffer).Len": true, "(*bytes.Buffer).String": true,
}

func newSQLChecker(prog *sqlProgram, allow map[string]sqlAllow) *sqlChecker {
	c := &sqlChecker{
		prog: prog, info: prog.info, allow: allow, used: map[string]bool{},
		decls: map[*types.Func]*ast.FuncDecl{}, declFunc: map[*ast.FuncDecl]*types.Func{},
		params: map[*types.Var]sqlRoot{}, defs: map[*types.Var][]sqlDef{}, addrTaken: map[*types.Var]token.Pos{},
		escapes: map[*types.Var][]sqlEscape{}, closures: map[*types.Var]*ast.FuncLit{},
		litCalls: map[*ast.FuncLit][]*ast.CallExpr{}, litEscape: map[*ast.FuncLit]bool{}, varCalls: map[*types.Var][]*ast.CallExpr{}, uses: map[*types.Var]int{},
		callFuns: map[ast.Expr]bool{}, impls: map[*types.Func][]*types.Func{}, ifaceOf: map[*types.Func][]*types.Func{},
		sinks: map[*types.Func]map[int]bool{}, sums: map[ast.Node]*sqlDeps{}, summing: map[ast.Node]bool{},
	}
	c.index()
	return c
}

func (c *sqlChecker) inModule(p *types.Package) bool {
	return p != nil && (p.Path() == c.prog.modPath || strings.HasPrefix(p.Path(), c.prog.modPath+"/"))
}

func (c *sqlChecker) pos(n ast.Node) token.Position {
	p := c.prog.fset.Position(n.Pos())
	if root, _ := os.Getwd(); root != "" {
		if rel, err := filepath.Rel(root, p.Filename); err == nil && !strings.HasPrefix(rel, "..") {
			p.Filename = rel
		}
	}
	return p
}

func (c *sqlChecker) where(n ast.Node) string {
	p := c.pos(n)
	return filepath.Base(p.Filename) + ":" + strconv.Itoa(p.Line)
}

func sqlUnparen(e ast.Expr) ast.Expr {
	for {
		p, ok := e.(*ast.ParenExpr)
		if !ok {
			return e
		}
		e = p.X
	}
}

// lvalue returns the variable an lvalue (or an operand) is rooted at, with the fields
// selected below it; indexing and dereferencing are transparent.
func (c *sqlChecker) lvalue(e ast.Expr) (*types.Var, []string) {
	var path []string
	for {
		switch x := sqlUnparen(e).(type) {
		case *ast.Ident:
			obj := c.info.Defs[x]
			if obj == nil {
				obj = c.info.Uses[x]
			}
			v, _ := obj.(*types.Var)
			if v == nil || x.Name == "_" {
				return nil, nil
			}
			return v, path
		case *ast.SelectorExpr:
			sel := c.info.Selections[x]
			if sel == nil { // a package's variable
				v, _ := c.info.Uses[x.Sel].(*types.Var)
				return v, path
			}
			if sel.Kind() != types.FieldVal {
				return nil, nil
			}
			path = append(c.fieldNames(sel), path...)
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.StarExpr:
			e = x.X
		default:
			return nil, nil
		}
	}
}

// fieldNames spells a field selection's path, through embedded fields.
func (c *sqlChecker) fieldNames(sel *types.Selection) []string {
	var names []string
	t := sel.Recv()
	for _, i := range sel.Index() {
		if p, ok := t.Underlying().(*types.Pointer); ok {
			t = p.Elem()
		}
		s, ok := t.Underlying().(*types.Struct)
		if !ok {
			return []string{sel.Obj().Name()}
		}
		f := s.Field(i)
		names = append(names, f.Name())
		t = f.Type()
	}
	return names
}

// index walks the program once: declarations, parameters, assignments, escapes,
// closures, calls, and interface implementations.
func (c *sqlChecker) index() {
	for _, f := range c.prog.files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				fn, _ := c.info.Defs[d.Name].(*types.Func)
				if fn == nil {
					continue
				}
				c.decls[fn], c.declFunc[d] = d, fn
				c.indexParams(d, d.Recv, d.Type)
				if d.Body != nil {
					c.indexBody(d.Body, d)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					if vs, ok := s.(*ast.ValueSpec); ok {
						c.valueSpec(vs)
						for _, v := range vs.Values {
							c.indexBody(v, nil)
						}
					}
				}
			}
		}
	}
	c.indexImplementations()
}

func (c *sqlChecker) indexParams(fn ast.Node, recv *ast.FieldList, ft *ast.FuncType) {
	if recv != nil {
		for _, f := range recv.List {
			for _, n := range f.Names {
				if v, ok := c.info.Defs[n].(*types.Var); ok {
					c.params[v] = sqlRoot{fn, -1}
				}
			}
		}
	}
	i := 0
	for _, f := range ft.Params.List {
		if len(f.Names) == 0 {
			i++
			continue
		}
		for _, n := range f.Names {
			if v, ok := c.info.Defs[n].(*types.Var); ok {
				c.params[v] = sqlRoot{fn, i}
			}
			i++
		}
	}
}

func (c *sqlChecker) valueSpec(vs *ast.ValueSpec) {
	for i, n := range vs.Names {
		v, _ := c.info.Defs[n].(*types.Var)
		if v == nil {
			continue
		}
		switch {
		case len(vs.Values) == 0:
			c.defs[v] = append(c.defs[v], sqlDef{})
		case len(vs.Values) == len(vs.Names):
			c.defs[v] = append(c.defs[v], sqlDef{rhs: vs.Values[i]})
			c.noteClosure(v, vs.Values[i])
		default:
			c.defs[v] = append(c.defs[v], sqlDef{rhs: vs.Values[0]})
		}
	}
}

func (c *sqlChecker) noteClosure(v *types.Var, rhs ast.Expr) {
	if lit, ok := sqlUnparen(rhs).(*ast.FuncLit); ok {
		if _, seen := c.closures[v]; seen {
			c.litEscape[lit] = true
			c.litEscape[c.closures[v]] = true
			return
		}
		c.closures[v] = lit
	}
}

func (c *sqlChecker) assign(lhs, rhs ast.Expr, plus bool) {
	v, path := c.lvalue(lhs)
	if v == nil {
		return
	}
	c.defs[v] = append(c.defs[v], sqlDef{path: path, rhs: rhs, plus: plus})
	if len(path) == 0 && !plus {
		c.noteClosure(v, rhs)
	}
}

func (c *sqlChecker) indexBody(body ast.Node, decl *ast.FuncDecl) {
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			c.indexParams(n, nil, n.Type)
		case *ast.AssignStmt:
			plus := n.Tok != token.ASSIGN && n.Tok != token.DEFINE
			if len(n.Lhs) == len(n.Rhs) {
				for i := range n.Lhs {
					c.assign(n.Lhs[i], n.Rhs[i], plus)
				}
			} else {
				for _, l := range n.Lhs {
					c.assign(l, n.Rhs[0], plus)
				}
			}
		case *ast.DeclStmt:
			if g, ok := n.Decl.(*ast.GenDecl); ok {
				for _, s := range g.Specs {
					if vs, ok := s.(*ast.ValueSpec); ok {
						c.valueSpec(vs)
					}
				}
			}
		case *ast.RangeStmt:
			for _, e := range []ast.Expr{n.Key, n.Value} {
				if e == nil {
					continue
				}
				v, path := c.lvalue(e)
				if v == nil {
					continue
				}
				if e == n.Key && sqlIsIndex(c.info.TypeOf(n.X)) {
					c.defs[v] = append(c.defs[v], sqlDef{path: path}) // an index carries no text
					continue
				}
				c.defs[v] = append(c.defs[v], sqlDef{path: path, rhs: n.X})
			}
		case *ast.TypeSwitchStmt:
			var x ast.Expr
			switch a := n.Assign.(type) {
			case *ast.AssignStmt:
				x = a.Rhs[0]
			case *ast.ExprStmt:
				x = a.X
			}
			for _, s := range n.Body.List {
				if v, ok := c.info.Implicits[s].(*types.Var); ok {
					c.defs[v] = append(c.defs[v], sqlDef{rhs: x})
				}
			}
		case *ast.IncDecStmt:
			// numbers: no text
		case *ast.UnaryExpr:
			if n.Op == token.AND {
				if v, _ := c.lvalue(n.X); v != nil {
					if _, ok := c.addrTaken[v]; !ok {
						c.addrTaken[v] = n.Pos()
					}
				}
			}
		case *ast.Ident:
			if v, ok := c.info.Uses[n].(*types.Var); ok {
				c.uses[v]++
			}
		case *ast.CallExpr:
			c.indexCall(n, decl)
		}
		return true
	})
}

// sqlIsIndex reports whether ranging over a value of type t gives integer keys.
func sqlIsIndex(t types.Type) bool {
	if t == nil {
		return false
	}
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	switch u := t.Underlying().(type) {
	case *types.Slice, *types.Array:
		return true
	case *types.Basic:
		return u.Info()&types.IsString != 0
	}
	return false
}

func (c *sqlChecker) indexCall(call *ast.CallExpr, decl *ast.FuncDecl) {
	c.calls = append(c.calls, sqlCall{call, decl})
	fun := sqlUnparen(call.Fun)
	c.callFuns[fun] = true
	if lit, ok := fun.(*ast.FuncLit); ok {
		c.litCalls[lit] = append(c.litCalls[lit], call)
	}
	if id, ok := fun.(*ast.Ident); ok {
		if v, ok := c.info.Uses[id].(*types.Var); ok {
			c.uses[v]-- // a call, not a use of the closure as a value
			c.varCalls[v] = append(c.varCalls[v], call)
		}
		if b, ok := c.info.Uses[id].(*types.Builtin); ok {
			if b.Name() == "copy" && len(call.Args) > 0 {
				if v, path := c.lvalue(call.Args[0]); v != nil {
					c.escapes[v] = append(c.escapes[v], sqlEscape{call, 0, path})
				}
			}
			return
		}
	}
	if tv, ok := c.info.Types[fun]; ok && tv.IsType() {
		return // a conversion
	}
	fn := c.callee(call)
	name := ""
	if fn != nil {
		name = fn.FullName()
	}
	// A builder's writes are assignments to it.
	if sel, ok := fun.(*ast.SelectorExpr); ok {
		if sqlBuilderWrites[name] && len(call.Args) == 1 {
			if v, path := c.lvalue(sel.X); v != nil {
				c.defs[v] = append(c.defs[v], sqlDef{path: path, rhs: call.Args[0], plus: true})
			}
		} else if s := c.info.Selections[sel]; s != nil && s.Kind() == types.MethodVal && !sqlBuilderQuiet[name] {
			// A method with a pointer receiver called on a variable may change it.
			if sig, ok := s.Obj().Type().(*types.Signature); ok && sig.Recv() != nil {
				if _, ptr := sig.Recv().Type().Underlying().(*types.Pointer); ptr {
					if _, isPtr := c.info.TypeOf(sel.X).Underlying().(*types.Pointer); !isPtr {
						if v, path := c.lvalue(sel.X); v != nil {
							c.escapes[v] = append(c.escapes[v], sqlEscape{call, -1, path})
						}
					}
				}
			}
		}
	}
	// Pointers, slices and maps handed to a call may come back changed.
	for i, a := range call.Args {
		switch c.info.TypeOf(a).Underlying().(type) {
		case *types.Pointer, *types.Slice, *types.Map:
			if v, path := c.lvalue(a); v != nil {
				c.escapes[v] = append(c.escapes[v], sqlEscape{call, i, path})
			}
		}
	}
}

// indexImplementations maps the module's interface methods to the module's methods
// implementing them, so a call through an interface is followed into every one.
func (c *sqlChecker) indexImplementations() {
	var named []*types.Named
	seen := map[*types.Named]bool{}
	for _, obj := range c.info.Defs {
		tn, ok := obj.(*types.TypeName)
		if !ok || !c.inModule(tn.Pkg()) || tn.IsAlias() {
			continue
		}
		if n, ok := tn.Type().(*types.Named); ok && !seen[n] && n.TypeParams().Len() == 0 {
			seen[n] = true
			named = append(named, n)
		}
	}
	for _, in := range named {
		iface, ok := in.Underlying().(*types.Interface)
		if !ok || iface.NumMethods() == 0 {
			continue
		}
		for _, tn := range named {
			if types.IsInterface(tn) {
				continue
			}
			var recv types.Type
			switch {
			case types.Implements(tn, iface):
				recv = tn
			case types.Implements(types.NewPointer(tn), iface):
				recv = types.NewPointer(tn)
			default:
				continue
			}
			for m := range iface.Methods() {
				obj, _, _ := types.LookupFieldOrMethod(recv, true, m.Pkg(), m.Name())
				if fn, ok := obj.(*types.Func); ok {
					c.impls[m] = append(c.impls[m], fn)
					c.ifaceOf[fn] = append(c.ifaceOf[fn], m)
				}
			}
		}
	}
}

// callee is the function or method a call statically names (nil for function values).
func (c *sqlChecker) callee(call *ast.CallExpr) *types.Func {
	fun := sqlUnparen(call.Fun)
	if ix, ok := fun.(*ast.IndexExpr); ok {
		fun = ix.X
	} else if ix, ok := fun.(*ast.IndexListExpr); ok {
		fun = ix.X
	}
	var fn *types.Func
	switch f := fun.(type) {
	case *ast.Ident:
		fn, _ = c.info.Uses[f].(*types.Func)
	case *ast.SelectorExpr:
		if sel := c.info.Selections[f]; sel != nil {
			fn, _ = sel.Obj().(*types.Func)
		} else {
			fn, _ = c.info.Uses[f.Sel].(*types.Func)
		}
	}
	if fn != nil {
		fn = fn.Origin()
	}
	return fn
}

// sqlTextType reports whether a parameter of type t carries SQL text or identifiers.
func sqlTextType(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return u.Info()&types.IsString != 0
	case *types.Slice:
		b, ok := u.Elem().Underlying().(*types.Basic)
		return ok && b.Info()&types.IsString != 0
	}
	return false
}

// sqlCarriesText reports whether a value of type t may hold text.
func sqlCarriesText(t types.Type) bool {
	return sqlCarries(t, map[types.Type]bool{})
}

func sqlCarries(t types.Type, seen map[types.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return u.Info()&types.IsString != 0
	case *types.Pointer:
		return sqlCarries(u.Elem(), seen)
	case *types.Slice:
		return sqlCarries(u.Elem(), seen)
	case *types.Array:
		return sqlCarries(u.Elem(), seen)
	case *types.Map:
		return sqlCarries(u.Key(), seen) || sqlCarries(u.Elem(), seen)
	case *types.Chan:
		return sqlCarries(u.Elem(), seen)
	case *types.Struct:
		for f := range u.Fields() {
			if sqlCarries(f.Type(), seen) {
				return true
			}
		}
		return false
	case *types.Interface:
		return true
	}
	return false
}

// sinkParamsOf returns the parameters of fn that take SQL text.
func (c *sqlChecker) sinkParamsOf(fn *types.Func) map[int]bool {
	out := map[int]bool{}
	maps := c.sinks[fn]
	for i := range maps {
		out[i] = true
	}
	if !sqlDBNames[fn.Name()] {
		return out
	}
	sig := fn.Type().(*types.Signature)
	iface := sig.Recv() != nil && types.IsInterface(sig.Recv().Type())
	ext := fn.Pkg() != nil && (fn.Pkg().Path() == "database/sql" || strings.HasPrefix(fn.Pkg().Path(), "github.com/jackc/pgx/"))
	if !iface && !ext {
		return out
	}
	for i := range sig.Params().Len() {
		if sig.Variadic() && i == sig.Params().Len()-1 {
			continue
		}
		if sqlTextType(sig.Params().At(i).Type()) {
			out[i] = true
		}
	}
	return out
}

func (c *sqlChecker) isSink(fullName string) bool {
	for fn, ps := range c.sinks {
		if fn.FullName() == fullName && len(ps) > 0 {
			return true
		}
	}
	return false
}

func (c *sqlChecker) addSink(fn *types.Func, idx int) bool {
	if c.sinks[fn][idx] {
		return false
	}
	for _, f := range append([]*types.Func{fn}, c.ifaceOf[fn]...) {
		if c.sinks[f] == nil {
			c.sinks[f] = map[int]bool{}
		}
		c.sinks[f][idx] = true
	}
	return true
}

// embeds reports whether the allow-list lets fn build parameter idx into SQL text.
func (c *sqlChecker) embeds(fn *types.Func, idx int) bool {
	a, ok := c.allow[fn.FullName()]
	if !ok {
		return false
	}
	name := c.paramName(fn, idx)
	if idx == -1 {
		name = "recv"
	}
	if slices.Contains(a.embeds, name) {
		c.used[fn.FullName()] = true
		return true
	}
	return false
}

func (c *sqlChecker) paramName(fn *types.Func, idx int) string {
	sig := fn.Type().(*types.Signature)
	if idx == -1 {
		if sig.Recv() != nil {
			return "receiver " + sig.Recv().Name()
		}
		return "receiver"
	}
	if idx < sig.Params().Len() {
		return sig.Params().At(idx).Name()
	}
	return "#" + strconv.Itoa(idx)
}

func (c *sqlChecker) paramIndex(fn *types.Func, name string) int {
	sig := fn.Type().(*types.Signature)
	for i := range sig.Params().Len() {
		if sig.Params().At(i).Name() == name {
			return i
		}
	}
	return -2
}

// argExprs returns the argument expressions a call gives parameter idx (-1: the
// receiver) of the function of signature sig.
func (c *sqlChecker) argExprs(call *ast.CallExpr, sig *types.Signature, idx int) []ast.Expr {
	args := call.Args
	if sel, ok := sqlUnparen(call.Fun).(*ast.SelectorExpr); ok {
		if s := c.info.Selections[sel]; s != nil {
			switch s.Kind() {
			case types.MethodVal:
				if idx == -1 {
					return []ast.Expr{sel.X}
				}
			case types.MethodExpr:
				if idx == -1 {
					return args[:min(1, len(args))]
				}
				if len(args) > 0 {
					args = args[1:]
				}
			}
		}
	}
	if idx < 0 || sig == nil {
		return nil
	}
	n := sig.Params().Len()
	if len(args) == 1 && n > 1 {
		return args // f(g()) with g returning several values
	}
	if sig.Variadic() && idx == n-1 {
		if idx < len(args) {
			return args[idx:]
		}
		return nil
	}
	if idx < len(args) {
		return args[idx : idx+1]
	}
	return nil
}

// sqlCx is the state of one evaluation.
type sqlCx struct {
	visiting map[string]bool
	// symbolic is the function whose summary is being made: its parameters stay roots.
	symbolic ast.Node
}

func newSQLCx(symbolic ast.Node) *sqlCx {
	return &sqlCx{visiting: map[string]bool{}, symbolic: symbolic}
}

// run finds the sinks (a fixpoint over the module's wrappers), then checks every SQL
// argument.
func (c *sqlChecker) run() []sqlFinding {
	for changed := true; changed; {
		changed = false
		clear(c.sums) // a summary depends on the sinks known (escapes into sinks are harmless)
		for _, cs := range c.calls {
			fn := c.callee(cs.call)
			if fn == nil {
				continue
			}
			for idx := range c.sinkParamsOf(fn) {
				for _, arg := range c.argExprs(cs.call, fn.Type().(*types.Signature), idx) {
					d := c.expr(arg, nil, newSQLCx(nil))
					for r, whole := range d.roots {
						if cs.decl == nil || r.fn != ast.Node(cs.decl) {
							continue
						}
						if f := c.declFunc[cs.decl]; whole || c.embeds(f, r.idx) {
							changed = c.addSink(f, r.idx) || changed
						}
					}
				}
			}
		}
	}

	clear(c.sums)
	var out []sqlFinding
	seen := map[string]bool{}
	report := func(n ast.Node, format string, args ...any) {
		f := sqlFinding{pos: c.pos(n), msg: fmt.Sprintf(format, args...)}
		if !seen[f.String()] {
			seen[f.String()] = true
			out = append(out, f)
		}
	}
	for _, cs := range c.calls {
		fn := c.callee(cs.call)
		if fn == nil {
			continue
		}
		params := c.sinkParamsOf(fn)
		if len(params) == 0 {
			continue
		}
		c.sinkCalls++
		for _, idx := range slices.Sorted(func(yield func(int) bool) {
			for i := range params {
				if !yield(i) {
					return
				}
			}
		}) {
			for _, arg := range c.argExprs(cs.call, fn.Type().(*types.Signature), idx) {
				d := c.expr(arg, nil, newSQLCx(nil))
				for _, u := range d.unsafe {
					report(arg, "the SQL passed to %s is built from %s; pass values as arguments", fn.FullName(), u)
				}
				for r, whole := range d.roots {
					decl, ok := r.fn.(*ast.FuncDecl)
					if !ok {
						report(arg, "the SQL passed to %s depends on a parameter of a function literal the check cannot follow", fn.FullName())
						continue
					}
					owner := c.declFunc[decl]
					switch {
					case cs.decl == nil || decl != cs.decl:
						report(arg, "the SQL passed to %s depends on parameter %s of %s through shared state; pass values as arguments",
							fn.FullName(), c.paramName(owner, r.idx), owner.FullName())
					case !whole && !c.embeds(owner, r.idx):
						report(arg, "parameter %s of %s is built into the SQL text passed to %s; pass it as an argument, "+
							"or allow-list %s as an identifier builder with a reason", c.paramName(owner, r.idx), owner.FullName(),
							fn.FullName(), owner.FullName())
					}
				}
			}
		}
	}
	// A function taking SQL used as a value escapes the check.
	for _, f := range c.prog.files {
		sels := map[*ast.Ident]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			if s, ok := n.(*ast.SelectorExpr); ok {
				sels[s.Sel] = true
			}
			return true
		})
		ast.Inspect(f, func(n ast.Node) bool {
			var fn *types.Func
			switch x := n.(type) {
			case *ast.SelectorExpr:
				if c.callFuns[x] {
					return true
				}
				if s := c.info.Selections[x]; s != nil {
					fn, _ = s.Obj().(*types.Func)
				} else {
					fn, _ = c.info.Uses[x.Sel].(*types.Func)
				}
			case *ast.Ident:
				if c.callFuns[x] || sels[x] {
					return true
				}
				fn, _ = c.info.Uses[x].(*types.Func)
			}
			if fn != nil && len(c.sinkParamsOf(fn.Origin())) > 0 {
				report(n, "%s, which takes SQL, is used as a value: the check cannot follow its calls", fn.FullName())
			}
			return true
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// expr says what the text of e (or of the field path below it) is built from.
func (c *sqlChecker) expr(e ast.Expr, path []string, cx *sqlCx) sqlDeps {
	if tv, ok := c.info.Types[e]; ok && (tv.Value != nil || tv.IsNil()) {
		return sqlDeps{}
	}
	switch e := e.(type) {
	case *ast.BasicLit, *ast.FuncLit:
		return sqlDeps{}
	case *ast.ParenExpr:
		return c.expr(e.X, path, cx)
	case *ast.Ident:
		return c.ident(e, path, cx)
	case *ast.BinaryExpr:
		switch e.Op {
		case token.EQL, token.NEQ, token.LSS, token.LEQ, token.GTR, token.GEQ, token.LAND, token.LOR:
			return sqlDeps{} // booleans
		}
		d := c.expr(e.X, nil, cx)
		d.add(c.expr(e.Y, nil, cx))
		return d.embedded()
	case *ast.UnaryExpr:
		if e.Op == token.ARROW {
			return sqlUnsafe("a value received from a channel at %s", c.where(e))
		}
		return c.expr(e.X, path, cx)
	case *ast.StarExpr:
		return c.expr(e.X, path, cx)
	case *ast.SelectorExpr:
		if sel := c.info.Selections[e]; sel != nil {
			if sel.Kind() == types.FieldVal {
				return c.expr(e.X, append(c.fieldNames(sel), path...), cx)
			}
			return sqlUnsafe("the method value %s at %s", e.Sel.Name, c.where(e))
		}
		return c.ident(e.Sel, path, cx)
	case *ast.IndexExpr:
		return c.expr(e.X, path, cx) // an element: the key does not become text
	case *ast.SliceExpr:
		return c.expr(e.X, path, cx)
	case *ast.TypeAssertExpr:
		return c.expr(e.X, path, cx)
	case *ast.CompositeLit:
		return c.composite(e, path, cx)
	case *ast.CallExpr:
		return c.call(e, cx)
	}
	return sqlUnsafe("an expression the check cannot follow (%T) at %s", e, c.where(e))
}

func (c *sqlChecker) ident(id *ast.Ident, path []string, cx *sqlCx) sqlDeps {
	obj := c.info.Uses[id]
	if obj == nil {
		obj = c.info.Defs[id]
	}
	switch o := obj.(type) {
	case *types.Const, *types.Nil, *types.Func, *types.TypeName, *types.Builtin, *types.PkgName:
		return sqlDeps{}
	case *types.Var:
		return c.variable(o, path, cx)
	}
	return sqlUnsafe("%s at %s, which the check cannot resolve", id.Name, c.where(id))
}

// sqlNarrow returns the path to follow into an assignment's right side when reading
// path of a variable, or false when the assignment writes another field.
func sqlNarrow(lhs, want []string) ([]string, bool) {
	n := min(len(lhs), len(want))
	if !slices.Equal(lhs[:n], want[:n]) {
		return nil, false
	}
	if len(lhs) <= len(want) {
		return want[len(lhs):], true
	}
	return nil, true
}

func (c *sqlChecker) variable(v *types.Var, path []string, cx *sqlCx) sqlDeps {
	key := fmt.Sprintf("%p.%s", v, strings.Join(path, "."))
	if cx.visiting[key] {
		return sqlDeps{}
	}
	cx.visiting[key] = true
	defer delete(cx.visiting, key)
	var d sqlDeps
	if r, ok := c.params[v]; ok {
		d.add(c.param(r, v, path, cx))
	} else if !c.inModule(v.Pkg()) {
		return sqlUnsafe("the variable %s.%s", v.Pkg().Name(), v.Name())
	} else if _, known := c.defs[v]; !known && v.Parent() != nil {
		return sqlUnsafe("the variable %s, whose value the check cannot see", v.Name())
	}
	if pos, ok := c.addrTaken[v]; ok {
		d.add(sqlUnsafe("%s: the address of %s is taken at %s, so it may be filled from anywhere",
			v.Name(), v.Name(), c.where(&ast.Ident{NamePos: pos})))
	}
	for _, e := range c.escapes[v] {
		if _, ok := sqlNarrow(e.path, path); ok && !c.harmless(e) {
			d.add(sqlUnsafe("%s, handed at %s to a function that may change it", v.Name(), c.where(e.call)))
			break
		}
	}
	for _, df := range c.defs[v] {
		sub, ok := sqlNarrow(df.path, path)
		if !ok || df.rhs == nil {
			continue
		}
		x := c.expr(df.rhs, sub, cx)
		if df.plus {
			x = x.embedded()
		}
		d.add(x)
	}
	return d
}

// harmless reports whether a call a variable was handed to leaves its text alone.
func (c *sqlChecker) harmless(e sqlEscape) bool {
	fn := c.callee(e.call)
	if fn == nil {
		return false
	}
	name := fn.FullName()
	if _, ok := sqlPure[name]; ok || sqlBuilderQuiet[name] || sqlBuilderWrites[name] {
		return true
	}
	// Sinks read SQL and values; they do not write them.
	return len(c.sinkParamsOf(fn)) > 0
}

// param is what a parameter stands for: itself (a root) for declared functions and
// for the function being summarised; for a local closure, the arguments of its calls.
func (c *sqlChecker) param(r sqlRoot, v *types.Var, path []string, cx *sqlCx) sqlDeps {
	lit, ok := r.fn.(*ast.FuncLit)
	if !ok || r.fn == cx.symbolic {
		return sqlDeps{roots: map[sqlRoot]bool{r: true}}
	}
	calls, ok := c.closureCalls(lit)
	if !ok {
		return sqlUnsafe("parameter %s of the function literal at %s, which is called from where the check cannot follow",
			v.Name(), c.where(lit))
	}
	sig, _ := c.info.TypeOf(lit).(*types.Signature)
	var d sqlDeps
	for _, call := range calls {
		for _, a := range c.argExprs(call, sig, r.idx) {
			d.add(c.expr(a, path, cx))
		}
	}
	return d
}

// closureCalls returns every call of a function literal that is called directly or
// held by a local variable used only to call it.
func (c *sqlChecker) closureCalls(lit *ast.FuncLit) ([]*ast.CallExpr, bool) {
	if c.litEscape[lit] {
		return nil, false
	}
	if calls := c.litCalls[lit]; len(calls) > 0 {
		return calls, true
	}
	for v, l := range c.closures {
		if l == lit {
			if c.uses[v] != 0 || len(c.defs[v]) != 1 {
				return nil, false
			}
			return c.varCalls[v], true
		}
	}
	return nil, false
}

func (c *sqlChecker) composite(e *ast.CompositeLit, path []string, cx *sqlCx) sqlDeps {
	t := c.info.TypeOf(e)
	if t == nil {
		return sqlUnsafe("an untyped literal at %s", c.where(e))
	}
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	var d sqlDeps
	switch u := t.Underlying().(type) {
	case *types.Struct:
		for i, el := range e.Elts {
			val, name := el, ""
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				val = kv.Value
				if id, ok := kv.Key.(*ast.Ident); ok {
					name = id.Name
				}
			} else if i < u.NumFields() {
				name = u.Field(i).Name()
			}
			var ft types.Type
			for f := range u.Fields() {
				if f.Name() == name {
					ft = f.Type()
				}
			}
			switch {
			case len(path) == 0 && (ft == nil || sqlCarriesText(ft)):
				d.add(c.expr(val, nil, cx))
			case len(path) > 0 && name == path[0]:
				d.add(c.expr(val, path[1:], cx))
			}
		}
	case *types.Slice, *types.Array:
		for _, el := range e.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				el = kv.Value
			}
			d.add(c.expr(el, path, cx))
		}
	case *types.Map:
		for _, el := range e.Elts {
			kv, ok := el.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			if len(path) == 0 && sqlCarriesText(u.Key()) {
				d.add(c.expr(kv.Key, nil, cx))
			}
			d.add(c.expr(kv.Value, path, cx))
		}
	default:
		return sqlUnsafe("a literal of type %s at %s", t, c.where(e))
	}
	return d
}

func (c *sqlChecker) call(e *ast.CallExpr, cx *sqlCx) sqlDeps {
	fun := sqlUnparen(e.Fun)
	if tv, ok := c.info.Types[fun]; ok && tv.IsType() {
		if len(e.Args) == 1 {
			return c.expr(e.Args[0], nil, cx)
		}
		return sqlDeps{}
	}
	if id, ok := fun.(*ast.Ident); ok {
		switch o := c.info.Uses[id].(type) {
		case *types.Builtin:
			var d sqlDeps
			switch o.Name() {
			case "append", "min", "max":
				for _, a := range e.Args {
					d.add(c.expr(a, nil, cx))
				}
			}
			return d
		case *types.Var:
			if lit := c.closures[o]; lit != nil && len(c.defs[o]) == 1 && !c.litEscape[lit] {
				return c.apply(lit, e, cx)
			}
			return sqlUnsafe("a call of the function value %s at %s", o.Name(), c.where(e))
		}
	}
	if lit, ok := fun.(*ast.FuncLit); ok {
		return c.apply(lit, e, cx)
	}
	fn := c.callee(e)
	if fn == nil {
		return sqlUnsafe("a call of a function value at %s", c.where(e))
	}
	name := fn.FullName()
	sig := fn.Type().(*types.Signature)
	if a, ok := c.allow[name]; ok && (a.safeResult || a.passThrough != "") {
		c.used[name] = true
		var d sqlDeps
		if !a.safeResult {
			for _, arg := range c.argExprs(e, sig, c.paramIndex(fn, a.passThrough)) {
				d.add(c.expr(arg, nil, cx))
			}
		}
		return d
	}
	if idxs, ok := sqlPure[name]; ok {
		var d sqlDeps
		if idxs == nil {
			for _, a := range e.Args {
				d.add(c.expr(a, nil, cx))
			}
		}
		for _, i := range idxs {
			for _, a := range c.argExprs(e, sig, i) {
				d.add(c.expr(a, nil, cx))
			}
		}
		return d.embedded()
	}
	if decl := c.decls[fn]; decl != nil {
		return c.apply(decl, e, cx)
	}
	if impls := c.impls[fn]; len(impls) > 0 {
		var d sqlDeps
		for _, im := range impls {
			if decl := c.decls[im]; decl != nil {
				d.add(c.apply(decl, e, cx))
			} else {
				d.add(sqlUnsafe("the result of %s at %s", im.FullName(), c.where(e)))
			}
		}
		return d
	}
	return sqlUnsafe("the result of %s at %s", name, c.where(e))
}

// apply is the text a call of fnNode returns: its summary with the call's arguments
// in place of its parameters.
func (c *sqlChecker) apply(fnNode ast.Node, call *ast.CallExpr, cx *sqlCx) sqlDeps {
	s := c.summary(fnNode)
	d := sqlDeps{unsafe: s.unsafe}
	var sig *types.Signature
	switch f := fnNode.(type) {
	case *ast.FuncDecl:
		sig = c.declFunc[f].Type().(*types.Signature)
	case *ast.FuncLit:
		sig, _ = c.info.TypeOf(f).(*types.Signature)
	}
	for r, whole := range s.roots {
		if r.fn != fnNode {
			d.add(sqlDeps{roots: map[sqlRoot]bool{r: whole}})
			continue
		}
		for _, arg := range c.argExprs(call, sig, r.idx) {
			x := c.expr(arg, nil, cx)
			if !whole {
				x = x.embedded()
			}
			d.add(x)
		}
	}
	return d
}

// summary is what the results of a function are built from, its own parameters
// standing for themselves.
func (c *sqlChecker) summary(fnNode ast.Node) sqlDeps {
	if s, ok := c.sums[fnNode]; ok {
		return *s
	}
	if c.summing[fnNode] {
		return sqlDeps{} // recursion: the other paths decide
	}
	c.summing[fnNode] = true
	defer delete(c.summing, fnNode)
	cx := newSQLCx(fnNode)
	var body *ast.BlockStmt
	var ft *ast.FuncType
	switch f := fnNode.(type) {
	case *ast.FuncDecl:
		body, ft = f.Body, f.Type
	case *ast.FuncLit:
		body, ft = f.Body, f.Type
	}
	var d sqlDeps
	if body == nil {
		d = sqlUnsafe("a function without a body at %s", c.where(fnNode))
	} else {
		ast.Inspect(body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ReturnStmt:
				if len(n.Results) == 0 && ft.Results != nil {
					for _, f := range ft.Results.List {
						for _, name := range f.Names {
							d.add(c.ident(name, nil, cx))
						}
					}
				}
				for _, r := range n.Results {
					d.add(c.expr(r, nil, cx))
				}
			}
			return true
		})
	}
	c.sums[fnNode] = &d
	return d
}
