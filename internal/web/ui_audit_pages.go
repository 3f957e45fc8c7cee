package web

import (
	"net/http"
	"net/url"

	"github.com/keyward/keyward/internal/keyward"
)

type auditRow struct {
	keyward.AuditRecord
	// Link is the page of the record's subject, when there is one.
	Link string
}

type auditPageData struct {
	Action, Actor, SubjectID string
	Rows                     []auditRow
	Links                    cursorLinksData
}

// subjectPages are the pages of audit subjects that have one.
var subjectPages = map[string]string{"key": "/keys/", "holder": "/holders/", "site": "/sites/"}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	q := r.URL.Query()
	d := auditPageData{Action: q.Get("action"), Actor: q.Get("actor"), SubjectID: q.Get("subject_id")}
	opt, err := listOptions(r)
	if err != nil {
		return err
	}
	p, err := s.audit.Audit(r.Context(), a, keyward.AuditFilter{Action: d.Action, Actor: d.Actor, SubjectID: d.SubjectID, ListOptions: opt})
	if err != nil {
		return err
	}
	for _, rec := range p.Items {
		row := auditRow{AuditRecord: rec}
		if prefix, ok := subjectPages[rec.SubjectType]; ok && rec.SubjectID != "" {
			row.Link = prefix + url.PathEscape(rec.SubjectID)
		}
		d.Rows = append(d.Rows, row)
	}
	d.Links = cursorLinks(r, p.Next)
	return s.render(w, r, a, http.StatusOK, "audit", "Audit log", d)
}
