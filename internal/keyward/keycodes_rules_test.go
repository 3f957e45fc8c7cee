package keyward

import (
	"strings"
	"testing"
	"time"
)

func TestVIN(t *testing.T) {
	for _, c := range []struct {
		in        string
		wellForm  bool
		checkOK   bool
		normalize string
	}{
		{"1M8GDM9AXKP042788", true, true, "1M8GDM9AXKP042788"},     // the textbook VIN: check digit X
		{"11111111111111111", true, true, "11111111111111111"},     // all ones: check digit 1
		{"1m8gdm9axkp042788", true, true, "1M8GDM9AXKP042788"},     // upper-cased first
		{" 1M8-GDM9AXKP042788 ", true, true, "1M8GDM9AXKP042788"},  // spaces and dashes people type
		{"1M8GDM9A1KP042788", true, false, "1M8GDM9A1KP042788"},    // well formed, wrong check digit
		{"WVWZZZ1JZXW000001", true, false, "WVWZZZ1JZXW000001"},    // a European VIN: no check digit
		{"1M8GDM9AXKP04278", false, false, "1M8GDM9AXKP04278"},     // 16 characters
		{"1M8GDM9AXKP0427888", false, false, "1M8GDM9AXKP0427888"}, // 18
		{"1M8GDM9AXKP04278I", false, false, "1M8GDM9AXKP04278I"},   // I
		{"1M8GDM9AXKP04278O", false, false, "1M8GDM9AXKP04278O"},   // O
		{"1M8GDM9AXKP04278Q", false, false, "1M8GDM9AXKP04278Q"},   // Q
		{"1M8GDM9AXKP04278*", false, false, "1M8GDM9AXKP04278*"},
		{"", false, false, ""},
	} {
		n := NormalizeVIN(c.in)
		if n != c.normalize {
			t.Errorf("NormalizeVIN(%q) = %q, want %q", c.in, n, c.normalize)
		}
		if got := VINWellFormed(n); got != c.wellForm {
			t.Errorf("VINWellFormed(%q) = %v", n, got)
		}
		if got := VINCheckDigitOK(n); got != c.checkOK {
			t.Errorf("VINCheckDigitOK(%q) = %v", n, got)
		}
		var v Validator
		w, ok := CheckVIN(&v, "vin", n)
		switch {
		case !c.wellForm:
			if ok || v.Err() == nil || !strings.Contains(v.Err().Error(), "vin: "+RuleVIN) {
				t.Errorf("CheckVIN(%q) = %q %v %v, want an error naming vin", n, w, ok, v.Err())
			}
		case !c.checkOK:
			if !ok || v.Err() != nil || w != RuleVINCheckDigit {
				t.Errorf("CheckVIN(%q) = %q %v %v, want the check digit warning", n, w, ok, v.Err())
			}
		default:
			if !ok || v.Err() != nil || w != "" {
				t.Errorf("CheckVIN(%q) = %q %v %v, want clean", n, w, ok, v.Err())
			}
		}
	}
}

func FuzzVIN(f *testing.F) {
	for _, s := range []string{"1M8GDM9AXKP042788", "1m8-gdm9a1kp042788", "WVWZZZ1JZXW000001", "IOQ", "", "\x00\xff12345678901234567"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeVIN(s)
		var v Validator
		w, ok := CheckVIN(&v, "vin", n)
		if ok != VINWellFormed(n) || ok != (v.Err() == nil) {
			t.Fatalf("CheckVIN(%q): ok %v, well formed %v, err %v", n, ok, VINWellFormed(n), v.Err())
		}
		if ok && (w == "") != VINCheckDigitOK(n) {
			t.Fatalf("CheckVIN(%q): warning %q but check digit ok %v", n, w, VINCheckDigitOK(n))
		}
		if NormalizeVIN(n) != n {
			t.Fatalf("NormalizeVIN is not idempotent on %q", s)
		}
	})
}

