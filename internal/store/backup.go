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
)

// Backup writes a consistent copy while the server runs. SQLite: VACUUM INTO,
// a complete database file. PostgreSQL: every table as JSON lines, read in one
// repeatable-read snapshot. It returns the size of the file written.
func (d *DB) Backup(ctx context.Context, path string) (int64, error) {
	if _, err := os.Stat(path); err == nil {
		return 0, fmt.Errorf("backup: %s already exists", path)
	}
	if d.dialect == sqliteDialect {
		if strings.ContainsAny(path, "'\x00") {
			return 0, errors.New("backup: the file name must not contain quotes")
		}
		if _, err := d.db.ExecContext(ctx, `VACUUM INTO '`+path+`'`); err != nil {
			return 0, fmt.Errorf("backup: %w", err)
		}
	} else if err := d.dumpPostgres(ctx, path); err != nil {
		os.Remove(path)
		return 0, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func (d *DB) dumpPostgres(ctx context.Context, path string) error {
	tx, err := d.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
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
	return f.Sync()
}

// tableNames lists the tables of the current schema, migrations first.
func (d *DB) tableNames(ctx context.Context, tx *sql.Tx) ([]string, error) {
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
