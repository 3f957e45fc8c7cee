package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestStore runs the conformance suite on every backend.
func TestStore(t *testing.T) { storetest.Each(t, storetest.Run) }

// A move is made by one implementation on both backends: an allowed move
// writes one audit record, a refused one writes nothing, whatever the key's
// symbol holds.
func TestMoveWritesOnlyWhenMade(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		env, db, a := benchSetup(t, b)
		ctx := context.Background()
		holder, keys := stockKeys(t, db, a, 1)
		key := keys[0]
		records := func() int64 {
			sum, _, err := db.VerifyAudit(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			return sum.Records
		}
		due := env.Clock.Now().Add(time.Hour)
		move := func(action, to string, wantCode keyward.Code) {
			t.Helper()
			before := records()
			var err error
			if action == keyward.CustodyCheckout {
				_, err = db.Custody().Checkout(ctx, a, key, keyward.CheckoutInput{HolderID: to, DueAt: due})
			} else {
				_, err = db.Custody().Checkin(ctx, a, key, keyward.CheckinInput{})
			}
			if keyward.ErrorCode(err) != wantCode && !(wantCode == "" && err == nil) {
				t.Fatalf("%s (holder %q): %v, want %q", action, to, err, wantCode)
			}
			want := before
			if wantCode == "" {
				want++
			}
			if got := records(); got != want {
				t.Fatalf("%s: %d audit records written, want %d", action, got-before, want-before)
			}
		}
		move(keyward.CustodyCheckin, "", keyward.ECONFLICT)         // in storage: nothing to check in
		move(keyward.CustodyCheckout, "hld_nope", keyward.EINVALID) // unknown holder
		move(keyward.CustodyCheckout, holder, "")
		move(keyward.CustodyCheckout, holder, keyward.ECONFLICT) // already out
		move(keyward.CustodyCheckin, "", "")

		// A symbol outside the stamp alphabet (only raw SQL can make one)
		// moves like any other.
		if err := env.SQL().Exec(`UPDATE keys SET symbol = 'AA"1' WHERE id = '` + key + `'`); err != nil {
			t.Fatal(err)
		}
		move(keyward.CustodyCheckout, holder, "")
	})
}

// Moves that arrive together share one transaction on both backends: each
// is made or not on its own, a later move sees the earlier ones, and a move
// that fails after writing is undone alone.
func TestMoveBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		env, db, a := benchSetup(t, b)
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
			return store.BatchMove{KeyID: id, Req: keyward.MoveRequest{Action: keyward.CustodyCheckout, HolderID: holder, DueAt: &due}}
		}
		in := func(id string) store.BatchMove {
			return store.BatchMove{KeyID: id, Req: keyward.MoveRequest{Action: keyward.CustodyCheckin}}
		}
		codes := func(errs []error) string {
			var s []string
			for _, err := range errs {
				s = append(s, string(keyward.ErrorCode(err)))
			}
			return fmt.Sprint(s)
		}

		before := records()
		errs := db.MoveBatchForTest(a, []store.BatchMove{out(k[0]), in(k[1]), out(k[1]), out(k[0])})
		if errs[0] != nil || errs[2] != nil || keyward.ErrorCode(errs[1]) != keyward.ECONFLICT || keyward.ErrorCode(errs[3]) != keyward.ECONFLICT {
			t.Fatalf("errors %v (%s); want the two check-outs made, the check-in of a stored key and the second check-out of a key refused", errs, codes(errs))
		}
		if got := records(); got != before+2 {
			t.Fatalf("%d audit records written, want 2", got-before)
		}

		bad := in(k[1])
		bad.Fail = true
		errs = db.MoveBatchForTest(a, []store.BatchMove{in(k[0]), bad, out(k[0])})
		if errs[0] != nil || errs[1] == nil || errs[2] != nil {
			t.Fatalf("errors %v; want the moves around the failing one made and the failing one undone", errs)
		}
		// records verifies the chain: the move after the undone one
		// appended to the chain as it was before it.
		if got := records(); got != before+4 {
			t.Fatalf("%d audit records written, want 4", got-before)
		}
		for i, want := range []string{keyward.StatusCheckedOut, keyward.StatusCheckedOut} {
			if key, err := db.Custody().Key(ctx, a, k[i]); err != nil || key.Status != want {
				t.Fatalf("key %d: %v, %v; want %s", i, key, err, want)
			}
		}

		// A move picked as a deadlock victim fails the batch uncommitted,
		// and the whole batch runs again: the moves before it are made
		// once, and every caller hears that its move was made.
		victim := in(k[1])
		victim.DeadlockOnce = true
		errs = db.MoveBatchForTest(a, []store.BatchMove{in(k[0]), victim})
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("errors %v; want both moves made on the second try", errs)
		}
		if got := records(); got != before+6 {
			t.Fatalf("%d audit records written, want 6", got-before)
		}

		// A move that reads the log sees its own record (the batch's records
		// are written before the read); when it then fails, the records of
		// the move before it, written during it, are undone with it and
		// written again at the commit.
		reader := out(k[0])
		reader.ReadsLog = true
		errs = db.MoveBatchForTest(a, []store.BatchMove{out(k[1]), reader})
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("errors %v; want both moves made, the second reading its own record", errs)
		}
		reader = in(k[0])
		reader.ReadsLog, reader.Fail = true, true
		errs = db.MoveBatchForTest(a, []store.BatchMove{in(k[1]), reader, in(k[1])})
		if errs[0] != nil || errs[1] == nil || keyward.ErrorCode(errs[2]) != keyward.ECONFLICT {
			t.Fatalf("errors %v; want the first check-in made, the reading move undone, the second check-in of k1 refused", errs)
		}
		if got := records(); got != before+9 {
			t.Fatalf("%d audit records written, want 9", got-before)
		}
		if key, err := db.Custody().Key(ctx, a, k[0]); err != nil || key.Status != keyward.StatusCheckedOut {
			t.Fatalf("key 0 after its undone check-in: %v, %v; want still checked out", key, err)
		}
	})
}

