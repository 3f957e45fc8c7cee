package web_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keyward/keyward/internal/keyward"
)

// uiChromium finds a Chromium to drive. CI must have one (.ci/run installs
// it); elsewhere the browser test is skipped without it.
func uiChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed; CI needs it for the browser test (.ci/run installs it)")
	}
	t.Skip("chromium is not installed (apt-get install chromium): skipping the browser test")
	return ""
}

// uiScreenshotDir is where screenshots go: $KEYWARD_SCREENSHOTS, so a person
// can look at them, or the test's temporary directory.
func uiScreenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("KEYWARD_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestUIBrowserCheckoutCheckin drives a real headless Chromium through the
// pages a technician uses on a key tag: sign in, check the key out to a holder,
// check it back in, and read both events in the logbook. It saves full-page
// screenshots at desktop and phone sizes.
func TestUIBrowserCheckoutCheckin(t *testing.T) {
	s := uiStart(t)
	st := s.stock()
	keyURL := s.URL + "/keys/" + st.key.ID

	b := newUIBrowser(t, 45*time.Second)
	ctx, step, do, text, screenshot := b.ctx, b.step, b.do, b.text, b.screenshot
	desktop := chromedp.EmulateViewport(1280, 900)
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)

	// The key tag's link, signed out: the sign-in page, then back to the key.
	step("open the key page", chromedp.Navigate(keyURL))
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.Contains(loc, "/login?next=") {
		t.Fatalf("signed out, the key link went to %s", loc)
	}
	b.signIn(uiOwnerEmail, uiOwnerPassword, keyURL)

	// Check out: choose the holder, keep the proposed due time.
	do("fill in the check-out form",
		chromedp.WaitVisible(chromedp.CSS(`#checkout`)),
		chromedp.SetValue(chromedp.CSS(`#checkout select[name=holder_id]`), st.holder.ID),
		chromedp.SendKeys(chromedp.CSS(`#checkout input[name=note]`), "van 2"))
	step("check out", chromedp.Click(chromedp.CSS(`#checkout button[type=submit]`)))
	if got := text("p.flash"); !strings.Contains(got, "Checked out AA1-1 to Dana Ruiz, due 2026-03-03 09:00 UTC") {
		t.Fatalf("flash after check-out: %q", got)
	}
	if got := text("#key-holder"); got != "Dana Ruiz" {
		t.Errorf("holder shown: %q", got)
	}
	if k := s.key(st.key.ID); k.Status != keyward.StatusCheckedOut || k.HolderID != st.holder.ID {
		t.Fatalf("after the browser's check-out: %+v", k)
	}
	do("phone viewport", phone)
	screenshot("key-page-checked-out-phone.png")
	do("desktop viewport", desktop)

	step("check in", chromedp.Click(chromedp.CSS(`#checkin button[type=submit]`)))
	if got := text("p.flash"); !strings.Contains(got, "Checked in AA1-1") {
		t.Fatalf("flash after check-in: %q", got)
	}
	logbook := text("ol.logbook")
	for _, want := range []string{"Created", "Checked out", "Dana Ruiz", "van 2", "Checked in"} {
		if !strings.Contains(logbook, want) {
			t.Errorf("logbook does not show %q:\n%s", want, logbook)
		}
	}
	if i, j := strings.Index(logbook, "Checked out"), strings.Index(logbook, "Checked in"); i < 0 || j < i {
		t.Errorf("logbook is not oldest first:\n%s", logbook)
	}
	if k := s.key(st.key.ID); k.Status != keyward.StatusInStorage {
		t.Fatalf("after the browser's check-in: %+v", k)
	}
	screenshot("key-page-desktop.png")
	do("phone viewport", phone)
	screenshot("key-page-phone.png")
}

// uiBrowser is one headless Chromium tab and the checks every browser test uses.
type uiBrowser struct {
	t     *testing.T
	ctx   context.Context
	shots string
}

// newUIBrowser starts Chromium, closed when the test ends (skipped in -short
// mode); screenshots go to uiScreenshotDir.
func newUIBrowser(t *testing.T, timeout time.Duration) *uiBrowser {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	exe, shots := uiChromium(t), uiScreenshotDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx,
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
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	return &uiBrowser{t: t, ctx: ctx, shots: shots}
}

// step runs actions that end in a page load (a link or a form) and wants 200.
func (b *uiBrowser) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, actions...)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	if resp.Status != http.StatusOK {
		b.t.Fatalf("%s: status %d at %s", what, resp.Status, resp.URL)
	}
}

// signIn fills in and sends the sign-in page the browser is on, and wants to
// land on back, where the page before sign-in was.
func (b *uiBrowser) signIn(email, password, back string) {
	b.t.Helper()
	b.do("fill in the sign-in form",
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password))
	b.step("sign in", chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))
	if loc, _ := chromedp.Run(b.ctx, chromedp.Location()); loc != back {
		b.t.Fatalf("after sign-in at %s, want %s", loc, back)
	}
}

func (b *uiBrowser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b *uiBrowser) text(css string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", css, err)
	}
	return v
}

func (b *uiBrowser) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(b.shots, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", p)
}
