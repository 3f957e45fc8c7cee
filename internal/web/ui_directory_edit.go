package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// The pages that edit, retire, restore and merge directory records. Each
// record page shows its edit form and its retire or restore control; the
// edit form also has a page of its own, where a refused change is shown with
// the rule each field broke, and retiring asks for confirmation first.

// editForm is the edit form of one record (layout.html "directory-edit").
type editForm struct {
	Action string // where the form posts; empty: no form
	Policy string // the action that may use it
	Fields []editField
}

type editField struct {
	Name, Label, Type, Value string
	Options                  []editOption
	Checked, Required        bool
	Max                      int
}

type editOption struct{ Value, Label string }

func options(values []string) []editOption {
	out := make([]editOption, len(values))
	for i, v := range values {
		out[i] = editOption{v, v}
	}
	return out
}

// retireView is the retire or restore control of one record (layout.html "directory-retire").
type retireView struct {
	Noun       string // "site", "opening", "keyway", "holder"
	Path       string // the record's page
	Policy     string
	RetiredAt  *time.Time
	MergedInto string
}

// directoryKinds: for each kind, its pages and policy.
var directoryKinds = map[string]struct {
	base   string
	policy keyward.Action
}{
	keyward.KindSite:    {"/sites/", keyward.ActInventoryEdit},
	keyward.KindOpening: {"/openings/", keyward.ActInventoryEdit},
	keyward.KindKeyway:  {"/keyways/", keyward.ActInventoryEdit},
	keyward.KindHolder:  {"/holders/", keyward.ActHolderEdit},
}

// directoryRecord is what the edit and retire pages need of any record.
type directoryRecord struct {
	Name   string
	Edit   editForm
	Retire retireView
	Back   string
}

// record reads the record of kind and builds its form from form values
// (nil: the record's own).
func (s *Server) record(ctx context.Context, a keyward.Actor, kind, id string, form map[string]string) (*directoryRecord, error) {
	k := directoryKinds[kind]
	path := k.base + url.PathEscape(id)
	d := &directoryRecord{Back: path}
	var retired *time.Time
	switch kind {
	case keyward.KindSite:
		v, err := s.directory.Site(ctx, a, id)
		if err != nil {
			return nil, err
		}
		d.Name, retired, d.Edit = v.Name, v.RetiredAt, siteEdit(*v, form)
	case keyward.KindOpening:
		v, err := s.directory.Opening(ctx, a, id)
		if err != nil {
			return nil, err
		}
		sites, err := s.directory.Sites(ctx, a, keyward.ListOptions{Limit: 500})
		if err != nil {
			return nil, err
		}
		d.Name, retired, d.Edit = v.Name, v.RetiredAt, openingEdit(*v, sites.Items, form)
	case keyward.KindKeyway:
		v, err := s.directory.Keyway(ctx, a, id)
		if err != nil {
			return nil, err
		}
		d.Name, retired, d.Edit = v.Name, v.RetiredAt, keywayEdit(*v, form)
	case keyward.KindHolder:
		v, err := s.directory.Holder(ctx, a, id)
		if err != nil {
			return nil, err
		}
		d.Name, retired, d.Edit = v.Name, v.RetiredAt, holderEdit(*v, form)
		d.Retire.MergedInto = v.MergedInto
	}
	d.Edit.Action, d.Edit.Policy = path+"/edit", string(k.policy)
	d.Retire.Noun, d.Retire.Path, d.Retire.Policy, d.Retire.RetiredAt = kind, path, string(k.policy), retired
	return d, nil
}

// value is the form's value of name when the form was posted, else the record's.
func value(form map[string]string, name, record string) string {
	if form != nil {
		return form[name]
	}
	return record
}

func checked(form map[string]string, name string, record bool) bool {
	if form != nil {
		return form[name] == "1"
	}
	return record
}

func siteEdit(v keyward.Site, f map[string]string) editForm {
	return editForm{Fields: []editField{
		{Name: "name", Label: "Name", Type: "text", Value: value(f, "name", v.Name), Required: true, Max: keyward.MaxName},
		{Name: "address", Label: "Address (optional)", Type: "textarea", Value: value(f, "address", v.Address), Max: keyward.MaxNote},
	}}
}

