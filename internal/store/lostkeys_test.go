package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// operating lists the symbols that open a door now, as the door's page shows them.
func (f *ksFixture) operating(t *testing.T, door string) []string {
	t.Helper()
	acc, err := f.db.Schedule().Access(context.Background(), f.owner, f.doors[door])
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range acc.Operating {
		out = append(out, o.Symbol)
	}
	return out
}

func (f *ksFixture) lostCopy(t *testing.T, symbol string) *keyward.Key {
	t.Helper()
	ctx := context.Background()
	kws, err := f.db.Directory().Keyways(ctx, f.owner, keyward.ListOptions{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	kwID := ""
	if len(kws.Items) > 0 {
		kwID = kws.Items[0].ID
	} else {
		kw, err := f.db.Directory().CreateKeyway(ctx, f.owner, keyward.KeywayInput{Name: "SC4", DuplicationPolicy: "restricted"})
		if err != nil {
			t.Fatal(err)
		}
		kwID = kw.ID
	}
	k, err := f.db.Custody().CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: kwID, Symbol: symbol})
	if err != nil {
		t.Fatal(err)
	}
	if k, err = f.db.Custody().Move(ctx, f.owner, k.ID, keyward.CustodyLost, keyward.CustodyInput{Note: "left on the bus"}); err != nil {
		t.Fatal(err)
	}
	return k
}

func doorHows(lk *keyward.LostKey) []string {
	var out []string
	for _, d := range lk.Doors {
		out = append(out, d.OpeningName+" "+d.How)
	}
	return out
}

