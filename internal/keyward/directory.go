package keyward

import (
	"fmt"
	"strings"
)

// Editing and retiring the directory: sites, openings, keyways and holders.
//
// A patch names only the members it changes; a member left out (or null)
// keeps its value. Apply merges a patch into the current record and returns
// the input a create would take, so a patch is validated exactly like a
// create, and the changes (field, old, new) the audit record names.
//
// Retiring never erases: the record keeps its id and history, leaves the
// default lists, stays readable by id, and can be restored. Retiring or
// restoring twice is not an error (the first retire's time is kept, and the
// second call writes no audit record).

// Change is one field a patch changed, for the audit record.
type Change struct {
	Field string
	Old   any
	New   any
}

// ChangeDetails is the audit form of changes: {"field": {"old": …, "new": …}}.
func ChangeDetails(changes []Change) map[string]any {
	out := make(map[string]any, len(changes))
	for _, c := range changes {
		out[c.Field] = map[string]any{"old": c.Old, "new": c.New}
	}
	return out
}

// changes collects the fields whose value a patch changed.
type changes []Change

func setField[T comparable](cs *changes, field string, dst *T, p *T) {
	if p == nil || *p == *dst {
		return
	}
	*cs = append(*cs, Change{Field: field, Old: *dst, New: *p})
	*dst = *p
}

// SitePatch changes a site. Members left out keep their value.
type SitePatch struct {
	Name    *string `json:"name,omitempty"`
	Address *string `json:"address,omitempty"`
}

// Apply returns the site's input after the patch, and what changed.
func (p SitePatch) Apply(cur Site) (SiteInput, []Change) {
	in := SiteInput{Name: cur.Name, Address: cur.Address}
	var cs changes
	setField(&cs, "name", &in.Name, trimmed(p.Name))
	setField(&cs, "address", &in.Address, p.Address)
	return in, cs
}

// OpeningPatch changes an opening, including the site it belongs to.
type OpeningPatch struct {
	SiteID *string `json:"site_id,omitempty"`
	Name   *string `json:"name,omitempty"`
	Kind   *string `json:"kind,omitempty"`
}

func (p OpeningPatch) Apply(cur Opening) (OpeningInput, []Change) {
	in := OpeningInput{SiteID: cur.SiteID, Name: cur.Name, Kind: cur.Kind}
	var cs changes
	setField(&cs, "site_id", &in.SiteID, p.SiteID)
	setField(&cs, "name", &in.Name, trimmed(p.Name))
	setField(&cs, "kind", &in.Kind, p.Kind)
	return in, cs
}

// KeywayPatch changes a keyway.
type KeywayPatch struct {
	Name              *string `json:"name,omitempty"`
	Manufacturer      *string `json:"manufacturer,omitempty"`
	DuplicationPolicy *string `json:"duplication_policy,omitempty"`
}

func (p KeywayPatch) Apply(cur Keyway) (KeywayInput, []Change) {
	in := KeywayInput{Name: cur.Name, Manufacturer: cur.Manufacturer, DuplicationPolicy: cur.DuplicationPolicy}
	var cs changes
	setField(&cs, "name", &in.Name, trimmed(p.Name))
	setField(&cs, "manufacturer", &in.Manufacturer, p.Manufacturer)
	setField(&cs, "duplication_policy", &in.DuplicationPolicy, p.DuplicationPolicy)
	return in, cs
}

// HolderPatch changes a holder. An email is compared without case.
type HolderPatch struct {
	Name             *string `json:"name,omitempty"`
	Email            *string `json:"email,omitempty"`
	Phone            *string `json:"phone,omitempty"`
	Kind             *string `json:"kind,omitempty"`
	Signatory        *bool   `json:"signatory,omitempty"`
	EmergencyContact *bool   `json:"emergency_contact,omitempty"`
}

func (p HolderPatch) Apply(cur Holder) (HolderInput, []Change) {
	in := HolderInput{Name: cur.Name, Email: cur.Email, Phone: cur.Phone, Kind: cur.Kind,
		Signatory: cur.Signatory, EmergencyContact: cur.EmergencyContact}
	var cs changes
	var email *string
	if p.Email != nil {
		e := strings.ToLower(strings.TrimSpace(*p.Email))
		email = &e
	}
	setField(&cs, "name", &in.Name, trimmed(p.Name))
	setField(&cs, "email", &in.Email, email)
	setField(&cs, "phone", &in.Phone, p.Phone)
	setField(&cs, "kind", &in.Kind, p.Kind)
	setField(&cs, "signatory", &in.Signatory, p.Signatory)
	setField(&cs, "emergency_contact", &in.EmergencyContact, p.EmergencyContact)
	return in, cs
}

func trimmed(p *string) *string {
	if p == nil {
		return nil
	}
	s := strings.TrimSpace(*p)
	return &s
}

// MayRetireHolder: a holder who still holds keys cannot be retired; the
// conflict names the keys (their stamps) that are outstanding.
func MayRetireHolder(name string, heldStamps []string) error {
	if len(heldStamps) == 0 {
		return nil
	}
	return Errorf(ECONFLICT, "%s still holds %s: %s; take them back or transfer them first",
		name, plural(len(heldStamps), "key"), strings.Join(heldStamps, ", "))
}

// MayRetireKeyway: a keyway with copies in circulation (CirculatingStatuses:
// in storage or held) cannot be retired; the conflict names them.
func MayRetireKeyway(name string, circulatingStamps []string) error {
	if len(circulatingStamps) == 0 {
		return nil
	}
	return Errorf(ECONFLICT, "keyway %s still has %s in circulation: %s; destroy or report them first",
		name, plural(len(circulatingStamps), "key"), strings.Join(circulatingStamps, ", "))
}

// MayRetireSite: a site whose openings are not all retired cannot be retired;
// the conflict names them.
func MayRetireSite(name string, openOpenings []string) error {
	if len(openOpenings) == 0 {
		return nil
	}
	return Errorf(ECONFLICT, "site %s still has %s: %s; retire them first",
		name, plural(len(openOpenings), "opening"), strings.Join(openOpenings, ", "))
}

// MayMergeHolders: a holder is merged into another, active holder.
func MayMergeHolders(from, into Holder) error {
	if from.ID == into.ID {
		return Invalid("into", "must name another holder")
	}
	if into.RetiredAt != nil {
		return Invalid("into", "must name a holder who is not retired")
	}
	return nil
}

// MergeInput names the holder who stays.
type MergeInput struct {
	Into string `json:"into"`
}

func (in *MergeInput) Validate() error {
	var v Validator
	in.Into = strings.TrimSpace(in.Into)
	v.Check(in.Into != "", "into", "is required")
	return v.Err()
}

// Merged is what a merge moved to the surviving holder.
type Merged struct {
	Holder      Holder `json:"holder"`
	MergedID    string `json:"merged_id"`
	Keys        int    `json:"keys"`
	Events      int    `json:"events"`
	Credentials int    `json:"credentials"`
	Storage     int    `json:"storage_places"`
}

// plural is "1 key", "2 keys".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
