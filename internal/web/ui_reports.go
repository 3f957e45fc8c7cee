package web

import (
	"cmp"
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// The reports: who holds what, keys by door, overdue history, each a page
// and a CSV file with the same rows; and a holder's key receipt (PDF).

// maxReportKeys bounds the keys one report reads, as many as one KeyReaches call.
const maxReportKeys = keyward.MaxKeyReaches

// everyKey reads every key of a filter, over its pages, up to maxReportKeys;
// more reports whether the filter matched more.
func (s *Server) everyKey(r *http.Request, a keyward.Actor, f keyward.KeyFilter) (keys []keyward.Key, more bool, err error) {
	f.ListOptions = keyward.ListOptions{Limit: 500}
	for {
		p, err := s.custody.Keys(r.Context(), a, f)
		if err != nil {
			return nil, false, err
		}
		keys = append(keys, p.Items...)
		if len(keys) > maxReportKeys {
			return keys[:maxReportKeys], true, nil
		}
		if p.Next == "" {
			return keys, false, nil
		}
		f.Cursor = p.Next
	}
}

// reportKey is one key in a report: the key, its key type, what it opens and where it is.
type reportKey struct {
	keyward.Key
	Keyway, Opens, Where, HolderName string
	Overdue                          bool
}

func (k reportKey) StatusText() string { return statusText(k.Status) }

// reportKeys reads what each key opens and where it is, at most maxReportKeys keys.
func (s *Server) reportKeys(r *http.Request, a keyward.Actor, keys []keyward.Key, now time.Time, zone *time.Location) ([]reportKey, map[string]*keyward.KeyReach, error) {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	reach, err := s.schedule.KeyReaches(r.Context(), a, ids)
	if err != nil {
		return nil, nil, err
	}
	n := s.newPageNames(r, a)
	out := make([]reportKey, len(keys))
	for i, k := range keys {
		rk := reportKey{Key: k, Overdue: isOverdue(k, now), Where: whereWords(k, reach[k.ID], now, zone)}
		if rk.Keyway, err = n.keyway(k.KeywayID); err != nil {
			return nil, nil, err
		}
		if rc := reach[k.ID]; rc != nil {
			rk.HolderName = rc.HolderName
			rk.Opens = opensWords(rc.Opens)
		}
		out[i] = rk
	}
	slices.SortFunc(out, func(x, y reportKey) int { return keyward.CompareStamps(x.Symbol, x.CopyNumber, y.Symbol, y.CopyNumber) })
	return out, reach, nil
}

// opensWords lists the doors a key opens: "Unit 4 (Elm Street), Unit 5 (Elm Street)".
func opensWords(opens []keyward.KeyOpening) string {
	parts := make([]string, len(opens))
	for i, o := range opens {
		parts[i] = o.OpeningName
		if o.SiteName != "" {
			parts[i] += " (" + o.SiteName + ")"
		}
	}
	return strings.Join(parts, ", ")
}

// localTime is a time on the organization's clock for CSV: RFC 3339 with its offset.
func localTime(t *time.Time, zone *time.Location) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(zone).Format(time.RFC3339)
}

// lateWords says how late a check-out was: "2 days 3 hours", "45 minutes".
func lateWords(d time.Duration) string {
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	var parts []string
	add := func(n int, unit string) {
		if n == 1 {
			parts = append(parts, "1 "+unit)
		} else if n > 1 {
			parts = append(parts, strconv.Itoa(n)+" "+unit+"s")
		}
	}
	add(days, "day")
	add(hours, "hour")
	if days == 0 {
		add(mins, "minute")
	}
	if len(parts) == 0 {
		return "under a minute"
	}
	return strings.Join(parts, " ")
}

// writeCSV answers rows as a CSV download named file.
func writeCSV(w http.ResponseWriter, file string, rows [][]string) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+file+`"`)
	cw := csv.NewWriter(w)
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

// csvWanted reports whether the report is asked for as CSV (its .csv route).
func csvWanted(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, ".csv") }

// --- Who holds what ---

type holding struct {
	HolderID, HolderName string
	Keys                 []reportKey
}

type holdingsData struct {
	Holders []holding
	Keys    int
	More    bool
}

func (s *Server) holdings(r *http.Request, a keyward.Actor, now time.Time, zone *time.Location) (*holdingsData, error) {
	var keys []keyward.Key
	more := false
	for _, st := range keyward.HeldStatuses {
		ks, m, err := s.everyKey(r, a, keyward.KeyFilter{Status: st})
		if err != nil {
			return nil, err
		}
		keys, more = append(keys, ks...), more || m
	}
	if len(keys) > maxReportKeys {
		keys, more = keys[:maxReportKeys], true
	}
	rows, _, err := s.reportKeys(r, a, keys, now, zone)
	if err != nil {
		return nil, err
	}
	by := map[string]*holding{}
	for _, k := range rows {
		h, ok := by[k.HolderID]
		if !ok {
			h = &holding{HolderID: k.HolderID, HolderName: k.HolderName}
			by[k.HolderID] = h
		}
		h.Keys = append(h.Keys, k)
	}
	d := &holdingsData{Keys: len(rows), More: more}
	for _, h := range by {
		d.Holders = append(d.Holders, *h)
	}
	slices.SortFunc(d.Holders, func(x, y holding) int {
		return cmp.Or(strings.Compare(strings.ToLower(x.HolderName), strings.ToLower(y.HolderName)), strings.Compare(x.HolderID, y.HolderID))
	})
	return d, nil
}

