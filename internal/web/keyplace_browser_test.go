package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keyward/keyward/internal/keyward"
)

// TestUIBrowserKeyPlace gives keys a storage place from their own pages in a
// real Chromium: one on a cabinet hook chosen from the free ones (desktop),
// one into a sealed envelope with its new seal (phone), and sees the refusal
// for an issued key, both as the sentence that replaces the form and as the
// answer to a form sent after someone else issued the key.
func TestUIBrowserKeyPlace(t *testing.T) {
	s := uiStart(t)
	st := s.stock()
	ctx := context.Background()
	site, err := s.db.Directory().CreateSite(ctx, s.sys, keyward.SiteInput{Name: "Harbour Point"})
	if err != nil {
		t.Fatal(err)
	}
	stg := s.db.Storage(nil)
	cab, err := stg.Create(ctx, s.sys, keyward.StorageInput{Kind: keyward.StorageCabinet, Name: "Cabinet A", Hooks: 20, SiteID: site.ID})
	if err != nil {
		t.Fatal(err)
	}
	env, err := stg.Create(ctx, s.sys, keyward.StorageInput{Kind: keyward.StorageEnvelope, Name: "Spare keys", SealNumber: "4471"})
	if err != nil {
		t.Fatal(err)
	}
	newKey := func(symbol string) *keyward.Key {
		k, err := s.db.Custody().CreateKey(ctx, s.sys, keyward.KeyInput{KeywayID: st.keyway.ID, Symbol: symbol})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	spare, issued, late := newKey("AA3"), newKey("AA4"), newKey("AA5")
	if _, err := s.db.Custody().Move(ctx, s.sys, issued.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: st.holder.ID}); err != nil {
		t.Fatal(err)
	}

	b := newUIBrowser(t, 60*time.Second)
	step, do, text, screenshot := b.step, b.do, b.text, b.screenshot
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
	keyURL := s.URL + "/keys/" + st.key.ID
	do("desktop viewport", chromedp.EmulateViewport(1280, 900))
	step("open the key", chromedp.Navigate(keyURL))
	b.signIn(uiOwnerEmail, uiOwnerPassword, keyURL)

	// On a hook: the cabinet chosen by name, then a free hook.
	if got := text("#place-home"); !strings.Contains(got, "No storage place yet") {
		t.Fatalf("a key without a place: %q", got)
	}
	do("choose the cabinet", chromedp.SetValue(chromedp.CSS(`#place-choose select[name=place]`), cab.ID))
	step("next", chromedp.Click(chromedp.CSS(`#place-choose button[type=submit]`)))
	if got := text("#place-chosen"); got != "Cabinet A" {
		t.Fatalf("chosen: %q", got)
	}
	screenshot("key-place-hook-desktop.png")
	fits("the hook step", 1280)
	do("choose hook 7", chromedp.SetValue(chromedp.CSS(`#place-form select[name=hook]`), "7"))
	step("hang it", chromedp.Click(chromedp.CSS(`#place-form button[type=submit]`)))
	if got := text("p.flash"); got != "Hangs on hook 7 of Cabinet A from now on." {
		t.Fatalf("flash: %q", got)
	}
	if got := text("#key-where"); got != "In Cabinet A, hook 7" {
		t.Fatalf("where: %q", got)
	}
	if h, _ := stg.KeyHome(ctx, s.sys, st.key.ID); h == nil || h.StorageID != cab.ID || h.Hook != 7 {
		t.Fatalf("home after the browser: %+v", h)
	}

	// Into the sealed envelope, on a phone: the new seal and why it was opened.
	do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
	step("open the spare", chromedp.Navigate(s.URL+"/keys/"+spare.ID))
	fits("the key page", 390)
	do("choose the envelope", chromedp.SetValue(chromedp.CSS(`#place-choose select[name=place]`), env.ID))
	step("next", chromedp.Click(chromedp.CSS(`#place-choose button[type=submit]`)))
	if got := text("#place-seal-words"); !strings.Contains(got, "Putting AA3-1 in Spare keys breaks its seal 4471") {
		t.Fatalf("the envelope step: %q", got)
	}
	do("fill in the new seal",
		chromedp.SendKeys(chromedp.CSS(`#place-form input[name=new_seal_number]`), "4472"),
		chromedp.SendKeys(chromedp.CSS(`#place-form input[name=reason]`), "spare for unit 4"))
	screenshot("key-place-envelope-phone.png")
	fits("the envelope step", 390)
	step("seal it in", chromedp.Click(chromedp.CSS(`#place-form button[type=submit]`)))
	if got := text("#key-where"); got != "In sealed envelope #4472 (Spare keys)" {
		t.Fatalf("where: %q", got)
	}
	if p, _ := stg.Place(ctx, s.sys, env.ID); p.SealNumber != "4472" || len(p.Keys) != 1 || p.Keys[0].KeyID != spare.ID {
		t.Fatalf("the envelope after the browser: %+v", p)
	}

	// An issued key: the form gives way to what to do first.
	step("open the issued key", chromedp.Navigate(s.URL+"/keys/"+issued.ID))
	if got := text("#place-blocked"); got != "Key AA4-1 is issued to Dana Ruiz: return it to storage before you give it a storage place." {
		t.Fatalf("issued key: %q", got)
	}
	if n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('#place-choose, #place-form').length`)); err != nil || n != 0 {
		t.Fatalf("an issued key is offered a place (%d, %v)", n, err)
	}
	screenshot("key-place-issued-phone.png")

	// A form sent after someone else issued the key is refused, and nothing changes.
	step("open the last key", chromedp.Navigate(s.URL+"/keys/"+late.ID))
	do("choose the cabinet", chromedp.SetValue(chromedp.CSS(`#place-choose select[name=place]`), cab.ID))
	step("next", chromedp.Click(chromedp.CSS(`#place-choose button[type=submit]`)))
	if _, err := s.db.Custody().Move(ctx, s.sys, late.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: st.holder2.ID}); err != nil {
		t.Fatal(err)
	}
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(`#place-form button[type=submit]`)))
	if err != nil || resp.Status != http.StatusConflict {
		t.Fatalf("the refused form: %v %v", resp, err)
	}
	if got := text("p.error"); got != "Key AA5-1 is issued to Sam Okafor: return it to storage before you hang it on a hook." {
		t.Fatalf("refusal: %q", got)
	}
	if got := text("#place-blocked"); !strings.Contains(got, "return it to storage before you give it a storage place") {
		t.Fatalf("after the refusal: %q", got)
	}
	screenshot("key-place-refused-phone.png")
	if h, _ := stg.KeyHome(ctx, s.sys, late.ID); h != nil {
		t.Fatalf("the refused key got a home: %+v", h)
	}
}
