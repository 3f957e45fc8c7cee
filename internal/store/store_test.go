package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestStore runs the conformance suite on every backend.
func TestStore(t *testing.T) { storetest.Each(t, storetest.Run) }

// On PostgreSQL a check-out or check-in is one statement when it can be made,
// and writes nothing when it cannot; the generic transaction then names the
// reason, or makes the move itself for a symbol the statement cannot splice.
func TestPostgresOneStatementMove(t *testing.T) {
	env, db, a := benchSetup(t, storetest.Postgres)
	ctx := context.Background()
	holder, keys := stockKeys(t, db, a, 1)
	key := keys[0]
	records := func() int64 {
		n, err := env.SQL().Count(`SELECT COUNT(*) FROM audit_log`)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	due := env.Clock.Now().Add(time.Hour)
	move := func(action, to string, wantOK bool) {
		t.Helper()
		before := records()
		var d *time.Time
		if action == keyward.CustodyCheckout {
			d = &due
		}
		ok, err := db.OneStatementMoveForTest(ctx, a, key, action, to, d)
		if err != nil || ok != wantOK {
			t.Fatalf("%s (holder %q): ok = %v, %v; want ok = %v", action, to, ok, err, wantOK)
		}
		want := before
		if wantOK {
			want++
		}
		if got := records(); got != want {
			t.Fatalf("%s: %d audit records written, want %d", action, got-before, want-before)
		}
	}
	move(keyward.CustodyCheckin, "", false)          // in storage: nothing to check in
	move(keyward.CustodyCheckout, "hld_nope", false) // unknown holder
	move(keyward.CustodyCheckout, holder, true)
	move(keyward.CustodyCheckout, holder, false) // already out
	move(keyward.CustodyCheckin, "", true)

	// A symbol outside the stamp alphabet (only raw SQL can make one) is left
	// to the generic transaction, which still makes the move.
	if err := env.SQL().Exec(`UPDATE keys SET symbol = 'AA"1' WHERE id = '` + key + `'`); err != nil {
		t.Fatal(err)
	}
	move(keyward.CustodyCheckout, holder, false)
	if _, err := db.Custody().Checkout(ctx, a, key, keyward.CheckoutInput{HolderID: holder, DueAt: due}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.VerifyAudit(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

// Moves that arrive together on PostgreSQL run as one pipelined transaction:
// each is made or not on its own, a later move sees the earlier ones, and if
// one statement fails the batch is undone and every move runs alone.
func TestPostgresMoveBatch(t *testing.T) {
	env, db, a := benchSetup(t, storetest.Postgres)
	ctx := context.Background()
	holder, k := stockKeys(t, db, a, 2)
	records := func() int64 {
		sum, _, err := db.VerifyAudit(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		return sum.Records
	}
	due := env.Clock.Now().Add(time.Hour)
	out := func(id string) store.BatchMove {
		return store.BatchMove{KeyID: id, Action: keyward.CustodyCheckout, HolderID: holder, Due: &due}
	}
	in := func(id string) store.BatchMove { return store.BatchMove{KeyID: id, Action: keyward.CustodyCheckin} }

	before := records()
	made, errs := db.PGMoveBatchForTest(ctx, a, []store.BatchMove{out(k[0]), in(k[1]), out(k[1]), out(k[0])})
	if fmt.Sprint(made) != "[true false true false]" || fmt.Sprint(errs) != "[<nil> <nil> <nil> <nil>]" {
		t.Fatalf("made %v, errors %v; want the two check-outs made and the check-in of a stored key and the second check-out of a key not", made, errs)
	}
	if got := records(); got != before+2 {
		t.Fatalf("%d audit records written, want 2", got-before)
	}

	bad := in(k[1])
	bad.ReuseEventID = true
	made, errs = db.PGMoveBatchForTest(ctx, a, []store.BatchMove{in(k[0]), bad})
	if !made[0] || made[1] || errs[0] != nil || errs[1] == nil {
		t.Fatalf("made %v, errors %v; want the first move made alone and the failing one refused", made, errs)
	}
	if got := records(); got != before+3 {
		t.Fatalf("%d audit records written, want 3", got-before)
	}
	for i, want := range []string{keyward.StatusInStorage, keyward.StatusCheckedOut} {
		if key, err := db.Custody().Key(ctx, a, k[i]); err != nil || key.Status != want {
			t.Fatalf("key %d: %v, %v; want %s", i, key, err, want)
		}
	}
}
