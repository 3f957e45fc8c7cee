package keyward

import (
	"errors"
	"time"
)

// A lockbox's code lives while the lockbox is in use. Retiring a lockbox
// discards its sealed code in the same transaction (crypto-shredding: the
// sealed value is deleted, so no key opens it again, while the logbook keeps
// that a code existed, when it was last shown and when it was discarded).
// A retired lockbox never shows a code; restoring it brings back the box,
// not the code: it needs a new one (ChangeCode). Envelopes have a seal
// number, not a code, so retiring one discards nothing.

// RulePlaceRetired names the rule a reveal from a retired place broke.
const RulePlaceRetired = "place_retired"

// MayRevealCode decides whether p's code may be shown: ECONFLICT in words for
// anything but a lockbox in use with a code. p.RetiredAt is read in the zone
// it is given in (the organization's).
func (p *StoragePlace) MayRevealCode() error {
	switch {
	case p.Kind != StorageLockbox:
		return Errorf(ECONFLICT, "%s is a %s and has no code", p.Name, p.Kind)
	case p.RetiredAt != nil:
		return &Error{Code: ECONFLICT,
			Message: "This lockbox was retired on " + p.RetiredAt.Format("Mon 2 Jan 2006") + "; its code can no longer be shown",
			Extra:   map[string]any{"rule": RulePlaceRetired}}
	case !p.HasCode:
		return Errorf(ECONFLICT, "%s has no code: set a new one first", p.Name)
	}
	return nil
}

// DiscardsCodeOnRetire reports whether retiring p discards a sealed code.
func (p *StoragePlace) DiscardsCodeOnRetire() bool {
	return p.Kind == StorageLockbox && p.HasCode
}

// IsPlaceRetired reports whether err is MayRevealCode's refusal for a retired place.
func IsPlaceRetired(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Extra["rule"] == RulePlaceRetired
}

// CodeHistory says, for a lockbox's page, what became of its code.
func (p *StoragePlace) CodeHistory(loc *time.Location) string {
	if p.Kind != StorageLockbox {
		return ""
	}
	s := ""
	switch {
	case p.HasCode:
		s = "Has a sealed code."
	case p.CodeDiscardedAt != nil:
		s = "Had a code; it was discarded on " + p.CodeDiscardedAt.In(loc).Format("Mon 2 Jan 2006") + ", when the lockbox was retired."
	default:
		s = "Has no code."
	}
	if p.CodeLastRevealedAt != nil {
		s += " Last shown on " + p.CodeLastRevealedAt.In(loc).Format("Mon 2 Jan 2006 15:04") + "."
	} else if p.HasCode || p.CodeDiscardedAt != nil {
		s += " Never shown."
	}
	return s
}
