package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// keyRow is a key as a list shows it: with its keyway and holder by name.
type keyRow struct {
	keyward.Key
	Keyway     string
	HolderName string
	Overdue    bool
}

// StatusText is the key's status in words.
func (k keyRow) StatusText() string { return statusText(k.Status) }

func statusText(status string) string { return strings.ReplaceAll(status, "_", " ") }

// isOverdue reports whether k is checked out past its due time.
func isOverdue(k keyward.Key, now time.Time) bool {
	return keyward.Overdue(k, now)
}

// pageNames resolves holder and keyway IDs to names once per request. What the
// actor may not read shows as a neutral label instead of failing the page.
type pageNames struct {
	s       *Server
	r       *http.Request
	a       keyward.Actor
	holders map[string]string
	keyways map[string]string
	sites   map[string]string
}

func (s *Server) newPageNames(r *http.Request, a keyward.Actor) *pageNames {
	return &pageNames{s: s, r: r, a: a, holders: map[string]string{}, keyways: map[string]string{}, sites: map[string]string{}}
}

func (n *pageNames) holder(id string) (string, error) {
	if id == "" {
		return "", nil
	}
	if v, ok := n.holders[id]; ok {
		return v, nil
	}
	h, err := n.s.directory.Holder(n.r.Context(), n.a, id)
	v := ""
	switch keyward.ErrorCode(err) {
	case "":
		v = h.Name
	case keyward.EFORBIDDEN:
		v = "another holder"
	case keyward.ENOTFOUND:
		v = id
	default:
		return "", err
	}
	n.holders[id] = v
	return v, nil
}

func (n *pageNames) keyway(id string) (string, error) {
	return named(n.keyways, id, func() (string, error) {
		kw, err := n.s.directory.Keyway(n.r.Context(), n.a, id)
		if err != nil {
			return "", err
		}
		return kw.Name, nil
	})
}

func (n *pageNames) site(id string) (string, error) {
	if id == "" {
		return "", nil
	}
	return named(n.sites, id, func() (string, error) {
		site, err := n.s.directory.Site(n.r.Context(), n.a, id)
		if err != nil {
			return "", err
		}
		return site.Name, nil
	})
}

// named looks a name up once per request: what the actor may not read, or
// what no longer exists, shows as no name rather than failing the page.
func named(cache map[string]string, id string, fetch func() (string, error)) (string, error) {
	if v, ok := cache[id]; ok {
		return v, nil
	}
	v, err := fetch()
	switch keyward.ErrorCode(err) {
	case "":
	case keyward.EFORBIDDEN, keyward.ENOTFOUND:
		v = ""
	default:
		return "", err
	}
	cache[id] = v
	return v, nil
}

