package keyward

import (
	"context"
	"slices"
	"time"
)

// Reports answers what the other lists do not: every check-out that ran
// late, past or present. (Who holds what and keys by door are read from
// Custody and Schedule.)
type Reports interface {
	// OverdueHistory lists every check-out that was, or is, overdue at now,
	// newest first, at most MaxOverdueHistory (More says more were late). EFORBIDDEN.
	OverdueHistory(ctx context.Context, a Actor, now time.Time) (*OverdueHistory, error)
}

// MaxOverdueHistory bounds one overdue history.
const MaxOverdueHistory = 5000

// OverdueHistory is the late check-outs, newest first.
type OverdueHistory struct {
	Items []OverdueCheckout `json:"items"`
	More  bool              `json:"more,omitempty"`
}

// OverdueCheckout is one check-out that ran past its due time.
type OverdueCheckout struct {
	KeyID      string        `json:"key_id"`
	Stamp      string        `json:"stamp"`
	HolderID   string        `json:"holder_id"`
	HolderName string        `json:"holder_name"`
	OutAt      time.Time     `json:"out_at"`
	DueAt      time.Time     `json:"due_at"`
	EndedAt    *time.Time    `json:"ended_at,omitempty"` // nil: still out
	EndedBy    string        `json:"ended_by,omitempty"` // the custody action that ended it
	Late       time.Duration `json:"late_ns"`
	StillOut   bool          `json:"still_out"`
}

// CheckoutEndings are the custody actions that end a check-out: those that
// move a checked-out key to another status (a transfer passes the check-out
// on, with its due time). Read from the transition table, never restated.
func CheckoutEndings() []string {
	var out []string
	for _, a := range custodyOrder {
		r := transitions[a]
		if slices.Contains(r.from, StatusCheckedOut) && r.to != "" && r.to != StatusCheckedOut {
			out = append(out, a)
		}
	}
	return out
}

// Lateness is how late a check-out due at due was: against when it ended,
// or against now while it is still out. late is zero for one on time.
func Lateness(due time.Time, ended *time.Time, now time.Time) (late time.Duration, stillOut bool) {
	end := now
	if ended != nil {
		end = *ended
	}
	if end.After(due) {
		late = end.Sub(due)
	}
	return late, ended == nil
}
