package web_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestUIBrowserRestrictedCopyFromHolderToHandOver walks a restricted
// keyway's copy request in a real Chromium, each person signed in with their
// own account: the holder Rosa asks for two copies of the key she holds,
// from her dashboard; an advisor at the counter checks her photo ID and the
// authorization card; a manager who did not ask approves from the
// dashboard; a technician records the copies cut and hands them to her; and
// Rosa follows it to the end on "My copy requests". Every page on the way is
// looked at 390 and 1280 px wide, and none is wider than the screen
// (screenshots in KEYWARD_SCREENSHOTS when it is set).
func TestUIBrowserRestrictedCopyFromHolderToHandOver(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	ctx := context.Background()
	call := func(method, path string, body any) map[string]any {
		t.Helper()
		var out map[string]any
		if st := app.call(keyward.RoleOwner, method, path, body, &out); st >= 300 {
			t.Fatalf("%s %s: %d %v", method, path, st, out)
		}
		return out
	}
	kw := call("POST", "/api/v1/keyways", map[string]any{"name": "Medeco M3", "manufacturer": "Medeco", "duplication_policy": "restricted"})["id"].(string)
	rosa := call("POST", "/api/v1/holders", map[string]any{"name": "Rosa Vega", "email": "rosa@acme.test"})["id"].(string)
	key := call("POST", "/api/v1/keys", map[string]any{"keyway_id": kw, "symbol": "AA1"})["id"].(string)
	call("POST", "/api/v1/keys/"+key+"/issue", map[string]any{"holder_id": rosa})
	call("POST", "/api/v1/keyways/"+kw+"/signatories", map[string]any{"holder_id": rosa})
	if st := app.call(keyward.RoleOwner, "PUT", "/api/v1/keyways/"+kw+"/authorization-card", map[string]any{"number": apiCard}, nil); st != 204 {
		t.Fatalf("set the card: %d", st)
	}
	acc := app.db.Accounts(app.env.Vault)
	passwords := map[string]string{}
	for _, u := range []store.UserInput{
		{Email: "rosa.user@acme.test", Name: "Rosa Vega", Role: keyward.RoleHolder, HolderID: rosa},
		{Email: "ada@acme.test", Name: "Ada (counter)", Role: keyward.RoleAdvisor},
		{Email: "noor@acme.test", Name: "Noor", Role: keyward.RoleManager},
		{Email: "tom@acme.test", Name: "Tom (workshop)", Role: keyward.RoleTechnician},
	} {
		// A chosen password: a generated one must be replaced at first sign-in.
		u.Password = "the own passphrase of " + u.Email
		if _, _, err := acc.CreateUser(ctx, keyward.SystemActor("test"), u); err != nil {
			t.Fatal(err)
		}
		passwords[u.Email] = u.Password
	}

	b := newUIBrowser(t, 180*time.Second)
	step, do, text, screenshot := b.step, b.do, b.text, b.screenshot
	desktop := chromedp.EmulateViewport(1280, 900)
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	fits := func(where string, width int) {
		t.Helper()
		w, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if w > width {
			t.Errorf("%s is %d px wide on a %d px screen", where, w, width)
		}
	}
	// both looks at the page at 1280 and at 390 px, and comes back to size.
	both := func(name string, back chromedp.Action[chromedp.Void]) {
		t.Helper()
		do("desktop viewport", desktop)
		fits(name, 1280)
		screenshot("copy-" + name + "-1280.png")
		do("phone viewport", phone)
		fits(name, 390)
		screenshot("copy-" + name + "-390.png")
		do("back to size", back)
	}
	count := func(css string) int {
		t.Helper()
		n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(css)+`).length`))
		if err != nil {
			t.Fatalf("count %s: %v", css, err)
		}
		return n
	}
	// signInAs signs the last person out and the next one in, landing on path.
	signInAs := func(email, path string) {
		t.Helper()
		if n := count(`form[action="/logout"]`); n > 0 {
			do("sign out", chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action="/logout"]').submit()`))
			do("wait for the sign-in page", chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)))
		}
		step("open "+path, chromedp.Navigate(app.http.URL+path))
		b.signIn(email, passwords[email], app.http.URL+path)
	}

	// Rosa, on her phone: her key, Request copies, two copies.
	do("phone viewport", phone)
	signInAs("rosa.user@acme.test", "/")
	if got := text("#my-keys"); !strings.Contains(got, "AA1-1") || !strings.Contains(got, "Request copies") {
		t.Fatalf("her dashboard: %q", got)
	}
	both("holder-dashboard", phone)
	step("Request copies", chromedp.Click(chromedp.CSS(`#my-keys a[href$="/copy-request"]`)))
	both("holder-request-form", phone)
	do("ask for two, with a reason",
		chromedp.SetValue(chromedp.CSS(`#copy-request-form input[name=count]`), "2"),
		chromedp.SendKeys(chromedp.CSS(`#copy-request-form textarea[name=reason]`), "my partner moves in"))
	step("send the request", chromedp.Click(chromedp.CSS(`#copy-request-form button[type=submit]`)))
	if got := text("p.flash"); !strings.Contains(got, "Request sent: 2 copies of AA1") {
		t.Fatalf("flash after the request: %q", got)
	}
	if got := text("#copy-state"); got != "Waiting for the ID and card check" {
		t.Fatalf("state: %q", got)
	}
	if count(`#approve-form`)+count(`#evidence-form`) != 0 {
		t.Fatal("the holder is offered a step that is not hers")
	}
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	requestPath := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], app.http.URL)
	both("holder-requested", phone)

	// The counter (an advisor, at a desk): finds it in Copy requests, checks the ID and the card.
	do("desktop viewport", desktop)
	signInAs("ada@acme.test", "/copy-requests")
	both("list-waiting", desktop)
	step("open the request", chromedp.Click(chromedp.CSS(`#copy-list a[href="`+requestPath+`"]`)))
	both("counter-evidence-form", desktop)
	do("record what was checked",
		chromedp.SetValue(chromedp.CSS(`#evidence-form select[name=signatory_holder_id]`), rosa),
		chromedp.SetValue(chromedp.CSS(`#evidence-form select[name=id_type]`), "passport"),
		chromedp.SendKeys(chromedp.CSS(`#evidence-form input[name=id_last4]`), "4821"),
		chromedp.SendKeys(chromedp.CSS(`#evidence-form input[name=authorization_card]`), "RX-5520-99"))
	if resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(`#evidence-form button[type=submit]`))); err != nil || resp.Status != 400 {
		t.Fatalf("a wrong card: %v %v", resp, err)
	}
	if got := text("#authorization_card-error"); !strings.Contains(got, "does not match the card on file") {
		t.Fatalf("wrong card: %q", got)
	}
	both("counter-wrong-card", desktop)
	do("type the card again", chromedp.SendKeys(chromedp.CSS(`#evidence-form input[name=authorization_card]`), apiCard))
	step("record the check", chromedp.Click(chromedp.CSS(`#evidence-form button[type=submit]`)))
	if got := text("#copy-state"); got != "ID checked, waiting for approval" {
		t.Fatalf("state after the check: %q", got)
	}
	if got := text("#copy-evidence"); !strings.Contains(got, "Rosa Vega: Passport ending 4821") {
		t.Fatalf("evidence shown: %q", got)
	}

	// A manager who did not ask: the dashboard lists it; Approve.
	signInAs("noor@acme.test", "/")
	if got := text("#copy-approvals"); !strings.Contains(got, "2 copies of AA1") || !strings.Contains(got, "Rosa Vega") {
		t.Fatalf("the manager's dashboard: %q", got)
	}
	both("manager-dashboard", desktop)
	step("open it from the dashboard", chromedp.Click(chromedp.CSS(`#copy-approvals a`)))
	both("manager-approve", desktop)
	step("approve", chromedp.Click(chromedp.CSS(`#approve-form button[type=submit]`)))
	if got := text("#copy-state"); got != "Approved, waiting to be cut" {
		t.Fatalf("state after approval: %q", got)
	}

	// The technician, on a phone in the workshop: record the copies cut, hand them over.
	do("phone viewport", phone)
	signInAs("tom@acme.test", requestPath)
	both("technician-produce", phone)
	step("record the copies cut", chromedp.Click(chromedp.CSS(`#produce-form button[type=submit]`)))
	if got := text("p.flash"); !strings.Contains(got, "AA1-2, AA1-3") {
		t.Fatalf("flash after production: %q", got)
	}
	if got := text("#handover-form"); !strings.Contains(got, "Hand over to Rosa Vega") {
		t.Fatalf("hand-over: %q", got)
	}
	both("technician-hand-over", phone)
	step("hand over", chromedp.Click(chromedp.CSS(`#handover-form button[type=submit]`)))
	if got := text("#copy-state"); got != "Handed over" {
		t.Fatalf("state after the hand-over: %q", got)
	}
	both("handed-over", phone)

	// Rosa follows it to the end: My copy requests, and the new keys are hers.
	signInAs("rosa.user@acme.test", "/copy-requests")
	if got := text("#copy-list"); !strings.Contains(got, "Handed over") {
		t.Fatalf("her list: %q", got)
	}
	both("holder-my-requests", phone)
	step("her dashboard", chromedp.Navigate(app.http.URL+"/"))
	if got := text("#my-keys"); !strings.Contains(got, "AA1-2") || !strings.Contains(got, "AA1-3") {
		t.Fatalf("her keys at the end: %q", got)
	}
	var keys keyward.Page[keyward.Key]
	app.call(keyward.RoleOwner, "GET", "/api/v1/holders/"+rosa+"/keys", nil, &keys)
	if len(keys.Items) != 3 {
		t.Fatalf("Rosa holds %d keys, want 3", len(keys.Items))
	}
	// The card was typed into the browser twice and shown back never.
	html, err := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS(`html`)))
	if err != nil || strings.Contains(html, apiCard) {
		t.Fatalf("the page holds the card (%v)", err)
	}
}
