package store

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/safefile"
)

// BackupHeader says what a backup is and when it was taken. PostgreSQL
// backups carry it as their first line; SQLite backups as the one row of the
// table keyward_backup inside the copy, so the backup stays one self-contained
// database file that the sqlite3 shell opens, and its time survives copying
// (a file's modification time does not). Restore reads it, records it in the
// audit log and drops the table.
type BackupHeader struct {
	Format        int    `json:"keyward_backup"` // 1
	Backend       string `json:"backend"`        // "sqlite" or "postgres"
	SchemaVersion int    `json:"schema_version"`
	TakenAt       string `json:"taken_at"` // RFC 3339, UTC
}

// ErrVaultKeyInDatabase refuses a backup that would carry the vault key.
var ErrVaultKeyInDatabase = errors.New("backup: the database still holds the vault key, and a backup would carry it: move it out first with `keyward vault move-key --out FILE`")

// Backup writes a consistent copy while the server runs, to a new 0600 file.
// SQLite: VACUUM INTO, a complete database file. PostgreSQL: every table as
// JSON lines, read in one repeatable-read snapshot. The vault key is never in
// it: a database that still holds one is refused. It returns the size of the
// file written.
func (d *DB) Backup(ctx context.Context, path string) (int64, error) {
	if _, err := os.Stat(path); err == nil {
		return 0, fmt.Errorf("backup: %s already exists", path)
	}
	if d.dialect == sqliteDialect {
		if err := d.backupSQLite(ctx, path); err != nil {
			return 0, err
		}
	} else if err := d.dumpPostgres(ctx, path); err != nil {
		return 0, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func (d *DB) backupSQLite(ctx context.Context, path string) (err error) {
	if strings.ContainsAny(path, "'?#\x00") {
		return errors.New("backup: the file name must not contain quotes, ? or #")
	}
	switch in, err := d.VaultKeyInDatabase(ctx); {
	case err != nil:
		return err
	case in:
		return ErrVaultKeyInDatabase
	}
	// VACUUM INTO fills an empty file it finds and keeps its mode: create it 0600.
	f, err := safefile.Create(path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(path)
			os.Remove(path + "-journal")
		}
	}()
	takenAt := d.Now()
	if _, err := d.db.ExecContext(ctx, `VACUUM INTO '`+path+`'`); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	version, err := d.schemaVersion(ctx, d.db)
	if err != nil {
		return err
	}
	cp, err := sql.Open("sqlite", "file:"+path+"?_pragma=synchronous(FULL)")
	if err != nil {
		return err
	}
	defer cp.Close()
	h := BackupHeader{Format: 1, Backend: "sqlite", SchemaVersion: version, TakenAt: takenAt.Format(time.RFC3339Nano)}
	if _, err := cp.ExecContext(ctx, `CREATE TABLE keyward_backup (format INTEGER NOT NULL, backend TEXT NOT NULL, schema_version INTEGER NOT NULL, taken_at TEXT NOT NULL);
		INSERT INTO keyward_backup VALUES (?, ?, ?, ?)`, h.Format, h.Backend, h.SchemaVersion, h.TakenAt); err != nil {
		return fmt.Errorf("backup: mark the copy: %w", err)
	}
	return cp.Close()
}

func (d *DB) schemaVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM keyward_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("backup: schema version: %w", err)
	}
	return v, nil
}

func (d *DB) dumpPostgres(ctx context.Context, path string) (err error) {
	tx, err := d.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// The first query takes the snapshot; everything below reads from it.
	version, err := d.schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	takenAt := d.Now()
	var keys int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM keyring`).Scan(&keys); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if keys > 0 {
		return ErrVaultKeyInDatabase
	}
	f, err := safefile.Create(path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer func() {
		f.Close()
		if err != nil {
			os.Remove(path)
		}
	}()
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	if err := enc.Encode(BackupHeader{Format: 1, Backend: "postgres", SchemaVersion: version, TakenAt: takenAt.Format(time.RFC3339Nano)}); err != nil {
		return err
	}
	tables, err := d.tableNames(ctx, tx)
	if err != nil {
		return err
	}
	for _, table := range tables {
		rows, err := tx.QueryContext(ctx, `SELECT * FROM `+table)
		if err != nil {
			return fmt.Errorf("backup %s: %w", table, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return err
			}
			row := map[string]any{}
			for i, c := range cols {
				row[c] = vals[i]
			}
			if err := enc.Encode(map[string]any{"table": table, "row": row}); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// tableNames lists the tables of the current schema, migrations first.
func (d *DB) tableNames(ctx context.Context, tx interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
		ORDER BY table_name <> 'keyward_migrations', table_name`)
	if err != nil {
		return nil, fmt.Errorf("backup: list tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
