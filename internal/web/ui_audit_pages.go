package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/when"
)

// auditPart is a piece of a record's sentence, with the link of the thing it names.
type auditPart struct {
	Text, Link string
}

type auditRow struct {
	keyward.AuditRecord
	// Sentence is the record in words (keyward.DescribeAudit), linked.
	Sentence []auditPart
	// Label is the action in words; Known false when the action has none.
	Label string
	Known bool
}

type auditPageData struct {
	Action, Actor, SubjectType, SubjectID, From, To string
	// SubjectName is what the subject of ?subject_id= is called, for "About …".
	SubjectName string
	Actions     []keyward.AuditActionChoice
	Actors      []keyward.AuditActor
	Kinds       []auditKind
	Rows        []auditRow
	Links       cursorLinksData
}

type auditKind struct{ Value, Label string }

// auditKinds are the kinds of subject the filter offers.
var auditKinds = []auditKind{
	{keyward.RefKey, "Keys"}, {keyward.RefHolder, "Holders"}, {keyward.RefOpening, "Doors"}, {keyward.RefSite, "Sites"},
	{keyward.RefKeyway, "Key types"}, {keyward.RefStorage, "Storage places"}, {keyward.RefCredential, "Credentials"},
	{keyward.RefKeySystem, "Key systems"}, {keyward.RefCopyRequest, "Copy requests"}, {keyward.RefUser, "Users"},
	{keyward.RefKeyCode, "Key codes"}, {keyward.RefCodeRequest, "Code requests"},
}

// refPages are the pages of the things a sentence names, by kind.
var refPages = map[string]string{
	keyward.RefKey: "/keys/", keyward.RefHolder: "/holders/", keyward.RefSite: "/sites/", keyward.RefOpening: "/openings/",
	keyward.RefKeyway: "/keyways/", keyward.RefStorage: "/storage/", keyward.RefKeySystem: "/keysystems/", keyward.RefWorkList: "/worklists/",
	keyward.RefKeyCode: "/key-codes/", keyward.RefCodeRequest: "/code-requests/", keyward.RefFleet: "/fleets/",
}

// refLink is the page of a thing a sentence names, "" when it has none.
func refLink(kind, id string) string {
	if p, ok := refPages[kind]; ok && id != "" {
		return p + url.PathEscape(id)
	}
	if kind == keyward.RefCredential {
		return "/credentials"
	}
	return ""
}

// auditDates reads the filter's dates (YYYY-MM-DD, on the organization's
// clock): records from the start of From to the end of To.
func auditDates(from, to string, zone *time.Location) (f, t *time.Time, err error) {
	if from != "" {
		d, perr := time.ParseInLocation("2006-01-02", from, zone)
		if perr != nil {
			return nil, nil, keyward.Invalid("from", "must be a date such as 2026-12-06")
		}
		f = &d
	}
	if to != "" {
		d, perr := time.ParseInLocation("2006-01-02", to, zone)
		if perr != nil {
			return nil, nil, keyward.Invalid("to", "must be a date such as 2026-12-06")
		}
		d = d.AddDate(0, 0, 1)
		t = &d
	}
	if f != nil && t != nil && !f.Before(*t) {
		return nil, nil, keyward.Invalid("to", "must be on or after the from date")
	}
	return f, t, nil
}

// auditSentences tells each record in words, looking up every name at once.
func (s *Server) auditSentences(r *http.Request, a keyward.Actor, recs []keyward.AuditRecord, zone *time.Location) ([]auditRow, error) {
	var refs []keyward.AuditRef
	for _, rec := range recs {
		refs = append(refs, keyward.AuditRefs(rec)...)
	}
	names, err := s.audit.AuditNames(r.Context(), a, refs)
	if err != nil {
		return nil, err
	}
	namer := keyward.AuditNamer{
		Name: func(kind, id string) string { return names[keyward.AuditRef{Kind: kind, ID: id}] },
		Time: func(t time.Time) string { return when.Format(t, zone) },
	}
	rows := make([]auditRow, 0, len(recs))
	for _, rec := range recs {
		row := auditRow{AuditRecord: rec}
		row.Label, row.Known = keyward.AuditActionLabel(rec.Action)
		for _, p := range keyward.DescribeAudit(rec, namer) {
			part := auditPart{Text: p.Text}
			if p.ID != "" {
				part.Link = refLink(p.Kind, p.ID)
			}
			row.Sentence = append(row.Sentence, part)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	q := r.URL.Query()
	d := auditPageData{Action: q.Get("action"), Actor: q.Get("actor"), SubjectType: q.Get("subject_type"), SubjectID: q.Get("subject_id"),
		From: q.Get("from"), To: q.Get("to"), Actions: keyward.AuditActionChoices(), Kinds: auditKinds}
	zone := s.zone(r)
	from, to, err := auditDates(d.From, d.To, zone)
	if err != nil {
		return err
	}
	opt, err := listOptions(r)
	if err != nil {
		return err
	}
	p, err := s.audit.Audit(r.Context(), a, keyward.AuditFilter{Action: d.Action, Actor: d.Actor, SubjectID: d.SubjectID,
		SubjectType: d.SubjectType, From: from, To: to, ListOptions: opt})
	if err != nil {
		return err
	}
	if d.Actors, err = s.audit.AuditActors(r.Context(), a); err != nil {
		return err
	}
	if d.Rows, err = s.auditSentences(r, a, p.Items, zone); err != nil {
		return err
	}
	if d.SubjectID != "" {
		kind := d.SubjectType
		if kind == "" {
			kind = subjectKindOf(p.Items, d.SubjectID)
		}
		names, err := s.audit.AuditNames(r.Context(), a, []keyward.AuditRef{{Kind: kind, ID: d.SubjectID}})
		if err != nil {
			return err
		}
		d.SubjectName = names[keyward.AuditRef{Kind: kind, ID: d.SubjectID}]
		if d.SubjectName == "" {
			d.SubjectName = "one record's subject"
		}
	}
	d.Links = cursorLinks(r, p.Next)
	return s.render(w, r, a, http.StatusOK, "audit", "Audit log", d)
}

// subjectKindOf is the kind of the subject id among the records shown.
func subjectKindOf(recs []keyward.AuditRecord, id string) string {
	for _, r := range recs {
		if r.SubjectID == id {
			return r.SubjectType
		}
	}
	return ""
}
