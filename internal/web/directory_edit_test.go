package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// TestDirectoryPatchAndRetireAPI: PATCH (partial, validated like a create,
// nothing changed on refusal) and DELETE as retire, for every record kind.
func TestDirectoryPatchAndRetireAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		const owner = keyward.RoleOwner
		created := func(path string, body map[string]any) string {
			t.Helper()
			var out map[string]any
			if st := app.call(owner, "POST", path, body, &out); st != 201 {
				t.Fatalf("POST %s: %d %v", path, st, out)
			}
			return out["id"].(string)
		}
		site := created("/api/v1/sites", map[string]any{"name": "Harbour Office"})
		opening := created("/api/v1/openings", map[string]any{"site_id": site, "name": "Room 101", "kind": "door"})
		keyway := created("/api/v1/keyways", map[string]any{"name": "KW1", "manufacturer": "Kwikset", "duplication_policy": "open"})
		holder := created("/api/v1/holders", map[string]any{"name": "Sam Lee", "email": "sam@acme.test"})

		for _, tc := range []struct {
			path          string
			patch         map[string]any
			want, keep    map[string]any
			bad           map[string]any
			badField      string
			list, listKey string
		}{
			{"/api/v1/sites/" + site, map[string]any{"address": "1 Quay"}, map[string]any{"address": "1 Quay"}, map[string]any{"name": "Harbour Office"},
				map[string]any{"name": "  "}, "name", "/api/v1/sites", site},
			{"/api/v1/openings/" + opening, map[string]any{"name": "Room 102"}, map[string]any{"name": "Room 102"}, map[string]any{"kind": "door", "site_id": site},
				map[string]any{"kind": "window"}, "kind", "/api/v1/openings?site_id=" + site, opening},
			{"/api/v1/keyways/" + keyway, map[string]any{"duplication_policy": "dnd"}, map[string]any{"duplication_policy": "dnd"}, map[string]any{"name": "KW1", "manufacturer": "Kwikset"},
				map[string]any{"duplication_policy": "sometimes"}, "duplication_policy", "/api/v1/keyways", keyway},
			{"/api/v1/holders/" + holder, map[string]any{"phone": "555-0101", "signatory": true}, map[string]any{"phone": "555-0101", "signatory": true}, map[string]any{"name": "Sam Lee", "email": "sam@acme.test"},
				map[string]any{"email": "not-an-email"}, "email", "/api/v1/holders", holder},
		} {
			var got map[string]any
			if st := app.call(owner, "PATCH", tc.path, tc.patch, &got); st != 200 {
				t.Fatalf("PATCH %s: %d %v", tc.path, st, got)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("PATCH %s: %s = %v, want %v", tc.path, k, got[k], v)
				}
			}
			for k, v := range tc.keep {
				if got[k] != v {
					t.Errorf("PATCH %s changed %s: %v, want %v", tc.path, k, got[k], v)
				}
			}
			// Bad field: 400 naming it, nothing changed, nothing recorded.
			before := app.auditCount()
			bad := map[string]any{}
			for k, v := range tc.bad {
				bad[k] = v
			}
			var p problem
			if st := app.call(owner, "PATCH", tc.path, bad, &p); st != 400 || len(p.Errors) != 1 || p.Errors[0].Field != tc.badField || p.Errors[0].Rule == "" {
				t.Errorf("PATCH %s %v: %d %+v, want 400 naming %s", tc.path, bad, st, p, tc.badField)
			}
			// An unknown member is a 400 naming it.
			p = problem{}
			if st := app.call(owner, "PATCH", tc.path, map[string]any{"colour": "red"}, &p); st != 400 || !strings.Contains(fmt.Sprint(p), "colour") {
				t.Errorf("PATCH %s unknown member: %d %+v", tc.path, st, p)
			}
			var now map[string]any
			app.call(owner, "GET", tc.path, nil, &now)
			for k, v := range tc.want {
				if now[k] != v {
					t.Errorf("refused PATCH %s changed %s to %v", tc.path, k, now[k])
				}
			}
			if after := app.auditCount(); after != before {
				t.Errorf("refused PATCH %s wrote %d audit records", tc.path, after-before)
			}
			// An auditor reads but may not change.
			if st := app.call(keyward.RoleAuditor, "PATCH", tc.path, tc.patch, nil); st != 403 {
				t.Errorf("auditor PATCH %s: %d", tc.path, st)
			}
		}

		// DELETE retires. A site with openings that are not retired is a 409 naming them.
		var p problem
		if st := app.call(owner, "DELETE", "/api/v1/sites/"+site, nil, &p); st != 409 || !strings.Contains(p.Detail, "Room 102") {
			t.Errorf("DELETE a site with an opening: %d %+v", st, p)
		}
		depot := created("/api/v1/sites", map[string]any{"name": "Depot"})
		for _, tc := range []struct{ path, list, id string }{
			{"/api/v1/openings/" + opening, "/api/v1/openings?site_id=" + site, opening},
			{"/api/v1/sites/" + depot, "/api/v1/sites", depot},
			{"/api/v1/keyways/" + keyway, "/api/v1/keyways", keyway},
			{"/api/v1/holders/" + holder, "/api/v1/holders", holder},
		} {
			listed := func(q string) bool {
				t.Helper()
				var page struct {
					Items []map[string]any `json:"items"`
				}
				if st := app.call(owner, "GET", tc.list+q, nil, &page); st != 200 {
					t.Fatalf("GET %s%s: %d", tc.list, q, st)
				}
				for _, it := range page.Items {
					if it["id"] == tc.id {
						return true
					}
				}
				return false
			}
			sep := "?"
			if strings.Contains(tc.list, "?") {
				sep = "&"
			}
			var got map[string]any
			if st := app.call(owner, "DELETE", tc.path, nil, &got); st != 200 || got["retired_at"] == nil || got["id"] != tc.id {
				t.Fatalf("DELETE %s: %d %v", tc.path, st, got)
			}
			if listed("") {
				t.Errorf("retired %s still in the default list", tc.path)
			}
			if !listed(sep + "include_retired=true") {
				t.Errorf("retired %s not listed with include_retired=true", tc.path)
			}
			var again, twice, restored map[string]any
			if st := app.call(owner, "GET", tc.path, nil, &again); st != 200 || again["retired_at"] != got["retired_at"] {
				t.Errorf("GET retired %s: %d %v", tc.path, st, again)
			}
			if st := app.call(owner, "DELETE", tc.path, nil, &twice); st != 200 || twice["retired_at"] != got["retired_at"] {
				t.Errorf("second DELETE %s: %d %v", tc.path, st, twice)
			}
			if st := app.call(owner, "POST", tc.path+"/restore", nil, &restored); st != 200 || restored["retired_at"] != nil || restored["id"] != tc.id {
				t.Errorf("restore %s: %d %v", tc.path, st, restored)
			}
			if !listed("") {
				t.Errorf("restored %s not in the default list", tc.path)
			}
			if st := app.call(owner, "DELETE", tc.path[:strings.LastIndex(tc.path, "/")]+"/nope", nil, nil); st != 404 {
				t.Errorf("DELETE unknown id under %s: %d", tc.path, st)
			}
		}
		if st := app.call(owner, "GET", "/api/v1/sites?include_retired=maybe", nil, nil); st != 400 {
			t.Errorf("include_retired=maybe: %d", st)
		}

		// A holder who holds a key, and a keyway with keys in circulation: 409 naming the key.
		kw, h, k := app.stock()
		var out map[string]any
		if st := app.call(owner, "POST", "/api/v1/keys/"+k+"/checkout", map[string]any{"holder_id": h, "due_at": app.env.Clock.Now().Add(3600e9)}, &out); st != 200 {
			t.Fatalf("checkout: %d %v", st, out)
		}
		for _, path := range []string{"/api/v1/holders/" + h, "/api/v1/keyways/" + kw} {
			var p problem
			if st := app.call(owner, "DELETE", path, nil, &p); st != 409 || !strings.Contains(p.Detail, "AA1-1") {
				t.Errorf("DELETE %s with a key out: %d %+v", path, st, p)
			}
		}
	})
}

