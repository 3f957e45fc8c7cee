package keyward

import (
	"slices"
	"testing"
)

// TestCustodyMovesFollowTheStateMachine: every move is an action of the
// state machine, every action of the state machine is a move, once each.
func TestCustodyMovesFollowTheStateMachine(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range CustodyMoves {
		if seen[m.Action] {
			t.Errorf("%s is listed twice", m.Action)
		}
		seen[m.Action] = true
		if _, _, ok := Transition(m.Action); !ok {
			t.Errorf("%s is a move but has no transition", m.Action)
		}
		if _, ok := Policy[m.Policy]; !ok {
			t.Errorf("%s: policy action %q has no entry in the policy table", m.Action, m.Policy)
		}
	}
	// Every verb of the logbook is a move exactly when the state machine
	// has a transition for it (create stamps a key; it moves nothing).
	for _, action := range []string{CustodyCreate, CustodyIssue, CustodyReturn, CustodyTransfer,
		CustodyCheckout, CustodyCheckin, CustodyLost, CustodyFound, CustodyDestroy} {
		if _, _, ok := Transition(action); ok != seen[action] {
			t.Errorf("%s: transition %v, in CustodyMoves %v", action, ok, seen[action])
		}
	}
}

func TestCustodyMoves(t *testing.T) {
	for _, tc := range []struct {
		action string
		holder bool
		policy Action
		own    bool
	}{
		{CustodyCheckout, true, ActCustody, false},
		{CustodyCheckin, false, ActCustody, false},
		{CustodyIssue, true, ActCustody, false},
		{CustodyReturn, false, ActCustody, false},
		{CustodyTransfer, true, ActCustody, false},
		{CustodyLost, false, ActKeyReportLost, true},
		{CustodyFound, false, ActCustody, false},
		{CustodyDestroy, false, ActCustody, false},
	} {
		m, ok := FindCustodyMove(tc.action)
		if !ok || m.Holder != tc.holder || m.Policy != tc.policy || m.Own != tc.own {
			t.Errorf("FindCustodyMove(%q) = %+v, %v; want holder %v, policy %s, own %v", tc.action, m, ok, tc.holder, tc.policy, tc.own)
		}
	}
	if _, ok := FindCustodyMove(CustodyCreate); ok {
		t.Error("create is not a move: a key is created by stamping it")
	}
	if got := CustodyActions(); got[0] != CustodyCreate || len(got) != len(CustodyMoves)+1 || !slices.Contains(got, CustodyDestroy) {
		t.Errorf("CustodyActions() = %v", got)
	}
}
