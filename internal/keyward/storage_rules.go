package keyward

import (
	"slices"
	"strings"
)

// The storage rules: when a key may be given a home (a hook of a cabinet, a
// lockbox, a sealed envelope, a designated holder), and when giving it one,
// taking it away, or a custody move breaks an envelope's seal. Written once,
// here; the store asks them and the key page shows their words.
//
//   - A key is given a home only while it is in storage: not issued, checked
//     out, lost or destroyed. A key that leaves storage keeps its home (its
//     hook stays reserved for it) and goes back there when it comes back.
//   - A designated-holder place is storage like any other: the designated
//     holder keeps the key for the organization, so the key is in storage
//     (not issued, not even to that holder), and the holder must be active and
//     not being offboarded, since a key handed to a leaving person would slip
//     past the list of what they hold.
//   - A key is in its home only while it is in storage. Putting a key into a
//     sealed envelope, or taking one out, breaks the seal: the envelope is
//     sealed again with a new seal number, never the broken one, and the
//     break is in the envelope's logbook with its reason. That holds for a
//     key given a home or taken out of one, and for every custody move that
//     takes a key out of storage (check-out, issue, destroy) or brings it back
//     (check-in, return, found). Reporting a key lost breaks no seal: nobody
//     takes the key out in front of the logbook (an envelope opened to find it
//     missing is recorded with "break the seal").
//   - A key goes from one envelope into another in two steps (out of the
//     first, into the second), so each step names the one seal it breaks.

// ResealInput is the new seal put on an envelope opened to put a key in or
// take one out, and why it was opened. Both are required exactly when a
// sealed envelope is opened.
type ResealInput struct {
	NewSealNumber string `json:"new_seal_number,omitempty"`
	Reason        string `json:"reason,omitempty"`
}

// SealBreak is an envelope opened and sealed again: the store updates the
// envelope's seal from Broken to New (guarded by Broken) and writes the
// logbook line with Reason.
type SealBreak struct {
	StorageID string
	Name      string
	Broken    string
	New       string
	Reason    string
}

// HomeRequest is a change of a key's home as asked for.
type HomeRequest struct {
	// Key is the key as read; HolderName names its holder in a refusal.
	Key        Key
	HolderName string
	// From is the key's home now (nil for none), with an envelope's seal.
	From *KeyHome
	// Place is where the key is to go; nil takes the key out of its home.
	Place *StoragePlace
	// Keeper is a holder place's designated holder.
	Keeper *Recipient
	// Hook is the cabinet hook asked for.
	Hook int
	Seal ResealInput
}

// HomePlan is a change of home the rules allowed: the seal it breaks, if any.
type HomePlan struct {
	Break *SealBreak
	// Note is the reason given, for the logbook line when no seal breaks.
	Note string
}

// placeVerbs say what giving a key a home in a place of each kind is.
var placeVerbs = map[string]string{
	StorageCabinet:  "hang it on a hook",
	StorageLockbox:  "put it in a lockbox",
	StorageEnvelope: "seal it in an envelope",
	StorageHolder:   "give it to a designated holder to keep",
	"":              "give it a storage place",
}

// backWords are the moves that bring a key back into storage, in words.
var backWords = map[string]string{
	CustodyCheckin: "check it in",
	CustodyReturn:  "return it to storage",
	CustodyFound:   "mark it found",
}

// BackToStorage is the custody move that brings a key in status back into
// storage, in the key page's order; ok is false for a status nothing brings
// back (destroyed) and for a key already in storage.
func BackToStorage(status string) (action string, ok bool) {
	for _, a := range custodyOrder {
		t := transitions[a]
		if t.to == StatusInStorage && slices.Contains(t.from, status) {
			return a, true
		}
	}
	return "", false
}

