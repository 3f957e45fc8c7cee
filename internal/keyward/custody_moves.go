package keyward

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

// CustodyMoves are the custody moves, in the order the key page offers them.
var CustodyMoves = []CustodyMove{
	{Action: CustodyCheckout, Holder: true, Policy: ActCustody},
	{Action: CustodyCheckin, Policy: ActCustody},
	{Action: CustodyIssue, Holder: true, Policy: ActCustody},
	{Action: CustodyReturn, Policy: ActCustody},
	{Action: CustodyTransfer, Holder: true, Policy: ActCustody},
	{Action: CustodyLost, Policy: ActKeyReportLost, Own: true},
	{Action: CustodyFound, Policy: ActCustody},
	{Action: CustodyDestroy, Policy: ActCustody},
}

// CustodyActions are the verbs of a key's logbook: create, then every move.
func CustodyActions() []string {
	out := []string{CustodyCreate}
	for _, m := range CustodyMoves {
		out = append(out, m.Action)
	}
	return out
}

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
