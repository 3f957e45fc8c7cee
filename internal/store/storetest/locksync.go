package storetest

import (
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/offlinecode"
)

func lockCount(t *testing.T, f *fixture) int {
	t.Helper()
	ls := must[[]keyward.SyncLock](t)(f.db.LockSync(f.env.Vault).SyncLocks(ctx, f.owner, f.env.Clock.Now()))
	return len(ls)
}

// testLockSyncInputs: adding a lock refuses bad input with the field named
// and leaves nothing behind; a zigbee2mqtt device is bound to one lock only.
func testLockSyncInputs(t *testing.T, b Backend) {
	f := setup(t, b)
	ls := f.db.LockSync(f.env.Vault)
	bad := []struct {
		in    keyward.SyncLockInput
		field string
	}{
		{keyward.SyncLockInput{Name: " ", Adapter: "keyward"}, "name"},
		{keyward.SyncLockInput{Name: strings.Repeat("x", 101), Adapter: "keyward"}, "name"},
		{keyward.SyncLockInput{Name: "Door", Adapter: "zwave"}, "adapter"},
		{keyward.SyncLockInput{Name: "Door", Adapter: "zigbee2mqtt"}, "device"},
		{keyward.SyncLockInput{Name: "Door", Adapter: "zigbee2mqtt", Device: "front/#"}, "device"},
		{keyward.SyncLockInput{Name: "Door", Adapter: "zigbee2mqtt", Device: "front/set"}, "device"},
		{keyward.SyncLockInput{Name: "Door", Adapter: "zigbee2mqtt", Device: "bridge"}, "device"},
		{keyward.SyncLockInput{Name: "Door", Adapter: "keyward", Device: "front"}, "device"},
		{keyward.SyncLockInput{Name: "Door", Adapter: "keyward", Slots: 251}, "slots"},
		{keyward.SyncLockInput{Name: "Door", Adapter: "keyward", Slots: -1}, "slots"},
	}
	for _, c := range bad {
		_, err := ls.AddSyncLock(ctx, f.owner, c.in)
		wantField(t, err, c.field)
	}
	if n := lockCount(t, f); n != 0 {
		t.Fatalf("%d locks after refused input", n)
	}
	l := must[*keyward.SyncLock](t)(ls.AddSyncLock(ctx, f.owner, keyward.SyncLockInput{Name: "Front door", Adapter: "zigbee2mqtt", Device: "front"}))
	if l.Slots != 20 || l.Version != 0 || l.Online {
		t.Fatalf("new lock %+v", l)
	}
	_, err := ls.AddSyncLock(ctx, f.owner, keyward.SyncLockInput{Name: "Other", Adapter: "zigbee2mqtt", Device: "front"})
	wantCode(t, err, keyward.ECONFLICT)
	if n := lockCount(t, f); n != 1 {
		t.Fatalf("%d locks, want 1", n)
	}
	auditor := f.actor(t, "aud@acme.test", keyward.RoleAuditor, "")
	_, err = ls.AddSyncLock(ctx, auditor, keyward.SyncLockInput{Name: "Sneaky", Adapter: "keyward"})
	wantCode(t, err, keyward.EFORBIDDEN)
	_, err = ls.LockSecret(ctx, auditor, l.ID)
	wantCode(t, err, keyward.EFORBIDDEN)
}

func (f *fixture) syncLock(t *testing.T, name string, slots int) *keyward.SyncLock {
	t.Helper()
	return must[*keyward.SyncLock](t)(f.db.LockSync(f.env.Vault).AddSyncLock(ctx, f.owner, keyward.SyncLockInput{Name: name, Adapter: "keyward", Slots: slots}))
}

func (f *fixture) window(hours int) keyward.CodeSchedule {
	from, until := f.env.Clock.Now(), f.env.Clock.Now().Add(time.Duration(hours)*time.Hour)
	return keyward.CodeSchedule{Kind: keyward.ScheduleWindow, From: &from, Until: &until}
}

