package keyward

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestTransitionConflict: the 409 names the key's current status when the
// move cannot start from it, and never claims the status the move needs.
func TestTransitionConflict(t *testing.T) {
	cases := []struct {
		status, action, want string
	}{
		{StatusInStorage, CustodyCheckin, "key AA1-1 is in_storage; checkin needs a key that is checked_out"},
		{StatusCheckedOut, CustodyCheckout, "key AA1-1 is checked_out; checkout needs a key that is in_storage"},
		{StatusDestroyed, CustodyLost, "key AA1-1 is destroyed; lost needs a key that is in_storage or issued or checked_out"},
		// The key read again shows a status the move may start from: it changed while the request ran.
		{StatusCheckedOut, CustodyCheckin, "key AA1-1 changed while this request ran; reload it and try again"},
		{StatusIssued, CustodyReturn, "key AA1-1 changed while this request ran; reload it and try again"},
		{StatusIssued, CustodyLost, "key AA1-1 changed while this request ran; reload it and try again"},
	}
	for _, c := range cases {
		err := TransitionConflict(&Key{Stamp: "AA1-1", Status: c.status}, c.action)
		if ErrorCode(err) != ECONFLICT {
			t.Fatalf("%s from %s: code %s", c.action, c.status, ErrorCode(err))
		}
		if msg := ErrorMessage(err); msg != c.want {
			t.Errorf("%s from %s:\n got %q\nwant %q", c.action, c.status, ErrorMessage(err), c.want)
		}
	}
}

