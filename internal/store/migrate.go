package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// Migrations are embedded, ordered by their number and append-only: a change
// to the schema is a new file, never an edit. The SQL is portable, so one
// directory serves both backends.
//
//go:embed migrations/*.sql
var migrations embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, p := range entries {
		base := strings.TrimPrefix(p, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: migration %s: name must start with a number", base)
		}
		b, err := migrations.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migration %s: expected number %d", m.name, i+1)
		}
	}
	return out, nil
}

// SchemaVersion is the number of migrations this binary knows.
func SchemaVersion() int {
	ms, _ := loadMigrations()
	return len(ms)
}

// migrate applies the missing migrations, one transaction per file. Several
// servers starting at once on PostgreSQL serialize on an advisory lock.
func (d *DB) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	if _, err := d.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS keyward_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		// Two PostgreSQL servers racing on CREATE TABLE IF NOT EXISTS can collide; the loser retries below.
		if !isUnique(err) {
			return fmt.Errorf("store: migrations table: %w", err)
		}
	}
	for _, m := range ms {
		if err := d.applyMigration(ctx, m, len(ms)); err != nil {
			return err
		}
	}
	return nil
}

func (d *DB) applyMigration(ctx context.Context, m migration, known int) error {
	tx, err := d.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if d.dialect == postgresDialect {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7203311)`); err != nil {
			return fmt.Errorf("store: migration lock: %w", err)
		}
	}
	var latest int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM keyward_migrations`).Scan(&latest); err != nil {
		return fmt.Errorf("store: read schema version: %w", err)
	}
	if latest > known {
		return fmt.Errorf("store: the database has schema version %d but this keyward knows only %d: upgrade keyward", latest, known)
	}
	if m.version <= latest {
		return nil
	}
	if _, err := tx.Exec(ctx, m.sql); err != nil {
		return fmt.Errorf("store: migration %s: %w", m.name, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO keyward_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, ts(tx.now)); err != nil {
		return fmt.Errorf("store: record migration %s: %w", m.name, err)
	}
	return tx.Commit()
}
