package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
)

// storeKeyCode is the code the store tests seal; no column may hold it.
const storeKeyCode = "Z8W2-77KQ"

// codeFixture has the people of a key code job and one vehicle's code.
type codeFixture struct {
	*fixture
	kc                    *store.KeyCodes
	advisor, mgr, tech    keyward.Actor
	code                  *keyward.KeyCode
	fleetID, fleetVehicle string
}

func codeSetup(t *testing.T, b Backend) *codeFixture {
	t.Helper()
	f := &codeFixture{fixture: setup(t, b)}
	f.kc = f.db.KeyCodes(f.env.Vault)
	f.advisor = f.actor(t, "desk@acme.test", keyward.RoleAdvisor, "")
	f.mgr = f.actor(t, "mia@acme.test", keyward.RoleManager, "")
	f.tech = f.actor(t, "cutter@acme.test", keyward.RoleTechnician, "")
	f.code = must[*keyward.KeyCode](t)(f.kc.CreateKeyCode(ctx, f.tech, keyward.KeyCodeInput{VIN: "1M8GDM9AXKP042788", Code: storeKeyCode, Source: keyward.CodeSourceService, SourceRef: "order 7"}))
	return f
}

// job makes a request by the advisor, approved by the manager, revealed
// once by the technician; closed when close is set.
func (f *codeFixture) job(t *testing.T, codeID string, close bool) *keyward.CodeRequest {
	t.Helper()
	r := must[*keyward.CodeRequest](t)(f.kc.RequestCode(ctx, f.advisor, keyward.CodeRequestInput{KeyCodeID: codeID, Relationship: keyward.RelOwner, Reason: "keys lost"}))
	must[*keyward.CodeRequest](t)(f.kc.ApproveCode(ctx, f.mgr, r.ID))
	got := must[*keyward.RevealedCode](t)(f.kc.RevealKeyCode(ctx, f.tech, codeID, keyward.KeyCodeRevealInput{RequestID: r.ID, Reason: "cut a key"}))
	if got.Code.Reveal() != storeKeyCode {
		t.Fatalf("revealed %q", got.Code.Reveal())
	}
	if close {
		r = must[*keyward.CodeRequest](t)(f.kc.CloseCodeJob(ctx, f.tech, r.ID, keyward.CodeNoteInput{Note: "key cut"}))
	}
	return r
}

