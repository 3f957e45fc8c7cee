package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestStorageRules: storage cannot contradict itself, on every backend. Only
// a key in storage gets a home; a sealed envelope is never opened without a
// new seal, whether a key is put in, taken out, checked out or checked in;
// and a refusal leaves nothing behind: no home, no logbook line, no audit
// record, no changed seal or key.
func TestStorageRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		for _, tc := range []struct {
			name string
			fn   func(*testing.T, *storageFixture)
		}{
			{"OnlyKeysInStorage", testOnlyKeysInStorage},
			{"DesignatedHolderRules", testDesignatedHolderRules},
			{"EnvelopeAssign", testEnvelopeAssign},
			{"EnvelopeCustody", testEnvelopeCustody},
			{"AssignRacesCheckout", testAssignRacesCheckout},
		} {
			t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStorageFixture(t, b)) })
		}
	})
}

// snapshot is everything a refused storage change must leave as it was.
func (f *storageFixture) snapshot(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "audit=%d homes=%d storage_events=%d custody_events=%d",
		f.audit(t), f.count(t, `SELECT COUNT(*) FROM key_homes`), f.count(t, `SELECT COUNT(*) FROM storage_events`),
		f.count(t, `SELECT COUNT(*) FROM custody_events`))
	places, err := f.st.Places(context.Background(), f.owner, "", "", keyward.ListOptions{IncludeRetired: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range places.Items {
		fmt.Fprintf(&b, " %s:%s", p.Name, p.SealNumber)
	}
	keys, err := f.db.Custody().Keys(context.Background(), f.owner, keyward.KeyFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys.Items {
		fmt.Fprintf(&b, " %s:%s:%s", k.Stamp, k.Status, k.HolderID)
	}
	return b.String()
}

// refused runs a change that must be refused with code, naming field (if
// any) and saying msg, and checks that it left nothing behind.
func (f *storageFixture) refused(t *testing.T, code keyward.Code, field, msg string, change func() error) {
	t.Helper()
	before := f.snapshot(t)
	err := change()
	e := wantCode(t, err, code)
	text := e.Message
	if field != "" {
		named := false
		for _, fe := range e.Fields {
			if fe.Field == field {
				named, text = true, text+" "+fe.Rule
			}
		}
		if !named {
			t.Fatalf("%v does not name %s", err, field)
		}
	}
	if !strings.Contains(text, msg) {
		t.Fatalf("%q does not say %q", text, msg)
	}
	if after := f.snapshot(t); after != before {
		t.Fatalf("a refused change left something behind:\nbefore %s\nafter  %s", before, after)
	}
}

func (f *storageFixture) place(t *testing.T, in keyward.StorageInput) *keyward.StoragePlace {
	t.Helper()
	p, err := f.st.Create(context.Background(), f.owner, in)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *storageFixture) seal(t *testing.T, id string) string {
	t.Helper()
	p, err := f.st.Place(context.Background(), f.owner, id)
	if err != nil {
		t.Fatal(err)
	}
	return p.SealNumber
}

// lastEvents returns the actions and notes of a place's last n logbook lines.
func (f *storageFixture) lastEvents(t *testing.T, id string, n int) []string {
	t.Helper()
	evs := f.events(t, id)
	if len(evs) < n {
		t.Fatalf("%d events, want at least %d", len(evs), n)
	}
	var out []string
	for _, e := range evs[len(evs)-n:] {
		out = append(out, e.Action+" "+e.Note)
	}
	return out
}

func testOnlyKeysInStorage(t *testing.T, f *storageFixture) {
	ctx := context.Background()
	cus := f.db.Custody()
	cab := f.place(t, keyward.StorageInput{Kind: "cabinet", Name: "Cabinet A", Hooks: 20})
	env := f.place(t, keyward.StorageInput{Kind: "envelope", Name: "Spare keys", SealNumber: "4471"})
	box := f.place(t, keyward.StorageInput{Kind: "lockbox", Name: "Gate lockbox", Code: "2468"})
	issued, out, lost, gone := f.key(t, "AA1"), f.key(t, "AA2"), f.key(t, "AA3"), f.key(t, "AA4")
	if _, err := cus.Move(ctx, f.owner, issued.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: f.holder.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := cus.Checkout(ctx, f.owner, out.ID, keyward.CheckoutInput{HolderID: f.holder2.ID, DueAt: f.env.Clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := cus.Move(ctx, f.owner, lost.ID, keyward.CustodyLost, keyward.CustodyInput{Note: "left on the bus"}); err != nil {
		t.Fatal(err)
	}
	if _, err := cus.Move(ctx, f.owner, gone.ID, keyward.CustodyDestroy, keyward.CustodyInput{}); err != nil {
		t.Fatal(err)
	}
	hook := func(k *keyward.Key) func() error {
		return func() error {
			_, err := f.st.Assign(ctx, f.owner, cab.ID, keyward.HookInput{KeyID: k.ID, Hook: 12})
			return err
		}
	}
	f.refused(t, keyward.ECONFLICT, "key_id", "Key AA1-1 is issued to Dana Ruiz: return it to storage before you hang it on a hook.", hook(issued))
	f.refused(t, keyward.ECONFLICT, "key_id", "Key AA2-1 is checked out to Sam Okafor: check it in before you hang it on a hook.", hook(out))
	f.refused(t, keyward.ECONFLICT, "key_id", "Key AA3-1 is reported lost: mark it found before you hang it on a hook.", hook(lost))
	f.refused(t, keyward.ECONFLICT, "key_id", "Key AA4-1 was destroyed", hook(gone))
	f.refused(t, keyward.ECONFLICT, "key_id", "check it in before you seal it in an envelope", func() error {
		_, err := f.st.Assign(ctx, f.owner, env.ID, keyward.HookInput{KeyID: out.ID, NewSealNumber: "4472", Reason: "spare"})
		return err
	})
	f.refused(t, keyward.ECONFLICT, "key_id", "return it to storage before you put it in a lockbox", func() error {
		_, err := f.st.Assign(ctx, f.owner, box.ID, keyward.HookInput{KeyID: issued.ID})
		return err
	})
	// Back in storage, the same key goes on the hook; checked out again it
	// keeps its hook, reserved for its return, and cannot be moved meanwhile.
	if _, err := cus.Checkin(ctx, f.owner, out.ID, keyward.CheckinInput{}); err != nil {
		t.Fatal(err)
	}
	if err := hook(out)(); err != nil {
		t.Fatalf("a key in storage on a hook: %v", err)
	}
	if _, err := cus.Checkout(ctx, f.owner, out.ID, keyward.CheckoutInput{HolderID: f.holder2.ID, DueAt: f.env.Clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if h, _ := f.st.KeyHome(ctx, f.owner, out.ID); h == nil || h.Hook != 12 {
		t.Fatalf("a checked-out key lost its hook: %+v", h)
	}
	f.refused(t, keyward.ECONFLICT, "key_id", "check it in before you hang it on a hook", func() error {
		_, err := f.st.Assign(ctx, f.owner, cab.ID, keyward.HookInput{KeyID: out.ID, Hook: 13})
		return err
	})
	// Its home can still be taken away: nothing is opened, since it is out.
	if err := f.st.Unassign(ctx, f.owner, out.ID, keyward.ResealInput{}); err != nil {
		t.Fatal(err)
	}
	// A retired place takes no key.
	if _, err := f.st.Retire(ctx, f.owner, box.ID); err != nil {
		t.Fatal(err)
	}
	stored := f.key(t, "AA5")
	f.refused(t, keyward.ECONFLICT, "", "Gate lockbox is retired", func() error {
		_, err := f.st.Assign(ctx, f.owner, box.ID, keyward.HookInput{KeyID: stored.ID})
		return err
	})
}

func testDesignatedHolderRules(t *testing.T, f *storageFixture) {
	ctx := context.Background()
	spare := f.place(t, keyward.StorageInput{Kind: "holder", Name: "Neighbour spare", HolderID: f.holder.ID})
	k := f.key(t, "AA1")
	// Issued to the designated holder herself, it is hers to use, not kept.
	if _, err := f.db.Custody().Move(ctx, f.owner, k.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: f.holder.ID}); err != nil {
		t.Fatal(err)
	}
	f.refused(t, keyward.ECONFLICT, "key_id", "Key AA1-1 is issued to Dana Ruiz: return it to storage before you give it to a designated holder to keep.", func() error {
		_, err := f.st.Assign(ctx, f.owner, spare.ID, keyward.HookInput{KeyID: k.ID})
		return err
	})
	// A keeper who is leaving takes no key to keep.
	if _, err := f.db.Offboarding().Start(ctx, f.owner, f.holder.ID, keyward.OffboardingInput{}); err != nil {
		t.Fatal(err)
	}
	k2 := f.key(t, "AA2")
	f.refused(t, keyward.ECONFLICT, "", "Dana Ruiz, who keeps Neighbour spare, is being offboarded", func() error {
		_, err := f.st.Assign(ctx, f.owner, spare.ID, keyward.HookInput{KeyID: k2.ID})
		return err
	})
}

func testEnvelopeAssign(t *testing.T, f *storageFixture) {
	ctx := context.Background()
	cab := f.place(t, keyward.StorageInput{Kind: "cabinet", Name: "Cabinet A", Hooks: 20})
	env := f.place(t, keyward.StorageInput{Kind: "envelope", Name: "Spare keys", SealNumber: "4471"})
	env2 := f.place(t, keyward.StorageInput{Kind: "envelope", Name: "Vehicle spares", SealNumber: "9001"})
	k := f.key(t, "AA1")
	if _, err := f.st.Assign(ctx, f.owner, cab.ID, keyward.HookInput{KeyID: k.ID, Hook: 3}); err != nil {
		t.Fatal(err)
	}
	into := func(seal, reason string) func() error {
		return func() error {
			_, err := f.st.Assign(ctx, f.owner, env.ID, keyward.HookInput{KeyID: k.ID, NewSealNumber: seal, Reason: reason})
			return err
		}
	}
	f.refused(t, keyward.EINVALID, "new_seal_number", "putting key AA1-1 in envelope Spare keys breaks its seal 4471", into("", "spare for unit 4"))
	f.refused(t, keyward.EINVALID, "new_seal_number", "must differ from the broken seal 4471", into("4471", "spare for unit 4"))
	f.refused(t, keyward.EINVALID, "reason", "say why envelope Spare keys is opened", into("4472", ""))
	f.refused(t, keyward.EINVALID, "new_seal_number", "only when a sealed envelope is opened", func() error {
		_, err := f.st.Assign(ctx, f.owner, cab.ID, keyward.HookInput{KeyID: k.ID, Hook: 4, NewSealNumber: "4472"})
		return err
	})
	seals := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'storage.seal.break'`)
	home, err := f.st.Assign(ctx, f.owner, env.ID, keyward.HookInput{KeyID: k.ID, NewSealNumber: " 4472 ", Reason: "spare for unit 4"})
	if err != nil || home.StorageID != env.ID || home.SealNumber != "4472" {
		t.Fatalf("into the envelope: %+v %v", home, err)
	}
	if s := f.seal(t, env.ID); s != "4472" {
		t.Fatalf("the envelope's seal is %q, want the new one", s)
	}
	if got := f.lastEvents(t, env.ID, 2); got[0] != "seal.break spare for unit 4" || got[1] != "assign key AA1-1" {
		t.Fatalf("the envelope's logbook: %q", got)
	}
	if got := f.lastEvents(t, cab.ID, 1); got[0] != "unassign key AA1-1 moved to Spare keys" {
		t.Fatalf("the cabinet's logbook: %q", got)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'storage.seal.break' AND details LIKE '%"broken_seal":"4471"%' AND details LIKE '%"new_seal":"4472"%' AND details LIKE '%AA1-1%'`); n != 1 {
		t.Fatalf("%d audit records of the seal broken to put AA1-1 in, want 1", n)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'storage.seal.break'`); n != seals+1 {
		t.Fatalf("%d seal audit records written, want 1", n-seals)
	}
	// Straight into another envelope: take it out of this one first.
	f.refused(t, keyward.ECONFLICT, "key_id", "take it out of that envelope first", func() error {
		_, err := f.st.Assign(ctx, f.owner, env2.ID, keyward.HookInput{KeyID: k.ID, NewSealNumber: "9002", Reason: "move"})
		return err
	})
	// Out onto a hook: that breaks the seal too.
	f.refused(t, keyward.EINVALID, "new_seal_number", "taking key AA1-1 out of envelope Spare keys breaks its seal 4472", func() error {
		_, err := f.st.Assign(ctx, f.owner, cab.ID, keyward.HookInput{KeyID: k.ID, Hook: 3})
		return err
	})
	// Taken out of its home: the seal again, never the one just broken.
	out := func(seal, reason string) func() error {
		return func() error {
			return f.st.Unassign(ctx, f.owner, k.ID, keyward.ResealInput{NewSealNumber: seal, Reason: reason})
		}
	}
	f.refused(t, keyward.EINVALID, "new_seal_number", "taking key AA1-1 out of envelope Spare keys breaks its seal 4472", out("", "handed to the tenant"))
	f.refused(t, keyward.EINVALID, "new_seal_number", "must differ from the broken seal 4472", out("4472", "handed to the tenant"))
	f.refused(t, keyward.EINVALID, "reason", "is required", out("4473", ""))
	if err := out("4473", "kept in the office now")(); err != nil {
		t.Fatal(err)
	}
	if h, _ := f.st.KeyHome(ctx, f.owner, k.ID); h != nil {
		t.Fatalf("the key still has a home: %+v", h)
	}
	if s := f.seal(t, env.ID); s != "4473" {
		t.Fatalf("the envelope's seal is %q after the key was taken out", s)
	}
	if got := f.lastEvents(t, env.ID, 2); got[0] != "seal.break kept in the office now" || got[1] != "unassign key AA1-1 taken out" {
		t.Fatalf("the envelope's logbook: %q", got)
	}
}

func testEnvelopeCustody(t *testing.T, f *storageFixture) {
	ctx := context.Background()
	cus, ob := f.db.Custody(), f.db.Offboarding()
	env := f.place(t, keyward.StorageInput{Kind: "envelope", Name: "Spare keys", SealNumber: "S-1"})
	k := f.key(t, "AA1")
	if _, err := f.st.Assign(ctx, f.owner, env.ID, keyward.HookInput{KeyID: k.ID, NewSealNumber: "S-2", Reason: "spare"}); err != nil {
		t.Fatal(err)
	}
	due := f.env.Clock.Now().Add(time.Hour)
	checkout := func(seal string) func() error {
		return func() error {
			_, err := cus.Checkout(ctx, f.owner, k.ID, keyward.CheckoutInput{HolderID: f.holder.ID, DueAt: due, NewSealNumber: seal})
			return err
		}
	}
	f.refused(t, keyward.EINVALID, "new_seal_number", "taking key AA1-1 out of envelope Spare keys breaks its seal S-2", checkout(""))
	f.refused(t, keyward.EINVALID, "new_seal_number", "must differ from the broken seal S-2", checkout("S-2"))
	if err := checkout("S-3")(); err != nil {
		t.Fatal(err)
	}
	if s := f.seal(t, env.ID); s != "S-3" {
		t.Fatalf("seal after check-out %q", s)
	}
	if got := f.lastEvents(t, env.ID, 1); got[0] != "seal.break key AA1-1 taken out: checked out" {
		t.Fatalf("the envelope's logbook: %q", got)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'storage.seal.break' AND details LIKE '%"custody":"checkout"%' AND details LIKE '%"new_seal":"S-3"%'`); n != 1 {
		t.Fatalf("%d audit records of the seal broken at check-out, want 1", n)
	}
	// The key keeps its home while out, and goes back in under a new seal.
	checkin := func(seal string) func() error {
		return func() error {
			_, err := cus.Checkin(ctx, f.owner, k.ID, keyward.CheckinInput{NewSealNumber: seal})
			return err
		}
	}
	f.refused(t, keyward.EINVALID, "new_seal_number", "putting key AA1-1 back in envelope Spare keys breaks its seal S-3", checkin(""))
	f.refused(t, keyward.EINVALID, "new_seal_number", "must differ", checkin("S-3"))
	if err := checkin("S-4")(); err != nil {
		t.Fatal(err)
	}
	if got := f.lastEvents(t, env.ID, 1); got[0] != "seal.break key AA1-1 put back: checked in" || f.seal(t, env.ID) != "S-4" {
		t.Fatalf("the envelope's logbook after check-in: %q, seal %s", got, f.seal(t, env.ID))
	}
	// Issued and returned through the API of moves: the same.
	f.refused(t, keyward.EINVALID, "new_seal_number", "breaks its seal S-4", func() error {
		_, err := cus.Move(ctx, f.owner, k.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: f.holder.ID})
		return err
	})
	if _, err := cus.Move(ctx, f.owner, k.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: f.holder.ID, NewSealNumber: "S-5"}); err != nil {
		t.Fatal(err)
	}
	// Collected from a leaving holder, it goes back into its envelope: the seal again.
	if _, err := ob.Start(ctx, f.owner, f.holder.ID, keyward.OffboardingInput{}); err != nil {
		t.Fatal(err)
	}
	f.refused(t, keyward.EINVALID, "new_seal_number", "putting key AA1-1 back in envelope Spare keys breaks its seal S-5", func() error {
		_, err := ob.CollectKey(ctx, f.owner, f.holder.ID, k.ID, keyward.CheckinInput{})
		return err
	})
	if got, err := ob.CollectKey(ctx, f.owner, f.holder.ID, k.ID, keyward.CheckinInput{NewSealNumber: "S-6"}); err != nil || got.Status != keyward.StatusInStorage {
		t.Fatalf("collect: %+v %v", got, err)
	}
	// Reporting it lost opens nothing; finding it puts it back under a new seal.
	if _, err := cus.Move(ctx, f.owner, k.ID, keyward.CustodyLost, keyward.CustodyInput{}); err != nil {
		t.Fatal(err)
	}
	f.refused(t, keyward.EINVALID, "new_seal_number", "breaks its seal S-6", func() error {
		_, err := cus.Move(ctx, f.owner, k.ID, keyward.CustodyFound, keyward.CustodyInput{})
		return err
	})
	if _, err := cus.Move(ctx, f.owner, k.ID, keyward.CustodyFound, keyward.CustodyInput{NewSealNumber: "S-7"}); err != nil {
		t.Fatal(err)
	}
	// Destroyed from the envelope: opened, then the key gives up its place.
	f.refused(t, keyward.EINVALID, "new_seal_number", "taking key AA1-1 out of envelope Spare keys", func() error {
		_, err := cus.Move(ctx, f.owner, k.ID, keyward.CustodyDestroy, keyward.CustodyInput{})
		return err
	})
	if _, err := cus.Move(ctx, f.owner, k.ID, keyward.CustodyDestroy, keyward.CustodyInput{NewSealNumber: "S-8"}); err != nil {
		t.Fatal(err)
	}
	if h, _ := f.st.KeyHome(ctx, f.owner, k.ID); h != nil {
		t.Fatalf("a destroyed key keeps its envelope: %+v", h)
	}
	want := []string{
		"seal.break key AA1-1 taken out: issued",
		"seal.break key AA1-1 put back: returned",
		"seal.break key AA1-1 put back: found",
		"seal.break key AA1-1 taken out: destroyed",
		"unassign key AA1-1 destroyed",
	}
	if got := f.lastEvents(t, env.ID, 5); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("the envelope's logbook:\n got %q\nwant %q", got, want)
	}
	if s := f.seal(t, env.ID); s != "S-8" {
		t.Fatalf("seal %q, want S-8", s)
	}
	// A key kept on a hook moves without a word about seals, and refuses one.
	cab := f.place(t, keyward.StorageInput{Kind: "cabinet", Name: "Cabinet A", Hooks: 4})
	k2 := f.key(t, "AA2")
	if _, err := f.st.Assign(ctx, f.owner, cab.ID, keyward.HookInput{KeyID: k2.ID, Hook: 1}); err != nil {
		t.Fatal(err)
	}
	f.refused(t, keyward.EINVALID, "new_seal_number", "only when the key goes into or comes out of a sealed envelope", func() error {
		_, err := cus.Checkout(ctx, f.owner, k2.ID, keyward.CheckoutInput{HolderID: f.holder2.ID, DueAt: due, NewSealNumber: "X-1"})
		return err
	})
	if _, err := cus.Checkout(ctx, f.owner, k2.ID, keyward.CheckoutInput{HolderID: f.holder2.ID, DueAt: due}); err != nil {
		t.Fatal(err)
	}
}

// testAssignRacesCheckout: a key given a hook while two servers also check
// it out. Whatever wins, the hook is never given to a key that was already
// out: an assignment that succeeded came before the check-out in the audit log.
func testAssignRacesCheckout(t *testing.T, f *storageFixture) {
	ctx := context.Background()
	cab := f.place(t, keyward.StorageInput{Kind: "cabinet", Name: "Cabinet R", Hooks: 20})
	other := f.env.Open(t)
	due := f.env.Clock.Now().Add(time.Hour)
	for i := range 8 {
		k := f.key(t, "R"+fmt.Sprint(i+1))
		var wg sync.WaitGroup
		var assignErr, checkoutErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, assignErr = other.Storage(f.env.Vault).Assign(ctx, f.owner, cab.ID, keyward.HookInput{KeyID: k.ID, Hook: i + 1})
		}()
		go func() {
			defer wg.Done()
			_, checkoutErr = f.db.Custody().Checkout(ctx, f.owner, k.ID, keyward.CheckoutInput{HolderID: f.holder.ID, DueAt: due})
		}()
		wg.Wait()
		if checkoutErr != nil {
			t.Fatalf("check-out: %v", checkoutErr)
		}
		assigned := f.count(t, `SELECT COALESCE(MAX(seq), 0) FROM audit_log WHERE action = 'storage.assign' AND details LIKE '%`+k.ID+`%'`)
		out := f.count(t, `SELECT MAX(seq) FROM audit_log WHERE action = 'key.checkout' AND subject_id = '`+k.ID+`'`)
		switch keyward.ErrorCode(assignErr) {
		case "":
			if assigned == 0 || assigned > out {
				t.Fatalf("key %s got its hook (seq %d) after it was checked out (seq %d)", k.Stamp, assigned, out)
			}
		case keyward.ECONFLICT:
			if assigned != 0 {
				t.Fatalf("a refused assignment was recorded")
			}
		default:
			t.Fatalf("assign: %v", assignErr)
		}
	}
}
