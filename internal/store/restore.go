package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/safefile"
)

// Restored says what a restore did.
type Restored struct {
	Target  string    // the database file, or the PostgreSQL database and schema
	Records int64     // audit records in the backup
	TakenAt time.Time // when the backup was taken
}

// ErrNotBackup is wrapped by every refusal of a file that is not a backup.
var ErrNotBackup = errors.New("not a keyward backup")

// ErrTargetNotEmpty is wrapped by a refusal to restore over a database.
var ErrTargetNotEmpty = errors.New("the target is not empty")

// Restore loads a Backup file into an empty target: a data directory without
// a database, or a PostgreSQL schema without tables. It appends the audit
// record audit.restored (restored_size, backup_taken_at, backup) in the same
// transaction as the load, so the restored log verifies and says where it
// came from. Restoring across backends is not supported.
func Restore(ctx context.Context, cfg Config, file string) (Restored, error) {
	if cfg.Now == nil {
		return Restored{}, errors.New("store: Config.Now is required")
	}
	f, err := os.Open(file)
	if err != nil {
		return Restored{}, fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	isSQLite := bytes.Equal(head, []byte("SQLite format 3\x00"))
	if strings.HasPrefix(cfg.URL, "postgres://") || strings.HasPrefix(cfg.URL, "postgresql://") {
		if isSQLite {
			return Restored{}, notBackup(file, "a SQLite file, and restoring across backends is not supported")
		}
		return restorePostgres(ctx, cfg, f, file)
	}
	if cfg.URL != "" {
		return Restored{}, fmt.Errorf("store: unsupported database URL (want postgres://…)")
	}
	if !isSQLite {
		if bytes.HasPrefix(head, []byte(`{"`)) {
			return Restored{}, notBackup(file, "JSON lines, as from PostgreSQL, and restoring across backends is not supported")
		}
		return Restored{}, notBackup(file, "not a SQLite database")
	}
	return restoreSQLite(ctx, cfg, f, file)
}

func notBackup(file, why string) error {
	return fmt.Errorf("restore: %s is %w (%s)", filepath.Base(file), ErrNotBackup, why)
}

// restoreRecord appends the restore's own audit record.
func (t *Tx) restoreRecord(ctx context.Context, file string, takenAt time.Time) (int64, error) {
	var n int64
	if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log`).Scan(&n); err != nil {
		return 0, fmt.Errorf("restore: count audit records: %w", err)
	}
	_, err := t.record(ctx, keyward.SystemActor("restore"), "audit.restored", "audit_log", "audit", map[string]any{
		"restored_size":   n,
		"backup_taken_at": takenAt.UTC().Format(time.RFC3339),
		"backup":          filepath.Base(file),
	})
	return n, err
}

// restoreSQLite copies the backup beside the target, checks it, migrates it,
// records the restore in it and only then links it into place, so the target
// never holds a half-restored database.
func restoreSQLite(ctx context.Context, cfg Config, f *os.File, file string) (Restored, error) {
	dir := cfg.DataDir
	if dir == "" {
		dir = "keyward-data"
	}
	target := filepath.Join(dir, "keyward.db")
	if err := sqliteTargetEmpty(target); err != nil {
		return Restored{}, err
	}
	st, err := f.Stat()
	if err != nil {
		return Restored{}, err
	}
	if err := safefile.MkdirAll(dir); err != nil {
		return Restored{}, fmt.Errorf("restore: data directory: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".restore-")
	if err != nil {
		return Restored{}, fmt.Errorf("restore: %w", err)
	}
	defer os.RemoveAll(tmp)
	staged := filepath.Join(tmp, "keyward.db")
	if err := copyPrivate(f, staged); err != nil {
		return Restored{}, fmt.Errorf("restore: copy: %w", err)
	}
	takenAt, err := inspectSQLiteBackup(ctx, staged, file, st.ModTime())
	if err != nil {
		return Restored{}, err
	}
	d, err := Open(ctx, Config{DataDir: tmp, Now: cfg.Now})
	if err != nil {
		return Restored{}, fmt.Errorf("restore: %w", err)
	}
	var records int64
	err = d.withTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `DROP TABLE IF EXISTS keyward_backup`); err != nil {
			return err
		}
		records, err = tx.restoreRecord(ctx, file, takenAt)
		return err
	})
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Restored{}, fmt.Errorf("restore: %w", err)
	}
	// A WAL left behind belongs to the database: it moves first, the database last.
	for _, suffix := range []string{"-wal", ""} {
		if _, err := os.Stat(staged + suffix); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := os.Link(staged+suffix, target+suffix); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return Restored{}, fmt.Errorf("restore: %w: %s appeared while restoring", ErrTargetNotEmpty, target+suffix)
			}
			return Restored{}, fmt.Errorf("restore: %w", err)
		}
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return Restored{Target: target, Records: records, TakenAt: takenAt}, nil
}

// sqliteTargetEmpty refuses a data directory that holds a database. An empty
// file (created by a command that failed before writing) is not a database.
func sqliteTargetEmpty(target string) error {
	for _, p := range []string{target + "-wal", target} {
		st, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		if p == target && st.Size() == 0 {
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("restore: %w", err)
			}
			continue
		}
		return fmt.Errorf("restore: %w: %s already holds a database", ErrTargetNotEmpty, p)
	}
	return nil
}

func copyPrivate(src *os.File, dst string) error {
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return err
	}
	out, err := safefile.Create(dst)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, src)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// inspectSQLiteBackup checks that the staged copy is an intact Keyward
// database and reads when the backup was taken. A database without the
// keyward_backup table (a backup from before it was added, or a copy of a
// stopped server's file) was taken when the file was last written.
func inspectSQLiteBackup(ctx context.Context, staged, file string, modTime time.Time) (time.Time, error) {
	db, err := sql.Open("sqlite", "file:"+staged)
	if err != nil {
		return time.Time{}, err
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&check); err != nil {
		return time.Time{}, notBackup(file, err.Error())
	}
	if check != "ok" {
		return time.Time{}, notBackup(file, "damaged: "+check)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'
		AND name IN ('keyward_migrations', 'audit_log', 'chain_head', 'audit_head')`).Scan(&n); err != nil {
		return time.Time{}, notBackup(file, err.Error())
	}
	if n < 3 {
		return time.Time{}, notBackup(file, "a SQLite database without Keyward's tables")
	}
	var has int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'keyward_backup'`).Scan(&has); err != nil {
		return time.Time{}, notBackup(file, err.Error())
	}
	if has == 0 {
		return modTime.UTC(), nil
	}
	var h BackupHeader
	if err := db.QueryRowContext(ctx, `SELECT format, backend, schema_version, taken_at FROM keyward_backup`).Scan(&h.Format, &h.Backend, &h.SchemaVersion, &h.TakenAt); err != nil {
		return time.Time{}, notBackup(file, "unreadable keyward_backup: "+err.Error())
	}
	t, err := time.Parse(time.RFC3339Nano, h.TakenAt)
	if err != nil || h.Format != 1 || h.Backend != "sqlite" {
		return time.Time{}, notBackup(file, "unreadable keyward_backup row")
	}
	return t, nil
}

// backupLine is one line of a PostgreSQL backup: the header or a row.
type backupLine struct {
	BackupHeader
	Table string         `json:"table"`
	Row   map[string]any `json:"row"`
}

// span is where one table's rows lie in the file.
type span struct{ start, end int64 }

// pgBackup is what a first pass over a PostgreSQL backup learned.
type pgBackup struct {
	header  *BackupHeader
	version int
	spans   map[string][]span
}

// scanPostgresBackup reads the whole file once: every line must be the
// header (first) or a row, and it notes where each table's rows are.
func scanPostgresBackup(f *os.File, file string) (*pgBackup, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(f)
	dec.UseNumber()
	b := &pgBackup{spans: map[string][]span{}}
	migrationsSeen := false
	var last string
	for line := 1; ; line++ {
		start := dec.InputOffset()
		var l backupLine
		err := dec.Decode(&l)
		if err == io.EOF {
			if line == 1 {
				return nil, notBackup(file, "empty")
			}
			break
		}
		if err != nil {
			return nil, notBackup(file, fmt.Sprintf("line %d: %v", line, err))
		}
		end := dec.InputOffset()
		if line == 1 && l.Format != 0 {
			if l.Format != 1 || l.Backend != "postgres" || l.SchemaVersion < 1 {
				return nil, notBackup(file, "unknown header")
			}
			if _, err := time.Parse(time.RFC3339Nano, l.TakenAt); err != nil {
				return nil, notBackup(file, "header: taken_at is not a time")
			}
			h := l.BackupHeader
			b.header = &h
			continue
		}
		if l.Table == "" || l.Row == nil {
			return nil, notBackup(file, fmt.Sprintf("line %d is not a table row", line))
		}
		if l.Table == "keyward_migrations" {
			migrationsSeen = true
			v, err := strconv.Atoi(fmt.Sprint(l.Row["version"]))
			if err != nil {
				return nil, notBackup(file, fmt.Sprintf("line %d: migration version", line))
			}
			b.version = max(b.version, v)
		}
		if s := b.spans[l.Table]; l.Table == last && len(s) > 0 {
			s[len(s)-1].end = end
		} else {
			b.spans[l.Table] = append(s, span{start, end})
		}
		last = l.Table
	}
	if !migrationsSeen || b.spans["audit_log"] == nil {
		return nil, notBackup(file, "no schema version or no audit log")
	}
	if b.header != nil && b.header.SchemaVersion != b.version {
		return nil, notBackup(file, "the header's schema version does not match its migrations")
	}
	if known := SchemaVersion(); b.version > known {
		return nil, fmt.Errorf("restore: the backup has schema version %d but this keyward knows only %d: upgrade keyward", b.version, known)
	}
	return b, nil
}

// restorePostgres loads the backup in one transaction: the schema of the
// backup's version, its rows (parents before children, in multi-row
// inserts), the migrations since, and the restore's audit record. There are
// no sequences to fix: ids are text, audit seq is set by the chain head.
func restorePostgres(ctx context.Context, cfg Config, f *os.File, file string) (Restored, error) {
	b, err := scanPostgresBackup(f, file)
	if err != nil {
		return Restored{}, err
	}
	takenAt := time.Time{}
	if b.header != nil {
		takenAt, _ = time.Parse(time.RFC3339Nano, b.header.TakenAt)
	} else if st, err := f.Stat(); err == nil {
		takenAt = st.ModTime() // a backup from before headers: when the file was written
	}
	d, err := connect(ctx, cfg)
	if err != nil {
		return Restored{}, err
	}
	defer d.Close()
	out := Restored{TakenAt: takenAt.UTC()}
	err = d.withTx(ctx, func(tx *Tx) error {
		// Servers starting now wait: they migrate under the same lock.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7203311)`); err != nil {
			return err
		}
		var dbName, schema string
		if err := tx.QueryRow(ctx, `SELECT current_database(), current_schema()`).Scan(&dbName, &schema); err != nil {
			return err
		}
		out.Target = fmt.Sprintf("database %q, schema %q", dbName, schema)
		existing, err := d.tableNames(ctx, tx.tx)
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			if len(existing) > 5 {
				existing = append(existing[:5], "…")
			}
			return fmt.Errorf("%w: %s has tables (%s)", ErrTargetNotEmpty, out.Target, strings.Join(existing, ", "))
		}
		ms, err := loadMigrations()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE keyward_migrations (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
			return err
		}
		for _, m := range ms[:b.version] {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
		}
		// Migrations seed rows (the chain head, for one): the backup holds
		// every row of its version, so it starts from empty tables.
		seeded, err := d.tableNames(ctx, tx.tx)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `TRUNCATE "`+strings.Join(seeded, `", "`)+`"`); err != nil {
			return err
		}
		if err := loadPostgresRows(ctx, tx, f, file, b); err != nil {
			return err
		}
		for _, m := range ms[b.version:] {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO keyward_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.version, m.name, ts(tx.now)); err != nil {
				return err
			}
		}
		out.Records, err = tx.restoreRecord(ctx, file, takenAt)
		return err
	})
	if err != nil && !errors.Is(err, ErrNotBackup) {
		err = fmt.Errorf("restore: %w", err)
	}
	if err != nil {
		return Restored{}, err
	}
	return out, nil
}

