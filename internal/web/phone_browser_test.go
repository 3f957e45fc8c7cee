package web_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestUIBrowserEveryPageFits opens every page a signed-in owner reaches from
// the navigation, and each detail page, of a realistic organization at a
// phone's 390 px and a desktop's 1280 px, and wants none wider than the
// window and nothing in it that scrolls sideways. The navigation pages are
// read off the rendered menu, so a page added to it later is covered too. On
// the phone the menu is folded behind a button that the keyboard opens
// without JavaScript; on every page "Skip to content" is the first stop of
// the Tab key, shown when focused and leading to the page's content. With
// KEYWARD_SCREENSHOTS set, every page is saved at both widths.
func TestUIBrowserEveryPageFits(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	org := seedPhoneOrg(t, app)
	shots := os.Getenv("KEYWARD_SCREENSHOTS") != ""

	b := newUIBrowser(t, 240*time.Second)
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	desktop := chromedp.EmulateViewport(1280, 900)

	// Signed out, on a phone: the sign-in page fits too.
	b.do("phone viewport", phone)
	b.step("open Keyward", chromedp.Navigate(app.http.URL+"/"))
	b.fits("sign-in", 390)
	if shots {
		b.screenshot("fit-390-sign-in.png")
	}
	b.signIn("owner@acme.test", "correct horse battery", app.http.URL+"/")

	// The pages of the navigation, as rendered.
	nav := uiEval[[]string](b, `Array.from(document.querySelectorAll('header nav a[href]'), a => a.getAttribute('href'))`)
	for _, want := range []string{"/keys", "/holders", "/sites", "/keyways", "/storage", "/credentials", "/access", "/offboardings", "/keysystems", "/audit", "/users", "/account"} {
		if !slices.Contains(nav, want) {
			t.Fatalf("the navigation has no link to %s: %v", want, nav)
		}
	}
	pages := []phonePage{{"dashboard", "/"}}
	for _, p := range nav {
		pages = append(pages, phonePage{strings.Trim(p, "/"), p})
	}
	pages = append(pages, org.details...)

	// On the phone the menu is a closed button; the keyboard opens it to show every link.
	b.menu(390, false)
	b.do("open the menu from the keyboard", chromedp.Focus(chromedp.CSS(`#menu > summary`)), chromedp.KeyEvent(kb.Enter))
	b.menu(390, true)
	if shots {
		b.screenshot("fit-390-menu-open.png")
	}
	b.step("follow a link from the menu", chromedp.Click(chromedp.CSS(`#menu nav a[href="/keysystems"]`)))
	if loc := uiEval[string](b, `location.pathname`); loc != "/keysystems" {
		t.Fatalf("the menu's Key systems link went to %s", loc)
	}
	b.menu(390, false)

	b.step("open the dashboard", chromedp.Navigate(app.http.URL+"/"))
	b.skipLink(390)

	for _, w := range []struct {
		px   int64
		view chromedp.Action[chromedp.Void]
	}{{390, phone}, {1280, desktop}} {
		b.do(fmt.Sprint(w.px, " px"), w.view)
		for _, p := range pages {
			b.step("open "+p.path, chromedp.Navigate(app.http.URL+p.path))
			b.fits(p.name+" ("+p.path+")", w.px)
			b.firstStop(p.name)
			if shots {
				b.screenshot(fmt.Sprintf("fit-%d-%s.png", w.px, strings.ReplaceAll(p.name, "/", "-")))
			}
		}
		// What a technician reveals: the key tree's bittings, a cylinder's chambers.
		for _, r := range []struct{ name, path, form string }{
			{"keysystem-revealed", org.keysystem, "#reveal"},
			{"cylinder-revealed", org.cylinder, "#reveal-chart"},
		} {
			b.step("open "+r.path, chromedp.Navigate(app.http.URL+r.path))
			b.do("give a reason", chromedp.SendKeys(chromedp.CSS(r.form+` input[name=reason]`), "cut keys for the new tenant"))
			b.step("reveal", chromedp.Click(chromedp.CSS(r.form+` button[type=submit]`)))
			b.fits(r.name, w.px)
			if shots {
				b.screenshot(fmt.Sprintf("fit-%d-%s.png", w.px, r.name))
			}
		}
	}
	b.step("open the keys", chromedp.Navigate(app.http.URL+"/keys"))
	b.skipLink(1280)
	// On a desktop the links show without the button.
	b.menu(1280, true)
}

