package web

import "github.com/keyward/keyward/internal/keyward"

// emptyState is what a list page shows before it has anything: what the
// list is for, in one sentence, and the next step as a button.
type emptyState struct {
	What  string
	Steps []emptyStep
	// Else is shown to those who may take none of the steps.
	Else string
}

// emptyStep is one next step, for the roles that may take it.
type emptyStep struct {
	Href, Label string
	Policy      keyward.Action
}

// emptyView is an empty state for one reader: the steps they may take.
type emptyView struct {
	ID, What, Else string
	Steps          []emptyStep
}

// emptyStates are the list pages' empty states, by page.
var emptyStates = map[string]emptyState{
	"keys": {What: "Keys are every physical key you hand out: each has its stamp, the doors it opens, and who has it now.",
		Steps: []emptyStep{{"#new-key", "Add your first key", keyward.ActKeyCreate}, {"/imports", "Import a spreadsheet of keys", keyward.ActImport}},
		Else:  "A manager adds keys; they show here once added."},
	"holders": {What: "Holders are the people who get keys: tenants, staff, contractors, family.",
		Steps: []emptyStep{{"#new-holder", "Add the first holder", keyward.ActHolderEdit}, {"/imports", "Import a spreadsheet", keyward.ActImport}},
		Else:  "A manager adds holders; they show here once added."},
	"sites": {What: "A site is a building or property; the doors, gates and cabinets its keys open are listed under it.",
		Steps: []emptyStep{{"#new-site", "Add your first site", keyward.ActInventoryEdit}},
		Else:  "A manager adds sites; they show here once added."},
	"keyways": {What: "A key type (keyway) is the profile of a key blank, such as Schlage SC1; it says how freely keys of that type may be copied.",
		Steps: []emptyStep{{"#new-keyway", "Add a key type", keyward.ActInventoryEdit}, {"/keys#new-key", "Or add a key and its type together", keyward.ActKeyCreate}},
		Else:  "A manager adds key types; they show here once added."},
	"doors": {What: "Doors, gates and cabinets are what keys open: list each one of this site to see who can open it.",
		Steps: []emptyStep{{"#new-opening", "Add the first door", keyward.ActInventoryEdit}},
		Else:  "A manager adds the doors of a site."},
	"storage": {What: "Storage places are where keys stay when nobody has them: a key cabinet, a lockbox, a sealed envelope or a trusted person.",
		Steps: []emptyStep{{"#new-storage", "Add a storage place", keyward.ActStorageEdit}},
		Else:  "A manager adds storage places; they show here once added."},
	"credentials": {What: "Credentials are electronic keys: key cards, fobs, PIN codes and phone keys, each given to one person.",
		Steps: []emptyStep{{"#new-credential", "Issue a credential", keyward.ActCredential}},
		Else:  "A manager issues credentials; they show here once issued."},
	"keysystems": {What: "A key system is a master-keyed set of locks: one master key opens many doors, and each change key its own. Ordinary locks need none.",
		Steps: []emptyStep{{"#new-keysystem", "Start a key system", keyward.ActKeySystemEdit}},
		Else:  "A manager or locksmith sets up key systems."},
	"offboarding": {What: "When someone leaves, offboarding lists every key and credential they hold until each one is back.",
		Steps: []emptyStep{{"#start-offboarding", "Offboard someone who is leaving", keyward.ActOffboard}},
		Else:  "Nobody is being offboarded."},
	"audit": {What: "No records match these filters: the audit log keeps every change, sign-in and refused attempt.",
		Steps: []emptyStep{{"/audit", "Show every record", keyward.ActAuditRead}}},
}

// emptyFor is the empty state of page for a reader of role.
func emptyFor(page string, role keyward.Role) emptyView {
	e := emptyStates[page]
	v := emptyView{ID: "empty-" + page, What: e.What}
	for _, st := range e.Steps {
		if keyward.Allowed(role, st.Policy) {
			v.Steps = append(v.Steps, st)
		}
	}
	if len(v.Steps) == 0 {
		v.Else = e.Else
	}
	return v
}
