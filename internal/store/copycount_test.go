package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
)

// found records a copy of symbol found outside Keyward, on the keyway of
// the fixture's keys.
func (f *ksFixture) found(t *testing.T, symbol, where string) *keyward.UncontrolledCopy {
	t.Helper()
	ctx := context.Background()
	kws, err := f.db.Directory().Keyways(ctx, f.owner, keyward.ListOptions{Limit: 1})
	if err != nil || len(kws.Items) == 0 {
		t.Fatalf("keyways: %v %v", kws, err)
	}
	u, err := f.db.Duplication(f.env.Vault).RecordUncontrolled(ctx, f.manager, keyward.UncontrolledCopyInput{KeywayID: kws.Items[0].ID, Symbol: symbol, Where: where})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func sameExposure(t *testing.T, what string, copyFound, lost *keyward.LostKey) {
	t.Helper()
	if copyFound.Next != lost.Next || copyFound.SystemID != lost.SystemID || copyFound.PlanID != lost.PlanID ||
		copyFound.WorkListID != lost.WorkListID || fmt.Sprint(copyFound.Doors) != fmt.Sprint(lost.Doors) {
		t.Fatalf("%s: the copy found leads to %+v, the lost key to %+v", what, copyFound, lost)
	}
}

// TestUncontrolledCopyInKeySystem: a copy of a master key found outside
// Keyward shows the doors its bitting opens, intended and by accident, and
// leads to the key system's rekey plan, exactly as a lost copy of it does.
func TestUncontrolledCopyInKeySystem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		f := newKSFixture(t, be)
		sys, err := f.ks.CreateKeySystem(ctx, f.owner, threeLevel("HQ system"))
		if err != nil {
			t.Fatal(err)
		}
		for door, sym := range map[string]string{"Office 1": "AA1", "Office 2": "AA2", "Office 3": "AB1", "Lobby": "AA", "Storage": "AC1"} {
			f.assign(t, sys.ID, door, sym)
		}
		lost := f.lostCopy(t, "AA")
		lk := f.db.LostKeys(f.env.Vault)
		want, err := lk.LostKey(ctx, f.owner, lost.ID)
		if err != nil {
			t.Fatal(err)
		}
		u := f.found(t, "AA", "handed in at the front desk")
		if u.Exposure == nil || u.Exposure.SystemName != "HQ system" || u.Exposure.Next != keyward.NextStartPlan ||
			strings.Join(doorHows(u.Exposure), ", ") != "Lobby intended, Office 1 intended, Office 2 intended" {
			t.Fatalf("exposure of the copy found: %+v", u.Exposure)
		}
		sameExposure(t, "before the plan", u.Exposure, want)
		if _, err := lk.CreateWorkList(ctx, f.owner, keyward.WorkListInput{UncontrolledID: u.ID}); !hasRule409(err, "uncontrolled_copy_id", "must name a key outside any key system") {
			t.Fatalf("work list for a key system's symbol: %v", err)
		}

		// The next step it offers is the one a lost key's page offers: the plan for the symbol.
		plan, err := f.ks.ReportLost(ctx, f.manager, sys.ID, keyward.LostKeyInput{Symbol: "AA", Note: "a copy we never made: " + u.Where})
		if err != nil {
			t.Fatal(err)
		}
		cc, err := f.db.Duplication(f.env.Vault).CopyCount(ctx, f.owner, u.KeywayID, "AA")
		if err != nil {
			t.Fatal(err)
		}
		if want, err = lk.LostKey(ctx, f.owner, lost.ID); err != nil {
			t.Fatal(err)
		}
		if cc.Exposure == nil || cc.Exposure.Next != keyward.NextContinuePlan || cc.Exposure.PlanID != plan.ID {
			t.Fatalf("exposure with the plan open: %+v", cc.Exposure)
		}
		sameExposure(t, "with the plan open", cc.Exposure, want)
		if cc.Controlled != 1 || cc.ByStatus[keyward.StatusLost] != 1 || len(cc.Uncontrolled) != 1 {
			t.Fatalf("count of AA: %+v", cc)
		}
	})
}

