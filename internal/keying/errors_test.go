package keying

import (
	"testing"
)

func TestRules(t *testing.T) {
	tmk := b("246824") // TMK cuts 2 4 6 8 2 4
	minPin2 := oneStep
	minPin2.MinMasterPin = 2
	narrow := Spec{Positions: 6, MinDepth: 0, MaxDepth: 1, MACS: 7, Step: 2}
	threeLevel := func(m, c []int) SystemRequest {
		return SystemRequest{TMK: tmk, Levels: []Level{{Name: LevelMaster, Sequence: m}, {Name: LevelChange, Sequence: c}}}
	}
	sfic := func(keys []Bitting, control string, s SFIC) error {
		_, err := Pinning(schlage, PinningRequest{Keys: keys, Control: b(control), SFIC: s})
		return err
	}
	tpp := func(spec Spec, tmk string, seq []int, cols map[int][]int) error {
		_, err := TPP(spec, TPPRequest{TMK: b(tmk), Sequence: seq, Columns: cols})
		return err
	}
	tests := []struct {
		name string
		err  error
		want Error
	}{
		// Stage 1: the spec, member by member.
		{"positions", schlageWith(func(s *Spec) { s.Positions = 0 }), Error{Rule: RuleBadInput, Field: "spec.positions"}},
		{"positions before macs", schlageWith(func(s *Spec) { s.Positions, s.MACS = 0, 0 }), Error{Rule: RuleBadInput, Field: "spec.positions"}},
		{"min_depth", schlageWith(func(s *Spec) { s.MinDepth = -1 }), Error{Rule: RuleBadInput, Field: "spec.min_depth"}},
		{"min over max", schlageWith(func(s *Spec) { s.MinDepth, s.MaxDepth = 5, 4 }), Error{Rule: RuleBadInput, Field: "spec.max_depth"}},
		{"max 10 needs min 1", schlageWith(func(s *Spec) { s.MaxDepth = 10 }), Error{Rule: RuleBadInput, Field: "spec.max_depth"}},
		{"max 11", schlageWith(func(s *Spec) { s.MinDepth, s.MaxDepth = 1, 11 }), Error{Rule: RuleBadInput, Field: "spec.max_depth"}},
		{"macs", schlageWith(func(s *Spec) { s.MACS = 0 }), Error{Rule: RuleBadInput, Field: "spec.macs"}},
		{"step", schlageWith(func(s *Spec) { s.Step = 0 }), Error{Rule: RuleBadInput, Field: "spec.step"}},
		{"min_master_pin", schlageWith(func(s *Spec) { s.MinMasterPin = -1 }), Error{Rule: RuleBadInput, Field: "spec.min_master_pin"}},
		{"per chamber", schlageWith(func(s *Spec) { s.MaxMasterPinsPerChamber = ptr(-1) }), Error{Rule: RuleBadInput, Field: "spec.max_master_pins_per_chamber"}},
		{"total", schlageWith(func(s *Spec) { s.MaxMasterPinsTotal = ptr(-1) }), Error{Rule: RuleBadInput, Field: "spec.max_master_pins_total"}},
		{"column name", tpp(schlage, "246824", []int{1}, map[int][]int{9: {0}, 7: {0}}), Error{Rule: RuleBadInput, Field: "columns.7"}},
		{"rcm constants", rcmErr(RCMRequest{TMK: tmk, Positions: []int{1, 2}, Constants: 0}), Error{Rule: RuleBadInput, Field: "constants"}},
		{"system shape", sysErr(schlage, SystemRequest{TMK: tmk, Levels: []Level{{Name: LevelChange, Sequence: []int{1}}, {Name: LevelMaster, Sequence: []int{2}}}}), Error{Rule: RuleBadInput, Field: "levels"}},
		{"no levels", sysErr(schlage, SystemRequest{TMK: tmk}), Error{Rule: RuleBadInput, Field: "levels"}},

		// Stage 2.
		{"tmk too short", tpp(schlage, "24682", []int{1}, nil), Error{Rule: RuleBadBitting, Field: "tmk"}},
		{"tmk out of range", tpp(kwikset, "33370", []int{1}, nil), Error{Rule: RuleBittingDepthOutOfRange, Field: "tmk", Position: 4, Depth: 7}},
		{"bitting before tmk_macs", tpp(kwikset, "91111", []int{0}, nil), Error{Rule: RuleBittingDepthOutOfRange, Field: "tmk", Position: 1, Depth: 9}},
		{"keys item by item", opsErr(kwikset, bs("11111", "71111", "1111")), Error{Rule: RuleBittingDepthOutOfRange, Field: "keys[1]", Position: 1, Depth: 7}},
		{"keys bad length first", opsErr(kwikset, bs("11111", "1111", "71111")), Error{Rule: RuleBadBitting, Field: "keys[1]"}},
		{"control", sfic(bs("222222"), "22222", SFIC{}), Error{Rule: RuleBadBitting, Field: "control"}},

		// Stage 3, tpp in the order of §5.4.
		{"tmk_macs", tpp(schlage, "290000", nil, nil), Error{Rule: RuleTMKMACS, Positions: [2]int{2, 3}}},
		{"tmk_macs first", tpp(schlage, "092900", []int{1}, nil), Error{Rule: RuleTMKMACS, Positions: [2]int{1, 2}}},
		{"empty_sequence", tpp(schlage, "246824", nil, nil), Error{Rule: RuleEmptySequence, Field: "sequence"}},
		{"position 0", tpp(schlage, "246824", []int{1, 0}, nil), Error{Rule: RuleSequencePositionOutOfRange, Field: "sequence", Position: 0}},
		{"position 7", tpp(schlage, "246824", []int{7, 1, 1}, nil), Error{Rule: RuleSequencePositionOutOfRange, Field: "sequence", Position: 7}},
		{"duplicate before range", tpp(schlage, "246824", []int{1, 1, 7}, nil), Error{Rule: RuleSequenceDuplicatePosition, Field: "sequence", Position: 1}},
		{"column_not_in_sequence lowest", tpp(schlage, "246824", []int{1}, map[int][]int{5: {0}, 3: {0}, 1: {5}}), Error{Rule: RuleColumnNotInSequence, Position: 3}},
		{"parity before tmk depth", tpp(schlage, "246824", []int{3}, map[int][]int{3: {5, 6}}), Error{Rule: RuleParity, Position: 3, Depth: 5}},
		{"tmk depth", tpp(schlage, "246824", []int{3}, map[int][]int{3: {8, 6, 5}}), Error{Rule: RuleProgressionContainsTMKDepth, Position: 3, Depth: 6}},
		{"depth_out_of_range", tpp(schlage, "246824", []int{3}, map[int][]int{3: {10}}), Error{Rule: RuleDepthOutOfRange, Position: 3, Depth: 10}},
		{"depth_out_of_range low", tpp(kwikset, "33333", []int{3}, map[int][]int{3: {1, 0}}), Error{Rule: RuleDepthOutOfRange, Position: 3, Depth: 0}},
		{"range before parity", tpp(schlage, "246824", []int{3}, map[int][]int{3: {11}}), Error{Rule: RuleDepthOutOfRange, Position: 3, Depth: 11}},
		{"master_pin_below_minimum", tpp(minPin2, "246824", []int{3}, map[int][]int{3: {8, 5}}), Error{Rule: RuleMasterPinBelowMinimum, Position: 3, Depth: 5}},
		{"duplicate_depth at second", tpp(schlage, "246824", []int{3}, map[int][]int{3: {4, 8, 4, 5}}), Error{Rule: RuleDuplicateDepth, Position: 3, Depth: 4}},
		{"empty explicit column", tpp(schlage, "246824", []int{3}, map[int][]int{3: {}}), Error{Rule: RuleEmptyColumn, Position: 3}},
		{"empty derived column", tpp(narrow, "000000", []int{1}, nil), Error{Rule: RuleEmptyColumn, Position: 1}},
		{"columns in sequence order", tpp(schlage, "246824", []int{4, 3}, map[int][]int{3: {5}, 4: {}}), Error{Rule: RuleEmptyColumn, Position: 4}},
		{"too_many_keys", tppLimit(schlage, tmk, []int{1, 2, 3}, 63), Error{Rule: RuleTooManyKeys, Count: 64, Maximum: 63}},

		// rcm, §5.6.
		{"rcm tmk_macs", rcmErr(RCMRequest{TMK: b("290000"), Positions: nil, Constants: 9}), Error{Rule: RuleTMKMACS, Positions: [2]int{2, 3}}},
		{"rcm empty", rcmErr(RCMRequest{TMK: tmk, Constants: 9}), Error{Rule: RuleEmptySequence, Field: "positions"}},
		{"rcm duplicate", rcmErr(RCMRequest{TMK: tmk, Positions: []int{2, 1, 2}, Constants: 9}), Error{Rule: RuleSequenceDuplicatePosition, Field: "positions", Position: 2}},
		{"too_many_constants", rcmErr(RCMRequest{TMK: tmk, Positions: []int{1, 2, 3}, Constants: 3, Columns: map[int][]int{5: {1}}}), Error{Rule: RuleTooManyConstants, Constants: 3, Maximum: 2}},
		{"rcm column_not_in_sequence", rcmErr(RCMRequest{TMK: tmk, Positions: []int{1, 2, 3}, Constants: 2, Columns: map[int][]int{5: {1}}}), Error{Rule: RuleColumnNotInSequence, Position: 5}},
		{"rcm columns ascending", rcmErr(RCMRequest{TMK: tmk, Positions: []int{3, 1}, Constants: 1, Columns: map[int][]int{3: {1}, 1: {2}}}), Error{Rule: RuleProgressionContainsTMKDepth, Position: 1, Depth: 2}},
		{"rcm too_many_keys", rcmErr(RCMRequest{TMK: tmk, Positions: []int{1, 2, 3, 4, 5, 6}, Constants: 4, MaxKeys: 239}), Error{Rule: RuleTooManyKeys, Count: 240, Maximum: 239}},

		// system, §5.5.
		{"system tmk_macs", sysErr(schlage, SystemRequest{TMK: b("290000"), Levels: []Level{{Name: LevelChange}}}), Error{Rule: RuleTMKMACS, Positions: [2]int{2, 3}}},
		{"system empty", sysErr(schlage, threeLevel([]int{1}, nil)), Error{Rule: RuleEmptySequence, Field: "levels[1].sequence"}},
		{"system across levels", sysErr(schlage, threeLevel([]int{1, 2}, []int{3, 2})), Error{Rule: RuleSequenceDuplicatePosition, Field: "levels[1].sequence", Position: 2}},
		{"system sequences before columns", sysErr(schlage, SystemRequest{TMK: tmk, Levels: []Level{
			{Name: LevelMaster, Sequence: []int{1}, Columns: map[int][]int{2: {0}}}, {Name: LevelChange, Sequence: []int{9}}}}),
			Error{Rule: RuleSequencePositionOutOfRange, Field: "levels[1].sequence", Position: 9}},
		{"system column_not_in_sequence", sysErr(schlage, SystemRequest{TMK: tmk, Levels: []Level{
			{Name: LevelMaster, Sequence: []int{1}, Columns: map[int][]int{1: {5}}}, {Name: LevelChange, Sequence: []int{2}, Columns: map[int][]int{1: {0}}}}}),
			Error{Rule: RuleColumnNotInSequence, Position: 1}},
		{"system columns top down", sysErr(schlage, SystemRequest{TMK: tmk, Levels: []Level{
			{Name: LevelMaster, Sequence: []int{2}, Columns: map[int][]int{2: {3}}}, {Name: LevelChange, Sequence: []int{1}, Columns: map[int][]int{1: {1}}}}}),
			Error{Rule: RuleParity, Position: 2, Depth: 3}},
		{"system too_many_keys", sysErr(schlage, SystemRequest{TMK: tmk, MaxKeys: 15, Levels: []Level{
			{Name: LevelMaster, Sequence: []int{1}}, {Name: LevelChange, Sequence: []int{2}}}}),
			Error{Rule: RuleTooManyKeys, Count: 16, Maximum: 15}},
		{"too_many_symbols", sysErr(symbols, SystemRequest{TMK: b("030"), Levels: []Level{
			{Name: LevelMaster, Sequence: []int{1, 2}}, {Name: LevelChange, Sequence: []int{3}}}}),
			Error{Rule: RuleTooManySymbols, Level: LevelMaster, Count: 23, Maximum: 22}},
		{"too_many_symbols grand", sysErr(symbols4, SystemRequest{TMK: b("0300"), Levels: []Level{
			{Name: LevelGrand, Sequence: []int{1, 2}}, {Name: LevelMaster, Sequence: []int{3}}, {Name: LevelChange, Sequence: []int{4}}}}),
			Error{Rule: RuleTooManySymbols, Level: LevelGrand, Count: 23, Maximum: 22}},
		{"too_many_keys before too_many_symbols", sysErr(symbols4, SystemRequest{TMK: b("0300"), MaxKeys: 100, Levels: []Level{
			{Name: LevelGrand, Sequence: []int{1, 2}}, {Name: LevelMaster, Sequence: []int{3}}, {Name: LevelChange, Sequence: []int{4}}}}),
			Error{Rule: RuleTooManyKeys, Count: 81 * 9 * 9, Maximum: 100}},
		{"too_many_symbols master of 4 levels", sysErr(symbols4, SystemRequest{TMK: b("0300"), Levels: []Level{
			{Name: LevelGrand, Sequence: []int{4}}, {Name: LevelMaster, Sequence: []int{1, 2}}, {Name: LevelChange, Sequence: []int{3}}}}),
			Error{Rule: RuleTooManySymbols, Level: LevelMaster, Count: 23, Maximum: 22}},

		// pinning, §5.7.
		{"no_keys", pinErr(schlage, nil), Error{Rule: RuleNoKeys, Field: "keys"}},
		{"sfic build-up", sfic(bs("222222", "242222"), "222222", SFIC{ControlOffset: 1}), Error{Rule: RuleSFICStack, Position: 2}},
		{"sfic top", sfic(bs("222222"), "222229", SFIC{StackHeight: 19}), Error{Rule: RuleSFICStack, Position: 6}},
		{"sfic negative", sfic(bs("222222"), "222222", SFIC{StackHeight: -1}), Error{Rule: RuleBadInput, Field: "sfic.stack_height"}},

		// operating-set, §5.8.
		{"operating-set no_keys", opsErr(schlage, nil), Error{Rule: RuleNoKeys, Field: "keys"}},
		{"operating-set too_many_keys", opsLimit(schlage, bs("222222", "444444"), 63), Error{Rule: RuleTooManyKeys, Count: 64, Maximum: 63}},

		// operates, lost-key, audit: no spec, lengths follow the first bitting.
		{"operates no_keys", opErr(Cylinder{}, b("1234")), Error{Rule: RuleNoKeys, Field: "cylinder.keys"}},
		{"operates key length", opErr(Cylinder{Keys: bs("12345")}, b("1234")), Error{Rule: RuleBadBitting, Field: "key"}},
		{"operates keys length", opErr(Cylinder{Keys: bs("1234", "12345")}, b("1234")), Error{Rule: RuleBadBitting, Field: "cylinder.keys[1]"}},
		{"lost no_keys before duplicate", lostErr([]Cylinder{{ID: "a", Keys: bs("11")}, {ID: "a"}}, b("11")), Error{Rule: RuleNoKeys, Field: "cylinders[1].keys"}},
		{"lost duplicate first", lostErr([]Cylinder{{ID: "a", Keys: bs("11")}, {ID: "a", Keys: bs("11")}, {ID: "b"}}, b("11")), Error{Rule: RuleDuplicateID, ID: "a"}},
		{"lost bittings before rules", lostErr([]Cylinder{{ID: "a"}, {ID: "b", Keys: bs("11")}}, b("111")), Error{Rule: RuleBadBitting, Field: "lost"}},
		{"lost first bitting sets length", lostErr([]Cylinder{{ID: "a"}, {ID: "b", Keys: bs("111", "11")}}, b("111")), Error{Rule: RuleBadBitting, Field: "cylinders[1].keys[1]"}},
		{"audit issued", auditErr([]Cylinder{{ID: "a", Keys: bs("11")}}, []Key{{"AA1", b("11")}, {"AA2", b("1")}}), Error{Rule: RuleBadBitting, Field: "issued[1].bitting"}},
		{"audit duplicate", auditErr([]Cylinder{{ID: "a", Keys: bs("11")}, {ID: "a", Keys: bs("11")}}, nil), Error{Rule: RuleDuplicateID, ID: "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantErr(t, tt.err, tt.want) })
	}
}

// symbols is a spec where masters progressing positions 1 and 2 from TMK
// 040 give exactly 22 MACS-passing keys, and from 030 give 23.
var (
	symbols  = Spec{Positions: 3, MinDepth: 0, MaxDepth: 9, MACS: 4, Step: 1}
	symbols4 = Spec{Positions: 4, MinDepth: 0, MaxDepth: 9, MACS: 4, Step: 1}
)

func schlageWith(f func(*Spec)) error {
	s := schlage
	f(&s)
	_, err := TPP(s, TPPRequest{TMK: b("246824"), Sequence: []int{1}})
	return err
}

func tppLimit(spec Spec, tmk Bitting, seq []int, max int) error {
	_, err := TPP(spec, TPPRequest{TMK: tmk, Sequence: seq, MaxKeys: max})
	return err
}

func rcmErr(req RCMRequest) error {
	_, err := RCM(schlage, req)
	return err
}

func sysErr(spec Spec, req SystemRequest) error {
	_, err := System(spec, req)
	return err
}

func pinErr(spec Spec, keys []Bitting) error {
	_, err := Pinning(spec, PinningRequest{Keys: keys})
	return err
}

func opsErr(spec Spec, keys []Bitting) error {
	_, err := OperatingSet(spec, keys, 0)
	return err
}

func opsLimit(spec Spec, keys []Bitting, max int) error {
	_, err := OperatingSet(spec, keys, max)
	return err
}

func opErr(c Cylinder, key Bitting) error {
	_, err := CheckOperates(c, key)
	return err
}

func lostErr(c []Cylinder, key Bitting) error {
	_, err := LostKey(c, key)
	return err
}

func auditErr(c []Cylinder, issued []Key) error {
	_, err := Audit(c, issued)
	return err
}

func TestValidateAcceptsPublishedSpecs(t *testing.T) {
	for _, s := range []Spec{schlage, kwikset, bestA2, sargent, oneStep} {
		if err := s.Validate(); err != nil {
			t.Errorf("%+v: %v", s, err)
		}
	}
}

// The contract requires a limit of at least a million keys.
func TestDefaultLimitAllowsAMillion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a million bittings")
	}
	keys := bs("000000", "111111", "222222", "333333", "444444", "555555", "666666", "777777", "888888", "999999")
	r, err := OperatingSet(oneStep, keys, 0)
	if err != nil || r.Count != 1_000_000 || len(r.All) != 1_000_000 {
		t.Fatalf("%v, count %d", err, r.Count)
	}
	if KeyLimit(0, 6) != DefaultMaxKeys || KeyLimit(0, 128) != DefaultMaxKeys/2 {
		t.Fatalf("limits %d %d", KeyLimit(0, 6), KeyLimit(0, 128))
	}
	_, err = OperatingSet(Spec{Positions: 7, MinDepth: 0, MaxDepth: 9, MACS: 9, Step: 1},
		bs("0000000", "1111111", "2222222", "3333333", "4444444", "5555555", "6666666", "7777777"), 0)
	wantErr(t, err, Error{Rule: RuleTooManyKeys, Count: 1 << 21, Maximum: DefaultMaxKeys})
}
