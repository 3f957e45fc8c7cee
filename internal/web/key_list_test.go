package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestUIKeyListSorts: the key list shows what each key opens and where it is;
// every column heading sorts (a link, no JavaScript), and stamps sort
// naturally (AA2 before AA10) across pages.
func TestUIKeyListSorts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		owner := keyward.RoleOwner
		kwID, holderID, _ := app.stock() // AA1-1
		ids := map[string]string{}
		for _, sym := range []string{"AA10", "AA2", "aa3", "AA20", "B1", "AA2"} {
			var k map[string]any
			if st := app.call(owner, "POST", "/api/v1/keys", map[string]any{"keyway_id": kwID, "symbol": sym}, &k); st != 201 {
				t.Fatalf("key %s: %d", sym, st)
			}
			ids[k["stamp"].(string)] = k["id"].(string)
		}
		doors := ksDoors(t, app, "Office 1", "Office 2")
		for _, d := range []string{"Office 1", "Office 2"} {
			app.call(owner, "POST", "/api/v1/openings/"+doors[d]+"/symbols", map[string]any{"symbol": "AA10"}, nil)
		}
		app.call(owner, "POST", "/api/v1/openings/"+doors["Office 1"]+"/symbols", map[string]any{"symbol": "B1"}, nil)
		due := app.env.Clock.Now().Add(30 * time.Hour)
		if st := app.call(owner, "POST", "/api/v1/keys/"+ids["AA20-1"]+"/checkout", map[string]any{"holder_id": holderID, "due_at": due}, nil); st != 200 {
			t.Fatalf("checkout: %d", st)
		}
		p := app.pageSession(owner)
		list := func(path string) (stamps []string, doc *uiNode) {
			t.Helper()
			for pages := 0; path != ""; pages++ {
				if pages > 10 {
					t.Fatal("paging does not end")
				}
				st, body := p.do("GET", path, nil)
				if st != 200 {
					t.Fatalf("%s: %d", path, st)
				}
				doc = uiParse(t, body)
				for _, tr := range doc.find(uiClass("table", "keys")).all(uiTag("tr")) {
					if a := tr.find(uiTag("a")); a != nil && strings.HasPrefix(a.attr["href"], "/keys/") {
						stamps = append(stamps, a.Text())
					}
				}
				path = ""
				if a := doc.find(uiAttr("rel", "next")); a != nil {
					path = a.attr["href"]
				}
			}
			return stamps, doc
		}
		natural := "AA1-1 AA2-1 AA2-2 aa3-1 AA10-1 AA20-1 B1-1"
		if got, _ := list("/keys?limit=2"); strings.Join(got, " ") != natural {
			t.Errorf("natural order over pages of 2: %v", got)
		}
		if got, _ := list("/keys?sort=stamp&dir=desc&limit=3"); strings.Join(got, " ") != "B1-1 AA20-1 AA10-1 aa3-1 AA2-2 AA2-1 AA1-1" {
			t.Errorf("descending: %v", got)
		}
		// What it opens, and where it is, as columns.
		_, doc := list("/keys")
		table := doc.find(uiClass("table", "keys"))
		uiWantText(t, table, "key list", "Opens", "Where it is", "Office 1 and 1 more", "With Dana Ruiz, due back", "In storage, no place recorded")
		got, _ := list("/keys?sort=opens&dir=desc")
		if strings.Join(got[:2], " ") != "AA10-1 B1-1" {
			t.Errorf("by what it opens: %v", got)
		}
		if got, _ := list("/keys?sort=holder"); got[0] != "AA20-1" {
			t.Errorf("by holder: %v", got)
		}
		if got, _ := list("/keys?sort=due"); got[0] != "AA20-1" || strings.Join(got[1:], " ") != "AA1-1 AA2-1 AA2-2 aa3-1 AA10-1 B1-1" {
			t.Errorf("by due: %v", got)
		}
		if got, _ := list("/keys?sort=where&dir=desc"); got[0] != "AA20-1" {
			t.Errorf("by where: %v", got)
		}
		// Every heading is a sort link keeping the filter; the sorted one flips.
		_, doc = list("/keys?q=AA&sort=keyway")
		heads := doc.find(uiClass("table", "keys")).all(uiTag("th"))
		if len(heads) != 7 {
			t.Fatalf("%d columns", len(heads))
		}
		for _, th := range heads {
			a := th.find(uiTag("a"))
			u, err := url.Parse(a.attr["href"])
			if err != nil || u.Path != "/keys" || u.Query().Get("q") != "AA" || u.Query().Get("sort") == "" {
				t.Errorf("heading %q links %q", th.Text(), a.attr["href"])
			}
			if u.Query().Get("sort") == "keyway" && (th.attr["aria-sort"] != "ascending" || u.Query().Get("dir") != "desc") {
				t.Errorf("sorted heading: %v %q", th.attr, a.attr["href"])
			}
		}
		if st, body := p.do("GET", "/keys?sort=colour", nil); st != 400 || !strings.Contains(body, "sort") {
			t.Errorf("unknown sort: %d", st)
		}
	})
}
