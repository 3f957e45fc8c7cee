package storetest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/importer"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
)

// copyCard is the authorization card number the duplication tests seal; no
// audit record, answer or plaintext column may ever hold it.
const copyCard = "MC-7731-0042"

// copyFixture is a fixture with the people of a copy workflow: managers,
// an advisor at the counter, a technician who cuts keys, and a signatory.
type copyFixture struct {
	*fixture
	dup                *store.Duplication
	mgr1, mgr2, mgr3   keyward.Actor
	advisor, tech      keyward.Actor
	keyway             *keyward.Keyway
	signatory, another *keyward.Holder
	key                *keyward.Key
}

func (f *fixture) actor(t *testing.T, email string, role keyward.Role, holderID string) keyward.Actor {
	t.Helper()
	u, _, err := f.db.Accounts(f.env.Vault).CreateUser(ctx, f.owner, store.UserInput{Email: email, Name: strings.Split(email, "@")[0], Role: role, HolderID: holderID})
	if err != nil {
		t.Fatal(err)
	}
	return keyward.Actor{UserID: u.ID, Email: u.Email, Role: u.Role, HolderID: u.HolderID}
}

// copySetup makes a keyway of policy with one key AA1-1, two holders, and,
// for a restricted keyway, the card on file and the first holder registered.
func copySetup(t *testing.T, b Backend, policy string) *copyFixture {
	t.Helper()
	f := &copyFixture{fixture: setup(t, b)}
	f.dup = f.db.Duplication(f.env.Vault)
	f.mgr1 = f.actor(t, "mia@acme.test", keyward.RoleManager, "")
	f.mgr2 = f.actor(t, "noor@acme.test", keyward.RoleManager, "")
	f.mgr3 = f.actor(t, "olu@acme.test", keyward.RoleManager, "")
	f.advisor = f.actor(t, "desk@acme.test", keyward.RoleAdvisor, "")
	f.tech = f.actor(t, "cutter@acme.test", keyward.RoleTechnician, "")
	d := f.db.Directory()
	f.keyway = must[*keyward.Keyway](t)(d.CreateKeyway(ctx, f.owner, keyward.KeywayInput{Name: "Medeco M3", Manufacturer: "Medeco", DuplicationPolicy: policy}))
	f.signatory = must[*keyward.Holder](t)(d.CreateHolder(ctx, f.owner, keyward.HolderInput{Name: "Rosa Vega", Email: "rosa@acme.test"}))
	f.another = must[*keyward.Holder](t)(d.CreateHolder(ctx, f.owner, keyward.HolderInput{Name: "Ivo Brandt", Email: "ivo@acme.test"}))
	f.key = must[*keyward.Key](t)(f.db.Custody().CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: f.keyway.ID, Symbol: "AA1"}))
	if policy == keyward.DupRestricted {
		if err := f.dup.SetCard(ctx, f.mgr1, f.keyway.ID, keyward.CardInput{Number: copyCard}); err != nil {
			t.Fatal(err)
		}
		must[*keyward.Signatory](t)(f.dup.AddSignatory(ctx, f.mgr1, f.keyway.ID, keyward.SignatoryInput{HolderID: f.signatory.ID}))
	}
	return f
}

// request asks for n copies of the fixture's key as a.
func (f *copyFixture) request(t *testing.T, a keyward.Actor, n int) *keyward.CopyRequest {
	t.Helper()
	return must[*keyward.CopyRequest](t)(f.dup.RequestCopies(ctx, a, keyward.CopyRequestInput{KeyID: f.key.ID, Count: n, Reason: "new tenant in unit 4"}))
}

func (f *copyFixture) evidence(holderID, card string) keyward.CopyEvidenceInput {
	return keyward.CopyEvidenceInput{SignatoryHolderID: holderID, IDType: "passport", IDLast4: "4821", AuthorizationCard: keyward.Secret(card)}
}

// wantField wants an EINVALID naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	if keyward.ErrorCode(err) != keyward.EINVALID || !strings.Contains(err.Error(), "["+field+":") {
		t.Fatalf("error = %v, want a 400 naming %s", err, field)
	}
}

// symbolCopies counts the keys of a symbol, and of them those a request produced.
func (f *copyFixture) symbolCopies(t *testing.T, requestID string) (all, produced int64) {
	t.Helper()
	all = f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM keys WHERE symbol = ?`, "AA1")
	produced = f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM keys WHERE copy_request_id = ? AND origin = ?`, requestID, keyward.OriginProduced)
	return all, produced
}