// TestHolderMergeAPI: the merge moves the history, retires the duplicate and
// writes one audit record, and the log still verifies.
func TestHolderMergeAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		const owner = keyward.RoleOwner
		_, dup, k := app.stock()
		var keep, out map[string]any
		app.call(owner, "POST", "/api/v1/holders", map[string]any{"name": "Dana Ruiz", "email": "dana.ruiz@acme.test"}, &keep)
		if st := app.call(owner, "POST", "/api/v1/keys/"+k+"/checkout", map[string]any{"holder_id": dup, "due_at": app.env.Clock.Now().Add(3600e9)}, &out); st != 200 {
			t.Fatalf("checkout: %d %v", st, out)
		}
		// A holder whose email is on file is flagged: 409 naming email.
		var p problem
		if st := app.call(owner, "POST", "/api/v1/holders", map[string]any{"name": "Dana R.", "email": "DANA@acme.test"}, &p); st != 409 || len(p.Errors) != 1 || p.Errors[0].Field != "email" {
			t.Fatalf("duplicate email: %d %+v", st, p)
		}
		if st := app.call(owner, "POST", "/api/v1/holders/"+dup+"/merge", map[string]any{"into": dup}, &p); st != 400 || p.Errors[0].Field != "into" {
			t.Fatalf("merge into itself: %d %+v", st, p)
		}
		if st := app.call(keyward.RoleAuditor, "POST", "/api/v1/holders/"+dup+"/merge", map[string]any{"into": keep["id"]}, nil); st != 403 {
			t.Fatalf("auditor merge: %d", st)
		}
		before := app.auditCount()
		var m struct {
			Holder keyward.Holder `json:"holder"`
			Keys   int            `json:"keys"`
			Events int            `json:"events"`
		}
		if st := app.call(owner, "POST", "/api/v1/holders/"+dup+"/merge", map[string]any{"into": keep["id"]}, &m); st != 200 || m.Keys != 1 || m.Events != 1 || m.Holder.ID != keep["id"] {
			t.Fatalf("merge: %d %+v", st, m)
		}
		if after := app.auditCount(); after != before+1 {
			t.Fatalf("merge wrote %d audit records", after-before)
		}
		var keys struct{ Items []keyward.Key }
		app.call(owner, "GET", "/api/v1/holders/"+keep["id"].(string)+"/keys", nil, &keys)
		if len(keys.Items) != 1 || keys.Items[0].ID != k {
			t.Fatalf("surviving holder's keys: %+v", keys.Items)
		}
		var hist struct{ Items []keyward.Event }
		app.call(owner, "GET", "/api/v1/keys/"+k+"/history", nil, &hist)
		if last := hist.Items[len(hist.Items)-1]; last.HolderID != keep["id"] {
			t.Fatalf("key history still names the duplicate: %+v", last)
		}
		var gone keyward.Holder
		if st := app.call(owner, "GET", "/api/v1/holders/"+dup, nil, &gone); st != 200 || gone.RetiredAt == nil || gone.MergedInto != keep["id"] {
			t.Fatalf("merged holder: %d %+v", st, gone)
		}
	})
}