// TestLostMasterKey: a stamped master key reported lost shows its doors and
// the next step; its rekey plan is worked through with confirmation, each
// replaced cylinder recording its new keys, so no door is left without keys.
func TestLostMasterKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		f := newKSFixture(t, be)
		sys, err := f.ks.CreateKeySystem(ctx, f.owner, threeLevel("HQ system"))
		if err != nil {
			t.Fatal(err)
		}
		// Lobby is keyed to the master itself (a utility door); AB and AC are in use.
		for door, sym := range map[string]string{"Office 1": "AA1", "Office 2": "AA2", "Office 3": "AB1", "Lobby": "AA", "Storage": "AC1"} {
			f.assign(t, sys.ID, door, sym)
		}
		lk := f.db.LostKeys(f.env.Vault)
		if _, err := lk.LostKey(ctx, f.owner, "key_nope"); keyward.ErrorCode(err) != keyward.ENOTFOUND {
			t.Fatalf("unknown key: %v", err)
		}
		master := f.lostCopy(t, "AA")

		got, err := lk.LostKey(ctx, f.manager, master.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.SystemID != sys.ID || got.SystemName != "HQ system" || got.Next != keyward.NextStartPlan || got.PlanID != "" {
			t.Fatalf("lost master: %+v", got)
		}
		if h := doorHows(got); strings.Join(h, ", ") != "Lobby intended, Office 1 intended, Office 2 intended" {
			t.Fatalf("lost master opens %v", h)
		}
		if _, err := lk.CreateWorkList(ctx, f.owner, keyward.WorkListInput{KeyID: master.ID}); !hasRule409(err, "key_id", "must name a key outside any key system") {
			t.Fatalf("work list for a key system's key: %v", err)
		}

		plan, err := f.ks.ReportLost(ctx, f.owner, sys.ID, keyward.LostKeyInput{Symbol: "AA", KeyID: master.ID})
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, it := range plan.Items {
			kinds = append(kinds, it.Kind+" "+it.OpeningName)
		}
		if strings.Join(kinds, ", ") != "cut , rekey Lobby, replace_cylinder Office 1, replace_cylinder Office 2, reissue " {
			t.Fatalf("plan items: %v", kinds)
		}
		if it := plan.Items[1]; it.SiteName != "HQ" || !slices.Equal(it.NewKeys, []string{"AD", "A"}) {
			t.Fatalf("rekey item: %+v", it)
		}
		if got, _ = lk.LostKey(ctx, f.owner, master.ID); got.Next != keyward.NextContinuePlan || got.PlanID != plan.ID || got.PlanStatus != keyward.WorkOpen {
			t.Fatalf("after the plan started: %+v", got)
		}
		work, err := lk.OpenWork(ctx, f.manager)
		if err != nil || len(work) != 1 || work[0].Kind != keyward.OpenWorkPlan || work[0].ID != plan.ID || work[0].ItemsLeft != 5 || work[0].SystemName != "HQ system" {
			t.Fatalf("open work: %+v %v", work, err)
		}

		// Refusals name the field and change nothing.
		replace := plan.Items[2]
		audit := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM audit_log`)
		for _, c := range []struct {
			in    keyward.ItemDoneInput
			field string
		}{
			{keyward.ItemDoneInput{NewKeys: []string{"U1"}}, "confirm"},
			{keyward.ItemDoneInput{Confirm: true}, "new_keys"},
			{keyward.ItemDoneInput{Confirm: true, NewKeys: []string{"AA"}}, "new_keys[0]"},
			{keyward.ItemDoneInput{Confirm: true, NewKeys: []string{"AB1"}}, "new_keys[0]"},
		} {
			if _, err := f.ks.CompleteItem(ctx, f.owner, sys.ID, plan.ID, replace.ID, c.in); !hasField(err, c.field) {
				t.Fatalf("replace with %+v: %v, want EINVALID naming %s", c.in, err, c.field)
			}
		}
		if _, err := f.ks.CompleteItem(ctx, f.owner, sys.ID, plan.ID, plan.Items[1].ID, keyward.ItemDoneInput{Confirm: true, NewKeys: []string{"X1"}}); !hasField(err, "new_keys") {
			t.Fatalf("a rekey with keys of its own: %v", err)
		}
		if _, err := f.ks.CompleteItem(ctx, f.owner, sys.ID, plan.ID, "pli_nope", keyward.ItemDoneInput{Confirm: true}); keyward.ErrorCode(err) != keyward.ENOTFOUND {
			t.Fatalf("unknown item: %v", err)
		}
		if n := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM audit_log`); n != audit {
			t.Fatalf("refusals wrote %d audit records", n-audit)
		}
		if ops := f.operating(t, "Office 1"); !slices.Contains(ops, "AA") {
			t.Fatalf("Office 1 changed by a refused request: %v", ops)
		}

		// The work, each item confirmed; the replaced cylinders name their keys.
		for _, it := range plan.Items {
			in := keyward.ItemDoneInput{Confirm: true, Note: "done by Ace Locks"}
			if it.Kind == keyward.PlanReplaceCylinder {
				in.NewKeys = []string{" " + strings.ReplaceAll(it.OpeningName, "Office ", "OF") + " "}
			}
			if plan, err = f.ks.CompleteItem(ctx, f.owner, sys.ID, plan.ID, it.ID, in); err != nil {
				t.Fatalf("item %d: %v", it.Seq, err)
			}
		}
		if _, err := f.ks.CompleteItem(ctx, f.owner, sys.ID, plan.ID, replace.ID, keyward.ItemDoneInput{Confirm: true, NewKeys: []string{"OF9"}}); keyward.ErrorCode(err) != keyward.ECONFLICT {
			t.Fatalf("second done: %v", err)
		}
		if plan.Status != keyward.WorkDone || len(plan.LostOperates) != 0 {
			t.Fatalf("plan after the work: %+v", plan)
		}
		if it := plan.Items[2]; !it.Done || !slices.Equal(it.NewKeys, []string{"OF1"}) || it.DoneNote != "done by Ace Locks" || it.DoneBy != "owner@acme.test" {
			t.Fatalf("replaced item: %+v", it)
		}
		// No door the lost key opened is left without keys.
		for door, want := range map[string][]string{"Office 1": {"OF1"}, "Office 2": {"OF2"}, "Lobby": {"AD", "A"}} {
			if ops := f.operating(t, door); !slices.Equal(ops, want) {
				t.Errorf("%s opens with %v, want %v", door, ops, want)
			}
		}
		if _, err := f.ks.Cylinder(ctx, f.owner, sys.ID, f.doors["Office 1"]); keyward.ErrorCode(err) != keyward.ENOTFOUND {
			t.Fatalf("the replaced cylinder is still pinned in the system: %v", err)
		}
		if got, _ = lk.LostKey(ctx, f.owner, master.ID); got.Next != keyward.NextPlanDone || len(got.Doors) != 0 {
			t.Fatalf("after the work: %+v", got)
		}
		if work, _ := lk.OpenWork(ctx, f.owner); len(work) != 0 {
			t.Fatalf("open work after the plan closed: %+v", work)
		}
		recs := f.auditActions(t, "keysystem.plan_item")
		if len(recs) != 5 || !slices.ContainsFunc(recs, func(r keyward.AuditRecord) bool { return contains(r.Details, `"new_keys":["OF1"]`) }) {
			t.Fatalf("plan_item records: %+v", recs)
		}
		if _, _, err := f.db.VerifyAudit(ctx, nil); err != nil {
			t.Fatal(err)
		}
	})
}

