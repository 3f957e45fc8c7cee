package web_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keyward/keyward/internal/keyward"
)

// TestUIBrowserImportMessySheet: a landlord with nothing set up yet imports
// a messy spreadsheet on a phone: a title row above the headers (found by
// itself), odd headers matched by their words, a US date read on the
// organization's clock and shown as read, and the new key type, people, site
// and doors listed, then created once "Create these" is ticked.
func TestUIBrowserImportMessySheet(t *testing.T) {
	s := uiStartIn(t, "America/New_York")
	file, err := filepath.Abs(filepath.Join("..", "..", "testdata", "import", "landlord_messy.csv"))
	if err != nil {
		t.Fatal(err)
	}
	b := newUIBrowser(t, 60*time.Second)
	step, do, text, screenshot := b.step, b.do, b.text, b.screenshot
	do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
	fits := func(where string) {
		t.Helper()
		w, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if w > 390 {
			t.Errorf("%s is %d px wide on a 390 px screen", where, w)
		}
	}
	value := func(css string) string {
		t.Helper()
		v, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(css)))
		if err != nil {
			t.Fatalf("value of %s: %v", css, err)
		}
		return v
	}
	step("open the import page", chromedp.Navigate(s.URL+"/imports"))
	b.signIn(uiOwnerEmail, uiOwnerPassword, s.URL+"/imports")
	do("choose the file", chromedp.SetUploadFiles(chromedp.CSS(`input[name=file]`), []string{file}))
	step("upload", chromedp.Click(chromedp.CSS(`#upload button[type=submit]`)))

	// The header row is found under the title, and the columns by their words.
	if got := value(`#header-row select[name=header_row]`); got != "2" {
		t.Errorf("header row chosen: %q, want 2", got)
	}
	for field, col := range map[string]string{"symbol": "0", "keyway": "1", "holder_name": "2", "holder_email": "3", "door": "4", "due_at": "5", "holder_kind": "6"} {
		if got := value(`#mapping select[name=` + field + `]`); got != col {
			t.Errorf("%s is matched to column %q, want %q", field, got, col)
		}
	}
	if got := text("#mapping"); !strings.Contains(got, "Holder's email") || strings.Contains(got, "holder_email") {
		t.Errorf("the mapping step does not name its fields in words:\n%s", got)
	}
	fits("the mapping step")
	screenshot("import-mapping-phone.png")

	do("choose the site of new doors", chromedp.SendKeys(chromedp.CSS(`#mapping input[name=default_site]`), "Maple Court"))
	step("dry run", chromedp.Click(chromedp.CSS(`#mapping button[type=submit]`)))
	news := text("#new-things")
	for _, want := range []string{"Key type Kwikset KW1", "Person Ana Ruiz (ana@maple.test)", "Person Ben Ode", "Site Maple Court", "Door Unit 4 at Maple Court", "Door Front door"} {
		if !strings.Contains(news, want) {
			t.Errorf("the dry run does not list %q:\n%s", want, news)
		}
	}
	if got := text("#dates-read"); !strings.Contains(got, "12/20/2026") || !strings.Contains(got, "Sun 20 Dec 2026 23:59") {
		t.Errorf("the dry run does not say how the date was read:\n%s", got)
	}
	if got := text("#date-order"); !strings.Contains(got, "month first") {
		t.Errorf("date order: %q", got)
	}
	if n, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('form#commit').length`)); n != 0 {
		t.Fatal("a commit is offered before the new things may be created")
	}
	fits("the dry run")
	screenshot("import-dry-run-phone.png")

	do("tick create these", chromedp.Click(chromedp.CSS(`#create-these input[name=create]`)))
	step("check again", chromedp.Click(chromedp.CSS(`#create-these button[type=submit]`)))
	if got := text("#check-clean"); !strings.Contains(got, "4 rows, no problems") {
		t.Fatalf("after create these: %q", got)
	}
	step("commit", chromedp.Click(chromedp.CSS(`#commit button[type=submit]`)))
	if got := text("p.flash"); !strings.Contains(got, "Imported 4 keys") {
		t.Fatalf("flash: %q", got)
	}
	ctx := context.Background()
	keys, err := s.db.Custody().Keys(ctx, s.sys, keyward.KeyFilter{Symbol: "U4", ListOptions: keyward.ListOptions{Limit: 10}})
	if err != nil || len(keys.Items) != 2 || keys.Items[0].Status != keyward.StatusCheckedOut || keys.Items[0].DueAt.Format(time.RFC3339) != "2026-12-21T04:59:00Z" {
		t.Fatalf("U4 keys: %+v %v", keys, err)
	}
	holders, err := s.db.Directory().Holders(ctx, s.sys, keyward.ListOptions{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range holders.Items {
		if h.Kind != "tenant" {
			t.Errorf("holder %s is filed as %s", h.Name, h.Kind)
		}
	}
}
