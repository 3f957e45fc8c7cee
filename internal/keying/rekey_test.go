package keying

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// rekeySystem is a small 3-level system on 3 positions: the top A (555),
// masters AA, AB, AC progress position 1, change keys position 2.
func rekeySystem(inactive ...string) []RekeySymbol {
	rows := []struct{ sym, parent, level, bitting string }{
		{"A", "", "top", "555"},
		{"AA", "A", LevelMaster, "155"}, {"AA1", "AA", LevelChange, "115"}, {"AA2", "AA", LevelChange, "135"}, {"AA3", "AA", LevelChange, "175"},
		{"AB", "A", LevelMaster, "355"}, {"AB1", "AB", LevelChange, "315"}, {"AB2", "AB", LevelChange, "335"}, {"AB3", "AB", LevelChange, "375"},
		{"AC", "A", LevelMaster, "755"}, {"AC1", "AC", LevelChange, "715"}, {"AC2", "AC", LevelChange, "735"}, {"AC3", "AC", LevelChange, "775"},
	}
	out := make([]RekeySymbol, len(rows))
	for i, r := range rows {
		// Ids differ from symbols, as in the store.
		out[i] = RekeySymbol{ID: "id-" + r.sym, Symbol: r.sym, Parent: idOf(r.parent), Level: r.level, Active: !slices.Contains(inactive, r.sym), Bitting: b(r.bitting)}
	}
	return out
}

func idOf(sym string) string {
	if sym == "" {
		return ""
	}
	return "id-" + sym
}

func idsOf(syms ...string) []string {
	out := []string{}
	for _, s := range syms {
		out = append(out, idOf(s))
	}
	return out
}

// pin keys door to sym, cross-keyed to cross, with the key list the store
// would pin: each symbol and its masters up to the top.
func pin(door, sym string, cross ...string) RekeyPin {
	p := RekeyPin{OpeningID: "door-" + door, OpeningName: door, Symbol: idOf(sym), Cross: idsOf(cross...)}
	for _, s := range append([]string{sym}, cross...) {
		for c := s; c != ""; c = c[:len(c)-1] {
			if !slices.Contains(p.KeyList, idOf(c)) {
				p.KeyList = append(p.KeyList, idOf(c))
			}
		}
	}
	return p
}

// step formats a plan step compactly: kind rule [door] from>to [+cross…] ×copies.
func step(s RekeyStep) string {
	sym := func(id string) string { return strings.TrimPrefix(id, "id-") }
	out := s.Kind + " " + s.Rule
	if s.OpeningID != "" {
		out += " " + strings.TrimPrefix(s.OpeningID, "door-")
	}
	out += " " + sym(s.From) + ">" + sym(s.To)
	for _, c := range s.Cross {
		out += " +" + sym(c)
	}
	if s.Copies != 0 {
		out += fmt.Sprintf(" ×%d", s.Copies)
	}
	return out
}

