package keyward

import (
	"strings"
	"testing"
	"time"
)

func testNamer() AuditNamer {
	names := map[string]string{
		"key_0123456789abcdef": "AA3-1", "hld_0123456789abcdef": "Bo Li", "opn_0123456789abcdef": "Unit 4",
		"site_0123456789abcdef": "Elm Street", "sto_0123456789abcdef": "Cabinet A", "crd_0123456789abcdef": "card “Front door”",
		"ana@example.com": "Ana Diaz", "kwy_0123456789abcdef": "Schlage SC1", "ks_0123456789abcdef": "Office system",
	}
	return AuditNamer{
		Name: func(kind, id string) string { return names[id] },
		Time: func(t time.Time) string { return t.In(time.FixedZone("EST", -5*3600)).Format("Mon 2 Jan 15:04") },
	}
}

func TestDescribeAudit(t *testing.T) {
	rec := func(action, subjectType, subjectID, details string) AuditRecord {
		return AuditRecord{Actor: "ana@example.com", ActorRole: RoleManager, Action: action, SubjectType: subjectType, SubjectID: subjectID, Details: details}
	}
	cases := []struct {
		r    AuditRecord
		want string
	}{
		{rec("key.checkout", "key", "key_0123456789abcdef", `{"stamp":"AA3-1","holder_id":"hld_0123456789abcdef","due_at":"2026-12-06T22:00:00Z"}`),
			"Ana Diaz checked out key AA3-1 to Bo Li, due Sun 6 Dec 17:00."},
		{rec("key.issue", "key", "key_0123456789abcdef", `{"holder_id":"hld_0123456789abcdef"}`), "Ana Diaz issued key AA3-1 to Bo Li."},
		{rec("key.checkin", "key", "key_0123456789abcdef", `{}`), "Ana Diaz checked in key AA3-1."},
		{rec("key.lost", "key", "key_0123456789abcdef", `{"note":"left on the bus"}`), "Ana Diaz reported key AA3-1 lost: “left on the bus”."},
		// A thing whose name is unknown is named by its kind, never by its id.
		{rec("key.return", "key", "key_zzzzzzzzzzzzzzzz", `{}`), "Ana Diaz took back a key."},
		{rec("opening.create", "opening", "opn_0123456789abcdef", `{"name":"Unit 4","site_id":"site_0123456789abcdef"}`), "Ana Diaz added door Unit 4 at Elm Street."},
		{rec("keyway.create", "keyway", "kwy_0123456789abcdef", `{"duplication_policy":"dnd"}`), "Ana Diaz added key type Schlage SC1 (Do Not Duplicate)."},
		{rec("holder.update", "holder", "hld_0123456789abcdef", `{"changes":{"email":{"old":"a","new":"b"},"name":{"old":"a","new":"b"}}}`), "Ana Diaz edited holder Bo Li (email and name)."},
		{rec("opening.update", "opening", "opn_0123456789abcdef", `{"changes":{"site_id":{"old":"site_0123456789abcdef","new":"site_1123456789abcdef"}}}`), "Ana Diaz edited door Unit 4 (site)."},
		{rec("credential.issue", "credential", "crd_0123456789abcdef", `{"kind":"card","holder_id":"hld_0123456789abcdef"}`), "Ana Diaz issued card “Front door” to Bo Li."},
		{rec("storage.assign", "storage", "sto_0123456789abcdef", `{"key_id":"key_0123456789abcdef","hook":12}`), "Ana Diaz gave key AA3-1 its place in Cabinet A, hook 12."},
		{rec("storage.seal.break", "storage", "sto_0123456789abcdef", `{"broken_seal":"4471","new_seal":"4472","reason":"audit"}`), "Ana Diaz broke seal #4471 of Cabinet A, new seal #4472: “audit”."},
		{rec("copy.request", "copy_request", "cr_0123456789abcdef", `{"key_id":"key_0123456789abcdef","count":2}`), "Ana Diaz asked for 2 copies of key AA3-1."},
		{rec("copy.approve", "copy_request", "cr_0123456789abcdef", `{}`), "Ana Diaz approved a copy request."},
		{rec("user.create", "user", "usr_0123456789abcdef", `{"email":"x@example.com","role":"manager"}`), "Ana Diaz added a user as a manager."},
		{rec("export.keys", "export", "keys", `{}`), "Ana Diaz exported the keys list."},
		{rec("denied.key.custody", "key", "key_0123456789abcdef", `{}`), "Ana Diaz was refused: hand out or take back a key (AA3-1)."},
		{rec("bitting.reveal", "keysystem", "ks_0123456789abcdef", `{"symbols":["AA","AA1"],"reason":"rekey"}`), "Ana Diaz revealed the bittings of 2 keys in Office system: “rekey”."},
		{AuditRecord{Actor: "scheduler", ActorRole: RoleSystem, Action: "key.overdue_notice", SubjectType: "key", SubjectID: "key_0123456789abcdef", Details: `{"emails":1,"webhooks":0}`},
			"Keyward (scheduler) sent the overdue reminder for key AA3-1 (1 email, 0 webhooks)."},
		// An actor known only by an internal id is not shown by it.
		{AuditRecord{Actor: "usr_0123456789abcdef", Action: "session.create"}, "A user signed in."},
	}
	for _, c := range cases {
		if got := AuditText(DescribeAudit(c.r, testNamer())); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.r.Action, got, c.want)
		}
	}
}