// TestUncontrolledCopyWorkList: a copy found of a key outside key systems
// gets the work list a lost key gets, one door each to rekey or replace;
// once it is open, a lost copy of the same symbol continues it.
func TestUncontrolledCopyWorkList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		f := newKSFixture(t, be)
		for _, door := range []string{"Office 1", "Office 2"} {
			if _, err := f.db.Schedule().AddSymbol(ctx, f.owner, f.doors[door], keyward.SymbolInput{Symbol: "U4"}); err != nil {
				t.Fatal(err)
			}
		}
		key := f.lostCopy(t, "U4") // makes the keyway; found right away
		if _, err := f.db.Custody().Move(ctx, f.owner, key.ID, keyward.CustodyFound, keyward.CustodyInput{}); err != nil {
			t.Fatal(err)
		}
		u := f.found(t, "U4", "in a kiosk's drawer")
		if u.Exposure == nil || u.Exposure.Next != keyward.NextStartWorkList || strings.Join(doorHows(u.Exposure), ", ") != "Office 1 schedule, Office 2 schedule" {
			t.Fatalf("exposure: %+v", u.Exposure)
		}
		lk := f.db.LostKeys(f.env.Vault)
		for _, c := range []struct {
			in    keyward.WorkListInput
			field string
		}{
			{keyward.WorkListInput{UncontrolledID: "unc_nope"}, "uncontrolled_copy_id"},
			{keyward.WorkListInput{UncontrolledID: u.ID, KeyID: key.ID}, "uncontrolled_copy_id"},
		} {
			if _, err := lk.CreateWorkList(ctx, f.manager, c.in); !hasField(err, c.field) {
				t.Fatalf("work list of %+v: %v, want a 400 naming %s", c.in, err, c.field)
			}
		}
		if _, err := lk.CreateWorkList(ctx, keyward.Actor{UserID: "u_adv", Role: keyward.RoleAdvisor}, keyward.WorkListInput{UncontrolledID: u.ID}); keyward.ErrorCode(err) != keyward.EFORBIDDEN {
			t.Fatalf("an advisor makes a work list: %v", err)
		}
		wl, err := lk.CreateWorkList(ctx, f.manager, keyward.WorkListInput{UncontrolledID: u.ID, Note: "call Ace Locks"})
		if err != nil {
			t.Fatal(err)
		}
		if wl.KeyID != "" || wl.Stamp != "" || wl.Uncontrolled == nil || wl.Uncontrolled.ID != u.ID || wl.Uncontrolled.Where != "in a kiosk's drawer" ||
			wl.LostSymbol != "U4" || len(wl.Items) != 2 || wl.Status != keyward.WorkOpen {
			t.Fatalf("work list: %+v", wl)
		}
		if recs := f.auditActions(t, "worklist.create"); len(recs) != 1 || !contains(recs[0].Details, `"uncontrolled_copy_id":"`+u.ID+`"`) {
			t.Fatalf("worklist.create records: %+v", recs)
		}
		if work, _ := lk.OpenWork(ctx, f.owner); len(work) != 1 || work[0].ID != wl.ID || work[0].Stamp != "" || work[0].LostSymbol != "U4" {
			t.Fatalf("open work: %+v", work)
		}
		if _, err := lk.CreateWorkList(ctx, f.manager, keyward.WorkListInput{UncontrolledID: u.ID}); keyward.ErrorCode(err) != keyward.ECONFLICT {
			t.Fatalf("a second work list: %v", err)
		}
		// A lost copy of U4 now leads to the same open list, and a copy found again too.
		if _, err := f.db.Custody().Move(ctx, f.owner, key.ID, keyward.CustodyLost, keyward.CustodyInput{}); err != nil {
			t.Fatal(err)
		}
		got, err := lk.LostKey(ctx, f.owner, key.ID)
		if err != nil {
			t.Fatal(err)
		}
		f.env.Clock.Advance(time.Hour)
		again := f.found(t, "U4", "under the mat")
		if got.Next != keyward.NextContinueWorkList || got.WorkListID != wl.ID {
			t.Fatalf("the lost key: %+v", got)
		}
		sameExposure(t, "with the list open", again.Exposure, got)
		for _, it := range wl.Items {
			if wl, err = lk.CompleteWorkItem(ctx, f.manager, wl.ID, it.ID, keyward.ItemDoneInput{Confirm: true, Method: keyward.MethodReplace, NewKeys: []string{"U5"}}); err != nil {
				t.Fatal(err)
			}
		}
		if wl.Status != keyward.WorkDone || f.operating(t, "Office 1")[0] != "U5" {
			t.Fatalf("after the work: %+v", wl)
		}
		cc, err := f.db.Duplication(f.env.Vault).CopyCount(ctx, f.owner, u.KeywayID, "u4")
		if err != nil {
			t.Fatal(err)
		}
		if cc.Exposure == nil || cc.Exposure.Next != keyward.NextWorkListDone || len(cc.Exposure.Doors) != 0 || len(cc.Uncontrolled) != 2 || cc.Uncontrolled[0].ID != again.ID {
			t.Fatalf("after the work, U4 = %+v", cc)
		}
		if _, _, err := f.db.VerifyAudit(ctx, nil); err != nil {
			t.Fatal(err)
		}
	})
}