// testTempCodes: bad input, slots never given twice while live (an asked
// slot in use is a clear conflict), revocation, the recipient's link, and no
// PIN in the audit log.
func testTempCodes(t *testing.T, b Backend) {
	f := setup(t, b)
	ls := f.db.LockSync(f.env.Vault)
	door := f.syncLock(t, "Front door", 3)
	past := f.env.Clock.Now().Add(-time.Hour)
	bad := []struct {
		in    keyward.TempCodeInput
		field string
	}{
		{keyward.TempCodeInput{For: "", Locks: []string{door.ID}, Schedule: f.window(1)}, "for"},
		{keyward.TempCodeInput{For: "Ann", Email: "not-an-email", Locks: []string{door.ID}, Schedule: f.window(1)}, "email"},
		{keyward.TempCodeInput{For: "Ann", Schedule: f.window(1)}, "locks"},
		{keyward.TempCodeInput{For: "Ann", Locks: []string{"lck_nope"}, Schedule: f.window(1)}, "locks"},
		{keyward.TempCodeInput{For: "Ann", Locks: []string{door.ID, door.ID}, Schedule: f.window(1)}, "locks"},
		{keyward.TempCodeInput{For: "Ann", Locks: []string{door.ID}, Schedule: keyward.CodeSchedule{Kind: keyward.ScheduleUses}}, "uses"},
		{keyward.TempCodeInput{For: "Ann", Locks: []string{door.ID}, Schedule: keyward.CodeSchedule{Kind: keyward.ScheduleWindow, From: &past, Until: &past}}, "until"},
		{keyward.TempCodeInput{For: "Ann", Locks: []string{door.ID}, Schedule: f.window(1), Slot: 4}, "slot"},
	}
	for _, c := range bad {
		_, err := ls.IssueTempCode(ctx, f.owner, c.in)
		wantField(t, err, c.field)
	}
	if codes := must[[]keyward.TempCode](t)(ls.TempCodeList(ctx, f.owner, f.env.Clock.Now())); len(codes) != 0 {
		t.Fatalf("%d codes after refused input", len(codes))
	}

	a := must[*keyward.TempCode](t)(ls.IssueTempCode(ctx, f.owner, keyward.TempCodeInput{For: "Ann", Locks: []string{door.ID}, Slot: 2, Schedule: f.window(4)}))
	if a.Locks[0].Slot != 2 || len(a.PIN.Reveal()) != 6 || a.PIN.Reveal()[0] == '0' || !a.Active {
		t.Fatalf("issued %+v (pin length %d)", a, len(a.PIN.Reveal()))
	}
	_, err := ls.IssueTempCode(ctx, f.owner, keyward.TempCodeInput{For: "Bob", Locks: []string{door.ID}, Slot: 2, Schedule: f.window(1)})
	wantCode(t, err, keyward.ECONFLICT)
	if !strings.Contains(err.Error(), "slot 2") || !strings.Contains(err.Error(), "Front door") {
		t.Fatalf("the conflict %q does not name the slot and the lock", err)
	}
	bob := must[*keyward.TempCode](t)(ls.IssueTempCode(ctx, f.owner, keyward.TempCodeInput{For: "Bob", Locks: []string{door.ID}, Schedule: f.window(1)}))
	cy := must[*keyward.TempCode](t)(ls.IssueTempCode(ctx, f.owner, keyward.TempCodeInput{For: "Cy", Locks: []string{door.ID}, Schedule: f.window(1)}))
	if bob.Locks[0].Slot != 1 || cy.Locks[0].Slot != 3 {
		t.Fatalf("slots %d and %d, want 1 and 3", bob.Locks[0].Slot, cy.Locks[0].Slot)
	}
	if a.PIN == bob.PIN || bob.PIN == cy.PIN || a.PIN == cy.PIN {
		t.Fatal("two live codes on one lock share a PIN")
	}
	_, err = ls.IssueTempCode(ctx, f.owner, keyward.TempCodeInput{For: "Dee", Locks: []string{door.ID}, Schedule: f.window(1)})
	wantCode(t, err, keyward.ECONFLICT)

	// The recipient's link shows the PIN; after revocation it no longer works.
	got := must[*keyward.TempCode](t)(ls.TempCodeByLink(ctx, a.Link.Reveal(), f.env.Clock.Now()))
	if got.PIN != a.PIN || got.For != "Ann" {
		t.Fatalf("by link: %+v", got)
	}
	_, err = ls.TempCodeByLink(ctx, strings.Repeat("0", 48), f.env.Clock.Now())
	wantCode(t, err, keyward.ENOTFOUND)
	rev := must[*keyward.TempCode](t)(ls.RevokeTempCode(ctx, f.owner, a.ID))
	if rev.Revoked == nil || rev.Active || !rev.Ended {
		t.Fatalf("revoked %+v", rev)
	}
	_, err = ls.RevokeTempCode(ctx, f.owner, a.ID)
	wantCode(t, err, keyward.ECONFLICT)
	_, err = ls.TempCodeByLink(ctx, a.Link.Reveal(), f.env.Clock.Now())
	wantCode(t, err, keyward.ENOTFOUND)
	// Never acknowledged by the lock, the revoked code's slot is free at once.
	again := must[*keyward.TempCode](t)(ls.IssueTempCode(ctx, f.owner, keyward.TempCodeInput{For: "Dee", Locks: []string{door.ID}, Slot: 2, Schedule: f.window(1)}))
	if again.Locks[0].Slot != 2 {
		t.Fatalf("slot %d", again.Locks[0].Slot)
	}

	advisor := f.actor(t, "adv@acme.test", keyward.RoleAdvisor, "")
	_, err = ls.IssueTempCode(ctx, advisor, keyward.TempCodeInput{For: "Eve", Locks: []string{door.ID}, Schedule: f.window(1)})
	wantCode(t, err, keyward.EFORBIDDEN)

	page := must[*keyward.Page[keyward.AuditRecord]](t)(f.db.Audit(ctx, f.owner, keyward.AuditFilter{ListOptions: keyward.ListOptions{Limit: 200}}))
	for _, r := range page.Items {
		for _, pin := range []keyward.Secret{a.PIN, bob.PIN, cy.PIN, again.PIN, a.Link} {
			if strings.Contains(r.Details, pin.Reveal()) {
				t.Fatalf("audit record %s holds a PIN or link: %s", r.Action, r.Details)
			}
		}
	}
}

