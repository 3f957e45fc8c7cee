package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/keyward/keyward/internal/keying"
	"github.com/keyward/keyward/internal/keyward"
)

// Key system pages: the list with its create form, the key tree (bittings
// masked unless revealed through a POST form), the cylinder page with its
// pinning chart, and rekey plans.

type manufacturerChoice struct{ Value, Label string }

func manufacturerChoices() []manufacturerChoice {
	var out []manufacturerChoice
	for _, m := range keying.Manufacturers() {
		if m.Modeled && m.Spec.MaxDepth > 0 {
			out = append(out, manufacturerChoice{m.Spec.Name, m.Name + " (" + string(m.Confidence) + ")"})
		}
	}
	return out
}

// specChoices are the modeled manufacturer rows, then the organization's specs.
func specChoices(specs []keyward.KeyingSpec) []manufacturerChoice {
	out := manufacturerChoices()
	for _, k := range specs {
		if k.Source == keyward.SpecSourceOrganization {
			out = append(out, manufacturerChoice{k.Name, k.Name + " (organization)"})
		}
	}
	return out
}

type keySystemsPageData struct {
	Items         []keyward.KeySystemSummary
	Manufacturers []manufacturerChoice
	Form          map[string]string
	Specs         []keyward.KeyingSpec // manufacturer table, then the organization's
	SpecForm      map[string]string
}

var keySystemFields = []string{"name", "manufacturer", "shape", "grand_seq", "master_seq", "change_seq", "top_symbol", "tmk", "masters_needed", "change_keys_needed"}

func (s *Server) keySystemsPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderKeySystems(w, r, a, http.StatusOK, nil, map[string]string{"shape": "3", "master_seq": "1", "change_seq": "2, 3"})
}

func (s *Server) renderKeySystems(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed error, form map[string]string) error {
	return s.renderKeySystemsSpecs(w, r, a, status, failed, form, nil)
}

// renderKeySystemsSpecs renders the list with both forms: the key system's and the keying spec's.
func (s *Server) renderKeySystemsSpecs(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed error, form, specForm map[string]string) error {
	items, err := s.keySystems.KeySystems(r.Context(), a)
	if err != nil {
		return err
	}
	specs, err := s.keyingSpecs.KeyingSpecs(r.Context(), a)
	if err != nil {
		return err
	}
	if form == nil {
		form = map[string]string{"shape": "3", "master_seq": "1", "change_seq": "2, 3"}
	}
	if specForm == nil {
		specForm = map[string]string{"positions": "6", "min_depth": "0", "max_depth": "9", "macs": "7", "step": "2"}
	}
	d := keySystemsPageData{Items: items, Manufacturers: specChoices(specs), Form: form, Specs: specs, SpecForm: specForm}
	if failed != nil {
		return s.render(w, r, a, status, "keysystems", "Key systems", newFormError(failed, d))
	}
	return s.render(w, r, a, status, "keysystems", "Key systems", d)
}

// positions reads "2, 3" as [2 3].
func positions(field, s string) ([]int, error) {
	var out []int
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, keyward.Invalid(field, "must list chamber numbers, e.g. 2, 3")
		}
		out = append(out, n)
	}
	return out, nil
}