// testKeyCodeRetention: a code is kept while its job is open and while its
// vehicle is in a fleet, and disposed of RetentionDays after; disposal
// destroys the sealed value and leaves a record; no column ever holds the code.
func testKeyCodeRetention(t *testing.T, b Backend) {
	f := codeSetup(t, b)
	sql := f.env.SQL()
	if where := sql.TablesHolding(t, storeKeyCode); len(where) != 0 {
		t.Fatalf("the code is in plaintext in %v", where)
	}
	fleet := must[*keyward.Fleet](t)(f.kc.CreateFleet(ctx, f.mgr, keyward.FleetInput{Name: "Harbour Vans", AuthorizationRef: "standing order 4"}))
	must[*keyward.Fleet](t)(f.kc.AddFleetVehicle(ctx, f.mgr, fleet.ID, keyward.FleetVehicleInput{VIN: f.code.VIN}))
	open := f.job(t, f.code.ID, false)
	f.env.Clock.Advance(60 * 24 * time.Hour)
	if n, err := f.db.DisposeDueCodes(ctx); err != nil || n != 0 {
		t.Fatalf("an open job: DisposeDueCodes = %d, %v", n, err)
	}
	must[*keyward.CodeRequest](t)(f.kc.CloseCodeJob(ctx, f.tech, open.ID, keyward.CodeNoteInput{Note: "done"}))
	f.env.Clock.Advance(60 * 24 * time.Hour)
	if n, err := f.db.DisposeDueCodes(ctx); err != nil || n != 0 {
		t.Fatalf("a fleet vehicle: DisposeDueCodes = %d, %v", n, err)
	}
	k := must[*keyward.KeyCode](t)(f.kc.KeyCode(ctx, f.mgr, f.code.ID))
	if k.DisposalDue != nil || k.RetentionWords != "kept while the vehicle is in the fleet" {
		t.Fatalf("a fleet vehicle's code: due %v, %q", k.DisposalDue, k.RetentionWords)
	}
	must[*keyward.Fleet](t)(f.kc.RemoveFleetVehicle(ctx, f.mgr, fleet.ID, f.code.VIN))
	k = must[*keyward.KeyCode](t)(f.kc.KeyCode(ctx, f.mgr, f.code.ID))
	if want := f.env.Clock.Now().Add(30 * 24 * time.Hour); k.DisposalDue == nil || !k.DisposalDue.Equal(want) {
		t.Fatalf("due %v, want %v", k.DisposalDue, want)
	}
	f.env.Clock.Advance(30*24*time.Hour - time.Second)
	if n, _ := f.db.DisposeDueCodes(ctx); n != 0 {
		t.Fatal("disposed of a second early")
	}
	f.env.Clock.Advance(time.Second)
	if n, err := f.db.DisposeDueCodes(ctx); err != nil || n != 1 {
		t.Fatalf("DisposeDueCodes = %d, %v", n, err)
	}
	k = must[*keyward.KeyCode](t)(f.kc.KeyCode(ctx, f.mgr, f.code.ID))
	if k.Disposal == nil || k.Disposal.By != "Keyward (scheduler)" || k.Disposal.Rule == "" {
		t.Fatalf("disposal = %+v", k.Disposal)
	}
	if n := sql.MustCount(t, `SELECT COUNT(*) FROM key_codes WHERE id = ? AND code_sealed IS NULL`, f.code.ID); n != 1 {
		t.Fatal("the sealed code is still there")
	}
	p := must[keyward.Page[keyward.KeyCode]](t)(f.kc.Disposals(ctx, f.mgr, keyward.ListOptions{}))
	if len(p.Items) != 1 || p.Items[0].ID != f.code.ID {
		t.Fatalf("disposal report = %+v", p.Items)
	}
	_, err := f.kc.RevealKeyCode(ctx, f.tech, f.code.ID, keyward.KeyCodeRevealInput{RequestID: open.ID, Reason: "x"})
	wantCode(t, err, keyward.ECONFLICT)
	if n := sql.MustCount(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'denied.code.reveal'`); n != 1 {
		t.Fatalf("%d refused reveals recorded, want 1", n)
	}
}

// testKeyCodeDisposalOnce: several servers run the scheduler at once; each
// code is disposed of once, with one record and one audit record.
func testKeyCodeDisposalOnce(t *testing.T, b Backend) {
	f := codeSetup(t, b)
	ids := []string{f.code.ID}
	for _, vin := range []string{"11111111111111111", "1M8GDM9A1KP042788", "WVWZZZ1JZXW000001"} {
		k := must[*keyward.KeyCode](t)(f.kc.CreateKeyCode(ctx, f.tech, keyward.KeyCodeInput{VIN: vin, Code: storeKeyCode, Source: keyward.CodeSourceInternal}))
		ids = append(ids, k.ID)
	}
	for _, id := range ids {
		f.job(t, id, true)
	}
	f.env.Clock.Advance(31 * 24 * time.Hour)
	servers := []*store.DB{f.db, f.env.Open(t), f.env.Open(t)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for _, db := range servers {
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := db.DisposeDueCodes(ctx)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	sql := f.env.SQL()
	if total != len(ids) {
		t.Fatalf("servers disposed of %d codes in all, want %d", total, len(ids))
	}
	if n := sql.MustCount(t, `SELECT COUNT(*) FROM code_disposals`); n != int64(len(ids)) {
		t.Fatalf("%d disposal records, want %d", n, len(ids))
	}
	if n := sql.MustCount(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'code.dispose'`); n != int64(len(ids)) {
		t.Fatalf("%d disposal audit records, want %d", n, len(ids))
	}
	if _, _, err := f.db.VerifyAudit(ctx, nil); err != nil {
		t.Fatalf("the audit chain after concurrent disposal: %v", err)
	}
}

// testKeyCodeConcurrentReveals: an approval allowing 3 reveals allows 3,
// however many technicians ask at once.
func testKeyCodeConcurrentReveals(t *testing.T, b Backend) {
	f := codeSetup(t, b)
	r := must[*keyward.CodeRequest](t)(f.kc.RequestCode(ctx, f.advisor, keyward.CodeRequestInput{KeyCodeID: f.code.ID, Relationship: keyward.RelOwner, Reason: "keys lost"}))
	must[*keyward.CodeRequest](t)(f.kc.ApproveCode(ctx, f.mgr, r.ID))
	servers := []*store.DB{f.db, f.env.Open(t)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := servers[i%2].KeyCodes(f.env.Vault).RevealKeyCode(ctx, f.tech, f.code.ID, keyward.KeyCodeRevealInput{RequestID: r.ID, Reason: "cut"})
			mu.Lock()
			defer mu.Unlock()
			switch keyward.ErrorCode(err) {
			case "":
				ok++
			case keyward.ECONFLICT:
				refused++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok != 3 || refused != 5 {
		t.Fatalf("%d reveals, %d refused; want 3 and 5", ok, refused)
	}
	if n := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM code_reveals`); n != 3 {
		t.Fatalf("%d reveal rows", n)
	}
}