// testCopyRestrictedWorkflow walks a restricted request from request to
// hand-over, with every refusal of the evidence on the way.
func testCopyRestrictedWorkflow(t *testing.T, b Backend) {
	f := copySetup(t, b, keyward.DupRestricted)
	r := f.request(t, f.mgr1, 2)
	if r.State != keyward.CopyRequested || r.ApprovalsRequired != 1 || r.Policy != keyward.DupRestricted || r.Stamp != "AA1-1" {
		t.Fatalf("new request = %+v", r)
	}
	// No approval without evidence.
	_, err := f.dup.Approve(ctx, f.mgr2, r.ID)
	wantCode(t, err, keyward.ECONFLICT)
	// A wrong card, a holder who is no signatory: 400s naming the field, each recorded.
	before := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM audit_log WHERE action = ?`, "denied.copy.evidence")
	_, err = f.dup.AcceptEvidence(ctx, f.advisor, r.ID, f.evidence(f.signatory.ID, "MC-7731-0043"))
	wantField(t, err, "authorization_card")
	_, err = f.dup.AcceptEvidence(ctx, f.advisor, r.ID, f.evidence(f.another.ID, copyCard))
	wantField(t, err, "signatory_holder_id")
	if got := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM audit_log WHERE action = ?`, "denied.copy.evidence"); got != before+2 {
		t.Fatalf("refused evidence: %d audit records, want 2", got-before)
	}
	// A technician does not take evidence.
	_, err = f.dup.AcceptEvidence(ctx, f.tech, r.ID, f.evidence(f.signatory.ID, copyCard))
	wantCode(t, err, keyward.EFORBIDDEN)
	if got := must[*keyward.CopyRequest](t)(f.dup.CopyRequest(ctx, f.owner, r.ID)); got.State != keyward.CopyRequested || got.Evidence != nil {
		t.Fatalf("refused evidence left %+v", got)
	}
	// The card as printed, in other letters and spacing, matches.
	r = must[*keyward.CopyRequest](t)(f.dup.AcceptEvidence(ctx, f.advisor, r.ID, f.evidence(f.signatory.ID, "mc 7731 0042")))
	if r.State != keyward.CopyEvidenceAccepted || r.Evidence == nil || r.Evidence.SignatoryName != "Rosa Vega" || !r.Evidence.CardMatched ||
		r.Evidence.CheckedBy != f.advisor.UserID || r.Evidence.IDLast4 != "4821" {
		t.Fatalf("after evidence: %+v %+v", r, r.Evidence)
	}
	// The requester never approves.
	_, err = f.dup.Approve(ctx, f.mgr1, r.ID)
	wantCode(t, err, keyward.EFORBIDDEN)
	if n := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM audit_log WHERE action = ?`, "denied.copy.approve"); n != 1 {
		t.Fatalf("the requester's approval: %d denial records, want 1", n)
	}
	// Production before approval is a conflict.
	_, err = f.dup.Produce(ctx, f.tech, r.ID)
	wantCode(t, err, keyward.ECONFLICT)
	r = must[*keyward.CopyRequest](t)(f.dup.Approve(ctx, f.mgr2, r.ID))
	if r.State != keyward.CopyApproved || len(r.Approvals) != 1 || r.Approvals[0].By != f.mgr2.UserID || r.Approvals[0].ByName != "noor" {
		t.Fatalf("after approval: %+v", r)
	}
	r = must[*keyward.CopyRequest](t)(f.dup.Produce(ctx, f.tech, r.ID))
	if r.State != keyward.CopyProduced || len(r.Keys) != 2 {
		t.Fatalf("after production: %+v", r)
	}
	for i, k := range r.Keys {
		if k.CopyNumber != i+2 || k.Status != keyward.StatusInStorage || k.Origin != keyward.OriginProduced || k.CopyRequestID != r.ID || k.Symbol != "AA1" {
			t.Fatalf("produced key %d = %+v", i, k)
		}
		hist := must[*keyward.Page[keyward.Event]](t)(f.db.Custody().History(ctx, f.owner, k.ID, keyward.ListOptions{}))
		if len(hist.Items) != 1 || hist.Items[0].Action != keyward.CustodyCreate || !strings.Contains(hist.Items[0].Note, r.ID) {
			t.Fatalf("logbook of %s = %+v", k.Stamp, hist.Items)
		}
	}
	_, err = f.dup.Produce(ctx, f.tech, r.ID)
	wantCode(t, err, keyward.ECONFLICT)
	if all, produced := f.symbolCopies(t, r.ID); all != 3 || produced != 2 {
		t.Fatalf("after producing twice: %d copies of AA1, %d produced; want 3 and 2", all, produced)
	}
	// A request for nobody in particular may go to anyone; hand-over issues each copy.
	r = must[*keyward.CopyRequest](t)(f.dup.HandOver(ctx, f.advisor, r.ID, keyward.HandOverInput{HolderID: f.signatory.ID}))
	if r.State != keyward.CopyHandedOver {
		t.Fatalf("after hand-over: %s", r.State)
	}
	for _, k := range r.Keys {
		if k.Status != keyward.StatusIssued || k.HolderID != f.signatory.ID {
			t.Fatalf("handed-over key = %+v", k)
		}
		hist := must[*keyward.Page[keyward.Event]](t)(f.db.Custody().History(ctx, f.owner, k.ID, keyward.ListOptions{}))
		if n := len(hist.Items); n != 2 || hist.Items[1].Action != keyward.CustodyIssue || hist.Items[1].HolderID != f.signatory.ID {
			t.Fatalf("logbook of %s after hand-over = %+v", k.Stamp, hist.Items)
		}
	}
	_, err = f.dup.HandOver(ctx, f.advisor, r.ID, keyward.HandOverInput{HolderID: f.signatory.ID})
	wantCode(t, err, keyward.ECONFLICT)
	_, err = f.dup.Cancel(ctx, f.owner, r.ID, keyward.CopyDecisionInput{Reason: "too late"})
	wantCode(t, err, keyward.ECONFLICT)
	// The request's own history, step by step.
	r = must[*keyward.CopyRequest](t)(f.dup.CopyRequest(ctx, f.owner, r.ID))
	var steps []string
	for _, e := range r.History {
		steps = append(steps, e.Step+">"+e.State)
	}
	want := "request>requested evidence>evidence_accepted approve>approved produce>produced hand_over>handed_over"
	if strings.Join(steps, " ") != want {
		t.Fatalf("history = %s\nwant      %s", strings.Join(steps, " "), want)
	}
	if r.History[1].ByName != "desk" || !strings.Contains(r.History[3].Note, "AA1-2") {
		t.Fatalf("history lines = %+v", r.History)
	}
	if sum, _, err := f.db.VerifyAudit(ctx, nil); err != nil {
		t.Fatalf("audit after the workflow: %+v %v", sum, err)
	}
	f.wantCardNowhere(t)
}

// wantCardNowhere checks that the card number is in no audit record, no
// plaintext column and, on SQLite, nowhere in the database files.
func (f *copyFixture) wantCardNowhere(t *testing.T) {
	t.Helper()
	for _, probe := range []string{copyCard, "77310042", "7731-0043"} {
		like := "%" + probe + "%"
		for _, q := range []string{
			`SELECT COUNT(*) FROM audit_log WHERE details LIKE ? OR subject_id LIKE ?`,
			`SELECT COUNT(*) FROM copy_requests WHERE reason LIKE ? OR decision_reason LIKE ?`,
			`SELECT COUNT(*) FROM copy_request_events WHERE note LIKE ? OR step LIKE ?`,
			`SELECT COUNT(*) FROM keyways WHERE card_sealed LIKE ? OR name LIKE ?`,
		} {
			args := []any{like, like}
			if n := f.env.SQL().MustCount(t, q, args...); n != 0 {
				t.Fatalf("the card number (%s) is in the database: %s", probe, q)
			}
		}
	}
	if f.env.URL == "" {
		for _, name := range []string{"keyward.db", "keyward.db-wal"} {
			b, err := os.ReadFile(filepath.Join(f.env.Dir, name))
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(copyCard)) || bytes.Contains(b, []byte("77310042")) {
				t.Fatalf("the card number is in %s in plaintext", name)
			}
		}
	}
}

// testCopySignatories: an expired, a removed and a missing signatory are
// refused naming signatory_holder_id; removing one cancels the requests
// their evidence authorized, saying why.
func testCopySignatories(t *testing.T, b Backend) {
	f := copySetup(t, b, keyward.DupRestricted)
	// Registered until tomorrow; the day after, the registration has ended.
	until := f.env.Clock.Now().Add(24 * time.Hour)
	must[*keyward.Signatory](t)(f.dup.AddSignatory(ctx, f.mgr1, f.keyway.ID, keyward.SignatoryInput{HolderID: f.another.ID, Until: &until}))
	_, err := f.dup.AddSignatory(ctx, f.mgr1, f.keyway.ID, keyward.SignatoryInput{HolderID: f.another.ID})
	wantCode(t, err, keyward.ECONFLICT)
	past := f.env.Clock.Now().Add(-time.Hour)
	_, err = f.dup.AddSignatory(ctx, f.mgr1, f.keyway.ID, keyward.SignatoryInput{HolderID: f.signatory.ID, Until: &past})
	wantField(t, err, "until")
	_, err = f.dup.AddSignatory(ctx, f.mgr1, f.keyway.ID, keyward.SignatoryInput{HolderID: "hld_nope"})
	wantField(t, err, "holder_id")
	_, err = f.dup.AddSignatory(ctx, f.advisor, f.keyway.ID, keyward.SignatoryInput{HolderID: f.another.ID})
	wantCode(t, err, keyward.EFORBIDDEN)
	f.env.Clock.Advance(48 * time.Hour)
	r := f.request(t, f.mgr1, 1)
	_, err = f.dup.AcceptEvidence(ctx, f.advisor, r.ID, f.evidence(f.another.ID, copyCard))
	wantField(t, err, "signatory_holder_id")
	if !strings.Contains(err.Error(), "ended") {
		t.Fatalf("an expired signatory: %v does not say the registration ended", err)
	}
	ctl := must[*keyward.KeywayControl](t)(f.dup.KeywayControl(ctx, f.advisor, f.keyway.ID))
	if !ctl.HasCard || ctl.CardSetAt == nil || len(ctl.Signatories) != 2 || ctl.Signatories[0].HolderID != f.signatory.ID || ctl.Signatories[1].Current(f.env.Clock.Now()) {
		t.Fatalf("keyway control = %+v", ctl)
	}
	// An expired registration may begin again.
	must[*keyward.Signatory](t)(f.dup.AddSignatory(ctx, f.mgr1, f.keyway.ID, keyward.SignatoryInput{HolderID: f.another.ID}))

	// Evidence from a signatory who is then removed: the request is cancelled, saying why.
	r = must[*keyward.CopyRequest](t)(f.dup.AcceptEvidence(ctx, f.advisor, r.ID, f.evidence(f.signatory.ID, copyCard)))
	other := f.request(t, f.mgr1, 1) // no evidence yet: not theirs, stays
	if err := f.dup.RemoveSignatory(ctx, f.mgr2, f.keyway.ID, f.signatory.ID); err != nil {
		t.Fatal(err)
	}
	r = must[*keyward.CopyRequest](t)(f.dup.CopyRequest(ctx, f.owner, r.ID))
	last := r.History[len(r.History)-1]
	if r.State != keyward.CopyCancelled || last.Step != keyward.CopyStepCancel || !strings.Contains(last.Note, "Rosa Vega was removed as a signatory") ||
		!strings.Contains(r.DecisionReason, "removed") {
		t.Fatalf("request of a removed signatory = %s, last line %+v", r.State, last)
	}
	if got := must[*keyward.CopyRequest](t)(f.dup.CopyRequest(ctx, f.owner, other.ID)); got.State != keyward.CopyRequested {
		t.Fatalf("a request without their evidence became %s", got.State)
	}
	// Approval after cancellation is a conflict; so is removing them twice.
	_, err = f.dup.Approve(ctx, f.mgr2, r.ID)
	wantCode(t, err, keyward.ECONFLICT)
	wantCode(t, f.dup.RemoveSignatory(ctx, f.mgr2, f.keyway.ID, f.signatory.ID), keyward.ENOTFOUND)
	// The removed signatory's evidence is refused on the next request.
	_, err = f.dup.AcceptEvidence(ctx, f.advisor, other.ID, f.evidence(f.signatory.ID, copyCard))
	wantField(t, err, "signatory_holder_id")
	if !strings.Contains(err.Error(), "removed") {
		t.Fatalf("a removed signatory: %v", err)
	}
	recs := must[*keyward.Page[keyward.AuditRecord]](t)(f.db.Audit(ctx, f.owner, keyward.AuditFilter{Action: "copy.signatory_remove"}))
	if len(recs.Items) != 1 || !strings.Contains(recs.Items[0].Details, r.ID) {
		t.Fatalf("removal audit = %+v", recs.Items)
	}

	// A restricted keyway with no signatories at all.
	kw := must[*keyward.Keyway](t)(f.db.Directory().CreateKeyway(ctx, f.owner, keyward.KeywayInput{Name: "Abloy Protec2", DuplicationPolicy: keyward.DupRestricted}))
	k := must[*keyward.Key](t)(f.db.Custody().CreateKey(ctx, f.owner, keyward.KeyInput{KeywayID: kw.ID, Symbol: "P1"}))
	if err := f.dup.SetCard(ctx, f.owner, kw.ID, keyward.CardInput{Number: "P-1"}); err != nil {
		t.Fatal(err)
	}
	r = must[*keyward.CopyRequest](t)(f.dup.RequestCopies(ctx, f.mgr1, keyward.CopyRequestInput{KeyID: k.ID, Count: 1, Reason: "spare"}))
	_, err = f.dup.AcceptEvidence(ctx, f.advisor, r.ID, f.evidence(f.signatory.ID, "P-1"))
	wantField(t, err, "signatory_holder_id")
	if !strings.Contains(err.Error(), "none") {
		t.Fatalf("no signatories: %v", err)
	}
	f.wantCardNowhere(t)
}

// testCopyDecisions: approvals after a decision, denial, escalation to the
// owner, the two-person rule and the organization's approvals required.
func testCopyDecisions(t *testing.T, b Backend) {
	f := copySetup(t, b, keyward.DupDND)
	// A dnd request needs a reason, and a count from 1 to 20.
	for _, n := range []int{0, 21, -1} {
		_, err := f.dup.RequestCopies(ctx, f.mgr1, keyward.CopyRequestInput{KeyID: f.key.ID, Count: n, Reason: "x"})
		wantField(t, err, "count")
	}
	_, err := f.dup.RequestCopies(ctx, f.mgr1, keyward.CopyRequestInput{KeyID: f.key.ID, Count: 1})
	wantField(t, err, "reason")
	_, err = f.dup.RequestCopies(ctx, f.mgr1, keyward.CopyRequestInput{KeyID: "key_nope", Count: 1, Reason: "x"})
	wantField(t, err, "key_id")

	// Cancelled, then approved: a conflict.
	r := f.request(t, f.mgr1, 1)
	r = must[*keyward.CopyRequest](t)(f.dup.Cancel(ctx, f.advisor, r.ID, keyward.CopyDecisionInput{Reason: "asked twice"}))
	if r.State != keyward.CopyCancelled || r.DecisionReason != "asked twice" {
		t.Fatalf("cancelled = %+v", r)
	}
	_, err = f.dup.Approve(ctx, f.mgr2, r.ID)
	wantCode(t, err, keyward.ECONFLICT)
	_, err = f.dup.Cancel(ctx, f.advisor, r.ID, keyward.CopyDecisionInput{})
	wantField(t, err, "reason")

	// Denied with a reason; the requester may not deny their own either.
	r = f.request(t, f.mgr1, 1)
	_, err = f.dup.Deny(ctx, f.mgr1, r.ID, keyward.CopyDecisionInput{Reason: "no"})
	wantCode(t, err, keyward.EFORBIDDEN)
	r = must[*keyward.CopyRequest](t)(f.dup.Deny(ctx, f.mgr2, r.ID, keyward.CopyDecisionInput{Reason: "the lease ended"}))
	if r.State != keyward.CopyDenied || r.DecisionReason != "the lease ended" {
		t.Fatalf("denied = %+v", r)
	}
	_, err = f.dup.Approve(ctx, f.mgr3, r.ID)
	wantCode(t, err, keyward.ECONFLICT)

	// Escalated: only the owner decides.
	r = f.request(t, f.mgr1, 1)
	r = must[*keyward.CopyRequest](t)(f.dup.Escalate(ctx, f.advisor, r.ID, keyward.CopyDecisionInput{Reason: "the letter is unsigned"}))
	if r.State != keyward.CopyEscalated {
		t.Fatalf("escalated = %s", r.State)
	}
	_, err = f.dup.Approve(ctx, f.mgr2, r.ID)
	wantCode(t, err, keyward.EFORBIDDEN)
	_, err = f.dup.Deny(ctx, f.mgr2, r.ID, keyward.CopyDecisionInput{Reason: "no"})
	wantCode(t, err, keyward.EFORBIDDEN)
	if r = must[*keyward.CopyRequest](t)(f.dup.Approve(ctx, f.owner, r.ID)); r.State != keyward.CopyApproved {
		t.Fatalf("owner's decision = %s", r.State)
	}

	// Settings: the owner only; two approvals and the two-person rule.
	wantCode(t, f.dup.SetCopySettings(ctx, f.mgr1, keyward.CopySettings{ApprovalsRequired: 2}), keyward.EFORBIDDEN)
	wantField(t, f.dup.SetCopySettings(ctx, f.owner, keyward.CopySettings{ApprovalsRequired: 4}), "approvals_required")
	if err := f.dup.SetCopySettings(ctx, f.owner, keyward.CopySettings{ApprovalsRequired: 2, TwoPersonRule: true}); err != nil {
		t.Fatal(err)
	}
	if s := must[keyward.CopySettings](t)(f.dup.CopySettings(ctx, f.advisor)); s.ApprovalsRequired != 2 || !s.TwoPersonRule {
		t.Fatalf("settings = %+v", s)
	}
	r = f.request(t, f.mgr1, 1)
	if r.ApprovalsRequired != 2 {
		t.Fatalf("approvals required = %d", r.ApprovalsRequired)
	}
	if r = must[*keyward.CopyRequest](t)(f.dup.Approve(ctx, f.mgr2, r.ID)); r.State != keyward.CopyRequested || len(r.Approvals) != 1 {
		t.Fatalf("after one of two approvals: %+v", r)
	}
	_, err = f.dup.Approve(ctx, f.mgr2, r.ID)
	wantCode(t, err, keyward.ECONFLICT) // one manager counts once
	if r = must[*keyward.CopyRequest](t)(f.dup.Approve(ctx, f.mgr3, r.ID)); r.State != keyward.CopyApproved || len(r.Approvals) != 2 {
		t.Fatalf("after two approvals: %+v", r)
	}

	// The two-person rule: whoever checked the ID does not approve.
	g := copySetup(t, b, keyward.DupRestricted)
	if err := g.dup.SetCopySettings(ctx, g.owner, keyward.CopySettings{ApprovalsRequired: 1, TwoPersonRule: true}); err != nil {
		t.Fatal(err)
	}
	r = g.request(t, g.mgr1, 1)
	must[*keyward.CopyRequest](t)(g.dup.AcceptEvidence(ctx, g.mgr2, r.ID, g.evidence(g.signatory.ID, copyCard)))
	_, err = g.dup.Approve(ctx, g.mgr2, r.ID)
	wantCode(t, err, keyward.EFORBIDDEN)
	if r = must[*keyward.CopyRequest](t)(g.dup.Approve(ctx, g.mgr3, r.ID)); r.State != keyward.CopyApproved {
		t.Fatalf("the other manager's approval: %s", r.State)
	}
}

// testCopyOpenKeyway: a freely copied keyway's request is approved at once
// and still produced and counted; staff and managers create its keys directly.
func testCopyOpenKeyway(t *testing.T, b Backend) {
	f := copySetup(t, b, keyward.DupOpen)
	r := must[*keyward.CopyRequest](t)(f.dup.RequestCopies(ctx, f.tech, keyward.CopyRequestInput{KeyID: f.key.ID, Count: 3}))
	if r.State != keyward.CopyApproved || r.ApprovalsRequired != 0 || len(r.History) != 1 {
		t.Fatalf("open request = %+v", r)
	}
	r = must[*keyward.CopyRequest](t)(f.dup.Produce(ctx, f.tech, r.ID))
	if len(r.Keys) != 3 || r.Keys[2].Stamp != "AA1-4" {
		t.Fatalf("produced = %+v", r.Keys)
	}
	k := must[*keyward.Key](t)(f.db.Custody().CreateKey(ctx, f.mgr1, keyward.KeyInput{KeywayID: f.keyway.ID, Symbol: "AA1"}))
	if k.CopyNumber != 5 || k.Origin != keyward.OriginRegistered {
		t.Fatalf("a manager's plain create on an open keyway = %+v", k)
	}
}

// testCopyConcurrency: two managers approving at once count once, and a
// request is produced once, with real goroutines on two handles (as two
// servers would be).
func testCopyConcurrency(t *testing.T, b Backend) {
	f := copySetup(t, b, keyward.DupDND)
	dbs := []*store.DB{f.db, f.env.Open(t)}
	race := func(n int, fn func(i int, d *store.Duplication) error) []error {
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = fn(i, dbs[i%2].Duplication(f.env.Vault))
			}()
		}
		close(start)
		wg.Wait()
		return errs
	}
	outcome := func(errs []error) (ok, conflict int) {
		for _, err := range errs {
			switch keyward.ErrorCode(err) {
			case "":
				ok++
			case keyward.ECONFLICT:
				conflict++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		return ok, conflict
	}
	approvedLines := func(id string) int64 {
		return f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM copy_request_events WHERE request_id = ? AND state = ? AND step = ?`, id, keyward.CopyApproved, keyward.CopyStepApprove)
	}
	managers := []keyward.Actor{f.mgr2, f.mgr3}

	// One approval needed: of two managers at once, one approves, one gets 409.
	r := f.request(t, f.mgr1, 2)
	errs := race(2, func(i int, d *store.Duplication) error { _, err := d.Approve(ctx, managers[i], r.ID); return err })
	if ok, conflict := outcome(errs); ok != 1 || conflict != 1 {
		t.Fatalf("two approvals at once: %d ok, %d conflicts; want 1 and 1", ok, conflict)
	}
	if n := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM copy_approvals WHERE request_id = ?`, r.ID); n != 1 || approvedLines(r.ID) != 1 {
		t.Fatalf("%d approvals, %d approved lines; want 1 and 1", n, approvedLines(r.ID))
	}
	// The same manager twice at once counts once.
	r2 := f.request(t, f.mgr1, 1)
	errs = race(4, func(_ int, d *store.Duplication) error { _, err := d.Approve(ctx, f.mgr2, r2.ID); return err })
	if ok, conflict := outcome(errs); ok != 1 || conflict != 3 {
		t.Fatalf("one manager four times at once: %d ok, %d conflicts", ok, conflict)
	}

	// Produced once: of eight productions at once, one cuts the copies.
	errs = race(8, func(_ int, d *store.Duplication) error { _, err := d.Produce(ctx, f.tech, r.ID); return err })
	if ok, conflict := outcome(errs); ok != 1 || conflict != 7 {
		t.Fatalf("eight productions at once: %d ok, %d conflicts", ok, conflict)
	}
	if all, produced := f.symbolCopies(t, r.ID); all != 3 || produced != 2 {
		t.Fatalf("after racing productions: %d copies, %d produced; want 3 and 2", all, produced)
	}

	// Two approvals needed: both count, and the request is approved exactly once.
	if err := f.dup.SetCopySettings(ctx, f.owner, keyward.CopySettings{ApprovalsRequired: 2}); err != nil {
		t.Fatal(err)
	}
	r3 := f.request(t, f.mgr1, 1)
	errs = race(2, func(i int, d *store.Duplication) error { _, err := d.Approve(ctx, managers[i], r3.ID); return err })
	if ok, conflict := outcome(errs); ok != 2 || conflict != 0 {
		t.Fatalf("two of two approvals at once: %d ok, %d conflicts", ok, conflict)
	}
	got := must[*keyward.CopyRequest](t)(f.dup.CopyRequest(ctx, f.owner, r3.ID))
	if got.State != keyward.CopyApproved || len(got.Approvals) != 2 || approvedLines(r3.ID) != 1 {
		t.Fatalf("two of two: %s with %d approvals, %d approved lines", got.State, len(got.Approvals), approvedLines(r3.ID))
	}
	if sum, _, err := f.db.VerifyAudit(ctx, nil); err != nil {
		t.Fatalf("audit after the races: %+v %v", sum, err)
	}
}

// testCopySelfService: a holder asks for copies of a key they hold, for
// themselves, and sees only their own requests.
func testCopySelfService(t *testing.T, b Backend) {
	f := copySetup(t, b, keyward.DupDND)
	rosa := f.actor(t, "rosa.user@acme.test", keyward.RoleHolder, f.signatory.ID)
	ivo := f.actor(t, "ivo.user@acme.test", keyward.RoleHolder, f.another.ID)
	// Rosa holds nothing yet.
	_, err := f.dup.RequestCopies(ctx, rosa, keyward.CopyRequestInput{KeyID: f.key.ID, Count: 1, Reason: "spare"})
	wantCode(t, err, keyward.EFORBIDDEN)
	if n := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM audit_log WHERE action = ?`, "denied.copy.request"); n != 1 {
		t.Fatalf("refused request: %d denial records", n)
	}
	must[*keyward.Key](t)(f.db.Custody().Move(ctx, f.owner, f.key.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: f.signatory.ID}))
	_, err = f.dup.RequestCopies(ctx, rosa, keyward.CopyRequestInput{KeyID: f.key.ID, Count: 1, Reason: "spare", ForHolderID: f.another.ID})
	wantCode(t, err, keyward.EFORBIDDEN)
	mine := must[*keyward.CopyRequest](t)(f.dup.RequestCopies(ctx, rosa, keyward.CopyRequestInput{KeyID: f.key.ID, Count: 1, Reason: "spare for my partner"}))
	if mine.ForHolderID != f.signatory.ID || mine.ForHolderName != "Rosa Vega" || mine.RequestedBy != rosa.UserID {
		t.Fatalf("holder's request = %+v", mine)
	}
	staffs := f.request(t, f.mgr1, 1)
	// Ivo holds nothing and sees nothing of Rosa's.
	_, err = f.dup.RequestCopies(ctx, ivo, keyward.CopyRequestInput{KeyID: f.key.ID, Count: 1, Reason: "mine too"})
	wantCode(t, err, keyward.EFORBIDDEN)
	_, err = f.dup.CopyRequest(ctx, ivo, mine.ID)
	wantCode(t, err, keyward.ENOTFOUND)
	if p := must[keyward.Page[keyward.CopyRequest]](t)(f.dup.CopyRequests(ctx, ivo, nil, keyward.ListOptions{})); len(p.Items) != 0 {
		t.Fatalf("another holder lists %d requests", len(p.Items))
	}
	_, err = f.dup.Cancel(ctx, ivo, mine.ID, keyward.CopyDecisionInput{Reason: "mischief"})
	wantCode(t, err, keyward.ENOTFOUND)
	// Rosa sees hers, not the manager's, and may cancel hers but never approve.
	p := must[keyward.Page[keyward.CopyRequest]](t)(f.dup.CopyRequests(ctx, rosa, nil, keyward.ListOptions{}))
	if len(p.Items) != 1 || p.Items[0].ID != mine.ID {
		t.Fatalf("holder lists %+v", p.Items)
	}
	_, err = f.dup.CopyRequest(ctx, rosa, staffs.ID)
	wantCode(t, err, keyward.ENOTFOUND)
	_, err = f.dup.Approve(ctx, rosa, mine.ID)
	wantCode(t, err, keyward.EFORBIDDEN)
	if got := must[*keyward.CopyRequest](t)(f.dup.Cancel(ctx, rosa, mine.ID, keyward.CopyDecisionInput{Reason: "found the old one"})); got.State != keyward.CopyCancelled {
		t.Fatalf("holder's cancel: %s", got.State)
	}
	// Staff list everyone's, newest first, and narrow by state.
	all := must[keyward.Page[keyward.CopyRequest]](t)(f.dup.CopyRequests(ctx, f.tech, nil, keyward.ListOptions{}))
	if len(all.Items) != 2 {
		t.Fatalf("staff lists %d", len(all.Items))
	}
	open := must[keyward.Page[keyward.CopyRequest]](t)(f.dup.CopyRequests(ctx, f.tech, []string{keyward.CopyRequested}, keyward.ListOptions{}))
	if len(open.Items) != 1 || open.Items[0].ID != staffs.ID {
		t.Fatalf("requested only: %+v", open.Items)
	}
	_, err = f.dup.CopyRequests(ctx, f.tech, []string{"pending"}, keyward.ListOptions{})
	wantField(t, err, "state")
	// Hand-over of a request made for someone goes to them only.
	r := must[*keyward.CopyRequest](t)(f.dup.RequestCopies(ctx, f.mgr1, keyward.CopyRequestInput{KeyID: f.key.ID, Count: 1, Reason: "for Ivo", ForHolderID: f.another.ID}))
	must[*keyward.CopyRequest](t)(f.dup.Approve(ctx, f.mgr2, r.ID))
	must[*keyward.CopyRequest](t)(f.dup.Produce(ctx, f.tech, r.ID))
	_, err = f.dup.HandOver(ctx, f.tech, r.ID, keyward.HandOverInput{HolderID: f.signatory.ID})
	wantField(t, err, "holder_id")
	if got := must[*keyward.CopyRequest](t)(f.dup.HandOver(ctx, f.tech, r.ID, keyward.HandOverInput{HolderID: f.another.ID})); got.State != keyward.CopyHandedOver {
		t.Fatalf("hand-over to Ivo: %s", got.State)
	}
	// Ivo follows the request made for him.
	if got := must[*keyward.CopyRequest](t)(f.dup.CopyRequest(ctx, ivo, r.ID)); got.Keys[0].HolderID != f.another.ID {
		t.Fatalf("Ivo's view = %+v", got)
	}
}

