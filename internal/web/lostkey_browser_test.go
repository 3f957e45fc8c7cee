package web_test

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestUIBrowserLostKey walks a lost key end to end in a real Chromium, as a
// landlord would: (a) a lost master key, from the report on its key page to
// its doors, the rekey plan, the locksmith's work order (a PDF naming the
// doors), and every step marked done with confirmation and the new keys of
// the replaced cylinders, until the plan closes with no door left without
// keys; (b) a lost key outside any key system, from the report to its doors,
// its work list and the doors done with their new keys. Screenshots at 390
// and 1280 px go to KEYWARD_SCREENSHOTS when it is set.
func TestUIBrowserLostKey(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	f := newLostFixture(t, app)

	b := newUIBrowser(t, 150*time.Second)
	ctx, step, do, text, screenshot := b.ctx, b.step, b.do, b.text, b.screenshot
	desktop := chromedp.EmulateViewport(1280, 900)
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	both := func(name string) {
		t.Helper()
		screenshot(name + "-1280.png")
		do("phone viewport", phone)
		screenshot(name + "-390.png")
		do("desktop viewport", desktop)
	}
	count := func(css string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(css)+`).length`))
		if err != nil {
			t.Fatalf("count %s: %v", css, err)
		}
		return n
	}
	// workOrder fetches the page's work order link with the browser's session
	// and returns the PDF's text.
	workOrder := func() string {
		t.Helper()
		type pdf struct {
			Status int    `json:"status"`
			Type   string `json:"type"`
			B64    string `json:"b64"`
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[pdf](`fetch(document.querySelector('#work-order').href).then(async r => {
			const b = new Uint8Array(await r.arrayBuffer()); let s = '';
			for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
			return {status: r.status, type: r.headers.get('content-type'), b64: btoa(s)};
		})`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("fetch the work order: %v", err)
		}
		raw, err := base64.StdEncoding.DecodeString(got.B64)
		if err != nil || got.Status != 200 || got.Type != "application/pdf" || !strings.HasPrefix(string(raw), "%PDF-") {
			t.Fatalf("work order: %d %s %v %.20q", got.Status, got.Type, err, raw)
		}
		return strings.Join(strings.Fields(pdfText(t, raw)), " ")
	}
	reportLost := func(note string) {
		t.Helper()
		do("open the actions", chromedp.Click(chromedp.CSS(`details.more > summary`)))
		do("say what happened", chromedp.SendKeys(chromedp.CSS(`#lost textarea[name=note]`), note))
		step("report lost", chromedp.Click(chromedp.CSS(`#lost button[type=submit]`)))
	}
	// markAllDone marks every open step done through its confirm page,
	// typing newKey(n) where the step asks for the keys that open the door now.
	shotConfirm := true
	markAllDone := func(newKey func(n int) string, method string) {
		t.Helper()
		for n := 1; count(`a.mark-done`) > 0; n++ {
			if n > 10 {
				t.Fatal("the steps never run out")
			}
			step("open the next step", chromedp.Click(chromedp.CSS(`a.mark-done`)))
			if text("h1") != "Mark done?" {
				t.Fatalf("confirm page: %q", text("h1"))
			}
			if count(`#done-form input[name=method]`) > 0 {
				do("say how", chromedp.Click(chromedp.CSS(`#done-form input[name=method][value=`+method+`]`)))
			}
			if count(`#done-form input[name=new_keys]`) > 0 {
				if shotConfirm {
					both("lost-key-confirm-new-keys")
					shotConfirm = false
				}
				do("type the new key", chromedp.SendKeys(chromedp.CSS(`#done-form input[name=new_keys]`), newKey(n)))
			}
			do("confirm", chromedp.Click(chromedp.CSS(`#done-form input[name=confirm]`)))
			step("mark done", chromedp.Click(chromedp.CSS(`#done-form button[type=submit]`)))
		}
	}

	// (a) A lost master key.
	keyURL := app.http.URL + "/keys/" + f.master
	step("open the master key", chromedp.Navigate(keyURL))
	b.signIn("owner@acme.test", "correct horse battery", keyURL)
	do("desktop viewport", desktop)
	reportLost("lost at the bins")
	if got := text("p.flash"); !strings.Contains(got, "AA-1 reported lost") {
		t.Fatalf("flash: %q", got)
	}
	card := text("#lost-key")
	for _, want := range []string{"Whoever finds this key can open 3 doors", "Made to open", "Lobby", "Office 1", "Office 2", "HQ system"} {
		if !strings.Contains(card, want) {
			t.Errorf("lost key card lacks %q: %q", want, card)
		}
	}
	if strings.Contains(card, "Office 3") || strings.Contains(card, "Storage") {
		t.Errorf("the card lists doors the master does not open: %q", card)
	}
	both("lost-key-master")

	step("start the rekey plan", chromedp.Click(chromedp.CSS(`#start-plan button[type=submit]`)))
	steps := text("#plan-steps")
	for _, want := range []string{"Cut 1 new master key AD", "Rekey the cylinder at Lobby so that AD opens it", "Replace the cylinder at Office 1", "Replace the cylinder at Office 2", "Hand out the new AD keys"} {
		if !strings.Contains(steps, want) {
			t.Errorf("plan lacks %q:\n%s", want, steps)
		}
	}
	if strings.Contains(steps, "replace_cylinder") || strings.Contains(steps, "key list holds") {
		t.Errorf("the plan speaks in rule names:\n%s", steps)
	}
	both("lost-key-plan")
	order := workOrder()
	for _, want := range []string{"Work order", "Acme Property", "Lobby", "Office 1", "Office 2", "Signature"} {
		if !strings.Contains(order, want) {
			t.Errorf("work order lacks %q: %s", want, order)
		}
	}
	if strings.Contains(order, "555555") || strings.Contains(order, "155555") {
		t.Error("the work order shows a bitting")
	}

	markAllDone(func(n int) string { return "OF" + strconv.Itoa(n) }, "")
	if got := text("#plan-status"); got != "finished" {
		t.Fatalf("plan status: %q", got)
	}
	if got := text("#plan-result"); !strings.Contains(got, "the lost key opens nothing now") {
		t.Fatalf("plan result: %q", got)
	}
	both("lost-key-plan-done")
	// No door the master opened is left without keys, and none opens with AA.
	for _, door := range []string{"Lobby", "Office 1", "Office 2"} {
		var acc keyward.OpeningAccess
		app.call(keyward.RoleOwner, "GET", "/api/v1/openings/"+f.doors[door]+"/access", nil, &acc)
		if len(acc.Operating) == 0 || slices.ContainsFunc(acc.Operating, func(o keyward.OperatingSymbol) bool { return o.Symbol == "AA" }) {
			t.Errorf("%s after the plan opens with %+v", door, acc.Operating)
		}
	}
	var acc keyward.OpeningAccess
	if app.call(keyward.RoleOwner, "GET", "/api/v1/openings/"+f.doors["Office 1"]+"/access", nil, &acc); len(acc.Symbols) != 1 || !strings.HasPrefix(acc.Symbols[0], "OF") {
		t.Errorf("Office 1's new cylinder is not on record: %+v", acc.Symbols)
	}
	step("back to the key", chromedp.Navigate(keyURL))
	if got := text("#lost-next"); !strings.Contains(got, "finished") {
		t.Errorf("next step after the plan: %q", got)
	}

	// (b) A lost key outside any key system.
	keyURL = app.http.URL + "/keys/" + f.unit4
	step("open key U4", chromedp.Navigate(keyURL))
	reportLost("tenant moved out without returning it")
	card = text("#lost-key")
	for _, want := range []string{"Whoever finds this key can open 2 doors", "Unit 4", "Unit 5", "Make a work list: rekey or replace these doors"} {
		if !strings.Contains(card, want) {
			t.Errorf("lost key card lacks %q: %q", want, card)
		}
	}
	both("lost-key-outside")
	step("make the work list", chromedp.Click(chromedp.CSS(`#start-work-list button[type=submit]`)))
	if got := text("#work-items"); !strings.Contains(got, "Unit 4") || !strings.Contains(got, "Unit 5") {
		t.Fatalf("work list: %q", got)
	}
	both("lost-key-work-list")
	if order := workOrder(); !strings.Contains(order, "Unit 4") || !strings.Contains(order, "Unit 5") {
		t.Errorf("work list's work order: %s", order)
	}
	step("the dashboard", chromedp.Navigate(app.http.URL+"/"))
	if got := text("#rekey-work"); !strings.Contains(got, "Work list: lost key U4-1") || !strings.Contains(got, "2 of 2 doors to do") {
		t.Errorf("dashboard rekey work: %q", got)
	}
	both("lost-key-dashboard")
	step("back to the work list", chromedp.Click(chromedp.CSS(`#rekey-work a`)))
	markAllDone(func(n int) string { return "U" + strconv.Itoa(3+n) + "B" }, "rekey")
	if got := text("#work-list-result"); !strings.Contains(got, "Finished") {
		t.Fatalf("work list result: %q", got)
	}
	both("lost-key-work-list-done")
	for door, want := range map[string]string{"Unit 4": "U4B", "Unit 5": "U5B"} {
		var acc keyward.OpeningAccess
		if app.call(keyward.RoleOwner, "GET", "/api/v1/openings/"+f.doors[door]+"/access", nil, &acc); !slices.Equal(acc.Symbols, []string{want}) {
			t.Errorf("%s opens with %v, want %s", door, acc.Symbols, want)
		}
	}
	step("the dashboard", chromedp.Navigate(app.http.URL+"/"))
	if n := count(`#rekey-work`); n != 0 {
		t.Errorf("finished work is still on the dashboard")
	}
}
