package keyward

import "slices"

// CustodyMove is one custody action a user takes on a key. CustodyMoves is
// the one list of them: the API routes, the key page's forms and their
// confirmations, and the CLI all read it.
type CustodyMove struct {
	// Action is the logbook verb, and the last segment of the move's routes
	// (POST /api/v1/keys/{id}/checkout, POST /keys/{id}/checkout).
	Action string
	// Holder says the move names the holder the key goes to.
	Holder bool
	// Policy is the policy action that guards the move.
	Policy Action
	// Own says a holder may make the move on a key they hold (report it
	// lost): the service narrows Policy to the actor's own records.
	Own bool
}

// custodyOrder is the order the key page offers the moves in.
var custodyOrder = []string{CustodyCheckout, CustodyCheckin, CustodyIssue, CustodyReturn, CustodyTransfer, CustodyLost, CustodyFound, CustodyDestroy}

// CustodyMoves are the custody moves, in the order the key page offers them.
// Each is read off the custody state machine (transitions) and the policy
// table, so a move is written down once.
var CustodyMoves = custodyMoves()

func custodyMoves() []CustodyMove {
	out := make([]CustodyMove, 0, len(custodyOrder))
	for _, a := range custodyOrder {
		r, ok := transitions[a]
		if !ok {
			panic("keyward: custody move " + a + " has no transition")
		}
		policy := CustodyPolicy(a)
		out = append(out, CustodyMove{
			Action: a,
			Holder: r.recipient == toRecipient,
			Policy: policy,
			// A holder may take a move their role is allowed: on their own key.
			Own: slices.Contains(Policy[policy], RoleHolder),
		})
	}
	return out
}

// CustodyActions are the verbs of a key's logbook: create, then every move.
func CustodyActions() []string {
	out := []string{CustodyCreate}
	for _, m := range CustodyMoves {
		out = append(out, m.Action)
	}
	return out
}

// LogbookActions is every verb a key's logbook may hold: the custody
// actions and the line an import writes for each key it created.
func LogbookActions() []string { return append(CustodyActions(), CustodyImport) }

// FindCustodyMove returns the move whose verb is action; ok is false for
// anything else.
func FindCustodyMove(action string) (m CustodyMove, ok bool) {
	for _, m := range CustodyMoves {
		if m.Action == action {
			return m, true
		}
	}
	return CustodyMove{}, false
}