// TestPlanMove is the custody state machine, every action from every status:
// whether it is allowed, and the key and logbook line after it.
func TestPlanMove(t *testing.T) {
	due := time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC)
	oldDue := time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC)
	staff := Actor{UserID: "u1", Role: RoleManager}
	type want struct {
		status, holder    string
		due               *time.Time
		newCO, keepCO     bool
		lineHolder, giver string
		recipient         string
	}
	cases := []struct {
		action, status, holder string // the key as read: status and holder
		req                    MoveRequest
		want                   *want // nil: refused with code
		code                   Code
	}{
		{action: CustodyCheckout, status: StatusInStorage, req: MoveRequest{HolderID: "h2", DueAt: &due},
			want: &want{status: StatusCheckedOut, holder: "h2", due: &due, newCO: true, lineHolder: "h2", recipient: "h2"}},
		{action: CustodyCheckout, status: StatusCheckedOut, holder: "h1", req: MoveRequest{HolderID: "h2", DueAt: &due}, code: ECONFLICT},
		{action: CustodyCheckout, status: StatusIssued, holder: "h1", req: MoveRequest{HolderID: "h2", DueAt: &due}, code: ECONFLICT},
		{action: CustodyCheckout, status: StatusLost, req: MoveRequest{HolderID: "h2", DueAt: &due}, code: ECONFLICT},
		{action: CustodyCheckin, status: StatusCheckedOut, holder: "h1",
			want: &want{status: StatusInStorage, lineHolder: "h1"}},
		{action: CustodyCheckin, status: StatusInStorage, code: ECONFLICT},
		{action: CustodyCheckin, status: StatusIssued, holder: "h1", code: ECONFLICT},
		{action: CustodyIssue, status: StatusInStorage, req: MoveRequest{HolderID: "h2"},
			want: &want{status: StatusIssued, holder: "h2", lineHolder: "h2", recipient: "h2"}},
		{action: CustodyIssue, status: StatusIssued, holder: "h1", req: MoveRequest{HolderID: "h2"}, code: ECONFLICT},
		{action: CustodyReturn, status: StatusIssued, holder: "h1", want: &want{status: StatusInStorage, lineHolder: "h1"}},
		{action: CustodyReturn, status: StatusCheckedOut, holder: "h1", code: ECONFLICT},
		{action: CustodyTransfer, status: StatusCheckedOut, holder: "h1", req: MoveRequest{HolderID: "h2"},
			want: &want{status: StatusCheckedOut, holder: "h2", due: &oldDue, keepCO: true, lineHolder: "h2", giver: "h1", recipient: "h2"}},
		{action: CustodyTransfer, status: StatusIssued, holder: "h1", req: MoveRequest{HolderID: "h2"},
			want: &want{status: StatusIssued, holder: "h2", due: &oldDue, keepCO: true, lineHolder: "h2", giver: "h1", recipient: "h2"}},
		{action: CustodyTransfer, status: StatusIssued, holder: "h1", req: MoveRequest{HolderID: "h1"}, code: EINVALID},
		{action: CustodyTransfer, status: StatusInStorage, req: MoveRequest{HolderID: "h2"}, code: ECONFLICT},
		{action: CustodyLost, status: StatusCheckedOut, holder: "h1", want: &want{status: StatusLost, holder: "h1", lineHolder: "h1"}},
		{action: CustodyLost, status: StatusInStorage, want: &want{status: StatusLost}},
		{action: CustodyLost, status: StatusLost, code: ECONFLICT},
		{action: CustodyFound, status: StatusLost, holder: "h1", want: &want{status: StatusInStorage, lineHolder: "h1"}},
		{action: CustodyFound, status: StatusInStorage, code: ECONFLICT},
		{action: CustodyDestroy, status: StatusLost, want: &want{status: StatusDestroyed}},
		{action: CustodyDestroy, status: StatusIssued, holder: "h1", want: &want{status: StatusDestroyed, lineHolder: "h1"}},
		{action: CustodyDestroy, status: StatusDestroyed, code: ECONFLICT},
		{action: "lend", status: StatusInStorage, code: EINVALID},
		// Collecting from a leaving holder picks check-in or return.
		{status: StatusCheckedOut, holder: "h1", req: MoveRequest{CollectFrom: "h1"}, want: &want{status: StatusInStorage, lineHolder: "h1"}},
		{status: StatusIssued, holder: "h1", req: MoveRequest{CollectFrom: "h1"}, want: &want{status: StatusInStorage, lineHolder: "h1"}},
		{status: StatusIssued, holder: "h3", req: MoveRequest{CollectFrom: "h1"}, code: ECONFLICT},
		{status: StatusLost, holder: "h1", req: MoveRequest{CollectFrom: "h1"}, code: ECONFLICT},
	}
	for _, c := range cases {
		k := Key{ID: "k1", Stamp: "AA1-1", Status: c.status, HolderID: c.holder}
		if c.holder != "" {
			k.DueAt = &oldDue
		}
		c.req.Action = c.action
		name := c.action + " from " + c.status + " " + c.req.CollectFrom
		m, err := PlanMove(staff, k, c.req)
		if c.want == nil {
			if err == nil || ErrorCode(err) != c.code {
				t.Errorf("%s: %v, want %s", name, err, c.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		w := c.want
		got := want{m.Key.Status, m.Key.HolderID, m.Key.DueAt, m.NewCheckout, m.KeepCheckout, m.LineHolder, m.Giver, m.Recipient}
		if got.status != w.status || got.holder != w.holder || (got.due == nil) != (w.due == nil) ||
			(got.due != nil && !got.due.Equal(*w.due)) || got.newCO != w.newCO || got.keepCO != w.keepCO ||
			got.lineHolder != w.lineHolder || got.giver != w.giver || got.recipient != w.recipient {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, *w)
		}
		if !slices.Contains(m.From, c.status) || m.PrevHolder != c.holder {
			t.Errorf("%s: guard %v / %q does not hold the key as read", name, m.From, m.PrevHolder)
		}
	}
}

// A holder may report only their own key lost.
func TestPlanMoveHolderActor(t *testing.T) {
	h := Actor{UserID: "u2", Role: RoleHolder, HolderID: "h1"}
	if _, err := PlanMove(h, Key{Status: StatusIssued, HolderID: "h1"}, MoveRequest{Action: CustodyLost}); err != nil {
		t.Fatalf("own key: %v", err)
	}
	for _, k := range []Key{{Status: StatusIssued, HolderID: "h2"}, {Status: StatusInStorage}} {
		if _, err := PlanMove(h, k, MoveRequest{Action: CustodyLost}); ErrorCode(err) != EFORBIDDEN {
			t.Errorf("key of %q: %v, want EFORBIDDEN", k.HolderID, err)
		}
	}
	if _, err := PlanMove(Actor{Role: RoleHolder}, Key{Status: StatusInStorage}, MoveRequest{Action: CustodyLost}); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("holder account without a holder: %v", err)
	}
}