// phonePage is a page to open: a name for messages and screenshots, its path.
type phonePage struct{ name, path string }

// menu wants the navigation's links shown (open) or hidden at width px, and
// the menu button shown only on the phone.
func (b *uiBrowser) menu(px int64, open bool) {
	b.t.Helper()
	type state struct {
		Summary bool
		Links   []bool
	}
	st := uiEval[state](b, `(() => {
  const shown = el => el.checkVisibility({visibilityProperty: true}) && el.getBoundingClientRect().width > 0;
  return {summary: shown(document.querySelector('#menu > summary')), links: Array.from(document.querySelectorAll('#menu nav a'), shown)};
})()`)
	if st.Summary != (px < 768) {
		b.t.Errorf("at %d px the menu button is shown: %v", px, st.Summary)
	}
	if len(st.Links) < 10 {
		b.t.Fatalf("the menu has %d links", len(st.Links))
	}
	for i, shown := range st.Links {
		if shown != open {
			b.t.Errorf("at %d px, menu link %d shown: %v, want %v", px, i+1, shown, open)
		}
	}
}

// skipLink wants "Skip to content" as the first stop of the Tab key on the
// page the browser is on, shown while it has focus, and leading to <main>.
func (b *uiBrowser) skipLink(px int64) {
	b.t.Helper()
	type focus struct {
		Text, Href string
		Top        float64
		Height     float64
		Target     string
	}
	b.do("focus nothing", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	b.do("press Tab", chromedp.KeyEvent(kb.Tab))
	f := uiEval[focus](b, `(() => {
  const a = document.activeElement, r = a.getBoundingClientRect(), t = document.querySelector(a.getAttribute('href') || 'none');
  return {text: a.textContent.trim(), href: a.getAttribute('href') || '', top: r.top, height: r.height, target: t ? t.tagName.toLowerCase() : ''};
})()`)
	if f.Text != "Skip to content" || f.Href != "#content" || f.Target != "main" {
		b.t.Fatalf("at %d px the first Tab stop is %+v, want Skip to content leading to <main>", px, f)
	}
	if f.Top < 0 || f.Height < 20 {
		b.t.Errorf("at %d px the focused skip link is not in view: top %v, height %v", px, f.Top, f.Height)
	}
	b.do("follow it", chromedp.KeyEvent(kb.Enter))
	if got := uiEval[string](b, `document.activeElement.tagName.toLowerCase() + '#' + document.activeElement.id`); got != "main#content" {
		b.t.Errorf("at %d px, after Skip to content the focus is on %s", px, got)
	}
}

// firstStop wants "Skip to content" first of everything on the page the Tab
// key can reach.
func (b *uiBrowser) firstStop(page string) {
	b.t.Helper()
	first := uiEval[string](b, `(() => {
  const el = Array.from(document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]'))
    .find(el => el.tabIndex >= 0 && !el.disabled);
  return el ? el.outerHTML.slice(0, 120) : '';
})()`)
	if !strings.Contains(first, `class="skip"`) || !strings.Contains(first, "Skip to content") {
		b.t.Errorf("%s: the first Tab stop is %s, not Skip to content", page, first)
	}
}

// phoneOrg is what seedPhoneOrg made: the detail pages to open.
type phoneOrg struct {
	details             []phonePage
	keysystem, cylinder string // their paths
}

// seedPhoneOrg fills the organization through the API as a landlord and a
// facility manager would: two sites with doors, keyways, a key system with
// keyed cylinders and a lost master key with its rekey plan, holders (one
// with a very long email), keys issued, checked out and overdue, storage
// places of every kind, credentials, an offboarding, a user and an import.
func seedPhoneOrg(t *testing.T, app *testApp) phoneOrg {
	t.Helper()
	owner := keyward.RoleOwner
	id := func(m map[string]any) string {
		t.Helper()
		s, _ := m["id"].(string)
		if s == "" {
			t.Fatalf("no id in %v", m)
		}
		return s
	}
	post := func(path string, body any, want int) map[string]any {
		t.Helper()
		var out map[string]any
		if st := app.call(owner, "POST", path, body, &out); st != want {
			t.Fatalf("POST %s: %d, want %d: %v", path, st, want, out)
		}
		return out
	}
	day := func(n int) { app.env.Clock.Advance(time.Duration(n) * 24 * time.Hour) }
	// Everything starts ten weeks ago, so the chart and the logbooks have a shape.
	day(-70)

	sc4 := id(post("/api/v1/keyways", map[string]any{"name": "Schlage SC4", "manufacturer": "Schlage", "duplication_policy": "restricted"}, 201))
	kw1 := id(post("/api/v1/keyways", map[string]any{"name": "Kwikset KW1", "manufacturer": "Kwikset", "duplication_policy": "open"}, 201))
	post("/api/v1/keyways", map[string]any{"name": "Medeco Keymark X4 (patented, contract profile)", "manufacturer": "Medeco", "duplication_policy": "dnd"}, 201)

	harbour := id(post("/api/v1/sites", map[string]any{"name": "Harbour Point Apartments", "address": "12 Harbour Road\nPort Ellis 4410"}, 201))
	maple := id(post("/api/v1/sites", map[string]any{"name": "Maple Street Office", "address": "200 Maple Street, Suite 4\nPort Ellis 4412"}, 201))
	doors := map[string]string{}
	door := func(site, name, kind string) {
		doors[name] = id(post("/api/v1/openings", map[string]any{"site_id": site, "name": name, "kind": kind}, 201))
	}
	for i := 1; i <= 12; i++ {
		door(harbour, fmt.Sprintf("Unit %d", i), "door")
	}
	door(harbour, "Main entrance", "door")
	door(harbour, "Bike storage", "gate")
	door(harbour, "Boiler room", "door")
	door(maple, "Front door", "door")
	door(maple, "Server room", "door")
	door(maple, "Van 2 (Ford Transit, PE-4471)", "vehicle")

	holder := func(in map[string]any) string { return id(post("/api/v1/holders", in, 201)) }
	dana := holder(map[string]any{"name": "Dana Ruiz", "email": "dana@harbour.test", "kind": "staff", "phone": "+1 555 0100", "signatory": true})
	sam := holder(map[string]any{"name": "Sam Okafor", "email": "sam@okafor-plumbing.test", "kind": "contractor"})
	priya := holder(map[string]any{"name": "Priya Natarajan", "email": "priya@harbour.test", "kind": "tenant", "phone": "+1 555 0112"})
	max := holder(map[string]any{"name": "Maximilian Alexander von der Heydt-Rasmussen", "email": "maximilian.alexander.vonderheydt-rasmussen@harbour-point-property-management.test", "kind": "tenant", "phone": "+1 555 0199 ext. 4471"})
	li := holder(map[string]any{"name": "Li Wei", "email": "li.wei@harbour.test", "kind": "tenant"})
	tom := holder(map[string]any{"name": "Tom Becker", "email": "tom@becker.test", "kind": "neighbour", "emergency_contact": true})
	holder(map[string]any{"name": "Ana Souza", "email": "ana@souza.test", "kind": "family"})

	// The key system: its cylinders, one cross-keyed so the audit finds a key.
	in := map[string]any{}
	for k, v := range ksInput {
		in[k] = v
	}
	in["name"] = "Harbour Point master key system"
	ks := id(post("/api/v1/keysystems", in, 201))
	base := "/api/v1/keysystems/" + ks
	for name, sym := range map[string]string{"Unit 1": "AA1", "Unit 2": "AA2", "Unit 3": "AB1", "Boiler room": "AC1"} {
		post(base+"/assignments", map[string]any{"opening_id": doors[name], "symbol": sym}, 200)
	}
	post(base+"/assignments", map[string]any{"opening_id": doors["Main entrance"], "symbol": "AA3", "cross_keys": []string{"AB2"}}, 200)
	// The rest is kept by hand: each unit's own key, the office's.
	for i := 4; i <= 12; i++ {
		post("/api/v1/openings/"+doors[fmt.Sprintf("Unit %d", i)]+"/symbols", map[string]any{"symbol": fmt.Sprintf("U%d", i)}, 201)
	}
	post("/api/v1/openings/"+doors["Bike storage"]+"/symbols", map[string]any{"symbol": "AA"}, 201)
	post("/api/v1/openings/"+doors["Front door"]+"/symbols", map[string]any{"symbol": "MS1"}, 201)

	keys, copies := map[string]string{}, map[string]int{} // stamp → id
	key := func(keyway, sym string) {
		copies[sym]++
		keys[fmt.Sprintf("%s-%d", sym, copies[sym])] = id(post("/api/v1/keys", map[string]any{"keyway_id": keyway, "symbol": sym}, 201))
	}
	for _, s := range []string{"AA", "AA1", "AA1", "AA2", "AA3", "AB1", "AB2", "AC1"} {
		key(sc4, s)
	}
	for i := 4; i <= 12; i++ {
		key(kw1, fmt.Sprintf("U%d", i))
	}
	key(kw1, "U7")
	key(kw1, "MS1")

	// Storage of every kind, with keys in it.
	place := func(in map[string]any) string { return id(post("/api/v1/storage", in, 201)) }
	cabinet := place(map[string]any{"kind": "cabinet", "name": "Key cabinet, site office", "site_id": harbour, "location": "Behind the front desk", "hooks": 40})
	lockbox := place(map[string]any{"kind": "lockbox", "name": "Front lockbox", "code": "2468"})
	envelope := place(map[string]any{"kind": "envelope", "name": "Spare set, Unit 7", "seal_number": "4471"})
	spares := place(map[string]any{"kind": "holder", "name": "Tom's spares", "holder_id": tom})
	home := func(placeID, keyID string, hook int) {
		in := map[string]any{"key_id": keyID}
		if hook > 0 {
			in["hook"] = hook
		}
		post("/api/v1/storage/"+placeID+"/keys", in, 200)
	}
	home(cabinet, keys["AA3-1"], 12)
	home(cabinet, keys["AB1-1"], 3)
	home(cabinet, keys["U8-1"], 8)
	home(lockbox, keys["U6-1"], 0)
	post("/api/v1/storage/"+envelope+"/keys", map[string]any{"key_id": keys["U7-2"], "new_seal_number": "4472", "reason": "Spare set sealed in"}, 200)
	home(spares, keys["U9-1"], 0)

	// Ten weeks of custody.
	move := func(keyID, action string, body map[string]any) { post("/api/v1/keys/"+keyID+"/"+action, body, 200) }
	due := func(h int) string { return app.env.Clock.Now().Add(time.Duration(h) * time.Hour).Format(time.RFC3339) }
	move(keys["AA1-1"], "issue", map[string]any{"holder_id": priya})
	day(3)
	move(keys["U4-1"], "issue", map[string]any{"holder_id": li})
	move(keys["U10-1"], "issue", map[string]any{"holder_id": max})
	day(5)
	move(keys["AA-1"], "issue", map[string]any{"holder_id": dana})
	move(keys["U11-1"], "checkout", map[string]any{"holder_id": sam, "due_at": due(48), "note": "boiler service"})
	day(4)
	move(keys["U11-1"], "checkin", map[string]any{})
	move(keys["U12-1"], "issue", map[string]any{"holder_id": priya})
	day(10)
	move(keys["AC1-1"], "checkout", map[string]any{"holder_id": sam, "due_at": due(8)})
	day(1)
	move(keys["AC1-1"], "checkin", map[string]any{"note": "returned by the front desk, tag worn"})
	day(12)
	move(keys["U5-1"], "checkout", map[string]any{"holder_id": max, "due_at": due(24), "note": "moving in: spare for the removal company"})
	day(15)
	move(keys["AA2-1"], "checkout", map[string]any{"holder_id": sam, "due_at": due(24 * 30)})
	move(keys["MS1-1"], "issue", map[string]any{"holder_id": dana})
	day(20)

	// The master key is lost: its rekey plan.
	move(keys["AA-1"], "lost", map[string]any{"note": "left on the 7:40 bus"})
	plan := id(post(base+"/lost", map[string]any{"symbol": "AA", "key_id": keys["AA-1"]}, 201))
	// A key outside the key system is lost too: its work list of doors.
	move(keys["U12-1"], "lost", map[string]any{"note": "dropped in the car park"})
	worklist := post("/api/v1/worklists", map[string]any{"key_id": keys["U12-1"]}, 201)
	items, _ := worklist["items"].([]any)
	if len(items) == 0 {
		t.Fatalf("work list of U12-1 has no doors: %v", worklist)
	}
	firstItem, _ := items[0].(map[string]any)["id"].(string)

	// Credentials, an offboarding, a user with a long email.
	post("/api/v1/credentials", map[string]any{"kind": "fob", "label": "Fob 0042", "number": "0042", "holder_id": dana, "opening_ids": []string{doors["Main entrance"], doors["Bike storage"]}}, 201)
	post("/api/v1/credentials", map[string]any{"kind": "card", "label": "Contractor card", "number": "CARD-7781-0042-5531", "holder_id": sam, "opening_ids": []string{doors["Boiler room"]}}, 201)
	post("/api/v1/credentials", map[string]any{"kind": "pin", "label": "Bike storage keypad", "pin": "4471", "holder_id": priya, "opening_ids": []string{doors["Bike storage"]}}, 201)
	post("/api/v1/holders/"+sam+"/offboarding", map[string]any{"note": "contract ends Friday"}, 201)
	post("/api/v1/users", map[string]any{"email": "facilities.coordinator.north-region@harbour-point-property-management.test", "name": "Facilities coordinator", "role": "manager"}, 201)

	// Key codes: a fleet van's code with a job revealed, an incident and its exposure; a lock's code.
	fleet := post("/api/v1/fleets", map[string]any{"name": "Harbour Point maintenance vans", "authorization_ref": "standing order HP-2026-04"}, 201)
	post("/api/v1/fleets/"+id(fleet)+"/vehicles", map[string]any{"vin": "1M8GDM9AXKP042788"}, 201)
	van := post("/api/v1/key-codes", map[string]any{"vin": "1M8GDM9AXKP042788", "code": "K7Q4-19XZ", "source": "code_service", "source_ref": "order 88-231", "description": "2019 Ford Transit, white"}, 201)
	post("/api/v1/key-codes", map[string]any{"opening_id": doors["Boiler room"], "code": "5521-09", "source": "internal"}, 201)
	job := post("/api/v1/code-requests", map[string]any{"key_code_id": id(van), "relationship": "fleet", "reason": "spare key for van 12, the driver lost his",
		"requester_name": "Lee Chan", "channel": "field", "fleet_id": id(fleet)}, 201)
	var approved map[string]any
	if st := app.call(keyward.RoleManager, "POST", "/api/v1/code-requests/"+id(job)+"/approve", map[string]any{}, &approved); st != 200 {
		t.Fatalf("approve the code request: %d %v", st, approved)
	}
	post("/api/v1/key-codes/"+id(van)+"/incidents", map[string]any{"note": "work order with the code left on the van's dashboard"}, 201)

	// An import, uploaded through the page as the owner.
	imp := uploadImport(t, app, "harbour-keys.csv", "Key;Profile;Copy;Name;E-mail;Due\nU4;Kwikset KW1;2;Li Wei;li.wei@harbour.test;\nU5;Kwikset KW1;2;New Tenant With A Long Name;new.tenant.with.a.long.name@example.test;\n")

	// Network keys: a master with a long name, its backup, a sub key, a lock
	// granted by another master, and a lost soft key an offline lock still accepts.
	netKey := func(body map[string]any) string {
		t.Helper()
		out := post("/api/v1/access/ops", body, 200)
		for _, m := range []string{"key", "lock"} {
			if v, ok := out[m].(map[string]any); ok {
				return v["id"].(string)
			}
		}
		return ""
	}
	netMaster := netKey(map[string]any{"op": "master", "name": "Harbour Point facilities master key", "holder_id": dana})
	netOther := netKey(map[string]any{"op": "master", "name": "Bike storage contractor"})
	gate := netKey(map[string]any{"op": "lock", "name": "Underground car park barrier, north ramp", "opening_id": doors["Main entrance"]})
	bikes := netKey(map[string]any{"op": "lock", "name": "Bike storage"})
	netKey(map[string]any{"op": "serialize", "lock": gate, "by": netMaster})
	netKey(map[string]any{"op": "serialize", "lock": bikes, "by": netOther})
	netKey(map[string]any{"op": "grant", "to": netMaster, "locks": []string{bikes}, "by": netOther})
	netKey(map[string]any{"op": "backup", "name": "Facilities backup (safe in the office)", "by": netMaster})
	netKey(map[string]any{"op": "sub", "name": "Night security guard", "by": netMaster, "locks": []string{gate}})
	lostSoft := netKey(map[string]any{"op": "sub", "name": "Priya's phone", "soft": true, "by": netMaster, "locks": []string{gate}, "holder_id": priya})
	netKey(map[string]any{"op": "offline", "lock": gate})
	netKey(map[string]any{"op": "delete", "key": lostSoft, "by": netMaster})

	return phoneOrg{details: []phonePage{
		{"network-master", "/access/keys/" + netMaster},
		{"network-lost-key", "/access/keys/" + lostSoft + "?lock=" + gate},
		{"key-lost-master", "/keys/" + keys["AA-1"]},
		{"key-checked-out", "/keys/" + keys["AA2-1"]},
		{"key-on-a-hook", "/keys/" + keys["AA3-1"]},
		{"key-in-an-envelope", "/keys/" + keys["U7-2"]},
		{"holder-long-email", "/holders/" + max},
		{"holder-leaving", "/holders/" + sam},
		{"holder-merge", "/holders/" + max + "/merge"},
		{"door-cross-keyed", "/openings/" + doors["Main entrance"]},
		{"door", "/openings/" + doors["Unit 1"]},
		{"site", "/sites/" + harbour},
		{"site-retire", "/sites/" + maple + "/retire"},
		{"keyway", "/keyways/" + sc4},
		{"storage-cabinet", "/storage/" + cabinet},
		{"storage-lockbox", "/storage/" + lockbox},
		{"storage-envelope", "/storage/" + envelope},
		{"storage-holder", "/storage/" + spares},
		{"keysystem", "/keysystems/" + ks},
		{"key-code-rules", "/settings/key-codes"},
		{"cylinder", "/keysystems/" + ks + "/cylinders/" + doors["Main entrance"]},
		{"rekey-plan", "/keysystems/" + ks + "/plans/" + plan},
		{"key-lost-outside", "/keys/" + keys["U12-1"]},
		{"work-list", "/worklists/" + id(worklist)},
		{"work-list-confirm", "/worklists/" + id(worklist) + "/items/" + firstItem + "/done"},
		{"offboarding", "/holders/" + sam + "/offboarding"},
		{"imports", "/imports"},
		{"import", imp},
		{"settings", "/settings"},
		{"search-stamp", "/search?q=AA"},
		{"search-name", "/search?q=harbour"},
		{"key-code", "/key-codes/" + id(van)},
		{"code-request", "/code-requests/" + id(job)},
		{"fleets", "/fleets"},
		{"code-disposals", "/key-codes?show=disposed"},
	}, keysystem: "/keysystems/" + ks, cylinder: "/keysystems/" + ks + "/cylinders/" + doors["Main entrance"]}
}

// uploadImport sends a spreadsheet through the import page as the owner and
// returns the page that maps its columns.
func uploadImport(t *testing.T, app *testApp, name, content string) string {
	t.Helper()
	ps := app.pageSession(keyward.RoleOwner)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf", ps.CSRF)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write([]byte(content))
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, app.http.URL+"/imports", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: "kw_session", Value: ps.sid})
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/imports/") {
		t.Fatalf("upload: %d to %q", resp.StatusCode, loc)
	}
	return loc
}

