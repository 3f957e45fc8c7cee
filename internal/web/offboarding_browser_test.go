package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keyward/keyward/internal/keyward"
)

// TestUIBrowserOffboarding drives a real headless Chromium from a key tag's
// URL (/keys/{id}): sign in, check the key out to a holder, then offboard that
// holder — start, check the key back in from the offboarding page, clear — and
// end at an empty outstanding list.
func TestUIBrowserOffboarding(t *testing.T) {
	s := uiStart(t)
	st := s.stock()
	keyURL := s.URL + "/keys/" + st.key.ID

	b := newUIBrowser(t, 60*time.Second)
	step, do, text, screenshot := b.step, b.do, b.text, b.screenshot

	// The key tag's QR code leads here: sign in, then back to the key.
	step("open the key page", chromedp.Navigate(keyURL))
	b.signIn(uiOwnerEmail, uiOwnerPassword, keyURL)
	do("fill in the check-out form",
		chromedp.WaitVisible(chromedp.CSS(`#checkout`)),
		chromedp.SetValue(chromedp.CSS(`#checkout select[name=holder_id]`), st.holder.ID))
	step("check out", chromedp.Click(chromedp.CSS(`#checkout button[type=submit]`)))
	if k := s.key(st.key.ID); k.Status != keyward.StatusCheckedOut || k.HolderID != st.holder.ID {
		t.Fatalf("after the browser's check-out: %+v", k)
	}

	// This person is leaving.
	step("open offboarding", chromedp.Navigate(s.URL+"/offboardings"))
	do("choose the holder", chromedp.SetValue(chromedp.CSS(`#start-offboarding select[name=holder_id]`), st.holder.ID))
	step("start offboarding", chromedp.Click(chromedp.CSS(`#start-offboarding button[type=submit]`)))
	if got := text("#outstanding-count"); got != "1" {
		t.Fatalf("outstanding after start: %q", got)
	}
	if got := text("#held-keys"); !strings.Contains(got, "AA1-1") {
		t.Fatalf("held keys: %q", got)
	}
	screenshot("offboarding-open.png")
	step("dashboard", chromedp.Navigate(s.URL+"/"))
	if got := text("#offboardings"); !strings.Contains(got, "Dana Ruiz") {
		t.Fatalf("the dashboard does not show the open offboarding: %q", got)
	}
	step("back to the offboarding", chromedp.Click(chromedp.CSS(`#offboardings a`)))
	step("check the key in", chromedp.Click(chromedp.CSS(`#item-`+st.key.ID+` button[type=submit]`)))
	if got := text("p.flash"); !strings.Contains(got, "Collected key AA1-1") {
		t.Fatalf("flash after collecting: %q", got)
	}
	if got := text("#outstanding-count"); got != "0" {
		t.Fatalf("outstanding after collecting: %q", got)
	}
	if k := s.key(st.key.ID); k.Status != keyward.StatusInStorage {
		t.Fatalf("after collecting: %+v", k)
	}
	step("clear", chromedp.Click(chromedp.CSS(`#clear button[type=submit]`)))
	if got := text("#none-outstanding"); !strings.Contains(got, "Nobody is being offboarded") {
		t.Fatalf("outstanding list after clearing: %q", got)
	}
	screenshot("offboarding-cleared.png")
}
