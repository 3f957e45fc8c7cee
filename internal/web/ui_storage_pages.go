package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

type storageListData struct {
	Items   []keyward.StoragePlace
	Retired bool // retired places are listed too
	Links   cursorLinksData
	Kinds   []string
	Holders []keyward.Holder
	Sites   []keyward.Site
	// SiteNames names the sites of the listed places.
	SiteNames map[string]string
	Form      map[string]string
}

func (s *Server) storageListPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderStorageList(w, r, a, http.StatusOK, nil, nil)
}

func (s *Server) renderStorageList(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed error, form map[string]string) error {
	opt, err := directoryListOptions(r)
	if err != nil {
		return err
	}
	p, err := s.storage.Places(r.Context(), a, r.URL.Query().Get("kind"), "", opt)
	if err != nil {
		return err
	}
	d := storageListData{Items: p.Items, Retired: opt.IncludeRetired, Links: cursorLinks(r, p.Next), Kinds: keyward.StorageKinds, Form: form, SiteNames: map[string]string{}}
	names := s.newPageNames(r, a)
	for _, place := range p.Items {
		if d.SiteNames[place.SiteID], err = names.site(place.SiteID); err != nil {
			return err
		}
	}
	if keyward.Allowed(a.Role, keyward.ActStorageEdit) {
		hs, err := s.directory.Holders(r.Context(), a, keyward.ListOptions{Limit: 500})
		if err != nil {
			return err
		}
		sites, err := s.directory.Sites(r.Context(), a, keyward.ListOptions{Limit: 500})
		if err != nil {
			return err
		}
		d.Holders, d.Sites = hs.Items, sites.Items
	}
	if failed != nil {
		return s.render(w, r, a, status, "storage_list", "Storage", newFormError(failed, d))
	}
	return s.render(w, r, a, status, "storage_list", "Storage", d)
}

// formInt reads a whole number from a form field; empty is zero.
func formInt(r *http.Request, field string) (int, error) {
	v := strings.TrimSpace(r.PostFormValue(field))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, keyward.Invalid(field, "must be a whole number")
	}
	return n, nil
}

func (s *Server) storageCreate(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	in := keyward.StorageInput{Kind: r.PostFormValue("kind"), Name: r.PostFormValue("name"), SiteID: r.PostFormValue("site_id"),
		Location: r.PostFormValue("location"), Code: keyward.Secret(r.PostFormValue("code")), SealNumber: r.PostFormValue("seal_number")}
	var err error
	if in.Kind == keyward.StorageCabinet {
		in.Hooks, err = formInt(r, "hooks")
	}
	if in.Kind == keyward.StorageHolder {
		in.HolderID = r.PostFormValue("holder_id")
		if v := r.PostFormValue("acknowledged_on"); v != "" {
			// The day the owner acknowledged, on the organization's calendar.
			t, perr := time.ParseInLocation("2006-01-02", v, s.zone(r))
			if perr != nil {
				err = keyward.Invalid("acknowledged_at", "must be a date such as 2026-05-01")
			}
			in.AcknowledgedAt = &t
		}
	}
	var p *keyward.StoragePlace
	if err == nil {
		p, err = s.storage.Create(r.Context(), a, in)
	}
	if err != nil {
		return formRefused(err, func(st int) error {
			// Never echo the code back into the form.
			return s.renderStorageList(w, r, a, st, err, postedValues(r, "kind", "name", "site_id", "location", "hooks", "seal_number", "holder_id", "acknowledged_on"))
		})
	}
	return redirectFlash(w, r, "/storage/"+url.PathEscape(p.ID), "Added "+p.Kind+" "+p.Name+".")
}

// storageActionLabels are a storage place's logbook actions in words.
var storageActionLabels = map[string]string{
	"create":      "Created",
	"assign":      "Key placed",
	"unassign":    "Key taken off",
	"code.reveal": "Code revealed",
	"code.change": "Code changed",
	"seal.break":  "Seal broken and renewed",
	"acknowledge": "Owner acknowledged",
	"retire":      "Retired",
	"restore":     "Restored",
	"update":      "Details changed",
}

type hookRow struct {
	N   int
	Key *keyward.StoredKey
}

