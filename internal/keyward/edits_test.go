package keyward

import (
	"errors"
	"strings"
	"testing"
)

// fieldsOf returns "field: rule" of every field error of err, "" for nil.
func fieldsOf(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != EINVALID {
		t.Fatalf("error %v is no EINVALID *Error", err)
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field+": "+f.Rule)
	}
	return strings.Join(out, "; ")
}

func TestKeyPatchValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		in   KeyPatch
		want string
	}{
		{"empty patch", KeyPatch{}, ""},
		{"keyway", KeyPatch{KeywayID: ptr("kw1")}, ""},
		{"empty keyway", KeyPatch{KeywayID: ptr("")}, "keyway_id: is required"},
		{"symbol", KeyPatch{Symbol: ptr("AA2")}, "symbol: " + RuleStamped},
		{"copy number", KeyPatch{CopyNumber: ptr(3)}, "copy_number: " + RuleStamped},
		{"all wrong", KeyPatch{KeywayID: ptr(""), Symbol: ptr(""), CopyNumber: ptr(0)},
			"symbol: " + RuleStamped + "; copy_number: " + RuleStamped + "; keyway_id: is required"},
	} {
		if got := fieldsOf(t, c.in.Validate()); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestStoragePatchValidate(t *testing.T) {
	long := strings.Repeat("x", MaxName+1)
	for _, c := range []struct {
		name    string
		in      StoragePatch
		kind    string
		highest int
		want    string
	}{
		{"empty patch", StoragePatch{}, StorageLockbox, 0, ""},
		{"name", StoragePatch{Name: ptr(" Front box ")}, StorageLockbox, 0, ""},
		{"blank name", StoragePatch{Name: ptr("   ")}, StorageLockbox, 0, "name: is required"},
		{"long name", StoragePatch{Name: ptr(long)}, StorageLockbox, 0, "name: must be at most 200 characters"},
		{"empty location", StoragePatch{Location: ptr("")}, StorageLockbox, 0, ""},
		{"long location", StoragePatch{Location: ptr(long)}, StorageLockbox, 0, "location: must be at most 200 characters"},
		{"NUL location", StoragePatch{Location: ptr("a\x00b")}, StorageLockbox, 0, "location: must not contain NUL"},
		{"hooks on a lockbox", StoragePatch{Hooks: ptr(10)}, StorageLockbox, 0, "hooks: only a cabinet has hooks"},
		{"hooks on a cabinet", StoragePatch{Hooks: ptr(10)}, StorageCabinet, 0, ""},
		{"hooks equal to highest in use", StoragePatch{Hooks: ptr(10)}, StorageCabinet, 10, ""},
		{"hooks below highest in use", StoragePatch{Hooks: ptr(9)}, StorageCabinet, 10, "hooks: must be at least 10: a key hangs on that hook"},
		{"zero hooks", StoragePatch{Hooks: ptr(0)}, StorageCabinet, 0, "hooks: must be between 1 and 2000 for a cabinet"},
		{"too many hooks", StoragePatch{Hooks: ptr(MaxHooks + 1)}, StorageCabinet, 0, "hooks: must be between 1 and 2000 for a cabinet"},
		{"most hooks", StoragePatch{Hooks: ptr(MaxHooks)}, StorageCabinet, 0, ""},
	} {
		in := c.in
		if got := fieldsOf(t, in.Validate(c.kind, c.highest)); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
	in := StoragePatch{Name: ptr("  Back door  "), Location: ptr(" hall ")}
	if err := in.Validate(StorageLockbox, 0); err != nil || *in.Name != "Back door" || *in.Location != "hall" {
		t.Errorf("trimmed: %v %q %q", err, *in.Name, *in.Location)
	}
}

func TestCodeChangeInputValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		in   CodeChangeInput
		want string
	}{
		{"code and reason", CodeChangeInput{Code: "1234", Reason: "tenant moved out"}, ""},
		{"no reason", CodeChangeInput{Code: "1234"}, "reason: is required"},
		{"blank reason", CodeChangeInput{Code: "1234", Reason: "  \t "}, "reason: is required"},
		{"long reason", CodeChangeInput{Code: "1234", Reason: strings.Repeat("r", MaxNote+1)}, "reason: must be at most 2000 characters"},
		{"no code", CodeChangeInput{Reason: "why"}, "code: is required"},
		{"long code", CodeChangeInput{Code: Secret(strings.Repeat("1", 33)), Reason: "why"}, "code: must be 1-32 printable ASCII characters"},
		{"control in code", CodeChangeInput{Code: "12\n4", Reason: "why"}, "code: must be 1-32 printable ASCII characters"},
		{"nothing", CodeChangeInput{}, "code: is required; reason: is required"},
	} {
		in := c.in
		got := fieldsOf(t, in.Validate())
		if got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
		if in.Code != "" && strings.Contains(got, in.Code.Reveal()) {
			t.Errorf("%s: the error %q shows the code", c.name, got)
		}
	}
}

func TestUserPatchValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		in   UserPatch
		want string
	}{
		{"empty patch", UserPatch{}, ""},
		{"name", UserPatch{Name: ptr(" Dana ")}, ""},
		{"blank name", UserPatch{Name: ptr(" ")}, "name: is required"},
		{"long name", UserPatch{Name: ptr(strings.Repeat("n", MaxName+1))}, "name: must be at most 200 characters"},
		{"role", UserPatch{Role: ptr(RoleAuditor)}, ""},
		{"unknown role", UserPatch{Role: ptr(Role("boss"))}, "role: must be one of owner, admin, manager, advisor, technician, holder, auditor"},
		{"system role", UserPatch{Role: ptr(RoleSystem)}, "role: must be one of owner, admin, manager, advisor, technician, holder, auditor"},
		{"disabled", UserPatch{Disabled: ptr(true)}, ""},
	} {
		in := c.in
		if got := fieldsOf(t, in.Validate()); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestOrgPatchValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		in   OrgPatch
		want string
	}{
		{"empty patch", OrgPatch{}, ""},
		{"name", OrgPatch{Name: ptr("Acme Lettings")}, ""},
		{"blank name", OrgPatch{Name: ptr("  ")}, "name: is required"},
		{"zone", OrgPatch{TimeZone: ptr("Europe/Berlin")}, ""},
		{"zone with spaces", OrgPatch{TimeZone: ptr(" Asia/Tokyo ")}, ""},
		{"UTC", OrgPatch{TimeZone: ptr("UTC")}, ""},
		{"words for a zone", OrgPatch{TimeZone: ptr("Eastern")}, ""},
		{"unknown zone", OrgPatch{TimeZone: ptr("Mars/Olympus")}, "time_zone: must be a time zone from the list, such as America/New_York (Eastern) or Europe/Berlin"},
		{"empty zone", OrgPatch{TimeZone: ptr("")}, "time_zone: must be a time zone from the list, such as America/New_York (Eastern) or Europe/Berlin"},
	} {
		in := c.in
		if got := fieldsOf(t, in.Validate()); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestValidTimeZone(t *testing.T) {
	for _, c := range []struct {
		name string
		want bool
	}{
		{"UTC", true},
		{"Europe/Berlin", true},
		{"America/Argentina/Buenos_Aires", true},
		{"Pacific/Honolulu", true},
		{"", false},
		{"utc", false},
		{"europe/berlin", false},
		{"Local", false},        // time.LoadLocation accepts it; the list does not
		{"Etc/GMT+5", false},    // a real IANA zone, not one people live in
		{"America/Boise", true}, // not common, but on the full list
		{"America/Argentina", false},
		{"Europe/Berlin ", false}, // callers trim; the rule does not
		{"../etc/passwd", false},
	} {
		if got := ValidTimeZone(c.name); got != c.want {
			t.Errorf("ValidTimeZone(%q) = %v, want %v", c.name, got, c.want)
		}
	}
	// Every zone offered on the list is accepted (and loads), once: the
	// common zones first, then every other zone under its region.
	seen := map[string]bool{}
	groups := TimeZones()
	if groups[0].Region != "Common" || groups[0].Zones[0].Name != "America/New_York" {
		t.Errorf("the list does not start with the common zones: %+v", groups[0])
	}
	for i, g := range groups {
		if g.Region == "" || len(g.Zones) == 0 {
			t.Errorf("empty group %+v", g)
		}
		for _, z := range g.Zones {
			if seen[z.Name] {
				t.Errorf("zone %q is listed twice", z.Name)
			}
			seen[z.Name] = true
			if (i > 0 && !strings.HasPrefix(z.Name, g.Region+"/")) || !ValidTimeZone(z.Name) || z.Label == "" {
				t.Errorf("zone %+v of group %q is refused, unlabelled or misgrouped", z, g.Region)
			}
		}
	}
	if len(seen) != len(allZones())+1 { // and UTC
		t.Errorf("TimeZones() lists %d zones, want every zone and UTC (%d)", len(seen), len(allZones())+1)
	}
}

func TestResolveTimeZone(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Eastern", "America/New_York"},
		{"eastern time", "America/New_York"},
		{"US/Eastern", "America/New_York"},
		{" EST ", "America/New_York"},
		{"Pacific", "America/Los_Angeles"},
		{"Central Time (US and Canada)", "America/Chicago"},
		{"europe/berlin", "Europe/Berlin"},
		{"America/New York", "America/New_York"},
		{"Europe/Berlin", "Europe/Berlin"},
		{"utc", "UTC"},
		{"CET", "Europe/Berlin"},
		{"Mars/Olympus", ""},
		{"", ""},
		{"Local", ""},
		{"../etc/passwd", ""},
	} {
		got, ok := ResolveTimeZone(c.in)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("ResolveTimeZone(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
	// Every word names a zone on the list.
	for w, z := range zoneWords {
		if !ValidTimeZone(z) {
			t.Errorf("%q names %q, which is not on the list", w, z)
		}
	}
}

func TestMayChangeUser(t *testing.T) {
	const me, other = "u-me", "u-other"
	for _, c := range []struct {
		name        string
		actor       Role
		actorID     string
		target      Role
		in          UserPatch
		otherOwners int
		want        Code
	}{
		{"admin renames an admin", RoleAdmin, me, RoleAdmin, UserPatch{Name: ptr("x")}, 1, ""},
		{"admin renames an owner", RoleAdmin, me, RoleOwner, UserPatch{Name: ptr("x")}, 0, EFORBIDDEN}, // an owner's account is the owners' alone
		{"admin sets an owner's role to owner (no change)", RoleAdmin, me, RoleOwner, UserPatch{Role: ptr(RoleOwner)}, 0, EFORBIDDEN},
		{"admin makes a manager an auditor", RoleAdmin, me, RoleManager, UserPatch{Role: ptr(RoleAuditor)}, 1, ""},
		{"admin disables a manager", RoleAdmin, me, RoleManager, UserPatch{Disabled: ptr(true)}, 1, ""},
		{"admin enables an owner", RoleAdmin, me, RoleOwner, UserPatch{Disabled: ptr(false)}, 0, EFORBIDDEN}, // re-enabling would hand back owner powers
		{"admin promotes to owner", RoleAdmin, me, RoleManager, UserPatch{Role: ptr(RoleOwner)}, 1, EFORBIDDEN},
		{"admin demotes an owner", RoleAdmin, me, RoleOwner, UserPatch{Role: ptr(RoleAdmin)}, 1, EFORBIDDEN},
		{"admin disables an owner", RoleAdmin, me, RoleOwner, UserPatch{Disabled: ptr(true)}, 1, EFORBIDDEN},
		{"admin promotes self to owner", RoleAdmin, me, RoleAdmin, UserPatch{Role: ptr(RoleOwner)}, 1, EFORBIDDEN},
		{"owner promotes to owner", RoleOwner, me, RoleAdmin, UserPatch{Role: ptr(RoleOwner)}, 0, ""},
		{"owner demotes another owner", RoleOwner, me, RoleOwner, UserPatch{Role: ptr(RoleAdmin)}, 1, ""},
		{"owner disables another owner", RoleOwner, me, RoleOwner, UserPatch{Disabled: ptr(true)}, 1, ""},
		{"owner demotes self", RoleOwner, me, RoleOwner, UserPatch{Role: ptr(RoleAdmin)}, 1, ECONFLICT},
		{"owner disables self", RoleOwner, me, RoleOwner, UserPatch{Disabled: ptr(true)}, 1, ECONFLICT},
		{"admin demotes self", RoleAdmin, me, RoleAdmin, UserPatch{Role: ptr(RoleManager)}, 1, ECONFLICT},
		{"admin disables self", RoleAdmin, me, RoleAdmin, UserPatch{Disabled: ptr(true)}, 1, ECONFLICT},
		{"renames self", RoleAdmin, me, RoleAdmin, UserPatch{Name: ptr("x"), Role: ptr(RoleAdmin), Disabled: ptr(false)}, 1, ""},
		{"owner demotes the last owner", RoleOwner, me, RoleOwner, UserPatch{Role: ptr(RoleAdmin)}, 0, ECONFLICT},
		{"owner disables the last owner", RoleOwner, me, RoleOwner, UserPatch{Disabled: ptr(true)}, 0, ECONFLICT},
	} {
		targetID := other
		if strings.Contains(c.name, "self") {
			targetID = me
		}
		err := MayChangeUser(c.actor, c.actorID, targetID, c.target, c.in, c.otherOwners)
		if got := ErrorCode(err); got != c.want {
			t.Errorf("%s: got %v, want code %q", c.name, err, c.want)
		}
		if err != nil && ErrorMessage(err) == "" {
			t.Errorf("%s: no message", c.name)
		}
	}
}