// testLockReports: a desired state, its acknowledgement, a replayed older
// ack, an ack of a version never published, events under the code holder's
// name, and a use-count code that ends after its uses.
func testLockReports(t *testing.T, b Backend) {
	f := setup(t, b)
	ls := f.db.LockSync(f.env.Vault)
	door := f.syncLock(t, "Side door", 5)
	now := f.env.Clock.Now()
	code := must[*keyward.TempCode](t)(ls.IssueTempCode(ctx, f.owner, keyward.TempCodeInput{For: "Plumber", Locks: []string{door.ID},
		Schedule: keyward.CodeSchedule{Kind: keyward.ScheduleUses, Uses: 2}}))
	ds := must[[]keyward.LockDesired](t)(ls.RefreshDesired(ctx, now))
	if len(ds) != 1 || ds[0].Version != 1 || len(ds[0].Slots) != 1 || ds[0].Slots[0].PIN != code.PIN || ds[0].InSync {
		t.Fatalf("desired %+v", ds)
	}
	l := must[*keyward.SyncLock](t)(ls.SyncLock(ctx, f.owner, door.ID, now))
	if got := entriesOf(l.Pending); !slices.Equal(got, []string{"pin:1"}) || len(l.Exposed) != 0 {
		t.Fatalf("before the ack: pending %v exposed %v", got, l.Exposed)
	}
	ack := func(v int64, slots ...int) {
		t.Helper()
		must[[]string](t)(ls.ApplyReports(ctx, []keyward.LockReport{{Lock: door.ID, Ack: &keyward.LockAck{Version: v, Slots: slots}}}))
	}
	ack(1, 1)
	l = must[*keyward.SyncLock](t)(ls.SyncLock(ctx, f.owner, door.ID, now))
	if !l.InSync() || l.AckedVersion != 1 {
		t.Fatalf("after the ack: %+v", l)
	}
	ack(7) // a version never published
	ack(1) // the same version again, now claiming an empty set
	l = must[*keyward.SyncLock](t)(ls.SyncLock(ctx, f.owner, door.ID, now))
	if !l.InSync() || l.AckedVersion != 1 {
		t.Fatalf("a bogus or replayed ack changed the lock: %+v", l)
	}

	opened := keyward.LockEventInput{At: now, Opened: true, Method: "pin", Slot: 1}
	must[[]string](t)(ls.ApplyReports(ctx, []keyward.LockReport{{Lock: door.ID, Event: &opened}, {Lock: door.ID, Event: &opened},
		{Lock: door.ID, Event: &keyward.LockEventInput{At: now, Method: "pin"}}, {Lock: "lck_unknown", Event: &opened}}))
	evs := must[[]keyward.LockEvent](t)(ls.LockEvents(ctx, f.owner, door.ID, 10))
	named := 0
	for _, e := range evs {
		if e.Opened && e.Who == "Plumber" {
			named++
		}
	}
	if len(evs) != 3 || named != 2 {
		t.Fatalf("logbook %+v", evs)
	}
	// Two uses spent: the code has ended and the lock is told to drop it.
	ds = must[[]keyward.LockDesired](t)(ls.RefreshDesired(ctx, now))
	if ds[0].Version != 2 || len(ds[0].Slots) != 0 {
		t.Fatalf("after the uses: %+v", ds[0])
	}
	l = must[*keyward.SyncLock](t)(ls.SyncLock(ctx, f.owner, door.ID, now))
	if got := entriesOf(l.Exposed); !slices.Equal(got, []string{"pin:1"}) {
		t.Fatalf("the spent code is not exposed until the lock drops it: %v", got)
	}
	c := must[*keyward.TempCode](t)(ls.TempCode(ctx, f.owner, code.ID, now))
	if c.Used != 2 || !c.Ended || !c.Locks[0].Exposed {
		t.Fatalf("code %+v", c)
	}
	ack(2)
	l = must[*keyward.SyncLock](t)(ls.SyncLock(ctx, f.owner, door.ID, now))
	if !l.InSync() {
		t.Fatalf("after the lock dropped it: %+v", l)
	}
	p := lastAudit(t, f, "lock.opened", door.ID)
	if p["who"] != "Plumber" {
		t.Fatalf("audit of the opening %v", p)
	}
}

