package access

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// This file is `keyward access eval`: {"ops": [OP, …]} in, {"results":
// [RESULT, …]} out, one result per op, each op run on the model the ops
// before it left. The decoder checks every op before any runs, so a
// malformed request yields an error and no results.

// members lists, per op, its required members and their JSON type
// ("s" string, "l" list of strings); "soft" is the one optional member.
var members = map[string][]struct{ name, typ string }{
	"master":      {{"key", "s"}},
	"lock":        {{"lock", "s"}},
	"serialize":   {{"lock", "s"}, {"by", "s"}},
	"unserialize": {{"lock", "s"}, {"by", "s"}},
	"backup":      {{"key", "s"}, {"by", "s"}},
	"sub":         {{"key", "s"}, {"by", "s"}, {"locks", "l"}},
	"grant":       {{"to", "s"}, {"locks", "l"}, {"by", "s"}},
	"revoke":      {{"from", "s"}, {"locks", "l"}, {"by", "s"}},
	"delete":      {{"key", "s"}, {"by", "s"}},
	"offline":     {{"lock", "s"}},
	"online":      {{"lock", "s"}},
	"can":         {{"key", "s"}, {"lock", "s"}},
	"reaches":     {{"key", "s"}},
	"acceptors":   {{"lock", "s"}},
	"exposures":   {},
}

// DecodeOps reads {"ops": [...]} and checks every op's required members and
// their types. An op whose name is not known decodes (it is answered
// unknown_op); an op without an "op" string is an error.
func DecodeOps(input []byte) ([]Op, error) {
	var whole json.RawMessage
	if err := decodeOne(input, &whole); err != nil {
		return nil, err
	}
	var doc map[string]json.RawMessage
	if !isKind(whole, '{') || json.Unmarshal(whole, &doc) != nil {
		return nil, errors.New(`the request must be a JSON object {"ops": [...]}`)
	}
	rawOps, ok := doc["ops"]
	if !ok {
		return nil, errors.New(`the request has no "ops" member`)
	}
	var list []json.RawMessage
	if !isKind(rawOps, '[') || json.Unmarshal(rawOps, &list) != nil {
		return nil, errors.New(`"ops" must be a list of op objects`)
	}
	ops := make([]Op, 0, len(list))
	for i, raw := range list {
		op, err := decodeOp(raw)
		if err != nil {
			return nil, fmt.Errorf("op %d: %w", i+1, err)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// decodeOne decodes exactly one JSON value, nothing after it.
func decodeOne(input []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(input))
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("the request is empty")
		}
		return fmt.Errorf("the request is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("the request has more after its JSON object")
	}
	return nil
}

func isKind(raw json.RawMessage, first byte) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == first
}

func decodeOp(raw json.RawMessage) (Op, error) {
	var obj map[string]json.RawMessage
	if !isKind(raw, '{') || json.Unmarshal(raw, &obj) != nil {
		return Op{}, errors.New("an op must be a JSON object")
	}
	var op Op
	rawName, ok := obj["op"]
	if !ok {
		return Op{}, errors.New(`member "op" is missing`)
	}
	if !isKind(rawName, '"') || json.Unmarshal(rawName, &op.Op) != nil {
		return Op{}, errors.New(`member "op" must be a string`)
	}
	need, known := members[op.Op]
	if !known {
		return op, nil
	}
	for _, m := range need {
		v, ok := obj[m.name]
		if !ok {
			return Op{}, fmt.Errorf("%s: member %q is missing", op.Op, m.name)
		}
		switch m.typ {
		case "s":
			var s string
			if !isKind(v, '"') || json.Unmarshal(v, &s) != nil {
				return Op{}, fmt.Errorf("%s: member %q must be a string", op.Op, m.name)
			}
			switch m.name {
			case "key":
				op.Key = s
			case "lock":
				op.Lock = s
			case "by":
				op.By = s
			case "to":
				op.To = s
			case "from":
				op.From = s
			}
		case "l":
			var l []string
			if !isKind(v, '[') || json.Unmarshal(v, &l) != nil {
				return Op{}, fmt.Errorf("%s: member %q must be a list of lock ids (strings)", op.Op, m.name)
			}
			op.Locks = append([]string{}, l...)
		}
	}
	if op.Op == "sub" {
		if v, ok := obj["soft"]; ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			if json.Unmarshal(v, &op.Soft) != nil {
				return Op{}, errors.New(`sub: member "soft" must be true or false`)
			}
		}
	}
	return op, nil
}

// Result is one op's answer. Ok and, for a refusal, Rule are always there;
// the other members belong to the queries.
type Result struct {
	Ok      bool      `json:"ok"`
	Rule    Rule      `json:"rule,omitempty"`
	Allow   *bool     `json:"allow,omitempty"`
	Via     *Via      `json:"via,omitempty"` // set with Allow: null when denied
	Accepts *bool     `json:"accepts,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	Locks   *[]string `json:"locks,omitempty"`
	Keys    *[]string `json:"keys,omitempty"`
	Exposed *[]Pair   `json:"exposed,omitempty"`
	Pending *[]Pair   `json:"pending,omitempty"`
}

// MarshalJSON writes the members in the contract's order, and "via": null
// for a denied can.
func (r Result) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	put := func(name string, v any) {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + name + `":`)
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)       // strings, bools and lists of them cannot fail
		b.Truncate(b.Len() - 1) // Encode's newline
	}
	put("ok", r.Ok)
	if r.Rule != "" {
		put("rule", r.Rule)
	}
	if r.Allow != nil {
		put("allow", *r.Allow)
		put("via", r.Via)
	}
	if r.Accepts != nil {
		put("accepts", *r.Accepts)
	}
	if r.Reason != "" {
		put("reason", r.Reason)
	}
	if r.Locks != nil {
		put("locks", *r.Locks)
	}
	if r.Keys != nil {
		put("keys", *r.Keys)
	}
	if r.Exposed != nil {
		put("exposed", *r.Exposed)
	}
	if r.Pending != nil {
		put("pending", *r.Pending)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Run answers one op on m, changing m when the op is accepted.
func (m *Model) Run(op Op) Result {
	refused := func(err error) Result {
		var r *Refusal
		if errors.As(err, &r) {
			return Result{Rule: r.Rule}
		}
		return Result{Rule: RuleUnknownOp}
	}
	switch op.Op {
	case "can":
		d, err := m.Can(op.Key, op.Lock)
		if err != nil {
			return refused(err)
		}
		res := Result{Ok: true, Allow: &d.Allow, Accepts: &d.Accepts, Reason: d.Reason()}
		if d.Allow {
			res.Via = &d.Via
		}
		return res
	case "reaches":
		ls, err := m.Reaches(op.Key)
		if err != nil {
			return refused(err)
		}
		return Result{Ok: true, Locks: &ls}
	case "acceptors":
		ks, err := m.Acceptors(op.Lock)
		if err != nil {
			return refused(err)
		}
		return Result{Ok: true, Keys: &ks}
	case "exposures":
		ex, pe := m.Exposures()
		return Result{Ok: true, Exposed: &ex, Pending: &pe}
	}
	if _, err := m.Apply(op); err != nil {
		return refused(err)
	}
	return Result{Ok: true}
}

// Eval is the whole command: the request in, the response out (one JSON
// object and a newline), or an error for a malformed request.
func Eval(input []byte) ([]byte, error) {
	ops, err := DecodeOps(input)
	if err != nil {
		return nil, err
	}
	m := New()
	results := make([]Result, 0, len(ops))
	for _, op := range ops {
		results = append(results, m.Run(op))
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(struct {
		Results []Result `json:"results"`
	}{results}); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
