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

// TestUIBrowserFleetCodeRequest walks a fleet's key code request in a real
// Chromium, each person with their own account: the advisor takes the
// request in the field for the fleet's driver; a manager who did not take
// it approves it on a phone; the technician reveals the code, sees it with
// their name across it, and sees it hidden when its time is up; records the
// service done; the van leaves the fleet; the scheduler disposes of the
// code once its retention ends, and the job and the code's page show the
// disposal record. Every page is looked at 390 and 1280 px wide.
func TestUIBrowserFleetCodeRequest(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	ctx := context.Background()
	call := func(role keyward.Role, method, path string, body any) map[string]any {
		t.Helper()
		var out map[string]any
		if st := app.call(role, method, path, body, &out); st >= 300 {
			t.Fatalf("%s %s: %d %v", method, path, st, out)
		}
		return out
	}
	const vin = "1M8GDM9AXKP042788"
	// The shortest reveal, so the test sees the code hidden.
	call(keyward.RoleOwner, "PUT", "/api/v1/settings/key-codes", map[string]any{"approval_hours": 24, "max_reveals": 2, "reveal_seconds": 10, "retention_days": 30,
		"evidence": map[string]any{"fleet": []string{"fleet_authorization"}}})
	fleet := call(keyward.RoleManager, "POST", "/api/v1/fleets", map[string]any{"name": "Harbour Vans", "authorization_ref": "standing order 2026-04"})["id"].(string)
	call(keyward.RoleManager, "POST", "/api/v1/fleets/"+fleet+"/vehicles", map[string]any{"vin": vin})
	code := call(keyward.RoleTechnician, "POST", "/api/v1/key-codes", map[string]any{"vin": vin, "code": apiKeyCode, "source": "code_service", "source_ref": "order 88-231", "description": "2019 Ford Transit, white"})["id"].(string)

	acc := app.db.Accounts(app.env.Vault)
	passwords := map[string]string{}
	for _, u := range []store.UserInput{
		{Email: "ada@acme.test", Name: "Ada (desk)", Role: keyward.RoleAdvisor},
		{Email: "noor@acme.test", Name: "Noor", Role: keyward.RoleManager},
		{Email: "tom@acme.test", Name: "Tom Reyes", Role: keyward.RoleTechnician},
	} {
		u.Password = "the own passphrase of " + u.Email
		if _, _, err := acc.CreateUser(ctx, keyward.SystemActor("test"), u); err != nil {
			t.Fatal(err)
		}
		passwords[u.Email] = u.Password
	}
	passwords["owner@acme.test"] = "correct horse battery"

	b := newUIBrowser(t, 180*time.Second)
	step, do, text, screenshot := b.step, b.do, b.text, b.screenshot
	desktop := chromedp.EmulateViewport(1280, 900)
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	both := func(name string, back chromedp.Action[chromedp.Void]) {
		t.Helper()
		do("desktop viewport", desktop)
		b.fits(name, 1280)
		screenshot("code-" + name + "-1280.png")
		do("phone viewport", phone)
		b.fits(name, 390)
		screenshot("code-" + name + "-390.png")
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
	signInAs := func(email, path string) {
		t.Helper()
		if count(`form[action="/logout"]`) > 0 {
			do("sign out", chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action="/logout"]').submit()`))
			do("wait for the sign-in page", chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)))
		}
		step("open "+path, chromedp.Navigate(app.http.URL+path))
		b.signIn(email, passwords[email], app.http.URL+path)
	}
	checklist := func() string {
		t.Helper()
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('#checklist li'), li => li.classList.contains('done') ? 'Y' : '.').join('')`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	// The advisor, at a desk: the intake form, for the fleet's driver, in the field.
	do("desktop viewport", desktop)
	signInAs("ada@acme.test", "/code-requests")
	both("intake", desktop)
	do("fill in the request",
		chromedp.SetValue(chromedp.CSS(`#code-request-form select[name=key_code_id]`), code),
		chromedp.SetValue(chromedp.CSS(`#code-request-form select[name=relationship]`), "fleet"),
		chromedp.SendKeys(chromedp.CSS(`#code-request-form input[name=requester_name]`), "Lee Chan"),
		chromedp.SetValue(chromedp.CSS(`#code-request-form select[name=channel]`), "field"),
		chromedp.SendKeys(chromedp.CSS(`#code-request-form textarea[name=reason]`), "spare key for van 12"),
		chromedp.SetValue(chromedp.CSS(`#code-request-form select[name=fleet_id]`), fleet))
	step("record the request", chromedp.Click(chromedp.CSS(`#code-request-form button[type=submit]`)))
	if got := text("#job-state"); got != "Waiting for approval" {
		t.Fatalf("state after intake: %q", got)
	}
	if got := checklist(); got != "YYY.." {
		t.Fatalf("checklist after intake: %s (%s)", got, text("#checklist"))
	}
	if count(`#approve-form`)+count(`#reveal-form`) != 0 {
		t.Fatal("the advisor is offered a step that is not hers")
	}
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	job := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], app.http.URL)
	both("requested", desktop)

	// A manager, on a phone: the dashboard lists the request waiting for her; approve it.
	do("phone viewport", phone)
	signInAs("noor@acme.test", "/")
	if got := text("#code-approvals"); !strings.Contains(got, "2019 Ford Transit") || !strings.Contains(got, "Lee Chan, fleet account") {
		t.Fatalf("the manager's dashboard: %q", got)
	}
	both("dashboard", phone)
	step("open the waiting request", chromedp.Click(chromedp.CSS(`#code-approvals a[href="`+job+`"]`)))
	both("approve", phone)
	step("approve", chromedp.Click(chromedp.CSS(`#approve-form button[type=submit]`)))
	if got := text("#job-state"); got != "Approved" {
		t.Fatalf("state after approval: %q", got)
	}
	if count(`#reveal-form`) != 0 {
		t.Fatal("the manager is offered the reveal")
	}

	// The technician, at the workstation: reveal, with a reason.
	do("desktop viewport", desktop)
	signInAs("tom@acme.test", job)
	both("reveal-form", desktop)
	do("give the reason", chromedp.SendKeys(chromedp.CSS(`#reveal-form input[name=reason]`), "cutting the spare"))
	step("reveal", chromedp.Click(chromedp.CSS(`#reveal-form button[type=submit]`)))
	if got := text("#revealed-code"); got != apiKeyCode {
		t.Fatalf("the code shown: %q", got)
	}
	if got := text("#revealed .watermark"); !strings.Contains(got, "Tom Reyes") {
		t.Fatalf("the watermark: %q", got)
	}
	if got := text("#reveal-words"); !strings.Contains(got, "code retrieved from a key code service, revealed to Tom Reyes") {
		t.Fatalf("the reveal's record: %q", got)
	}
	both("revealed", desktop)
	// After 10 seconds the code is gone: the page hides it and returns to the job.
	do("wait until the code is hidden", chromedp.WaitNotPresent(chromedp.CSS(`#revealed-code`)))
	do("wait for the job page", chromedp.WaitVisible(chromedp.CSS(`#job-state`)))
	if loc := uiEval[string](b, `location.pathname`); loc != job {
		t.Fatalf("after the reveal's time the browser is at %s, want the job %s", loc, job)
	}
	if got := checklist(); got != "YYYY." {
		t.Fatalf("checklist after the reveal: %s (%s)", got, text("#checklist"))
	}
	do("note the service", chromedp.SendKeys(chromedp.CSS(`#done-form input[name=note]`), "spare cut, starts and opens van 12"))
	step("record the service done", chromedp.Click(chromedp.CSS(`#done-form button[type=submit]`)))
	if got := text("#job-state"); got != "Service done" {
		t.Fatalf("state after the service: %q", got)
	}
	if got := text("#job-waiting"); !strings.Contains(got, "kept while the vehicle is in the fleet") {
		t.Fatalf("retention while in the fleet: %q", got)
	}

	// A week later the van leaves the fleet; 30 days after that the scheduler disposes of the code.
	app.env.Clock.Advance(7 * 24 * time.Hour)
	signInAs("noor@acme.test", "/fleets")
	both("fleets", desktop)
	step("the van left the fleet", chromedp.Click(chromedp.CSS(`#fleet-`+fleet+` form[action$="/remove"] button`)))
	app.env.Clock.Advance(30*24*time.Hour + time.Minute)
	if n, err := app.db.DisposeDueCodes(ctx); err != nil || n != 1 {
		t.Fatalf("the scheduler: %d, %v", n, err)
	}
	signInAs("tom@acme.test", job)
	if got := checklist(); got != "YYYYY" {
		t.Fatalf("checklist after disposal: %s (%s)", got, text("#checklist"))
	}
	both("disposed-job", desktop)
	step("the code's page", chromedp.Navigate(app.http.URL+"/key-codes/"+code))
	if got := text("#disposal-record"); !strings.Contains(got, "Keyward (scheduler)") || !strings.Contains(got, "after the vehicle left the fleet") {
		t.Fatalf("disposal record: %q", got)
	}
	both("disposed-code", desktop)
	step("the disposal report", chromedp.Navigate(app.http.URL+"/key-codes?show=disposed"))
	if got := text("#code-list"); !strings.Contains(got, "2019 Ford Transit") || !strings.Contains(got, "Keyward (scheduler)") {
		t.Fatalf("disposal report: %q", got)
	}

	// The owner's key code rules, as the API set them at the start.
	signInAs("owner@acme.test", "/settings/key-codes")
	if v := uiEval[string](b, `document.querySelector('#code-settings-form input[name=reveal_seconds]').value`); v != "10" {
		t.Fatalf("the rules page shows reveal_seconds %q", v)
	}
	if !uiEval[bool](b, `document.querySelector('#evidence-fleet input[value=fleet_authorization]').checked`) {
		t.Fatal("the rules page does not show the fleet's evidence ticked")
	}
	both("rules", desktop)
}
