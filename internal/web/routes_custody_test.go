package web

import (
	"regexp"
	"slices"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
)

// TestCustodyMovesEverywhere: each custody move of keyward.CustodyMoves has
// its API route and its key-page route, guarded by the move's policy action,
// a form on the key page, a logbook label and a confirmation; nothing names
// a move the list does not have.
func TestCustodyMovesEverywhere(t *testing.T) {
	routes := map[string]route{}
	for _, r := range tableRoutes(t) {
		routes[r.pattern] = r
	}
	moveRoute := regexp.MustCompile(`^POST (/api/v1)?/keys/\{id\}/([a-z]+)$`)
	for _, r := range tableRoutes(t) {
		m := moveRoute.FindStringSubmatch(r.pattern)
		if m == nil || r.action != keyward.ActCustody && r.action != keyward.ActKeyReportLost {
			continue
		}
		if _, ok := keyward.FindCustodyMove(m[2]); !ok {
			t.Errorf("route %q moves a key but %q is not in keyward.CustodyMoves", r.pattern, m[2])
		}
	}

	tmpl, err := templateFS.ReadFile("templates/key.html")
	if err != nil {
		t.Fatal(err)
	}
	var forms []string
	for _, m := range regexp.MustCompile(`action="/keys/\{\{\$k\.ID\}\}/([a-z]+)"`).FindAllSubmatch(tmpl, -1) {
		forms = append(forms, string(m[1]))
	}

	for _, m := range keyward.CustodyMoves {
		for _, pattern := range []string{"POST /api/v1/keys/{id}/" + m.Action, "POST /keys/{id}/" + m.Action} {
			r, ok := routes[pattern]
			switch {
			case !ok:
				t.Errorf("move %s: no route %q", m.Action, pattern)
			case r.action != m.Policy || r.scoped != m.Own:
				t.Errorf("%s: action %s scoped %v, want %s scoped %v", pattern, r.action, r.scoped, m.Policy, m.Own)
			}
		}
		if !slices.Contains(forms, m.Action) {
			t.Errorf("move %s: templates/key.html has no form posting to /keys/{id}/%s", m.Action, m.Action)
		}
		if custodyWords[m.Action].done == "" {
			t.Errorf("move %s: no confirmation in custodyWords", m.Action)
		}
	}
	for _, f := range forms {
		// The storage section's forms give the key a place or take it away.
		if f == "place" || f == "unplace" {
			continue
		}
		if _, ok := keyward.FindCustodyMove(f); !ok {
			t.Errorf("templates/key.html has a form for %q, which is not a custody move", f)
		}
	}
	for action := range custodyWords {
		if !slices.Contains(keyward.LogbookActions(), action) {
			t.Errorf("custodyWords has %q, which is not a logbook verb", action)
		}
	}
	for _, action := range keyward.LogbookActions() {
		if custodyWords[action].label == "" {
			t.Errorf("logbook verb %s has no label in custodyWords", action)
		}
	}
}