func (s *Server) keySystemsCreate(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	in := keyward.KeySystemInput{Name: r.PostFormValue("name"), Manufacturer: r.PostFormValue("manufacturer"),
		TopSymbol: r.PostFormValue("top_symbol"), TMK: keyward.Secret(strings.TrimSpace(r.PostFormValue("tmk")))}
	names := map[string][]string{"2": {"change"}, "3": {"master", "change"}, "4": {"grand", "master", "change"}}[r.PostFormValue("shape")]
	var err error
	if in.MastersNeeded, err = optionalCount("masters_needed", r.PostFormValue("masters_needed")); err == nil {
		in.ChangeKeysNeeded, err = optionalCount("change_keys_needed", r.PostFormValue("change_keys_needed"))
	}
	if err == nil && names == nil {
		err = keyward.Invalid("shape", "must be 2, 3 or 4 levels")
	}
	for _, n := range names {
		if err != nil {
			break
		}
		var seq []int
		seq, err = positions(n+"_seq", r.PostFormValue(n+"_seq"))
		in.Levels = append(in.Levels, keyward.KeySystemLevel{Level: n, Sequence: seq})
	}
	var ks *keyward.KeySystem
	if err == nil {
		ks, err = s.keySystems.CreateKeySystem(r.Context(), a, in)
		err = levelFields(err, names)
	}
	if err != nil {
		return formRefused(err, func(st int) error {
			form := postedValues(r, keySystemFields...)
			form["tmk"] = "" // never echo a bitting back into a page
			return s.renderKeySystems(w, r, a, st, err, form)
		})
	}
	return redirectFlash(w, r, "/keysystems/"+url.PathEscape(ks.ID), "Created key system "+ks.Name+" with "+strconv.Itoa(len(ks.Symbols))+" keys.")
}

// levelFields names the form's fields in a refusal that names the API's: the
// form has master_seq where the API has levels[1].sequence.
func levelFields(err error, names []string) error {
	var e *keyward.Error
	if !errors.As(err, &e) || e.Code != keyward.EINVALID {
		return err
	}
	var v keyward.Validator
	for _, f := range e.Fields {
		field := f.Field
		for i, n := range names {
			if prefix := "levels[" + strconv.Itoa(i) + "]"; strings.HasPrefix(field, prefix) {
				field = n + "_seq"
			}
		}
		v.Check(false, field, f.Rule)
	}
	return v.Err()
}

// treeNode is a key of the tree with its children, for the <details> tree.
type treeNode struct {
	keyward.KeySymbol
	Bitting  string // only after a reveal
	Doors    []string
	Children []*treeNode
}

type keySystemPageData struct {
	System   *keyward.KeySystem
	Root     *treeNode
	Revealed bool
	Openings []keyward.Opening
	Names    map[string]string // opening id → name
	Form     map[string]string
}

func (s *Server) keySystemPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderKeySystem(w, r, a, http.StatusOK, nil, nil, nil)
}

func (s *Server) renderKeySystem(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, bittings []keyward.RevealedBitting, failed error, form map[string]string) error {
	ks, err := s.keySystems.KeySystem(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := keySystemPageData{System: ks, Revealed: bittings != nil, Names: map[string]string{}, Form: form}
	for _, c := range ks.Cylinders {
		d.Names[c.OpeningID] = c.OpeningName
	}
	bit := map[string]string{}
	for _, b := range bittings {
		bit[b.Symbol] = b.Bitting
	}
	nodes := map[string]*treeNode{}
	for _, k := range ks.Symbols {
		n := &treeNode{KeySymbol: k, Bitting: bit[k.Symbol]}
		for _, o := range k.Openings {
			n.Doors = append(n.Doors, d.Names[o])
		}
		nodes[k.Symbol] = n
		if p := nodes[k.Parent]; p != nil && k.Parent != "" {
			p.Children = append(p.Children, n)
		} else if d.Root == nil {
			d.Root = n
		}
	}
	if keyward.Allowed(a.Role, keyward.ActKeySystemEdit) && keyward.Allowed(a.Role, keyward.ActInventoryRead) {
		p, err := s.directory.Openings(r.Context(), a, "", keyward.ListOptions{Limit: 500})
		if err != nil {
			return err
		}
		d.Openings = p.Items
	}
	title := "Key system " + ks.Name
	if bittings != nil {
		w.Header().Set("Cache-Control", "no-store")
	}
	if failed != nil {
		return s.render(w, r, a, status, "keysystem", title, newFormError(failed, d))
	}
	return s.render(w, r, a, status, "keysystem", title, d)
}

func (s *Server) keySystemReveal(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	b, err := s.keySystems.Reveal(r.Context(), a, r.PathValue("id"), keyward.RevealInput{Reason: r.PostFormValue("reason")})
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderKeySystem(w, r, a, st, nil, err, nil) })
	}
	return s.renderKeySystem(w, r, a, http.StatusOK, b, nil, nil)
}

