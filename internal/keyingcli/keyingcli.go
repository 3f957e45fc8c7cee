// Package keyingcli is `keyward keying VERB`: one JSON object on stdin, one
// on stdout, the master-keying math of package keying in between
// (shared/spec/keying.md). It reads and checks the JSON (stage 1), parses
// the bittings (stage 2) and leaves the verb rules to keying.
package keyingcli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/keyward/keyward/internal/keying"
)

type verb struct {
	name    string
	example string
	run     func(c config, doc *value) (any, *keying.Error)
}

// config holds what tests change; Run uses the defaults.
type config struct {
	maxKeys int // 0: keying.DefaultMaxKeys
}

// exSpec is a Schlage 6-pin spec for the help examples.
const exSpec = `{"positions":6,"min_depth":0,"max_depth":9,"macs":7,"step":2}`

var verbs = []verb{
	{"macs", `{"spec":` + exSpec + `,"bitting":"290000"}`, runMACS},
	{"root-depths", `{"dimensions":{"reference_depth":0,"reference_root_in":0.335,"increment_in":0.015},"bitting":"246824"}`, runRootDepths},
	{"tpp", `{"spec":` + exSpec + `,"tmk":"246824","sequence":[6,5,4,3,2,1]}`, runTPP},
	{"system", `{"spec":` + exSpec + `,"tmk":"246824","levels":[{"level":"master","sequence":[1,2]},{"level":"change","sequence":[5,6]}]}`, runSystem},
	{"rcm", `{"spec":` + exSpec + `,"tmk":"246824","positions":[1,2,3,4,5,6],"constants":4}`, runRCM},
	{"pinning", `{"spec":` + exSpec + `,"keys":["246824","446824"],"control":"579999"}`, runPinning},
	{"operating-set", `{"spec":` + exSpec + `,"keys":["333333","555555"]}`, runOperatingSet},
	{"operates", `{"cylinder":{"keys":["222222","444444"]},"key":"422442"}`, runOperates},
	{"lost-key", `{"cylinders":[{"id":"101","keys":["222222","444444"]}],"lost":"422442"}`, runLostKey},
	{"audit", `{"cylinders":[{"id":"101","keys":["222222"]}],"issued":[{"symbol":"AA1","bitting":"222222"}]}`, runAudit},
}

// Run is `keyward keying` with args after "keying". It returns the exit
// status: 0 done, 1 request rejected (an error object on stdout), 2 usage.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return run(config{}, args, stdin, stdout, stderr)
}

func run(c config, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	name, help, err := parseArgs(args)
	if help {
		usage(stdout)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "keyward keying: %v\n\n", err)
		usage(stderr)
		return 2
	}
	var v *verb
	for i := range verbs {
		if verbs[i].name == name {
			v = &verbs[i]
		}
	}
	if v == nil {
		fmt.Fprintf(stderr, "keyward keying: unknown verb %q\n\n", name)
		usage(stderr)
		return 2
	}
	doc, e := parseDocument(stdin)
	var out any
	if e == nil {
		out, e = v.run(c, doc)
	}
	if e != nil {
		write(stdout, map[string]any{"error": errorObject(e)})
		return 1
	}
	if err := write(stdout, out); err != nil {
		fmt.Fprintf(stderr, "keyward keying: %v\n", err)
		return 1
	}
	return 0
}

// parseArgs finds the verb among the global flags, which are accepted and
// ignored: this command is offline.
func parseArgs(args []string) (verb string, help bool, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-h" || a == "--help" || a == "-help":
			return "", true, nil
		case a == "--data" || a == "--db" || a == "-data" || a == "-db":
			if i+1 >= len(args) {
				return "", false, fmt.Errorf("%s needs a value", a)
			}
			i++
		case strings.HasPrefix(a, "--data=") || strings.HasPrefix(a, "--db=") ||
			strings.HasPrefix(a, "-data=") || strings.HasPrefix(a, "-db="):
		case strings.HasPrefix(a, "-") && a != "-":
			return "", false, fmt.Errorf("unknown flag %s", a)
		case verb != "":
			return "", false, fmt.Errorf("one verb only, got %q and %q", verb, a)
		default:
			verb = a
		}
	}
	if verb == "" {
		return "", false, errors.New("missing verb")
	}
	return verb, false, nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: keyward keying VERB < request.json")
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "Reads one JSON object on stdin, writes one on stdout (exit 0), or")
	fmt.Fprintln(w, `{"error":{"rule":…}} (exit 1). --data DIR and --db URL are ignored.`)
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "verbs, each with an example request:")
	for _, v := range verbs {
		fmt.Fprintf(w, "  %-14s %s\n", v.name, v.example)
	}
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, `e.g.  echo '{"cylinder":{"keys":["222222","444444"]},"key":"422442"}' | keyward keying operates`)
}

func write(w io.Writer, v any) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return bw.Flush()
}

// errorObject puts an error on the wire with the members its rule lists, and a message.
func errorObject(e *keying.Error) map[string]any {
	m := map[string]any{"rule": string(e.Rule), "message": e.Error()}
	switch e.Rule {
	case keying.RuleBadInput, keying.RuleBadBitting, keying.RuleEmptySequence, keying.RuleNoKeys:
		m["field"] = e.Field
	case keying.RuleBittingDepthOutOfRange:
		m["field"], m["position"], m["depth"] = e.Field, e.Position, e.Depth
	case keying.RuleTMKMACS:
		m["positions"] = []int{e.Positions[0], e.Positions[1]}
	case keying.RuleSequencePositionOutOfRange, keying.RuleSequenceDuplicatePosition:
		m["field"], m["position"] = e.Field, e.Position
	case keying.RuleColumnNotInSequence, keying.RuleEmptyColumn, keying.RuleSFICStack:
		m["position"] = e.Position
	case keying.RuleProgressionContainsTMKDepth, keying.RuleDepthOutOfRange, keying.RuleParity,
		keying.RuleMasterPinBelowMinimum, keying.RuleDuplicateDepth:
		m["position"], m["depth"] = e.Position, e.Depth
	case keying.RuleTooManyConstants:
		m["constants"], m["maximum"] = e.Constants, e.Maximum
	case keying.RuleTooManySymbols:
		m["level"], m["count"], m["maximum"] = e.Level, e.Count, e.Maximum
	case keying.RuleTooManyKeys:
		m["count"], m["maximum"] = e.Count, e.Maximum
	case keying.RuleDuplicateID:
		m["id"] = e.ID
	}
	return m
}

func asError(err error) *keying.Error {
	if err == nil {
		return nil
	}
	var e *keying.Error
	if errors.As(err, &e) {
		return e
	}
	return &keying.Error{Rule: keying.RuleBadInput, Field: ""}
}

func strs(bs []keying.Bitting) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.String()
	}
	return out
}

func columnsOut(cols map[int][]int) map[string][]int {
	out := make(map[string][]int, len(cols))
	for p, c := range cols {
		out[fmt.Sprint(p)] = c
	}
	return out
}

// Verbs are the names of the verbs, in the order the help lists them.
func Verbs() []string {
	out := make([]string, len(verbs))
	for i, v := range verbs {
		out[i] = v.name
	}
	return out
}