type storagePageData struct {
	Place      keyward.StoragePlace
	HolderName string
	SiteName   string
	Hooks      []hookRow
	Unhooked   []keyward.StoredKey
	Events     []keyward.StorageEvent
	Keys       []keyward.Key
	Code       string // set only on the answer to a reveal
	// CodeHistory says what became of a lockbox's code (a retired one's
	// was discarded) and when it was last shown.
	CodeHistory string
	// MustEnrol: the organization requires an authenticator and the
	// viewer's time to set one up is over, so the reveal form gives way to
	// the link; EnrolBy is the deadline of a viewer still in their grace.
	MustEnrol bool
	EnrolBy   string
	Sites     []keyward.Site
	refusedForm
}

func (s *Server) storagePlacePage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderStoragePlace(w, r, a, http.StatusOK, "", nil, "")
}

func (s *Server) renderStoragePlace(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, form string, failed error, code string) error {
	st := s.storage
	p, err := st.Place(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := storagePageData{Place: *p, Code: code, refusedForm: refusedForm{failed: form}, CodeHistory: p.CodeHistory(s.zone(r))}
	if p.Kind == keyward.StorageLockbox && keyward.Allowed(a.Role, keyward.ActSecretReveal) {
		standing, err := s.accounts.RevealStanding(r.Context(), a)
		if err != nil {
			return err
		}
		d.MustEnrol = keyward.IsAuthenticatorRequired(standing.Check(s.now()))
		d.EnrolBy = standing.GraceWarning(s.now())
	}
	if form != "" {
		d.form = postedValues(r, "key_id", "hook", "new_seal_number", "reason")
	}
	names := s.newPageNames(r, a)
	if d.HolderName, err = names.holder(p.HolderID); err != nil {
		return err
	}
	if d.SiteName, err = names.site(p.SiteID); err != nil {
		return err
	}
	if p.Kind == keyward.StorageCabinet {
		byHook := map[int]*keyward.StoredKey{}
		for i := range p.Keys {
			byHook[p.Keys[i].Hook] = &p.Keys[i]
		}
		for n := 1; n <= p.Hooks; n++ {
			d.Hooks = append(d.Hooks, hookRow{N: n, Key: byHook[n]})
		}
	} else {
		d.Unhooked = p.Keys
	}
	opt := keyward.ListOptions{Limit: 500}
	for range maxHistoryPages {
		page, err := st.Events(r.Context(), a, p.ID, opt)
		if err != nil {
			return err
		}
		d.Events = append(d.Events, page.Items...)
		if page.Next == "" {
			break
		}
		opt.Cursor = page.Next
	}
	if keyward.Allowed(a.Role, keyward.ActStorageEdit) {
		sites, err := s.directory.Sites(r.Context(), a, keyward.ListOptions{Limit: 500})
		if err != nil {
			return err
		}
		d.Sites = sites.Items
		// Only a key in storage gets a place (keyward.MayHome): the form
		// offers those, but for the keys already kept here.
		ks, err := s.custody.Keys(r.Context(), a, keyward.KeyFilter{Status: keyward.StatusInStorage, ListOptions: keyward.ListOptions{Limit: 500}})
		if err != nil {
			return err
		}
		d.Keys = slices.DeleteFunc(ks.Items, func(k keyward.Key) bool {
			return slices.ContainsFunc(p.Keys, func(sk keyward.StoredKey) bool { return sk.KeyID == k.ID && p.Kind != keyward.StorageCabinet })
		})
	}
	if code != "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	if failed != nil {
		return s.render(w, r, a, status, "storage_place", p.Name, newFormError(failed, d))
	}
	return s.render(w, r, a, status, "storage_place", p.Name, d)
}

func (s *Server) storageAssign(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	hook, err := formInt(r, "hook")
	var h *keyward.KeyHome
	if err == nil {
		h, err = s.storage.Assign(r.Context(), a, r.PathValue("id"), keyward.HookInput{KeyID: r.PostFormValue("key_id"), Hook: hook,
			NewSealNumber: r.PostFormValue("new_seal_number"), Reason: r.PostFormValue("reason")})
	}
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderStoragePlace(w, r, a, st, "assign", err, "") })
	}
	msg := "Key placed: " + (&keyward.KeyHome{StorageName: h.StorageName, Hook: h.Hook}).Where() + "."
	if h.StorageKind == keyward.StorageEnvelope {
		msg = "Key placed. The envelope's seal is now " + h.SealNumber + "."
	}
	return redirectFlash(w, r, "/storage/"+url.PathEscape(h.StorageID), msg)
}

func (s *Server) storageReveal(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	code, err := s.storage.RevealCode(r.Context(), a, r.PathValue("id"), keyward.CodeRevealInput{Reason: r.PostFormValue("reason")})
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderStoragePlace(w, r, a, st, "reveal", err, "") })
	}
	// The answer to the POST shows the code once; it is not cached and not in any URL.
	return s.renderStoragePlace(w, r, a, http.StatusOK, "", nil, code.Reveal())
}