// MayHome: nil when key k may be given a home in a place of kind ("" for any
// place). Otherwise ECONFLICT naming key_id, in words a landlord reads: why
// not, and what to do first ("Key 12-3 is issued to Ana Diaz: return it to
// storage before you hang it on a hook.").
func MayHome(k Key, holderName, kind string) error {
	if k.Status == StatusInStorage {
		return nil
	}
	verb := placeVerbs[kind]
	if verb == "" {
		verb = placeVerbs[""]
	}
	who := ""
	if holderName != "" {
		who = " to " + holderName
	}
	var is string
	switch k.Status {
	case StatusIssued:
		is = "is issued" + who
	case StatusCheckedOut:
		is = "is checked out" + who
	case StatusLost:
		is = "is reported lost"
	case StatusDestroyed:
		is = "was destroyed"
	default:
		is = "is " + k.Status
	}
	e := &Error{Code: ECONFLICT}
	if back, ok := BackToStorage(k.Status); ok {
		e.Message = "Key " + k.Stamp + " " + is + ": " + backWords[back] + " before you " + verb + "."
		e.Fields = []FieldError{{Field: "key_id", Rule: "must be a key in storage: " + backWords[back] + " first"}}
	} else {
		e.Message = "Key " + k.Stamp + " " + is + ": it has no storage place any more."
		e.Fields = []FieldError{{Field: "key_id", Rule: "must be a key in storage, not a destroyed one"}}
	}
	return e
}

// PlanHome decides a change of a key's home: into r.Place, or out of its home
// when r.Place is nil. ECONFLICT for a key not in storage (MayHome), a retired
// place, a designated holder who may not keep it, or a key asked to go from
// one envelope straight into another; EINVALID naming hook, new_seal_number
// or reason. The caller has checked that a key taken out has a home.
func PlanHome(r HomeRequest) (*HomePlan, error) {
	b, doing, err := planHome(r, true)
	if err != nil {
		return nil, err
	}
	seal := r.Seal
	seal.NewSealNumber, seal.Reason = strings.TrimSpace(seal.NewSealNumber), strings.TrimSpace(seal.Reason)
	if b == nil {
		var v Validator
		v.Check(seal.NewSealNumber == "", "new_seal_number", "only when a sealed envelope is opened to put the key in or take it out")
		checkText(&v, "reason", seal.Reason, MaxNote, false)
		if err := v.Err(); err != nil {
			return nil, err
		}
		return &HomePlan{Note: seal.Reason}, nil
	}
	if err := resealRules(b, seal.NewSealNumber, doing, true, seal.Reason); err != nil {
		return nil, err
	}
	b.New, b.Reason = seal.NewSealNumber, seal.Reason
	return &HomePlan{Break: b}, nil
}

// HomeSeal is the envelope a change of home would open (nil for none), and
// every refusal PlanHome makes before it asks for the seal, but for the
// designated holder, whom the caller may not have read: what a form asks
// for before the user fills it in.
func HomeSeal(r HomeRequest) (*SealBreak, error) {
	b, _, err := planHome(r, false)
	return b, err
}

// planHome is PlanHome up to the seal: the envelope the change opens, and
// what opening it is for ("taking key AA1-3 out of").
func planHome(r HomeRequest, checkKeeper bool) (*SealBreak, string, error) {
	k, p, from := r.Key, r.Place, r.From
	var entering, leaving *SealBreak
	if p != nil {
		if p.RetiredAt != nil {
			return nil, "", Errorf(ECONFLICT, "%s is retired: restore it before you put keys there", p.Name)
		}
		if err := MayHome(k, r.HolderName, p.Kind); err != nil {
			return nil, "", err
		}
		var v Validator
		if p.Kind == StorageCabinet {
			v.Check(r.Hook >= 1 && r.Hook <= p.Hooks, "hook", "must be a hook of "+p.Name+", 1 to "+itoa(p.Hooks))
		} else {
			v.Check(r.Hook == 0, "hook", "only a cabinet has hooks")
		}
		if err := v.Err(); err != nil {
			return nil, "", err
		}
		if p.Kind == StorageHolder && checkKeeper {
			if err := mayKeep(r.Keeper, p); err != nil {
				return nil, "", err
			}
		}
		same := from != nil && from.StorageID == p.ID
		if p.Kind == StorageEnvelope && !same {
			entering = &SealBreak{StorageID: p.ID, Name: p.Name, Broken: p.SealNumber}
		}
		if from != nil && from.StorageKind == StorageEnvelope && !same {
			if entering != nil {
				return nil, "", &Error{Code: ECONFLICT,
					Message: "Key " + k.Stamp + " is in sealed envelope " + from.StorageName + ": take it out of that envelope first (that breaks its seal), then put it in " + p.Name + ".",
					Fields:  []FieldError{{Field: "key_id", Rule: "must be out of its envelope before it goes into another"}}}
			}
			leaving = &SealBreak{StorageID: from.StorageID, Name: from.StorageName, Broken: from.SealNumber}
		}
	} else if from != nil && from.StorageKind == StorageEnvelope && k.Status == StatusInStorage {
		// A key that is out (issued, checked out, lost) is not in the
		// envelope: taking its home away opens nothing.
		leaving = &SealBreak{StorageID: from.StorageID, Name: from.StorageName, Broken: from.SealNumber}
	}
	if leaving != nil {
		return leaving, "taking key " + k.Stamp + " out of", nil
	}
	if entering != nil {
		return entering, "putting key " + k.Stamp + " in", nil
	}
	return nil, "", nil
}

