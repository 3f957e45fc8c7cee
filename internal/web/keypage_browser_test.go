package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keyward/keyward/internal/keyward"
)

// TestUIBrowserFindKeyAndCheckOut walks the facility manager's morning in a
// real Chromium: search AA-2 as printed on the key in the header's box, open
// the key, see the doors it opens and its hook, and check it out to a holder
// found by typing part of her name (no JavaScript involved).
func TestUIBrowserFindKeyAndCheckOut(t *testing.T) {
	s := uiStart(t)
	st := s.stock()
	ctx := context.Background()
	d := s.db.Directory()
	key, _ := s.keyOnHook(st.keyway.ID, "Unit 1", "Unit 2", "Unit 10")
	for _, h := range []keyward.HolderInput{{Name: "Priya Natarajan", Email: "priya@harbour.test", Kind: "staff"}, {Name: "Priya Shah", Email: "shah@harbour.test", Kind: "staff"}} {
		if _, err := d.CreateHolder(ctx, s.sys, h); err != nil {
			t.Fatal(err)
		}
	}

	b := newUIBrowser(t, 60*time.Second)
	step, do, text, screenshot := b.step, b.do, b.text, b.screenshot
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	step("open Keyward", chromedp.Navigate(s.URL+"/keys"))
	b.signIn(uiOwnerEmail, uiOwnerPassword, s.URL+"/keys")
	do("phone viewport", phone)

	do("type the stamp as printed", chromedp.SendKeys(chromedp.CSS(`#header-search input[name=q]`), "AA-2"))
	step("search", chromedp.Click(chromedp.CSS(`#header-search button[type=submit]`)))
	if got := text("#search-keys"); !strings.Contains(got, "AA2-1") || !strings.Contains(got, "In Cabinet A, hook 12") {
		t.Fatalf("search results: %q", got)
	}
	screenshot("search-aa-2-phone.png")
	step("open the key", chromedp.Click(chromedp.CSS(`#search-keys a.stamp`)))
	opens := text("#key-opens")
	for _, want := range []string{"Opens 3 doors", "Harbour Point", "Unit 1", "Unit 2", "Unit 10"} {
		if !strings.Contains(opens, want) {
			t.Errorf("key page does not show %q: %q", want, opens)
		}
	}
	if strings.Index(opens, "Unit 2") > strings.Index(opens, "Unit 10") {
		t.Errorf("doors not in natural order: %q", opens)
	}
	if got := text("#key-where"); got != "In Cabinet A, hook 12" {
		t.Errorf("where: %q", got)
	}
	screenshot("key-opens-phone.png")

	do("type part of her name", chromedp.SendKeys(chromedp.CSS(`#checkout input[name=holder_q]`), "natar"))
	step("find the holder", chromedp.Click(chromedp.CSS(`#checkout input[type=submit][value=Find]`)))
	if got := text("#holder-picks"); !strings.Contains(got, "Priya Natarajan") || !strings.Contains(got, "priya@harbour.test") || strings.Contains(got, "Shah") {
		t.Fatalf("matches: %q", got)
	}
	screenshot("holder-picks-phone.png")
	do("choose her", chromedp.Click(chromedp.CSS(`#holder-picks input[type=radio]`)))
	step("check out", chromedp.Click(chromedp.CSS(`#checkout button[type=submit]`)))
	if got := text("p.flash"); !strings.Contains(got, "Checked out AA2-1 to Priya Natarajan") {
		t.Fatalf("flash after check-out: %q", got)
	}
	if got := text("#key-where"); !strings.HasPrefix(got, "With Priya Natarajan, due back ") {
		t.Errorf("where after check-out: %q", got)
	}
	if k := s.key(key.ID); k.Status != keyward.StatusCheckedOut {
		t.Fatalf("after the browser's check-out: %+v", k)
	}
	screenshot("key-checked-out-phone.png")
}

// keyOnHook makes key AA2-1 of keyway, scheduled for the named doors of site
// Harbour Point, on hook 12 of Cabinet A; it returns the key and the doors.
func (s *uiServer) keyOnHook(keyway string, doorNames ...string) (*keyward.Key, []*keyward.Opening) {
	t, ctx, d := s.t, context.Background(), s.db.Directory()
	t.Helper()
	key, err := s.db.Custody().CreateKey(ctx, s.sys, keyward.KeyInput{KeywayID: keyway, Symbol: "AA2"})
	if err != nil {
		t.Fatal(err)
	}
	site, err := d.CreateSite(ctx, s.sys, keyward.SiteInput{Name: "Harbour Point"})
	if err != nil {
		t.Fatal(err)
	}
	var doors []*keyward.Opening
	for _, name := range doorNames {
		o, err := d.CreateOpening(ctx, s.sys, keyward.OpeningInput{SiteID: site.ID, Name: name, Kind: "door"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.db.Schedule().AddSymbol(ctx, s.sys, o.ID, keyward.SymbolInput{Symbol: "AA2"}); err != nil {
			t.Fatal(err)
		}
		doors = append(doors, o)
	}
	cab, err := s.db.Storage(nil).Create(ctx, s.sys, keyward.StorageInput{Kind: keyward.StorageCabinet, Name: "Cabinet A", Hooks: 20})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Storage(nil).Assign(ctx, s.sys, cab.ID, keyward.HookInput{KeyID: key.ID, Hook: 12}); err != nil {
		t.Fatal(err)
	}
	return key, doors
}