// Migration 0017 builds the work-list tables anew so a list may answer a
// copy found instead of a lost key: the lists and doors made before it are
// kept, their doors still belong to them, and one open list per symbol
// still holds.
func TestWorkListsMigration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		env := b(t)
		ctx := context.Background()
		if err := store.MigrateToForTest(ctx, store.Config{URL: env.URL, DataDir: env.Dir, Now: env.Clock.Now}, 16); err != nil {
			t.Fatal(err)
		}
		raw := env.SQL()
		at := "2026-03-02T09:00:00.000000000Z"
		for _, q := range []string{
			`INSERT INTO sites (id, name, created_at) VALUES ('site_1', 'HQ', '` + at + `')`,
			`INSERT INTO openings (id, site_id, name, kind, created_at) VALUES ('opn_1', 'site_1', 'Office 1', 'door', '` + at + `')`,
			`INSERT INTO keyways (id, name, duplication_policy, created_at) VALUES ('kwy_1', 'Schlage SC1', 'dnd', '` + at + `')`,
			`INSERT INTO keys (id, keyway_id, symbol, copy_number, status, created_at) VALUES ('key_1', 'kwy_1', 'U4', 1, 'lost', '` + at + `')`,
			`INSERT INTO work_lists (id, key_id, lost_symbol, status, note, created_by, created_at) VALUES ('wl_1', 'key_1', 'U4', 'open', 'call Ace', 'o', '` + at + `')`,
			`INSERT INTO work_list_items (id, list_id, seq, opening_id, done, method, new_keys, done_note, done_at, done_by) VALUES ('wli_1', 'wl_1', 1, 'opn_1', 1, 'rekey', '["U5"]', 'done', '` + at + `', 'o')`,
		} {
			if err := raw.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		env.Open(t) // migrates the rest
		if n := raw.MustCount(t, `SELECT COUNT(*) FROM work_lists WHERE id = 'wl_1' AND key_id = 'key_1' AND uncontrolled_id IS NULL AND note = 'call Ace' AND status = 'open'`); n != 1 {
			t.Fatal("the work list did not survive the migration")
		}
		if n := raw.MustCount(t, `SELECT COUNT(*) FROM work_list_items i JOIN work_lists w ON w.id = i.list_id WHERE i.id = 'wli_1' AND i.new_keys = '["U5"]' AND i.done = 1`); n != 1 {
			t.Fatal("the work list's door did not survive the migration")
		}
		for _, c := range []struct{ why, q string }{
			{"a second open list for U4", `INSERT INTO work_lists (id, key_id, lost_symbol, status, created_by, created_at) VALUES ('wl_2', 'key_1', 'U4', 'open', 'o', '` + at + `')`},
			{"a list for neither a key nor a copy found", `INSERT INTO work_lists (id, lost_symbol, status, created_by, created_at) VALUES ('wl_3', 'Q1', 'open', 'o', '` + at + `')`},
			{"a door of no list", `INSERT INTO work_list_items (id, list_id, seq, opening_id) VALUES ('wli_2', 'wl_nope', 1, 'opn_1')`},
		} {
			if err := raw.Exec(c.q); err == nil {
				t.Errorf("%s was accepted", c.why)
			}
		}
	})
}
