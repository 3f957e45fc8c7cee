package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// lockSyncRoutes are network and smart locks kept in sync over MQTT,
// temporary codes and offline codes: the JSON API, then the pages, then the
// recipient's link, which needs no account.
func (s *Server) lockSyncRoutes() []route {
	return []route{
		api("GET /api/v1/locks", keyward.ActInventoryRead, s.apiLocks).describe(opDoc{
			id: "listSyncLocks", tag: "locks", summary: "List the locks Keyward syncs",
			desc: "Each lock with its desired-state version, the version it acknowledged, and its `exposed` entries (it still accepts them though it should not, until it comes online) and `pending` entries (it should accept them but has not acknowledged yet).",
			out:  []reply{{200, "Every lock. Not paginated.", keyward.Page[keyward.SyncLock]{}, ""}},
			errs: []int{401, 403},
		}),
		api("POST /api/v1/locks", keyward.ActInventoryEdit, s.apiAddLock).describe(opDoc{
			id: "addSyncLock", tag: "locks", summary: "Add a lock to lock sync",
			desc: "`adapter` is `keyward` (Keyward's own MQTT protocol) or `zigbee2mqtt` (with `device`, the zigbee2mqtt friendly name). 409 when the device is bound to another lock.",
			in:   keyward.SyncLockInput{},
			out:  []reply{{201, "Created: the lock.", keyward.SyncLock{}, ""}},
			errs: []int{400, 401, 403, 409},
		}),
		api("GET /api/v1/locks/{id}", keyward.ActInventoryRead, s.apiLock).describe(opDoc{
			id: "getSyncLock", tag: "locks", summary: "Get a lock's sync state",
			out:  []reply{{200, "The lock.", keyward.SyncLock{}, ""}},
			errs: []int{401, 403, 404},
		}),
		api("GET /api/v1/locks/{id}/events", keyward.ActInventoryRead, s.apiLockEvents).describe(opDoc{
			id: "listLockEvents", tag: "locks", summary: "A lock's logbook",
			desc:   "Openings and refused attempts the lock reported, newest first, each under the name of the code's holder when known.",
			params: []param{{ref: "Limit"}},
			out:    []reply{{200, "The events. Not paginated.", keyward.Page[keyward.LockEvent]{}, ""}},
			errs:   []int{400, 401, 403, 404},
		}),
		secret(api("POST /api/v1/locks/{id}/offline-codes", keyward.ActCredential, s.apiOfflineCode)).describe(opDoc{
			id: "issueOfflineCode", tag: "locks", summary: "Issue an offline code",
			desc: "An 8-digit code the lock checks with its own clock (docs/offline-codes.md). It covers `from` to `until` (rounded to the shortest window class that does) and **cannot be revoked before it ends**. `Idempotency-Key` is refused (400).",
			in:   keyward.OfflineCodeInput{},
			out:  []reply{{201, "The code (`Cache-Control: no-store`).", issuedOfflineCode{}, ""}},
			errs: []int{400, 401, 403, 404},
		}),
		s.reveals(secret(api("POST /api/v1/locks/{id}/secret", keyward.ActSecretReveal, s.apiLockSecret))).describe(opDoc{
			id: "revealLockSecret", tag: "locks", summary: "Reveal a lock's secret",
			desc: "The 32-byte lock secret in hex, to install at the lock: it checks PINs and offline codes with it. The reveal is recorded. `Idempotency-Key` is refused (400).",
			out:  []reply{{200, "The secret (`Cache-Control: no-store`).", revealedLockSecret{}, ""}},
			errs: []int{400, 401, 403, 404},
		}),
		api("GET /api/v1/temp-codes", keyward.ActInventoryRead, s.apiTempCodes).describe(opDoc{
			id: "listTempCodes", tag: "locks", summary: "List temporary codes",
			out:  []reply{{200, "Live codes first; no PINs. Not paginated.", keyward.Page[keyward.TempCode]{}, ""}},
			errs: []int{401, 403},
		}),
		secret(api("POST /api/v1/temp-codes", keyward.ActCredential, s.apiIssueTempCode)).describe(opDoc{
			id: "issueTempCode", tag: "locks", summary: "Issue a temporary code",
			desc: "A PIN for a one-off window, weekly hours or a number of uses, on one or more locks, each in a free slot (or `slot`, 409 when it holds a live code). The answer holds the PIN and the recipient's link, once. `Idempotency-Key` is refused (400).",
			in:   keyward.TempCodeInput{},
			out:  []reply{{201, "The code with its PIN and link (`Cache-Control: no-store`).", issuedTempCode{}, ""}},
			errs: []int{400, 401, 403, 409},
		}),
		api("GET /api/v1/temp-codes/{id}", keyward.ActInventoryRead, s.apiTempCode).describe(opDoc{
			id: "getTempCode", tag: "locks", summary: "Get a temporary code",
			out:  []reply{{200, "The code, without its PIN.", keyward.TempCode{}, ""}},
			errs: []int{401, 403, 404},
		}),
		api("POST /api/v1/temp-codes/{id}/revoke", keyward.ActCredential, s.apiRevokeTempCode).describe(opDoc{
			id: "revokeTempCode", tag: "locks", summary: "Revoke a temporary code",
			desc: "At once: the locks are told to clear its slot; a lock that is offline keeps it (an exposure) until it comes back. 409 if already revoked.",
			out:  []reply{{200, "The code after the change.", keyward.TempCode{}, ""}},
			errs: []int{401, 403, 404, 409},
		}),

		page("GET /locks", keyward.ActInventoryRead, s.locksPage),
		page("POST /locks", keyward.ActInventoryEdit, s.locksAdd),
		page("GET /locks/{id}", keyward.ActInventoryRead, s.lockPage),
		page("POST /locks/{id}/offline-code", keyward.ActCredential, s.lockOfflineCode),
		page("GET /codes", keyward.ActInventoryRead, s.codesPage),
		page("GET /codes/new", keyward.ActCredential, s.codeNewPage),
		page("POST /codes", keyward.ActCredential, s.codeIssue),
		page("GET /codes/{id}", keyward.ActInventoryRead, s.codePage),
		page("POST /codes/{id}/revoke", keyward.ActCredential, s.codeRevoke),
		page("GET /c/{token}", keyward.ActPublic, s.codeLinkPage),
	}
}

