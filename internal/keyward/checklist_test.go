package keyward

import (
	"testing"
	"time"
)

func TestChecklist(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		in   StartCounts
		done []bool // site, doors, keys, holders, check-out
		show bool
	}{
		{"nothing yet", StartCounts{}, []bool{false, false, false, false, false}, true},
		{"a site", StartCounts{Sites: 1}, []bool{true, false, false, false, false}, true},
		{"keys by hand", StartCounts{Sites: 1, Doors: 3, Keys: 2}, []bool{true, true, true, false, false}, true},
		{"an import counts for keys", StartCounts{Imports: 1}, []bool{false, false, true, false, false}, true},
		{"everything", StartCounts{Sites: 1, Doors: 1, Keys: 1, Holders: 1, CheckOuts: 1}, []bool{true, true, true, true, true}, false},
		{"dismissed", StartCounts{Sites: 1, DismissedAt: &now}, []bool{true, false, false, false, false}, false},
	} {
		steps, show := Checklist(c.in)
		if show != c.show || len(steps) != 5 {
			t.Errorf("%s: show %v with %d steps, want %v with 5", c.name, show, len(steps), c.show)
			continue
		}
		for i, s := range steps {
			if s.Done != c.done[i] {
				t.Errorf("%s: step %s done %v, want %v", c.name, s.ID, s.Done, c.done[i])
			}
			if s.Label == "" || s.Href == "" {
				t.Errorf("%s: step %d has no words or link", c.name, i)
			}
		}
	}
}
