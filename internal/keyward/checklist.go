package keyward

import (
	"context"
	"time"
)

// StartCounts are what the getting-started checklist is ticked from: real
// records, never a flag someone sets.
type StartCounts struct {
	Sites, Doors, Keys, Holders int
	// Imports is the imports committed; CheckOuts the keys ever checked
	// out or issued to someone.
	Imports, CheckOuts int
	// DismissedAt is when an owner put the checklist away; nil if never.
	DismissedAt *time.Time
}

// StartStep is one step of the checklist.
type StartStep struct {
	ID    string // the step's anchor on the dashboard
	Label string
	Hint  string
	// Href is where the step is taken.
	Href string
	Done bool
}

// Checklist is the getting-started checklist: its steps in order, ticked
// from c, and whether the dashboard shows it (until every step is done or
// an owner dismisses it).
func Checklist(c StartCounts) (steps []StartStep, show bool) {
	steps = []StartStep{
		{ID: "step-site", Label: "Add a site", Hint: "The building or property your keys belong to.", Href: "/sites#new-site", Done: c.Sites > 0},
		{ID: "step-doors", Label: "Add its doors", Hint: "Each door, gate or cabinet a key opens.", Href: "/sites", Done: c.Doors > 0},
		{ID: "step-keys", Label: "Add your keys, or import a spreadsheet", Hint: "Type them in one by one, or bring the list you keep today.", Href: "/keys#new-key", Done: c.Keys > 0 || c.Imports > 0},
		{ID: "step-holders", Label: "Add the people who hold keys", Hint: "Tenants, staff, contractors, family.", Href: "/holders#new-holder", Done: c.Holders > 0},
		{ID: "step-checkout", Label: "Check out a key for the first time", Hint: "Open a key and give it to someone, with a time it is due back.", Href: "/keys", Done: c.CheckOuts > 0},
	}
	done := true
	for _, s := range steps {
		done = done && s.Done
	}
	return steps, !done && c.DismissedAt == nil
}

// GettingStarted reads the checklist's counts and lets an owner put it away.
type GettingStarted interface {
	// StartCounts counts what the checklist is ticked from.
	StartCounts(ctx context.Context, a Actor) (*StartCounts, error)
	// DismissChecklist puts the checklist away for everyone; owners only
	// (EFORBIDDEN, recorded). Audited.
	DismissChecklist(ctx context.Context, a Actor) error
}
