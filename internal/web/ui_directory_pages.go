package web

import (
	"net/http"
	"net/url"

	"github.com/keyward/keyward/internal/keyward"
)

// listPageData is a page of a directory list with its create form.
type listPageData[T any] struct {
	Items []T
	Links cursorLinksData
	Form  map[string]string
	// Choices for the create form's selects.
	Kinds, Policies []string
	// ShowRetired: the list shows retired records too; Path is the list's own.
	ShowRetired bool
	Path        string
}

// renderList shows one page of a list; failed and form re-show a refused create form.
func renderList[T any](s *Server, w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, name, title string,
	load func(opt keyward.ListOptions) (*keyward.Page[T], error), d listPageData[T], failed error) error {
	opt, err := directoryListOptions(r)
	if err != nil {
		return err
	}
	p, err := load(opt)
	if err != nil {
		return err
	}
	d.Items, d.Links, d.ShowRetired, d.Path = p.Items, cursorLinks(r, p.Next), opt.IncludeRetired, r.URL.Path
	if failed != nil {
		return s.render(w, r, a, status, name, title, newFormError(failed, d))
	}
	return s.render(w, r, a, status, name, title, d)
}

// Holders.

var holderFields = []string{"name", "email", "phone", "kind", "signatory", "emergency_contact"}

func (s *Server) holdersPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderHolders(w, r, a, http.StatusOK, nil, nil)
}

func (s *Server) renderHolders(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed error, form map[string]string) error {
	return renderList(s, w, r, a, status, "holders", "Holders", func(opt keyward.ListOptions) (*keyward.Page[keyward.Holder], error) {
		return s.directory.Holders(r.Context(), a, opt)
	}, listPageData[keyward.Holder]{Form: form, Kinds: keyward.HolderKinds}, failed)
}

func (s *Server) holdersCreate(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	h, err := s.directory.CreateHolder(r.Context(), a, keyward.HolderInput{
		Name: r.PostFormValue("name"), Email: r.PostFormValue("email"), Phone: r.PostFormValue("phone"), Kind: r.PostFormValue("kind"),
		Signatory: r.PostFormValue("signatory") == "1", EmergencyContact: r.PostFormValue("emergency_contact") == "1",
	})
	if err != nil {
		return formRefused(err, func(st int) error {
			return s.renderHolders(w, r, a, st, err, postedValues(r, holderFields...))
		})
	}
	return redirectFlash(w, r, "/holders/"+url.PathEscape(h.ID), "Added holder "+h.Name+".")
}

type holderPageData struct {
	Holder keyward.Holder
	Edit   editForm
	Retire retireView
	Keys   []keyRow
	// Events is the holder's logbook, newest first: what they held before.
	Events []eventRow
}

// holderLogbookRows bounds the logbook a holder page shows.
const holderLogbookRows = 100

func (s *Server) holderPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	h, err := s.directory.Holder(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	keys, err := s.custody.HolderKeys(r.Context(), a, h.ID)
	if err != nil {
		return err
	}
	d := holderPageData{Holder: *h}
	if a.Role != keyward.RoleHolder {
		rec, err := s.record(r.Context(), a, keyward.KindHolder, h.ID, nil)
		if err != nil {
			return err
		}
		d.Edit, d.Retire = rec.Edit, rec.Retire
	}
	if d.Keys, err = s.newPageNames(r, a).rows(keys, s.now()); err != nil {
		return err
	}
	events, err := s.finder.HolderEvents(r.Context(), a, h.ID, keyward.ListOptions{Limit: holderLogbookRows})
	if err != nil {
		return err
	}
	names := s.newPageNames(r, a)
	for _, e := range events.Items {
		// A transfer names the other side: who it went to, or came from.
		other := ""
		if e.Action == keyward.CustodyTransfer {
			if e.FromHolderID == h.ID {
				name, err := names.holder(e.HolderID)
				if err != nil {
					return err
				}
				other = "to " + name
			} else {
				name, err := names.holder(e.FromHolderID)
				if err != nil {
					return err
				}
				other = "from " + name
			}
		}
		d.Events = append(d.Events, newEventRow(e, other))
	}
	return s.render(w, r, a, http.StatusOK, "holder", h.Name, d)
}

