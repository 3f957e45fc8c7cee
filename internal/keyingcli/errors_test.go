package keyingcli

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keying"
)

func TestErrors(t *testing.T) {
	const S = schlageSpec
	tests := []struct{ verb, in, want string }{
		// Stage 1: the document.
		{"tpp", ``, `{"rule":"bad_input","field":""}`},
		{"tpp", `[]`, `{"rule":"bad_input","field":""}`},
		{"tpp", `"x"`, `{"rule":"bad_input","field":""}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[1]} {}`, `{"rule":"bad_input","field":""}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[1]} x`, `{"rule":"bad_input","field":""}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[1]`, `{"rule":"bad_input","field":""}`},
		{"macs", `{"spec":` + S + `,"bitting":"1"}` + "\n\t ", `ok`},

		// Stage 1: the spec, member by member in the table's order.
		{"macs", `{"bitting":"246824"}`, `{"rule":"bad_input","field":"spec"}`},
		{"macs", `{"spec":null,"bitting":"246824"}`, `{"rule":"bad_input","field":"spec"}`},
		{"macs", `{"spec":[],"bitting":"246824"}`, `{"rule":"bad_input","field":"spec"}`},
		{"macs", `{"spec":{"name":1,"positions":0},"bitting":"1"}`, `{"rule":"bad_input","field":"spec.name"}`},
		{"macs", `{"spec":{"positions":0,"min_depth":0,"max_depth":9,"macs":"7","step":2},"bitting":"1"}`, `{"rule":"bad_input","field":"spec.positions"}`},
		{"macs", `{"spec":{"positions":6,"max_depth":9,"macs":7,"step":2},"bitting":"1"}`, `{"rule":"bad_input","field":"spec.min_depth"}`},
		{"macs", `{"spec":{"positions":6,"min_depth":null,"max_depth":9,"macs":7,"step":2},"bitting":"1"}`, `{"rule":"bad_input","field":"spec.min_depth"}`},
		{"macs", `{"spec":{"positions":6.0,"min_depth":0,"max_depth":9,"macs":7,"step":2},"bitting":"1"}`, `{"rule":"bad_input","field":"spec.positions"}`},
		{"macs", `{"spec":{"positions":6,"min_depth":0,"max_depth":9,"macs":7.5,"step":2},"bitting":"1"}`, `{"rule":"bad_input","field":"spec.macs"}`},
		{"macs", `{"spec":{"positions":6,"min_depth":0,"max_depth":9,"macs":7e0,"step":2},"bitting":"1"}`, `{"rule":"bad_input","field":"spec.macs"}`},
		{"macs", `{"spec":{"positions":99999999999999999999,"min_depth":0,"max_depth":9,"macs":7,"step":2},"bitting":"1"}`, `{"rule":"bad_input","field":"spec.positions"}`},
		{"macs", `{"spec":{"positions":6,"min_depth":-1,"max_depth":9,"macs":7,"step":2},"bitting":"1"}`, `{"rule":"bad_input","field":"spec.min_depth"}`},
		{"macs", `{"spec":{"positions":6,"min_depth":5,"max_depth":4,"macs":7,"step":2},"bitting":"1"}`, `{"rule":"bad_input","field":"spec.max_depth"}`},
		{"macs", `{"spec":{"positions":6,"min_depth":0,"max_depth":10,"macs":7,"step":2},"bitting":"1"}`, `{"rule":"bad_input","field":"spec.max_depth"}`},
		{"macs", `{"spec":{"positions":6,"min_depth":1,"max_depth":11,"macs":7,"step":2},"bitting":"1"}`, `{"rule":"bad_input","field":"spec.max_depth"}`},
		{"macs", `{"spec":{"positions":6,"min_depth":0,"max_depth":9,"macs":0,"step":2},"bitting":"1"}`, `{"rule":"bad_input","field":"spec.macs"}`},
		{"macs", `{"spec":{"positions":6,"min_depth":0,"max_depth":9,"macs":7,"step":0},"bitting":"1"}`, `{"rule":"bad_input","field":"spec.step"}`},
		{"macs", `{"spec":{"positions":6,"min_depth":0,"max_depth":9,"macs":7,"step":2,"min_master_pin":0},"bitting":"1"}`, `{"rule":"bad_input","field":"spec.min_master_pin"}`},
		{"macs", `{"spec":{"positions":6,"min_depth":0,"max_depth":9,"macs":7,"step":2,"max_master_pins_per_chamber":-1},"bitting":"1"}`, `{"rule":"bad_input","field":"spec.max_master_pins_per_chamber"}`},
		{"macs", `{"spec":{"positions":6,"min_depth":0,"max_depth":9,"macs":7,"step":2,"max_master_pins_total":"2"},"bitting":"1"}`, `{"rule":"bad_input","field":"spec.max_master_pins_total"}`},
		{"macs", `{"spec":{"positions":6,"min_depth":0,"max_depth":9,"macs":7,"step":2,"max_master_pins_total":0,"Positions":"x","extra":[]},"bitting":"1"}`, `ok`},
		{"macs", `{"spec":` + S + `}`, `{"rule":"bad_input","field":"bitting"}`},

		// Stage 1: bittings must be strings; a number is the wrong type.
		{"macs", `{"spec":` + S + `,"bitting":246824}`, `{"rule":"bad_input","field":"bitting"}`},
		{"pinning", `{"spec":` + S + `,"keys":["246824",246824]}`, `{"rule":"bad_input","field":"keys[1]"}`},
		{"pinning", `{"spec":` + S + `,"keys":["246824",null]}`, `{"rule":"bad_input","field":"keys[1]"}`},
		{"pinning", `{"spec":` + S + `,"keys":"246824"}`, `{"rule":"bad_input","field":"keys"}`},
		{"operates", `{"cylinder":{"keys":["1"]},"key":1}`, `{"rule":"bad_input","field":"key"}`},
		{"operates", `{"cylinder":{},"key":"1"}`, `{"rule":"bad_input","field":"cylinder.keys"}`},
		{"lost-key", `{"cylinders":[{"keys":["1"]}],"lost":"1"}`, `{"rule":"bad_input","field":"cylinders[0].id"}`},
		{"lost-key", `{"cylinders":[{"id":"a","keys":["1"]},7],"lost":"1"}`, `{"rule":"bad_input","field":"cylinders[1]"}`},
		{"audit", `{"cylinders":[],"issued":[{"bitting":"1"}]}`, `{"rule":"bad_input","field":"issued[0].symbol"}`},
		{"audit", `{"cylinders":[]}`, `{"rule":"bad_input","field":"issued"}`},

		// Stage 1: sequences, columns, levels and the rest.
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[1,4.5]}`, `{"rule":"bad_input","field":"sequence[1]"}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[1,"2"]}`, `{"rule":"bad_input","field":"sequence[1]"}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824"}`, `{"rule":"bad_input","field":"sequence"}`},
		{"tpp", `{"spec":` + S + `,"tmk":"24682x","sequence":[1],"columns":{"x":[1]}}`, `{"rule":"bad_input","field":"columns.x"}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[1],"columns":{"0":[1]}}`, `{"rule":"bad_input","field":"columns.0"}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[1],"columns":{"7":[1]}}`, `{"rule":"bad_input","field":"columns.7"}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[1],"columns":{"01":[1]}}`, `{"rule":"bad_input","field":"columns.01"}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[1],"columns":{"1":[0],"2":4}}`, `{"rule":"bad_input","field":"columns.2"}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[1],"columns":{"1":[0, 1.5]}}`, `{"rule":"bad_input","field":"columns.1[1]"}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[1],"columns":[]}`, `{"rule":"bad_input","field":"columns"}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[1],"columns":null}`, `ok`},
		{"rcm", `{"spec":` + S + `,"tmk":"246824","positions":[1,2],"constants":0}`, `{"rule":"bad_input","field":"constants"}`},
		{"rcm", `{"spec":` + S + `,"tmk":"246824","positions":[1,2]}`, `{"rule":"bad_input","field":"constants"}`},
		{"pinning", `{"spec":` + S + `,"keys":["246824"],"sfic":{"control_offset":0}}`, `{"rule":"bad_input","field":"sfic.control_offset"}`},
		{"pinning", `{"spec":` + S + `,"keys":["246824"],"sfic":{"stack_height":-3}}`, `{"rule":"bad_input","field":"sfic.stack_height"}`},
		{"pinning", `{"spec":` + S + `,"keys":["246824"],"sfic":5}`, `{"rule":"bad_input","field":"sfic"}`},
		{"root-depths", `{"dimensions":{"reference_depth":0,"reference_root_in":0,"increment_in":0.015},"bitting":"1"}`, `{"rule":"bad_input","field":"dimensions.reference_root_in"}`},
		{"root-depths", `{"dimensions":{"reference_depth":0,"reference_root_in":0.3,"increment_in":-1},"bitting":"1"}`, `{"rule":"bad_input","field":"dimensions.increment_in"}`},
		{"root-depths", `{"dimensions":{"reference_depth":0.5,"reference_root_in":0.3,"increment_in":1},"bitting":"1"}`, `{"rule":"bad_input","field":"dimensions.reference_depth"}`},
		{"root-depths", `{"dimensions":{"reference_depth":0,"reference_root_in":"0.3","increment_in":1},"bitting":"1"}`, `{"rule":"bad_input","field":"dimensions.reference_root_in"}`},
		{"system", `{"spec":` + S + `,"tmk":"246824","levels":[{"level":"master","sequence":[1]}]}`, `{"rule":"bad_input","field":"levels"}`},
		{"system", `{"spec":` + S + `,"tmk":"246824","levels":[{"level":"change","sequence":[1]},{"level":"master","sequence":[2]}]}`, `{"rule":"bad_input","field":"levels"}`},
		{"system", `{"spec":` + S + `,"tmk":"246824","levels":[]}`, `{"rule":"bad_input","field":"levels"}`},
		{"system", `{"spec":` + S + `,"tmk":"246824","levels":[{"level":"master","sequence":[1]},{"level":7,"sequence":[2]}]}`, `{"rule":"bad_input","field":"levels[1].level"}`},
		{"system", `{"spec":` + S + `,"tmk":"246824","levels":[{"level":"master"},{"level":"change","sequence":[2]}]}`, `{"rule":"bad_input","field":"levels[0].sequence"}`},
		{"system", `{"spec":` + S + `,"tmk":"246824","levels":[{"level":"change","sequence":[2],"columns":{"9":[]}}]}`, `{"rule":"bad_input","field":"levels[0].columns.9"}`},
		{"system", `{"spec":` + S + `,"tmk":"246824","levels":[{"level":"change","sequence":[2]}],"top_symbol":""}`, `{"rule":"bad_input","field":"top_symbol"}`},
		{"system", `{"spec":` + S + `,"tmk":"246824","levels":[{"level":"change","sequence":[2]}],"top_symbol":5}`, `{"rule":"bad_input","field":"top_symbol"}`},

		// Stage 2, after all of stage 1, in the order the request lists the bittings.
		{"tpp", `{"spec":` + S + `,"tmk":"24682x","sequence":[]}`, `{"rule":"bad_bitting","field":"tmk"}`},
		{"tpp", `{"spec":` + S + `,"tmk":"","sequence":[1]}`, `{"rule":"bad_bitting","field":"tmk"}`},
		{"tpp", `{"spec":` + S + `,"tmk":"2468245","sequence":[1]}`, `{"rule":"bad_bitting","field":"tmk"}`},
		{"tpp", `{"spec":` + S + `,"tmk":"-46824","sequence":[1]}`, `{"rule":"bad_bitting","field":"tmk"}`},
		{"tpp", `{"spec":{"positions":5,"min_depth":1,"max_depth":6,"macs":4,"step":1},"tmk":"11701","sequence":[]}`, `{"rule":"bitting_depth_out_of_range","field":"tmk","position":3,"depth":7}`},
		{"macs", `{"spec":` + S + `,"bitting":""}`, `{"rule":"bad_bitting","field":"bitting"}`},
		{"macs", `{"spec":` + S + `,"bitting":"12 4"}`, `{"rule":"bad_bitting","field":"bitting"}`},
		{"macs", `{"spec":` + S + `,"bitting":"١٢"}`, `{"rule":"bad_bitting","field":"bitting"}`},
		{"pinning", `{"spec":{"positions":2,"min_depth":1,"max_depth":6,"macs":4,"step":1},"keys":["11","17","1"],"control":"x"}`, `{"rule":"bitting_depth_out_of_range","field":"keys[1]","position":2,"depth":7}`},
		{"pinning", `{"spec":{"positions":2,"min_depth":1,"max_depth":6,"macs":4,"step":1},"keys":["11","1","17"]}`, `{"rule":"bad_bitting","field":"keys[1]"}`},
		{"pinning", `{"spec":` + S + `,"keys":[],"control":"9"}`, `{"rule":"bad_bitting","field":"control"}`},
		{"operating-set", `{"spec":{"positions":2,"min_depth":1,"max_depth":10,"macs":4,"step":1},"keys":["10","0a"]}`, `{"rule":"bad_bitting","field":"keys[1]"}`},
		{"operates", `{"cylinder":{"keys":["123","12"]},"key":"1"}`, `{"rule":"bad_bitting","field":"cylinder.keys[1]"}`},
		{"operates", `{"cylinder":{"keys":[]},"key":"x"}`, `{"rule":"bad_bitting","field":"key"}`},
		{"operates", `{"cylinder":{"keys":["123"]},"key":"1234"}`, `{"rule":"bad_bitting","field":"key"}`},
		{"lost-key", `{"cylinders":[{"id":"a","keys":[]},{"id":"a","keys":["12"]}],"lost":"123"}`, `{"rule":"bad_bitting","field":"lost"}`},
		{"audit", `{"cylinders":[{"id":"a","keys":["12"]}],"issued":[{"symbol":"A","bitting":"1"}]}`, `{"rule":"bad_bitting","field":"issued[0].bitting"}`},

		// Stage 3: tpp.
		{"tpp", `{"spec":` + S + `,"tmk":"290000","sequence":[]}`, `{"rule":"tmk_macs","positions":[2,3]}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[]}`, `{"rule":"empty_sequence","field":"sequence"}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[1,1,0]}`, `{"rule":"sequence_duplicate_position","field":"sequence","position":1}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[-1,1,1]}`, `{"rule":"sequence_position_out_of_range","field":"sequence","position":-1}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[1],"columns":{"5":[1],"3":[1]}}`, `{"rule":"column_not_in_sequence","position":3}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[3],"columns":{"3":[5,6]}}`, `{"rule":"parity","position":3,"depth":5}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[3],"columns":{"3":[6,5]}}`, `{"rule":"progression_contains_tmk_depth","position":3,"depth":6}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[3],"columns":{"3":[12]}}`, `{"rule":"depth_out_of_range","position":3,"depth":12}`},
		{"tpp", `{"spec":{"positions":6,"min_depth":0,"max_depth":9,"macs":7,"step":1,"min_master_pin":2},"tmk":"246824","sequence":[3],"columns":{"3":[7]}}`, `{"rule":"master_pin_below_minimum","position":3,"depth":7}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[3],"columns":{"3":[0,8,0]}}`, `{"rule":"duplicate_depth","position":3,"depth":0}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[2,3],"columns":{"3":[],"2":[5]}}`, `{"rule":"parity","position":2,"depth":5}`},
		{"tpp", `{"spec":` + S + `,"tmk":"246824","sequence":[3,2],"columns":{"3":[],"2":[5]}}`, `{"rule":"empty_column","position":3}`},
		{"tpp", `{"spec":{"positions":2,"min_depth":0,"max_depth":1,"macs":1,"step":2},"tmk":"00","sequence":[1]}`, `{"rule":"empty_column","position":1}`},
		{"tpp", `{"spec":{"positions":10,"min_depth":0,"max_depth":9,"macs":9,"step":1},"tmk":"5555555555","sequence":[1,2,3,4,5,6,7,8,9,10]}`, `{"rule":"too_many_keys","count":3486784401,"maximum":1000000}`},
		{"tpp", `{"spec":{"positions":40,"min_depth":0,"max_depth":9,"macs":9,"step":1},"tmk":"5555555555555555555555555555555555555555","sequence":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40]}`, `{"rule":"too_many_keys","count":9223372036854775807,"maximum":1000000}`},

		// system.
		{"system", `{"spec":` + S + `,"tmk":"246824","levels":[{"level":"master","sequence":[1,2]},{"level":"change","sequence":[3,1]}]}`, `{"rule":"sequence_duplicate_position","field":"levels[1].sequence","position":1}`},
		{"system", `{"spec":` + S + `,"tmk":"246824","levels":[{"level":"master","sequence":[1],"columns":{"2":[0]}},{"level":"change","sequence":[]}]}`, `{"rule":"empty_sequence","field":"levels[1].sequence"}`},
		{"system", `{"spec":` + S + `,"tmk":"246824","levels":[{"level":"master","sequence":[1],"columns":{"1":[3]}},{"level":"change","sequence":[2],"columns":{"1":[0]}}]}`, `{"rule":"column_not_in_sequence","position":1}`},
		{"system", `{"spec":{"positions":3,"min_depth":0,"max_depth":9,"macs":4,"step":1},"tmk":"030","levels":[{"level":"master","sequence":[1,2]},{"level":"change","sequence":[3]}]}`, `{"rule":"too_many_symbols","level":"master","count":23,"maximum":22}`},
		{"system", `{"spec":{"positions":4,"min_depth":0,"max_depth":9,"macs":4,"step":1},"tmk":"0300","levels":[{"level":"grand","sequence":[1,2]},{"level":"master","sequence":[3]},{"level":"change","sequence":[4]}]}`, `{"rule":"too_many_symbols","level":"grand","count":23,"maximum":22}`},

		// rcm.
		{"rcm", `{"spec":` + S + `,"tmk":"246824","positions":[],"constants":1}`, `{"rule":"empty_sequence","field":"positions"}`},
		{"rcm", `{"spec":` + S + `,"tmk":"246824","positions":[1,7],"constants":1}`, `{"rule":"sequence_position_out_of_range","field":"positions","position":7}`},
		{"rcm", `{"spec":` + S + `,"tmk":"246824","positions":[1,2,3],"constants":3,"columns":{"6":[1]}}`, `{"rule":"too_many_constants","constants":3,"maximum":2}`},
		{"rcm", `{"spec":` + S + `,"tmk":"246824","positions":[1,2,3],"constants":2,"columns":{"6":[1]}}`, `{"rule":"column_not_in_sequence","position":6}`},
		{"rcm", `{"spec":` + S + `,"tmk":"246824","positions":[3,1],"constants":1,"columns":{"3":[1],"1":[3]}}`, `{"rule":"parity","position":1,"depth":3}`},

		// pinning, operating-set.
		{"pinning", `{"spec":` + S + `,"keys":[]}`, `{"rule":"no_keys","field":"keys"}`},
		{"pinning", `{"spec":` + S + `,"keys":["222222","242222"],"control":"222222","sfic":{"control_offset":1}}`, `{"rule":"sfic_stack","position":2}`},
		{"pinning", `{"spec":` + S + `,"keys":[],"control":"222222","sfic":{"control_offset":1}}`, `{"rule":"no_keys","field":"keys"}`},
		{"operating-set", `{"spec":` + S + `,"keys":[]}`, `{"rule":"no_keys","field":"keys"}`},
		{"operating-set", `{"spec":{"positions":7,"min_depth":0,"max_depth":9,"macs":9,"step":1},"keys":["0000000","1111111","2222222","3333333","4444444","5555555","6666666","7777777"]}`, `{"rule":"too_many_keys","count":2097152,"maximum":1000000}`},

		// operates, lost-key, audit.
		{"operates", `{"cylinder":{"keys":[]},"key":"1"}`, `{"rule":"no_keys","field":"cylinder.keys"}`},
		{"lost-key", `{"cylinders":[{"id":"a","keys":["1"]},{"id":"a","keys":[]}],"lost":"1"}`, `{"rule":"no_keys","field":"cylinders[1].keys"}`},
		{"lost-key", `{"cylinders":[{"id":"a","keys":["1"]},{"id":"a","keys":["2"]},{"id":"b","keys":[]}],"lost":"1"}`, `{"rule":"duplicate_id","id":"a"}`},
		{"audit", `{"cylinders":[{"id":"a","keys":["1"]},{"id":"b","keys":[]}],"issued":[]}`, `{"rule":"no_keys","field":"cylinders[1].keys"}`},
	}
	for _, tt := range tests {
		if tt.want == "ok" {
			if code, got, _ := call(t, []string{tt.verb}, tt.in); code != 0 {
				t.Errorf("%s %s: exit %d, %v", tt.verb, tt.in, code, got)
			}
			continue
		}
		expectError(t, tt.verb, tt.in, tt.want)
	}
}