// A move planned before it queues (PostgreSQL's batches) is made only if the
// key's status and holder, its home and the recipient's standing are as the
// plan found them; otherwise nothing is written, and the move decided again
// meets the rule the change brought.
func TestMovePlannedAheadIsCheckedInTheBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		env, db, a := benchSetup(t, b)
		ctx := context.Background()
		holder, k := stockKeys(t, db, a, 4)
		due := env.Clock.Now().Add(time.Hour)
		checkout := keyward.MoveRequest{Action: keyward.CustodyCheckout, HolderID: holder, DueAt: &due}
		records := func() int64 {
			sum, _, err := db.VerifyAudit(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			return sum.Records
		}
		status := func(id string) string {
			key, err := db.Custody().Key(ctx, a, id)
			if err != nil {
				t.Fatal(err)
			}
			return key.Status
		}
		place, err := db.Storage(env.Vault).Create(ctx, a, keyward.StorageInput{Kind: keyward.StorageCabinet, Name: "Front desk", Hooks: 10})
		if err != nil {
			t.Fatal(err)
		}

		stale := []struct {
			name    string
			key     string
			between func()
		}{
			{"the key was put on a hook", k[0], func() {
				if _, err := db.Storage(env.Vault).Assign(ctx, a, place.ID, keyward.HookInput{KeyID: k[0], Hook: 1}); err != nil {
					t.Fatal(err)
				}
			}},
			{"another move took the key", k[1], func() {
				if _, err := db.Custody().Checkout(ctx, a, k[1], keyward.CheckoutInput{HolderID: holder, DueAt: due}); err != nil {
					t.Fatal(err)
				}
			}},
		}
		for _, c := range stale {
			before := records()
			made, err := db.PlanAheadForTest(a, c.key, checkout, c.between)
			if err != nil || made {
				t.Fatalf("%s: made %v, %v; want the stale plan not made", c.name, made, err)
			}
			if got := records(); got != before+1 {
				t.Fatalf("%s: %d audit records, want only the change's own", c.name, got-before)
			}
		}
		if status(k[0]) != keyward.StatusInStorage {
			t.Fatalf("key 0 is %s after a stale plan, want in storage", status(k[0]))
		}

		// Checked in and out again to the same holder: the status and holder
		// are as the plan found them, the due time is not, and a transfer
		// would have written the old one.
		other, err := db.Directory().CreateHolder(ctx, a, keyward.HolderInput{Name: "Other", Email: "other@bench.test"})
		if err != nil {
			t.Fatal(err)
		}
		later := due.Add(24 * time.Hour)
		made, err := db.PlanAheadForTest(a, k[1], keyward.MoveRequest{Action: keyward.CustodyTransfer, HolderID: other.ID}, func() {
			if _, err := db.Custody().Checkin(ctx, a, k[1], keyward.CheckinInput{}); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Custody().Checkout(ctx, a, k[1], keyward.CheckoutInput{HolderID: holder, DueAt: later}); err != nil {
				t.Fatal(err)
			}
		})
		if key, _ := db.Custody().Key(ctx, a, k[1]); err != nil || made || key.HolderID != holder || key.DueAt == nil || !key.DueAt.Equal(later) {
			t.Fatalf("transfer planned before a check-in and a new check-out: made %v, %v, key %+v; want not made, due %s kept", made, err, key, later)
		}

		made, err = db.PlanAheadForTest(a, k[2], checkout, func() {
			if _, err := db.Offboarding().Start(ctx, a, holder, keyward.OffboardingInput{}); err != nil {
				t.Fatal(err)
			}
		})
		if err != nil || made || status(k[2]) != keyward.StatusInStorage {
			t.Fatalf("plan made before the holder began leaving: made %v, %v, key %s; want not made", made, err, status(k[2]))
		}
		if _, err := db.Custody().Checkout(ctx, a, k[2], keyward.CheckoutInput{HolderID: holder, DueAt: due}); keyward.ErrorCode(err) == "" || err == nil {
			t.Fatalf("check-out to a leaving holder decided again: %v, want refused", err)
		}

		made, err = db.PlanAheadForTest(a, k[3], keyward.MoveRequest{Action: keyward.CustodyLost}, func() {})
		if err != nil || !made || status(k[3]) != keyward.StatusLost {
			t.Fatalf("plan with nothing changed: made %v, %v, key %s; want lost", made, err, status(k[3]))
		}
	})
}

