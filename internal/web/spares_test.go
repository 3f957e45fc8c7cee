package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// spareVehicle makes a site with a van keyed V1 and a transponder key type.
func (c *copyAPI) spareVehicle() (vanID, keywayID string) {
	c.t.Helper()
	site := c.want(201, "", keyward.RoleOwner, "POST", "/api/v1/sites", map[string]any{"name": "Fleet Yard"})
	van := c.want(201, "", keyward.RoleOwner, "POST", "/api/v1/openings", map[string]any{"site_id": site["id"], "name": "Van 1", "kind": "vehicle"})
	vanID = van["id"].(string)
	c.want(201, "", keyward.RoleOwner, "POST", "/api/v1/openings/"+vanID+"/symbols", map[string]any{"symbol": "V1"})
	kw := c.want(201, "", keyward.RoleOwner, "POST", "/api/v1/keyways", map[string]any{"name": "Ford HU101", "duplication_policy": "dnd"})
	return vanID, kw["id"].(string)
}

// lastAnswer is the body of the last answer.
func (c *copyAPI) lastAnswer() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.answers[len(c.answers)-1]
}

// TestAPIVehicleSpareAbuse: the hand-over of a spare without a passed test
// is a 409 naming the missing step and changes nothing; proof, VIN and
// roles are checked at every step.
func TestAPIVehicleSpareAbuse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := newCopyAPI(t, b)
		vanID, kwID := c.spareVehicle()
		holder := c.ids["Ivo Brandt"]
		// A bad VIN: a 400 naming vin, on the request and on the vehicle.
		for _, bad := range []string{"1M8GDM9AXKP04278", "1M8GDM9AXKP0427I8", "1M8GDM9AXKP0427Q8"} {
			c.want(400, "vin", keyward.RoleAdvisor, "POST", "/api/v1/vehicle-spares", map[string]any{"opening_id": vanID, "holder_id": holder, "vin": bad})
			c.want(400, "vin", keyward.RoleManager, "PUT", "/api/v1/openings/"+vanID+"/vin", map[string]any{"vin": bad})
		}
		c.want(400, "vin", keyward.RoleAdvisor, "POST", "/api/v1/vehicle-spares", map[string]any{"opening_id": vanID, "holder_id": holder})
		c.want(400, "holder_id", keyward.RoleAdvisor, "POST", "/api/v1/vehicle-spares", map[string]any{"opening_id": vanID, "vin": goodVIN})
		c.want(400, "colour", keyward.RoleAdvisor, "POST", "/api/v1/vehicle-spares", map[string]any{"opening_id": vanID, "holder_id": holder, "vin": goodVIN, "colour": "red"})
		for _, role := range []keyward.Role{keyward.RoleTechnician, keyward.RoleAuditor, keyward.RoleHolder} {
			c.want(403, "", role, "POST", "/api/v1/vehicle-spares", map[string]any{"opening_id": vanID, "holder_id": holder, "vin": goodVIN})
		}
		if n := c.count(`SELECT COUNT(*) FROM vehicle_spares`); n != 0 {
			t.Fatalf("%d spares after refused requests", n)
		}
		// A bad check digit is accepted with a warning naming vin.
		w := c.want(200, "", keyward.RoleManager, "PUT", "/api/v1/openings/"+vanID+"/vin", map[string]any{"vin": strings.ToLower(badDigit)})
		if warns, _ := w["warnings"].([]any); w["vin"] != badDigit || len(warns) != 1 || warns[0].(map[string]any)["field"] != "vin" {
			t.Fatalf("a bad check digit: %v", w)
		}
		sp := c.want(201, "", keyward.RoleAdvisor, "POST", "/api/v1/vehicle-spares", map[string]any{"opening_id": vanID, "holder_id": holder, "vin": goodVIN})
		id := sp["id"].(string)
		path := "/api/v1/vehicle-spares/" + id
		if sp["vin"] != goodVIN || sp["next_step"] != "proof" {
			t.Fatalf("spare = %v", sp)
		}
		handOver := func(missing string) {
			t.Helper()
			issued := c.count(`SELECT COUNT(*) FROM keys WHERE status = 'issued'`)
			c.want(409, "", keyward.RoleAdvisor, "POST", path+"/hand-over", nil)
			if body := c.lastAnswer(); !strings.Contains(body, `"missing_step":"`+missing+`"`) {
				t.Fatalf("hand-over refused without naming %s: %s", missing, body)
			}
			if got := c.want(200, "", keyward.RoleAuditor, "GET", path, nil); got["state"] == keyward.SpareHandedOver || got["handed_over_at"] != nil {
				t.Fatalf("a refused hand-over left %v", got)
			}
			if n := c.count(`SELECT COUNT(*) FROM keys WHERE status = 'issued'`); n != issued {
				t.Fatal("a refused hand-over issued a key")
			}
		}
		// Without proof: no cut, no hand-over.
		handOver("proof")
		c.want(409, "", keyward.RoleTechnician, "POST", path+"/produce", map[string]any{"keyway_id": kwID})
		c.want(400, "registration_ref", keyward.RoleAdvisor, "POST", path+"/proof", map[string]any{"relationship": "owner", "id_type": "passport", "id_last4": "4821"})
		c.want(400, "agent_letter_ref", keyward.RoleAdvisor, "POST", path+"/proof", map[string]any{"relationship": "agent", "id_type": "passport", "id_last4": "4821"})
		c.want(403, "", keyward.RoleTechnician, "POST", path+"/proof", map[string]any{"relationship": "owner", "id_type": "passport", "id_last4": "4821", "registration_ref": "V5C"})
		c.want(200, "", keyward.RoleAdvisor, "POST", path+"/proof", map[string]any{"relationship": "owner", "id_type": "passport", "id_last4": "4821", "registration_ref": "V5C 7731"})
		handOver("produce")
		c.want(403, "", keyward.RoleAdvisor, "POST", path+"/produce", map[string]any{"keyway_id": kwID})
		got := c.want(200, "", keyward.RoleTechnician, "POST", path+"/produce", map[string]any{"keyway_id": kwID})
		if got["key_stamp"] != "V1-1" {
			t.Fatalf("produced %v", got)
		}
		handOver("enroll")
		c.want(409, "", keyward.RoleTechnician, "POST", path+"/test", map[string]any{"starts_vehicle": true, "opens_door": true})
		c.want(400, "tool", keyward.RoleTechnician, "POST", path+"/enroll", map[string]any{})
		c.want(400, "date", keyward.RoleTechnician, "POST", path+"/enroll", map[string]any{"tool": "Autel IM608", "date": "next week"})
		c.want(200, "", keyward.RoleTechnician, "POST", path+"/enroll", map[string]any{"tool": "Autel IM608"})
		handOver("test")
		c.want(400, "opens_door", keyward.RoleTechnician, "POST", path+"/test", map[string]any{"starts_vehicle": true})
		c.want(400, "starts_vehicle", keyward.RoleTechnician, "POST", path+"/test", map[string]any{"starts_vehicle": "yes", "opens_door": true})
		// A failed test does not allow the hand-over.
		c.want(200, "", keyward.RoleTechnician, "POST", path+"/test", map[string]any{"starts_vehicle": false, "opens_door": true})
		handOver("test")
		c.want(200, "", keyward.RoleTechnician, "POST", path+"/test", map[string]any{"starts_vehicle": true, "opens_door": true})
		for _, role := range []keyward.Role{keyward.RoleAuditor, keyward.RoleHolder} {
			c.want(403, "", role, "POST", path+"/hand-over", nil)
		}
		done := c.want(200, "", keyward.RoleAdvisor, "POST", path+"/hand-over", nil)
		if done["state"] != keyward.SpareHandedOver || done["next_step"] != "" {
			t.Fatalf("handed over: %v", done)
		}
		c.want(409, "", keyward.RoleAdvisor, "POST", path+"/hand-over", nil)
		if n := c.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'denied.spare.hand_over'`); n < 5 {
			t.Fatalf("%d refused hand-overs in the audit log, want 5 or more", n)
		}
		c.want(404, "", keyward.RoleAuditor, "GET", "/api/v1/vehicle-spares/vsp_nope", nil)
		list := c.want(200, "", keyward.RoleAuditor, "GET", "/api/v1/vehicle-spares?open=yes", nil)
		if items, _ := list["items"].([]any); len(items) != 0 {
			t.Fatalf("open spares: %v", items)
		}
		c.want(400, "open", keyward.RoleAuditor, "GET", "/api/v1/vehicle-spares?open=maybe", nil)

		// A lost vehicle key asks whether the rest were re-enrolled.
		keyID := done["key_id"].(string)
		c.want(404, "", keyward.RoleTechnician, "POST", "/api/v1/keys/"+keyID+"/reenrollment", map[string]any{"answer": "yes"})
		c.want(200, "", keyward.RoleOwner, "POST", "/api/v1/keys/"+keyID+"/lost", map[string]any{"note": "lost at the depot"})
		open := c.want(200, "", keyward.RoleManager, "GET", "/api/v1/lost-vehicle-keys", nil)
		if items, _ := open["items"].([]any); len(items) != 1 {
			t.Fatalf("lost vehicle keys: %v", open)
		}
		c.want(400, "answer", keyward.RoleTechnician, "POST", "/api/v1/keys/"+keyID+"/reenrollment", map[string]any{"answer": "maybe"})
		c.want(403, "", keyward.RoleAdvisor, "POST", "/api/v1/keys/"+keyID+"/reenrollment", map[string]any{"answer": "yes"})
		a := c.want(200, "", keyward.RoleTechnician, "POST", "/api/v1/keys/"+keyID+"/reenrollment", map[string]any{"answer": "yes"})
		if a["open"] != false || a["answered_by_name"] == "" {
			t.Fatalf("answer = %v", a)
		}
		open = c.want(200, "", keyward.RoleManager, "GET", "/api/v1/lost-vehicle-keys", nil)
		if items, _ := open["items"].([]any); len(items) != 0 {
			t.Fatalf("lost vehicle keys after yes: %v", open)
		}
	})
}

// TestVehicleLostKeyQuestionPages: a lost key of a vehicle asks on its page
// whether the remaining keys were re-enrolled, and the dashboard lists it
// until someone answers yes.
func TestVehicleLostKeyQuestionPages(t *testing.T) {
	app := newTestApp(t, storetest.SQLite)
	var out map[string]any
	must := func(st int) {
		t.Helper()
		if st >= 300 {
			t.Fatalf("setup: %d %v", st, out)
		}
	}
	must(app.call(keyward.RoleOwner, "POST", "/api/v1/sites", map[string]any{"name": "Fleet Yard"}, &out))
	site := out["id"]
	must(app.call(keyward.RoleOwner, "POST", "/api/v1/openings", map[string]any{"site_id": site, "name": "Pickup (Toyota Hilux)", "kind": "vehicle"}, &out))
	van := out["id"].(string)
	must(app.call(keyward.RoleOwner, "POST", "/api/v1/openings/"+van+"/symbols", map[string]any{"symbol": "V3"}, &out))
	must(app.call(keyward.RoleOwner, "POST", "/api/v1/keyways", map[string]any{"name": "TOY48", "duplication_policy": "dnd"}, &out))
	must(app.call(keyward.RoleOwner, "POST", "/api/v1/keys", map[string]any{"keyway_id": out["id"], "symbol": "V3"}, &out))
	key := out["id"].(string)
	mgr := app.pageSession(keyward.RoleManager)
	if _, body := mgr.do("GET", "/keys/"+key, nil); strings.Contains(body, `id="vehicle-lost"`) {
		t.Fatal("a key not lost asks about re-enrollment")
	}
	must(app.call(keyward.RoleOwner, "POST", "/api/v1/keys/"+key+"/lost", map[string]any{"note": "lost on site"}, &out))
	_, body := mgr.do("GET", "/keys/"+key, nil)
	if !strings.Contains(body, `id="vehicle-lost"`) || !strings.Contains(body, "were the remaining keys re-enrolled?") || !strings.Contains(body, `id="reenroll-form"`) {
		t.Fatalf("the lost key's page does not ask: %s", body)
	}
	if _, body = mgr.do("GET", "/", nil); !strings.Contains(body, `id="vehicle-lost-keys"`) || !strings.Contains(body, "Pickup (Toyota Hilux): key V3-1 lost") {
		t.Fatal("the dashboard does not list the open question")
	}
	if st, _ := mgr.do("POST", "/keys/"+key+"/reenrollment", url.Values{"csrf": {mgr.CSRF}, "answer": {"no"}, "note": {"tool booked Friday"}}); st != 303 {
		t.Fatalf("answer no: %d", st)
	}
	if _, body = mgr.do("GET", "/", nil); !strings.Contains(body, "not re-enrolled yet") {
		t.Fatal("after no, the dashboard no longer lists it")
	}
	if st, _ := mgr.do("POST", "/keys/"+key+"/reenrollment", url.Values{"csrf": {mgr.CSRF}, "answer": {"yes"}}); st != 303 {
		t.Fatalf("answer yes: %d", st)
	}
	if _, body = mgr.do("GET", "/", nil); strings.Contains(body, `id="vehicle-lost-keys"`) {
		t.Fatal("after yes, the dashboard still lists it")
	}
	if _, body = mgr.do("GET", "/keys/"+key, nil); !strings.Contains(body, "no longer starts it") || strings.Contains(body, `id="reenroll-form"`) {
		t.Fatal("after yes, the key's page still asks")
	}
}
