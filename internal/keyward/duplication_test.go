package keyward

import (
	"strings"
	"testing"
	"time"
)

func TestCheckCopyStep(t *testing.T) {
	requester := Actor{UserID: "u_req", Role: RoleManager}
	other := Actor{UserID: "u_mgr", Role: RoleManager}
	checker := Actor{UserID: "u_chk", Role: RoleManager}
	owner := Actor{UserID: "u_own", Role: RoleOwner}
	advisor := Actor{UserID: "u_adv", Role: RoleAdvisor}
	tech := Actor{UserID: "u_tech", Role: RoleTechnician}
	holder := Actor{UserID: "u_hold", Role: RoleHolder, HolderID: "h1"}
	evidence := &CopyEvidence{CheckedBy: checker.UserID}
	req := func(policy, state string, ev *CopyEvidence, approvals ...string) *CopyRequest {
		r := &CopyRequest{Policy: policy, State: state, RequestedBy: requester.UserID, Evidence: ev, ApprovalsRequired: 1}
		for _, by := range approvals {
			r.Approvals = append(r.Approvals, CopyApproval{By: by})
		}
		return r
	}
	twoPerson := CopySettings{ApprovalsRequired: 1, TwoPersonRule: true}
	plain := DefaultCopySettings()
	cases := []struct {
		name     string
		r        *CopyRequest
		step     string
		a        Actor
		s        CopySettings
		want     Code   // "" for allowed
		contains string // in the message
	}{
		{"another manager approves dnd", req(DupDND, CopyRequested, nil), CopyStepApprove, other, plain, "", ""},
		{"requester approves own", req(DupDND, CopyRequested, nil), CopyStepApprove, requester, plain, EFORBIDDEN, "another manager"},
		{"requester denies own", req(DupDND, CopyRequested, nil), CopyStepDeny, requester, plain, EFORBIDDEN, "another manager"},
		{"advisor may not approve", req(DupDND, CopyRequested, nil), CopyStepApprove, advisor, plain, EFORBIDDEN, "advisor"},
		{"technician may not approve", req(DupDND, CopyRequested, nil), CopyStepApprove, tech, plain, EFORBIDDEN, "technician"},
		{"restricted without evidence", req(DupRestricted, CopyRequested, nil), CopyStepApprove, other, plain, ECONFLICT, "photo ID"},
		{"restricted with evidence", req(DupRestricted, CopyEvidenceAccepted, evidence), CopyStepApprove, other, plain, "", ""},
		{"checker approves, rule off", req(DupRestricted, CopyEvidenceAccepted, evidence), CopyStepApprove, checker, plain, "", ""},
		{"checker approves, two-person rule", req(DupRestricted, CopyEvidenceAccepted, evidence), CopyStepApprove, checker, twoPerson, EFORBIDDEN, "two-person"},
		{"same manager approves twice", req(DupDND, CopyRequested, nil, other.UserID), CopyStepApprove, other, plain, ECONFLICT, "already approved"},
		{"approve after cancel", req(DupDND, CopyCancelled, nil), CopyStepApprove, other, plain, ECONFLICT, "cancelled"},
		{"approve after deny", req(DupDND, CopyDenied, nil), CopyStepApprove, other, plain, ECONFLICT, "denied"},
		{"approve twice (already approved)", req(DupDND, CopyApproved, nil, other.UserID), CopyStepApprove, owner, plain, ECONFLICT, "approved"},
		{"escalated: manager may not decide", req(DupDND, CopyEscalated, nil), CopyStepApprove, other, plain, EFORBIDDEN, "owner"},
		{"escalated: owner decides", req(DupDND, CopyEscalated, nil), CopyStepApprove, owner, plain, "", ""},
		{"escalated: manager may not deny", req(DupDND, CopyEscalated, nil), CopyStepDeny, other, plain, EFORBIDDEN, "owner"},
		{"evidence for dnd", req(DupDND, CopyRequested, nil), CopyStepEvidence, advisor, plain, ECONFLICT, "restricted"},
		{"advisor takes evidence", req(DupRestricted, CopyRequested, nil), CopyStepEvidence, advisor, plain, "", ""},
		{"technician may not take evidence", req(DupRestricted, CopyRequested, nil), CopyStepEvidence, tech, plain, EFORBIDDEN, ""},
		{"produce approved", req(DupDND, CopyApproved, nil, other.UserID), CopyStepProduce, tech, plain, "", ""},
		{"produce twice", req(DupDND, CopyProduced, nil, other.UserID), CopyStepProduce, tech, plain, ECONFLICT, "produced"},
		{"produce before approval", req(DupDND, CopyRequested, nil), CopyStepProduce, tech, plain, ECONFLICT, ""},
		{"hand over produced", req(DupDND, CopyProduced, nil), CopyStepHandOver, advisor, plain, "", ""},
		{"hand over twice", req(DupDND, CopyHandedOver, nil), CopyStepHandOver, advisor, plain, ECONFLICT, "handed over"},
		{"cancel approved", req(DupDND, CopyApproved, nil), CopyStepCancel, advisor, plain, "", ""},
		{"cancel after production", req(DupDND, CopyProduced, nil), CopyStepCancel, owner, plain, ECONFLICT, "produced"},
		{"holder cancels own", &CopyRequest{Policy: DupDND, State: CopyRequested, RequestedBy: holder.UserID}, CopyStepCancel, holder, plain, "", ""},
		{"holder cancels another's", req(DupDND, CopyRequested, nil), CopyStepCancel, holder, plain, EFORBIDDEN, ""},
		{"holder may not approve", req(DupDND, CopyRequested, nil), CopyStepApprove, holder, plain, EFORBIDDEN, ""},
		{"auditor may not cancel", req(DupDND, CopyRequested, nil), CopyStepCancel, Actor{UserID: "a", Role: RoleAuditor}, plain, EFORBIDDEN, ""},
		{"escalate twice", req(DupDND, CopyEscalated, nil), CopyStepEscalate, other, plain, ECONFLICT, ""},
		{"unknown step", req(DupDND, CopyRequested, nil), "sing", other, plain, EINVALID, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckCopyStep(c.r, c.step, c.a, c.s)
			if got := ErrorCode(err); (c.want == "" && err != nil) || (c.want != "" && got != c.want) {
				t.Fatalf("CheckCopyStep = %v, want code %q", err, c.want)
			}
			if c.contains != "" && !strings.Contains(ErrorMessage(err), c.contains) {
				t.Fatalf("message %q does not say %q", ErrorMessage(err), c.contains)
			}
		})
	}
}