// issuedTempCode is a temporary code as issued: its PIN and link, once.
type issuedTempCode struct {
	keyward.TempCode
	PIN  string `json:"pin"`
	Link string `json:"link"`
}

// revealedLockSecret is a lock's secret, hex.
type revealedLockSecret struct {
	Secret string `json:"secret"`
}

func (s *Server) apiLockSecret(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := noBody(r); err != nil {
		return err
	}
	sec, err := s.lockSync.LockSecret(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, revealedLockSecret{Secret: sec.Reveal()})
}

// issuedOfflineCode is an offline code as issued.
type issuedOfflineCode struct {
	keyward.OfflineCode
	Code string `json:"code"`
	Note string `json:"note"`
}

const offlineCodeWarning = "An offline code cannot be revoked: the lock never hears of a change of mind, so it works until its window ends."

func (s *Server) apiLocks(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	ls, err := s.lockSync.SyncLocks(r.Context(), a, s.now())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, keyward.Page[keyward.SyncLock]{Items: ls})
}

func (s *Server) apiAddLock(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.SyncLockInput
	if err := decode(r, &in); err != nil {
		return err
	}
	l, err := s.lockSync.AddSyncLock(r.Context(), a, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, l)
}

func (s *Server) apiLock(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	l, err := s.lockSync.SyncLock(r.Context(), a, r.PathValue("id"), s.now())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

func (s *Server) apiLockEvents(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	opt, err := listOptions(r)
	if err != nil {
		return err
	}
	evs, err := s.lockSync.LockEvents(r.Context(), a, r.PathValue("id"), opt.Limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, keyward.Page[keyward.LockEvent]{Items: evs})
}

func (s *Server) apiOfflineCode(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.OfflineCodeInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := s.lockSync.IssueOfflineCode(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, issuedOfflineCode{OfflineCode: *c, Code: c.Code.Reveal(), Note: offlineCodeWarning})
}

func (s *Server) apiTempCodes(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	cs, err := s.lockSync.TempCodeList(r.Context(), a, s.now())
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []keyward.TempCode{}
	}
	return writeJSON(w, http.StatusOK, keyward.Page[keyward.TempCode]{Items: cs})
}

