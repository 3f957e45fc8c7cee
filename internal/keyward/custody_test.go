package keyward

import "testing"

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
