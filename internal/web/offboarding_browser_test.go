package web_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
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
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	exe := uiChromium(t)
	s := uiStart(t)
	st := s.stock()
	shots := uiScreenshotDir(t)
	keyURL := s.URL + "/keys/" + st.key.ID

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ctx, cancel = chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancel()
	ctx, cancel = chromedp.NewContext(ctx)
	defer cancel()

	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		resp, err := chromedp.RunResponse(ctx, actions...)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if resp.Status != http.StatusOK {
			t.Fatalf("%s: status %d at %s", what, resp.Status, resp.URL)
		}
	}
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(css string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
		if err != nil {
			t.Fatalf("text of %s: %v", css, err)
		}
		return v
	}
	screenshot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		p := filepath.Join(shots, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}

	// The key tag's QR code leads here: sign in, then back to the key.
	step("open the key page", chromedp.Navigate(keyURL))
	do("fill in the sign-in form",
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), uiOwnerEmail),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), uiOwnerPassword))
	step("sign in", chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != keyURL {
		t.Fatalf("after sign-in at %s, want the key page", loc)
	}
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
