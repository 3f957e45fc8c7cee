package keyward

import (
	"maps"
	"strings"
	"testing"
)

func TestControlledStatuses(t *testing.T) {
	for _, c := range []struct {
		status string
		want   bool
	}{
		{StatusInStorage, true},
		{StatusIssued, true},
		{StatusCheckedOut, true},
		{StatusLost, true}, // a lost copy exists until found or written off
		{StatusDestroyed, false},
		{"stolen", false},
	} {
		if got := Controlled(c.status); got != c.want {
			t.Errorf("Controlled(%q) = %v, want %v", c.status, got, c.want)
		}
	}
	if len(ControlledStatuses)+1 != len(KeyStatuses) {
		t.Fatalf("ControlledStatuses = %v: every key status but destroyed", ControlledStatuses)
	}
}

func TestCopyCountTally(t *testing.T) {
	zero := map[string]int{StatusInStorage: 0, StatusCheckedOut: 0, StatusIssued: 0, StatusLost: 0}
	with := func(m map[string]int) map[string]int {
		out := maps.Clone(zero)
		maps.Copy(out, m)
		return out
	}
	for _, c := range []struct {
		name                  string
		statuses              map[string]int
		controlled, destroyed int
		byStatus              map[string]int
	}{
		{"nothing", nil, 0, 0, zero},
		{"one in storage", map[string]int{StatusInStorage: 1}, 1, 0, with(map[string]int{StatusInStorage: 1})},
		{"lost ones count", map[string]int{StatusIssued: 2, StatusLost: 1}, 3, 0, with(map[string]int{StatusIssued: 2, StatusLost: 1})},
		{"destroyed ones do not", map[string]int{StatusCheckedOut: 1, StatusDestroyed: 4}, 1, 4, with(map[string]int{StatusCheckedOut: 1})},
		{"every status", map[string]int{StatusInStorage: 1, StatusCheckedOut: 2, StatusIssued: 3, StatusLost: 4, StatusDestroyed: 5}, 10, 5,
			map[string]int{StatusInStorage: 1, StatusCheckedOut: 2, StatusIssued: 3, StatusLost: 4}},
		{"an unknown status counts nowhere", map[string]int{"stolen": 2, StatusIssued: 1}, 1, 0, with(map[string]int{StatusIssued: 1})},
	} {
		t.Run(c.name, func(t *testing.T) {
			cc := CopyCount{Controlled: 99, Destroyed: 99, ByStatus: map[string]int{"stale": 1}}
			cc.Tally(c.statuses)
			if cc.Controlled != c.controlled || cc.Destroyed != c.destroyed || !maps.Equal(cc.ByStatus, c.byStatus) {
				t.Fatalf("Tally = controlled %d destroyed %d by status %v; want %d, %d, %v", cc.Controlled, cc.Destroyed, cc.ByStatus, c.controlled, c.destroyed, c.byStatus)
			}
			sum := 0
			for _, n := range cc.ByStatus {
				sum += n
			}
			if sum != cc.Controlled {
				t.Fatalf("by status adds up to %d, controlled is %d", sum, cc.Controlled)
			}
		})
	}
}

func TestUncontrolledCopyInput(t *testing.T) {
	for _, c := range []struct {
		name  string
		in    UncontrolledCopyInput
		field string // "" when valid
	}{
		{"valid", UncontrolledCopyInput{KeywayID: "kw", Symbol: " AA1 ", Where: " on the tenant's ring "}, ""},
		{"no keyway", UncontrolledCopyInput{Symbol: "AA1", Where: "x"}, "keyway_id"},
		{"blank keyway", UncontrolledCopyInput{KeywayID: "  ", Symbol: "AA1", Where: "x"}, "keyway_id"},
		{"no symbol", UncontrolledCopyInput{KeywayID: "kw", Where: "x"}, "symbol"},
		{"bad symbol", UncontrolledCopyInput{KeywayID: "kw", Symbol: "AA 1", Where: "x"}, "symbol"},
		{"symbol with a dash", UncontrolledCopyInput{KeywayID: "kw", Symbol: "AA1-2", Where: "x"}, "symbol"},
		{"long symbol", UncontrolledCopyInput{KeywayID: "kw", Symbol: strings.Repeat("A", 33), Where: "x"}, "symbol"},
		{"empty where", UncontrolledCopyInput{KeywayID: "kw", Symbol: "AA1", Where: "   "}, "where"},
		{"long where", UncontrolledCopyInput{KeywayID: "kw", Symbol: "AA1", Where: strings.Repeat("x", MaxName+1)}, "where"},
		{"long note", UncontrolledCopyInput{KeywayID: "kw", Symbol: "AA1", Where: "x", Note: strings.Repeat("x", MaxNote+1)}, "note"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.in.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatalf("valid input refused: %v", err)
				}
				if c.in.Symbol != "AA1" || c.in.Where != "on the tenant's ring" {
					t.Fatalf("not trimmed: %+v", c.in)
				}
				return
			}
			if err == nil || ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), "["+c.field+":") {
				t.Fatalf("error %v does not name %s", err, c.field)
			}
		})
	}
}

func TestWorkListInput(t *testing.T) {
	for _, c := range []struct {
		name  string
		in    WorkListInput
		field string
	}{
		{"a lost key", WorkListInput{KeyID: "key_1"}, ""},
		{"a copy found", WorkListInput{UncontrolledID: "unc_1"}, ""},
		{"neither", WorkListInput{Note: "x"}, "key_id"},
		{"blank", WorkListInput{KeyID: " ", UncontrolledID: " "}, "key_id"},
		{"both", WorkListInput{KeyID: "key_1", UncontrolledID: "unc_1"}, "uncontrolled_copy_id"},
	} {
		err := c.in.Validate()
		if c.field == "" && err != nil || c.field != "" && (err == nil || !strings.Contains(err.Error(), "["+c.field+":")) {
			t.Errorf("%s: Validate = %v, want field %q", c.name, err, c.field)
		}
	}
}
