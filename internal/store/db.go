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

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"modernc.org/sqlite"

	"github.com/keyward/keyward/internal/audit"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/safefile"
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
	// Custody moves share commits (groupcommit.go).
	txMoves *committer[func(*Tx) error]
}

// Open connects, creates the database if needed and runs the migrations.
// A database migrated by a newer binary is refused.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	d, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := d.migrate(ctx); err != nil {
		d.db.Close()
		return nil, err
	}
	return d, nil
}

// connect opens the database without migrating it. A SQLite file is created
// 0600 (SQLite gives its -wal and -shm the database file's mode), and one an
// earlier version made 0644 is tightened.
func connect(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.Now == nil {
		return nil, errors.New("store: Config.Now is required")
	}
	d := &DB{now: cfg.Now}
	d.txMoves = &committer[func(*Tx) error]{run: d.runTxBatch}
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
		if err := safefile.MkdirAll(dir); err != nil {
			return nil, fmt.Errorf("store: data directory: %w", err)
		}
		d.Path = filepath.Join(dir, "keyward.db")
		if err := createPrivate(d.Path); err != nil {
			return nil, fmt.Errorf("store: database file: %w", err)
		}
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
	return d, nil
}

// createPrivate makes sure the SQLite file exists with mode 0600 before SQLite
// opens it (SQLite would create it 0644 less the umask), and tightens the
// files an earlier version left readable.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	return safefile.Tighten(path, path+"-wal", path+"-shm", path+"-journal")
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
	// head is the audit chain head once this transaction has locked it
	// (record, or a custody batch first thing), so later appends skip the read.
	head *chainHead
	// unwritten are the records chained since the last flushAudit.
	unwritten []audit.Stored
	// wrote is set by every Exec: a custody batch asks whether a failed
	// move had written anything before it failed.
	wrote bool
	// flushErr is a failed flushAudit: the records are not in the log, so
	// the transaction must not commit.
	flushErr error
}

type chainHead struct {
	seq  int64
	hash string
}

func (d *DB) begin(ctx context.Context) (*Tx, error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	return &Tx{tx: tx, db: d, now: d.Now()}, nil
}

func (t *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if err := t.flushBefore(ctx, q); err != nil {
		return nil, err
	}
	t.wrote = true
	return t.tx.ExecContext(ctx, t.db.rebind(q), args...)
}

func (t *Tx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if err := t.flushBefore(ctx, q); err != nil {
		return nil, err
	}
	return t.tx.QueryContext(ctx, t.db.rebind(q), args...)
}

// QueryRow cannot return an error of its own, so a failed flush is left for
// Commit to meet again: the transaction then fails as a whole.
func (t *Tx) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	_ = t.flushBefore(ctx, q)
	return t.tx.QueryRowContext(ctx, t.db.rebind(q), args...)
}

// flushBefore writes the chained records first when q touches the log or
// its head, so a transaction always reads its own appends.
func (t *Tx) flushBefore(ctx context.Context, q string) error {
	if len(t.unwritten) == 0 || !(strings.Contains(q, "audit_log") || strings.Contains(q, "chain_head")) {
		return nil
	}
	return t.flushAudit(ctx)
}

func (t *Tx) Commit() error {
	if err := t.flushAudit(context.Background()); err != nil {
		return err
	}
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

// withReadTx runs fn in a read-only transaction: one snapshot for a view
// that reads several tables. On SQLite it begins DEFERRED, not IMMEDIATE
// as withTx does, so the view reads the WAL snapshot instead of queueing for
// the write lock behind every custody move's commit (under load that wait
// was the per-opening view's p99). On PostgreSQL it is REPEATABLE READ, so
// all its statements see the same moment.
func (d *DB) withReadTx(ctx context.Context, fn func(tx *Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if d.dialect == postgresDialect {
		opts.Isolation = sql.LevelRepeatableRead
	}
	t, err := d.db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{tx: t, db: d, now: d.Now()}
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

// isDeadlock reports a PostgreSQL deadlock (40P01) or serialization failure
// (40001): the transaction was chosen to give way and may simply run again.
func isDeadlock(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// Ping checks the database connection.
func (d *DB) Ping(ctx context.Context) error { return d.db.PingContext(ctx) }

// VaultKeyInDatabase reports whether the database still holds a vault key,
// as installations from before kept it on PostgreSQL (table keyring). Keyward
// never writes one there any more; such a key must be moved out
// (MoveVaultKeyOut) before anything seals or opens a secret.
func (d *DB) VaultKeyInDatabase(ctx context.Context) (bool, error) {
	var n int
	if err := d.queryRow(ctx, `SELECT COUNT(*) FROM keyring`).Scan(&n); err != nil {
		return false, fmt.Errorf("store: vault key: %w", err)
	}
	return n > 0, nil
}

// MoveVaultKeyOut hands the key held in the database to save (which writes
// it outside the database and must not return before it is durable), then
// deletes it with an audit record in one transaction. If save fails, the key
// stays where it was. The audit record never holds the key.
func (d *DB) MoveVaultKeyOut(ctx context.Context, a keyward.Actor, save func(key keyward.Secret) error) error {
	err := d.withTx(ctx, func(tx *Tx) error {
		lock := ""
		if d.dialect == postgresDialect {
			lock = " FOR UPDATE"
		}
		var k string
		err := tx.QueryRow(ctx, `SELECT vault_key FROM keyring WHERE id = 1`+lock).Scan(&k)
		if errors.Is(err, sql.ErrNoRows) {
			return keyward.Errorf(keyward.ENOTFOUND, "the database holds no vault key: there is nothing to move")
		}
		if err != nil {
			return fmt.Errorf("store: vault key: %w", err)
		}
		if err := save(keyward.Secret(k)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM keyring`); err != nil {
			return fmt.Errorf("store: vault key: %w", err)
		}
		_, err = tx.record(ctx, a, "vault.key_moved", "vault", "key", map[string]any{"from": "database", "to": "key file"})
		return err
	})
	if err != nil {
		return err
	}
	if d.dialect == postgresDialect {
		// Rewrite the table so the deleted row's bytes leave its data file too.
		_, _ = d.db.ExecContext(ctx, `VACUUM FULL keyring`)
	}
	return nil
}
