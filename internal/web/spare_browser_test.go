package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestUIBrowserVehicleSpareProofToHandOver walks a vehicle spare in a real
// Chromium: the counter asks for it with the VIN and records the owner's
// proof; the workshop, on a phone, records the key cut, the transponder
// enrolled, a failed test (no hand-over offered), then a passed test; the
// counter hands it over. Every page is looked at 390 and 1280 px wide.
func TestUIBrowserVehicleSpareProofToHandOver(t *testing.T) {
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
	site := call("POST", "/api/v1/sites", map[string]any{"name": "Fleet Yard"})["id"].(string)
	van := call("POST", "/api/v1/openings", map[string]any{"site_id": site, "name": "Van 1 (Ford Transit)", "kind": "vehicle"})["id"].(string)
	call("POST", "/api/v1/openings/"+van+"/symbols", map[string]any{"symbol": "V1"})
	kw := call("POST", "/api/v1/keyways", map[string]any{"name": "Ford HU101 transponder", "duplication_policy": "dnd"})["id"].(string)
	driver := call("POST", "/api/v1/holders", map[string]any{"name": "Tom Becker", "email": "tom.becker@acme.test"})["id"].(string)
	acc := app.db.Accounts(app.env.Vault)
	passwords := map[string]string{}
	for _, u := range []store.UserInput{
		{Email: "ada@acme.test", Name: "Ada (counter)", Role: keyward.RoleAdvisor},
		{Email: "sam@acme.test", Name: "Sam (workshop)", Role: keyward.RoleTechnician},
	} {
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
	both := func(name string, back chromedp.Action[chromedp.Void]) {
		t.Helper()
		do("desktop viewport", desktop)
		b.fits(name, 1280)
		screenshot("spare-" + name + "-1280.png")
		do("phone viewport", phone)
		b.fits(name, 390)
		screenshot("spare-" + name + "-390.png")
		do("back to size", back)
	}
	has := func(css string) bool {
		t.Helper()
		n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+"`"+css+"`"+`).length`))
		if err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	signInAs := func(email, path string) {
		t.Helper()
		if has(`form[action="/logout"]`) {
			do("sign out", chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action="/logout"]').submit()`))
			do("wait for the sign-in page", chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)))
		}
		step("open "+path, chromedp.Navigate(app.http.URL+path))
		b.signIn(email, passwords[email], app.http.URL+path)
	}
	next := func(want string) {
		t.Helper()
		if got := text("#spare-next"); !strings.Contains(got, want) {
			t.Fatalf("next step %q, want %q", got, want)
		}
	}

	// The counter: Vehicle spares, ask for one with the VIN (a typo first).
	do("desktop viewport", desktop)
	signInAs("ada@acme.test", "/vehicle-spares")
	both("list-empty", desktop)
	do("fill in the request",
		chromedp.SetValue(chromedp.CSS(`#spare-form select[name=opening_id]`), van),
		chromedp.SetValue(chromedp.CSS(`#spare-form select[name=holder_id]`), driver),
		chromedp.SendKeys(chromedp.CSS(`#spare-form input[name=vin]`), "1m8gdm9axkp04278"))
	if resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(`#spare-form button[type=submit]`))); err != nil || resp.Status != 400 {
		t.Fatalf("a short VIN: %v %v", resp, err)
	}
	if got := text("#spare-form .field-error"); !strings.Contains(got, "17 characters") {
		t.Fatalf("the VIN's error: %q", got)
	}
	both("request-bad-vin", desktop)
	do("type the VIN again", chromedp.SetValue(chromedp.CSS(`#spare-form input[name=vin]`), "1m8gdm9axkp042788"))
	step("ask for the spare", chromedp.Click(chromedp.CSS(`#spare-form button[type=submit]`)))
	if got := text("#spare-vin"); got != "1M8GDM9AXKP042788" {
		t.Fatalf("VIN shown: %q", got)
	}
	next("check proof")
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	sparePath := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], app.http.URL)
	both("proof-form", desktop)
	// The owner forgot the registration document: refused, naming it.
	do("the owner's ID", chromedp.SetValue(chromedp.CSS(`#proof-form select[name=id_type]`), "passport"),
		chromedp.SendKeys(chromedp.CSS(`#proof-form input[name=id_last4]`), "4821"))
	if resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(`#proof-form button[type=submit]`))); err != nil || resp.Status != 400 {
		t.Fatalf("proof without the registration: %v %v", resp, err)
	}
	do("the registration document", chromedp.SendKeys(chromedp.CSS(`#proof-form input[name=registration_ref]`), "V5C 7731"))
	step("record the proof", chromedp.Click(chromedp.CSS(`#proof-form button[type=submit]`)))
	if got := text("#step-proof"); !strings.Contains(got, "ending 4821") || !strings.Contains(got, "Ada (counter)") {
		t.Fatalf("proof shown: %q", got)
	}
	next("cut the spare key")
	if has(`#produce-form`) {
		t.Fatal("the counter is offered the workshop's step")
	}
	both("waiting-for-workshop", desktop)

	// The workshop, on a phone: cut, enroll, a failed test, a passed test.
	do("phone viewport", phone)
	signInAs("sam@acme.test", sparePath)
	do("choose the key type", chromedp.SetValue(chromedp.CSS(`#produce-form select[name=keyway_id]`), kw))
	step("record the key cut", chromedp.Click(chromedp.CSS(`#produce-form button[type=submit]`)))
	if got := text("#step-produce"); !strings.Contains(got, "V1-1") {
		t.Fatalf("key cut: %q", got)
	}
	next("enroll the spare's transponder")
	both("enroll-form", phone)
	do("the tool", chromedp.SendKeys(chromedp.CSS(`#enroll-form input[name=tool]`), "Autel IM608"))
	step("record the enrollment", chromedp.Click(chromedp.CSS(`#enroll-form button[type=submit]`)))
	if got := text("#step-enroll"); !strings.Contains(got, "Autel IM608") || !strings.Contains(got, "Sam (workshop)") {
		t.Fatalf("enrollment shown: %q", got)
	}
	next("test the spare")
	both("test-form", phone)
	do("it starts, the door does not open", chromedp.Click(chromedp.CSS(`#starts-yes`)), chromedp.Click(chromedp.CSS(`#opens-no`)))
	step("record the test", chromedp.Click(chromedp.CSS(`#test-form button[type=submit]`)))
	if got := text("p.flash"); !strings.Contains(got, "Test failed") {
		t.Fatalf("flash after a failed test: %q", got)
	}
	if has(`#hand-over-form`) || !has(`#test-form`) || !has(`#enroll-form`) {
		t.Fatal("after a failed test the page must offer a new test or enrollment, never the hand-over")
	}
	both("test-failed", phone)
	do("both yes", chromedp.Click(chromedp.CSS(`#starts-yes`)), chromedp.Click(chromedp.CSS(`#opens-yes`)))
	step("record the test again", chromedp.Click(chromedp.CSS(`#test-form button[type=submit]`)))
	next("hand the spare over")

	// The counter hands it over.
	do("desktop viewport", desktop)
	signInAs("ada@acme.test", sparePath)
	both("hand-over-form", desktop)
	step("hand over", chromedp.Click(chromedp.CSS(`#hand-over-form button[type=submit]`)))
	if got := text("#spare-state"); got != "handed over" {
		t.Fatalf("state: %q", got)
	}
	if got := text("#step-hand-over"); !strings.Contains(got, "Tom Becker") {
		t.Fatalf("hand-over shown: %q", got)
	}
	both("handed-over", desktop)
	step("the list", chromedp.Navigate(app.http.URL+"/vehicle-spares"))
	if got := text("#spares-done"); !strings.Contains(got, "V1-1") || !strings.Contains(got, "Tom Becker") {
		t.Fatalf("handed-over list: %q", got)
	}
	both("list-done", desktop)
	k := call("GET", "/api/v1/vehicle-spares", nil)["items"].([]any)[0].(map[string]any)
	key := call("GET", "/api/v1/keys/"+k["key_id"].(string), nil)
	if key["status"] != "issued" || key["holder_id"] != driver {
		t.Fatalf("the spare's key: %v", key)
	}
}
