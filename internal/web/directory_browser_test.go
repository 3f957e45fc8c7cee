package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keyward/keyward/internal/keyward"
)

// TestUIBrowserEditRetireRestoreDoor: on a phone, a door is renamed with its
// edit form, retired after the confirmation step, and restored, and no page
// on the way is wider than the screen.
func TestUIBrowserEditRetireRestoreDoor(t *testing.T) {
	s := uiStart(t)
	ctx := context.Background()
	site, err := s.db.Directory().CreateSite(ctx, s.sys, keyward.SiteInput{Name: "Harbour Office"})
	if err != nil {
		t.Fatal(err)
	}
	door, err := s.db.Directory().CreateOpening(ctx, s.sys, keyward.OpeningInput{SiteID: site.ID, Name: "Room 101", Kind: "door"})
	if err != nil {
		t.Fatal(err)
	}
	doorURL := s.URL + "/openings/" + door.ID

	b := newUIBrowser(t, 45*time.Second)
	step, do, text, screenshot := b.step, b.do, b.text, b.screenshot
	do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
	step("open the door page", chromedp.Navigate(doorURL))
	b.signIn(uiOwnerEmail, uiOwnerPassword, doorURL)
	fits := func(where string) {
		t.Helper()
		w, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if w > 390 {
			t.Errorf("%s is %d px wide on a 390 px screen", where, w)
		}
	}
	fits("the door page")
	screenshot("door-page-phone.png")

	do("rename the door",
		chromedp.WaitVisible(chromedp.CSS(`#edit form`)),
		chromedp.SetValue(chromedp.CSS(`#edit input[name=name]`), "Room 101A"))
	step("save", chromedp.Click(chromedp.CSS(`#edit button[type=submit]`)))
	if got := text("p.flash"); !strings.Contains(got, "Saved Room 101A") {
		t.Fatalf("flash after edit: %q", got)
	}
	if got := text("h1"); !strings.Contains(got, "Room 101A") {
		t.Fatalf("heading after edit: %q", got)
	}

	step("ask to retire", chromedp.Click(chromedp.CSS(`#retire a`)))
	fits("the confirmation")
	if got := text("h1"); got != "Retire Room 101A?" {
		t.Fatalf("confirmation heading: %q", got)
	}
	step("confirm", chromedp.Click(chromedp.CSS(`#confirm-retire button[type=submit]`)))
	if got := text("#retired"); !strings.Contains(got, "Retired on 2026-03-02") {
		t.Fatalf("retired notice: %q", got)
	}
	fits("the retired door")
	screenshot("door-retired-phone.png")
	if o, err := s.db.Directory().Opening(ctx, s.sys, door.ID); err != nil || o.RetiredAt == nil {
		t.Fatalf("after the browser's retire: %+v %v", o, err)
	}
	step("restore", chromedp.Click(chromedp.CSS(`#retired button[type=submit]`)))
	if got := text("p.flash"); !strings.Contains(got, "Restored") {
		t.Fatalf("flash after restore: %q", got)
	}
	if o, err := s.db.Directory().Opening(ctx, s.sys, door.ID); err != nil || o.RetiredAt != nil || o.Name != "Room 101A" {
		t.Fatalf("after the browser's restore: %+v %v", o, err)
	}
}
