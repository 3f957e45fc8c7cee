package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestUIKeyPageReach: the key page of a master key of a small key system lists
// every door it opens, grouped by site, each linking to its opening page: by
// the lock's pinning, as the master above a scheduled change key, and by the
// hand-kept schedule; and it says where the key is for each kind of place.
func TestUIKeyPageReach(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		owner := keyward.RoleOwner
		kwID, holderID, _ := app.stock()
		doors := ksDoors(t, app, "Office 1", "Office 2", "Office 3", "Shed")
		var sys ksSystem
		if st := app.call(owner, "POST", "/api/v1/keysystems", ksInput, &sys); st != 201 {
			t.Fatalf("create system: %d", st)
		}
		for door, sym := range map[string]string{"Office 1": "AA1", "Office 2": "AA2", "Office 3": "AB1"} {
			if st := app.call(owner, "POST", "/api/v1/keysystems/"+sys.ID+"/assignments", map[string]any{"opening_id": doors[door], "symbol": sym}, nil); st != 200 {
				t.Fatalf("assign %s: %d", door, st)
			}
		}
		// The shed is not pinned: its schedule lists the change key AA3, so master AA opens it.
		if st := app.call(owner, "POST", "/api/v1/openings/"+doors["Shed"]+"/symbols", map[string]any{"symbol": "AA3"}, nil); st != 200 && st != 201 {
			t.Fatalf("schedule shed: %d", st)
		}
		// Another site lists the master by hand.
		var annex, gate map[string]any
		app.call(owner, "POST", "/api/v1/sites", map[string]any{"name": "Annex"}, &annex)
		app.call(owner, "POST", "/api/v1/openings", map[string]any{"site_id": annex["id"], "name": "Gate", "kind": "gate"}, &gate)
		if st := app.call(owner, "POST", "/api/v1/openings/"+gate["id"].(string)+"/symbols", map[string]any{"symbol": "AA"}, nil); st != 200 && st != 201 {
			t.Fatalf("schedule gate: %d", st)
		}
		newKey := func(sym string) string {
			var k map[string]any
			if st := app.call(owner, "POST", "/api/v1/keys", map[string]any{"keyway_id": kwID, "symbol": sym}, &k); st != 201 {
				t.Fatalf("create key %s: %d", sym, st)
			}
			return k["id"].(string)
		}
		master := newKey("AA")
		p := app.pageSession(owner)
		st, body := p.do("GET", "/keys/"+master, nil)
		if st != 200 {
			t.Fatalf("key page: %d", st)
		}
		doc := uiParse(t, body)
		opens := doc.byID("key-opens")
		if opens == nil {
			t.Fatalf("no #key-opens: %s", body)
		}
		uiWantText(t, opens, "master's doors", "Opens 4 doors", "Annex", "Gate", "HQ", "Office 1", "Office 2", "Shed")
		if strings.Contains(opens.Text(), "Office 3") {
			t.Errorf("master AA lists Office 3 of master AB: %q", opens.Text())
		}
		if txt := opens.Text(); strings.Index(txt, "Annex") > strings.Index(txt, "HQ") || strings.Index(txt, "Office 1") > strings.Index(txt, "Office 2") {
			t.Errorf("not grouped by site in order: %q", txt)
		}
		for _, d := range []string{doors["Office 1"], doors["Office 2"], doors["Shed"], gate["id"].(string)} {
			if opens.find(uiAttr("href", "/openings/"+d)) == nil {
				t.Errorf("no link to opening %s", d)
			}
		}
		// A change key opens its own door only.
		st, body = p.do("GET", "/keys/"+newKey("AB1"), nil)
		if opens := uiParse(t, body).byID("key-opens"); st != 200 || opens == nil || !strings.Contains(opens.Text(), "Opens 1 door") || !strings.Contains(opens.Text(), "Office 3") {
			t.Errorf("change key AB1: %d %v", st, opens)
		}

		// Where it is, for each kind of place.
		where := func(keyID string) string {
			t.Helper()
			st, body := p.do("GET", "/keys/"+keyID, nil)
			n := uiParse(t, body).byID("key-where")
			if st != 200 || n == nil {
				t.Fatalf("key page %s: %d", keyID, st)
			}
			return n.Text()
		}
		if w := where(master); w != "In storage, no place recorded" {
			t.Errorf("no home: %q", w)
		}
		place := func(in map[string]any) string {
			var sp map[string]any
			if st := app.call(owner, "POST", "/api/v1/storage", in, &sp); st != 201 {
				t.Fatalf("storage %v: %d %v", in, st, sp)
			}
			return sp["id"].(string)
		}
		home := func(placeID, keyID string, hook int, seal ...string) {
			in := map[string]any{"key_id": keyID}
			if hook > 0 {
				in["hook"] = hook
			}
			if len(seal) > 0 {
				in["new_seal_number"], in["reason"] = seal[0], "spare set"
			}
			if st := app.call(owner, "POST", "/api/v1/storage/"+placeID+"/keys", in, nil); st != 200 {
				t.Fatalf("home: %d", st)
			}
		}
		home(place(map[string]any{"kind": "cabinet", "name": "Cabinet A", "hooks": 20}), master, 12)
		if w := where(master); w != "In Cabinet A, hook 12" {
			t.Errorf("cabinet: %q", w)
		}
		k2, k3, k4 := newKey("AA1"), newKey("AA2"), newKey("AC1")
		home(place(map[string]any{"kind": "envelope", "name": "Spare set", "seal_number": "4470"}), k2, 0, "4471")
		if w := where(k2); w != "In sealed envelope #4471 (Spare set)" {
			t.Errorf("envelope: %q", w)
		}
		home(place(map[string]any{"kind": "lockbox", "name": "Front lockbox", "code": "2468"}), k3, 0)
		if w := where(k3); w != "In lockbox Front lockbox" {
			t.Errorf("lockbox: %q", w)
		}
		home(place(map[string]any{"kind": "holder", "name": "Dana's spares", "holder_id": holderID}), k4, 0)
		if w := where(k4); w != "Kept by Dana's spares" {
			t.Errorf("designated holder: %q", w)
		}
		// Checked out: with whom and when it is due, on the organization's clock (UTC here).
		due := app.env.Clock.Now().Add(26 * time.Hour).Truncate(time.Hour)
		if st := app.call(owner, "POST", "/api/v1/keys/"+master+"/checkout", map[string]any{"holder_id": holderID, "due_at": due}, nil); st != 200 {
			t.Fatalf("checkout: %d", st)
		}
		if w, want := where(master), "With Dana Ruiz, due back "+due.Format("Mon 3 pm"); w != want {
			t.Errorf("checked out: %q, want %q", w, want)
		}
		app.env.Clock.Advance(48 * time.Hour)
		p = app.pageSession(owner) // the session of two days ago has ended
		if w := where(master); !strings.HasPrefix(w, "With Dana Ruiz, overdue since ") {
			t.Errorf("overdue: %q", w)
		}
		if st := app.call(owner, "POST", "/api/v1/keys/"+master+"/lost", map[string]any{}, nil); st != 200 {
			t.Fatalf("lost: %d", st)
		}
		if w, want := where(master), "Lost on "+app.env.Clock.Now().Format("Mon 2 Jan 2006")+" (last with Dana Ruiz)"; w != want {
			t.Errorf("lost: %q, want %q", w, want)
		}
	})
}