func TestKeyCodeInputValidate(t *testing.T) {
	for _, c := range []struct {
		name  string
		in    KeyCodeInput
		field string // "" valid
		warn  bool
	}{
		{"vehicle", KeyCodeInput{VIN: "1m8gdm9axkp042788", Code: "K4471", Source: CodeSourceService}, "", false},
		{"lock", KeyCodeInput{OpeningID: "opn_1", Code: "1234", Source: CodeSourceInternal}, "", false},
		{"bad check digit warns", KeyCodeInput{VIN: "1M8GDM9A1KP042788", Code: "K4471", Source: CodeSourceManufacturer}, "", true},
		{"neither", KeyCodeInput{Code: "K4471", Source: CodeSourceService}, "vin", false},
		{"both", KeyCodeInput{VIN: "1M8GDM9AXKP042788", OpeningID: "opn_1", Code: "K4471", Source: CodeSourceService}, "opening_id", false},
		{"malformed vin", KeyCodeInput{VIN: "1M8GDM9AXKP04278O", Code: "K4471", Source: CodeSourceService}, "vin", false},
		{"no code", KeyCodeInput{VIN: "1M8GDM9AXKP042788", Code: "  ", Source: CodeSourceService}, "code", false},
		{"code too long", KeyCodeInput{VIN: "1M8GDM9AXKP042788", Code: Secret(strings.Repeat("1", 65)), Source: CodeSourceService}, "code", false},
		{"code on two lines", KeyCodeInput{VIN: "1M8GDM9AXKP042788", Code: "12\n34", Source: CodeSourceService}, "code", false},
		{"unknown source", KeyCodeInput{VIN: "1M8GDM9AXKP042788", Code: "K4471", Source: "forum"}, "source", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, err := c.in.Validate()
			if c.field == "" {
				if err != nil || (len(w) > 0) != c.warn {
					t.Fatalf("Validate = %v, %v", w, err)
				}
				if c.warn && w[0].Field != "vin" {
					t.Fatalf("warning %+v does not name vin", w[0])
				}
				return
			}
			if ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), c.field+":") {
				t.Fatalf("Validate = %v, want a 400 naming %s", err, c.field)
			}
			if strings.Contains(err.Error(), c.in.Code.Reveal()) && strings.TrimSpace(c.in.Code.Reveal()) != "" {
				t.Fatalf("the error repeats the code: %v", err)
			}
		})
	}
}

func TestCheckCodeStep(t *testing.T) {
	advisor := Actor{UserID: "u_adv", Role: RoleAdvisor}
	mgr := Actor{UserID: "u_mgr", Role: RoleManager}
	mgrRequester := Actor{UserID: "u_req", Role: RoleManager}
	tech := Actor{UserID: "u_tech", Role: RoleTechnician}
	owner := Actor{UserID: "u_own", Role: RoleOwner}
	strict := DefaultCodeSettings()
	strict.Evidence = map[string][]string{RelOwner: {EvidenceIDChecked, EvidenceRegistration}, RelFleet: {EvidenceFleet}}
	req := func(state, rel string, ev CodeEvidence, covers bool) *CodeRequest {
		return &CodeRequest{State: state, Relationship: rel, RequestedBy: "u_req", Evidence: ev, FleetCovers: covers}
	}
	full := CodeEvidence{IDType: "passport", IDLast4: "4821", RegistrationRef: "V5C 1234"}
	for _, c := range []struct {
		name string
		r    *CodeRequest
		step string
		a    Actor
		s    CodeSettings
		want Code
	}{
		{"manager approves", req(CodeRequested, RelOwner, CodeEvidence{}, false), CodeStepApprove, mgr, DefaultCodeSettings(), ""},
		{"owner approves", req(CodeRequested, RelOwner, CodeEvidence{}, false), CodeStepApprove, owner, DefaultCodeSettings(), ""},
		{"the requester may not approve", req(CodeRequested, RelOwner, CodeEvidence{}, false), CodeStepApprove, mgrRequester, DefaultCodeSettings(), EFORBIDDEN},
		{"the requester may not deny", req(CodeRequested, RelOwner, CodeEvidence{}, false), CodeStepDeny, mgrRequester, DefaultCodeSettings(), EFORBIDDEN},
		{"an advisor may not approve", req(CodeRequested, RelOwner, CodeEvidence{}, false), CodeStepApprove, advisor, DefaultCodeSettings(), EFORBIDDEN},
		{"a technician may not approve", req(CodeRequested, RelOwner, CodeEvidence{}, false), CodeStepApprove, tech, DefaultCodeSettings(), EFORBIDDEN},
		{"approved twice", req(CodeApproved, RelOwner, CodeEvidence{}, false), CodeStepApprove, mgr, DefaultCodeSettings(), ECONFLICT},
		{"missing evidence", req(CodeRequested, RelOwner, CodeEvidence{IDType: "passport", IDLast4: "4821"}, false), CodeStepApprove, mgr, strict, ECONFLICT},
		{"evidence complete", req(CodeRequested, RelOwner, full, false), CodeStepApprove, mgr, strict, ""},
		{"fleet not covering the vehicle", req(CodeRequested, RelFleet, CodeEvidence{FleetID: "flt_1"}, false), CodeStepApprove, mgr, strict, ECONFLICT},
		{"fleet covering the vehicle", req(CodeRequested, RelFleet, CodeEvidence{FleetID: "flt_1"}, true), CodeStepApprove, mgr, strict, ""},
		{"agent: no rule, no evidence needed", req(CodeRequested, RelAgent, CodeEvidence{}, false), CodeStepApprove, mgr, strict, ""},
		{"advisor adds evidence", req(CodeRequested, RelOwner, CodeEvidence{}, false), CodeStepEvidence, advisor, strict, ""},
		{"no evidence after approval", req(CodeApproved, RelOwner, CodeEvidence{}, false), CodeStepEvidence, advisor, strict, ECONFLICT},
		{"technician closes the job", req(CodeApproved, RelOwner, CodeEvidence{}, false), CodeStepClose, tech, strict, ""},
		{"a manager does not record the service", req(CodeApproved, RelOwner, CodeEvidence{}, false), CodeStepClose, mgr, strict, EFORBIDDEN},
		{"closing an unapproved job", req(CodeRequested, RelOwner, CodeEvidence{}, false), CodeStepClose, tech, strict, ECONFLICT},
		{"advisor cancels an approved request", req(CodeApproved, RelOwner, CodeEvidence{}, false), CodeStepCancel, advisor, strict, ""},
		{"closed is final", req(CodeClosed, RelOwner, CodeEvidence{}, false), CodeStepCancel, advisor, strict, ECONFLICT},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := CheckCodeStep(c.r, c.step, c.a, c.s)
			if got := ErrorCode(err); (c.want == "" && err != nil) || (c.want != "" && got != c.want) {
				t.Fatalf("CheckCodeStep = %v, want %q", err, c.want)
			}
		})
	}
}

