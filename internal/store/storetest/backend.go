// Package storetest is the one conformance suite every storage backend runs:
// it uses only the store's exported API, against a real SQLite file or a real
// PostgreSQL schema.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/vault"
)

// Clock is a test clock moved by hand.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

func NewClock() *Clock { return &Clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Env is one fresh database for one test.
type Env struct {
	Name  string
	URL   string // "" for SQLite
	Dir   string
	Clock *Clock
	Vault *vault.Key

	mu  sync.Mutex
	raw *SQL // see SQL
}

// Open opens another handle on the same database, as a second server process would.
func (e *Env) Open(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{URL: e.URL, DataDir: e.Dir, Now: e.Clock.Now})
	if err != nil {
		t.Fatalf("open %s: %v", e.Name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Backend makes a fresh Env.
type Backend func(t testing.TB) *Env

// Backends are the databases every backend test runs on, each as a subtest
// named after it (Each). A new backend is added here, and only here.
var Backends = []struct {
	Name string
	New  Backend
}{{"sqlite", SQLite}, {"postgres", Postgres}}

// Each runs fn once per backend of Backends, as a subtest (or sub-benchmark)
// named after the backend.
func Each[T interface {
	testing.TB
	Run(string, func(T)) bool
}](t T, fn func(t T, b Backend)) {
	for _, be := range Backends {
		t.Run(be.Name, func(t T) { fn(t, be.New) })
	}
}

// SQLite is a database file in a temporary directory.
func SQLite(t testing.TB) *Env {
	dir := t.TempDir()
	v, err := vault.Load("", filepath.Join(dir, vault.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{Name: "sqlite", Dir: dir, Clock: NewClock(), Vault: v}
	t.Cleanup(e.closeSQL)
	return e
}

// PostgresURL is the server the PostgreSQL backend tests use. When CI is set,
// a missing server fails the tests instead of skipping them.
func PostgresURL() string {
	if u := os.Getenv("KEYWARD_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// Postgres is a fresh schema in the test database, dropped after the test.
func Postgres(t testing.TB) *Env {
	base := PostgresURL()
	admin, err := sql.Open("pgx", base)
	if err == nil {
		err = admin.Ping()
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL is required in CI (%v)", err)
		}
		t.Skipf("PostgreSQL not reachable, skipping (set CI=1 to make this fatal): %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "kwtest_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	dir := t.TempDir()
	v, err := vault.Load("", filepath.Join(dir, vault.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{Name: "postgres", URL: u.String(), Dir: dir, Clock: NewClock(), Vault: v}
	t.Cleanup(e.closeSQL)
	return e
}