func TestArgs(t *testing.T) {
	in := `{"cylinder":{"keys":["1"]},"key":"1"}`
	for _, args := range [][]string{
		{"operates"},
		{"--data", "/tmp/x", "operates"},
		{"operates", "--data", "/tmp/x"},
		{"--db=postgres://x", "operates", "--data=/d"},
		{"--db", "postgres://x", "operates"},
	} {
		if code, _, stderr := call(t, args, in); code != 0 {
			t.Errorf("%v: exit %d %s", args, code, stderr)
		}
	}
	for _, args := range [][]string{{}, {"nope"}, {"--data", "x"}, {"operates", "--data"}, {"operates", "macs"}, {"--frobnicate", "operates"}} {
		var out, errOut bytes.Buffer
		if code := Run(args, strings.NewReader(in), &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "usage") || out.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out.String(), errOut.String())
		}
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"tpp", "--help"}} {
		var out, errOut bytes.Buffer
		if code := Run(args, strings.NewReader(""), &out, &errOut); code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
		for _, v := range verbs {
			if !strings.Contains(out.String(), "\n  "+v.name+" ") {
				t.Errorf("help does not list %s", v.name)
			}
		}
	}
}

// Every example in the help text is a request the verb accepts.
func TestHelpExamplesRun(t *testing.T) {
	for _, v := range verbs {
		if code, got, _ := call(t, []string{v.name}, v.example); code != 0 {
			t.Errorf("%s %s: exit %d %v", v.name, v.example, code, got)
		}
	}
}

