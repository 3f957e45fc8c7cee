package keyward

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// fieldRule returns the rule err gives field, and whether it names it.
func fieldRule(err error, field string) (string, bool) {
	var e *Error
	if !errors.As(err, &e) {
		return "", false
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return f.Rule, true
		}
	}
	return "", false
}

// TestMayHome: only a key in storage gets a home, and a refusal says in plain
// words why and what to do first, for every status and every kind of place.
func TestMayHome(t *testing.T) {
	cases := []struct {
		status, holder, kind string
		want                 string // "" allowed
	}{
		{StatusInStorage, "", StorageCabinet, ""},
		{StatusInStorage, "", StorageEnvelope, ""},
		{StatusInStorage, "", StorageLockbox, ""},
		{StatusInStorage, "", StorageHolder, ""},
		{StatusIssued, "Ana Diaz", StorageCabinet, "Key 12-3 is issued to Ana Diaz: return it to storage before you hang it on a hook."},
		{StatusCheckedOut, "Ana Diaz", StorageCabinet, "Key 12-3 is checked out to Ana Diaz: check it in before you hang it on a hook."},
		{StatusCheckedOut, "Ana Diaz", StorageEnvelope, "Key 12-3 is checked out to Ana Diaz: check it in before you seal it in an envelope."},
		{StatusCheckedOut, "", StorageLockbox, "Key 12-3 is checked out: check it in before you put it in a lockbox."},
		{StatusIssued, "Sam Okafor", StorageHolder, "Key 12-3 is issued to Sam Okafor: return it to storage before you give it to a designated holder to keep."},
		{StatusLost, "Ana Diaz", StorageCabinet, "Key 12-3 is reported lost: mark it found before you hang it on a hook."},
		{StatusLost, "", "", "Key 12-3 is reported lost: mark it found before you give it a storage place."},
		{StatusDestroyed, "", StorageCabinet, "Key 12-3 was destroyed: it has no storage place any more."},
	}
	for _, c := range cases {
		err := MayHome(Key{Stamp: "12-3", Status: c.status}, c.holder, c.kind)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s into %s: refused: %v", c.status, c.kind, err)
			}
			continue
		}
		if ErrorCode(err) != ECONFLICT || ErrorMessage(err) != c.want {
			t.Errorf("%s into %s:\n got %s %q\nwant conflict %q", c.status, c.kind, ErrorCode(err), ErrorMessage(err), c.want)
		}
		if _, ok := fieldRule(err, "key_id"); !ok {
			t.Errorf("%s into %s: the refusal does not name key_id: %v", c.status, c.kind, err)
		}
	}
	// Every status but storage and destroyed has a move back, and it is one
	// the state machine allows from that status.
	for _, st := range KeyStatuses {
		a, ok := BackToStorage(st)
		if want := st != StatusInStorage && st != StatusDestroyed; ok != want {
			t.Errorf("BackToStorage(%s) = %q, %v", st, a, ok)
		}
		if ok && backWords[a] == "" {
			t.Errorf("the move back from %s (%s) has no words", st, a)
		}
	}
}

