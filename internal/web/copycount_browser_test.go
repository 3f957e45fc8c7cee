package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keyward/keyward/internal/keyward"
)

// TestUIBrowserCopies walks copy accounting in a real Chromium, as a
// landlord would, at 390 and at 1280 px: from a key's page to how many
// copies of it exist and where each one is, then a copy found on an old
// tenant's ring recorded with the form, which shows at once the doors it
// opens and leads to the lost-key next step, the work list; the Copies page
// then marks the copy in red. No page is wider than the screen. Screenshots
// go to KEYWARD_SCREENSHOTS when it is set.
func TestUIBrowserCopies(t *testing.T) {
	s := uiStart(t)
	st := s.stock()
	ctx, c := context.Background(), s.db.Custody()
	for _, holder := range []string{st.holder.ID, st.holder2.ID} {
		k, err := c.CreateKey(ctx, s.sys, keyward.KeyInput{KeywayID: st.keyway.ID, Symbol: "AA1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Move(ctx, s.sys, k.ID, keyward.CustodyIssue, keyward.CustodyInput{HolderID: holder}); err != nil {
			t.Fatal(err)
		}
	}
	lost, err := c.CreateKey(ctx, s.sys, keyward.KeyInput{KeywayID: st.keyway.ID, Symbol: "AA1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Move(ctx, s.sys, lost.ID, keyward.CustodyLost, keyward.CustodyInput{Note: "dropped in the lift"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateKey(ctx, s.sys, keyward.KeyInput{KeywayID: st.keyway.ID, Symbol: "AA2"}); err != nil {
		t.Fatal(err)
	}
	site, _ := s.db.Directory().CreateSite(ctx, s.sys, keyward.SiteInput{Name: "Harbour House"})
	for _, name := range []string{"Flat 2", "Bike store"} {
		door, _ := s.db.Directory().CreateOpening(ctx, s.sys, keyward.OpeningInput{SiteID: site.ID, Name: name, Kind: "door"})
		if _, err := s.db.Schedule().AddSymbol(ctx, s.sys, door.ID, keyward.SymbolInput{Symbol: "AA1"}); err != nil {
			t.Fatal(err)
		}
	}

	b := newUIBrowser(t, 120*time.Second)
	step, do, text, screenshot := b.step, b.do, b.text, b.screenshot
	desktop := chromedp.EmulateViewport(1280, 900)
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	fits := func(where string, width int) {
		t.Helper()
		w, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)`))
		if err != nil {
			t.Fatal(err)
		}
		if w > width {
			t.Errorf("%s is %d px wide on a %d px screen", where, w, width)
		}
	}
	// both checks the page at both widths and saves a screenshot of each.
	both := func(name string) {
		t.Helper()
		fits(name, 1280)
		screenshot("copies-" + name + "-1280.png")
		do("phone viewport", phone)
		fits(name, 390)
		screenshot("copies-" + name + "-390.png")
		do("desktop viewport", desktop)
	}

	keyURL := s.URL + "/keys/" + st.key.ID
	step("open the key", chromedp.Navigate(keyURL))
	b.signIn(uiOwnerEmail, uiOwnerPassword, keyURL)
	do("desktop viewport", desktop)
	if got := text("#key-copies"); !strings.Contains(got, "4 copies of this key exist") {
		t.Fatalf("key page: %q", got)
	}
	step("see the copies", chromedp.Click(chromedp.CSS(`#key-copies a`)))
	if got := text("#copy-summary"); !strings.Contains(got, "4 copies under control: 1 in storage, 2 issued, 1 lost.") {
		t.Fatalf("summary: %q", got)
	}
	where := text("#copy-list")
	for _, want := range []string{"With Dana Ruiz (issued to them)", "With Sam Okafor (issued to them)", "Lost on Mon 2 Mar 2026", "In storage, no place recorded"} {
		if !strings.Contains(where, want) {
			t.Errorf("where the copies are lacks %q: %q", want, where)
		}
	}
	both("symbol")

	// The form: an empty place is refused beside the field, then recorded.
	do("say we have it", chromedp.Click(chromedp.CSS(`#record-uncontrolled input[name=in_hand]`)))
	do("a note", chromedp.SendKeys(chromedp.CSS(`#record-uncontrolled textarea[name=note]`), "cut at a kiosk"))
	do("skip the required place", chromedp.Evaluate[chromedp.Void](`document.querySelector('#record-uncontrolled input[name=where]').removeAttribute('required')`))
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(`#record-uncontrolled button[type=submit]`)))
	if err != nil || resp.Status != 400 {
		t.Fatalf("empty place: %v %+v", err, resp)
	}
	if got := text("#record-uncontrolled .field-error"); !strings.Contains(got, "required") {
		t.Fatalf("the error beside the place: %q", got)
	}
	both("form-refused")
	do("where it was found", chromedp.SendKeys(chromedp.CSS(`#record-uncontrolled input[name=where]`), "on the old tenant's key ring, flat 2"))
	step("record the copy", chromedp.Click(chromedp.CSS(`#record-uncontrolled button[type=submit]`)))
	if got := text("p.flash"); !strings.Contains(got, "Recorded a copy of AA1 we never made. Whoever has it can open 2 doors") {
		t.Fatalf("flash: %q", got)
	}
	card := text("#lost-key")
	for _, want := range []string{"Whoever has a copy we never made can open 2 doors", "Flat 2", "Bike store", "Make a work list: rekey or replace these doors"} {
		if !strings.Contains(card, want) {
			t.Errorf("exposure lacks %q: %q", want, card)
		}
	}
	if got := text("#uncontrolled"); !strings.Contains(got, "on the old tenant's key ring, flat 2") || !strings.Contains(got, "We have it now") || !strings.Contains(got, "cut at a kiosk") {
		t.Errorf("the copy found: %q", got)
	}
	color, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('#uncontrolled strong.uncontrolled')).color`))
	if err != nil || color != "rgb(179, 38, 30)" {
		t.Errorf("a copy we never made is not in red: %q %v", color, err)
	}
	both("recorded")

	step("make the work list", chromedp.Click(chromedp.CSS(`#start-work-list button[type=submit]`)))
	if got := text("h1"); !strings.Contains(got, "copy of AA1 we never made") {
		t.Fatalf("work list heading: %q", got)
	}
	if got := text("#work-items"); !strings.Contains(got, "Flat 2") || !strings.Contains(got, "Bike store") {
		t.Fatalf("work list: %q", got)
	}
	both("work-list")
	step("back to the copies of AA1", chromedp.Click(chromedp.CSS(`#work-list-cause`)))
	if got := text("#lost-next"); !strings.Contains(got, "A work list for these doors is under way") {
		t.Errorf("next step with the list open: %q", got)
	}

	step("every copy", chromedp.Click(chromedp.CSS(`#back-to-copies`)))
	step("every keyway", chromedp.Click(chromedp.CSS(`#all-copies`)))
	list := text("#copies-" + st.keyway.ID)
	for _, want := range []string{"AA1 4 copies (1 in storage, 2 issued, 1 lost) · 1 copy we never made", "AA2 1 copy (1 in storage)"} {
		if !strings.Contains(list, want) {
			t.Errorf("copies page lacks %q: %q", want, list)
		}
	}
	both("list")
}
