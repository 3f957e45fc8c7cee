package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/keyward/keyward/internal/keyward"
)

// The key code rules page (Settings → Key code rules): the evidence each
// kind of requester must show before approval, how long an approval lasts
// and how many reveals it allows, how long the reveal page shows a code,
// and how long a code is kept after its job. Everyone who sees key codes may
// read the rules; the owner changes them through the same service call as
// PUT /api/v1/settings/key-codes, so the bounds and the audit record are the
// service's alone.

// codeSettingFields are the form's number fields, named as the domain's
// validation names them.
var codeSettingFields = []string{"approval_hours", "max_reveals", "reveal_seconds", "retention_days"}

// codeEvidenceRule is one relationship's evidence choices.
type codeEvidenceRule struct {
	Rel, Words  string
	Items       []choice
	Recommended string // the service reference's advice, in words
}

// codeSettingsBounds are the domain's bounds, for the inputs' min and max.
type codeSettingsBounds struct {
	MinHours, MaxHours, MinReveals, MaxReveals, MinSeconds, MaxSeconds, MaxDays int
}

type codeSettingsData struct {
	Values   map[string]string // each number as saved, or as a refused form sent it
	Evidence []codeEvidenceRule
	Bounds   codeSettingsBounds
	CanEdit  bool
}

func (s *Server) codeSettingsPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderCodeSettings(w, r, a, http.StatusOK, nil, nil, nil)
}

// renderCodeSettings shows the rules; a refused form's values and evidence
// are shown back with err beside its field.
func (s *Server) renderCodeSettings(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, values map[string]string, evidence map[string][]string, ferr error) error {
	set, err := s.keyCodes.CodeSettings(r.Context(), a)
	if err != nil {
		return err
	}
	if values == nil {
		values = map[string]string{"approval_hours": strconv.Itoa(set.ApprovalHours), "max_reveals": strconv.Itoa(set.MaxReveals),
			"reveal_seconds": strconv.Itoa(set.RevealSeconds), "retention_days": strconv.Itoa(set.RetentionDays)}
		evidence = set.Evidence
	}
	d := codeSettingsData{Values: values, CanEdit: keyward.Allowed(a.Role, keyward.ActOrgManage),
		Bounds: codeSettingsBounds{keyward.MinApprovalHours, keyward.MaxApprovalHours, keyward.MinCodeReveals, keyward.MaxCodeReveals,
			keyward.MinRevealSeconds, keyward.MaxRevealSeconds, keyward.MaxRetentionDays}}
	for _, rel := range keyward.CodeRelationships {
		who := withArticle(keyward.RelationshipWords(rel))
		rule := codeEvidenceRule{Rel: rel, Words: strings.ToUpper(who[:1]) + who[1:], Recommended: evidenceWordsOf(keyward.RecommendedEvidence[rel])}
		for _, it := range keyward.EvidenceItems {
			rule.Items = append(rule.Items, choice{Value: it, Label: keyward.EvidenceWords(it), Checked: slices.Contains(evidence[rel], it)})
		}
		d.Evidence = append(d.Evidence, rule)
	}
	if ferr != nil {
		return s.render(w, r, a, status, "code_settings", "Key code rules", copyFormError(ferr, d))
	}
	return s.render(w, r, a, status, "code_settings", "Key code rules", d)
}

func evidenceWordsOf(items []string) string {
	words := make([]string, len(items))
	for i, it := range items {
		words[i] = keyward.EvidenceWords(it)
	}
	return strings.Join(words, " and ")
}

// codeSettingsSubmit saves the whole set of rules, as the API's PUT does.
func (s *Server) codeSettingsSubmit(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	values := postedValues(r, codeSettingFields...)
	in := keyward.CodeSettings{Evidence: map[string][]string{}}
	for i, dst := range []*int{&in.ApprovalHours, &in.MaxReveals, &in.RevealSeconds, &in.RetentionDays} {
		*dst = wholeNumber(values[codeSettingFields[i]])
	}
	for _, rel := range keyward.CodeRelationships {
		if items := r.PostForm["evidence_"+rel]; len(items) > 0 {
			in.Evidence[rel] = slices.Clone(items)
		}
	}
	shown := make(map[string][]string, len(in.Evidence))
	for rel, items := range in.Evidence {
		shown[rel] = slices.Clone(items)
	}
	if _, err := s.keyCodes.SetCodeSettings(r.Context(), a, in); err != nil {
		return formRefused(err, func(st int) error { return s.renderCodeSettings(w, r, a, st, values, shown, err) })
	}
	return redirectFlash(w, r, "/settings/key-codes", "Key code rules saved.")
}

// wholeNumber reads a typed number; anything else becomes -1, which no
// bound of the code settings accepts, so the service's own rule names the
// field and says what it takes.
func wholeNumber(v string) int {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return -1
	}
	return n
}