// The request names a holder exactly when the action hands the key over.
func TestMoveRequestValidate(t *testing.T) {
	cases := []struct {
		r     MoveRequest
		field string // "" when valid
	}{
		{MoveRequest{Action: CustodyIssue, HolderID: "h"}, ""},
		{MoveRequest{Action: CustodyIssue}, "holder_id"},
		{MoveRequest{Action: CustodyTransfer}, "holder_id"},
		{MoveRequest{Action: CustodyCheckout}, "holder_id"},
		{MoveRequest{Action: CustodyReturn}, ""},
		{MoveRequest{Action: CustodyReturn, HolderID: "h"}, "holder_id"},
		{MoveRequest{Action: CustodyLost, HolderID: "h"}, "holder_id"},
		{MoveRequest{Action: CustodyDestroy}, ""},
		{MoveRequest{Action: CustodyCreate}, "action"},
		{MoveRequest{Action: "lend"}, "action"},
		{MoveRequest{CollectFrom: "h"}, ""},
		{MoveRequest{Action: CustodyFound, Note: strings.Repeat("n", MaxNote+1)}, "note"},
	}
	for _, c := range cases {
		err := c.r.Validate()
		if c.field == "" {
			if err != nil {
				t.Errorf("%+v: %v", c.r, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != EINVALID || len(e.Fields) == 0 || e.Fields[0].Field != c.field {
			t.Errorf("%+v: %v, want EINVALID on %s", c.r, err, c.field)
		}
	}
}

// Which statuses count as held, in circulation, and still opening locks.
func TestStatusLists(t *testing.T) {
	cases := []struct {
		name string
		got  []string
		want []string
	}{
		{"held", HeldStatuses, []string{StatusIssued, StatusCheckedOut}},
		{"circulating", CirculatingStatuses, []string{StatusInStorage, StatusIssued, StatusCheckedOut}},
		{"opening", OpeningStatuses, []string{StatusInStorage, StatusIssued, StatusCheckedOut, StatusLost}},
	}
	for _, c := range cases {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s statuses = %v, want %v", c.name, c.got, c.want)
		}
	}
	for _, s := range KeyStatuses {
		if Held(s) != (s == StatusIssued || s == StatusCheckedOut) {
			t.Errorf("Held(%s) = %v", s, Held(s))
		}
	}
	// Every action that hands a key to someone leaves it held; every status
	// of the state machine is a known status.
	for action, r := range transitions {
		if r.recipient == toRecipient && r.to != "" && !Held(r.to) {
			t.Errorf("%s hands the key over but leaves it %s", action, r.to)
		}
		for _, s := range append(slices.Clone(r.from), r.to) {
			if s != "" && !slices.Contains(KeyStatuses, s) {
				t.Errorf("%s: unknown status %q", action, s)
			}
		}
	}
}

// Holders may report their own keys lost; every other move is staff's.
func TestCustodyPolicy(t *testing.T) {
	for _, action := range []string{CustodyIssue, CustodyReturn, CustodyTransfer, CustodyCheckout, CustodyCheckin, CustodyLost, CustodyFound, CustodyDestroy, "lend"} {
		want := ActCustody
		if action == CustodyLost {
			want = ActKeyReportLost
		}
		if got := CustodyPolicy(action); got != want {
			t.Errorf("CustodyPolicy(%s) = %s, want %s", action, got, want)
		}
	}
	if !Allowed(RoleHolder, CustodyPolicy(CustodyLost)) || Allowed(RoleHolder, CustodyPolicy(CustodyCheckout)) {
		t.Error("a holder may report a key lost and nothing else")
	}
}

// Which moves leave the key with a holder, as the keys-out chart replays them.
func TestHeldAfter(t *testing.T) {
	cases := []struct {
		action        string
		held, changes bool
	}{
		{CustodyCheckout, true, true},
		{CustodyIssue, true, true},
		{CustodyCheckin, false, true},
		{CustodyReturn, false, true},
		{CustodyLost, false, true},
		{CustodyFound, false, true},
		{CustodyDestroy, false, true},
		{CustodyTransfer, false, false},
		{CustodyCreate, false, false},
		{CustodyImport, false, false},
	}
	for _, c := range cases {
		if held, changes := HeldAfter(c.action); held != c.held || changes != c.changes {
			t.Errorf("HeldAfter(%s) = %v, %v; want %v, %v", c.action, held, changes, c.held, c.changes)
		}
	}
}

// Who may receive a key or credential.
func TestMayReceive(t *testing.T) {
	since := time.Date(2026, 2, 27, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		r    Recipient
		code Code // "" when allowed
		msg  string
	}{
		{Recipient{Found: true, Name: "Ann"}, "", ""},
		{Recipient{}, EINVALID, "holder_id"},
		{Recipient{Found: true, Name: "Ann", LeavingSince: &since}, ECONFLICT,
			"Ann is being offboarded (since 2026-02-27): collect what they hold and clear the offboarding before giving them anything new"},
		{Recipient{Found: true, Name: "Ann", RetiredAt: &since}, ECONFLICT,
			"Ann was retired on 2026-02-27: restore the holder before giving them a key"},
	}
	for _, c := range cases {
		err := c.r.MayReceive()
		if ErrorCode(err) != c.code && !(c.code == "" && err == nil) {
			t.Errorf("%+v: %v, want %s", c.r, err, c.code)
		}
		if c.code == ECONFLICT && ErrorMessage(err) != c.msg {
			t.Errorf("%+v: %q", c.r, ErrorMessage(err))
		}
	}
}

// An offboarding may be cleared only when nothing is outstanding, and the
// 409 names every item.
func TestOffboardingMayClear(t *testing.T) {
	cases := []struct {
		o    Offboarding
		n    int
		want string // "" when it may be cleared
	}{
		{Offboarding{}, 0, ""},
		{Offboarding{Keys: []Key{{Stamp: "AA1-1"}}, Credentials: []Credential{{ID: "crd_1", Kind: "fob"}}, Storage: []StoragePlace{{Name: "Desk"}}},
			3, "3 items are still outstanding: key AA1-1, fob crd_1, storage Desk"},
		{Offboarding{Keys: []Key{{Stamp: "AA1-1"}, {Stamp: "AA2-4"}}}, 2, "2 items are still outstanding: key AA1-1, key AA2-4"},
	}
	for _, c := range cases {
		err := c.o.MayClear()
		if c.o.Outstanding != c.n {
			t.Errorf("outstanding = %d, want %d", c.o.Outstanding, c.n)
		}
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v", err)
		case c.want != "" && (ErrorCode(err) != ECONFLICT || ErrorMessage(err) != c.want):
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}

// Every move of the state machine is offered, once, and reads its holder
// and policy off the machine and the policy table.
func TestCustodyMovesCoverTheMachine(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range CustodyMoves {
		if seen[m.Action] {
			t.Errorf("%s is offered twice", m.Action)
		}
		seen[m.Action] = true
		if m.Holder != (transitions[m.Action].recipient == toRecipient) || m.Policy != CustodyPolicy(m.Action) {
			t.Errorf("%s: %+v does not follow its transition", m.Action, m)
		}
	}
	for action := range transitions {
		if !seen[action] {
			t.Errorf("transition %s is not offered as a custody move", action)
		}
	}
	lost, _ := FindCustodyMove(CustodyLost)
	checkout, _ := FindCustodyMove(CustodyCheckout)
	if !lost.Own || checkout.Own || !checkout.Holder || lost.Holder {
		t.Errorf("lost %+v, checkout %+v", lost, checkout)
	}
}
