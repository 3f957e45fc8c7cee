package keyward

import (
	"slices"
	"strings"
	"testing"
)

func TestCopyStepsFor(t *testing.T) {
	requester := Actor{UserID: "u_req", Role: RoleManager}
	other := Actor{UserID: "u_mgr", Role: RoleManager}
	owner := Actor{UserID: "u_own", Role: RoleOwner}
	advisor := Actor{UserID: "u_adv", Role: RoleAdvisor}
	tech := Actor{UserID: "u_tech", Role: RoleTechnician}
	holder := Actor{UserID: "u_hold", Role: RoleHolder, HolderID: "h1"}
	asker := Actor{UserID: "u_req", Role: RoleHolder, HolderID: "h1"}
	auditor := Actor{UserID: "u_aud", Role: RoleAuditor}
	ev := &CopyEvidence{CheckedBy: advisor.UserID}
	req := func(policy, state string, e *CopyEvidence) *CopyRequest {
		return &CopyRequest{Policy: policy, State: state, RequestedBy: requester.UserID, Evidence: e, ApprovalsRequired: 1}
	}
	plain := DefaultCopySettings()
	cases := []struct {
		name string
		r    *CopyRequest
		a    Actor
		want string
	}{
		{"requester of a dnd request: only cancel", req(DupDND, CopyRequested, nil), requester, "escalate cancel"},
		{"another manager: approve first", req(DupDND, CopyRequested, nil), other, "approve deny escalate cancel"},
		{"restricted, no evidence: the counter checks first", req(DupRestricted, CopyRequested, nil), advisor, "evidence escalate cancel"},
		{"restricted, no evidence: a manager may not approve yet", req(DupRestricted, CopyRequested, nil), other, "evidence deny escalate cancel"},
		{"restricted with evidence: approve", req(DupRestricted, CopyEvidenceAccepted, ev), other, "evidence approve deny escalate cancel"},
		{"escalated: the owner decides", req(DupDND, CopyEscalated, nil), owner, "approve deny cancel"},
		{"escalated: a manager only cancels", req(DupDND, CopyEscalated, nil), other, "cancel"},
		{"approved: the technician cuts", req(DupDND, CopyApproved, nil), tech, "produce"},
		{"produced: hand over", req(DupDND, CopyProduced, nil), advisor, "hand_over"},
		{"the holder who asked cancels", req(DupDND, CopyRequested, nil), asker, "cancel"},
		{"another holder: nothing", req(DupDND, CopyRequested, nil), holder, ""},
		{"an auditor: nothing", req(DupDND, CopyRequested, nil), auditor, ""},
		{"denied: nothing", req(DupDND, CopyDenied, nil), owner, ""},
	}
	for _, c := range cases {
		if got := strings.Join(CopyStepsFor(c.r, c.a, plain), " "); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestCopyWaitsFor(t *testing.T) {
	cases := []struct {
		policy, state string
		evidence      bool
		forHolder     string
		want          string
	}{
		{DupRestricted, CopyRequested, false, "", CopyStepEvidence},
		{DupDND, CopyRequested, false, "", CopyStepApprove},
		{DupRestricted, CopyEvidenceAccepted, true, "", CopyStepApprove},
		{DupRestricted, CopyEscalated, false, "", CopyStepApprove},
		{DupOpen, CopyApproved, false, "h1", CopyStepProduce},
		{DupDND, CopyProduced, false, "h1", CopyStepHandOver},
		{DupDND, CopyProduced, false, "", ""},
		{DupDND, CopyHandedOver, false, "h1", ""},
		{DupDND, CopyDenied, false, "", ""},
		{DupDND, CopyCancelled, false, "", ""},
	}
	for _, c := range cases {
		r := &CopyRequest{Policy: c.policy, State: c.state, ForHolderID: c.forHolder}
		if c.evidence {
			r.Evidence = &CopyEvidence{}
		}
		if got := CopyWaitsFor(r); got != c.want {
			t.Errorf("%s %s (for %q): waits for %q, want %q", c.policy, c.state, c.forHolder, got, c.want)
		}
		// What it waits for is a step someone may take in that state.
		if want := CopyWaitsFor(r); want != "" && !slices.Contains(copyStepFrom[want], c.state) {
			t.Errorf("%s waits for %s, which cannot be taken from it", c.state, want)
		}
	}
}

func TestCopyGroupStates(t *testing.T) {
	seen := map[string]string{}
	for _, g := range CopyGroups {
		for _, st := range CopyGroupStates[g] {
			if prev, dup := seen[st]; dup {
				t.Errorf("state %s is in %s and %s", st, prev, g)
			}
			seen[st] = g
		}
	}
	for _, st := range CopyStates {
		if seen[st] == "" {
			t.Errorf("state %s is in no group", st)
		}
	}
	if len(seen) != len(CopyStates) {
		t.Errorf("groups hold %d states, the workflow has %d", len(seen), len(CopyStates))
	}
}