// The command reads spec members in the same order and with the same
// ranges as keying.Spec.Validate.
func TestSpecChecksMatchValidate(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	for range 2000 {
		v := make([]int, 8)
		for i := range v {
			v[i] = r.Intn(14) - 2
		}
		in := fmt.Sprintf(`{"spec":{"positions":%d,"min_depth":%d,"max_depth":%d,"macs":%d,"step":%d,"min_master_pin":%d,"max_master_pins_per_chamber":%d,"max_master_pins_total":%d},"bitting":"1"}`,
			v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7])
		spec := keying.Spec{Positions: v[0], MinDepth: v[1], MaxDepth: v[2], MACS: v[3], Step: v[4], MinMasterPin: v[5],
			MaxMasterPinsPerChamber: &v[6], MaxMasterPinsTotal: &v[7]}
		want := ""
		if err := spec.Validate(); err != nil {
			want = err.(*keying.Error).Field
		}
		if v[5] == 0 {
			want = firstOf(want, "spec.min_master_pin") // 0 means "default" only in Go
		}
		_, got, _ := call(t, []string{"macs"}, in)
		field := ""
		if e, ok := got["error"].(map[string]any); ok {
			field = e["field"].(string)
		}
		if field != want {
			t.Fatalf("%s: field %q, Validate %q", in, field, want)
		}
	}
}

// firstOf returns the spec field that comes first in the contract's table.
func firstOf(a, b string) string {
	order := []string{"spec.positions", "spec.min_depth", "spec.max_depth", "spec.macs", "spec.step",
		"spec.min_master_pin", "spec.max_master_pins_per_chamber", "spec.max_master_pins_total"}
	for _, f := range order {
		if f == a || f == b {
			return f
		}
	}
	return ""
}
