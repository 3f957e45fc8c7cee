package keyingcli

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

const schlageSpec = `{"name":"schlage_sc4","positions":6,"min_depth":0,"max_depth":9,"macs":7,"step":2,"min_master_pin":2}`

// call runs one verb and decodes its output, numbers kept as written.
func call(t *testing.T, args []string, in string) (int, map[string]any, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(args, strings.NewReader(in), &out, &errOut)
	if code == 2 {
		return code, nil, errOut.String()
	}
	if !strings.HasSuffix(out.String(), "}\n") || strings.Count(out.String(), "\n") != 1 {
		t.Fatalf("output is not one JSON object and a newline: %q", out.String())
	}
	var m map[string]any
	dec := json.NewDecoder(&out)
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	return code, m, errOut.String()
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("bad expectation %s: %v", s, err)
	}
	return m
}

// expect checks the whole output of a successful call.
func expect(t *testing.T, verb, in, want string) {
	t.Helper()
	code, got, stderr := call(t, []string{verb}, in)
	if code != 0 {
		t.Fatalf("%s: exit %d, %v %s", verb, code, got, stderr)
	}
	if w := decode(t, want); !reflect.DeepEqual(got, w) {
		g, _ := json.Marshal(got)
		t.Fatalf("%s:\n got %s\nwant %s", verb, g, want)
	}
}

// expectError checks exit 1 and the error object, message aside.
func expectError(t *testing.T, verb, in, want string) {
	t.Helper()
	code, got, _ := call(t, []string{verb}, in)
	e, _ := got["error"].(map[string]any)
	if code != 1 || e == nil {
		t.Fatalf("%s: exit %d, %v; want an error", verb, code, got)
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Errorf("%s: error without a message", verb)
	}
	delete(e, "message")
	if w := decode(t, want); !reflect.DeepEqual(e, w) {
		g, _ := json.Marshal(e)
		t.Fatalf("%s %s:\n got %s\nwant %s", verb, in, g, want)
	}
}

// The worked examples of keying.md §6, through the command.

func TestExampleMixedShearLines(t *testing.T) {
	_, got, _ := call(t, []string{"operating-set"}, `{"spec":{"positions":6,"min_depth":0,"max_depth":9,"macs":7,"step":1},"keys":["333333","555555"]}`)
	if got["count"] != json.Number("64") || len(got["incidental"].([]any)) != 62 || len(got["all"].([]any)) != 64 {
		t.Fatalf("count %v, %d incidental", got["count"], len(got["incidental"].([]any)))
	}
	expect(t, "operates", `{"cylinder": {"keys": ["333333", "555555"]}, "key": "353553"}`, `{"operates": true, "failing_positions": []}`)
}

func TestExampleTwoChambers(t *testing.T) {
	expect(t, "operating-set", `{"spec": {"positions": 2, "min_depth": 0, "max_depth": 9, "macs": 7, "step": 1}, "keys": ["11", "44"]}`,
		`{"all":["11","14","41","44"],"macs_valid":["11","14","41","44"],"incidental":["14","41"],"incidental_macs_valid":["14","41"],"count":4}`)
}

func TestExampleCoworkersKey(t *testing.T) {
	expect(t, "operates", `{"cylinder": {"id": "office", "keys": ["222222", "444444"]}, "key": "422442"}`, `{"operates": true, "failing_positions": []}`)
	expect(t, "operates", `{"cylinder": {"keys": ["222222", "444444"]}, "key": "432445"}`, `{"operates": false, "failing_positions": [2, 6]}`)
	expect(t, "lost-key", `{"cylinders":[{"id":"office","keys":["222222","444444"]},{"id":"own","keys":["422442","444444"]},{"id":"other","keys":["666666"]}],"lost":"422442"}`,
		`{"opens":["office","own"],"intended":["own"],"incidental":["office"]}`)
}

func TestExampleSFICChamber(t *testing.T) {
	expect(t, "pinning", `{"spec":{"positions":1,"min_depth":0,"max_depth":9,"macs":9,"step":2},"keys":["5","7"],"control":"9","sfic":{"control_offset":10,"stack_height":23}}`,
		`{"chambers":[{"position":1,"shear_depths":[5,7],"bottom_pin":5,"master_pins":[2],"build_up_pin":12,"top_pin":4}],
		  "total_master_pins":1,"operating_count":2,"warnings":[],"errors":[]}`)
	// Defaults are the Best A2 geometry; without control there are no SFIC pins.
	expect(t, "pinning", `{"spec":{"positions":1,"min_depth":0,"max_depth":9,"macs":9,"step":2},"keys":["5","7"],"control":"9"}`,
		`{"chambers":[{"position":1,"shear_depths":[5,7],"bottom_pin":5,"master_pins":[2],"build_up_pin":12,"top_pin":4}],
		  "total_master_pins":1,"operating_count":2,"warnings":[],"errors":[]}`)
	expect(t, "pinning", `{"spec":{"positions":1,"min_depth":0,"max_depth":9,"macs":9,"step":2},"keys":["5","7"],"sfic":{}}`,
		`{"chambers":[{"position":1,"shear_depths":[5,7],"bottom_pin":5,"master_pins":[2]}],
		  "total_master_pins":1,"operating_count":2,"warnings":[],"errors":[]}`)
}

