package web_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/keyward/keyward/internal/keyward"
)

// uiUpload posts a file through the import page's multipart form.
func (c *uiClient) uiUpload(fileName, content string) (int, string, http.Header) {
	c.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.WriteField("csrf", c.csrf)
	fw, err := mw.CreateFormFile("file", fileName)
	if err != nil {
		c.t.Fatal(err)
	}
	_, _ = fw.Write([]byte(content))
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.base+"/imports", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// uiUploaded uploads a file and returns the mapping page's path.
func (c *uiClient) uiUploaded(fileName, content string) string {
	c.t.Helper()
	st, body, h := c.uiUpload(fileName, content)
	loc := h.Get("Location")
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/imports/") {
		c.t.Fatalf("upload %s: %d to %q\n%s", fileName, st, loc, body)
	}
	return loc
}

// uiImportMapping maps the columns of uiImportHeader.
var uiImportMapping = url.Values{"symbol": {"0"}, "keyway": {"1"}, "copy_number": {"2"}, "holder_name": {"3"}, "holder_email": {"4"}, "due_at": {"5"}}

const uiImportHeader = "Key;Profile;Copy;Name;E-mail;Due\n"

func TestUIImportPages(t *testing.T) {
	s := uiStart(t)
	st := s.stock()
	c := s.signIn(uiOwnerEmail, uiOwnerPassword)

	doc := c.page("/imports")
	f := uiWantForm(t, doc, "/imports", c.csrf, "file")
	if f.attr["enctype"] != "multipart/form-data" || f.find(uiAttr("name", "file")).attr["type"] != "file" {
		t.Fatalf("upload form: %v", f.attr)
	}
	if st, body, _ := c.uiUpload("empty.csv", ""); st != http.StatusBadRequest || !strings.Contains(body, "is empty") {
		t.Fatalf("empty upload: %d\n%s", st, body)
	}

	// A file with a bad row: the dry run lists its problems, and offers no commit.
	bad := c.uiUploaded("log.csv", uiImportHeader+
		"AB1;Schlage SC1;1;Ann Lee;ann@harbour.test;2030-01-01T09:00:00Z\n"+
		"AB2;Nope;x;;;\n")
	doc = c.page(bad)
	uiWantText(t, doc.byID("headers"), "headers", "Key", "Profile", "Copy", "Name", "E-mail", "Due")
	uiWantText(t, doc.find(uiClass("table", "import-preview")), "preview", "AB1", "Ann Lee", "Nope")
	m := uiWantForm(t, doc, bad+"/check", c.csrf, "symbol", "keyway", "copy_number", "holder_name", "holder_email", "due_at")
	due := m.find(uiAttr("name", "due_at"))
	// "Due" is matched by its word; the other columns too.
	if opt := due.find(uiAttr("selected", "selected")); opt == nil || opt.attr["value"] != "5" || opt.Text() != "Due" {
		t.Errorf("due_at is not pre-set to the Due column: %v", opt)
	}
	if opt := m.find(uiAttr("name", "door")).find(uiAttr("selected", "selected")); opt == nil || opt.attr["value"] != "" {
		t.Errorf("door is not pre-set to none: %v", opt)
	}
	uiWantText(t, m, "labels in words", "Key number (stamp)", "Key type (keyway)", "Holder's email", "Due back", "Door it opens", "Cabinet hook")
	if n := len(m.find(uiAttr("name", "symbol")).all(uiTag("option"))); n != 7 {
		t.Errorf("symbol offers %d choices, want 6 columns and a prompt", n)
	}
	stc, body, _ := c.post(bad+"/check", uiImportMapping)
	if stc != http.StatusOK {
		t.Fatalf("check: %d\n%s", stc, body)
	}
	doc = uiParse(t, body)
	uiWantText(t, doc.find(uiClass("table", "import-errors")), "problems", "2 Key type (keyway) must name an existing keyway",
		"2 Copy number must be a whole number from 1 to 100000")
	uiWantText(t, doc.byID("check"), "dry run", "2 rows, 2 problems")
	if doc.find(uiForm(bad+"/commit")) != nil {
		t.Error("a file with problems offers a commit")
	}
	// Committing anyway writes nothing.
	if stc, _, _ := c.post(bad+"/commit", uiImportMapping); stc != http.StatusUnprocessableEntity {
		t.Fatalf("commit of a bad file: %d", stc)
	}

	// Another user cannot see or use the upload.
	email, pw := s.user(keyward.RoleAdmin, "")
	admin := s.signIn(email, pw)
	if stc, _, _ := admin.get(bad); stc != http.StatusNotFound {
		t.Errorf("another user's upload: %d, want 404", stc)
	}
	if stc, _, _ := admin.post(bad+"/check", uiImportMapping); stc != http.StatusNotFound {
		t.Errorf("another user's check: %d, want 404", stc)
	}
	// An auditor may not import.
	email, pw = s.user(keyward.RoleAuditor, "")
	auditor := s.signIn(email, pw)
	if stc, _, _ := auditor.uiUpload("log.csv", uiImportHeader); stc != http.StatusForbidden {
		t.Errorf("auditor upload: %d, want 403", stc)
	}
	if stc, _, _ := auditor.get("/imports"); stc != http.StatusForbidden {
		t.Errorf("auditor import page: %d, want 403", stc)
	}

	// A clean file: check, then commit.
	good := c.uiUploaded("log.csv", uiImportHeader+
		"AB1;Schlage SC1;1;Ann Lee;ann@harbour.test;2030-01-01T09:00:00Z\n"+
		"AB2;schlage sc1;;;;\n")
	stc, body, _ = c.post(good+"/check", uiImportMapping)
	doc = uiParse(t, body)
	uiWantText(t, doc.byID("check-clean"), "clean dry run", "2 rows, no problems")
	commit := uiWantForm(t, doc, good+"/commit", c.csrf, "symbol", "keyway", "copy_number", "holder_name", "holder_email", "due_at")
	form := url.Values{}
	for _, in := range commit.all(uiTag("input")) {
		if in.attr["name"] != "csrf" {
			form.Set(in.attr["name"], in.attr["value"])
		}
	}
	want := url.Values{"header_row": {"1"}, "date_order": {""}, "default_kind": {"staff"}, "default_site": {""}, "default_cabinet": {""}}
	for k, v := range uiImportMapping {
		want[k] = v
	}
	if form.Encode() != want.Encode() {
		t.Errorf("commit form carries %v", form)
	}
	stc, body, h := c.post(good+"/commit", form)
	if loc := h.Get("Location"); stc != http.StatusSeeOther || loc != "/keys?flash="+url.QueryEscape("Imported 2 keys.") {
		t.Fatalf("commit: %d to %q\n%s", stc, loc, body)
	}
	doc = c.page("/keys?flash=" + url.QueryEscape("Imported 2 keys."))
	uiWantText(t, doc.find(uiClass("p", "flash")), "flash", "Imported 2 keys")
	uiWantText(t, doc.find(uiClass("table", "keys")), "key list", "AB1-1", "AB2-1", "Ann Lee")
	keys, err := s.db.Custody().Keys(context.Background(), s.sys, keyward.KeyFilter{Symbol: "AB1", ListOptions: keyward.ListOptions{Limit: 10}})
	if err != nil || len(keys.Items) != 1 || keys.Items[0].Status != keyward.StatusCheckedOut {
		t.Fatalf("AB1 = %+v, %v", keys, err)
	}
	if stc, _, _ := c.get(good); stc != http.StatusNotFound {
		t.Errorf("upload after commit: %d, want 404", stc)
	}

	// The list pages link to the exports, the tags and the import.
	for _, href := range []string{"/exports/keys.csv", "/imports", "/key-tags?q=&symbol=&status="} {
		if doc.find(uiAttr("href", href)) == nil {
			t.Errorf("/keys has no link to %s", href)
		}
	}
	if c.page("/holders").find(uiAttr("href", "/exports/holders.csv")) == nil {
		t.Error("/holders has no link to its export")
	}
	stc, body, h = c.get("/exports/keys.csv")
	if stc != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(body, "AB1") || !strings.Contains(body, "AB2") {
		t.Fatalf("export: %d %q\n%s", stc, h.Get("Content-Type"), body)
	}
	for _, p := range []string{"/exports/nope.csv", "/exports/keys"} {
		if stc, _, _ := c.get(p); stc != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, stc)
		}
	}
	if stc, _, _ := auditor.get("/exports/holders.csv"); stc != http.StatusOK {
		t.Errorf("auditor export: %d", stc)
	}

	// The key page links to its tag and its storage place.
	keyPath := "/keys/" + st.key.ID
	doc = c.page(keyPath)
	if doc.find(uiAttr("href", "/key-tags?ids="+st.key.ID)) == nil || doc.find(uiAttr("href", keyPath+"/storage")) == nil {
		t.Error("key page has no tag or storage link")
	}
	// Without a place, the link leads to where one is given: the key page's storage section.
	if stc, _, h := c.get(keyPath + "/storage"); stc != http.StatusSeeOther || h.Get("Location") != keyPath+"#key-place" {
		t.Errorf("storage of a key without a place: %d to %q", stc, h.Get("Location"))
	}
	if stc, _, _ := c.get("/key-tags.pdf?ids=" + st.key.ID); stc != http.StatusOK {
		t.Errorf("tag link: %d", stc)
	}

	// A holder links to their offboarding, a site to its openings.
	if c.page("/holders/"+st.holder.ID).find(uiAttr("href", "/holders/"+st.holder.ID+"/offboarding")) == nil {
		t.Error("holder page has no offboarding link")
	}
	// A holder's page keeps what they held before: the check-in is in their logbook.
	ctx, d := context.Background(), s.db.Directory()
	if _, err := s.db.Custody().Checkout(ctx, s.sys, st.key.ID, keyward.CheckoutInput{HolderID: st.holder.ID, DueAt: s.clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Custody().Checkin(ctx, s.sys, st.key.ID, keyward.CheckinInput{Note: "back on the hook"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Custody().Move(ctx, s.sys, st.key.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: st.holder.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Custody().Move(ctx, s.sys, st.key.ID, keyward.CustodyTransfer, keyward.CustodyInput{HolderID: st.holder2.ID}); err != nil {
		t.Fatal(err)
	}
	if lb := c.page("/holders/" + st.holder.ID).byID("logbook"); lb == nil || !strings.Contains(lb.Text(), "to Sam Okafor") {
		t.Errorf("the giver's logbook does not show the transfer: %q", lb.Text())
	}
	if lb := c.page("/holders/" + st.holder2.ID).byID("logbook"); lb == nil || !strings.Contains(lb.Text(), "from Dana Ruiz") {
		t.Errorf("the receiver's logbook does not show where the key came from: %q", lb.Text())
	}
	logbook := c.page("/holders/" + st.holder.ID).byID("logbook")
	if logbook == nil || !strings.Contains(logbook.Text(), "Checked in AA1-1") || !strings.Contains(logbook.Text(), "back on the hook") ||
		strings.Index(logbook.Text(), "Checked in") > strings.Index(logbook.Text(), "Checked out") {
		t.Errorf("holder logbook, newest first, with the check-in: %q", logbook.Text())
	}
	site, err := d.CreateSite(ctx, s.sys, keyward.SiteInput{Name: "Fleet Yard"})
	if err != nil {
		t.Fatal(err)
	}
	op, err := d.CreateOpening(ctx, s.sys, keyward.OpeningInput{SiteID: site.ID, Name: "Yard gate", Kind: "gate"})
	if err != nil {
		t.Fatal(err)
	}
	uiWantText(t, c.page("/sites/"+site.ID).find(uiAttr("href", "/openings/"+op.ID)), "opening link", "Yard gate")
	c.page("/openings/" + op.ID)
}

func TestUIImportXLSXAndExpiry(t *testing.T) {
	s := uiStart(t)
	s.stock()
	c := s.signIn(uiOwnerEmail, uiOwnerPassword)

	wb := excelize.NewFile()
	for i, r := range [][]any{{"Symbol", "Profile"}, {"XL1", "Schlage SC1"}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := wb.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := wb.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	p := c.uiUploaded("log.xlsx", buf.String())
	m := uiWantForm(t, c.page(p), p+"/check", c.csrf, "symbol", "keyway")
	// "Symbol" is the importer's own name for the column: it is chosen already.
	if opt := m.find(uiAttr("name", "symbol")).find(uiAttr("selected", "selected")); opt == nil || opt.attr["value"] != "0" {
		t.Errorf("symbol is not pre-selected: %v", opt)
	}
	stc, body, _ := c.post(p+"/check", url.Values{"symbol": {"0"}, "keyway": {"1"}})
	if stc != http.StatusOK || uiParse(t, body).byID("check-clean") == nil {
		t.Fatalf("check: %d\n%s", stc, body)
	}
	// Mapping two fields to one column is refused on the form.
	if stc, body, _ := c.post(p+"/check", url.Values{"symbol": {"0"}, "keyway": {"0"}}); stc != http.StatusBadRequest || !strings.Contains(body, "uses the same column as Key number (stamp)") {
		t.Errorf("one column twice: %d\n%s", stc, body)
	}
	if stc, body, _ := c.uiUpload("junk.xlsx", "PK\x03\x04 not a workbook"); stc != http.StatusBadRequest || !strings.Contains(body, "is not an XLSX workbook") {
		t.Errorf("junk workbook: %d\n%s", stc, body)
	}

	// An upload lasts a day.
	s.clock.Advance(25 * time.Hour)
	c = s.signIn(uiOwnerEmail, uiOwnerPassword) // the session lasted 12 hours
	if stc, _, _ := c.get(p); stc != http.StatusNotFound {
		t.Errorf("a day-old upload: %d, want 404", stc)
	}
	c.uiUploaded("again.csv", "symbol,keyway\nXL2,Schlage SC1\n")
	// Storing it deleted the old one.
	if n, err := s.sql.Count(`SELECT COUNT(*) FROM import_uploads`); err != nil || n != 1 {
		t.Fatalf("uploads kept: %d, %v", n, err)
	}
}