// loadPostgresRows inserts every row of the backup, each table after the
// tables it references. Table and column names must be the schema's own.
func loadPostgresRows(ctx context.Context, tx *Tx, f *os.File, file string, b *pgBackup) error {
	columns, deps, err := pgSchema(ctx, tx)
	if err != nil {
		return err
	}
	var tables []string
	for t := range b.spans {
		if columns[t] == nil {
			return notBackup(file, fmt.Sprintf("table %q is not in schema version %d", t, b.version))
		}
		tables = append(tables, t)
	}
	order, err := loadOrder(tables, deps)
	if err != nil {
		return err
	}
	for _, table := range order {
		ins := &inserter{tx: tx, table: table}
		for _, s := range b.spans[table] {
			dec := json.NewDecoder(io.NewSectionReader(f, s.start, s.end-s.start))
			dec.UseNumber()
			for {
				var l backupLine
				if err := dec.Decode(&l); err == io.EOF {
					break
				} else if err != nil {
					return notBackup(file, err.Error())
				}
				for c := range l.Row {
					if !columns[table][c] {
						return notBackup(file, fmt.Sprintf("column %q is not in table %s", c, table))
					}
				}
				if err := ins.add(ctx, l.Row); err != nil {
					return err
				}
			}
		}
		if err := ins.flush(ctx); err != nil {
			return err
		}
	}
	return nil
}

