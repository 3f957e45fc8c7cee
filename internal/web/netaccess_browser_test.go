package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestUIBrowserNetworkKeys builds, in a real Chromium and only through the
// pages, a master with a backup and two sub keys, and a second master that
// grants the first one its yard gate; the master's tree shows each key with
// the locks it opens and why, and the backup is denied the granted lock with
// the reason. A refused change says why in words. The pages fit a phone.
func TestUIBrowserNetworkKeys(t *testing.T) {
	s := uiStart(t)
	b := newUIBrowser(t, 300*time.Second)
	step, do, text := b.step, b.do, b.text

	step("open network keys", chromedp.Navigate(s.URL+"/access"))
	b.signIn(uiOwnerEmail, uiOwnerPassword, s.URL+"/access")
	do("desktop", chromedp.EmulateViewport(1280, 900))
	add := func(form, name string) {
		t.Helper()
		do("name "+name, chromedp.SendKeys(chromedp.CSS(form+` input[name=name]`), name))
		step("add "+name, chromedp.Click(chromedp.CSS(form+` button[type=submit]`)))
	}
	// choose picks the option of a select by the words on it.
	choose := func(css, label string) {
		t.Helper()
		do("choose "+label, chromedp.Evaluate[chromedp.Void](`(() => {
			const s = document.querySelector(`+"`"+css+"`"+`);
			const o = Array.from(s.options).find(o => o.text === `+"`"+label+"`"+`);
			if (!o) throw new Error('no option');
			s.value = o.value;
		})()`))
	}
	tick := func(form, label string) {
		t.Helper()
		do("tick "+label, chromedp.Evaluate[chromedp.Void](`(() => {
			const l = Array.from(document.querySelectorAll(`+"`"+form+` label`+"`"+`)).find(l => l.textContent.trim() === `+"`"+label+"`"+`);
			l.querySelector('input').checked = true;
		})()`))
	}
	open := func(name string) {
		t.Helper()
		step("all network keys", chromedp.Navigate(s.URL+"/access"))
		step("open "+name, chromedp.Click(`//a[normalize-space(text())="`+name+`"]`))
		if got := text("h1"); got != name {
			t.Fatalf("opened %q, want %s", got, name)
		}
	}

	add("#new-master", "Main office")
	if got := text("p.flash"); !strings.Contains(got, "Added the master key") {
		t.Fatalf("flash: %q", got)
	}
	add("#new-master", "Warehouse")
	add("#new-lock", "Front door")
	add("#new-lock", "Yard gate")
	if got := text("#masters"); !strings.Contains(got, "Only one key can manage this group") {
		t.Errorf("a master without a backup is not flagged: %q", got)
	}

	open("Warehouse")
	choose("#serialize select[name=lock]", "Yard gate")
	step("serialize the yard gate", chromedp.Click(chromedp.CSS(`#serialize button[type=submit]`)))

	open("Main office")
	choose("#serialize select[name=lock]", "Front door")
	step("serialize the front door", chromedp.Click(chromedp.CSS(`#serialize button[type=submit]`)))
	add("#add-backup", "Office backup")
	for _, sub := range []string{"Cleaner", "Guard"} {
		tick("#add-sub", "Front door")
		add("#add-sub", sub)
	}

	open("Warehouse")
	choose("#grant select[name=locks]", "Yard gate")
	choose("#grant select[name=to]", "Main office")
	step("grant the yard gate to Main office", chromedp.Click(chromedp.CSS(`#grant button[type=submit]`)))

	open("Main office")
	tree := text("#tree")
	for _, want := range []string{
		"Master: Main office", "Backup: Office backup", "Sub key: Cleaner", "Sub key: Guard",
		"granted lock Yard gate by master Warehouse, which owns it",
		"backup of master Main office, which owns lock Front door",
		"granted lock Front door by master Main office, which owns it",
	} {
		if !strings.Contains(tree, want) {
			t.Errorf("the tree lacks %q:\n%s", want, tree)
		}
	}
	if strings.Contains(tree, "Only one key") {
		t.Error("a group with a backup is flagged")
	}

	open("Main office")
	step("open its backup from the tree", chromedp.Click(`//a[normalize-space(text())="Office backup"]`))
	if got := text("h1"); got != "Office backup" {
		t.Fatalf("opened %q", got)
	}
	choose("#check select[name=lock]", "Yard gate")
	step("can the backup open the yard gate?", chromedp.Click(chromedp.CSS(`#check button[type=submit]`)))
	if got := text("#check-answer"); got != "No: master Warehouse granted lock Yard gate to master Main office only: a grant to a master is not copied to its backups." {
		t.Errorf("the backup's answer: %q", got)
	}
	if got := text("#opens"); strings.Contains(got, "Yard gate") || !strings.Contains(got, "Front door") {
		t.Errorf("the backup opens: %q", got)
	}

	// The backup cannot pass the granted lock on either: refused in words.
	choose("#grant select[name=locks]", "Yard gate")
	choose("#grant select[name=to]", "Cleaner")
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(`#grant button[type=submit]`)))
	if err != nil || resp.Status != 422 {
		t.Fatalf("granting a lock of another group: %v %+v", err, resp)
	}
	if got := text("p.error"); !strings.Contains(got, "Lock “Yard gate” does not belong to this master's group") {
		t.Errorf("the refusal: %q", got)
	}
	b.screenshot("network-backup-refused-1280.png")

	// A phone: the master's page fits.
	do("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
	open("Main office")
	b.fits("master's page", 390)
	b.screenshot("network-master-390.png")
	step("overview", chromedp.Navigate(s.URL+"/access"))
	b.fits("network keys", 390)
}
