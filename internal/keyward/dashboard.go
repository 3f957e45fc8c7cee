package keyward

import (
	"context"
	"time"
)

// Dashboard is the numbers of the front page: keys by status, what is
// overdue, and the keys-out chart.
type Dashboard interface {
	// KeyCounts counts keys by status and the check-outs past due at now.
	KeyCounts(ctx context.Context, a Actor, now time.Time) (*KeyCounts, error)
	// OverdueKeys lists up to limit check-outs past due at now, longest overdue first.
	OverdueKeys(ctx context.Context, a Actor, now time.Time, limit int) ([]Key, error)
	// KeysOut is the number of keys out at the end of each of the organization's last days.
	KeysOut(ctx context.Context, a Actor, days int) ([]DayCount, error)
	// GettingStarted is the checklist shown until the first steps are done.
	GettingStarted
}
