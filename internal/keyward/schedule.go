package keyward

import "context"

// Schedule is the hand-kept keying schedule (which key symbols operate an
// opening) and the answer to "who can open this door".
type Schedule interface {
	// AddSymbol lists a symbol as operating the opening. ENOTFOUND, ECONFLICT if already listed.
	AddSymbol(ctx context.Context, a Actor, openingID string, in SymbolInput) ([]string, error)
	// RemoveSymbol deletes a symbol from the opening's schedule. ENOTFOUND if it is not there.
	RemoveSymbol(ctx context.Context, a Actor, openingID, symbol string) error
	// Access is every key and credential that operates the opening, and where each key is now.
	Access(ctx context.Context, a Actor, openingID string) (*OpeningAccess, error)
}