func (s *Server) keySystemAssign(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	in := keyward.AssignInput{OpeningID: r.PostFormValue("opening_id"), Symbol: r.PostFormValue("symbol")}
	for _, c := range strings.FieldsFunc(r.PostFormValue("cross_keys"), func(r rune) bool { return r == ',' || r == ' ' }) {
		in.CrossKeys = append(in.CrossKeys, c)
	}
	c, err := s.keySystems.Assign(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return formRefused(err, func(st int) error {
			return s.renderKeySystem(w, r, a, st, nil, err, postedValues(r, "opening_id", "symbol", "cross_keys"))
		})
	}
	return redirectFlash(w, r, "/keysystems/"+url.PathEscape(r.PathValue("id")), "Keyed "+c.OpeningName+" to "+c.Symbol+".")
}

func (s *Server) keySystemLost(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	p, err := s.keySystems.ReportLost(r.Context(), a, r.PathValue("id"), keyward.LostKeyInput{Symbol: r.PostFormValue("symbol"), KeyID: r.PostFormValue("key_id"), Note: r.PostFormValue("note")})
	if err != nil {
		return formRefused(err, func(st int) error {
			return s.renderKeySystem(w, r, a, st, nil, err, postedValues(r, "symbol", "note"))
		})
	}
	return redirectFlash(w, r, "/keysystems/"+url.PathEscape(r.PathValue("id"))+"/plans/"+url.PathEscape(p.ID), "Rekey plan started for lost key "+p.LostSymbol+": "+strconv.Itoa(len(p.Items))+" step"+pluralS(len(p.Items))+".")
}

type cylinderPageData struct {
	SystemID   string
	SystemName string
	Cylinder   *keyward.Cylinder
	Chart      *keyward.PinningChart
}

func (s *Server) cylinderPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	ks, err := s.keySystems.KeySystem(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	c, err := s.keySystems.Cylinder(r.Context(), a, ks.ID, r.PathValue("opening"))
	if err != nil {
		return err
	}
	return s.render(w, r, a, http.StatusOK, "keysystem_cylinder", "Cylinder "+c.OpeningName, cylinderPageData{SystemID: ks.ID, SystemName: ks.Name, Cylinder: c})
}

func (s *Server) cylinderReveal(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	ch, err := s.keySystems.RevealPinning(r.Context(), a, r.PathValue("id"), r.PathValue("opening"), keyward.PinningRevealInput{Reason: r.PostFormValue("reason")})
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, a, http.StatusOK, "keysystem_cylinder", "Cylinder "+ch.OpeningName,
		cylinderPageData{SystemID: r.PathValue("id"), SystemName: ch.SystemName, Cylinder: &ch.Cylinder, Chart: ch})
}

type planPageData struct {
	SystemID   string
	SystemName string
	Plan       *keyward.RekeyPlan
	Names      map[string]string
	Steps      []planStep
	// Left counts the steps not done yet; Doors the doors the lost key opened.
	Left, Doors int
}

// planStep is a plan item with its words.
type planStep struct {
	keyward.PlanItem
	Text keyward.StepText
	// Door says whether the step changes a door (rekey or replace).
	Door bool
}

// planSteps says each item of a plan in plain words (keyward.DescribePlanItem).
func planSteps(ks *keyward.KeySystem, p *keyward.RekeyPlan) []planStep {
	w := keyward.NewPlanWords(ks, p)
	out := make([]planStep, len(p.Items))
	for i, it := range p.Items {
		out[i] = planStep{PlanItem: it, Text: keyward.DescribePlanItem(it, w), Door: it.OpeningID != ""}
	}
	return out
}