func TestNextCopyState(t *testing.T) {
	two := &CopyRequest{State: CopyRequested, ApprovalsRequired: 2}
	cases := []struct {
		name string
		r    *CopyRequest
		step string
		want string
	}{
		{"one of one approval", &CopyRequest{State: CopyRequested, ApprovalsRequired: 1}, CopyStepApprove, CopyApproved},
		{"first of two approvals", two, CopyStepApprove, CopyRequested},
		{"second of two approvals", &CopyRequest{State: CopyRequested, ApprovalsRequired: 2, Approvals: []CopyApproval{{By: "u1"}}}, CopyStepApprove, CopyApproved},
		{"owner decides an escalation at once", &CopyRequest{State: CopyEscalated, ApprovalsRequired: 3}, CopyStepApprove, CopyApproved},
		{"evidence", &CopyRequest{State: CopyRequested}, CopyStepEvidence, CopyEvidenceAccepted},
		{"deny", &CopyRequest{State: CopyEvidenceAccepted}, CopyStepDeny, CopyDenied},
		{"produce", &CopyRequest{State: CopyApproved}, CopyStepProduce, CopyProduced},
		{"hand over", &CopyRequest{State: CopyProduced}, CopyStepHandOver, CopyHandedOver},
		{"cancel", &CopyRequest{State: CopyApproved}, CopyStepCancel, CopyCancelled},
		{"escalate", &CopyRequest{State: CopyRequested}, CopyStepEscalate, CopyEscalated},
	}
	for _, c := range cases {
		if got := NextCopyState(c.r, c.step); got != c.want {
			t.Errorf("%s: NextCopyState = %s, want %s", c.name, got, c.want)
		}
	}
}