func (s *Server) apiIssueTempCode(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.TempCodeInput
	if err := decode(r, &in); err != nil {
		return err
	}
	in.LinkBase = s.baseURL(r)
	c, err := s.lockSync.IssueTempCode(r.Context(), a, in)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, issuedTempCode{TempCode: *c, PIN: c.PIN.Reveal(), Link: s.baseURL(r) + keyward.TempCodeLinkPath(c.Link.Reveal())})
}

func (s *Server) apiTempCode(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	c, err := s.lockSync.TempCode(r.Context(), a, r.PathValue("id"), s.now())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) apiRevokeTempCode(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := noBody(r); err != nil {
		return err
	}
	c, err := s.lockSync.RevokeTempCode(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

// ---- pages --------------------------------------------------------------------

type locksPageData struct {
	Locks    []keyward.SyncLock
	Exposed  []exposureLine
	Pending  int
	Adapters []string
	NetLocks []keyward.NetLock // the key hierarchy's locks a lock may follow
	Form     map[string]string
}

// exposureLine is one "lock L still accepts X until it comes online".
type exposureLine struct {
	LockID, Lock, What string
	Online             bool
}

func exposureLines(ls []keyward.SyncLock) (lines []exposureLine, pending int) {
	for _, l := range ls {
		for _, e := range l.Exposed {
			lines = append(lines, exposureLine{LockID: l.ID, Lock: l.Name, What: e.Label, Online: l.Online})
		}
		if len(l.Pending) > 0 || len(l.Exposed) > 0 {
			pending++
		}
	}
	return lines, pending
}

func (s *Server) locksPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderLocks(w, r, a, http.StatusOK, nil, nil)
}

func (s *Server) renderLocks(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed error, form map[string]string) error {
	ls, err := s.lockSync.SyncLocks(r.Context(), a, s.now())
	if err != nil {
		return err
	}
	d := locksPageData{Locks: ls, Adapters: keyward.LockAdapters, Form: form}
	d.Exposed, d.Pending = exposureLines(ls)
	if s.netAccess != nil && keyward.Allowed(a.Role, keyward.ActInventoryEdit) {
		if h, err := s.netAccess.Hierarchy(r.Context(), a); err == nil {
			d.NetLocks = h.Locks
		}
	}
	if failed != nil {
		return s.render(w, r, a, status, "locks", "Locks", newFormError(failed, d))
	}
	return s.render(w, r, a, status, "locks", "Locks", d)
}

func (s *Server) locksAdd(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	in := keyward.SyncLockInput{Name: r.PostFormValue("name"), Adapter: r.PostFormValue("adapter"), Device: strings.TrimSpace(r.PostFormValue("device")),
		AccessLock: r.PostFormValue("access_lock")}
	var err error
	if v := strings.TrimSpace(r.PostFormValue("slots")); v != "" {
		if in.Slots, err = strconv.Atoi(v); err != nil {
			err = keyward.Invalid("slots", "must be a number from 1 to 250")
		}
	}
	var l *keyward.SyncLock
	if err == nil {
		l, err = s.lockSync.AddSyncLock(r.Context(), a, in)
	}
	if err != nil {
		return formRefused(err, func(st int) error {
			return s.renderLocks(w, r, a, st, err, postedValues(r, "name", "adapter", "device", "slots", "access_lock"))
		})
	}
	return redirectFlash(w, r, "/locks/"+url.PathEscape(l.ID), "Added lock "+l.Name+". It gets its codes as soon as it connects.")
}

type lockPageData struct {
	Lock    keyward.SyncLock
	Events  []keyward.LockEvent
	Codes   []keyward.TempCode
	Offline *keyward.OfflineCode
	Warning string
	Zone    string
	Loc     *time.Location
	Form    map[string]string
}

func (s *Server) lockPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderLock(w, r, a, http.StatusOK, nil, nil, nil)
}

