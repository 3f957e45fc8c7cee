package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keyward/keyward/internal/keyward"
)

// TestUIBrowserFacilityManagersMorning walks a facility manager's morning on
// a phone, in one session: find AA-2 by the stamp printed on it, see the 10
// doors it opens and its hook, check it out to a holder picked by typing
// part of her name among 10,000, edit that holder, merge her duplicate, and
// retire and restore a door.
func TestUIBrowserFacilityManagersMorning(t *testing.T) {
	s := uiStart(t)
	st := s.stock()
	ctx := context.Background()
	d := s.db.Directory()
	var names []string
	for i := 1; i <= 10; i++ {
		names = append(names, fmt.Sprintf("Unit %d", i))
	}
	key, doors := s.keyOnHook(st.keyway.ID, names...)
	// 10,000 holders; she is #9,999.
	const her = "hld_bulk09999"
	tenThousandHolders(t, s.sql, "harbour.test")
	dup, err := d.CreateHolder(ctx, s.sys, keyward.HolderInput{Name: "P. Natarajan", Email: "priya.n@old-mail.test", Kind: "tenant"})
	if err != nil {
		t.Fatal(err)
	}

	b := newUIBrowser(t, 90*time.Second)
	step, do, text, screenshot := b.step, b.do, b.text, b.screenshot
	step("open Keyward", chromedp.Navigate(s.URL+"/"))
	b.signIn(uiOwnerEmail, uiOwnerPassword, s.URL+"/")
	do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))

	// Find AA-2 as printed on the key.
	do("type the stamp as printed", chromedp.SendKeys(chromedp.CSS(`#header-search input[name=q]`), "AA-2"))
	step("search", chromedp.Click(chromedp.CSS(`#header-search button[type=submit]`)))
	if got := text("#search-keys"); !strings.Contains(got, "AA2-1") || !strings.Contains(got, "In Cabinet A, hook 12") {
		t.Fatalf("search results: %q", got)
	}
	step("open the key", chromedp.Click(chromedp.CSS(`#search-keys a.stamp`)))
	opens := text("#key-opens")
	if !strings.Contains(opens, "Opens 10 doors") || !strings.Contains(opens, "Unit 10") {
		t.Fatalf("key page: %q", opens)
	}
	if got := text("#key-where"); got != "In Cabinet A, hook 12" {
		t.Fatalf("where: %q", got)
	}
	screenshot("morning-key-phone.png")

	// Check it out to her, picked by typing part of her name among 10,000.
	do("type part of her name", chromedp.SendKeys(chromedp.CSS(`#checkout input[name=holder_q]`), "natar"))
	step("find the holder", chromedp.Click(chromedp.CSS(`#checkout input[type=submit][value=Find]`)))
	picks := text("#holder-picks")
	if !strings.Contains(picks, "Priya Natarajan") || !strings.Contains(picks, "tenant09999@harbour.test") || !strings.Contains(picks, "priya.n@old-mail.test") {
		t.Fatalf("matches do not tell the two apart: %q", picks)
	}
	do("choose her", chromedp.Click(chromedp.CSS(`#holder-picks input[type=radio][value=`+her+`]`)))
	step("check out", chromedp.Click(chromedp.CSS(`#checkout button[type=submit]`)))
	if got := text("p.flash"); !strings.Contains(got, "Checked out AA2-1 to Priya Natarajan") {
		t.Fatalf("flash after check-out: %q", got)
	}

	// Edit her: a phone number.
	step("open her page", chromedp.Navigate(s.URL+"/holders/"+her))
	do("add her phone", chromedp.SetValue(chromedp.CSS(`#edit input[name=phone]`), "+1 555 0199"))
	step("save", chromedp.Click(chromedp.CSS(`#edit button[type=submit]`)))
	if h, err := d.Holder(ctx, s.sys, her); err != nil || h.Phone != "+1 555 0199" {
		t.Fatalf("after the edit: %+v %v", h, err)
	}

	// Merge her duplicate into her.
	step("open the duplicate's merge page", chromedp.Navigate(s.URL+"/holders/"+dup.ID+"/merge"))
	do("search for her", chromedp.SendKeys(chromedp.CSS(`#merge-search input[name=q]`), "0199"))
	step("search", chromedp.Click(chromedp.CSS(`#merge-search button[type=submit]`)))
	do("pick her", chromedp.Click(chromedp.CSS(`#merge-pick input[type=radio][value=`+her+`]`)))
	step("merge", chromedp.Click(chromedp.CSS(`#merge-pick button[type=submit]`)))
	if got := text("p.flash"); !strings.Contains(got, "Merged into Priya Natarajan") {
		t.Fatalf("flash after merge: %q", got)
	}
	if h, err := d.Holder(ctx, s.sys, dup.ID); err != nil || h.RetiredAt == nil || h.MergedInto != her {
		t.Fatalf("the duplicate after the merge: %+v %v", h, err)
	}
	screenshot("morning-merged-phone.png")

	// Retire a door, then restore it.
	step("open Unit 3", chromedp.Navigate(s.URL+"/openings/"+doors[2].ID))
	step("ask to retire", chromedp.Click(chromedp.CSS(`#retire a`)))
	step("confirm", chromedp.Click(chromedp.CSS(`#confirm-retire button[type=submit]`)))
	if got := text("#retired"); !strings.Contains(got, "Retired on") {
		t.Fatalf("retired notice: %q", got)
	}
	step("restore", chromedp.Click(chromedp.CSS(`#retired button[type=submit]`)))
	if o, err := d.Opening(ctx, s.sys, doors[2].ID); err != nil || o.RetiredAt != nil {
		t.Fatalf("Unit 3 after the restore: %+v %v", o, err)
	}
	if k := s.key(key.ID); k.Status != keyward.StatusCheckedOut || k.HolderID != her {
		t.Fatalf("the key at the end of the morning: %+v", k)
	}
}