func TestApprovalsNeeded(t *testing.T) {
	cases := []struct {
		policy string
		s      CopySettings
		want   int
	}{
		{DupOpen, CopySettings{ApprovalsRequired: 3}, 0},
		{DupDND, CopySettings{ApprovalsRequired: 1}, 1},
		{DupRestricted, CopySettings{ApprovalsRequired: 2}, 2},
		{DupDND, CopySettings{}, 1},
	}
	for _, c := range cases {
		if got := ApprovalsNeeded(c.policy, c.s); got != c.want {
			t.Errorf("ApprovalsNeeded(%s, %+v) = %d, want %d", c.policy, c.s, got, c.want)
		}
	}
}

func TestCopyInputs(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	cases := []struct {
		name  string
		check func() error
		field string // "" when valid
	}{
		{"count 1", func() error { in := CopyRequestInput{KeyID: "k", Count: 1}; return in.Validate() }, ""},
		{"count 20", func() error { in := CopyRequestInput{KeyID: "k", Count: 20}; return in.Validate() }, ""},
		{"count 0", func() error { in := CopyRequestInput{KeyID: "k", Count: 0}; return in.Validate() }, "count"},
		{"count 21", func() error { in := CopyRequestInput{KeyID: "k", Count: 21}; return in.Validate() }, "count"},
		{"no key", func() error { in := CopyRequestInput{Count: 1}; return in.Validate() }, "key_id"},
		{"dnd without reason", func() error { return CheckCopyRequest(DupDND, CopyRequestInput{KeyID: "k", Count: 1, Reason: ""}) }, "reason"},
		{"restricted without reason", func() error { return CheckCopyRequest(DupRestricted, CopyRequestInput{KeyID: "k", Count: 1}) }, "reason"},
		{"open without reason", func() error { return CheckCopyRequest(DupOpen, CopyRequestInput{KeyID: "k", Count: 1}) }, ""},
		{"evidence ok", func() error {
			in := CopyEvidenceInput{SignatoryHolderID: "h", IDType: "passport", IDLast4: "12ab", AuthorizationCard: "C-1"}
			return in.Validate()
		}, ""},
		{"evidence bad id type", func() error {
			in := CopyEvidenceInput{SignatoryHolderID: "h", IDType: "library_card", IDLast4: "1234", AuthorizationCard: "C-1"}
			return in.Validate()
		}, "id_type"},
		{"evidence last4 too short", func() error {
			in := CopyEvidenceInput{SignatoryHolderID: "h", IDType: "passport", IDLast4: "123", AuthorizationCard: "C-1"}
			return in.Validate()
		}, "id_last4"},
		{"evidence no card", func() error {
			in := CopyEvidenceInput{SignatoryHolderID: "h", IDType: "passport", IDLast4: "1234"}
			return in.Validate()
		}, "authorization_card"},
		{"evidence no signatory", func() error {
			in := CopyEvidenceInput{IDType: "passport", IDLast4: "1234", AuthorizationCard: "C"}
			return in.Validate()
		}, "signatory_holder_id"},
		{"signatory until past", func() error { in := SignatoryInput{HolderID: "h", Until: &past}; return in.Validate(now) }, "until"},
		{"signatory until future", func() error { in := SignatoryInput{HolderID: "h", Until: &future}; return in.Validate(now) }, ""},
		{"card empty", func() error { in := CardInput{Number: "  "}; return in.Validate() }, "number"},
		{"card too long", func() error { in := CardInput{Number: Secret(strings.Repeat("9", 65))}; return in.Validate() }, "number"},
		{"deny without reason", func() error { in := CopyDecisionInput{Reason: " "}; return in.Validate() }, "reason"},
		{"hand over without holder", func() error { in := HandOverInput{}; return in.Validate() }, "holder_id"},
		{"settings 0 approvals", func() error { s := CopySettings{ApprovalsRequired: 0}; return s.Validate() }, "approvals_required"},
		{"settings 4 approvals", func() error { s := CopySettings{ApprovalsRequired: 4}; return s.Validate() }, "approvals_required"},
		{"uncontrolled without where", func() error { in := UncontrolledCopyInput{KeywayID: "kw", Symbol: "A1"}; return in.Validate() }, "where"},
	}
	for _, c := range cases {
		err := c.check()
		if c.field == "" {
			if err != nil {
				t.Errorf("%s: unexpected %v", c.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "["+c.field+":") {
			t.Errorf("%s: error %v does not name %s", c.name, err, c.field)
		}
	}
}

func TestSignatoryCurrent(t *testing.T) {
	now := time.Now()
	past, future := now.Add(-time.Minute), now.Add(time.Minute)
	cases := []struct {
		s    Signatory
		want bool
	}{
		{Signatory{}, true},
		{Signatory{Until: &future}, true},
		{Signatory{Until: &past}, false},
		{Signatory{RemovedAt: &past}, false},
	}
	for i, c := range cases {
		if got := c.s.Current(now); got != c.want {
			t.Errorf("case %d: Current = %v, want %v", i, got, c.want)
		}
	}
}

func TestMayCreateKeyDirectly(t *testing.T) {
	if err := MayCreateKeyDirectly(RoleManager, DupDND); ErrorCode(err) != EFORBIDDEN || !strings.Contains(err.Error(), "[keyway_id:") {
		t.Fatalf("refusal %v does not name keyway_id", err)
	}
	cases := []struct {
		role   Role
		policy string
		ok     bool
	}{
		{RoleManager, DupOpen, true},
		{RoleManager, DupDND, false},
		{RoleManager, DupRestricted, false},
		{RoleAdmin, DupRestricted, true},
		{RoleOwner, DupDND, true},
		{RoleSystem, DupRestricted, true},
	}
	for _, c := range cases {
		if err := MayCreateKeyDirectly(c.role, c.policy); (err == nil) != c.ok {
			t.Errorf("MayCreateKeyDirectly(%s, %s) = %v, want ok=%v", c.role, c.policy, err, c.ok)
		}
	}
}

func TestNormalizeIDType(t *testing.T) {
	cases := []struct{ in, want string }{
		{"passport", "passport"},
		{"driving_licence", "driving_licence"},
		{"driver_license", "driving_licence"},
		{"drivers_license", "driving_licence"},
		{"Drivers-License", "driving_licence"},
		{"driving license", "driving_licence"},
		{" National_ID ", "national_id"},
		{"library_card", "library_card"}, // unknown: left for Validate to refuse
		{"", ""},
	}
	for _, c := range cases {
		if got := NormalizeIDType(c.in); got != c.want {
			t.Errorf("NormalizeIDType(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	in := CopyEvidenceInput{SignatoryHolderID: "h", IDType: "drivers_license", IDLast4: "1234", AuthorizationCard: "C"}
	if err := in.Validate(); err != nil || in.IDType != "driving_licence" {
		t.Fatalf("evidence with drivers_license: %v, id_type %q", err, in.IDType)
	}
}

func TestCardMatches(t *testing.T) {
	cases := []struct {
		onFile, given Secret
		want          bool
	}{
		{"MC-004217", "MC-004217", true},
		{"MC-004217", "mc004217", true},
		{"MC-004217", "MC 0042 17", true},
		{"MC-004217", "MC-004218", false},
		{"MC-004217", "MC-00421", false},
		{"MC-004217", "", false},
		{"", "", false},
		{"", "MC-004217", false},
	}
	for _, c := range cases {
		if got := CardMatches(c.onFile, c.given); got != c.want {
			t.Errorf("CardMatches(%q, %q) = %v, want %v", c.onFile.Reveal(), c.given.Reveal(), got, c.want)
		}
	}
}

func TestMayRequestCopies(t *testing.T) {
	holder := Actor{UserID: "u_h", Role: RoleHolder, HolderID: "h1"}
	unlinked := Actor{UserID: "u_x", Role: RoleHolder}
	advisor := Actor{UserID: "u_a", Role: RoleAdvisor}
	mine := Key{ID: "k1", HolderID: "h1"}
	theirs := Key{ID: "k2", HolderID: "h2"}
	cases := []struct {
		name    string
		a       Actor
		k       Key
		held    bool
		forID   string
		want    Code
		wantFor string
	}{
		{"holder, own key", holder, mine, true, "", "", "h1"},
		{"holder, own key, for self", holder, mine, true, "h1", "", "h1"},
		{"holder, own key, for another", holder, mine, true, "h2", EFORBIDDEN, ""},
		{"holder, another's key", holder, theirs, true, "", EFORBIDDEN, ""},
		{"holder, key returned (not held)", holder, mine, false, "", EFORBIDDEN, ""},
		{"holder user linked to no holder", unlinked, Key{}, false, "", EFORBIDDEN, ""},
		{"staff, any key, for anyone", advisor, theirs, false, "h9", "", "h9"},
		{"staff, for nobody", advisor, theirs, true, "", "", ""},
	}
	for _, c := range cases {
		in := CopyRequestInput{KeyID: c.k.ID, Count: 1, ForHolderID: c.forID}
		err := MayRequestCopies(c.a, c.k, c.held, &in)
		if got := ErrorCode(err); got != c.want {
			t.Errorf("%s: code %q (%v), want %q", c.name, got, err, c.want)
			continue
		}
		if err == nil && in.ForHolderID != c.wantFor {
			t.Errorf("%s: for %q, want %q", c.name, in.ForHolderID, c.wantFor)
		}
	}
}

func TestCheckHandOver(t *testing.T) {
	cases := []struct {
		name  string
		r     CopyRequest
		to    string
		field string
	}{
		{"requested for nobody: anyone", CopyRequest{}, "h2", ""},
		{"requested for h1: h1", CopyRequest{ForHolderID: "h1", ForHolderName: "Dana"}, "h1", ""},
		{"requested for h1: not h2", CopyRequest{ForHolderID: "h1", ForHolderName: "Dana"}, "h2", "holder_id"},
	}
	for _, c := range cases {
		err := CheckHandOver(&c.r, c.to)
		if c.field == "" && err != nil || c.field != "" && (err == nil || !strings.Contains(err.Error(), "["+c.field+":")) {
			t.Errorf("%s: %v, want field %q", c.name, err, c.field)
		}
	}
}

func TestCopyRequestVisibleTo(t *testing.T) {
	r := &CopyRequest{RequestedBy: "u_h", ForHolderID: "h1"}
	staffMade := &CopyRequest{RequestedBy: "u_mgr", ForHolderID: "h1"}
	cases := []struct {
		name string
		r    *CopyRequest
		a    Actor
		want bool
	}{
		{"holder who asked", r, Actor{UserID: "u_h", Role: RoleHolder, HolderID: "h1"}, true},
		{"holder it was made for", staffMade, Actor{UserID: "u_h", Role: RoleHolder, HolderID: "h1"}, true},
		{"another holder", r, Actor{UserID: "u_o", Role: RoleHolder, HolderID: "h2"}, false},
		{"holder user linked to nobody", &CopyRequest{RequestedBy: "u_mgr"}, Actor{UserID: "u_x", Role: RoleHolder}, false},
		{"auditor", r, Actor{UserID: "u_a", Role: RoleAuditor}, true},
		{"technician", r, Actor{UserID: "u_t", Role: RoleTechnician}, true},
	}
	for _, c := range cases {
		if got := c.r.VisibleTo(c.a); got != c.want {
			t.Errorf("%s: VisibleTo = %v, want %v", c.name, got, c.want)
		}
	}
}