func TestExamplePublishedCounts(t *testing.T) {
	_, got, _ := call(t, []string{"tpp"}, `{"spec":`+schlageSpec+`,"tmk":"246824","sequence":[1,2,3,4,5,6]}`)
	if got["theoretical_count"] != json.Number("4096") {
		t.Fatalf("Schlage TPP %v", got["theoretical_count"])
	}
	n1, _ := got["change_keys_count"].(json.Number).Int64()
	n2, _ := got["macs_rejected_count"].(json.Number).Int64()
	if n1+n2 != 4096 || int(n1) != len(got["change_keys"].([]any)) || int(n2) != len(got["macs_rejected"].([]any)) {
		t.Fatalf("counts %d + %d", n1, n2)
	}
	_, got, _ = call(t, []string{"tpp"}, `{"spec":{"positions":5,"min_depth":1,"max_depth":6,"macs":4,"step":1,"min_master_pin":1},"tmk":"33333","sequence":[5,4,3,2,1]}`)
	if got["theoretical_count"] != json.Number("3125") {
		t.Fatalf("Kwikset TPP %v", got["theoretical_count"])
	}
	_, got, _ = call(t, []string{"rcm"}, `{"spec":`+schlageSpec+`,"tmk":"246824","positions":[6,5,4,3,2,1],"constants":4}`)
	if got["theoretical_count"] != json.Number("240") || got["page_count"] != json.Number("15") {
		t.Fatalf("RCM %v %v", got["theoretical_count"], got["page_count"])
	}
	pages := got["pages"].([]any)
	first := pages[0].(map[string]any)["constant_positions"]
	last := pages[14].(map[string]any)["constant_positions"]
	if !reflect.DeepEqual(first, []any{json.Number("1"), json.Number("2"), json.Number("3"), json.Number("4")}) ||
		!reflect.DeepEqual(last, []any{json.Number("3"), json.Number("4"), json.Number("5"), json.Number("6")}) {
		t.Fatalf("pages from %v to %v", first, last)
	}
}

func TestExampleMACSNumbering(t *testing.T) {
	expect(t, "system", `{"spec":{"positions":5,"min_depth":0,"max_depth":9,"macs":4,"step":1},"tmk":"44444",
		"levels":[{"level":"master","sequence":[5],"columns":{"5":[2]}},{"level":"change","sequence":[1],"columns":{"1":[0,2,3,9,6]}}]}`,
		`{"gm":{"symbol":"A","bitting":"44444"},
		  "masters":[{"symbol":"AA","bitting":"44442","change_keys":[
		    {"symbol":"AA1","bitting":"04442"},{"symbol":"AA2","bitting":"24442"},{"symbol":"AA3","bitting":"34442"},{"symbol":"AA4","bitting":"64442"}],
		    "macs_rejected":["94442"]}],
		  "skipped_masters":[]}`)
}

func TestSystemShapes(t *testing.T) {
	expect(t, "system", `{"spec":`+schlageSpec+`,"tmk":"246824","levels":[{"level":"change","sequence":[6]}]}`,
		`{"master":{"symbol":"AA","bitting":"246824"},"change_keys":[
		  {"symbol":"1AA","bitting":"246820"},{"symbol":"2AA","bitting":"246822"},{"symbol":"3AA","bitting":"246826"},{"symbol":"4AA","bitting":"246828"}],
		  "macs_rejected":[]}`)
	expect(t, "system", `{"spec":`+schlageSpec+`,"tmk":"246824","top_symbol":"GGM2","levels":[
		{"level":"grand","sequence":[1],"columns":{"1":[4]}},{"level":"master","sequence":[2],"columns":{"2":[0,2]}},{"level":"change","sequence":[6],"columns":{"6":[2]}}]}`,
		`{"ggm":{"symbol":"GGM2","bitting":"246824"},"grands":[{"symbol":"A","bitting":"446824","masters":[
		    {"symbol":"AA","bitting":"406824","change_keys":[{"symbol":"AA1","bitting":"406822"}],"macs_rejected":[]},
		    {"symbol":"AB","bitting":"426824","change_keys":[{"symbol":"AB1","bitting":"426822"}],"macs_rejected":[]}],
		  "skipped_masters":[]}],"skipped_grands":[]}`)
}

