package web_test

import (
	"context"
	"encoding/base64"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/keyward/keyward/internal/keyward"
)

// TestUIBrowserLandlordStart walks a landlord's whole start on a phone, in
// one Chromium session, the way issue 15 found it broken: from the
// dashboard's checklist to the import of the spreadsheet they keep today (a
// title row, US dates, a door column), key tags printed on Letter paper, a
// check-out from the page a tag's code opens, a test email, and a manager
// invited who signs in with a password of their own.
func TestUIBrowserLandlordStart(t *testing.T) {
	needPoppler(t)
	mail := newSMTPSink(t)
	s := uiStartNotifyIn(t, mail.addr, "America/New_York")
	file, err := filepath.Abs(filepath.Join("..", "..", "testdata", "import", "landlord_messy.csv"))
	if err != nil {
		t.Fatal(err)
	}
	b := newUIBrowser(t, 120*time.Second)
	step, do, text, screenshot := b.step, b.do, b.text, b.screenshot
	openMenu := func() {
		t.Helper()
		do("open the menu", chromedp.Focus(chromedp.CSS(`#menu > summary`)), chromedp.KeyEvent(kb.Enter))
	}
	step("open Keyward", chromedp.Navigate(s.URL+"/"))
	do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
	b.signIn(uiOwnerEmail, uiOwnerPassword, s.URL+"/")

	// The checklist leads to the keys, and the keys page to the import.
	step("follow the checklist to the keys", chromedp.Click(chromedp.CSS(`#step-keys a`)))
	step("choose to import a spreadsheet", chromedp.Click(chromedp.CSS(`#key-list-links a[href="/imports"]`)))
	do("choose the file", chromedp.SetUploadFiles(chromedp.CSS(`input[name=file]`), []string{file}))
	step("upload", chromedp.Click(chromedp.CSS(`#upload button[type=submit]`)))
	if v, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(`#header-row select[name=header_row]`))); err != nil || v != "2" {
		t.Fatalf("the header row under the title: %q %v", v, err)
	}
	do("name the site of new doors", chromedp.SendKeys(chromedp.CSS(`#mapping input[name=default_site]`), "Maple Court"))
	step("dry run", chromedp.Click(chromedp.CSS(`#mapping button[type=submit]`)))
	if got := text("#dates-read"); !strings.Contains(got, "12/20/2026") || !strings.Contains(got, "Sun 20 Dec 2026 23:59") {
		t.Errorf("the US date is not read on the organization's clock:\n%s", got)
	}
	do("tick create these", chromedp.Click(chromedp.CSS(`#create-these input[name=create]`)))
	step("check again", chromedp.Click(chromedp.CSS(`#create-these button[type=submit]`)))
	step("import", chromedp.Click(chromedp.CSS(`#commit button[type=submit]`)))
	if got := text("p.flash"); !strings.Contains(got, "Imported 4 keys") {
		t.Fatalf("after the import: %q", got)
	}
	screenshot("landlord-imported-phone.png")

	// Tags for the front-door key, on US Letter.
	step("list the front-door key", chromedp.Navigate(s.URL+"/keys?symbol=M1"))
	step("print tags for this list", chromedp.Click(chromedp.CSS(`#key-list-links a[href^="/key-tags"]`)))
	if got := text("#tags-count"); !strings.Contains(got, "1 tag") || !strings.Contains(got, "M1") {
		t.Fatalf("tags page: %q", got)
	}
	do("choose Letter", chromedp.Click(chromedp.CSS(`#tags-form input[name=paper][value=letter]`)))
	screenshot("landlord-tags-phone.png")
	// The PDF is fetched by the page itself, with the landlord's session,
	// from the address the form submits to.
	b64, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(async () => {
  const f = document.querySelector('#tags-form form');
  const q = new URLSearchParams(new FormData(f)).toString();
  const r = await fetch(f.action + '?' + q);
  if (!r.ok) return 'status ' + r.status;
  const bytes = new Uint8Array(await r.arrayBuffer());
  let s = ''; for (const c of bytes) s += String.fromCharCode(c);
  return btoa(s);
})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("fetch the tags PDF: %v", err)
	}
	pdf, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("the tags PDF: %.40s", b64)
	}
	pdfText, info := pdfFacts(t, string(pdf))
	if !strings.Contains(info, "(letter)") || !strings.Contains(pdfText, "M1") || !strings.Contains(pdfText, "Front door") {
		t.Fatalf("the tag on Letter:\n%s\n%s", info, pdfText)
	}
	uris := uriRE.FindAllStringSubmatch(string(pdf), -1)
	if len(uris) != 1 || !strings.HasPrefix(uris[0][1], s.URL+"/") {
		t.Fatalf("the tag's code links %v", uris)
	}

	// The tag's code opens the key's page; its first form checks it out.
	step("scan the tag", chromedp.Navigate(uris[0][1]))
	if got := text("ol.logbook"); !strings.Contains(got, "Imported from a spreadsheet") || !strings.Contains(got, "row 3 of the spreadsheet") || strings.Contains(got, "imp_") {
		t.Errorf("the logbook does not tell the import in words:\n%s", got)
	}
	picked := uiEval[bool](b, `(() => {
  const sel = document.querySelector('#checkout select[name=holder_id]');
  if (sel) {
    const o = Array.from(sel.options).find(o => o.text.includes('Ben Ode'));
    if (!o) return false;
    sel.value = o.value; return true;
  }
  const r = Array.from(document.querySelectorAll('#checkout input[name=holder_id]')).find(r => r.parentElement.textContent.includes('Ben Ode'));
  if (!r) return false;
  r.click(); return true;
})()`)
	if !picked {
		t.Fatalf("Ben Ode is not offered on the check-out form:\n%s", text("#checkout"))
	}
	screenshot("landlord-tag-checkout-phone.png")
	step("check out", chromedp.Click(chromedp.CSS(`#checkout button[type=submit]`)))
	if got := text("p.flash"); !strings.Contains(got, "Ben Ode") {
		t.Errorf("after the check-out: %q", got)
	}
	ctx := context.Background()
	keys, err := s.db.Custody().Keys(ctx, s.sys, keyward.KeyFilter{Symbol: "M1", ListOptions: keyward.ListOptions{Limit: 10}})
	if err != nil || len(keys.Items) != 1 || keys.Items[0].Status != keyward.StatusCheckedOut {
		t.Fatalf("M1 after the check-out from its tag: %+v %v", keys, err)
	}
	step("back to the dashboard", chromedp.Navigate(s.URL+"/"))
	// Sites, doors, keys and people came with the sheet and the first
	// check-out is done, so the getting-started list has put itself away.
	if left := uiEval[string](b, `(document.querySelector('#getting-started') || {}).textContent || ''`); left != "" {
		t.Errorf("every step is done, yet the checklist is still shown:\n%s", left)
	}

	// A test email, from the notification settings in the menu.
	openMenu()
	step("open Notifications", chromedp.Click(chromedp.CSS(`nav a[href="/settings/notifications"]`)))
	step("send a test email", chromedp.Click(chromedp.CSS(`#test-email button`)))
	if got := text("p.flash"); !strings.Contains(got, "Test email sent to "+uiOwnerEmail) {
		t.Fatalf("after the test email: %q", got)
	}
	if to, _ := mail.sent(); len(to) != 1 || to[0] != uiOwnerEmail {
		t.Fatalf("emails sent to %v", to)
	}

	// A manager is invited, opens the link and signs in with their own password.
	const manager, password = "rosa@maple.test", "tide tables and lanterns"
	openMenu()
	step("open Users", chromedp.Click(chromedp.CSS(`nav a[href="/users"]`)))
	do("fill in the invite",
		chromedp.SendKeys(chromedp.CSS(`#add-user input[name=email]`), manager),
		chromedp.SendKeys(chromedp.CSS(`#add-user input[name=name]`), "Rosa Marsh"),
		chromedp.Click(chromedp.CSS(`#add-user input[name=role][value=manager]`)))
	do("invite", chromedp.Click(chromedp.CSS(`#add-user button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`#invite-link`)))
	link := strings.TrimSpace(text("#invite-link"))
	if _, err := url.Parse(link); err != nil || !strings.HasPrefix(link, s.URL+"/invite?token=") {
		t.Fatalf("invite link %q", link)
	}
	openMenu()
	step("sign out", chromedp.Click(chromedp.CSS(`form[action="/logout"] button[type=submit]`)))
	step("open the invite link", chromedp.Navigate(link))
	do("choose a password",
		chromedp.SendKeys(chromedp.CSS(`#invite-form input[name=password]`), password),
		chromedp.SendKeys(chromedp.CSS(`#invite-form input[name=confirm]`), password))
	step("set the password", chromedp.Click(chromedp.CSS(`#invite-form button[type=submit]`)))
	do("type the password", chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password))
	step("sign in", chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))
	if loc, _ := chromedp.Run(b.ctx, chromedp.Location()); loc != s.URL+"/" {
		t.Fatalf("the manager's sign-in ends at %s", loc)
	}
	openMenu()
	if got := text("header.top nav"); !strings.Contains(got, manager) {
		t.Errorf("signed in, the navigation does not name the manager: %q", got)
	}
	// The manager sees what the landlord set up, overdue check-out included.
	step("open the keys", chromedp.Navigate(s.URL+"/keys?symbol=U4"))
	if got := text("main"); !strings.Contains(got, "Ana Ruiz") {
		t.Errorf("the manager does not see Ana's key: %q", got)
	}
	screenshot("landlord-manager-phone.png")
}