func (s *Server) storageBreakSeal(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	p, err := s.storage.BreakSeal(r.Context(), a, r.PathValue("id"),
		keyward.BreakSealInput{Reason: r.PostFormValue("reason"), NewSealNumber: r.PostFormValue("new_seal_number")})
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderStoragePlace(w, r, a, st, "seal", err, "") })
	}
	return redirectFlash(w, r, "/storage/"+url.PathEscape(p.ID), "Seal broken and replaced by "+p.SealNumber+".")
}

func (s *Server) storageAcknowledge(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	p, err := s.storage.Acknowledge(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderStoragePlace(w, r, a, st, "acknowledge", err, "") })
	}
	return redirectFlash(w, r, "/storage/"+url.PathEscape(p.ID), "Acknowledgement recorded.")
}

// The per-opening view and its keying schedule.

type openingPageData struct {
	Access keyward.OpeningAccess
	Edit   editForm
	Retire retireView
	Holder map[string]string
	Form   map[string]string
}

func (s *Server) openingAccessPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderOpening(w, r, a, http.StatusOK, nil)
}

func (s *Server) renderOpening(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed error) error {
	acc, err := s.schedule.Access(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	rec, err := s.record(r.Context(), a, keyward.KindOpening, acc.Opening.ID, nil)
	if err != nil {
		return err
	}
	d := openingPageData{Access: *acc, Holder: map[string]string{}, Form: map[string]string{}, Edit: rec.Edit, Retire: rec.Retire}
	n := s.newPageNames(r, a)
	for _, c := range acc.Credentials {
		if d.Holder[c.HolderID], err = n.holder(c.HolderID); err != nil {
			return err
		}
	}
	if failed != nil {
		d.Form = postedValues(r, "symbol")
		return s.render(w, r, a, status, "opening_access", acc.Opening.Name, newFormError(failed, d))
	}
	return s.render(w, r, a, status, "opening_access", acc.Opening.Name, d)
}

func (s *Server) openingSymbolAdd(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	sym := strings.ToUpper(strings.TrimSpace(r.PostFormValue("symbol")))
	if _, err := s.schedule.AddSymbol(r.Context(), a, r.PathValue("id"), keyward.SymbolInput{Symbol: sym}); err != nil {
		return formRefused(err, func(st int) error { return s.renderOpening(w, r, a, st, err) })
	}
	return redirectFlash(w, r, "/openings/"+url.PathEscape(r.PathValue("id")), "Symbol "+sym+" now operates this opening.")
}

func (s *Server) openingSymbolRemove(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	sym := r.PathValue("symbol")
	if err := s.schedule.RemoveSymbol(r.Context(), a, r.PathValue("id"), sym); err != nil {
		return err
	}
	return redirectFlash(w, r, "/openings/"+url.PathEscape(r.PathValue("id")), "Symbol "+sym+" removed from the schedule.")
}

// Credentials.

type credentialRow struct {
	keyward.Credential
	HolderName string
}

type credentialsPageData struct {
	Rows     []credentialRow
	Kinds    []string
	Holders  []keyward.Holder
	Openings []keyward.Opening
	Form     map[string]string
	Zone     string // the organization's time zone, which "valid until" is read in
	Links    cursorLinksData
}

func (s *Server) credentialsPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderCredentials(w, r, a, http.StatusOK, nil, nil)
}

func (s *Server) renderCredentials(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed error, form map[string]string) error {
	opt, err := listOptions(r)
	if err != nil {
		return err
	}
	cs, err := s.credentials.List(r.Context(), a, r.URL.Query().Get("holder_id"), false, opt)
	if err != nil {
		return err
	}
	d := credentialsPageData{Kinds: keyward.CredentialKinds, Form: form, Zone: s.zone(r).String(), Links: cursorLinks(r, cs.Next)}
	n := s.newPageNames(r, a)
	for _, c := range cs.Items {
		row := credentialRow{Credential: c}
		if row.HolderName, err = n.holder(c.HolderID); err != nil {
			return err
		}
		d.Rows = append(d.Rows, row)
	}
	if keyward.Allowed(a.Role, keyward.ActCredential) {
		hs, err := s.directory.Holders(r.Context(), a, keyward.ListOptions{Limit: 500})
		if err != nil {
			return err
		}
		os, err := s.directory.Openings(r.Context(), a, "", keyward.ListOptions{Limit: 500})
		if err != nil {
			return err
		}
		d.Holders, d.Openings = hs.Items, os.Items
	}
	if failed != nil {
		return s.render(w, r, a, status, "credentials", "Credentials", newFormError(failed, d))
	}
	return s.render(w, r, a, status, "credentials", "Credentials", d)
}