// testKeyCreatePolicy: a manager's plain create and import of dnd or
// restricted keys are refused (the import naming the rows); an owner or
// admin registers existing copies, recorded as such.
func testKeyCreatePolicy(t *testing.T, b Backend) {
	f := copySetup(t, b, keyward.DupDND)
	admin := f.actor(t, "admin@acme.test", keyward.RoleAdmin, "")
	_, err := f.db.Custody().CreateKey(ctx, f.mgr1, keyward.KeyInput{KeywayID: f.keyway.ID, Symbol: "AA1"})
	wantCode(t, err, keyward.EFORBIDDEN)
	if !strings.Contains(err.Error(), "[keyway_id:") || !strings.Contains(keyward.ErrorMessage(err), "copy request") {
		t.Fatalf("refusal = %v", err)
	}
	if n := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM audit_log WHERE action = ? AND subject_id = ?`, "denied.key.create", f.keyway.ID); n != 1 {
		t.Fatalf("refused create: %d denial records", n)
	}
	k := must[*keyward.Key](t)(f.db.Custody().CreateKey(ctx, admin, keyward.KeyInput{KeywayID: f.keyway.ID, Symbol: "AA1"}))
	if k.Origin != keyward.OriginRegistered || k.CopyNumber != 2 {
		t.Fatalf("admin's registration = %+v", k)
	}
	recs := must[*keyward.Page[keyward.AuditRecord]](t)(f.db.Audit(ctx, f.owner, keyward.AuditFilter{Action: "key.create", SubjectID: k.ID}))
	if len(recs.Items) != 1 || !strings.Contains(recs.Items[0].Details, `"origin":"registered"`) {
		t.Fatalf("registration audit = %+v", recs.Items)
	}
	if got := must[*keyward.Key](t)(f.db.Custody().Key(ctx, f.owner, k.ID)); got.Origin != keyward.OriginRegistered {
		t.Fatalf("read back origin %q", got.Origin)
	}

	must[*keyward.Keyway](t)(f.db.Directory().CreateKeyway(ctx, f.owner, keyward.KeywayInput{Name: "Kwikset KW1", DuplicationPolicy: keyward.DupOpen}))
	must[*keyward.Keyway](t)(f.db.Directory().CreateKeyway(ctx, f.owner, keyward.KeywayInput{Name: "Mul-T-Lock", DuplicationPolicy: keyward.DupRestricted}))
	csv := "symbol,keyway\nB1,Kwikset KW1\nB2,Medeco M3\nB3,Kwikset KW1\nB4,Mul-T-Lock\n"
	parse := func() *importer.File {
		file, err := importer.Parse(strings.NewReader(csv), importer.CSV)
		if err != nil {
			t.Fatal(err)
		}
		return file
	}
	dry := must[*keyward.ImportResult](t)(f.db.Import(ctx, f.mgr1, parse(), true))
	if len(dry.Errors) != 2 || dry.Errors[0].Row != 2 || dry.Errors[1].Row != 4 || dry.Errors[0].Column != "keyway" || dry.Errors[0].Rule != keyward.RuleCopyThroughRequest {
		t.Fatalf("manager's dry run = %+v", dry.Errors)
	}
	_, err = f.db.Import(ctx, f.mgr1, parse(), false)
	wantCode(t, err, keyward.EUNPROCESSABLE)
	if n := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM keys WHERE symbol LIKE ?`, "B%"); n != 0 {
		t.Fatalf("a refused import wrote %d keys", n)
	}
	must[*keyward.ImportResult](t)(f.db.Import(ctx, f.owner, parse(), false))
	if n := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM keys WHERE symbol LIKE ? AND origin = ?`, "B%", keyward.OriginImported); n != 4 {
		t.Fatalf("the owner's import: %d imported keys, want 4", n)
	}
}