func (s *Server) renderLock(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed error, form map[string]string, oc *keyward.OfflineCode) error {
	id := r.PathValue("id")
	l, err := s.lockSync.SyncLock(r.Context(), a, id, s.now())
	if err != nil {
		return err
	}
	evs, err := s.lockSync.LockEvents(r.Context(), a, id, 50)
	if err != nil {
		return err
	}
	all, err := s.lockSync.TempCodeList(r.Context(), a, s.now())
	if err != nil {
		return err
	}
	d := lockPageData{Lock: *l, Events: evs, Offline: oc, Warning: offlineCodeWarning, Zone: s.zone(r).String(), Loc: s.zone(r), Form: form}
	for _, c := range all {
		if !c.Ended && slices.ContainsFunc(c.Locks, func(cl keyward.TempCodeLock) bool { return cl.Lock == id }) {
			d.Codes = append(d.Codes, c)
		}
	}
	if oc != nil {
		w.Header().Set("Cache-Control", "no-store")
	}
	if failed != nil {
		return s.render(w, r, a, status, "lock", l.Name, newFormError(failed, d))
	}
	return s.render(w, r, a, status, "lock", l.Name, d)
}

func (s *Server) lockOfflineCode(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	zone := s.zone(r)
	in := keyward.OfflineCodeInput{For: r.PostFormValue("for")}
	var err error
	if in.From, err = formTime(r, "from", zone); err == nil {
		in.Until, err = formTime(r, "until", zone)
	}
	var oc *keyward.OfflineCode
	if err == nil {
		oc, err = s.lockSync.IssueOfflineCode(r.Context(), a, r.PathValue("id"), in)
	}
	if err != nil {
		return formRefused(err, func(st int) error {
			return s.renderLock(w, r, a, st, err, postedValues(r, "for", "from", "until"), nil)
		})
	}
	return s.renderLock(w, r, a, http.StatusOK, nil, nil, oc)
}

// formTime reads a datetime-local field on the organization's clock.
func formTime(r *http.Request, field string, zone *time.Location) (time.Time, error) {
	v := strings.TrimSpace(r.PostFormValue(field))
	t, err := time.ParseInLocation(dueLayout, v, zone)
	if err != nil {
		return time.Time{}, keyward.Invalid(field, "must be a date and time such as 2026-05-01T17:00 ("+zone.String()+")")
	}
	return t, nil
}

type codesPageData struct {
	Codes []keyward.TempCode
	Zone  *time.Location
}

func (s *Server) codesPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	cs, err := s.lockSync.TempCodeList(r.Context(), a, s.now())
	if err != nil {
		return err
	}
	return s.render(w, r, a, http.StatusOK, "codes", "Temporary codes", codesPageData{Codes: cs, Zone: s.zone(r)})
}

// codePreset is one of the one-tap choices of the new-code page.
type codePreset struct {
	ID, Label string
}

var codePresets = []codePreset{
	{"today", "Today, until midnight"},
	{"24h", "The next 24 hours"},
	{"week", "The next 7 days"},
	{"once", "One opening, within 7 days"},
	{"custom", "Choose…"},
}

