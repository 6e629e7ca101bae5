package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// ErrNotEmpty is returned by Copy when the target already holds rows.
var ErrNotEmpty = errors.New("db: the target database is not empty")

// ErrCopyTarget is returned by Copy for a target that is not PostgreSQL.
var ErrCopyTarget = errors.New("db: copy writes to PostgreSQL only")

// TableCount is one table's rows in the source and, after the copy, in
// the target.
type TableCount struct {
	Table  string
	Source int64
	Target int64
}

// copyBatch bounds the rows of one INSERT, well under PostgreSQL's 65535
// bind variables for the widest table.
const copyBatch = 500

// Caches says what a copy leaves behind: the tables that hold only
// remembered answers (not copied), and how to forget the answers
// remembered in the rows of copied tables. Their owner says which
// (reports.Caches); package db knows no table of the application.
type Caches struct {
	Tables []string
	Forget func(ctx context.Context, tx *sqlx.Tx) error
}

// Copy moves a whole Steward database into an empty PostgreSQL database:
// it migrates both to this binary's schema (a source from before the
// baseline migration is read as it is, if it had all of the migrations the
// baseline replaced), copies every table in
// foreign-key order inside one transaction (so a failed copy leaves the
// target empty), keeps every id, moves each identity sequence past the
// copied ids, and then compares the row counts of every table. The
// caches are left behind, to be worked out again.
func Copy(ctx context.Context, from, to *DB, caches Caches) ([]TableCount, error) {
	if to.Dialect != Postgres {
		return nil, ErrCopyTarget
	}
	if _, err := from.Migrate(ctx); err != nil {
		// A database from before the baseline is read as it is, when it
		// has every migration the baseline replaced: its schema is the
		// baseline's. Copying it is the way forward Migrate names.
		whole, werr := from.wholePreBaseline(ctx)
		if !errors.Is(err, ErrPreBaseline) || werr != nil || !whole {
			return nil, fmt.Errorf("db: copy: migrate the source: %w", err)
		}
	}
	if _, err := to.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("db: copy: migrate the target: %w", err)
	}
	all, err := postgresTables(ctx, to)
	if err != nil {
		return nil, err
	}
	// What only caches remembered answers is not copied: the owner
	// works it out again from the records, at the new database's own
	// timestamp precision (PostgreSQL keeps microseconds, SQLite
	// nanoseconds).
	var tables []pgTable
	for _, t := range all {
		if !slices.Contains(caches.Tables, t.name) {
			tables = append(tables, t)
		}
	}
	for _, t := range tables {
		var n int64
		if err := to.GetContext(ctx, &n, `SELECT COUNT(*) FROM `+t.name); err != nil {
			return nil, fmt.Errorf("db: copy: count %s: %w", t.name, err)
		}
		if n > 0 {
			return nil, fmt.Errorf("%w: %s has %d rows", ErrNotEmpty, t.name, n)
		}
	}

	// One read transaction gives a consistent snapshot of the source.
	src, err := from.BeginTxx(ctx, &sql.TxOptions{ReadOnly: from.Dialect == Postgres})
	if err != nil {
		return nil, fmt.Errorf("db: copy: begin reading: %w", err)
	}
	defer src.Rollback()
	// A source from before the baseline lacks the tables later
	// migrations added: they stay empty in the target.
	var present []pgTable
	for _, t := range tables {
		ok, err := hasTable(ctx, from.Dialect, src, t.name)
		if err != nil {
			return nil, err
		}
		if ok {
			present = append(present, t)
		}
	}
	tables = present
	counts := make([]TableCount, len(tables))
	err = to.Tx(ctx, func(dst *sqlx.Tx) error {
		for i, t := range tables {
			n, err := copyTable(ctx, src, dst, t)
			if err != nil {
				return fmt.Errorf("db: copy %s: %w", t.name, err)
			}
			counts[i] = TableCount{Table: t.name, Source: n}
		}
		if caches.Forget != nil {
			return caches.Forget(ctx, dst)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := to.ResetSequences(ctx); err != nil {
		return nil, err
	}

	var mismatched []string
	for i, c := range counts {
		if err := src.GetContext(ctx, &counts[i].Source, `SELECT COUNT(*) FROM `+c.Table); err != nil {
			return counts, fmt.Errorf("db: copy: count source %s: %w", c.Table, err)
		}
		if err := to.GetContext(ctx, &counts[i].Target, `SELECT COUNT(*) FROM `+c.Table); err != nil {
			return counts, fmt.Errorf("db: copy: count target %s: %w", c.Table, err)
		}
		if counts[i].Source != counts[i].Target {
			mismatched = append(mismatched, fmt.Sprintf("%s (%d, copied %d)", c.Table, counts[i].Source, counts[i].Target))
		}
	}
	if len(mismatched) > 0 {
		return counts, fmt.Errorf("db: copy: row counts differ: %s", strings.Join(mismatched, ", "))
	}
	return counts, nil
}

// pgTable is a target table: its columns with their types, its identity
// column, the columns that reference the table itself, and the tables it
// references.
type pgTable struct {
	name     string
	columns  map[string]string // name -> data_type
	identity string
	selfRefs []string
	refs     []string
}

// postgresTables lists the target's tables (but schema_migrations, which
// Migrate filled) so that each comes after every table it references.
func postgresTables(ctx context.Context, d *DB) ([]pgTable, error) {
	var cols []struct {
		Table    string `db:"table_name"`
		Column   string `db:"column_name"`
		Type     string `db:"data_type"`
		Identity string `db:"is_identity"`
	}
	if err := d.SelectContext(ctx, &cols, `SELECT c.table_name, c.column_name, c.data_type, c.is_identity
		FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name <> 'schema_migrations'
		ORDER BY c.table_name, c.ordinal_position`); err != nil {
		return nil, fmt.Errorf("db: copy: read the target's columns: %w", err)
	}
	byName := map[string]*pgTable{}
	var names []string
	for _, c := range cols {
		t := byName[c.Table]
		if t == nil {
			t = &pgTable{name: c.Table, columns: map[string]string{}}
			byName[c.Table] = t
			names = append(names, c.Table)
		}
		t.columns[c.Column] = c.Type
		if c.Identity == "YES" {
			t.identity = c.Column
		}
	}
	var fks []struct {
		Table  string `db:"tbl"`
		Column string `db:"col"`
		Refers string `db:"ref"`
	}
	if err := d.SelectContext(ctx, &fks, `SELECT cl.relname AS tbl, a.attname AS col, rf.relname AS ref
		FROM pg_constraint k
		JOIN pg_class cl ON cl.oid = k.conrelid
		JOIN pg_class rf ON rf.oid = k.confrelid
		JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
		WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace`); err != nil {
		return nil, fmt.Errorf("db: copy: read the target's foreign keys: %w", err)
	}
	for _, fk := range fks {
		t := byName[fk.Table]
		if t == nil {
			continue
		}
		if fk.Refers == fk.Table {
			t.selfRefs = append(t.selfRefs, fk.Column)
		} else {
			t.refs = append(t.refs, fk.Refers)
		}
	}
	sort.Strings(names)
	var ordered []pgTable
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string) error
	visit = func(name string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("db: copy: foreign keys form a cycle through %s", name)
		case 2:
			return nil
		}
		state[name] = 1
		t := byName[name]
		sort.Strings(t.refs)
		for _, r := range t.refs {
			if byName[r] != nil {
				if err := visit(r); err != nil {
					return err
				}
			}
		}
		state[name] = 2
		ordered = append(ordered, *t)
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return ordered, nil
}

// copyTable copies one table's rows in batches and returns how many it
// read. Columns that reference the same table (a manager) are written
// after every row exists.
// hasTable reports whether the database behind q has the table name.
func hasTable(ctx context.Context, d Dialect, q *sqlx.Tx, name string) (bool, error) {
	query := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if d == Postgres {
		query = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	}
	var n int
	if err := q.GetContext(ctx, &n, query, name); err != nil {
		return false, fmt.Errorf("db: copy: look for %s: %w", name, err)
	}
	return n > 0, nil
}

func copyTable(ctx context.Context, src, dst *sqlx.Tx, t pgTable) (int64, error) {
	rows, err := src.QueryxContext(ctx, `SELECT * FROM `+t.name)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	for _, c := range cols {
		if _, ok := t.columns[c]; !ok {
			return 0, fmt.Errorf("the target has no column %s", c)
		}
	}
	deferred := map[int]bool{}
	keyCol := -1
	for i, c := range cols {
		for _, s := range t.selfRefs {
			if c == s {
				deferred[i] = true
			}
		}
		if c == t.identity {
			keyCol = i
		}
	}
	if len(deferred) > 0 && keyCol < 0 {
		return 0, fmt.Errorf("a column references the table itself but it has no id column")
	}
	type later struct{ id, vals []any }
	var fixups []later

	var n int64
	var batch [][]any
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var q strings.Builder
		q.WriteString("INSERT INTO " + t.name + " (" + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, len(batch)*len(cols))
		for r, vals := range batch {
			if r > 0 {
				q.WriteString(", ")
			}
			q.WriteByte('(')
			for i := range vals {
				if i > 0 {
					q.WriteString(", ")
				}
				args = append(args, vals[i])
				q.WriteString("$" + strconv.Itoa(len(args)))
			}
			q.WriteByte(')')
		}
		batch = batch[:0]
		_, err := dst.ExecContext(ctx, q.String(), args...)
		return err
	}
	for rows.Next() {
		vals, err := rows.SliceScan()
		if err != nil {
			return n, err
		}
		for i, v := range vals {
			if vals[i], err = convert(v, t.columns[cols[i]]); err != nil {
				return n, fmt.Errorf("column %s: %w", cols[i], err)
			}
		}
		if len(deferred) > 0 {
			var refs []any
			for i := range cols {
				if deferred[i] {
					refs = append(refs, vals[i])
					vals[i] = nil
				}
			}
			fixups = append(fixups, later{id: []any{vals[keyCol]}, vals: refs})
		}
		batch = append(batch, vals)
		n++
		if len(batch) == copyBatch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	if err := flush(); err != nil {
		return n, err
	}
	if len(fixups) > 0 {
		var sets []string
		for i, c := range cols {
			if deferred[i] {
				sets = append(sets, fmt.Sprintf("%s = $%d", c, len(sets)+1))
			}
		}
		q := fmt.Sprintf("UPDATE %s SET %s WHERE %s = $%d", t.name, strings.Join(sets, ", "), cols[keyCol], len(sets)+1)
		for _, f := range fixups {
			if allNil(f.vals) {
				continue
			}
			if _, err := dst.ExecContext(ctx, q, append(f.vals, f.id...)...); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func allNil(vs []any) bool {
	for _, v := range vs {
		if v != nil {
			return false
		}
	}
	return true
}

// sqliteTimes are the layouts SQLite text timestamps come in.
var sqliteTimes = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
	time.RFC3339Nano,
}

// convert turns a value as SQLite stores it into what the PostgreSQL
// column of type typ accepts: SQLite keeps booleans as integers and may
// hand back text where PostgreSQL wants a time.
func convert(v any, typ string) (any, error) {
	switch typ {
	case "boolean":
		switch x := v.(type) {
		case int64:
			return x != 0, nil
		case []byte:
			return strconv.ParseBool(string(x))
		case string:
			return strconv.ParseBool(x)
		}
	case "timestamp with time zone", "timestamp without time zone", "date":
		var s string
		switch x := v.(type) {
		case time.Time:
			return x.UTC(), nil
		case []byte:
			s = string(x)
		case string:
			s = x
		default:
			return v, nil
		}
		for _, layout := range sqliteTimes {
			if tm, err := time.Parse(layout, s); err == nil {
				return tm.UTC(), nil
			}
		}
		return nil, fmt.Errorf("%q is not a time", s)
	case "text":
		if b, ok := v.([]byte); ok {
			return string(b), nil
		}
	}
	return v, nil
}
