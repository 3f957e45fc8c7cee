package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestUIBrowserInviteManager walks an owner inviting a manager, and the
// manager opening the link, choosing a password and signing in with it, in
// a real Chromium at phone width (390 px) and at desktop width (1280 px).
// Screenshots go to KEYWARD_SCREENSHOTS.
func TestUIBrowserInviteManager(t *testing.T) {
	s := uiStart(t)
	for _, vp := range []struct {
		name string
		set  chromedp.Action[chromedp.Void]
	}{
		{"390", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)},
		{"1280", chromedp.EmulateViewport(1280, 900)},
	} {
		t.Run(vp.name, func(t *testing.T) {
			email := "manager" + vp.name + "@harbour.test"
			const password = "tide tables and lanterns"
			b := newUIBrowser(t, 90*time.Second)
			step, do, text, screenshot := b.step, b.do, b.text, b.screenshot
			step("open Keyward", chromedp.Navigate(s.URL+"/users"))
			do(vp.name+" px viewport", vp.set)
			b.signIn(uiOwnerEmail, uiOwnerPassword, s.URL+"/users")

			// The owner invites a manager; each role is explained where it is chosen.
			roles := text("#role-choice")
			for _, want := range []string{"owner", "manager", "Runs the keys day to day", "auditor", "changes nothing"} {
				if !strings.Contains(roles, want) {
					t.Errorf("the role choice does not say %q:\n%s", want, roles)
				}
			}
			do("fill in the invite",
				chromedp.SendKeys(chromedp.CSS(`#add-user input[name=email]`), email),
				chromedp.SendKeys(chromedp.CSS(`#add-user input[name=name]`), "Rosa Marsh"),
				chromedp.Click(chromedp.CSS(`#add-user input[name=role][value=manager]`)))
			screenshot("invite-form-" + vp.name + ".png")
			do("invite", chromedp.Click(chromedp.CSS(`#add-user button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`#invite-link`)))
			link := strings.TrimSpace(text("#invite-link"))
			if !strings.HasPrefix(link, s.URL+"/invite?token=inv_") {
				t.Fatalf("invite link %q", link)
			}
			if got := text("#invite-created"); !strings.Contains(got, email) || !strings.Contains(got, "send them this link yourself") {
				t.Errorf("invite notice: %q", got)
			}
			screenshot("invite-link-" + vp.name + ".png")
			if vp.name == "390" { // on a phone, Sign out sits in the folded menu
				do("open the menu", chromedp.Focus(chromedp.CSS(`#menu > summary`)), chromedp.KeyEvent(kb.Enter))
			}
			step("sign out", chromedp.Click(chromedp.CSS(`form[action="/logout"] button[type=submit]`)))

			// The manager opens the link and chooses a password.
			step("open the invite link", chromedp.Navigate(link))
			if got := text("main"); !strings.Contains(got, "Welcome, Rosa Marsh") || !strings.Contains(got, "manager") {
				t.Errorf("invite page: %q", got)
			}
			do("choose a password",
				chromedp.SendKeys(chromedp.CSS(`#invite-form input[name=password]`), password),
				chromedp.SendKeys(chromedp.CSS(`#invite-form input[name=confirm]`), password))
			screenshot("invite-accept-" + vp.name + ".png")
			step("set the password", chromedp.Click(chromedp.CSS(`#invite-form button[type=submit]`)))
			if got := text("p.flash"); !strings.Contains(got, "Your password is set") {
				t.Errorf("after setting the password: %q", got)
			}
			var typed string
			if v, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(`input[name=email]`))); err == nil {
				typed = v
			}
			if typed != email {
				t.Errorf("the sign-in form holds %q, want the invited email", typed)
			}

			// And signs in with their own password.
			do("type the password", chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password))
			step("sign in", chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))
			if loc, _ := chromedp.Run(b.ctx, chromedp.Location()); loc != s.URL+"/" {
				t.Fatalf("after sign-in at %s", loc)
			}
			if vp.name == "390" { // the links are in the folded menu
				do("open the menu", chromedp.Focus(chromedp.CSS(`#menu > summary`)), chromedp.KeyEvent(kb.Enter))
			}
			if got := text("header.top nav"); !strings.Contains(got, email) || !strings.Contains(got, "Import") {
				t.Errorf("the manager's navigation: %q", got)
			}
			if got := text("#getting-started"); !strings.Contains(got, "Add a site") {
				t.Errorf("the manager's dashboard has no getting-started list: %q", got)
			}
			screenshot("invite-signed-in-" + vp.name + ".png")
			if n := s.sql.MustCount(t, `SELECT COUNT(*) FROM user_invites i JOIN users u ON u.id = i.user_id WHERE u.email = ? AND i.used_at IS NOT NULL`, email); n != 1 {
				t.Fatalf("%d used invites for %s", n, email)
			}
		})
	}
}
