package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
	"github.com/keyward/keyward/internal/web"
)

func needPoppler(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"pdftotext", "pdfinfo"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is required in CI (apt-get install poppler-utils)", tool)
			}
			t.Skipf("%s not installed (apt-get install poppler-utils)", tool)
		}
	}
}

// pdfFacts writes the PDF and returns its text and pdfinfo's report.
func pdfFacts(t *testing.T, body string) (text, info string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "tags.pdf")
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	inf, err := exec.Command("pdfinfo", f).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	return string(out), string(inf)
}

var uriRE = regexp.MustCompile(`/URI \(([^)]*)\)`)

// TestKeyTagsEveryPaper prints 250 keys (more than the old cap of 240) on
// each paper: every tag is there, over as many pages as the paper needs, on
// the paper's size, with no internal id; the codes link the public URL.
func TestKeyTagsEveryPaper(t *testing.T) {
	needPoppler(t)
	app := newTestAppWith(t, storetest.SQLite, func(c *web.Config) { c.PublicURL = "https://keys.example.com" })
	ctx := context.Background()
	sys := keyward.SystemActor("test")
	kw, err := app.db.Directory().CreateKeyway(ctx, sys, keyward.KeywayInput{Name: "Kwikset KW1", DuplicationPolicy: keyward.DupDND})
	if err != nil {
		t.Fatal(err)
	}
	site, err := app.db.Directory().CreateSite(ctx, sys, keyward.SiteInput{Name: "Elm Street"})
	if err != nil {
		t.Fatal(err)
	}
	door, err := app.db.Directory().CreateOpening(ctx, sys, keyward.OpeningInput{SiteID: site.ID, Name: "Unit 4", Kind: "door"})
	if err != nil {
		t.Fatal(err)
	}
	if st := app.call(keyward.RoleOwner, "POST", "/api/v1/openings/"+door.ID+"/symbols", map[string]any{"symbol": "U4"}, nil); st != 201 && st != 200 {
		t.Fatalf("schedule U4 for Unit 4: %d", st)
	}
	const n = 250
	for i := 1; i <= n; i++ {
		if _, err := app.db.Custody().CreateKey(ctx, sys, keyward.KeyInput{KeywayID: kw.ID, Symbol: "U4"}); err != nil {
			t.Fatal(err)
		}
	}
	pages := map[string]struct {
		perPage int
		size    string
	}{"a4": {24, "595.28 x 841.89 pts (A4)"}, "letter": {21, "612 x 792 pts (letter)"}, "avery5160": {30, "612 x 792 pts (letter)"}, "l7160": {21, "595.28 x 841.89 pts (A4)"}}
	p := app.pageSession(keyward.RoleOwner)
	for paper, want := range pages {
		st, body := p.do("GET", "/key-tags.pdf?symbol=U4&paper="+paper, nil)
		if st != 200 || !strings.HasPrefix(body, "%PDF-") {
			t.Fatalf("%s: %d", paper, st)
		}
		text, info := pdfFacts(t, body)
		wantPages := (n + want.perPage - 1) / want.perPage
		if !regexp.MustCompile(`Pages:\s+`+strconv.Itoa(wantPages)+`\n`).MatchString(info) || !regexp.MustCompile(`Page size:\s+`+regexp.QuoteMeta(want.size)).MatchString(info) {
			t.Errorf("%s: want %d pages of %s:\n%s", paper, wantPages, want.size, info)
		}
		for _, stamp := range []string{"U4-1", "U4-2", "U4-240", "U4-241", "U4-250"} {
			if !regexp.MustCompile(`\b` + stamp + `\b`).MatchString(text) {
				t.Errorf("%s: tag %s missing", paper, stamp)
			}
		}
		if got := strings.Count(text, "DO NOT DUPLICATE"); got != n {
			t.Errorf("%s: %d Do Not Duplicate marks, want %d", paper, got, n)
		}
		if !strings.Contains(text, "Unit 4, Elm Street") || !strings.Contains(text, "Kwikset KW1") {
			t.Errorf("%s: tags lack the door or key type:\n%.600s", paper, text)
		}
		if keyward.IDPattern.MatchString(text) || strings.Contains(text, "key_") {
			t.Errorf("%s: a tag shows an internal id", paper)
		}
		uris := uriRE.FindAllStringSubmatch(body, -1)
		if len(uris) != n {
			t.Fatalf("%s: %d links, want %d", paper, len(uris), n)
		}
		for _, u := range uris {
			if !strings.HasPrefix(u[1], "https://keys.example.com/keys/key_") {
				t.Fatalf("%s: a code links %s, not the public URL", paper, u[1])
			}
		}
	}
	// The page offers the four papers and, with a public URL, no warning.
	st, body := p.do("GET", "/key-tags?symbol=U4", nil)
	if st != 200 || !strings.Contains(body, "250 tags") || strings.Contains(body, `id="tags-no-public-url"`) || !strings.Contains(body, "https://keys.example.com") {
		t.Fatalf("tags page: %d\n%s", st, body)
	}
	for _, paper := range []string{"a4", "letter", "avery5160", "l7160"} {
		if !strings.Contains(body, `name="paper" value="`+paper+`"`) {
			t.Errorf("tags page lacks paper %s", paper)
		}
	}
	// An unknown paper is refused by name.
	var prob problem
	if st := app.call(keyward.RoleOwner, "GET", "/api/v1/key-tags?symbol=U4&paper=a3", nil, &prob); st != 400 || !hasField(prob, "paper") {
		t.Errorf("paper a3: %d %+v", st, prob)
	}
	// Past the documented maximum: a 400 in words, never a shorter sheet.
	ids := strings.Repeat("key_x,", 5000) + "key_x"
	if st := app.call(keyward.RoleOwner, "GET", "/api/v1/key-tags?ids="+ids, nil, &prob); st != 400 || !hasField(prob, "ids") || !strings.Contains(prob.Detail, "at most 5000") {
		t.Errorf("5001 ids: %d %+v", st, prob)
	}
	if st, body := p.do("GET", "/key-tags?ids="+ids, nil); st != 200 || !strings.Contains(body, "at most 5000 tags print at once") {
		t.Errorf("tags page, 5001 keys: %d", st)
	}
}

