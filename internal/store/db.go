// Package store implements Keyward's service contracts on SQL: SQLite in a data
// directory by default, PostgreSQL for a postgres:// URL. Both run the same
// queries (written with ? placeholders) and the same conformance suite.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"modernc.org/sqlite"
)

// Config says where the database is and which clock to use.
type Config struct {
	// URL selects PostgreSQL when it starts with postgres:// or postgresql://.
	URL string
	// DataDir holds keyward.db when URL is empty.
	DataDir string
	// Now is the clock; tests pass one they move by hand.
	Now func() time.Time
	// Synchronous is SQLite's synchronous pragma; default FULL (durable commits).
	Synchronous string
}

type dialect int

const (
	sqliteDialect dialect = iota
	postgresDialect
)

// DB is an open Keyward database.
type DB struct {
	db      *sql.DB
	dialect dialect
	now     func() time.Time
	// Path of the SQLite file ("" for PostgreSQL).
	Path string
	// Custody moves share commits: transactions on SQLite, one-statement
	// moves on PostgreSQL (groupcommit.go).
	txMoves *committer[func(*Tx) error]
	pgMoves *committer[*pgMove]
}

// Open connects, creates the database if needed and runs the migrations.
// A database migrated by a newer binary is refused.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.Now == nil {
		return nil, errors.New("store: Config.Now is required")
	}
	d := &DB{now: cfg.Now}
	d.txMoves = &committer[func(*Tx) error]{run: d.runTxBatch}
	d.pgMoves = &committer[*pgMove]{run: d.runPGMoves}
	var err error
	switch {
	case strings.HasPrefix(cfg.URL, "postgres://") || strings.HasPrefix(cfg.URL, "postgresql://"):
		d.dialect = postgresDialect
		d.db, err = sql.Open("pgx", cfg.URL)
		if err != nil {
			return nil, err
		}
		d.db.SetMaxOpenConns(20)
		d.db.SetMaxIdleConns(20)
	case cfg.URL != "":
		return nil, fmt.Errorf("store: unsupported database URL (want postgres://…)")
	default:
		dir := cfg.DataDir
		if dir == "" {
			dir = "keyward-data"
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: data directory: %w", err)
		}
		d.Path = filepath.Join(dir, "keyward.db")
		sync := cfg.Synchronous
		if sync == "" {
			sync = "FULL"
		}
		// Immediate transactions take the write lock at BEGIN, so two writers
		// queue on busy_timeout instead of failing when one upgrades its lock.
		dsn := "file:" + d.Path + "?_txlock=immediate" +
			"&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(ON)" +
			"&_pragma=synchronous(" + sync + ")"
		conn, err := sqlite.NewConnector(dsn)
		if err != nil {
			return nil, err
		}
		d.db = sql.OpenDB(stmtCacheConnector{conn})
		d.db.SetMaxOpenConns(8)
	}
	if err := d.db.PingContext(ctx); err != nil {
		d.db.Close()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if err := d.migrate(ctx); err != nil {
		d.db.Close()
		return nil, err
	}
	return d, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Postgres reports whether the backend is PostgreSQL.
func (d *DB) Postgres() bool { return d.dialect == postgresDialect }

// Now is the store's clock.
func (d *DB) Now() time.Time { return d.now().UTC() }

// rebind turns ? placeholders into $n for PostgreSQL. Queries never contain a literal '?'.
func (d *DB) rebind(q string) string {
	if d.dialect != postgresDialect {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// Tx is a transaction with the time it started, so every row it writes agrees on "now".
type Tx struct {
	tx  *sql.Tx
	db  *DB
	now time.Time
}

func (d *DB) begin(ctx context.Context) (*Tx, error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	return &Tx{tx: tx, db: d, now: d.Now()}, nil
}

func (t *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.db.rebind(q), args...)
}

func (t *Tx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.db.rebind(q), args...)
}

func (t *Tx) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.db.rebind(q), args...)
}

func (t *Tx) Commit() error {
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

func (t *Tx) Rollback() { _ = t.tx.Rollback() }

// query helpers on the pool, for reads outside a transaction.
func (d *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return d.db.QueryContext(ctx, d.rebind(q), args...)
}

func (d *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return d.db.QueryRowContext(ctx, d.rebind(q), args...)
}

// scanCounts reads rows of (name, count), as a GROUP BY returns them, into a map.
func scanCounts(rows *sql.Rows) (map[string]int, error) {
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			return nil, err
		}
		out[name] = n
	}
	return out, rows.Err()
}

// withTx runs fn in a transaction and commits it when fn returns nil.
func (d *DB) withTx(ctx context.Context, fn func(tx *Tx) error) error {
	tx, err := d.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// inTx runs fn in a transaction and returns its value once committed.
func inTx[T any](ctx context.Context, d *DB, fn func(tx *Tx) (T, error)) (T, error) {
	var out T
	err := d.withTx(ctx, func(tx *Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// newID returns a random id with a readable prefix, e.g. key_3k9…
func newID(prefix string) string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// Times are stored as fixed-width UTC text, so they sort as strings on both backends.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTS(s string) time.Time {
	t, _ := time.Parse(timeLayout, s)
	return t
}

func nullTS(t *time.Time) sql.NullString {
	if t == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: ts(*t), Valid: true}
}

func tsPtr(s sql.NullString) *time.Time {
	if !s.Valid {
		return nil
	}
	t := parseTS(s.String)
	return &t
}

func nullStr(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// isUnique reports a unique-constraint violation on either backend.
func isUnique(err error) bool {
	if err == nil {
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == 2067 || se.Code() == 1555 // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY
	}
	return strings.Contains(err.Error(), "SQLSTATE 23505")
}

// Ping checks the database connection.
func (d *DB) Ping(ctx context.Context) error { return d.db.PingContext(ctx) }

// SharedVaultKey returns the vault key kept in the database, creating it on
// first use; several servers on one PostgreSQL agree on it. Used only when no
// KEYWARD_VAULT_KEY is configured.
func (d *DB) SharedVaultKey(ctx context.Context, generate func() string) (string, error) {
	var k string
	err := d.withTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO keyring (id, vault_key, created_at) VALUES (1, ?, ?) ON CONFLICT DO NOTHING`, generate(), ts(tx.now)); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT vault_key FROM keyring WHERE id = 1`).Scan(&k)
	})
	if err != nil {
		return "", fmt.Errorf("store: vault key: %w", err)
	}
	return k, nil
}