// rows turns keys into list rows.
func (n *pageNames) rows(keys []keyward.Key, now time.Time) ([]keyRow, error) {
	out := make([]keyRow, 0, len(keys))
	for _, k := range keys {
		row := keyRow{Key: k, Overdue: isOverdue(k, now)}
		var err error
		if row.HolderName, err = n.holder(k.HolderID); err != nil {
			return nil, err
		}
		if row.Keyway, err = n.keyway(k.KeywayID); err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, nil
}

// cursorLinksData holds the cursor links under a list: the next page and back to the first.
type cursorLinksData struct{ Next, First string }

func cursorLinks(r *http.Request, next string) cursorLinksData {
	q := r.URL.Query()
	q.Del("flash")
	var l cursorLinksData
	if next != "" {
		q.Set("cursor", next)
		l.Next = r.URL.Path + "?" + q.Encode()
	}
	if r.URL.Query().Get("cursor") != "" {
		q.Del("cursor")
		l.First = r.URL.Path
		if len(q) > 0 {
			l.First += "?" + q.Encode()
		}
	}
	return l
}

// postedValues keeps what the user typed, so a form shown again is not emptied.
func postedValues(r *http.Request, fields ...string) map[string]string {
	m := make(map[string]string, len(fields))
	for _, f := range fields {
		m[f] = r.PostFormValue(f)
	}
	return m
}

// formRefused re-renders a form for a refusal the user can fix (bad input, a
// conflict); anything else, a denial or an internal error, goes to the error page.
func formRefused(err error, rerender func(status int) error) error {
	switch st := Status(err); st {
	case http.StatusBadRequest, http.StatusConflict, http.StatusUnprocessableEntity:
		return rerender(st)
	}
	return err
}

// redirectFlash redirects (303) to path with a flash message.
func redirectFlash(w http.ResponseWriter, r *http.Request, path, msg string) error {
	return redirect(w, r, path+"?flash="+url.QueryEscape(msg))
}

type statusCount struct {
	N    int
	More bool // more than N (kept for the template; counts are exact now)
}

type dashboardData struct {
	Inventory                  bool
	Out, Issued, Overdue, Lost statusCount
	OverdueRows                []keyRow
	MoreOverdue                int
	Mine                       []keyRow
	CheckpointsOff             string                  // why audit checkpoints are off, for those who read the audit log
	Failing                    []keyward.ChannelHealth // delivery channels that keep failing, for owners and admins
	// Copy requests (ui_copy_pages.go): waiting for the viewer's approval,
	// waiting for another step the viewer takes, and a holder's own.
	CopyApprovals, CopyTodo, MyCopies []copyRow
	// CodeApprovals are the key code requests the viewer may approve now (ui_keycode_pages.go).
	CodeApprovals []codeWaitingRow
	// Steps is the getting-started checklist, shown while ShowSteps.
	Steps     []keyward.StartStep
	ShowSteps bool
	StepsDone int
	// Locks is lock sync at a glance: pending syncs and exposures.
	Locks *lockSummary
}

// maxOverdueRows is how many overdue check-outs the dashboard lists.
const maxOverdueRows = 50

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	now := s.now()
	n := s.newPageNames(r, a)
	d := dashboardData{Inventory: keyward.Allowed(a.Role, keyward.ActInventoryRead)}
	if keyward.Allowed(a.Role, keyward.ActAuditRead) {
		d.CheckpointsOff = s.checkpointsOff
	}
	if keyward.Allowed(a.Role, keyward.ActWebhookManage) && s.notifications != nil {
		var err error
		if d.Failing, err = s.notifications.Failing(r.Context(), a); err != nil {
			return err
		}
	}
	if a.HolderID != "" {
		mine, err := s.custody.HolderKeys(r.Context(), a, a.HolderID)
		if err != nil && keyward.ErrorCode(err) != keyward.ENOTFOUND {
			return err
		}
		if d.Mine, err = n.rows(mine, now); err != nil {
			return err
		}
	}
	if err := s.dashboardCopies(r, a, &d); err != nil {
		return err
	}
	if err := s.dashboardCodes(r, a, &d); err != nil {
		return err
	}
	if !d.Inventory {
		return s.render(w, r, a, http.StatusOK, "dashboard", "Dashboard", d)
	}
	start, err := s.stats.StartCounts(r.Context(), a)
	if err != nil {
		return err
	}
	if d.Locks, err = s.dashboardLocks(r, a); err != nil {
		return err
	}
	d.Steps, d.ShowSteps = keyward.Checklist(*start)
	for _, st := range d.Steps {
		if st.Done {
			d.StepsDone++
		}
	}
	counts, err := s.stats.KeyCounts(r.Context(), a, now)
	if err != nil {
		return err
	}
	d.Out.N, d.Issued.N, d.Lost.N = counts.ByStatus[keyward.StatusCheckedOut], counts.ByStatus[keyward.StatusIssued], counts.ByStatus[keyward.StatusLost]
	d.Overdue.N = counts.Overdue
	late, err := s.stats.OverdueKeys(r.Context(), a, now, maxOverdueRows)
	if err != nil {
		return err
	}
	d.MoreOverdue = max(0, counts.Overdue-len(late))
	if d.OverdueRows, err = n.rows(late, now); err != nil {
		return err
	}
	v, err := s.dashboardMore(r, a, d)
	if err != nil {
		return err
	}
	return s.render(w, r, a, http.StatusOK, "dashboard", "Dashboard", v)
}

// checklistDismiss puts the getting-started checklist away, for everyone.
func (s *Server) checklistDismiss(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := s.stats.DismissChecklist(r.Context(), a); err != nil {
		return err
	}
	return redirectFlash(w, r, "/", "The getting-started list is put away.")
}