func entriesOf(es []keyward.SyncEntry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.Entry)
	}
	return out
}

// testOfflineCodes: an issued offline code verifies with the lock's secret
// for its window only, is never in the audit log, and bad windows are refused.
func testOfflineCodes(t *testing.T, b Backend) {
	f := setup(t, b)
	ls := f.db.LockSync(f.env.Vault)
	door := f.syncLock(t, "Cabin", 0)
	now := f.env.Clock.Now()
	oc := must[*keyward.OfflineCode](t)(ls.IssueOfflineCode(ctx, f.owner, door.ID, keyward.OfflineCodeInput{For: "Hiker", From: now, Until: now.Add(20 * time.Hour)}))
	if !oc.End.After(now.Add(20*time.Hour - time.Second)) {
		t.Fatalf("window %v–%v does not cover the request", oc.Start, oc.End)
	}
	secret := must[keyward.Secret](t)(ls.LockSecret(ctx, f.owner, door.ID))
	raw, _ := hex.DecodeString(secret.Reveal())
	if _, err := offlinecode.Verify(raw, door.ID, oc.Code.Reveal(), now.Add(time.Hour)); err != nil {
		t.Fatalf("the lock refuses its offline code: %v", err)
	}
	if _, err := offlinecode.Verify(raw, door.ID, oc.Code.Reveal(), oc.End.Add(time.Hour)); err == nil {
		t.Fatal("the offline code works after its window")
	}
	d := lastAudit(t, f, "lock.offline_code", door.ID)
	for _, v := range d {
		if s, ok := v.(string); ok && strings.Contains(s, oc.Code.Reveal()) {
			t.Fatalf("the audit record holds the code: %v", d)
		}
	}
	_, err := ls.IssueOfflineCode(ctx, f.owner, door.ID, keyward.OfflineCodeInput{For: "Hiker", From: now.Add(-48 * time.Hour), Until: now.Add(-time.Hour)})
	wantField(t, err, "until")
	_, err = ls.IssueOfflineCode(ctx, f.owner, door.ID, keyward.OfflineCodeInput{For: "Hiker", From: now, Until: now.Add(40 * 24 * time.Hour)})
	wantField(t, err, "until")
	_, err = ls.IssueOfflineCode(ctx, f.owner, door.ID, keyward.OfflineCodeInput{From: now, Until: now.Add(time.Hour)})
	wantField(t, err, "for")
	_, err = ls.IssueOfflineCode(ctx, f.owner, "lck_nope", keyward.OfflineCodeInput{For: "x", From: now, Until: now.Add(time.Hour)})
	wantCode(t, err, keyward.ENOTFOUND)
}

