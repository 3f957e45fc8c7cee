package keyingcli

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"regexp"
	"strconv"

	"github.com/keyward/keyward/internal/keying"
)

// value is a JSON value that keeps what encoding/json into `any` loses: the
// exact number text (4 vs 4.0) and the document order of object members, so
// that the first error in a document is the same on every run.
type value struct {
	kind    kind
	text    string // a string's value or a number's literal
	items   []*value
	names   []string // member names in document order, each once
	members map[string]*value
}

type kind int

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

// parseDocument reads exactly one JSON object; anything else is bad_input at "".
func parseDocument(r io.Reader) (*value, *keying.Error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, bad("")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, bad("")
	}
	if err := dec.Decode(new(json.RawMessage)); !errors.Is(err, io.EOF) {
		return nil, bad("") // trailing data
	}
	tokens := json.NewDecoder(bytes.NewReader(raw))
	tokens.UseNumber()
	v, err := parseValue(tokens)
	if err != nil || v.kind != kindObject {
		return nil, bad("")
	}
	return v, nil
}

func parseValue(d *json.Decoder) (*value, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case nil:
		return &value{kind: kindNull}, nil
	case bool:
		return &value{kind: kindBool}, nil
	case json.Number:
		return &value{kind: kindNumber, text: string(t)}, nil
	case string:
		return &value{kind: kindString, text: t}, nil
	case json.Delim:
		if t == '[' {
			v := &value{kind: kindArray}
			for d.More() {
				item, err := parseValue(d)
				if err != nil {
					return nil, err
				}
				v.items = append(v.items, item)
			}
			_, err := d.Token()
			return v, err
		}
		v := &value{kind: kindObject, members: map[string]*value{}}
		for d.More() {
			nt, err := d.Token()
			if err != nil {
				return nil, err
			}
			name, _ := nt.(string)
			m, err := parseValue(d)
			if err != nil {
				return nil, err
			}
			if _, dup := v.members[name]; !dup {
				v.names = append(v.names, name)
			}
			v.members[name] = m // the last one wins, as in most decoders
		}
		_, err := d.Token()
		return v, err
	}
	return nil, errors.New("unexpected token")
}

// get returns a member, or nil when obj is nil or the member is absent or null.
func get(obj *value, name string) *value {
	if obj == nil {
		return nil
	}
	m := obj.members[name]
	if m == nil || m.kind == kindNull {
		return nil
	}
	return m
}

func bad(field string) *keying.Error { return &keying.Error{Rule: keying.RuleBadInput, Field: field} }

// reader runs the stage-1 checks in call order and keeps the first failure;
// after it every call is a no-op returning zero values.
type reader struct{ err *keying.Error }

func (r *reader) fail(field string) {
	if r.err == nil {
		r.err = bad(field)
	}
}

// check fails field unless ok.
func (r *reader) check(ok bool, field string) {
	if !ok {
		r.fail(field)
	}
}

func (r *reader) object(v *value, field string, required bool) *value {
	if r.err != nil {
		return nil
	}
	if v == nil {
		if required {
			r.fail(field)
		}
		return nil
	}
	if v.kind != kindObject {
		r.fail(field)
		return nil
	}
	return v
}

func (r *reader) list(v *value, field string) []*value {
	if r.err != nil {
		return nil
	}
	if v == nil || v.kind != kindArray {
		r.fail(field)
		return nil
	}
	return v.items
}

func (r *reader) str(v *value, field string, required bool) (string, bool) {
	if r.err != nil {
		return "", false
	}
	if v == nil {
		if required {
			r.fail(field)
		}
		return "", false
	}
	if v.kind != kindString {
		r.fail(field)
		return "", false
	}
	return v.text, true
}

// A JSON integer is written without fraction or exponent: 4.0 is not one.
var integerLiteral = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