func TestCheckReveal(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	later, earlier := now.Add(time.Hour), now.Add(-time.Minute)
	tech := Actor{UserID: "u_tech", Role: RoleTechnician}
	code := func(mod func(*KeyCode)) *KeyCode {
		k := &KeyCode{ID: "kc_1"}
		if mod != nil {
			mod(k)
		}
		return k
	}
	approved := func(mod func(*CodeRequest)) *CodeRequest {
		r := &CodeRequest{ID: "cq_1", KeyCodeID: "kc_1", State: CodeApproved, ExpiresAt: &later, MaxReveals: 2}
		if mod != nil {
			mod(r)
		}
		return r
	}
	for _, c := range []struct {
		name string
		f    RevealFacts
		want Code
	}{
		{"technician with an approved request", RevealFacts{tech, code(nil), approved(nil), now}, ""},
		{"admin", RevealFacts{Actor{Role: RoleAdmin}, code(nil), approved(nil), now}, ""},
		{"owner", RevealFacts{Actor{Role: RoleOwner}, code(nil), approved(nil), now}, ""},
		{"advisor", RevealFacts{Actor{Role: RoleAdvisor}, code(nil), approved(nil), now}, EFORBIDDEN},
		{"manager", RevealFacts{Actor{Role: RoleManager}, code(nil), approved(nil), now}, EFORBIDDEN},
		{"auditor", RevealFacts{Actor{Role: RoleAuditor}, code(nil), approved(nil), now}, EFORBIDDEN},
		{"holder", RevealFacts{Actor{Role: RoleHolder}, code(nil), approved(nil), now}, EFORBIDDEN},
		{"no request", RevealFacts{tech, code(nil), nil, now}, ECONFLICT},
		{"another code's request", RevealFacts{tech, code(nil), approved(func(r *CodeRequest) { r.KeyCodeID = "kc_2" }), now}, ECONFLICT},
		{"not approved yet", RevealFacts{tech, code(nil), approved(func(r *CodeRequest) { r.State = CodeRequested }), now}, ECONFLICT},
		{"job closed", RevealFacts{tech, code(nil), approved(func(r *CodeRequest) { r.State = CodeClosed }), now}, ECONFLICT},
		{"expired", RevealFacts{tech, code(nil), approved(func(r *CodeRequest) { r.ExpiresAt = &earlier }), now}, ECONFLICT},
		{"expires this instant", RevealFacts{tech, code(nil), approved(func(r *CodeRequest) { r.ExpiresAt = &now }), now}, ECONFLICT},
		{"used up", RevealFacts{tech, code(nil), approved(func(r *CodeRequest) { r.Reveals = 2 }), now}, ECONFLICT},
		{"one reveal left", RevealFacts{tech, code(nil), approved(func(r *CodeRequest) { r.Reveals = 1 }), now}, ""},
		{"incident open", RevealFacts{tech, code(func(k *KeyCode) { k.IncidentID = "inc_1" }), approved(nil), now}, ECONFLICT},
		{"disposed", RevealFacts{tech, code(func(k *KeyCode) { k.Disposal = &CodeDisposal{At: earlier} }), approved(nil), now}, ECONFLICT},
		// The role is refused before anything about the code is said.
		{"manager on a disposed code", RevealFacts{Actor{Role: RoleManager}, code(func(k *KeyCode) { k.Disposal = &CodeDisposal{At: earlier} }), nil, now}, EFORBIDDEN},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := CheckReveal(c.f)
			if got := ErrorCode(err); (c.want == "" && err != nil) || (c.want != "" && got != c.want) {
				t.Fatalf("CheckReveal = %v, want %q", err, c.want)
			}
		})
	}
}

