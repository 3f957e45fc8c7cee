package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestUIBrowserKeySystem drives headless Chromium (the shared harness's
// uiChromium and uiScreenshotDir) through the key system pages: sign in, open
// the key tree (bittings masked, symbols in <details>), reveal the bittings
// through the POST form, then open a cylinder and reveal its pinning chart.
func TestUIBrowserKeySystem(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	doors := ksDoors(t, app, "Office 1", "Office 2")
	var sys ksSystem
	if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keysystems", ksInput, &sys); st != 201 {
		t.Fatalf("create: %d", st)
	}
	for door, sym := range map[string]string{"Office 1": "AA1", "Office 2": "AB1"} {
		app.call(keyward.RoleOwner, "POST", "/api/v1/keysystems/"+sys.ID+"/assignments", map[string]any{"opening_id": doors[door], "symbol": sym}, nil)
	}
	treeURL := app.http.URL + "/keysystems/" + sys.ID

	b := newUIBrowser(t, 45*time.Second)
	step, do, text, screenshot := b.step, b.do, b.text, b.screenshot

	step("open the key system", chromedp.Navigate(treeURL))
	b.signIn("owner@acme.test", "correct horse battery", treeURL)
	tree := text(`#tree`)
	if !strings.Contains(tree, "AA1") || !strings.Contains(tree, "Office 1") || strings.Contains(tree, "555555") {
		t.Fatalf("masked tree:\n%s", tree)
	}
	screenshot("keysystem-tree.png")

	do("give a reason", chromedp.SendKeys(chromedp.CSS(`#reveal input[name=reason]`), "cut two AA1 copies"))
	step("reveal the bittings", chromedp.Click(chromedp.CSS(`#reveal button[type=submit]`)))
	if tree = text(`#tree`); !strings.Contains(tree, "555555") || !strings.Contains(tree, "111555") {
		t.Fatalf("revealed tree:\n%s", tree)
	}
	screenshot("keysystem-tree-revealed.png")

	step("open the cylinder", chromedp.Navigate(treeURL+"/cylinders/"+doors["Office 1"]))
	if c := text(`#chart`); strings.Contains(c, "111555") {
		t.Fatalf("chart shown before the reveal:\n%s", c)
	}
	do("give a reason", chromedp.SendKeys(chromedp.CSS(`#reveal-chart input[name=reason]`), "repin Office 1"))
	step("reveal the pinning chart", chromedp.Click(chromedp.CSS(`#reveal-chart button[type=submit]`)))
	if c := text(`#chambers`); !strings.Contains(c, "Chamber") {
		t.Fatalf("chambers:\n%s", c)
	}
	if b := text(`#bittings`); !strings.Contains(b, "111555") {
		t.Fatalf("key list bittings:\n%s", b)
	}
	screenshot("keysystem-cylinder.png")
	if n := auditActionCount(t, app, "bitting.reveal"); n != 2 {
		t.Fatalf("%d reveal records, want 2", n)
	}
}
