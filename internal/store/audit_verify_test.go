package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/keyward/keyward/internal/audit"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
)

// sequentialVerify is verification without the pipeline: read a record,
// check it, then read the next, as VerifyAudit did before it overlapped the
// two. seen lists the records that verified, in the order they came.
func sequentialVerify(ctx context.Context, db *store.DB) (sum *store.VerifySummary, seen []int64, err error) {
	v := audit.NewVerifier()
	err = db.AuditSince(ctx, 0, func(s audit.Stored) error {
		if err := v.Add(s); err != nil {
			return err
		}
		seen = append(seen, s.Seq)
		return nil
	})
	if err != nil {
		return nil, seen, err
	}
	headSeq, headHash, err := db.AuditHead(ctx)
	if err != nil {
		return nil, seen, err
	}
	if headSeq != v.Size() || headHash != v.Last() {
		return nil, seen, &audit.BadRecord{Seq: headSeq, Reason: fmt.Sprintf("the log ends at record %d but its head says %d: records were removed from the end", v.Size(), headSeq)}
	}
	root, err := v.Root()
	if err != nil {
		return nil, seen, err
	}
	return &store.VerifySummary{Records: v.Size(), Last: v.Last(), Root: root.String()}, seen, nil
}

// TestVerifyAuditLongLog: on a log of many batches, verify answers what
// sequential verification answers (the summary, or the error naming the
// first bad record), whether the fault is read or hashed, early in a batch,
// at its end or in the last one; each sees the records that verified, in
// order; and verify returns only once its reader has let go of the database.
func TestVerifyAuditLongLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		env, db, _ := benchSetup(t, b)
		ctx := context.Background()
		if err := db.AppendAuditForTest(ctx, 5000); err != nil {
			t.Fatal(err)
		}
		sql := env.SQL()
		exec := func(q string, args ...any) {
			t.Helper()
			if err := sql.Exec(q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		// check verifies the log both ways and wants the same answer; a
		// wantBad above 0 is the seq the error must name.
		check := func(t *testing.T, wantBad int64) *store.VerifySummary {
			t.Helper()
			wantSum, wantSeen, wantErr := sequentialVerify(ctx, db)
			var seen []int64
			sum, v, err := db.VerifyAudit(ctx, func(s audit.Stored) { seen = append(seen, s.Seq) })
			if fmt.Sprint(err) != fmt.Sprint(wantErr) || reflect.TypeOf(err) != reflect.TypeOf(wantErr) {
				t.Fatalf("verify = %v, sequentially %v", err, wantErr)
			}
			var bad *audit.BadRecord
			if wantBad > 0 && (!errors.As(err, &bad) || bad.Seq != wantBad) {
				t.Fatalf("verify = %v, want a bad record at seq %d", err, wantBad)
			}
			if wantBad == 0 && (err != nil || v == nil || v.Size() != sum.Records) {
				t.Fatalf("verify = %v (verifier %v)", err, v)
			}
			if !reflect.DeepEqual(sum, wantSum) {
				t.Fatalf("summary %+v, sequentially %+v", sum, wantSum)
			}
			if !reflect.DeepEqual(seen, wantSeen) {
				t.Fatalf("each saw %d records, sequentially %d", len(seen), len(wantSeen))
			}
			for i, seq := range seen {
				if seq != int64(i+1) {
					t.Fatalf("each saw seq %d in place %d", seq, i+1)
				}
			}
			if n := db.ConnsInUseForTest(); n != 0 {
				t.Fatalf("%d connections still in use after verify", n)
			}
			return sum
		}
		n := check(t, 0).Records
		if n < 5000 {
			t.Fatalf("%d records", n)
		}

		// An edited record, early in a batch, at the end of one, in the
		// middle of the log and last of all.
		for _, seq := range []int64{2561, 2560, 2600, n} {
			t.Run(fmt.Sprint("edited ", seq), func(t *testing.T) {
				exec(`UPDATE audit_log SET action = 'bench.evil' WHERE seq = ?`, seq)
				check(t, seq)
				exec(`UPDATE audit_log SET action = 'bench.record' WHERE seq = ?`, seq)
				check(t, 0)
			})
		}
		t.Run("moved", func(t *testing.T) {
			exec(`UPDATE audit_log SET seq = seq + 100000 WHERE seq = 3000`)
			check(t, 3001) // records 3000..3000 are missing
			exec(`UPDATE audit_log SET seq = seq - 100000 WHERE seq = 103000`)
			check(t, 0)
		})
		if env.Name == "sqlite" { // only SQLite keeps a seq of 3000.5
			t.Run("unreadable", func(t *testing.T) {
				exec(`UPDATE audit_log SET seq = 3000.5 WHERE seq = 3000`)
				check(t, 3000)
				exec(`UPDATE audit_log SET seq = 3000 WHERE seq = 3000.5`)
				check(t, 0)
			})
		}
		t.Run("canceled", func(t *testing.T) {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			var seen []int64
			_, _, err := db.VerifyAudit(ctx, func(s audit.Stored) {
				seen = append(seen, s.Seq)
				if s.Seq == 2600 {
					cancel()
				}
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("verify canceled at record 2600 = %v", err)
			}
			for i, seq := range seen {
				if seq != int64(i+1) {
					t.Fatalf("each saw seq %d in place %d", seq, i+1)
				}
			}
			if len(seen) < 2600 || int64(len(seen)) == n {
				t.Fatalf("each saw %d of %d records, canceled at 2600", len(seen), n)
			}
			if n := db.ConnsInUseForTest(); n != 0 {
				t.Fatalf("%d connections still in use after verify", n)
			}
		})
		t.Run("removed from the end", func(t *testing.T) {
			exec(`DELETE FROM audit_log WHERE seq > 4000`)
			check(t, n)
		})
	})
}