func (s *Server) holdingsReport(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	now, zone := s.now(), s.zone(r)
	d, err := s.holdings(r, a, now, zone)
	if err != nil {
		return err
	}
	if csvWanted(r) {
		rows := [][]string{{"holder", "stamp", "key_type", "status", "due_at", "overdue", "opens"}}
		for _, h := range d.Holders {
			for _, k := range h.Keys {
				rows = append(rows, []string{h.HolderName, k.Stamp, k.Keyway, k.Status, localTime(k.DueAt, zone), strconv.FormatBool(k.Overdue), k.Opens})
			}
		}
		return writeCSV(w, "who-holds-what.csv", rows)
	}
	return s.render(w, r, a, http.StatusOK, "report_holders", "Who holds what", d)
}

// --- Keys by door ---

type doorKeys struct {
	OpeningID, Name, Site string
	Keys                  []doorKey
}

type doorKey struct {
	reportKey
	How string // why it opens the door, in words
}

type doorsData struct {
	Doors []doorKeys
	More  bool
}

func (s *Server) keysByDoor(r *http.Request, a keyward.Actor, now time.Time, zone *time.Location) (*doorsData, error) {
	keys, more, err := s.everyKey(r, a, keyward.KeyFilter{})
	if err != nil {
		return nil, err
	}
	rows, reach, err := s.reportKeys(r, a, keys, now, zone)
	if err != nil {
		return nil, err
	}
	by := map[string]*doorKeys{}
	// Every door, so one no key opens is listed too.
	sites := map[string]string{}
	for opt := (keyward.ListOptions{Limit: 500}); ; {
		p, err := s.directory.Sites(r.Context(), a, opt)
		if err != nil {
			return nil, err
		}
		for _, st := range p.Items {
			sites[st.ID] = st.Name
		}
		if opt.Cursor = p.Next; p.Next == "" {
			break
		}
	}
	for opt := (keyward.ListOptions{Limit: 500}); ; {
		p, err := s.directory.Openings(r.Context(), a, "", opt)
		if err != nil {
			return nil, err
		}
		for _, o := range p.Items {
			by[o.ID] = &doorKeys{OpeningID: o.ID, Name: o.Name, Site: sites[o.SiteID]}
		}
		if opt.Cursor = p.Next; p.Next == "" {
			break
		}
	}
	for _, k := range rows {
		rc := reach[k.ID]
		if rc == nil {
			continue
		}
		for _, o := range rc.Opens {
			d, ok := by[o.OpeningID]
			if !ok {
				d = &doorKeys{OpeningID: o.OpeningID, Name: o.OpeningName, Site: o.SiteName}
				by[o.OpeningID] = d
			}
			d.Keys = append(d.Keys, doorKey{reportKey: k, How: sourceWords[o.Source]})
		}
	}
	out := &doorsData{More: more}
	for _, d := range by {
		out.Doors = append(out.Doors, *d)
	}
	slices.SortFunc(out.Doors, func(x, y doorKeys) int {
		return cmp.Or(strings.Compare(strings.ToLower(x.Site), strings.ToLower(y.Site)), strings.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)), strings.Compare(x.OpeningID, y.OpeningID))
	})
	return out, nil
}

func (s *Server) doorsReport(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	now, zone := s.now(), s.zone(r)
	d, err := s.keysByDoor(r, a, now, zone)
	if err != nil {
		return err
	}
	if csvWanted(r) {
		rows := [][]string{{"site", "door", "stamp", "key_type", "how", "status", "where", "holder", "due_at"}}
		for _, door := range d.Doors {
			if len(door.Keys) == 0 {
				rows = append(rows, []string{door.Site, door.Name, "", "", "no key on record opens it", "", "", "", ""})
			}
			for _, k := range door.Keys {
				rows = append(rows, []string{door.Site, door.Name, k.Stamp, k.Keyway, k.How, k.Status, k.Where, k.HolderName, localTime(k.DueAt, zone)})
			}
		}
		return writeCSV(w, "keys-by-door.csv", rows)
	}
	return s.render(w, r, a, http.StatusOK, "report_doors", "Keys by door", d)
}

// --- Overdue history ---

type overdueRow struct {
	keyward.OverdueCheckout
	LateWords  string
	EndedWords string // how it ended, when not by a check-in
}

// endedWords says how a late check-out ended, when not by a check-in.
var endedWords = map[string]string{keyward.CustodyLost: "reported lost", keyward.CustodyDestroy: "destroyed"}

type overdueData struct {
	Rows              []overdueRow
	StillOut, Settled int
	More              bool
}

func (s *Server) overdueReport(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	now, zone := s.now(), s.zone(r)
	h, err := s.reports.OverdueHistory(r.Context(), a, now)
	if err != nil {
		return err
	}
	d := overdueData{More: h.More}
	for _, c := range h.Items {
		d.Rows = append(d.Rows, overdueRow{OverdueCheckout: c, LateWords: lateWords(c.Late), EndedWords: endedWords[c.EndedBy]})
		if c.StillOut {
			d.StillOut++
		} else {
			d.Settled++
		}
	}
	if csvWanted(r) {
		rows := [][]string{{"stamp", "holder", "checked_out_at", "due_at", "back_at", "ended_by", "late_minutes", "still_out"}}
		for _, c := range h.Items {
			out, due := c.OutAt, c.DueAt
			rows = append(rows, []string{c.Stamp, c.HolderName, localTime(&out, zone), localTime(&due, zone), localTime(c.EndedAt, zone), c.EndedBy,
				strconv.FormatInt(int64(c.Late/time.Minute), 10), strconv.FormatBool(c.StillOut)})
		}
		return writeCSV(w, "overdue-history.csv", rows)
	}
	return s.render(w, r, a, http.StatusOK, "report_overdue", "Overdue history", d)
}

func (s *Server) reportsPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.render(w, r, a, http.StatusOK, "reports", "Reports", nil)
}
