package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/audit"
	"github.com/keyward/keyward/internal/keyward"
)

// SQL is a raw connection to a test database, beside the store's own: tests
// use it to look at rows and to tamper with them behind the store's back.
// Queries are written with ? placeholders, as the store writes them.
type SQL struct {
	db       *sql.DB
	postgres bool
}

// OpenSQL opens a raw connection to the database the store opens for url
// (PostgreSQL) or, when url is "", the SQLite file in the data directory dir.
// It is closed when the test ends.
func OpenSQL(t testing.TB, url, dir string) *SQL {
	t.Helper()
	s, err := openSQL(url, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.db.Close() })
	return s
}

func openSQL(url, dir string) (*SQL, error) {
	if url != "" {
		db, err := sql.Open("pgx", url)
		return &SQL{db: db, postgres: true}, err
	}
	// Like the store: writers take the lock at BEGIN and queue on busy_timeout.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "keyward.db")+
		"?_txlock=immediate&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)")
	return &SQL{db: db}, err
}

// SQL is the raw connection to the Env's database, opened on first use and
// closed with the Env.
func (e *Env) SQL() *SQL {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.raw == nil {
		s, err := openSQL(e.URL, e.Dir)
		if err != nil {
			panic(err) // sql.Open fails only for an unknown driver
		}
		e.raw = s
	}
	return e.raw
}

// closeSQL closes the raw connection, if one was opened.
func (e *Env) closeSQL() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.raw != nil {
		e.raw.db.Close()
		e.raw = nil
	}
}

// bind rewrites ? placeholders for PostgreSQL.
func (s *SQL) bind(q string) string {
	if !s.postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Exec runs one statement. Placeholders are rewritten only when args are given.
func (s *SQL) Exec(q string, args ...any) error {
	if len(args) > 0 {
		q = s.bind(q)
	}
	_, err := s.db.ExecContext(context.Background(), q, args...)
	return err
}

// Count runs a query that answers one integer: a COUNT(*), a seq.
func (s *SQL) Count(q string, args ...any) (int64, error) {
	var n int64
	if len(args) > 0 {
		q = s.bind(q)
	}
	err := s.db.QueryRowContext(context.Background(), q, args...).Scan(&n)
	return n, err
}

// Query runs a query that answers rows; the caller closes them.
func (s *SQL) Query(q string, args ...any) (*sql.Rows, error) {
	if len(args) > 0 {
		q = s.bind(q)
	}
	return s.db.QueryContext(context.Background(), q, args...)
}

// MustCount is Count for a test: a query that fails fails the test, so a
// check like "no row leaks a secret" cannot pass because the query broke.
func (s *SQL) MustCount(t testing.TB, q string, args ...any) int64 {
	t.Helper()
	n, err := s.Count(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// AppendAudit appends one audit record at the head of the chain, hashed and
// linked as the store links its own (audit.ChainHash), in one transaction:
// the test stands in for a command that records itself, such as a restore.
// It returns the record's seq.
func (s *SQL) AppendAudit(at time.Time, a keyward.Actor, action, subjectType, subjectID string, details map[string]any) (int64, error) {
	if details == nil {
		details = map[string]any{}
	}
	d, err := json.Marshal(details)
	if err != nil {
		return 0, err
	}
	actor := a.Email
	if actor == "" {
		actor = a.UserID
	}
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	lock := ""
	if s.postgres {
		lock = " FOR UPDATE"
	}
	var seq int64
	var prev string
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM chain_head WHERE id = 1`+lock).Scan(&seq, &prev); err != nil {
		return 0, err
	}
	id := make([]byte, 10)
	_, _ = rand.Read(id)
	r := audit.Record{Seq: seq + 1, ID: "aud_" + hex.EncodeToString(id), At: at.UTC(), Actor: actor, ActorRole: string(a.Role),
		Action: action, SubjectType: subjectType, SubjectID: subjectID, Details: string(d)}
	h := audit.ChainHash(prev, r)
	if _, err := tx.ExecContext(ctx, s.bind(`INSERT INTO audit_log (seq, id, at, actor, actor_role, action, subject_type, subject_id, details, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), r.Seq, r.ID, r.At.Format(timeLayout), r.Actor, r.ActorRole, r.Action, r.SubjectType, r.SubjectID, r.Details, prev, h); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, s.bind(`UPDATE chain_head SET seq = ?, hash = ?, prev_hash = ? WHERE id = 1`), r.Seq, h, prev); err != nil {
		return 0, err
	}
	return r.Seq, tx.Commit()
}

// timeLayout is how the store writes times: fixed-width UTC text.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// TablesHolding greps the whole database: it reads every row of every table
// and returns the tables with a value whose text contains needle. A test
// that keeps a secret off the disk asks it for the secret and wants none.
func (s *SQL) TablesHolding(t testing.TB, needle string) []string {
	t.Helper()
	ctx := context.Background()
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if s.postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) == 0 {
		t.Fatal("the database has no tables to search")
	}
	var out []string
	for _, table := range tables {
		rows, err := s.db.QueryContext(ctx, `SELECT * FROM `+table)
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		found := false
		for rows.Next() && !found {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("scan %s: %v", table, err)
			}
			for _, v := range vals {
				if strings.Contains(string(v), needle) {
					found = true
					break
				}
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		rows.Close()
		if found {
			out = append(out, table)
		}
	}
	return out
}