type codeNewData struct {
	Locks   []keyward.SyncLock
	Presets []codePreset
	Form    map[string]string
	Checked map[string]bool
	Days    []time.Weekday
	Zone    string
}

func (s *Server) codeNewPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	checked := map[string]bool{}
	if id := r.URL.Query().Get("lock"); id != "" {
		checked[id] = true
	}
	return s.renderCodeNew(w, r, a, http.StatusOK, nil, map[string]string{"preset": "24h"}, checked)
}

func (s *Server) renderCodeNew(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed error, form map[string]string, checked map[string]bool) error {
	ls, err := s.lockSync.SyncLocks(r.Context(), a, s.now())
	if err != nil {
		return err
	}
	if len(ls) == 1 {
		checked[ls[0].ID] = true // one lock: nothing to choose
	}
	d := codeNewData{Locks: ls, Presets: codePresets, Form: form, Checked: checked, Zone: s.zone(r).String(),
		Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}}
	if failed != nil {
		return s.render(w, r, a, status, "code_new", "New temporary code", newFormError(failed, d))
	}
	return s.render(w, r, a, status, "code_new", "New temporary code", d)
}

// codeSchedule turns the new-code form into a schedule: a preset, or the
// custom window, weekly hours or number of openings.
func (s *Server) codeSchedule(r *http.Request) (keyward.CodeSchedule, error) {
	zone := s.zone(r)
	now := s.now().In(zone)
	p := func(t time.Time) *time.Time { return &t }
	switch r.PostFormValue("preset") {
	case "today":
		end := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, zone)
		return keyward.CodeSchedule{Kind: keyward.ScheduleWindow, From: p(now), Until: p(end)}, nil
	case "", "24h":
		return keyward.CodeSchedule{Kind: keyward.ScheduleWindow, From: p(now), Until: p(now.Add(24 * time.Hour))}, nil
	case "week":
		return keyward.CodeSchedule{Kind: keyward.ScheduleWindow, From: p(now), Until: p(now.AddDate(0, 0, 7))}, nil
	case "once":
		return keyward.CodeSchedule{Kind: keyward.ScheduleUses, Uses: 1, Until: p(now.AddDate(0, 0, 7))}, nil
	case "custom":
	default:
		return keyward.CodeSchedule{}, keyward.Invalid("preset", "choose how long the code works")
	}
	var sc keyward.CodeSchedule
	switch kind := r.PostFormValue("kind"); kind {
	case "window":
		from, err := formTime(r, "from", zone)
		if err != nil {
			return sc, err
		}
		until, err := formTime(r, "until", zone)
		if err != nil {
			return sc, err
		}
		return keyward.CodeSchedule{Kind: keyward.ScheduleWindow, From: &from, Until: &until}, nil
	case "weekly":
		sc = keyward.CodeSchedule{Kind: keyward.ScheduleWeekly}
		for _, d := range r.PostForm["days"] {
			n, err := strconv.Atoi(d)
			if err != nil {
				return sc, keyward.Invalid("days", "must be days of the week")
			}
			sc.Days = append(sc.Days, time.Weekday(n))
		}
		var err error
		if sc.StartMin, err = formClock(r, "start"); err != nil {
			return sc, err
		}
		if sc.EndMin, err = formClock(r, "end"); err != nil {
			return sc, err
		}
		return sc, nil
	case "uses":
		n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("uses")))
		if err != nil {
			return sc, keyward.Invalid("uses", "must be a number of openings")
		}
		return keyward.CodeSchedule{Kind: keyward.ScheduleUses, Uses: n, Until: p(now.AddDate(0, 0, 30))}, nil
	}
	return sc, keyward.Invalid("kind", "choose a window, weekly hours or a number of openings")
}

