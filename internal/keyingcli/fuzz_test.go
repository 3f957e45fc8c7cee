package keyingcli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keying"
)

var knownRules = map[string]bool{}

func init() {
	for _, r := range []keying.Rule{
		keying.RuleBadInput, keying.RuleBadBitting, keying.RuleBittingDepthOutOfRange, keying.RuleTMKMACS,
		keying.RuleEmptySequence, keying.RuleSequencePositionOutOfRange, keying.RuleSequenceDuplicatePosition,
		keying.RuleColumnNotInSequence, keying.RuleProgressionContainsTMKDepth, keying.RuleDepthOutOfRange,
		keying.RuleParity, keying.RuleMasterPinBelowMinimum, keying.RuleDuplicateDepth, keying.RuleEmptyColumn,
		keying.RuleTooManyConstants, keying.RuleTooManySymbols, keying.RuleTooManyKeys, keying.RuleNoKeys,
		keying.RuleDuplicateID, keying.RuleSFICStack,
	} {
		knownRules[string(r)] = true
	}
}

// FuzzKeyingCLI feeds arbitrary input to every verb: no panic, exit 0 or 1,
// one JSON object out, and a known rule on rejection. The key limit is
// lowered so that each run stays fast.
func FuzzKeyingCLI(f *testing.F) {
	for i, v := range verbs {
		f.Add(uint8(i), v.example)
	}
	f.Add(uint8(2), `{"spec":`+exSpec+`,"tmk":"246824","sequence":[1,2],"columns":{"1":[0,4],"2":[8,8]}}`)
	f.Add(uint8(3), `{"spec":`+exSpec+`,"tmk":"246824","levels":[{"level":"grand","sequence":[1]},{"level":"master","sequence":[2]},{"level":"change","sequence":[3]}],"top_symbol":"X"}`)
	f.Add(uint8(1), `{"dimensions":{"reference_depth":-9223372036854775808,"reference_root_in":1e308,"increment_in":1e308},"bitting":"9"}`)
	f.Add(uint8(6), `{"spec":{"positions":2,"min_depth":1,"max_depth":10,"macs":9,"step":1},"keys":["10","01"]}`)
	f.Add(uint8(4), `{"spec":`+exSpec+`,"tmk":"246824","positions":[1,2,3,4,5,6],"constants":1}`)
	f.Fuzz(func(t *testing.T, vi uint8, in string) {
		v := verbs[int(vi)%len(verbs)]
		var out, errOut bytes.Buffer
		start := time.Now()
		code := run(config{maxKeys: 20000}, []string{v.name}, strings.NewReader(in), &out, &errOut)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("%s took %v", v.name, d)
		}
		if code != 0 && code != 1 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			t.Fatalf("output %q: %v", out.String(), err)
		}
		raw, isErr := m["error"]
		if isErr != (code == 1) {
			t.Fatalf("exit %d with output %s", code, out.String())
		}
		if isErr {
			var e struct{ Rule string }
			if json.Unmarshal(raw, &e); !knownRules[e.Rule] {
				t.Fatalf("unknown rule in %s", raw)
			}
		}
	})
}