// TestPlanHome: every refusal of a change of home, and the seal a change
// breaks: into an envelope, out of one, never two at once.
func TestPlanHome(t *testing.T) {
	retired := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	cab := &StoragePlace{ID: "sto_cab", Kind: StorageCabinet, Name: "Cabinet A", Hooks: 12}
	oldCab := &StoragePlace{ID: "sto_old", Kind: StorageCabinet, Name: "Old cabinet", Hooks: 12, RetiredAt: &retired}
	env := &StoragePlace{ID: "sto_env", Kind: StorageEnvelope, Name: "Spare keys", SealNumber: "4471"}
	env2 := &StoragePlace{ID: "sto_env2", Kind: StorageEnvelope, Name: "Vehicle spares", SealNumber: "9001"}
	box := &StoragePlace{ID: "sto_box", Kind: StorageLockbox, Name: "Gate lockbox"}
	keeper := &StoragePlace{ID: "sto_hld", Kind: StorageHolder, Name: "Neighbour spare"}
	inEnv := &KeyHome{StorageID: env.ID, StorageName: env.Name, StorageKind: StorageEnvelope, SealNumber: "4471"}
	onHook := &KeyHome{StorageID: cab.ID, StorageName: cab.Name, StorageKind: StorageCabinet, Hook: 3}
	stored := Key{Stamp: "AA1-3", Status: StatusInStorage}
	out := Key{Stamp: "AA1-3", Status: StatusCheckedOut, HolderID: "h1"}
	ok := &Recipient{Found: true, Name: "Dana Ruiz"}
	seal := func(n, reason string) ResealInput { return ResealInput{NewSealNumber: n, Reason: reason} }

	cases := []struct {
		name  string
		r     HomeRequest
		code  Code   // "" allowed
		field string // the field the refusal names
		msg   string // part of the message or rule
		brk   *SealBreak
	}{
		{name: "hook of a cabinet", r: HomeRequest{Key: stored, Place: cab, Hook: 4}},
		{name: "moved to another hook", r: HomeRequest{Key: stored, From: onHook, Place: cab, Hook: 5}},
		{name: "checked-out key on a hook", r: HomeRequest{Key: out, HolderName: "Ana Diaz", Place: cab, Hook: 4},
			code: ECONFLICT, field: "key_id", msg: "Key AA1-3 is checked out to Ana Diaz: check it in before you hang it on a hook."},
		{name: "lost key on a hook", r: HomeRequest{Key: Key{Stamp: "AA1-3", Status: StatusLost}, Place: cab, Hook: 4},
			code: ECONFLICT, field: "key_id", msg: "mark it found"},
		{name: "issued key into an envelope", r: HomeRequest{Key: Key{Stamp: "AA1-3", Status: StatusIssued}, HolderName: "Ana Diaz", Place: env, Seal: seal("4472", "spare")},
			code: ECONFLICT, field: "key_id", msg: "return it to storage before you seal it in an envelope"},
		{name: "retired place", r: HomeRequest{Key: stored, Place: oldCab, Hook: 1}, code: ECONFLICT, msg: "Old cabinet is retired"},
		{name: "hook out of range", r: HomeRequest{Key: stored, Place: cab, Hook: 13}, code: EINVALID, field: "hook", msg: "1 to 12"},
		{name: "no hook in a cabinet", r: HomeRequest{Key: stored, Place: cab}, code: EINVALID, field: "hook"},
		{name: "hook in a lockbox", r: HomeRequest{Key: stored, Place: box, Hook: 1}, code: EINVALID, field: "hook", msg: "only a cabinet has hooks"},
		{name: "lockbox", r: HomeRequest{Key: stored, Place: box}},
		{name: "designated holder", r: HomeRequest{Key: stored, Place: keeper, Keeper: ok}},
		{name: "designated holder leaving", r: HomeRequest{Key: stored, Place: keeper, Keeper: &Recipient{Found: true, Name: "Dana Ruiz", LeavingSince: &retired}},
			code: ECONFLICT, msg: "Dana Ruiz, who keeps Neighbour spare, is being offboarded"},
		{name: "designated holder retired", r: HomeRequest{Key: stored, Place: keeper, Keeper: &Recipient{Found: true, Name: "Dana Ruiz", RetiredAt: &retired}},
			code: ECONFLICT, msg: "was retired on 2026-01-05"},
		{name: "into an envelope", r: HomeRequest{Key: stored, Place: env, Seal: seal(" 4472 ", "spare for unit 4")},
			brk: &SealBreak{StorageID: env.ID, Name: "Spare keys", Broken: "4471", New: "4472", Reason: "spare for unit 4"}},
		{name: "into an envelope without a new seal", r: HomeRequest{Key: stored, Place: env, Seal: seal("", "spare")},
			code: EINVALID, field: "new_seal_number", msg: "putting key AA1-3 in envelope Spare keys breaks its seal 4471"},
		{name: "into an envelope with the same seal", r: HomeRequest{Key: stored, Place: env, Seal: seal("4471", "spare")},
			code: EINVALID, field: "new_seal_number", msg: "must differ from the broken seal 4471"},
		{name: "into an envelope without a reason", r: HomeRequest{Key: stored, Place: env, Seal: seal("4472", " ")},
			code: EINVALID, field: "reason", msg: "say why envelope Spare keys is opened"},
		{name: "from a hook into an envelope", r: HomeRequest{Key: stored, From: onHook, Place: env, Seal: seal("4472", "spare")},
			brk: &SealBreak{StorageID: env.ID, Name: "Spare keys", Broken: "4471", New: "4472", Reason: "spare"}},
		{name: "out of an envelope onto a hook", r: HomeRequest{Key: stored, From: inEnv, Place: cab, Hook: 2, Seal: seal("4473", "needed daily")},
			brk: &SealBreak{StorageID: env.ID, Name: "Spare keys", Broken: "4471", New: "4473", Reason: "needed daily"}},
		{name: "out of an envelope onto a hook without a seal", r: HomeRequest{Key: stored, From: inEnv, Place: cab, Hook: 2},
			code: EINVALID, field: "new_seal_number", msg: "taking key AA1-3 out of envelope Spare keys breaks its seal 4471"},
		{name: "envelope to envelope", r: HomeRequest{Key: stored, From: inEnv, Place: env2, Seal: seal("9002", "move")},
			code: ECONFLICT, field: "key_id", msg: "take it out of that envelope first"},
		{name: "already in this envelope", r: HomeRequest{Key: stored, From: inEnv, Place: env}},
		{name: "a seal where none is opened", r: HomeRequest{Key: stored, Place: cab, Hook: 1, Seal: seal("4472", "")},
			code: EINVALID, field: "new_seal_number", msg: "only when a sealed envelope is opened"},
		{name: "taken out of an envelope", r: HomeRequest{Key: stored, From: inEnv, Seal: seal("4474", "given to the new tenant")},
			brk: &SealBreak{StorageID: env.ID, Name: "Spare keys", Broken: "4471", New: "4474", Reason: "given to the new tenant"}},
		{name: "taken out of an envelope without a seal", r: HomeRequest{Key: stored, From: inEnv, Seal: seal("", "x")},
			code: EINVALID, field: "new_seal_number"},
		{name: "taken out of an envelope with the same seal", r: HomeRequest{Key: stored, From: inEnv, Seal: seal("4471", "x")},
			code: EINVALID, field: "new_seal_number", msg: "must differ"},
		// A key that is out is not in its envelope: taking its home away opens nothing.
		{name: "home of a checked-out key taken away", r: HomeRequest{Key: out, From: inEnv}},
		{name: "home of a checked-out key taken away with a seal", r: HomeRequest{Key: out, From: inEnv, Seal: seal("4474", "")},
			code: EINVALID, field: "new_seal_number"},
		{name: "off a hook", r: HomeRequest{Key: stored, From: onHook}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan, err := PlanHome(c.r)
			if c.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if (plan.Break == nil) != (c.brk == nil) || (c.brk != nil && *plan.Break != *c.brk) {
					t.Fatalf("seal break %+v, want %+v", plan.Break, c.brk)
				}
				return
			}
			if ErrorCode(err) != c.code {
				t.Fatalf("code %s (%v), want %s", ErrorCode(err), err, c.code)
			}
			text := ErrorMessage(err)
			if c.field != "" {
				rule, ok := fieldRule(err, c.field)
				if !ok {
					t.Fatalf("%v does not name %s", err, c.field)
				}
				text += " " + rule
			}
			if !strings.Contains(text, c.msg) {
				t.Fatalf("%q does not say %q", text, c.msg)
			}
		})
	}
}

