package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func openSQLiteForTest(t *testing.T) *DB {
	t.Helper()
	d, err := Open(context.Background(), Config{DataDir: t.TempDir(), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// cachedOn reports how many statements the connection behind c has cached.
func cachedOn(t *testing.T, ctx context.Context, d *DB, run func(q func(string, ...any) []string)) int {
	t.Helper()
	c, err := d.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	run(func(q string, args ...any) []string {
		rows, err := c.QueryContext(ctx, q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	})
	n := 0
	if err := c.Raw(func(dc any) error {
		n = len(dc.(*stmtCacheConn).stmts)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// A statement is prepared once per connection and reused; running it again
// while its rows are still open gets a statement of its own, so neither
// reader sees the other's rows.
func TestStmtCacheReuseAndNesting(t *testing.T) {
	ctx := context.Background()
	d := openSQLiteForTest(t)
	for i := range 3 {
		if _, err := d.db.ExecContext(ctx, `INSERT INTO sites (id, name, created_at) VALUES (?, ?, '')`, fmt.Sprint("s", i), fmt.Sprint("Site ", i)); err != nil {
			t.Fatal(err)
		}
	}
	const q = `SELECT name FROM sites WHERE id >= ? ORDER BY id`
	var nested [][]string
	d.db.SetMaxOpenConns(1) // one connection, so its cache can be counted
	base := cachedOn(t, ctx, d, func(func(string, ...any) []string) {})
	n := cachedOn(t, ctx, d, func(query func(string, ...any) []string) {
		if got := query(q, "s0"); len(got) != 3 {
			t.Fatalf("first run: %v", got)
		}
		if got := query(q, "s1"); fmt.Sprint(got) != "[Site 1 Site 2]" {
			t.Fatalf("cached run with new arguments: %v", got)
		}
	})
	if n != base+1 {
		t.Fatalf("%d statements cached for one query, want 1", n-base)
	}

	// Nested: the outer rows stay open while the same query runs inside.
	c, err := d.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	outer, err := c.QueryContext(ctx, q, "s0")
	if err != nil {
		t.Fatal(err)
	}
	for outer.Next() {
		var name string
		if err := outer.Scan(&name); err != nil {
			t.Fatal(err)
		}
		inner, err := c.QueryContext(ctx, q, "s2")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for inner.Next() {
			var s string
			inner.Scan(&s)
			got = append(got, s)
		}
		inner.Close()
		nested = append(nested, append([]string{name}, got...))
	}
	if err := outer.Close(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(nested) != "[[Site 0 Site 2] [Site 1 Site 2] [Site 2 Site 2]]" {
		t.Fatalf("nested runs of one statement = %v", nested)
	}
}

// The cache is bounded, statements beyond the bound still run, and a cached
// statement follows a schema change.
func TestStmtCacheBoundAndSchemaChange(t *testing.T) {
	ctx := context.Background()
	d := openSQLiteForTest(t)
	d.db.SetMaxOpenConns(1)
	n := cachedOn(t, ctx, d, func(query func(string, ...any) []string) {
		for i := range maxCachedStmts + 20 {
			if got := query(fmt.Sprintf(`SELECT '%d'`, i)); len(got) != 1 || got[0] != fmt.Sprint(i) {
				t.Fatalf("query %d = %v", i, got)
			}
		}
	})
	if n != maxCachedStmts {
		t.Fatalf("%d statements cached, want the bound %d", n, maxCachedStmts)
	}

	const q = `SELECT * FROM keyring`
	if _, err := d.db.ExecContext(ctx, `INSERT INTO keyring (id, vault_key, created_at) VALUES (1, 'k', 'now')`); err != nil {
		t.Fatal(err)
	}
	cols := func() int {
		rows, err := d.db.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		c, _ := rows.Columns()
		return len(c)
	}
	before := cols()
	if _, err := d.db.ExecContext(ctx, `ALTER TABLE keyring ADD COLUMN note TEXT`); err != nil {
		t.Fatal(err)
	}
	if after := cols(); after != before+1 {
		t.Fatalf("after ALTER TABLE the cached statement returns %d columns, want %d", after, before+1)
	}
}
