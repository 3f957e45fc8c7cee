package keyward

import "context"

// Search finds things by what people type, and a holder's logbook.
type Search interface {
	// Search finds keys by symbol or stamp, holders by name or email and openings by name.
	Search(ctx context.Context, a Actor, q string, limit int) (*SearchResult, error)
	// HolderEvents is a holder's logbook, newest first: every key moved to or from them.
	HolderEvents(ctx context.Context, a Actor, holderID string, opt ListOptions) (*Page[Event], error)
}