func openingEdit(v keyward.Opening, sites []keyward.Site, f map[string]string) editForm {
	var opts []editOption
	found := false
	for _, s := range sites {
		opts = append(opts, editOption{s.ID, s.Name})
		found = found || s.ID == v.SiteID
	}
	if !found {
		opts = append(opts, editOption{v.SiteID, "its current site"})
	}
	return editForm{Fields: []editField{
		{Name: "name", Label: "Name", Type: "text", Value: value(f, "name", v.Name), Required: true, Max: keyward.MaxName},
		{Name: "kind", Label: "Kind", Type: "select", Value: value(f, "kind", v.Kind), Options: options(keyward.OpeningKinds)},
		{Name: "site_id", Label: "Site", Type: "select", Value: value(f, "site_id", v.SiteID), Options: opts},
	}}
}

func keywayEdit(v keyward.Keyway, f map[string]string) editForm {
	return editForm{Fields: []editField{
		{Name: "name", Label: "Name", Type: "text", Value: value(f, "name", v.Name), Required: true, Max: keyward.MaxName},
		{Name: "manufacturer", Label: "Manufacturer (optional)", Type: "text", Value: value(f, "manufacturer", v.Manufacturer), Max: keyward.MaxName},
		{Name: "duplication_policy", Label: "Duplication policy", Type: "select", Value: value(f, "duplication_policy", v.DuplicationPolicy), Options: options(keyward.DuplicationPolicies)},
	}}
}

func holderEdit(v keyward.Holder, f map[string]string) editForm {
	return editForm{Fields: []editField{
		{Name: "name", Label: "Name", Type: "text", Value: value(f, "name", v.Name), Required: true, Max: keyward.MaxName},
		{Name: "email", Label: "Email (optional)", Type: "email", Value: value(f, "email", v.Email), Max: keyward.MaxEmail},
		{Name: "phone", Label: "Phone (optional)", Type: "tel", Value: value(f, "phone", v.Phone), Max: 40},
		{Name: "kind", Label: "Kind", Type: "select", Value: value(f, "kind", v.Kind), Options: options(keyward.HolderKinds)},
		{Name: "signatory", Label: "Signatory: may authorize copies of restricted keys", Type: "checkbox", Checked: checked(f, "signatory", v.Signatory)},
		{Name: "emergency_contact", Label: "Emergency contact", Type: "checkbox", Checked: checked(f, "emergency_contact", v.EmergencyContact)},
	}}
}

// formFields are the fields each kind's edit form posts.
var formFields = map[string][]string{
	keyward.KindSite:    {"name", "address"},
	keyward.KindOpening: {"name", "kind", "site_id"},
	keyward.KindKeyway:  {"name", "manufacturer", "duplication_policy"},
	keyward.KindHolder:  {"name", "email", "phone", "kind", "signatory", "emergency_contact"},
}

// saveEdit turns a posted edit form into the kind's patch. Every field is
// sent, so the patch sets the record to what the form shows.
func (s *Server) saveEdit(ctx context.Context, a keyward.Actor, kind, id string, f map[string]string) (string, error) {
	p := func(name string) *string { v := f[name]; return &v }
	b := func(name string) *bool { v := f[name] == "1"; return &v }
	switch kind {
	case keyward.KindSite:
		v, err := s.directory.UpdateSite(ctx, a, id, keyward.SitePatch{Name: p("name"), Address: p("address")})
		if err != nil {
			return "", err
		}
		return v.Name, nil
	case keyward.KindOpening:
		v, err := s.directory.UpdateOpening(ctx, a, id, keyward.OpeningPatch{Name: p("name"), Kind: p("kind"), SiteID: p("site_id")})
		if err != nil {
			return "", err
		}
		return v.Name, nil
	case keyward.KindKeyway:
		v, err := s.directory.UpdateKeyway(ctx, a, id, keyward.KeywayPatch{Name: p("name"), Manufacturer: p("manufacturer"), DuplicationPolicy: p("duplication_policy")})
		if err != nil {
			return "", err
		}
		return v.Name, nil
	default:
		v, err := s.directory.UpdateHolder(ctx, a, id, keyward.HolderPatch{Name: p("name"), Email: p("email"), Phone: p("phone"), Kind: p("kind"),
			Signatory: b("signatory"), EmergencyContact: b("emergency_contact")})
		if err != nil {
			return "", err
		}
		return v.Name, nil
	}
}