func (r *reader) int(v *value, field string, required bool) (int, bool) {
	if r.err != nil {
		return 0, false
	}
	if v == nil {
		if required {
			r.fail(field)
		}
		return 0, false
	}
	if v.kind != kindNumber || !integerLiteral.MatchString(v.text) {
		r.fail(field)
		return 0, false
	}
	n, err := strconv.ParseInt(v.text, 10, 64)
	if err != nil || int64(int(n)) != n {
		r.fail(field) // beyond 64 bits: nothing the contract allows needs it
		return 0, false
	}
	return int(n), true
}

// positive reads a number > 0 that fits a float64.
func (r *reader) positive(v *value, field string) float64 {
	if r.err != nil {
		return 0
	}
	if v == nil || v.kind != kindNumber {
		r.fail(field)
		return 0
	}
	f, err := strconv.ParseFloat(v.text, 64)
	if err != nil || !(f > 0) || math.IsInf(f, 0) {
		r.fail(field)
		return 0
	}
	return f
}

func (r *reader) ints(v *value, field string) []int {
	items := r.list(v, field)
	out := make([]int, 0, len(items))
	for i, it := range items {
		n, _ := r.int(nilIfNull(it), index(field, i), true)
		out = append(out, n)
	}
	return out
}

func (r *reader) strs(v *value, field string) []string {
	items := r.list(v, field)
	out := make([]string, 0, len(items))
	for i, it := range items {
		s, _ := r.str(nilIfNull(it), index(field, i), true)
		out = append(out, s)
	}
	return out
}

func nilIfNull(v *value) *value {
	if v != nil && v.kind == kindNull {
		return nil
	}
	return v
}

func index(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }

// spec reads a spec object member by member in the contract's table order,
// each member's type and range together.
func (r *reader) spec(v *value) keying.Spec {
	o := r.object(v, "spec", true)
	var s keying.Spec
	s.Name, _ = r.str(get(o, "name"), "spec.name", false)
	s.Positions, _ = r.int(get(o, "positions"), "spec.positions", true)
	r.check(s.Positions >= 1, "spec.positions")
	s.MinDepth, _ = r.int(get(o, "min_depth"), "spec.min_depth", true)
	r.check(s.MinDepth >= 0 && s.MinDepth <= 10, "spec.min_depth")
	s.MaxDepth, _ = r.int(get(o, "max_depth"), "spec.max_depth", true)
	r.check(keying.DepthRangeOK(s.MinDepth, s.MaxDepth), "spec.max_depth")
	s.MACS, _ = r.int(get(o, "macs"), "spec.macs", true)
	r.check(s.MACS >= 1, "spec.macs")
	s.Step, _ = r.int(get(o, "step"), "spec.step", true)
	r.check(s.Step >= 1, "spec.step")
	if n, ok := r.int(get(o, "min_master_pin"), "spec.min_master_pin", false); ok {
		r.check(n >= 1, "spec.min_master_pin")
		s.MinMasterPin = n
	}
	if n, ok := r.int(get(o, "max_master_pins_per_chamber"), "spec.max_master_pins_per_chamber", false); ok {
		r.check(n >= 0, "spec.max_master_pins_per_chamber")
		s.MaxMasterPinsPerChamber = &n
	}
	if n, ok := r.int(get(o, "max_master_pins_total"), "spec.max_master_pins_total", false); ok {
		r.check(n >= 0, "spec.max_master_pins_total")
		s.MaxMasterPinsTotal = &n
	}
	return s
}

// columns reads {"p": [int], …}: every name must be a position 1…n written
// in decimal, as the contract writes it.
func (r *reader) columns(v *value, field string, n int) map[int][]int {
	o := r.object(v, field, false)
	if o == nil {
		return nil
	}
	cols := make(map[int][]int, len(o.names))
	for _, name := range o.names {
		f := field + "." + name
		p, err := strconv.Atoi(name)
		r.check(err == nil && strconv.Itoa(p) == name && p >= 1 && p <= n, f)
		cols[p] = r.ints(get(o, name), f)
	}
	return cols
}