func (s *Server) credentialsCreate(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	_ = r.ParseForm()
	in := keyward.CredentialInput{Kind: r.PostFormValue("kind"), Label: r.PostFormValue("label"), Number: r.PostFormValue("number"),
		PIN: keyward.Secret(r.PostFormValue("pin")), HolderID: r.PostFormValue("holder_id"), OpeningIDs: r.PostForm["opening_ids"]}
	var err error
	if v := r.PostFormValue("valid_until"); v != "" {
		zone := s.zone(r)
		t, perr := time.ParseInLocation(dueLayout, v, zone)
		if perr != nil {
			err = keyward.Invalid("valid_until", "must be a date and time such as 2026-05-01T17:00 ("+zone.String()+")")
		}
		in.ValidUntil = &t
	}
	var c *keyward.Credential
	if err == nil {
		c, err = s.credentials.Issue(r.Context(), a, in)
	}
	if err != nil {
		return formRefused(err, func(st int) error {
			return s.renderCredentials(w, r, a, st, err, postedValues(r, "kind", "label", "number", "holder_id", "valid_until"))
		})
	}
	return redirectFlash(w, r, "/credentials", "Issued "+s.credentialWords(r, a, c)+".")
}

func (s *Server) credentialsRevoke(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	c, err := s.credentials.Revoke(r.Context(), a, r.PathValue("id"), keyward.RevokeInput{Reason: r.PostFormValue("reason")})
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderCredentials(w, r, a, st, err, nil) })
	}
	return redirectFlash(w, r, "/credentials", "Revoked "+s.credentialWords(r, a, c)+".")
}

// storageEdit serves the edit form: every field is on the form, so each is set.
func (s *Server) storageEdit(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	name, site, location := r.PostFormValue("name"), r.PostFormValue("site_id"), r.PostFormValue("location")
	in := keyward.StoragePatch{Name: &name, SiteID: &site, Location: &location}
	var err error
	if _, ok := r.PostForm["hooks"]; ok {
		var hooks int
		if hooks, err = formInt(r, "hooks"); err == nil {
			in.Hooks = &hooks
		}
	}
	var p *keyward.StoragePlace
	if err == nil {
		p, err = s.storage.Update(r.Context(), a, r.PathValue("id"), in)
	}
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderStoragePlace(w, r, a, st, "edit", err, "") })
	}
	return redirectFlash(w, r, "/storage/"+url.PathEscape(p.ID), "Saved.")
}

// storageCode seals a new lockbox code; the code is never shown back.
func (s *Server) storageCode(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	id := r.PathValue("id")
	err := s.storage.ChangeCode(r.Context(), a, id, keyward.CodeChangeInput{Code: keyward.Secret(r.PostFormValue("code")), Reason: r.PostFormValue("reason")})
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderStoragePlace(w, r, a, st, "code", err, "") })
	}
	return redirectFlash(w, r, "/storage/"+url.PathEscape(id), "New code saved. Set the same code on the lockbox now.")
}

// storageRetire retires a place no key calls home (a 409 names the keys).
func (s *Server) storageRetire(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	p, err := s.storage.RetireEmpty(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderStoragePlace(w, r, a, st, "retire", err, "") })
	}
	return redirectFlash(w, r, "/storage/"+url.PathEscape(p.ID), "Retired. It no longer shows in the list; you can restore it here.")
}

func (s *Server) storageRestore(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	p, err := s.storage.Restore(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderStoragePlace(w, r, a, st, "retire", err, "") })
	}
	return redirectFlash(w, r, "/storage/"+url.PathEscape(p.ID), "Restored.")
}

// credentialWords names a credential in a confirmation, never by its id:
// "card “Front door” to Bo Li" (or "of", for a revoke, reads as well).
func (s *Server) credentialWords(r *http.Request, a keyward.Actor, c *keyward.Credential) string {
	out := c.Kind
	switch {
	case c.Label != "":
		out += " “" + c.Label + "”"
	case c.Number != "":
		out += " no. " + c.Number
	}
	if h, err := s.directory.Holder(r.Context(), a, c.HolderID); err == nil {
		out += " for " + h.Name
	}
	return out
}