// pageWidth is what fits measures on a page.
type pageWidth struct {
	Doc, Body int
	// Wide lists the outermost elements that reach past the window's right edge.
	Wide []string
	// Scrolls lists the elements that scroll sideways inside the page.
	Scrolls []string
}

const measureWidth = `(() => {
  const w = %d, name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  const out = {doc: document.documentElement.scrollWidth, body: document.body.scrollWidth, wide: [], scrolls: []};
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > w + 0.5 && el.checkVisibility() && !(el.parentElement && el.parentElement.getBoundingClientRect().right > w + 0.5)) {
      out.wide.push(name(el) + ' ends at ' + Math.round(r.right) + ' px');
    }
    const ox = getComputedStyle(el).overflowX;
    if ((ox === 'auto' || ox === 'scroll') && el.scrollWidth > el.clientWidth + 1) {
      out.scrolls.push(name(el) + ' scrolls ' + (el.scrollWidth - el.clientWidth) + ' px sideways');
    }
  }
  return out;
})()`

// fits wants the page in the browser no wider than px, with nothing in it
// scrolling sideways, and names what is too wide.
func (b *uiBrowser) fits(page string, px int64) {
	b.t.Helper()
	m := uiEval[pageWidth](b, fmt.Sprintf(measureWidth, px))
	what := strings.Join(append(m.Wide, m.Scrolls...), "; ")
	switch wide := int64(max(m.Doc, m.Body)); {
	case wide > px:
		b.t.Errorf("%s at %d px is %d px wide, %d px too wide: %s", page, px, wide, wide-px, what)
	case len(m.Scrolls) > 0:
		b.t.Errorf("%s at %d px fits, but inside it %s", page, px, what)
	}
}

// uiEval runs a JavaScript expression on the browser's page and returns its value.
func uiEval[T any](b *uiBrowser, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %.60q: %v", js, err)
	}
	return v
}
