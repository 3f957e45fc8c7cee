package keyward

import (
	"strings"
	"testing"
	"time"
)

func TestNoteHoldsCode(t *testing.T) {
	cases := []struct {
		name string
		note string
		code Secret
		want bool
	}{
		{"the code word for word", "box code is 739150 for the plumber", "739150", true},
		{"with spaces", "code 739 150", "739150", true},
		{"with dashes", "code 73-91-50", "739150", true},
		{"with an en dash", "code 739–150", "739150", true},
		{"other case", "use ABCdef2 at the gate", "abcDEF2", true},
		{"code with dashes, note without", "it is 739150", "739-150", true},
		{"the whole note is the code", "739150", "739150", true},
		{"a shorter code is never looked for", "code 73915 inside", "73915", false},
		{"a short code with dashes stays short", "1-2-3-4-5", "12-345", false},
		{"another number", "call 555 0199 about 739151", "739150", false},
		{"part of the code", "starts 73915", "739150", false},
		{"empty note", "", "739150", false},
		{"no code", "anything", "", false},
		{"letters and spaces of a long code", "the box says Blue Horse", "bluehorse", true},
	}
	for _, c := range cases {
		if got := NoteHoldsCode(c.note, c.code); got != c.want {
			t.Errorf("%s: NoteHoldsCode(%q) = %v, want %v", c.name, c.note, got, c.want)
		}
	}
}

func TestCheckNotes(t *testing.T) {
	guards := []CodeGuard{{What: "this lockbox's code", Code: "739150"}, {What: "this credential's PIN", Code: "86421300"}}
	if err := CheckNotes([]NoteField{{"note", "back on hook 4"}, {"reason", "tenant moved"}}, guards); err != nil {
		t.Fatalf("clean notes refused: %v", err)
	}
	err := CheckNotes([]NoteField{{"note", "fine"}, {"reason", "pin is 8642 1300"}}, guards)
	if !IsCodeInNote(err) || ErrorCode(err) != EINVALID || RefusedField(err) != "reason" {
		t.Fatalf("the PIN in a reason: %v", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "reason: it contains this credential's PIN; codes are kept sealed, never in notes") {
		t.Fatalf("the refusal does not explain itself: %s", msg)
	}
	if strings.Contains(msg, "8642") {
		t.Fatalf("the refusal repeats the code: %s", msg)
	}
	if IsCodeInNote(Invalid("note", "must be at most 2000 characters")) {
		t.Fatal("any invalid note is not a code in a note")
	}
	if !NotesTyped([]NoteField{{"a", ""}, {"b", " x "}}) || NotesTyped([]NoteField{{"a", "  "}}) || NotesTyped(nil) {
		t.Fatal("NotesTyped")
	}
}

func TestMayTryNote(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	five := []time.Time{ago(9 * time.Minute), ago(5 * time.Minute), ago(4 * time.Minute), ago(time.Minute), ago(time.Second)}
	cases := []struct {
		name     string
		refusals []time.Time
		refused  bool
		wait     int
	}{
		{"none", nil, false, 0},
		{"four in the window", five[1:], false, 0},
		{"five in the window", five, true, 60},
		{"five, one just outside the window", append([]time.Time{ago(10 * time.Minute)}, five[1:]...), false, 0},
		{"five old ones", []time.Time{ago(time.Hour), ago(time.Hour), ago(time.Hour), ago(time.Hour), ago(time.Hour)}, false, 0},
		{"six, out of order", append([]time.Time{ago(time.Second), ago(9*time.Minute + 30*time.Second)}, five[1:]...), true, 30},
	}
	for _, c := range cases {
		err := MayTryNote(c.refusals, now)
		if (err != nil) != c.refused {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err == nil {
			continue
		}
		if ErrorCode(err) != ETOOMANY || !strings.Contains(err.Error(), "at most 5 in 10 minutes") {
			t.Fatalf("%s: the refusal does not name the limit: %v", c.name, err)
		}
		if got := err.(*Error).Extra["retry_after"]; got != c.wait {
			t.Fatalf("%s: retry_after %v, want %d", c.name, got, c.wait)
		}
	}
}

func FuzzNoteHoldsCode(f *testing.F) {
	f.Add("code 73-91-50 here", "739150")
	f.Add("Ünïcödé – — − notes", "ÜNÏ cöd")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, note, code string) {
		got := NoteHoldsCode(note, Secret(code))
		// The code itself, however written, is always found when long enough.
		if len([]rune(codeForm(code))) >= MinGuardedCode && !NoteHoldsCode(note+" "+code+" ", Secret(code)) {
			t.Fatalf("the code %q is not found in a note that holds it", code)
		}
		if got && len([]rune(codeForm(code))) < MinGuardedCode {
			t.Fatal("a short code was looked for")
		}
	})
}