func TestCodeDisposalDue(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	t1 := t0.Add(48 * time.Hour)
	s := DefaultCodeSettings() // 30 days
	day := 24 * time.Hour
	for _, c := range []struct {
		name  string
		f     DisposalFacts
		due   *time.Time
		words string
	}{
		{"no job closed yet", DisposalFacts{}, nil, "after the job it is used for is closed"},
		{"job closed", DisposalFacts{LastClosedAt: &t0}, ptr(t0.Add(30 * day)), "30 days after the job is closed"},
		{"a job still open", DisposalFacts{LastClosedAt: &t0, OpenJobs: 1}, nil, "kept while a job on it is open"},
		{"in a fleet", DisposalFacts{LastClosedAt: &t0, InFleet: true}, nil, "kept while the vehicle is in the fleet"},
		{"left the fleet after the job", DisposalFacts{LastClosedAt: &t0, LeftFleetAt: &t1}, ptr(t1.Add(30 * day)), "after the vehicle left the fleet"},
		{"left the fleet before the job", DisposalFacts{LastClosedAt: &t1, LeftFleetAt: &t0}, ptr(t1.Add(30 * day)), "after the job is closed"},
		{"already disposed", DisposalFacts{Disposed: true, LastClosedAt: &t0}, nil, "disposed of"},
	} {
		t.Run(c.name, func(t *testing.T) {
			due, words := CodeDisposalDue(c.f, s)
			if (due == nil) != (c.due == nil) || (due != nil && !due.Equal(*c.due)) || !strings.Contains(words, c.words) {
				t.Fatalf("CodeDisposalDue = %v %q, want %v %q", due, words, c.due, c.words)
			}
		})
	}
	if DisposalDueNow(DisposalFacts{LastClosedAt: &t0}, s, t0.Add(30*day-time.Second)) || !DisposalDueNow(DisposalFacts{LastClosedAt: &t0}, s, t0.Add(30*day)) {
		t.Fatal("DisposalDueNow is not due exactly at the end of the retention")
	}
	zero := s
	zero.RetentionDays = 0
	if !DisposalDueNow(DisposalFacts{LastClosedAt: &t0}, zero, t0) {
		t.Fatal("a retention of 0 days is due when the job closes")
	}
}