// Sites and their openings.

func (s *Server) sitesPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderSites(w, r, a, http.StatusOK, nil, nil)
}

func (s *Server) renderSites(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed error, form map[string]string) error {
	return renderList(s, w, r, a, status, "sites", "Sites", func(opt keyward.ListOptions) (*keyward.Page[keyward.Site], error) {
		return s.directory.Sites(r.Context(), a, opt)
	}, listPageData[keyward.Site]{Form: form}, failed)
}

func (s *Server) sitesCreate(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	site, err := s.directory.CreateSite(r.Context(), a, keyward.SiteInput{Name: r.PostFormValue("name"), Address: r.PostFormValue("address")})
	if err != nil {
		return formRefused(err, func(st int) error {
			return s.renderSites(w, r, a, st, err, postedValues(r, "name", "address"))
		})
	}
	return redirectFlash(w, r, "/sites/"+url.PathEscape(site.ID), "Added site "+site.Name+".")
}

type sitePageData struct {
	Site   keyward.Site
	Edit   editForm
	Retire retireView
	// ShowRetired: the openings list shows retired ones too; Path is the page's own.
	ShowRetired bool
	Path        string
	Openings    []keyward.Opening
	Links       cursorLinksData
	Kinds       []string
	Form        map[string]string
}

func (s *Server) sitePage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderSite(w, r, a, r.PathValue("id"), http.StatusOK, nil, nil)
}

func (s *Server) renderSite(w http.ResponseWriter, r *http.Request, a keyward.Actor, id string, status int, failed error, form map[string]string) error {
	site, err := s.directory.Site(r.Context(), a, id)
	if err != nil {
		return err
	}
	opt, err := directoryListOptions(r)
	if err != nil {
		return err
	}
	p, err := s.directory.Openings(r.Context(), a, site.ID, opt)
	if err != nil {
		return err
	}
	rec, err := s.record(r.Context(), a, keyward.KindSite, site.ID, nil)
	if err != nil {
		return err
	}
	d := sitePageData{Site: *site, Openings: p.Items, Links: cursorLinks(r, p.Next), Kinds: keyward.OpeningKinds, Form: form,
		Edit: rec.Edit, Retire: rec.Retire, ShowRetired: opt.IncludeRetired, Path: r.URL.Path}
	if failed != nil {
		return s.render(w, r, a, status, "site", site.Name, newFormError(failed, d))
	}
	return s.render(w, r, a, status, "site", site.Name, d)
}

func (s *Server) openingsCreate(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	siteID := r.PostFormValue("site_id")
	o, err := s.directory.CreateOpening(r.Context(), a, keyward.OpeningInput{SiteID: siteID, Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind")})
	if err != nil {
		return formRefused(err, func(st int) error {
			if siteID == "" {
				return err // no site page to show the form on
			}
			return s.renderSite(w, r, a, siteID, st, err, postedValues(r, "name", "kind"))
		})
	}
	return redirectFlash(w, r, "/sites/"+url.PathEscape(o.SiteID), "Added opening "+o.Name+".")
}

// Keyways.

func (s *Server) keywaysPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderKeyways(w, r, a, http.StatusOK, nil, nil)
}

func (s *Server) renderKeyways(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed error, form map[string]string) error {
	return renderList(s, w, r, a, status, "keyways", "Keyways", func(opt keyward.ListOptions) (*keyward.Page[keyward.Keyway], error) {
		return s.directory.Keyways(r.Context(), a, opt)
	}, listPageData[keyward.Keyway]{Form: form, Policies: keyward.DuplicationPolicies}, failed)
}

func (s *Server) keywaysCreate(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	kw, err := s.directory.CreateKeyway(r.Context(), a, keyward.KeywayInput{
		Name: r.PostFormValue("name"), Manufacturer: r.PostFormValue("manufacturer"), DuplicationPolicy: r.PostFormValue("duplication_policy"),
	})
	if err != nil {
		return formRefused(err, func(st int) error {
			return s.renderKeyways(w, r, a, st, err, postedValues(r, "name", "manufacturer", "duplication_policy"))
		})
	}
	return redirectFlash(w, r, "/keyways", "Added keyway "+kw.Name+".")
}