// directoryPages are the edit, retire and restore pages of one kind.
func (s *Server) directoryPages(kind string) []route {
	k := directoryKinds[kind]
	base := strings.TrimSuffix(k.base, "/")
	return []route{
		page("GET "+base+"/{id}/edit", k.policy, func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
			d, err := s.record(r.Context(), a, kind, r.PathValue("id"), nil)
			if err != nil {
				return err
			}
			return s.render(w, r, a, http.StatusOK, "directory_edit", "Edit "+d.Name, d)
		}),
		page("POST "+base+"/{id}/edit", k.policy, func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
			id := r.PathValue("id")
			form := postedValues(r, formFields[kind]...)
			name, err := s.saveEdit(r.Context(), a, kind, id, form)
			if err != nil {
				return formRefused(err, func(st int) error {
					d, rerr := s.record(r.Context(), a, kind, id, form)
					if rerr != nil {
						return rerr
					}
					return s.render(w, r, a, st, "directory_edit", "Edit "+d.Name, newFormError(err, d))
				})
			}
			return redirectFlash(w, r, k.base+url.PathEscape(id), "Saved "+name+".")
		}),
		page("GET "+base+"/{id}/retire", k.policy, func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
			d, err := s.record(r.Context(), a, kind, r.PathValue("id"), nil)
			if err != nil {
				return err
			}
			return s.render(w, r, a, http.StatusOK, "directory_retire", "Retire "+d.Name, d)
		}),
		page("POST "+base+"/{id}/retire", k.policy, func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
			id := r.PathValue("id")
			if err := s.directory.Retire(r.Context(), a, kind, id); err != nil {
				return formRefused(err, func(st int) error {
					d, rerr := s.record(r.Context(), a, kind, id, nil)
					if rerr != nil {
						return rerr
					}
					return s.render(w, r, a, st, "directory_retire", "Retire "+d.Name, newFormError(err, d))
				})
			}
			return redirectFlash(w, r, k.base+url.PathEscape(id), "Retired. Restore it here at any time.")
		}),
		page("POST "+base+"/{id}/restore", k.policy, func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
			id := r.PathValue("id")
			if err := s.directory.Restore(r.Context(), a, kind, id); err != nil {
				return err
			}
			return redirectFlash(w, r, k.base+url.PathEscape(id), "Restored.")
		}),
	}
}

// Keyway page.

type keywayPageData struct {
	Keyway keyward.Keyway
	Edit   editForm
	Retire retireView
	// Copy is its duplication control (ui_copy_pages.go), for those who read it.
	Copy *keywayCopyView
}

func (s *Server) keywayPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderKeyway(w, r, a, http.StatusOK, "", nil)
}

// renderKeyway shows a keyway's page; failed names a refused form of its
// duplication control ("signatory", "card").
func (s *Server) renderKeyway(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed string, ferr error) error {
	d, err := s.record(r.Context(), a, keyward.KindKeyway, r.PathValue("id"), nil)
	if err != nil {
		return err
	}
	kw, err := s.directory.Keyway(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := keywayPageData{Keyway: *kw, Edit: d.Edit, Retire: d.Retire}
	if v.Copy, err = s.keywayCopy(r, a, kw, failed, ferr); err != nil {
		return err
	}
	if ferr != nil {
		return s.render(w, r, a, status, "keyway", kw.Name, copyFormError(ferr, v))
	}
	return s.render(w, r, a, status, "keyway", kw.Name, v)
}

// Holder merge: search, then pick, without JavaScript.

type holderMergeData struct {
	Holder     keyward.Holder
	Query      string
	Candidates []keyward.Holder
}

func (s *Server) holderMergePage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderHolderMerge(w, r, a, http.StatusOK, r.URL.Query().Get("q"), nil)
}

func (s *Server) renderHolderMerge(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, q string, failed error) error {
	h, err := s.directory.Holder(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := holderMergeData{Holder: *h, Query: strings.TrimSpace(q)}
	if d.Query != "" {
		res, err := s.finder.Search(r.Context(), a, d.Query, 50)
		if err != nil {
			return err
		}
		for _, c := range res.Holders {
			if c.ID != h.ID && c.RetiredAt == nil {
				d.Candidates = append(d.Candidates, c)
			}
		}
	}
	title := "Merge " + h.Name
	if failed != nil {
		return s.render(w, r, a, status, "holder_merge", title, newFormError(failed, d))
	}
	return s.render(w, r, a, status, "holder_merge", title, d)
}

func (s *Server) holderMerge(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	m, err := s.directory.MergeHolders(r.Context(), a, r.PathValue("id"), keyward.MergeInput{Into: r.PostFormValue("into")})
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderHolderMerge(w, r, a, st, r.PostFormValue("q"), err) })
	}
	return redirectFlash(w, r, "/holders/"+url.PathEscape(m.Holder.ID), "Merged into "+m.Holder.Name+": their keys and history are here now.")
}