// pgSchema reads the current schema's columns and foreign keys.
func pgSchema(ctx context.Context, tx *Tx) (map[string]map[string]bool, map[string][]string, error) {
	columns := map[string]map[string]bool{}
	rows, err := tx.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()`)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			rows.Close()
			return nil, nil, err
		}
		if columns[t] == nil {
			columns[t] = map[string]bool{}
		}
		columns[t][c] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	deps := map[string][]string{}
	rows, err = tx.Query(ctx, `SELECT c.relname, p.relname FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE k.contype = 'f' AND n.nspname = current_schema()`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var child, parent string
		if err := rows.Scan(&child, &parent); err != nil {
			return nil, nil, err
		}
		deps[child] = append(deps[child], parent)
	}
	return columns, deps, rows.Err()
}

// loadOrder sorts tables so that each comes after the tables it references
// (deps: table → referenced tables), alphabetically among equals.
func loadOrder(tables []string, deps map[string][]string) ([]string, error) {
	sort.Strings(tables)
	state := map[string]int{} // 1 visiting, 2 done
	var out []string
	var visit func(t string) error
	visit = func(t string) error {
		switch state[t] {
		case 1:
			return fmt.Errorf("restore: tables reference each other in a cycle through %s", t)
		case 2:
			return nil
		}
		state[t] = 1
		parents := append([]string(nil), deps[t]...)
		sort.Strings(parents)
		for _, p := range parents {
			if p == t {
				continue
			}
			if err := visit(p); err != nil {
				return err
			}
		}
		state[t] = 2
		out = append(out, t)
		return nil
	}
	want := map[string]bool{}
	for _, t := range tables {
		want[t] = true
		if err := visit(t); err != nil {
			return nil, err
		}
	}
	// Referenced tables without rows in the backup need no loading.
	kept := out[:0]
	for _, t := range out {
		if want[t] {
			kept = append(kept, t)
		}
	}
	return kept, nil
}

// inserter batches rows of one table into multi-row INSERTs.
type inserter struct {
	tx    *Tx
	table string
	cols  []string
	rows  [][]any
}

const insertBatch = 500

func (in *inserter) add(ctx context.Context, row map[string]any) error {
	cols := make([]string, 0, len(row))
	for c := range row {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	if strings.Join(cols, ",") != strings.Join(in.cols, ",") {
		if err := in.flush(ctx); err != nil {
			return err
		}
		in.cols = cols
	}
	vals := make([]any, len(cols))
	for i, c := range cols {
		v, err := jsonValue(row[c])
		if err != nil {
			return fmt.Errorf("table %s column %s: %w", in.table, c, err)
		}
		vals[i] = v
	}
	in.rows = append(in.rows, vals)
	if len(in.rows) >= insertBatch {
		return in.flush(ctx)
	}
	return nil
}

func (in *inserter) flush(ctx context.Context) error {
	if len(in.rows) == 0 {
		return nil
	}
	quoted := make([]string, len(in.cols))
	for i, c := range in.cols {
		quoted[i] = `"` + c + `"`
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO "` + in.table + `" (` + strings.Join(quoted, ", ") + `) VALUES `)
	ph := "(" + marks(len(in.cols)) + ")"
	args := make([]any, 0, len(in.rows)*len(in.cols))
	for i, r := range in.rows {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(ph)
		args = append(args, r...)
	}
	if _, err := in.tx.Exec(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("load %s: %w", in.table, err)
	}
	in.rows = in.rows[:0]
	return nil
}

// jsonValue turns a decoded JSON value back into what the column held: the
// schema has only text and integer columns (times are text, booleans 0/1).
func jsonValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool:
		return x, nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		return x.Float64()
	}
	return nil, fmt.Errorf("unexpected %T", v)
}