func TestPlanRekey(t *testing.T) {
	tests := []struct {
		name       string
		pins       []RekeyPin
		lost       string
		promised   []string
		inactive   []string
		copies     map[string]int
		intended   []string // doors
		incidental []string
		steps      []string
		notes      map[int]string // step index → note
	}{{
		name:     "lost change key: its door moves to the next unused sibling",
		pins:     []RekeyPin{pin("Office 1", "AA1"), pin("Office 2", "AB1")},
		lost:     "AA1",
		copies:   map[string]int{"AA1": 3},
		intended: []string{"Office 1"},
		steps: []string{
			"cut lost_key AA1>AA2 ×3",
			"rekey intended Office 1 AA1>AA2",
			"reissue lost_key AA1>AA2 ×3",
		},
		notes: map[int]string{
			0: "cut 3 × AA2 to replace AA1",
			1: "intended: the key list holds AA1; re-pin for AA2",
			2: "issue AA2 to the holders of AA1 and collect their AA1 copies",
		},
	}, {
		name:     "a key with no copies in circulation is still cut once",
		pins:     []RekeyPin{pin("Office 1", "AA1")},
		lost:     "AA1",
		intended: []string{"Office 1"},
		steps:    []string{"cut lost_key AA1>AA2 ×1", "rekey intended Office 1 AA1>AA2", "reissue lost_key AA1>AA2"},
	}, {
		name:     "siblings in a key list, promised to an open plan or retired are never picked",
		pins:     []RekeyPin{pin("Office 1", "AA1"), pin("Office 2", "AA2")},
		lost:     "AA1",
		promised: []string{"AA3"},
		intended: []string{"Office 1"},
		steps:    []string{"replace_cylinder intended Office 1 AA1>"},
		notes:    map[int]string{0: "intended: the key list holds AA1; no unused key of this system avoids it: replace the cylinder"},
	}, {
		name:     "a retired sibling is skipped for the next one",
		pins:     []RekeyPin{pin("Office 1", "AA1")},
		lost:     "AA1",
		inactive: []string{"AA2"},
		intended: []string{"Office 1"},
		steps:    []string{"cut lost_key AA1>AA3 ×1", "rekey intended Office 1 AA1>AA3", "reissue lost_key AA1>AA3"},
	}, {
		name:     "lost master: its doors move to one unused sibling master, keeping their change numbers",
		pins:     []RekeyPin{pin("Office 2", "AA2"), pin("Office 1", "AA1"), pin("Office 3", "AB1")},
		lost:     "AA",
		copies:   map[string]int{"AA": 1, "AA1": 2, "AA2": 1},
		intended: []string{"Office 1", "Office 2"},
		steps: []string{
			// AB is in Office 3's key list: AC takes AA's place.
			"cut new_master AA>AC ×1",
			"cut under_lost_master AA1>AC1 ×2",
			"cut under_lost_master AA2>AC2 ×1",
			"rekey intended Office 1 AA1>AC1",
			"rekey intended Office 2 AA2>AC2",
			"reissue new_master AA>AC ×1",
			"reissue under_lost_master AA1>AC1 ×2",
			"reissue under_lost_master AA2>AC2 ×1",
		},
	}, {
		name:     "lost master: a change number in use under the new master takes the next free one",
		pins:     []RekeyPin{pin("Office 1", "AA1"), pin("Office 3", "AB1")},
		lost:     "AA",
		promised: []string{"AC1"},
		intended: []string{"Office 1"},
		steps:    []string{"cut new_master AA>AC ×1", "cut under_lost_master AA1>AC2 ×1", "rekey intended Office 1 AA1>AC2", "reissue new_master AA>AC", "reissue under_lost_master AA1>AC2"},
	}, {
		name:     "lost top master: no key of the system avoids it, every cylinder is replaced",
		pins:     []RekeyPin{pin("Office 1", "AA1"), pin("Lobby", "A")},
		lost:     "A",
		intended: []string{"Lobby", "Office 1"},
		steps:    []string{"replace_cylinder intended Lobby A>", "replace_cylinder intended Office 1 AA1>"},
	}, {
		name:       "incidental key: the door moves to an unused sibling the lost bitting does not operate",
		pins:       []RekeyPin{pin("Office 1", "AA1", "AB2"), pin("Office 2", "AA1", "AB2")},
		lost:       "AB1", // 315: 3 from AB2, 1 from AA1
		incidental: []string{"Office 1", "Office 2"},
		steps: []string{
			"cut move_to_sibling AA1>AA2 ×1",
			"rekey incidental Office 1 AA1>AA2 +AB2",
			// A key moved once serves every door keyed to it.
			"rekey incidental Office 2 AA1>AA2 +AB2",
			"reissue move_to_sibling AA1>AA2",
		},
		notes: map[int]string{1: "incidental: AB1 operates it through its master pins; re-pin for AA2 cross-keyed to AB2"},
	}, {
		name:       "incidental key with no sibling that shuts it out: replace the cylinder",
		pins:       []RekeyPin{pin("Lobby", "AA2", "AB1")},
		lost:       "AA1", // 115: 1 from AA, 1 from AB1, whatever AA change key the door takes
		incidental: []string{"Lobby"},
		steps:      []string{"replace_cylinder incidental Lobby AA2>"},
		notes:      map[int]string{0: "incidental: AA1 operates it through its master pins; no unused key of this system avoids it: replace the cylinder"},
	}, {
		name:     "a lost cross key is replaced and the door keeps its own key",
		pins:     []RekeyPin{pin("Office 1", "AB2", "AA1")},
		lost:     "AA1",
		intended: []string{"Office 1"},
		steps:    []string{"cut lost_key AA1>AA2 ×1", "rekey intended Office 1 AB2>AB2 +AA2", "reissue lost_key AA1>AA2"},
	}, {
		name:     "a lost cross key with no free sibling is dropped",
		pins:     []RekeyPin{pin("Office 1", "AB2", "AA1")},
		lost:     "AA1",
		promised: []string{"AA2", "AA3"},
		intended: []string{"Office 1"},
		steps:    []string{"rekey intended Office 1 AB2>AB2"},
	}, {
		name: "the lost key opens nothing pinned: an empty plan",
		pins: []RekeyPin{pin("Office 1", "AB1")},
		lost: "AA1",
	}, {
		name: "no cylinder pinned at all",
		lost: "AA",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			copies := map[string]int{}
			for s, n := range tt.copies {
				copies[idOf(s)] = n
			}
			plan, err := PlanRekey(RekeyInput{Symbols: rekeySystem(tt.inactive...), Pins: tt.pins, Lost: idOf(tt.lost), Promised: idsOf(tt.promised...), Copies: copies})
			if err != nil {
				t.Fatal(err)
			}
			doors := func(ids []string) []string {
				out := []string{}
				for _, id := range ids {
					out = append(out, strings.TrimPrefix(id, "door-"))
				}
				return out
			}
			if got := doors(plan.Intended); !slices.Equal(got, nonNil(tt.intended)) {
				t.Errorf("intended = %q, want %q", got, tt.intended)
			}
			if got := doors(plan.Incidental); !slices.Equal(got, nonNil(tt.incidental)) {
				t.Errorf("incidental = %q, want %q", got, tt.incidental)
			}
			var got []string
			for _, s := range plan.Steps {
				got = append(got, step(s))
			}
			if !slices.Equal(got, tt.steps) {
				t.Errorf("steps:\n got  %q\n want %q", got, tt.steps)
			}
			for i, want := range tt.notes {
				if i >= len(plan.Steps) || plan.Steps[i].Note != want {
					t.Errorf("note %d = %+v, want %q", i, plan.Steps, want)
				}
			}
		})
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Every plan leaves the lost bitting operating nothing: each re-pinned door's
// new key list is checked against it, for every symbol of the system lost in
// turn, over cross-keyed doors.
func TestPlanRekeyShutsTheLostKeyOut(t *testing.T) {
	syms := rekeySystem()
	pins := []RekeyPin{pin("Lobby", "AA"), pin("Office 1", "AA1", "AB2"), pin("Office 2", "AB1"), pin("Office 3", "AC3", "AA2"), pin("Store", "AB3")}
	byID := map[string]RekeySymbol{}
	for _, s := range syms {
		byID[s.ID] = s
	}
	for _, lost := range syms {
		plan, err := PlanRekey(RekeyInput{Symbols: syms, Pins: pins, Lost: lost.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range plan.Steps {
			if s.Kind != StepRekey {
				continue
			}
			var keys []Bitting
			for _, id := range append([]string{s.To}, s.Cross...) {
				for r := byID[id]; ; r = byID[r.Parent] {
					keys = append(keys, r.Bitting)
					if r.Parent == "" {
						break
					}
				}
			}
			if Operates(Cylinder{Keys: keys}, lost.Bitting) {
				t.Errorf("lost %s: %s still lets it in", lost.Symbol, step(s))
			}
			if s.To == lost.ID || slices.Contains(s.Cross, lost.ID) {
				t.Errorf("lost %s: %s keeps the lost key", lost.Symbol, step(s))
			}
		}
	}
}

func TestPlanRekeyErrors(t *testing.T) {
	if _, err := PlanRekey(RekeyInput{Symbols: rekeySystem(), Lost: "id-ZZ"}); err == nil {
		t.Fatal("unknown lost symbol: no error")
	}
	syms := rekeySystem()
	syms[1].Bitting = b("15") // AA is shorter than the cylinders it keys
	_, err := PlanRekey(RekeyInput{Symbols: syms, Pins: []RekeyPin{pin("Office 1", "AB1")}, Lost: "id-AA"})
	var ke *Error
	if !errors.As(err, &ke) || ke.Rule != RuleBadBitting {
		t.Fatalf("short lost bitting: %v", err)
	}
}

func TestTreeKeyList(t *testing.T) {
	tr := Tree{}
	for _, s := range rekeySystem() {
		tr[s.ID] = s.Parent
	}
	sym := func(ids []string) string {
		return strings.ReplaceAll(strings.Join(ids, " "), "id-", "")
	}
	for _, tt := range []struct {
		id    string
		cross []string
		want  string
	}{
		{"AA1", nil, "AA1 AA A"},
		{"A", nil, "A"},
		{"AA", nil, "AA A"},
		{"AB2", []string{"AA1"}, "AB2 AB A AA1 AA"},
		{"AA1", []string{"AA2", "AA"}, "AA1 AA A AA2"},
		{"ZZ", nil, ""},
	} {
		if got := sym(tr.KeyList(idOf(tt.id), idsOf(tt.cross...))); got != tt.want {
			t.Errorf("KeyList(%s, %v) = %q, want %q", tt.id, tt.cross, got, tt.want)
		}
	}
}