// resealRules checks the new seal of envelope b, opened for doing ("taking
// key AA1-3 out of"); reason is checked when the caller asks for one.
func resealRules(b *SealBreak, newSeal, doing string, needReason bool, reason string) error {
	var v Validator
	if newSeal == "" {
		v.Check(false, "new_seal_number", "is required: "+doing+" envelope "+b.Name+" breaks its seal "+b.Broken+"; give the number of the new seal you put on it")
	} else {
		CheckSeal(&v, "new_seal_number", newSeal)
		v.Check(newSeal != b.Broken, "new_seal_number", "must differ from the broken seal "+b.Broken)
	}
	if needReason {
		if reason == "" {
			v.Check(false, "reason", "is required: say why envelope "+b.Name+" is opened")
		} else {
			checkText(&v, "reason", reason, MaxNote, true)
		}
	}
	return v.Err()
}

// mayKeep: a holder place's designated holder may keep a key only while they
// are an active holder who is not being offboarded.
func mayKeep(keeper *Recipient, p *StoragePlace) error {
	if keeper == nil || !keeper.Found {
		return Errorf(ECONFLICT, "%s has no designated holder on record: choose another place", p.Name)
	}
	switch {
	case keeper.RetiredAt != nil:
		return Errorf(ECONFLICT, "%s, who keeps %s, was retired on %s: choose another place, or restore the holder first",
			keeper.Name, p.Name, keeper.RetiredAt.Format("2006-01-02"))
	case keeper.LeavingSince != nil:
		return Errorf(ECONFLICT, "%s, who keeps %s, is being offboarded (since %s): choose another place",
			keeper.Name, p.Name, keeper.LeavingSince.Format("2006-01-02"))
	}
	return nil
}

// inWords are what a custody move does to a key, for an envelope's logbook.
var inWords = map[string]string{
	CustodyCheckout: "checked out",
	CustodyIssue:    "issued",
	CustodyDestroy:  "destroyed",
	CustodyCheckin:  "checked in",
	CustodyReturn:   "returned",
	CustodyFound:    "found",
}

// MoveBreaksSeal reports whether custody action on a key in status, whose
// home is a place of kind, opens that place's seal: the move takes the key
// out of storage or brings it back, the home is an envelope, and the move is
// not a loss report (see the rules above).
func MoveBreaksSeal(action, status, kind string) bool {
	if kind != StorageEnvelope || action == CustodyLost {
		return false
	}
	t, ok := transitions[action]
	if !ok || !slices.Contains(t.from, status) || t.to == "" {
		return false
	}
	return (status == StatusInStorage) != (t.to == StatusInStorage)
}

// PlanMoveSeal decides what custody move m does to the key's home: a seal
// break when MoveBreaksSeal (EINVALID on new_seal_number without a new seal,
// or with the broken one), nothing otherwise (EINVALID when a new seal is
// given all the same, since no seal is opened).
func PlanMoveSeal(m *Move, home *KeyHome, newSeal string) (*SealBreak, error) {
	newSeal = strings.TrimSpace(newSeal)
	kind := ""
	if home != nil {
		kind = home.StorageKind
	}
	if !MoveBreaksSeal(m.Action, m.Was, kind) {
		if newSeal != "" {
			return nil, Invalid("new_seal_number", "only when the key goes into or comes out of a sealed envelope")
		}
		return nil, nil
	}
	b := &SealBreak{StorageID: home.StorageID, Name: home.StorageName, Broken: home.SealNumber}
	doing, reason := "taking key "+m.Key.Stamp+" out of", "key "+m.Key.Stamp+" taken out: "+inWords[m.Action]
	if m.Key.Status == StatusInStorage {
		doing, reason = "putting key "+m.Key.Stamp+" back in", "key "+m.Key.Stamp+" put back: "+inWords[m.Action]
	}
	if err := resealRules(b, newSeal, doing, false, ""); err != nil {
		return nil, err
	}
	b.New, b.Reason = newSeal, reason
	return b, nil
}
