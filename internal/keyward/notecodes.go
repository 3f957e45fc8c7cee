package keyward

import (
	"errors"
	"strings"
	"time"
	"unicode"
)

// Codes stay sealed, never in notes. A free-text field on a record that has
// a stored code (a lockbox's code, a credential's PIN) must not hold that
// code: the note would show it to everyone who reads the record or the
// audit log. The store opens the record's code inside the write's
// transaction and asks CheckNotes; a refusal is audited without the code or
// the note, and a user whose notes are refused too often is slowed down
// (MayTryNote), so notes cannot be used to guess a code.

// MinGuardedCode is the shortest code a note is checked for: a shorter one
// (a four-digit PIN, a five-digit lockbox code) is too likely to be any
// number in a note, a date or a phone number.
const MinGuardedCode = 6

// RuleCodeInNote names the rule a note holding its record's code broke.
const RuleCodeInNote = "code_in_note"

// How many refused notes one user may have in a window before every note
// they write on a record with a code is refused outright.
const (
	MaxNoteRefusals   = 5
	NoteRefusalWindow = 10 * time.Minute
)

// CodeGuard is one stored code of a record and what it is, in words for
// the refusal ("this lockbox's code").
type CodeGuard struct {
	What string
	Code Secret
}

// NoteField is one free-text field of an input: its name, as the API names
// it, and what was typed.
type NoteField struct {
	Field string
	Text  string
}

// codeForm is text as a code is compared: lower case, without spaces and
// dashes, so "73-91 5A" and "73915a" are the same.
func codeForm(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.Is(unicode.Pd, r) || r == '\u2212' {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// NoteHoldsCode reports whether note contains code, compared without case,
// spaces or dashes. A code shorter than MinGuardedCode (so compared) is
// never looked for.
func NoteHoldsCode(note string, code Secret) bool {
	c := codeForm(code.Reveal())
	if len([]rune(c)) < MinGuardedCode {
		return false
	}
	return strings.Contains(codeForm(note), c)
}

// CheckNotes refuses the first field that holds one of the guarded codes:
// EINVALID naming the field and what it holds, never the code.
func CheckNotes(fields []NoteField, guards []CodeGuard) error {
	for _, f := range fields {
		for _, g := range guards {
			if NoteHoldsCode(f.Text, g.Code) {
				rule := "it contains " + g.What + "; codes are kept sealed, never in notes"
				return &Error{Code: EINVALID, Message: f.Field + ": " + rule,
					Fields: []FieldError{{Field: f.Field, Rule: rule}},
					Extra:  map[string]any{"rule": RuleCodeInNote}}
			}
		}
	}
	return nil
}

// IsCodeInNote reports whether err is CheckNotes' refusal.
func IsCodeInNote(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == EINVALID && e.Extra["rule"] == RuleCodeInNote
}

// RefusedField is the field CheckNotes' refusal names, for its audit record.
func RefusedField(err error) string {
	var e *Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		return e.Fields[0].Field
	}
	return ""
}

// MayTryNote decides whether a user may write a note on a record with a
// code at now, given when their earlier notes were refused for holding a
// code. After MaxNoteRefusals within NoteRefusalWindow, ETOOMANY names the
// limit and says (retry_after, in seconds) when the oldest refusal leaves
// the window.
func MayTryNote(refusals []time.Time, now time.Time) error {
	since := now.Add(-NoteRefusalWindow)
	var inWindow []time.Time
	for _, at := range refusals {
		if at.After(since) && !at.After(now) {
			inWindow = append(inWindow, at)
		}
	}
	if len(inWindow) < MaxNoteRefusals {
		return nil
	}
	oldest := inWindow[0]
	for _, at := range inWindow[1:] {
		if at.Before(oldest) {
			oldest = at
		}
	}
	wait := int(oldest.Add(NoteRefusalWindow).Sub(now).Round(time.Second) / time.Second)
	if wait < 1 {
		wait = 1
	}
	return &Error{Code: ETOOMANY,
		Message: "too many notes were refused for holding a code: at most " + itoa(MaxNoteRefusals) +
			" in " + itoa(int(NoteRefusalWindow/time.Minute)) + " minutes; notes on records with a code are refused until then",
		Extra: map[string]any{"retry_after": wait, "rule": "note_refusal_limit"}}
}

// NotesTyped reports whether any of fields holds text: only then is a note
// checked, or counted against the limit.
func NotesTyped(fields []NoteField) bool {
	for _, f := range fields {
		if strings.TrimSpace(f.Text) != "" {
			return true
		}
	}
	return false
}