// TestMoveBreaksSeal: every custody move from every status, for a key kept
// in an envelope and in a cabinet. A move that takes the key out of storage
// or brings it back opens the envelope; a loss report and a transfer do not.
func TestMoveBreaksSeal(t *testing.T) {
	breaks := map[string]bool{
		CustodyCheckout + "/" + StatusInStorage: true,
		CustodyIssue + "/" + StatusInStorage:    true,
		CustodyDestroy + "/" + StatusInStorage:  true,
		CustodyCheckin + "/" + StatusCheckedOut: true,
		CustodyReturn + "/" + StatusIssued:      true,
		CustodyFound + "/" + StatusLost:         true,
	}
	for _, m := range CustodyMoves {
		for _, st := range KeyStatuses {
			want := breaks[m.Action+"/"+st]
			if got := MoveBreaksSeal(m.Action, st, StorageEnvelope); got != want {
				t.Errorf("%s from %s, kept in an envelope: breaks the seal %v, want %v", m.Action, st, got, want)
			}
			for _, kind := range []string{StorageCabinet, StorageLockbox, StorageHolder, ""} {
				if MoveBreaksSeal(m.Action, st, kind) {
					t.Errorf("%s from %s, kept in a %q: breaks a seal", m.Action, st, kind)
				}
			}
		}
	}
}