func TestSargentWritesDepth10AsZero(t *testing.T) {
	spec := `{"positions":6,"min_depth":1,"max_depth":10,"macs":7,"step":2}`
	expect(t, "tpp", `{"spec":`+spec+`,"tmk":"135792","sequence":[6]}`,
		`{"columns":{"6":[4,6,8,10]},"theoretical_count":4,"change_keys":["135794","135796","135798","135790"],"change_keys_count":4,"macs_rejected":[],"macs_rejected_count":0}`)
	expect(t, "macs", `{"spec":`+spec+`,"bitting":"203333"}`, `{"length_ok":true,"out_of_range":[],"macs_violations":[[1,2]],"valid":false}`)
	expect(t, "root-depths", `{"dimensions":{"name":"sargent","reference_depth":1,"reference_root_in":0.330,"increment_in":0.020,"max_depth":10},"bitting":"1590"}`,
		`{"root_depths_in":[0.33,0.25,0.17,0.15]}`)
}

func TestVerbOutputs(t *testing.T) {
	expect(t, "macs", `{"spec":`+schlageSpec+`,"bitting":"2909"}`, `{"length_ok":false,"out_of_range":[],"macs_violations":[[2,3],[3,4]],"valid":false}`)
	expect(t, "macs", `{"spec":{"positions":5,"min_depth":1,"max_depth":6,"macs":4,"step":1},"bitting":"17"}`,
		`{"length_ok":false,"out_of_range":[2],"macs_violations":[[1,2]],"valid":false}`)
	expect(t, "macs", `{"spec":`+schlageSpec+`,"bitting":"292000"}`, `{"length_ok":true,"out_of_range":[],"macs_violations":[],"valid":true}`)
	expect(t, "root-depths", `{"dimensions":{"reference_depth":0,"reference_root_in":0.335,"increment_in":0.015},"bitting":"09"}`, `{"root_depths_in":[0.335,0.2]}`)
	expect(t, "root-depths", `{"dimensions":{"reference_depth":1,"reference_root_in":0.329,"increment_in":0.023},"bitting":"67"}`, `{"root_depths_in":[0.214,0.191]}`)
	expect(t, "tpp", `{"spec":`+schlageSpec+`,"tmk":"246824","sequence":[3,1],"columns":{"3":[8,0],"1":[4,6]}}`,
		`{"columns":{"3":[8,0],"1":[4,6]},"theoretical_count":4,"change_keys":["448824","648824"],"change_keys_count":2,"macs_rejected":["440824","640824"],"macs_rejected_count":2}`)
	expect(t, "pinning", `{"spec":{"positions":2,"min_depth":0,"max_depth":9,"macs":7,"step":2,"max_master_pins_per_chamber":1,"max_master_pins_total":1},"keys":["22","33","24"]}`,
		`{"chambers":[{"position":1,"shear_depths":[2,3],"bottom_pin":2,"master_pins":[1]},{"position":2,"shear_depths":[2,3,4],"bottom_pin":2,"master_pins":[1,1]}],
		  "total_master_pins":3,"operating_count":6,
		  "warnings":[{"position":1,"rule":"master_pin_below_minimum","size":1,"minimum":2},{"position":2,"rule":"master_pin_below_minimum","size":1,"minimum":2},{"position":2,"rule":"master_pin_below_minimum","size":1,"minimum":2}],
		  "errors":[{"position":2,"rule":"too_many_master_pins","count":2,"maximum":1},{"rule":"too_many_master_pins_total","count":3,"maximum":1}]}`)
	expect(t, "audit", `{"cylinders":[{"id":"101","keys":["222222","444444"]},{"id":"102","keys":["422442"]}],
		"issued":[{"symbol":"AA2","bitting":"422442"},{"symbol":"AA1","bitting":"222222"},{"symbol":"X1","bitting":"224444"}]}`,
		`{"cylinders":[{"id":"101","unintended":["AA2","X1"]},{"id":"102","unintended":[]}]}`)
	expect(t, "lost-key", `{"cylinders":[],"lost":"1"}`, `{"opens":[],"intended":[],"incidental":[]}`)
	expect(t, "audit", `{"cylinders":[],"issued":[]}`, `{"cylinders":[]}`)
}

func TestIntegersAreIntegers(t *testing.T) {
	var out bytes.Buffer
	Run([]string{"tpp"}, strings.NewReader(`{"spec":`+schlageSpec+`,"tmk":"246824","sequence":[1]}`), &out, &bytes.Buffer{})
	if !strings.Contains(out.String(), `"theoretical_count":4,`) || strings.Contains(out.String(), ".0") {
		t.Fatalf("output %s", out.String())
	}
}