func (s *Server) planPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	ks, err := s.keySystems.KeySystem(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	p, err := s.keySystems.Plan(r.Context(), a, ks.ID, r.PathValue("plan"))
	if err != nil {
		return err
	}
	d := planPageData{SystemID: ks.ID, SystemName: ks.Name, Plan: p, Names: map[string]string{}, Steps: planSteps(ks, p),
		Doors: len(p.Intended) + len(p.Incidental)}
	for _, c := range ks.Cylinders {
		d.Names[c.OpeningID] = c.OpeningName
	}
	for _, it := range p.Items {
		if it.OpeningID != "" {
			d.Names[it.OpeningID] = it.OpeningName
		}
		if !it.Done {
			d.Left++
		}
	}
	return s.render(w, r, a, http.StatusOK, "keysystem_plan", "Rekey plan: "+p.LostSymbol+" lost", d)
}

// optionalCount reads an optional whole number of a form: "" is 0.
func optionalCount(field, s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, keyward.Invalid(field, "must be a whole number")
	}
	return n, nil
}

// keyingSpecFields are the members of the keying spec form; the spec's own
// members are named as the API names them ("spec.macs" is the form's "macs").
var keyingSpecFields = []string{"spec_name", "spec_note", "positions", "min_depth", "max_depth", "macs", "step",
	"min_master_pin", "max_master_pins_per_chamber", "max_master_pins_total"}

// keyingSpecFormInput reads the keying spec form; empty limits mean no limit.
func keyingSpecFormInput(r *http.Request) (keyward.KeyingSpecInput, error) {
	in := keyward.KeyingSpecInput{Name: r.PostFormValue("spec_name"), Note: r.PostFormValue("spec_note")}
	ints := []struct {
		field string
		dst   *int
	}{{"positions", &in.Spec.Positions}, {"min_depth", &in.Spec.MinDepth}, {"max_depth", &in.Spec.MaxDepth},
		{"macs", &in.Spec.MACS}, {"step", &in.Spec.Step}, {"min_master_pin", &in.Spec.MinMasterPin}}
	for _, f := range ints {
		n, err := optionalCount("spec."+f.field, r.PostFormValue(f.field))
		if err != nil {
			return in, err
		}
		*f.dst = n
	}
	limits := []struct {
		field string
		dst   **int
	}{{"max_master_pins_per_chamber", &in.Spec.MaxMasterPinsPerChamber}, {"max_master_pins_total", &in.Spec.MaxMasterPinsTotal}}
	for _, f := range limits {
		if strings.TrimSpace(r.PostFormValue(f.field)) == "" {
			continue
		}
		n, err := optionalCount("spec."+f.field, r.PostFormValue(f.field))
		if err != nil {
			return in, err
		}
		*f.dst = &n
	}
	return in, nil
}

// keyingSpecCreate adds an organization keying spec from the form on /keysystems.
func (s *Server) keyingSpecCreate(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	in, err := keyingSpecFormInput(r)
	var ks *keyward.KeyingSpec
	if err == nil {
		ks, err = s.keyingSpecs.CreateKeyingSpec(r.Context(), a, in)
	}
	if err != nil {
		return formRefused(err, func(st int) error {
			return s.renderKeySystemsSpecs(w, r, a, st, specFormError(err), nil, postedValues(r, keyingSpecFields...))
		})
	}
	return redirectFlash(w, r, "/keysystems", "Added keying spec "+ks.Name+".")
}

// specFormError renames the spec's name and note fields to the form's, so
// they do not show under the key system form's fields of the same name.
func specFormError(err error) error {
	var e *keyward.Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Fields = make([]keyward.FieldError, len(e.Fields))
	for i, f := range e.Fields {
		switch f.Field {
		case "name", "note":
			f.Field = "spec_" + f.Field
		}
		c.Fields[i] = f
	}
	return &c
}