// TestWorkList: a key outside any key system, reported lost, shows the doors
// of its keying schedule and gets a work list; each door is done when it is
// rekeyed or replaced, recording its new key in the schedule.
func TestWorkList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		f := newKSFixture(t, be)
		sched := f.db.Schedule()
		for door, syms := range map[string][]string{"Office 1": {"U4"}, "Office 2": {"U4", "X9"}, "Lobby": {"Z1"}} {
			for _, s := range syms {
				if _, err := sched.AddSymbol(ctx, f.owner, f.doors[door], keyward.SymbolInput{Symbol: s}); err != nil {
					t.Fatal(err)
				}
			}
		}
		lk := f.db.LostKeys(f.env.Vault)
		key := f.lostCopy(t, "U4")
		got, err := lk.LostKey(ctx, f.manager, key.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.SystemID != "" || got.Next != keyward.NextStartWorkList || strings.Join(doorHows(got), ", ") != "Office 1 schedule, Office 2 schedule" {
			t.Fatalf("lost U4: %+v", got)
		}

		// Who may, and bad input.
		advisor := keyward.Actor{UserID: "u_adv", Email: "advisor@acme.test", Role: keyward.RoleAdvisor}
		if _, err := lk.CreateWorkList(ctx, advisor, keyward.WorkListInput{KeyID: key.ID}); keyward.ErrorCode(err) != keyward.EFORBIDDEN {
			t.Fatalf("advisor: %v", err)
		}
		if _, err := lk.CreateWorkList(ctx, f.manager, keyward.WorkListInput{}); !hasField(err, "key_id") {
			t.Fatalf("no key: %v", err)
		}
		if _, err := lk.CreateWorkList(ctx, f.manager, keyward.WorkListInput{KeyID: "key_nope"}); !hasField(err, "key_id") {
			t.Fatalf("unknown key: %v", err)
		}

		wl, err := lk.CreateWorkList(ctx, f.manager, keyward.WorkListInput{KeyID: key.ID, Note: "call Ace Locks"})
		if err != nil {
			t.Fatal(err)
		}
		if wl.Status != keyward.WorkOpen || wl.Stamp != "U4-1" || wl.LostSymbol != "U4" || len(wl.Items) != 2 ||
			wl.Items[0].OpeningName != "Office 1" || wl.Items[1].OpeningName != "Office 2" || wl.Items[0].SiteName != "HQ" || wl.CreatedBy != "manager@acme.test" {
			t.Fatalf("work list: %+v", wl)
		}
		if _, err := lk.CreateWorkList(ctx, f.manager, keyward.WorkListInput{KeyID: key.ID}); keyward.ErrorCode(err) != keyward.ECONFLICT {
			t.Fatalf("second work list: %v", err)
		}
		if got, _ = lk.LostKey(ctx, f.owner, key.ID); got.Next != keyward.NextContinueWorkList || got.WorkListID != wl.ID {
			t.Fatalf("with its list open: %+v", got)
		}
		if work, _ := lk.OpenWork(ctx, f.owner); len(work) != 1 || work[0].Kind != keyward.OpenWorkWorkList || work[0].Stamp != "U4-1" || work[0].ItemsLeft != 2 {
			t.Fatalf("open work: %+v", work)
		}

		audit := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM audit_log`)
		item := wl.Items[0]
		for _, c := range []struct {
			in    keyward.ItemDoneInput
			field string
		}{
			{keyward.ItemDoneInput{Method: "rekey", NewKeys: []string{"U4B"}}, "confirm"},
			{keyward.ItemDoneInput{Confirm: true, NewKeys: []string{"U4B"}}, "method"},
			{keyward.ItemDoneInput{Confirm: true, Method: "paint", NewKeys: []string{"U4B"}}, "method"},
			{keyward.ItemDoneInput{Confirm: true, Method: "rekey"}, "new_keys"},
			{keyward.ItemDoneInput{Confirm: true, Method: "rekey", NewKeys: []string{"U4"}}, "new_keys[0]"},
		} {
			if _, err := lk.CompleteWorkItem(ctx, f.owner, wl.ID, item.ID, c.in); !hasField(err, c.field) {
				t.Fatalf("done with %+v: %v, want EINVALID naming %s", c.in, err, c.field)
			}
		}
		if _, err := lk.CompleteWorkItem(ctx, f.owner, wl.ID, "wli_nope", keyward.ItemDoneInput{Confirm: true}); keyward.ErrorCode(err) != keyward.ENOTFOUND {
			t.Fatalf("unknown item: %v", err)
		}
		if _, err := lk.CompleteWorkItem(ctx, f.owner, "wl_nope", item.ID, keyward.ItemDoneInput{Confirm: true}); keyward.ErrorCode(err) != keyward.ENOTFOUND {
			t.Fatalf("unknown list: %v", err)
		}
		if n := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM audit_log`); n != audit {
			t.Fatalf("refusals wrote %d audit records", n-audit)
		}
		if ops := f.operating(t, "Office 1"); !slices.Equal(ops, []string{"U4"}) {
			t.Fatalf("Office 1 changed by refused requests: %v", ops)
		}

		wl, err = lk.CompleteWorkItem(ctx, f.owner, wl.ID, item.ID, keyward.ItemDoneInput{Confirm: true, Method: "rekey", NewKeys: []string{"U4B"}, Note: "re-pinned"})
		if err != nil {
			t.Fatal(err)
		}
		if it := wl.Items[0]; !it.Done || it.Method != "rekey" || !slices.Equal(it.NewKeys, []string{"U4B"}) || it.DoneNote != "re-pinned" || wl.Status != keyward.WorkOpen {
			t.Fatalf("after the first door: %+v", wl)
		}
		if ops := f.operating(t, "Office 1"); !slices.Equal(ops, []string{"U4B"}) {
			t.Fatalf("Office 1 opens with %v, want U4B", ops)
		}
		if _, err := lk.CompleteWorkItem(ctx, f.owner, wl.ID, item.ID, keyward.ItemDoneInput{Confirm: true, Method: "rekey", NewKeys: []string{"U4C"}}); keyward.ErrorCode(err) != keyward.ECONFLICT {
			t.Fatalf("second done: %v", err)
		}
		wl, err = lk.CompleteWorkItem(ctx, f.owner, wl.ID, wl.Items[1].ID, keyward.ItemDoneInput{Confirm: true, Method: "replace", NewKeys: []string{"O2", "O2M"}})
		if err != nil {
			t.Fatal(err)
		}
		if wl.Status != keyward.WorkDone || wl.ClosedAt == nil {
			t.Fatalf("after the last door: %+v", wl)
		}
		if ops := f.operating(t, "Office 2"); !slices.Equal(ops, []string{"O2", "O2M", "X9"}) {
			t.Fatalf("Office 2 opens with %v", ops)
		}
		if got, _ = lk.LostKey(ctx, f.owner, key.ID); got.Next != keyward.NextWorkListDone || len(got.Doors) != 0 || got.WorkListStatus != keyward.WorkDone {
			t.Fatalf("after the work: %+v", got)
		}
		for status, want := range map[string]int{"": 1, keyward.WorkDone: 1, keyward.WorkOpen: 0} {
			if ls, err := lk.WorkLists(ctx, f.owner, status); err != nil || len(ls) != want {
				t.Fatalf("work lists %q: %d %v", status, len(ls), err)
			}
		}
		if _, err := lk.WorkLists(ctx, f.owner, "closed"); !hasField(err, "status") {
			t.Fatalf("bad status: %v", err)
		}
		if recs := f.auditActions(t, "worklist.item_done"); len(recs) != 2 || !contains(recs[0].Details, `"lost_symbol_removed":true`) {
			t.Fatalf("item records: %+v", recs)
		}
		if recs := f.auditActions(t, "worklist.closed"); len(recs) != 1 || !contains(recs[0].Details, `"doors_still_listing_lost":0`) {
			t.Fatalf("closed records: %+v", recs)
		}

		// A lost key no door lists: nothing to rekey. A key that is not lost has no answer.
		idle := f.lostCopy(t, "Q1")
		if got, _ := lk.LostKey(ctx, f.owner, idle.ID); got.Next != keyward.NextNothing {
			t.Fatalf("a key no door lists: %+v", got)
		}
		if _, err := lk.CreateWorkList(ctx, f.owner, keyward.WorkListInput{KeyID: idle.ID}); keyward.ErrorCode(err) != keyward.ECONFLICT {
			t.Fatalf("work list with no door: %v", err)
		}
		if _, err := f.db.Custody().Move(ctx, f.owner, idle.ID, keyward.CustodyFound, keyward.CustodyInput{}); err != nil {
			t.Fatal(err)
		}
		if _, err := lk.LostKey(ctx, f.owner, idle.ID); keyward.ErrorCode(err) != keyward.ECONFLICT {
			t.Fatalf("a found key: %v", err)
		}
		if _, _, err := f.db.VerifyAudit(ctx, nil); err != nil {
			t.Fatal(err)
		}
	})
}

func hasField(err error, field string) bool {
	e, ok := err.(*keyward.Error)
	return ok && e.Code == keyward.EINVALID && slices.ContainsFunc(e.Fields, func(f keyward.FieldError) bool { return f.Field == field })
}

func hasRule409(err error, field, rule string) bool {
	e, ok := err.(*keyward.Error)
	return ok && e.Code == keyward.ECONFLICT && slices.Contains(e.Fields, keyward.FieldError{Field: field, Rule: rule})
}