// On PostgreSQL a move that PostgreSQL picks as a deadlock victim runs again
// instead of failing. Here another transaction holds the key's row while the
// move waits for it, then asks for the audit chain head the move's batch
// holds. PostgreSQL aborts the one whose deadlock check runs first: normally
// the move, whose wait is older; it runs again once the other transaction
// commits, and is made. On a busy machine the other transaction is sometimes
// the one checked first and aborted; then the round is played again.
func TestPostgresMoveRetriesDeadlock(t *testing.T) {
	env, db, a := benchSetup(t, storetest.Postgres)
	ctx := context.Background()
	holder, keys := stockKeys(t, db, a, 1)
	raw, err := sql.Open("pgx", env.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for round := 1; ; round++ {
		moveWasVictim := deadlockRound(t, db, raw, a, env.Clock.Now().Add(time.Hour), holder, keys[0])
		if k, err := db.Custody().Key(ctx, a, keys[0]); err != nil || k.Status != keyward.StatusCheckedOut {
			t.Fatalf("key after the move: %v, %v", k, err)
		}
		if _, _, err := db.VerifyAudit(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if moveWasVictim {
			return
		}
		if round == 5 {
			t.Fatal("in 5 rounds PostgreSQL never made the move give way")
		}
		if _, err := db.Custody().Checkin(ctx, a, keys[0], keyward.CheckinInput{}); err != nil {
			t.Fatal(err)
		}
	}
}

// deadlockRound checks key out while another transaction makes a deadlock
// with it; it reports whether the move was the transaction PostgreSQL
// aborted. The check-out must be made either way.
func deadlockRound(t *testing.T, db *store.DB, raw *sql.DB, a keyward.Actor, due time.Time, holder, key string) (moveWasVictim bool) {
	ctx := context.Background()
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`UPDATE keys SET status = status WHERE id = $1`, key); err != nil {
		t.Fatal(err)
	}
	var pid int
	if err := tx.QueryRow(`SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := db.Custody().Checkout(ctx, a, key, keyward.CheckoutInput{HolderID: holder, DueAt: due})
		done <- err
	}()
	// Wait until the move waits for the key row.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var n int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)) AND query LIKE '%UPDATE keys SET status = $1%'`, pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the move never waited for the key row")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, err = tx.Exec(`SELECT seq FROM chain_head WHERE id = 1 FOR UPDATE`)
	switch {
	case err == nil:
		moveWasVictim = true
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	case strings.Contains(err.Error(), "40P01"):
		tx.Rollback()
	default:
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("move: %v", err)
	}
	return moveWasVictim
}
