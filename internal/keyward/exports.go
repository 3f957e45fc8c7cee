package keyward

import "context"

// Exports stream a table as CSV rows; none holds a secret.
type Exports interface {
	// Export streams keys, holders or logbook as rows, the header first, after its audit record. EFORBIDDEN, ENOTFOUND.
	Export(ctx context.Context, a Actor, kind string, row func([]string) error) error
}