// formClock reads a time of day ("09:30") as minutes after midnight; "24:00" is midnight at the end of the day.
func formClock(r *http.Request, field string) (int, error) {
	v := strings.TrimSpace(r.PostFormValue(field))
	if v == "24:00" {
		return 1440, nil
	}
	t, err := time.Parse("15:04", v)
	if err != nil {
		return 0, keyward.Invalid(field, "must be a time of day such as 09:00")
	}
	return t.Hour()*60 + t.Minute(), nil
}

type codePageData struct {
	Code    keyward.TempCode
	PIN     string // only right after issuing
	Link    string // only right after issuing
	Zone    *time.Location
	Pending bool
}

func (s *Server) codeIssue(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	in := keyward.TempCodeInput{For: r.PostFormValue("for"), Email: r.PostFormValue("email"), Locks: r.PostForm["locks"], LinkBase: s.baseURL(r)}
	sc, err := s.codeSchedule(r)
	in.Schedule = sc
	var c *keyward.TempCode
	if err == nil {
		c, err = s.lockSync.IssueTempCode(r.Context(), a, in)
	}
	if err != nil {
		checked := map[string]bool{}
		for _, id := range in.Locks {
			checked[id] = true
		}
		return formRefused(err, func(st int) error {
			return s.renderCodeNew(w, r, a, st, err, postedValues(r, "for", "email", "preset", "kind", "from", "until", "start", "end", "uses"), checked)
		})
	}
	// The PIN and link are shown on this answer only, never in a URL.
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, a, http.StatusOK, "code", "Code for "+c.For, codePageData{Code: *c, PIN: c.PIN.Reveal(),
		Link: s.baseURL(r) + keyward.TempCodeLinkPath(c.Link.Reveal()), Zone: s.zone(r), Pending: true})
}

func (s *Server) codePage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	c, err := s.lockSync.TempCode(r.Context(), a, r.PathValue("id"), s.now())
	if err != nil {
		return err
	}
	pending := slices.ContainsFunc(c.Locks, func(cl keyward.TempCodeLock) bool { return c.Active && !cl.OnLock })
	return s.render(w, r, a, http.StatusOK, "code", "Code for "+c.For, codePageData{Code: *c, Zone: s.zone(r), Pending: pending})
}

func (s *Server) codeRevoke(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	c, err := s.lockSync.RevokeTempCode(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return redirectFlash(w, r, "/codes/"+url.PathEscape(c.ID), fmt.Sprintf("Revoked the code of %s. The locks drop it as soon as each is online.", c.For))
}

// codeLinkPage is what the recipient opens: their code, when and where it
// works, without an account.
func (s *Server) codeLinkPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	c, err := s.lockSync.TempCodeByLink(r.Context(), r.PathValue("token"), s.now())
	if err != nil {
		if keyward.ErrorCode(err) == keyward.ENOTFOUND {
			return s.render(w, r, a, http.StatusNotFound, "code_link", "Your door code", codePageData{})
		}
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	return s.render(w, r, a, http.StatusOK, "code_link", "Your door code", codePageData{Code: *c, PIN: c.PIN.Reveal(), Zone: s.zone(r)})
}

// lockSummary is the dashboard's view of lock sync.
type lockSummary struct {
	Locks   int
	Offline int
	Pending int
	Exposed []exposureLine
	Codes   int
}

func (s *Server) dashboardLocks(r *http.Request, a keyward.Actor) (*lockSummary, error) {
	if s.lockSync == nil {
		return nil, nil
	}
	ls, err := s.lockSync.SyncLocks(r.Context(), a, s.now())
	if err != nil || len(ls) == 0 {
		return nil, err
	}
	sum := &lockSummary{Locks: len(ls)}
	sum.Exposed, sum.Pending = exposureLines(ls)
	for _, l := range ls {
		if !l.Online {
			sum.Offline++
		}
	}
	cs, err := s.lockSync.TempCodeList(r.Context(), a, s.now())
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if !c.Ended {
			sum.Codes++
		}
	}
	return sum, nil
}