func TestCodeJobChecklist(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	due := t0.Add(30 * 24 * time.Hour)
	vehicle := &KeyCode{ID: "kc_1", VIN: "1M8GDM9AXKP042788", Source: CodeSourceService, SourceRef: "order 88"}
	reveal := CodeReveal{ByName: "Tom", At: t0}
	ticks := func(items []CodeCheckItem) string {
		var b strings.Builder
		for _, it := range items {
			if it.Done {
				b.WriteByte('Y')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	for _, c := range []struct {
		name string
		f    CodeJobFacts
		want string // identity, relationship, source, logged, disposal
	}{
		{"nothing but the source", CodeJobFacts{Request: &CodeRequest{State: CodeRequested, Relationship: RelOwner}, Code: vehicle}, "..Y.."},
		{"owner with ID and registration", CodeJobFacts{Request: &CodeRequest{State: CodeApproved, Relationship: RelOwner,
			Evidence: CodeEvidence{IDType: "passport", IDLast4: "4821", RegistrationRef: "V5C"}}, Code: vehicle}, "YYY.."},
		{"agent without the letter", CodeJobFacts{Request: &CodeRequest{State: CodeApproved, Relationship: RelAgent,
			Evidence: CodeEvidence{IDType: "passport", IDLast4: "4821"}}, Code: vehicle}, "Y.Y.."},
		{"fleet listing the vehicle, revealed", CodeJobFacts{Request: &CodeRequest{State: CodeApproved, Relationship: RelFleet, Reveals: 1, FleetCovers: true,
			Evidence: CodeEvidence{RequesterName: "Lee", FleetID: "f", FleetName: "Harbour Vans"}}, Code: vehicle, Reveals: []CodeReveal{reveal}}, "YYYY."},
		{"fleet not listing it", CodeJobFacts{Request: &CodeRequest{State: CodeApproved, Relationship: RelFleet,
			Evidence: CodeEvidence{RequesterName: "Lee", FleetID: "f", FleetName: "Harbour Vans"}}, Code: vehicle}, "..Y.."},
		{"a reveal without its record", CodeJobFacts{Request: &CodeRequest{State: CodeApproved, Relationship: RelOwner, Reveals: 2}, Code: vehicle, Reveals: []CodeReveal{reveal}}, "..Y.."},
		{"closed, due later", CodeJobFacts{Request: &CodeRequest{State: CodeClosed, Relationship: RelOwner, Reveals: 1}, Code: &KeyCode{Source: CodeSourceInternal, VIN: "x", DisposalDue: &due}, Reveals: []CodeReveal{reveal}}, "..YY."},
		{"disposed", CodeJobFacts{Request: &CodeRequest{State: CodeClosed, Relationship: RelOwner, Reveals: 1}, Code: &KeyCode{Source: CodeSourceInternal, VIN: "x", Disposal: &CodeDisposal{At: due, By: "Keyward"}}, Reveals: []CodeReveal{reveal}}, "..YYY"},
	} {
		t.Run(c.name, func(t *testing.T) {
			items := CodeJobChecklist(c.f)
			if len(items) != 5 || ticks(items) != c.want {
				t.Fatalf("checklist = %s (%+v), want %s", ticks(items), items, c.want)
			}
			if items[1].Label != "Relationship to the vehicle" && c.f.Code.VIN != "" {
				t.Fatalf("label %q", items[1].Label)
			}
		})
	}
	lock := CodeJobChecklist(CodeJobFacts{Request: &CodeRequest{Relationship: RelOwner}, Code: &KeyCode{OpeningID: "o", Source: CodeSourceInternal}})
	if lock[1].Label != "Relationship to the lock" {
		t.Fatalf("a lock's checklist says %q", lock[1].Label)
	}
}

func TestCodeSettingsValidate(t *testing.T) {
	s := DefaultCodeSettings()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	s.Evidence = map[string][]string{RelOwner: {EvidenceRegistration, EvidenceIDChecked}, RelAgent: {}}
	if err := s.Validate(); err != nil || strings.Join(s.Evidence[RelOwner], ",") != "id_checked,registration_document" || s.Evidence[RelAgent] != nil {
		t.Fatalf("Validate = %v, evidence %v", err, s.Evidence)
	}
	for field, mod := range map[string]func(*CodeSettings){
		"approval_hours": func(s *CodeSettings) { s.ApprovalHours = 0 },
		"max_reveals":    func(s *CodeSettings) { s.MaxReveals = 11 },
		"reveal_seconds": func(s *CodeSettings) { s.RevealSeconds = 5 },
		"retention_days": func(s *CodeSettings) { s.RetentionDays = -1 },
		"evidence":       func(s *CodeSettings) { s.Evidence = map[string][]string{"cousin": {EvidenceIDChecked}} },
	} {
		s := DefaultCodeSettings()
		mod(&s)
		if err := s.Validate(); ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), field+":") {
			t.Errorf("%s: Validate = %v", field, err)
		}
	}
	bad := DefaultCodeSettings()
	bad.Evidence = map[string][]string{RelOwner: {"a_photo"}}
	if err := bad.Validate(); ErrorCode(err) != EINVALID {
		t.Errorf("an unknown evidence item: %v", err)
	}
}