// testLockSyncNetworkKeys: a sync lock linked to a lock of the key hierarchy
// is sent the keys access.Model.Acceptors names; a deleted key is an
// exposure, named as people know it, until the lock acknowledges.
func testLockSyncNetworkKeys(t *testing.T, b Backend) {
	f := netSetup(t, b)
	ls := f.db.LockSync(f.env.Vault)
	now := f.env.Clock.Now()
	_, err := ls.AddSyncLock(ctx, f.owner, keyward.SyncLockInput{Name: "Front", Adapter: "keyward", AccessLock: "nope"})
	wantField(t, err, "access_lock")
	l := must[*keyward.SyncLock](t)(ls.AddSyncLock(ctx, f.owner, keyward.SyncLockInput{Name: "Front", Adapter: "keyward", AccessLock: f.front}))
	ds := must[[]keyward.LockDesired](t)(ls.RefreshDesired(ctx, now))
	want := []string{f.m, f.b, f.s}
	slices.Sort(want)
	if len(ds) != 1 || !slices.Equal(ds[0].Keys, want) {
		t.Fatalf("desired keys %v, want %v (master, backup, the sub granted the lock)", ds[0].Keys, want)
	}
	must[[]string](t)(ls.ApplyReports(ctx, []keyward.LockReport{{Lock: l.ID, Ack: &keyward.LockAck{Version: ds[0].Version, Keys: want}}}))
	opened := keyward.LockEventInput{At: now, Opened: true, Method: "key", Key: f.s}
	must[[]string](t)(ls.ApplyReports(ctx, []keyward.LockReport{{Lock: l.ID, Event: &opened}}))
	if evs := must[[]keyward.LockEvent](t)(ls.LockEvents(ctx, f.owner, l.ID, 5)); len(evs) != 1 || evs[0].Who != "Cleaner" {
		t.Fatalf("logbook %+v", evs)
	}
	f.do(t, keyward.NetOp{Op: "delete", Key: f.s, By: f.b})
	ds = must[[]keyward.LockDesired](t)(ls.RefreshDesired(ctx, now))
	if slices.Contains(ds[0].Keys, f.s) {
		t.Fatalf("the deleted key is still desired: %v", ds[0].Keys)
	}
	got := must[*keyward.SyncLock](t)(ls.SyncLock(ctx, f.owner, l.ID, now))
	if len(got.Exposed) != 1 || got.Exposed[0].Entry != keyward.KeyEntry(f.s) || got.Exposed[0].Label != "network key Cleaner" {
		t.Fatalf("exposures %+v", got.Exposed)
	}
	must[[]string](t)(ls.ApplyReports(ctx, []keyward.LockReport{{Lock: l.ID, Ack: &keyward.LockAck{Version: ds[0].Version, Keys: ds[0].Keys}}}))
	if got := must[*keyward.SyncLock](t)(ls.SyncLock(ctx, f.owner, l.ID, now)); !got.InSync() {
		t.Fatalf("after the ack: %+v", got)
	}
}
