package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/auth"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
)

func TestRevealRules(t *testing.T) { storetest.Each(t, runRevealRules) }

func runRevealRules(t *testing.T, b storetest.Backend) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, *storageFixture)
	}{
		{"AuthenticatorForEveryRevealer", testAuthenticatorForEveryRevealer},
		{"RetiredLockboxShowsNoCode", testRetiredLockboxShowsNoCode},
		{"NotesRefuseTheRecordsCode", testNotesRefuseTheRecordsCode},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStorageFixture(t, b)) })
	}
}

// userActor makes a user account of role and returns it as an actor.
func userActor(t testing.TB, acc *store.Accounts, sys keyward.Actor, email string, role keyward.Role) keyward.Actor {
	t.Helper()
	u, _, err := acc.CreateUser(context.Background(), sys, store.UserInput{Email: email, Role: role, Password: "a passphrase of " + email})
	if err != nil {
		t.Fatal(err)
	}
	return keyward.Actor{UserID: u.ID, Email: u.Email, Role: u.Role}
}

func testAuthenticatorForEveryRevealer(t *testing.T, f *storageFixture) {
	ctx := context.Background()
	acc := f.db.Accounts(f.env.Vault)
	owner, _, err := acc.Init(ctx, store.InitInput{Org: "Acme", Email: "o@acme.test", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	ownerA := keyward.Actor{UserID: owner.ID, Email: owner.Email, Role: owner.Role}
	tech := userActor(t, acc, ownerA, "tech@acme.test", keyward.RoleTechnician)
	mgr := userActor(t, acc, ownerA, "mgr@acme.test", keyward.RoleManager)
	box, err := f.st.Create(ctx, f.owner, keyward.StorageInput{Kind: "lockbox", Name: "Gate lockbox", Code: "4711-XZ"})
	if err != nil {
		t.Fatal(err)
	}
	cr := f.db.Credentials(f.env.Vault)
	door := f.opening(t, "Front door")
	pin, err := cr.Issue(ctx, f.owner, keyward.CredentialInput{Kind: "pin", PIN: "482916", HolderID: f.holder.ID, OpeningIDs: []string{door.ID}})
	if err != nil {
		t.Fatal(err)
	}
	reveal := func(a keyward.Actor) error {
		_, err := f.st.RevealCode(ctx, a, box.ID, keyward.CodeRevealInput{Reason: "contractor access"})
		return err
	}
	// Nothing required: a technician reveals with a password alone.
	if err := reveal(tech); err != nil {
		t.Fatalf("nothing required: %v", err)
	}
	u, _ := acc.User(ctx, tech.UserID)
	if _, required := acc.NeedsTOTP(ctx, u); required {
		t.Fatal("required before the organization requires it")
	}

	// The organization requires an authenticator, with 7 days to set one up.
	wantField(t, acc.SetTOTPRule(ctx, ownerA, keyward.TOTPRule{Require: true, GraceDays: 91}), "totp_grace_days")
	wantCode(t, acc.SetTOTPRule(ctx, tech, keyward.TOTPRule{Require: true, GraceDays: 7}), keyward.EFORBIDDEN)
	if err := acc.SetTOTPRule(ctx, ownerA, keyward.TOTPRule{Require: true, GraceDays: 7}); err != nil {
		t.Fatal(err)
	}
	switchedOn := f.env.Clock.Now()
	for _, c := range []struct {
		who  keyward.Actor
		want bool
	}{{tech, true}, {ownerA, true}, {mgr, false}} {
		u, _ := acc.User(ctx, c.who.UserID)
		if _, required := acc.NeedsTOTP(ctx, u); required != c.want {
			t.Errorf("%s: required %v, want %v", c.who.Role, required, c.want)
		}
	}
	// Inside the grace: allowed, with the deadline to warn of.
	f.env.Clock.Advance(6 * 24 * time.Hour)
	if err := reveal(tech); err != nil {
		t.Fatalf("inside the grace: %v", err)
	}
	st, err := acc.RevealStanding(ctx, tech)
	if err != nil || !st.InGrace(f.env.Clock.Now()) || !st.Deadline.Equal(switchedOn.AddDate(0, 0, 7)) {
		t.Fatalf("standing inside the grace: %+v %v", st, err)
	}
	// Saving the rule on again does not start the grace anew.
	if err := acc.SetTOTPRule(ctx, ownerA, keyward.TOTPRule{Require: true, GraceDays: 7}); err != nil {
		t.Fatal(err)
	}
	// After the grace: refused, recorded with the rule, nothing revealed.
	f.env.Clock.Advance(24*time.Hour + time.Minute)
	reveals := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'storage.code.reveal'`)
	err = reveal(tech)
	wantCode(t, err, keyward.EFORBIDDEN)
	if !keyward.IsAuthenticatorRequired(err) || !strings.Contains(err.Error(), "Set up your authenticator app to see codes") {
		t.Fatalf("the refusal does not say the rule: %v", err)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'denied.secret.reveal' AND actor = 'tech@acme.test' AND details LIKE '%authenticator_required%'`); n != 1 {
		t.Fatalf("%d refusals recorded, want 1", n)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'storage.code.reveal'`); n != reveals {
		t.Fatal("a refused reveal was recorded as a reveal")
	}
	// Every kind of secret goes through the same gate: a PIN too.
	_, err = cr.RevealPIN(ctx, tech, pin.ID, keyward.CodeRevealInput{Reason: "holder forgot it"})
	if !keyward.IsAuthenticatorRequired(err) {
		t.Fatalf("PIN after the grace: %v", err)
	}
	// The owner without an authenticator is refused the same way.
	if err := reveal(ownerA); !keyward.IsAuthenticatorRequired(err) {
		t.Fatalf("owner after the grace: %v", err)
	}
	// A technician made today has their own 7 days.
	tech2 := userActor(t, acc, ownerA, "tech2@acme.test", keyward.RoleTechnician)
	if err := reveal(tech2); err != nil {
		t.Fatalf("a new technician inside their grace: %v", err)
	}
	// With an authenticator: allowed.
	secret := auth.NewTOTPSecret()
	code, _ := auth.TOTPCode(secret, f.env.Clock.Now())
	if err := acc.EnrolTOTP(ctx, tech, secret, code); err != nil {
		t.Fatal(err)
	}
	if err := reveal(tech); err != nil {
		t.Fatalf("with an authenticator: %v", err)
	}
	if _, err := cr.RevealPIN(ctx, tech, pin.ID, keyward.CodeRevealInput{Reason: "holder forgot it"}); err != nil {
		t.Fatalf("PIN with an authenticator: %v", err)
	}
	// A role that never reveals is refused by the policy, not asked to enrol.
	if err := reveal(mgr); keyward.ErrorCode(err) != keyward.EFORBIDDEN || keyward.IsAuthenticatorRequired(err) {
		t.Fatalf("manager: %v", err)
	}
	// Switched off: the owner reveals with a password again.
	if err := acc.SetTOTPRule(ctx, ownerA, keyward.TOTPRule{Require: false, GraceDays: 7}); err != nil {
		t.Fatal(err)
	}
	if err := reveal(ownerA); err != nil {
		t.Fatalf("switched off: %v", err)
	}
	if org, _ := acc.Org(ctx); org.RequireTOTPSince != nil {
		t.Fatal("switched off, the rule still has a start")
	}
}

func testRetiredLockboxShowsNoCode(t *testing.T, f *storageFixture) {
	ctx := context.Background()
	box, err := f.st.Create(ctx, f.owner, keyward.StorageInput{Kind: "lockbox", Name: "Gate lockbox", Code: "4711-XZ"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.RevealCode(ctx, f.tech, box.ID, keyward.CodeRevealInput{Reason: "plumber"}); err != nil {
		t.Fatal(err)
	}
	shown := f.env.Clock.Now()
	f.env.Clock.Advance(time.Hour)
	if _, err := f.st.Retire(ctx, f.owner, box.ID); err != nil {
		t.Fatal(err)
	}
	// The sealed code is gone from the row, in the retirement's transaction.
	if n := f.count(t, `SELECT COUNT(*) FROM storage_places WHERE id = '`+box.ID+`' AND code_sealed IS NULL AND code_discarded_at IS NOT NULL`); n != 1 {
		t.Fatal("the retired lockbox kept its sealed code")
	}
	if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'storage.code.discard' AND subject_id = '`+box.ID+`'`); n != 1 {
		t.Fatal("the discarded code is not audited")
	}
	_, err = f.st.RevealCode(ctx, f.tech, box.ID, keyward.CodeRevealInput{Reason: "plumber again"})
	e := wantCode(t, err, keyward.ECONFLICT)
	if !strings.Contains(e.Message, "This lockbox was retired on") || !strings.Contains(e.Message, "its code can no longer be shown") {
		t.Fatalf("the refusal does not say why: %v", err)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'denied.secret.reveal' AND subject_id = '`+box.ID+`' AND details LIKE '%place_retired%'`); n != 1 {
		t.Fatal("the refused reveal from a retired lockbox is not recorded")
	}
	// The owner still sees that a code existed and when it was last shown.
	p, err := f.st.Place(ctx, f.owner, box.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.HasCode || p.CodeDiscardedAt == nil || p.CodeLastRevealedAt == nil || !p.CodeLastRevealedAt.Equal(shown) {
		t.Fatalf("the place's code history: %+v", p)
	}
	if h := p.CodeHistory(time.UTC); !strings.Contains(h, "Had a code") || !strings.Contains(h, "Last shown on") {
		t.Fatalf("code history in words: %q", h)
	}
	// Restored, the lockbox needs a new code: nothing to show until then.
	if _, err := f.st.Restore(ctx, f.owner, box.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.st.RevealCode(ctx, f.tech, box.ID, keyward.CodeRevealInput{Reason: "after restore"})
	if e := wantCode(t, err, keyward.ECONFLICT); !strings.Contains(e.Message, "no code") {
		t.Fatalf("restored without a code: %v", err)
	}
	if err := f.st.ChangeCode(ctx, f.owner, box.ID, keyward.CodeChangeInput{Code: "8080-QQ", Reason: "back in use"}); err != nil {
		t.Fatal(err)
	}
	if code, err := f.st.RevealCode(ctx, f.tech, box.ID, keyward.CodeRevealInput{Reason: "new code"}); err != nil || code.Reveal() != "8080-QQ" {
		t.Fatalf("the new code: %v", err)
	}
	// An envelope has no code: retiring it discards nothing.
	env, _ := f.st.Create(ctx, f.owner, keyward.StorageInput{Kind: "envelope", Name: "Spare", SealNumber: "S-1"})
	if _, err := f.st.Retire(ctx, f.owner, env.ID); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'storage.code.discard' AND subject_id = '`+env.ID+`'`); n != 0 {
		t.Fatal("an envelope's retirement discarded a code")
	}
}

func testNotesRefuseTheRecordsCode(t *testing.T, f *storageFixture) {
	ctx := context.Background()
	cu := f.db.Custody().WithVault(f.env.Vault)
	box, err := f.st.Create(ctx, f.owner, keyward.StorageInput{Kind: "lockbox", Name: "Gate lockbox", Code: "4711-XZ"})
	if err != nil {
		t.Fatal(err)
	}
	k := f.key(t, "AA1")
	if _, err := f.st.Assign(ctx, f.owner, box.ID, keyward.HookInput{KeyID: k.ID}); err != nil {
		t.Fatal(err)
	}
	due := f.env.Clock.Now().Add(4 * time.Hour)
	checkout := func(note string) error {
		_, err := cu.Checkout(ctx, f.tech, k.ID, keyward.CheckoutInput{HolderID: f.holder.ID, DueAt: due, Note: note})
		return err
	}
	refusals := func() int64 {
		return f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'denied.note.code' AND actor = 'tech@acme.test'`)
	}
	// The code, written another way, in a check-out note: refused, naming the field.
	err = checkout("lockbox 4711 xz, hook by the door")
	wantField(t, err, "note")
	if !strings.Contains(err.Error(), "note: it contains the code of the lockbox this key is kept in; codes are kept sealed, never in notes") {
		t.Fatalf("the refusal does not explain itself: %v", err)
	}
	if refusals() != 1 {
		t.Fatal("the refused note is not audited")
	}
	if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE details LIKE '%4711%' OR details LIKE '%hook by the door%'`); n != 0 {
		t.Fatal("the audit log holds the code or the refused note")
	}
	if f.key2(t, k.ID).Status != keyward.StatusInStorage {
		t.Fatal("a refused check-out moved the key")
	}
	// A shorter or other number is fine.
	if err := checkout("box 4711, call 555-0199"); err != nil {
		t.Fatalf("a note with another number: %v", err)
	}
	if _, err := cu.Checkin(ctx, f.tech, k.ID, keyward.CheckinInput{Note: "back, code 4711-XY"}); err != nil {
		t.Fatalf("check-in with another code: %v", err)
	}
	// The same rule for a reveal's reason and a PIN's revocation reason.
	_, err = f.st.RevealCode(ctx, f.tech, box.ID, keyward.CodeRevealInput{Reason: "is it 4711XZ?"})
	wantField(t, err, "reason")
	cr := f.db.Credentials(f.env.Vault)
	pin, err := cr.Issue(ctx, f.owner, keyward.CredentialInput{Kind: "pin", PIN: "482916", HolderID: f.holder.ID, OpeningIDs: []string{f.opening(t, "Door").ID}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cr.Revoke(ctx, f.owner, pin.ID, keyward.RevokeInput{Reason: "holder wrote 48 29 16 on the wall"})
	wantField(t, err, "reason")
	_, err = cr.Issue(ctx, f.owner, keyward.CredentialInput{Kind: "pin", Label: "PIN 482916", PIN: "482916", HolderID: f.holder.ID, OpeningIDs: []string{f.opening(t, "Door 2").ID}})
	wantField(t, err, "label")
	loc := "by the gate, code 4711-XZ"
	_, err = f.st.Update(ctx, f.owner, box.ID, keyward.StoragePatch{Location: &loc})
	wantField(t, err, "location")

	// Five refusals in ten minutes: after that every note on a record with a
	// code is refused with 429, whatever it says, until the window moves on.
	for refusals() < keyward.MaxNoteRefusals {
		wantField(t, checkout("4711XZ"), "note")
	}
	err = checkout("nothing secret")
	if e := wantCode(t, err, keyward.ETOOMANY); !strings.Contains(e.Message, "at most 5 in 10 minutes") {
		t.Fatalf("the limit is not named: %v", err)
	}
	// Another user is not limited by the technician's refusals.
	if _, err := f.st.RevealCode(ctx, f.owner, box.ID, keyward.CodeRevealInput{Reason: "owner check"}); err != nil {
		t.Fatalf("the owner is limited by the technician's refusals: %v", err)
	}
	f.env.Clock.Advance(keyward.NoteRefusalWindow)
	if err := checkout("nothing secret"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// key2 reads a key.
func (f *storageFixture) key2(t *testing.T, id string) *keyward.Key {
	t.Helper()
	k, err := f.db.Custody().Key(context.Background(), f.owner, id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// BenchmarkRevealCode measures one lockbox code reveal through the reveal
// gate (policy, authenticator rule) with its audit record and event, where
// the organization requires an authenticator and the technician has one.
func BenchmarkRevealCode(b *testing.B) {
	storetest.Each(b, func(b *testing.B, be storetest.Backend) {
		env, db, owner := benchSetup(b, be)
		ctx := context.Background()
		acc := db.Accounts(env.Vault)
		if err := acc.SetTOTPRule(ctx, owner, keyward.TOTPRule{Require: true, GraceDays: 7}); err != nil {
			b.Fatal(err)
		}
		tech := userActor(b, acc, owner, "tech@bench.test", keyward.RoleTechnician)
		secret := auth.NewTOTPSecret()
		code, _ := auth.TOTPCode(secret, env.Clock.Now())
		if err := acc.EnrolTOTP(ctx, tech, secret, code); err != nil {
			b.Fatal(err)
		}
		st := db.Storage(env.Vault)
		box, err := st.Create(ctx, owner, keyward.StorageInput{Kind: "lockbox", Name: "Gate", Code: "4711-XZ"})
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			if _, err := st.RevealCode(ctx, tech, box.ID, keyward.CodeRevealInput{Reason: "contractor access"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