// TestAuditWordsNeverShowIDs tells every action with details full of ids and
// names nobody knows: no sentence may show an id, and each is a sentence.
func TestAuditWordsNeverShowIDs(t *testing.T) {
	id := "key_0123456789abcdef"
	details := `{"key_id":"` + id + `","holder_id":"hld_0123456789abcdef","opening_id":"opn_0123456789abcdef","site_id":"site_0123456789abcdef",` +
		`"into":"hld_1123456789abcdef","changes":{"site_id":{"old":"a","new":"b"}},"due_at":"2026-12-06T22:00:00Z","until":"2026-12-06T22:00:00.000000000Z"}`
	unknown := AuditNamer{Name: func(string, string) string { return "" }}
	for _, c := range AuditActionChoices() {
		action := c.Action
		if action == DeniedActions {
			action = "denied.key.custody"
		}
		r := AuditRecord{Actor: "usr_0123456789abcdef", Action: action, SubjectType: "key", SubjectID: id, Details: details}
		parts := DescribeAudit(r, unknown)
		text := AuditText(parts)
		if IDPattern.MatchString(text) {
			t.Errorf("%s shows an id: %q", action, text)
		}
		if !strings.HasSuffix(text, ".") || strings.Contains(text, "  ") || c.Label == "" {
			t.Errorf("%s: %q (label %q) is not a sentence", action, text, c.Label)
		}
		for _, p := range parts {
			if p.ID != "" && p.Kind == "" {
				t.Errorf("%s: a linked part without a kind", action)
			}
		}
	}
	if HasAuditWords("key.teleport") {
		t.Error("an unknown action has words")
	}
	if !HasAuditWords("denied.whatever") {
		t.Error("refusals have words")
	}
}

func TestAuditRefs(t *testing.T) {
	r := AuditRecord{Actor: "ana@example.com", Action: "key.checkout", SubjectType: "key", SubjectID: "key_0123456789abcdef", Details: `{"holder_id":"hld_0123456789abcdef"}`}
	got := AuditRefs(r)
	want := []AuditRef{{RefUser, "ana@example.com"}, {RefKey, "key_0123456789abcdef"}, {RefHolder, "hld_0123456789abcdef"}}
	if len(got) != len(want) {
		t.Fatalf("refs %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("ref %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestIDPattern(t *testing.T) {
	for s, want := range map[string]bool{"Issued card crd_0123456789abcdef.": true, "key_abcdefghjkmnpqrs": true, "Issued card “Front door”.": false, "AA3-1": false, "due_at": false} {
		if IDPattern.MatchString(s) != want {
			t.Errorf("IDPattern(%q) = %v", s, !want)
		}
	}
}
