package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keyward/keyward/internal/auth"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestUIBrowserTechnicianEnrolsToReveal: on a phone, a technician whose time
// to set up an authenticator is over finds the way to enrol where the reveal
// form was, enrols from the link, and then sees the lockbox code.
func TestUIBrowserTechnicianEnrolsToReveal(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	ctx := context.Background()
	var box map[string]any
	if st := app.call(keyward.RoleOwner, "POST", "/api/v1/storage", map[string]any{"kind": "lockbox", "name": "Gate box", "code": "73915"}, &box); st != 201 {
		t.Fatalf("create lockbox: %d", st)
	}
	boxPath := "/storage/" + box["id"].(string)
	o := app.users[keyward.RoleOwner]
	if err := app.db.Accounts(app.env.Vault).SetTOTPRule(ctx, keyward.Actor{UserID: o.ID, Email: o.Email, Role: o.Role}, keyward.TOTPRule{Require: true, GraceDays: 7}); err != nil {
		t.Fatal(err)
	}
	app.env.Clock.Advance(8 * 24 * time.Hour)

	b := newUIBrowser(t, 120*time.Second)
	b.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
	b.step("open Keyward", chromedp.Navigate(app.http.URL+"/login"))
	b.do("fill in the sign-in form",
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "technician@acme.test"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "the technician's own passphrase"))
	b.step("sign in", chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))
	if flash := uiEval[string](b, `document.querySelector('.flash')?.textContent ?? ''`); !strings.Contains(flash, "requires an authenticator app") {
		t.Fatalf("the sign-in does not say an authenticator is required: %q", flash)
	}

	b.step("open the lockbox", chromedp.Navigate(app.http.URL+boxPath))
	if n := uiEval[int](b, `document.querySelectorAll('#reveal').length`); n != 0 {
		t.Fatal("the reveal form is offered after the grace")
	}
	if h := uiEval[string](b, `document.querySelector('#reveal-enrol h2')?.textContent ?? ''`); h != "Set up your authenticator app to see codes" {
		t.Fatalf("the lockbox page says %q where the reveal was", h)
	}
	b.fits("lockbox, enrol first", 390)
	b.step("follow the link", chromedp.Click(chromedp.CSS(`#reveal-enrol a[href="/account#authenticator"]`)))
	secret := uiEval[string](b, `document.querySelector('input[name=secret]').value`)
	code, _ := auth.TOTPCode(secret, app.env.Clock.Now())
	b.do("type the authenticator's code", chromedp.SendKeys(chromedp.CSS(`form[action="/account/totp"] input[name=code]`), code))
	b.step("enrol", chromedp.Click(chromedp.CSS(`form[action="/account/totp"] button[type=submit]`)))
	if flash := uiEval[string](b, `document.querySelector('.flash')?.textContent ?? ''`); flash != "Authenticator enrolled." {
		t.Fatalf("enrolment: %q", flash)
	}

	b.step("back to the lockbox", chromedp.Navigate(app.http.URL+boxPath))
	b.do("give a reason", chromedp.SendKeys(chromedp.CSS(`#reveal input[name=reason]`), "let the plumber in"))
	b.step("reveal", chromedp.Click(chromedp.CSS(`#reveal button[type=submit]`)))
	if got := uiEval[string](b, `document.querySelector('#code')?.textContent ?? ''`); got != "73915" {
		t.Fatalf("the code shown: %q", got)
	}
	if n := uiEval[int](b, `document.querySelectorAll('#reveal-notice').length`); n != 0 {
		t.Fatal("an enrolled technician is still warned")
	}
	b.fits("lockbox, code shown", 390)
}