// TestKeyTagFromURLToCheckout: without a public URL the tags page warns,
// and the code of a tag, opened by signed-in staff, is the key's page whose
// first form checks the key out in one step.
func TestKeyTagFromURLToCheckout(t *testing.T) {
	needPoppler(t)
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		_, holder, key := app.stock()
		p := app.pageSession(keyward.RoleManager)
		st, page := p.do("GET", "/key-tags?ids="+key, nil)
		if st != 200 || !strings.Contains(page, `id="tags-no-public-url"`) || !strings.Contains(page, "KEYWARD_PUBLIC_URL") {
			t.Fatalf("no public URL, no warning: %d", st)
		}
		st, pdf := p.do("GET", "/key-tags.pdf?ids="+key+"&paper=letter", nil)
		if st != 200 {
			t.Fatalf("tag: %d", st)
		}
		text, info := pdfFacts(t, pdf)
		if !strings.Contains(info, "(letter)") || !strings.Contains(text, "AA1-1") {
			t.Fatalf("letter tag:\n%s\n%s", info, text)
		}
		uris := uriRE.FindAllStringSubmatch(pdf, -1)
		if len(uris) != 1 {
			t.Fatalf("%d links on one tag", len(uris))
		}
		u, err := url.Parse(uris[0][1])
		if err != nil || u.Host != strings.TrimPrefix(app.http.URL, "http://") {
			t.Fatalf("the tag links %s", uris[0][1])
		}
		st, body := p.do("GET", u.Path, nil)
		if st != 200 || !strings.Contains(body, `action="`+u.Path+`/checkout"`) {
			t.Fatalf("the tag's page (%s) = %d, no check-out form", u.Path, st)
		}
		due := app.env.Clock.Now().Add(4 * time.Hour).Format("2006-01-02T15:04")
		if st, _ := p.do("POST", u.Path+"/checkout", url.Values{"csrf": {p.CSRF}, "holder_id": {holder}, "due_at": {due}}); st != http.StatusSeeOther {
			t.Fatalf("check-out from the tag's page = %d", st)
		}
		var k keyward.Key
		if app.call(keyward.RoleOwner, "GET", "/api/v1/keys/"+key, nil, &k); k.Status != keyward.StatusCheckedOut || k.HolderID != holder {
			t.Fatalf("after the check-out: %+v", k)
		}
	})
}
