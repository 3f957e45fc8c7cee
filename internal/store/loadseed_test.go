package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestSeedLoad: a small seed writes the counts it was asked for, one audit
// record per round that verifies, histories that page by audit_seq, and the
// door listing every copy of its three symbols; a second seed, or one on a
// database with a key, is refused and says why; bad counts name the field.
func TestSeedLoad(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		env, db, a := benchSetup(t, b)
		ctx := context.Background()
		in := keyward.LoadSeedInput{Keys: 1000, Holders: 50, Events: 10_500}
		before, _, err := db.VerifyAudit(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		seed, err := db.SeedLoad(ctx, keyward.SystemActor("test"), in)
		if err != nil {
			t.Fatal(err)
		}
		if seed.Keys != 1000 || seed.Holders != 50 || seed.Events != 10_500 || seed.Records != 11 || seed.DoorKeys != 30 || seed.DoorID == "" {
			t.Fatalf("seed: %+v", seed)
		}
		q := env.SQL()
		for _, c := range []struct {
			query string
			want  int64
		}{
			{`SELECT COUNT(*) FROM keys`, 1000},
			{`SELECT COUNT(*) FROM holders`, 50},
			{`SELECT COUNT(*) FROM custody_events`, 10_500},
			{`SELECT COUNT(*) FROM custody_events WHERE action = 'create'`, 1000},
			{`SELECT COUNT(*) FROM audit_log WHERE action = 'load.seed'`, 11},
			{`SELECT COUNT(DISTINCT audit_seq) FROM custody_events`, 11},
			{`SELECT COUNT(*) FROM keys WHERE status = 'issued'`, int64(seed.Issued)},
			// Where each key ends agrees with its last line.
			{`SELECT COUNT(*) FROM keys k WHERE k.status = 'issued' AND k.holder_id <> (SELECT e.holder_id FROM custody_events e WHERE e.key_id = k.id ORDER BY e.audit_seq DESC LIMIT 1)`, 0},
		} {
			if got, err := q.Count(c.query); err != nil || got != c.want {
				t.Errorf("%s = %d (%v), want %d", c.query, got, err, c.want)
			}
		}
		if seed.Issued == 0 || seed.Issued == 1000 {
			t.Errorf("%d of 1000 keys issued: want some in storage and some out", seed.Issued)
		}
		sum, _, err := db.VerifyAudit(ctx, nil)
		if err != nil || sum.Records != before.Records+11 {
			t.Fatalf("verify after the seed: %+v %v", sum, err)
		}

		// Key 0 has 11 lines (500 keys have one more than the rest): two pages.
		p1, err := db.Custody().History(ctx, a, "key_s0", keyward.ListOptions{Limit: 6})
		if err != nil || len(p1.Items) != 6 || p1.Next == "" || p1.Items[0].Action != keyward.CustodyCreate {
			t.Fatalf("first page: %+v %v", p1, err)
		}
		p2, err := db.Custody().History(ctx, a, "key_s0", keyward.ListOptions{Limit: 6, Cursor: p1.Next})
		if err != nil || len(p2.Items) != 5 || p2.Next != "" {
			t.Fatalf("second page: %+v %v", p2, err)
		}

		acc, err := db.Schedule().Access(ctx, a, seed.DoorID)
		if err != nil || len(acc.Keys) != 30 || acc.Opening.Name != keyward.SeedDoor {
			t.Fatalf("door: %v, %d keys", err, len(acc.Keys))
		}

		_, err = db.SeedLoad(ctx, keyward.SystemActor("test"), in)
		if keyward.ErrorCode(err) != keyward.ECONFLICT || !strings.Contains(keyward.ErrorMessage(err), "already holds 1000 keys") {
			t.Fatalf("second seed: %v", err)
		}
		if n, _ := q.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'load.seed'`); n != 11 {
			t.Fatalf("the refused seed left %d seed records", n)
		}
	})
}

func TestSeedLoadRefusesAKeyAndBadCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		_, db, a := benchSetup(t, b)
		ctx := context.Background()
		_, err := db.SeedLoad(ctx, a, keyward.LoadSeedInput{Keys: 1000, Holders: 0, Events: 1000})
		if keyward.ErrorCode(err) != keyward.EINVALID || !strings.Contains(err.Error(), "holders") {
			t.Fatalf("no holders: %v", err)
		}
		stockKeys(t, db, a, 1)
		_, err = db.SeedLoad(ctx, a, keyward.LoadSeedInput{Keys: 1000, Holders: 10, Events: 2000})
		if keyward.ErrorCode(err) != keyward.ECONFLICT || !strings.Contains(keyward.ErrorMessage(err), "already holds 1 keys") {
			t.Fatalf("a database with a key: %v", err)
		}
	})
}

// TestDoorViewDoesNotWaitForWriters: while another connection holds a write
// transaction open (as a custody move does until its commit), the
// per-opening view still answers, from its snapshot. Before it read in a
// write transaction, so on SQLite it queued for the write lock and failed
// once busy_timeout ran out.
func TestDoorViewDoesNotWaitForWriters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		env, db, a := benchSetup(t, b)
		ctx := context.Background()
		seed, err := db.SeedLoad(ctx, a, keyward.LoadSeedInput{Keys: 1000, Holders: 10, Events: 2000})
		if err != nil {
			t.Fatal(err)
		}
		driver, dsn := "pgx", env.URL
		if env.URL == "" {
			driver, dsn = "sqlite", "file:"+filepath.Join(env.Dir, "keyward.db")+"?_txlock=immediate"
		}
		raw, err := sql.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		writer, err := raw.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer writer.Rollback()
		q := `UPDATE keys SET status = 'in_storage', holder_id = NULL WHERE id = 'key_s420'`
		if _, err := writer.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
		acc, err := db.Schedule().Access(ctx, a, seed.DoorID)
		if err != nil || len(acc.Keys) != 30 {
			t.Fatalf("the door view while a writer holds its transaction: %v", err)
		}
		if acc.Keys[0].ID != "key_s420" || acc.Keys[0].Status != keyward.StatusIssued {
			t.Fatalf("the view saw the writer's uncommitted change: %+v", acc.Keys[0].Key)
		}
	})
}
