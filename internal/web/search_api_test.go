package web_test

import (
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// GET /api/v1/search finds a key by its stamp whatever the case and dashes,
// a holder by part of the name, and only what matches.
func TestSearchAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		kw, _, _ := app.stock() // AA1-1, holder Dana Ruiz
		for _, sym := range []string{"AA2", "AA2", "AA20"} {
			if st := app.call(keyward.RoleOwner, "POST", "/api/v1/keys", map[string]any{"keyway_id": kw, "symbol": sym}, nil); st != 201 {
				t.Fatalf("create %s: %d", sym, st)
			}
		}
		var res struct {
			Keys    []keyward.Key    `json:"keys"`
			Holders []keyward.Holder `json:"holders"`
		}
		for _, c := range []struct {
			q      string
			stamps string
			nHold  int
		}{
			{"aa-2", "AA2-1 AA2-2", 0},
			{"AA2-2", "AA2-2", 0},
			{"ruiz", "", 1},
			{"zz", "", 0},
		} {
			res.Keys, res.Holders = nil, nil
			if st := app.call(keyward.RoleManager, "GET", "/api/v1/search?q="+c.q, nil, &res); st != 200 {
				t.Fatalf("search %q: %d", c.q, st)
			}
			got := ""
			for i, k := range res.Keys {
				if i > 0 {
					got += " "
				}
				got += k.Stamp
			}
			if got != c.stamps || len(res.Holders) != c.nHold {
				t.Errorf("search %q = keys [%s], %d holders; want [%s], %d", c.q, got, len(res.Holders), c.stamps, c.nHold)
			}
		}
	})
}
