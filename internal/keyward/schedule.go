package keyward

import (
	"context"
	"time"
)

// Schedule is the hand-kept keying schedule (which key symbols operate an
// opening) and the answer to "who can open this door".
type Schedule interface {
	// AddSymbol lists a symbol as operating the opening. ENOTFOUND, ECONFLICT if already listed.
	AddSymbol(ctx context.Context, a Actor, openingID string, in SymbolInput) ([]string, error)
	// RemoveSymbol deletes a symbol from the opening's schedule. ENOTFOUND if it is not there.
	RemoveSymbol(ctx context.Context, a Actor, openingID, symbol string) error
	// Access is every key and credential that operates the opening, and where each key is now.
	Access(ctx context.Context, a Actor, openingID string) (*OpeningAccess, error)
	// KeyReach is what a key opens (by the schedule, as a master above a
	// scheduled symbol, and by the pinning of its key system) and where it is now. ENOTFOUND.
	KeyReach(ctx context.Context, a Actor, keyID string) (*KeyReach, error)
	// KeyReaches is KeyReach for many keys at once (at most MaxKeyReaches),
	// for a list; a key id that does not exist is left out.
	KeyReaches(ctx context.Context, a Actor, keyIDs []string) (map[string]*KeyReach, error)
}

// MaxKeyReaches bounds the keys one KeyReaches call reads.
const MaxKeyReaches = 5000

// KeyReach is what a key opens and where it is now: the inverse of OpeningAccess.
type KeyReach struct {
	KeyID string `json:"key_id"`
	// Opens is every opening the key operates, by site name then opening name.
	Opens []KeyOpening `json:"opens"`
	// HolderName names the holder of an issued, checked-out or lost key.
	HolderName string `json:"holder_name,omitempty"`
	// Home is the key's storage place, if it has one.
	Home *KeyHome `json:"home,omitempty"`
	// Seal is the current seal of the envelope that is its home.
	Seal string `json:"seal,omitempty"`
	// LostAt is when a lost key was reported lost.
	LostAt *time.Time `json:"lost_at,omitempty"`
}

// KeyOpening is an opening a key operates, and why.
type KeyOpening struct {
	OpeningID   string `json:"opening_id"`
	OpeningName string `json:"opening_name"`
	SiteID      string `json:"site_id"`
	SiteName    string `json:"site_name"`
	// Source is OperatesBySchedule, OperatesAsMaster or OperatesByPinning;
	// an opening reached more than one way keeps the first of these.
	Source string `json:"source"`
}