// TestPlanMoveSeal: a move that opens the envelope needs a new seal, never
// the broken one; one that opens nothing refuses a seal.
func TestPlanMoveSeal(t *testing.T) {
	due := time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC)
	staff := Actor{UserID: "u1", Role: RoleManager}
	env := &KeyHome{StorageID: "sto_env", StorageName: "Spare keys", StorageKind: StorageEnvelope, SealNumber: "4471"}
	hook := &KeyHome{StorageID: "sto_cab", StorageName: "Cabinet A", StorageKind: StorageCabinet, Hook: 3}
	cases := []struct {
		action, status string
		home           *KeyHome
		seal           string
		field, msg     string // refusal on new_seal_number
		reason         string // the envelope's logbook line
	}{
		{action: CustodyCheckout, status: StatusInStorage, home: env, seal: "4472", reason: "key AA1-3 taken out: checked out"},
		{action: CustodyCheckout, status: StatusInStorage, home: env, msg: "taking key AA1-3 out of envelope Spare keys breaks its seal 4471"},
		{action: CustodyCheckout, status: StatusInStorage, home: env, seal: "4471", msg: "must differ from the broken seal 4471"},
		{action: CustodyCheckin, status: StatusCheckedOut, home: env, seal: "4473", reason: "key AA1-3 put back: checked in"},
		{action: CustodyCheckin, status: StatusCheckedOut, home: env, msg: "putting key AA1-3 back in envelope Spare keys breaks its seal 4471"},
		{action: CustodyReturn, status: StatusIssued, home: env, seal: "4473", reason: "key AA1-3 put back: returned"},
		{action: CustodyFound, status: StatusLost, home: env, seal: "4473", reason: "key AA1-3 put back: found"},
		{action: CustodyDestroy, status: StatusInStorage, home: env, seal: "4473", reason: "key AA1-3 taken out: destroyed"},
		{action: CustodyLost, status: StatusInStorage, home: env},
		{action: CustodyLost, status: StatusInStorage, home: env, seal: "4472", msg: "only when the key goes into or comes out of a sealed envelope"},
		{action: CustodyDestroy, status: StatusIssued, home: env},
		{action: CustodyCheckout, status: StatusInStorage, home: hook},
		{action: CustodyCheckout, status: StatusInStorage, home: hook, seal: "4472", msg: "only when"},
		{action: CustodyCheckout, status: StatusInStorage},
	}
	for _, c := range cases {
		k := Key{Stamp: "AA1-3", Status: c.status}
		if c.status != StatusInStorage {
			k.HolderID = "h1"
		}
		m, err := PlanMove(staff, k, MoveRequest{Action: c.action, HolderID: map[bool]string{true: "h2"}[c.action == CustodyCheckout || c.action == CustodyIssue], DueAt: &due})
		if err != nil {
			t.Fatalf("%s from %s: %v", c.action, c.status, err)
		}
		b, err := PlanMoveSeal(m, c.home, c.seal)
		if c.msg != "" {
			rule, ok := fieldRule(err, "new_seal_number")
			if ErrorCode(err) != EINVALID || !ok || !strings.Contains(rule, c.msg) {
				t.Errorf("%s from %s with seal %q: %v, want new_seal_number %q", c.action, c.status, c.seal, err, c.msg)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s from %s with seal %q: %v", c.action, c.status, c.seal, err)
			continue
		}
		if c.reason == "" {
			if b != nil {
				t.Errorf("%s from %s: breaks %+v, want nothing", c.action, c.status, b)
			}
			continue
		}
		if want := (SealBreak{StorageID: "sto_env", Name: "Spare keys", Broken: "4471", New: c.seal, Reason: c.reason}); b == nil || *b != want {
			t.Errorf("%s from %s: break %+v, want %+v", c.action, c.status, b, want)
		}
	}
}

// TestHomeSeal: what a form asks for before it is filled in: the envelope a
// change would open, or the refusal that comes before any seal.
func TestHomeSeal(t *testing.T) {
	env := &StoragePlace{ID: "sto_env", Kind: StorageEnvelope, Name: "Spare keys", SealNumber: "4471"}
	env2 := &StoragePlace{ID: "sto_env2", Kind: StorageEnvelope, Name: "Vehicle spares", SealNumber: "9001"}
	keeper := &StoragePlace{ID: "sto_hld", Kind: StorageHolder, Name: "Neighbour spare"}
	inEnv := &KeyHome{StorageID: env.ID, StorageName: env.Name, StorageKind: StorageEnvelope, SealNumber: "4471"}
	stored := Key{Stamp: "AA1-3", Status: StatusInStorage}
	if b, err := HomeSeal(HomeRequest{Key: stored, Place: env}); err != nil || b == nil || b.StorageID != env.ID || b.Broken != "4471" || b.New != "" {
		t.Fatalf("into an envelope: %+v %v", b, err)
	}
	if b, err := HomeSeal(HomeRequest{Key: stored, From: inEnv}); err != nil || b == nil || b.StorageID != env.ID {
		t.Fatalf("out of an envelope: %+v %v", b, err)
	}
	if _, err := HomeSeal(HomeRequest{Key: stored, From: inEnv, Place: env2}); ErrorCode(err) != ECONFLICT {
		t.Fatalf("envelope to envelope: %v", err)
	}
	if _, err := HomeSeal(HomeRequest{Key: Key{Stamp: "AA1-3", Status: StatusLost}, Place: env}); ErrorCode(err) != ECONFLICT {
		t.Fatalf("a lost key: %v", err)
	}
	// The designated holder is the store's to read: the form does not ask.
	if b, err := HomeSeal(HomeRequest{Key: stored, Place: keeper}); err != nil || b != nil {
		t.Fatalf("a designated holder: %+v %v", b, err)
	}
	if _, err := PlanHome(HomeRequest{Key: stored, Place: keeper}); ErrorCode(err) != ECONFLICT {
		t.Fatalf("PlanHome without the designated holder read: %v", err)
	}
}
