package keyingcli

import (
	"fmt"

	"github.com/keyward/keyward/internal/keying"
)

// Each run function reads its request (stage 1), parses its bittings in
// the order the request lists them (stage 2) and calls keying (stage 3).

type keyOut struct {
	Symbol  string `json:"symbol"`
	Bitting string `json:"bitting"`
}

func keysOut(ks []keying.Key) []keyOut {
	out := make([]keyOut, len(ks))
	for i, k := range ks {
		out[i] = keyOut{k.Symbol, k.Bitting.String()}
	}
	return out
}

func specBitting(s keying.Spec, field, str string) (keying.Bitting, *keying.Error) {
	b, err := s.ParseBitting(field, str)
	return b, asError(err)
}

// sameLength parses bittings of a request without a spec: digits, each as
// long as the request's first bitting.
type sameLength struct{ n int }

func (l *sameLength) parse(field, str string) (keying.Bitting, *keying.Error) {
	b, ok := keying.ParseDigits(str, 0)
	if !ok || (l.n > 0 && len(b) != l.n) {
		return nil, &keying.Error{Rule: keying.RuleBadBitting, Field: field}
	}
	l.n = len(b)
	return b, nil
}

// parseList parses a list of bittings; item i is reported as field[i].
func (l *sameLength) parseList(field string, strs []string) ([]keying.Bitting, *keying.Error) {
	out := make([]keying.Bitting, len(strs))
	for i, s := range strs {
		var e *keying.Error
		if out[i], e = l.parse(index(field, i), s); e != nil {
			return nil, e
		}
	}
	return out, nil
}

func runMACS(_ config, doc *value) (any, *keying.Error) {
	r := &reader{}
	spec := r.spec(get(doc, "spec"))
	str, _ := r.str(get(doc, "bitting"), "bitting", true)
	if r.err != nil {
		return nil, r.err
	}
	// Length and range are reported, not rejected.
	b, ok := keying.ParseDigits(str, spec.MaxDepth)
	if !ok {
		return nil, &keying.Error{Rule: keying.RuleBadBitting, Field: "bitting"}
	}
	rep := spec.Check(b)
	return struct {
		LengthOK       bool     `json:"length_ok"`
		OutOfRange     []int    `json:"out_of_range"`
		MACSViolations [][2]int `json:"macs_violations"`
		Valid          bool     `json:"valid"`
	}{rep.LengthOK, rep.OutOfRange, rep.MACSViolations, rep.Valid}, nil
}

func runRootDepths(_ config, doc *value) (any, *keying.Error) {
	r := &reader{}
	o := r.object(get(doc, "dimensions"), "dimensions", true)
	var d keying.Dimensions
	d.Name, _ = r.str(get(o, "name"), "dimensions.name", false)
	d.ReferenceDepth, _ = r.int(get(o, "reference_depth"), "dimensions.reference_depth", true)
	d.ReferenceRootIn = r.positive(get(o, "reference_root_in"), "dimensions.reference_root_in")
	d.IncrementIn = r.positive(get(o, "increment_in"), "dimensions.increment_in")
	d.MaxDepth, _ = r.int(get(o, "max_depth"), "dimensions.max_depth", false)
	str, _ := r.str(get(doc, "bitting"), "bitting", true)
	if r.err != nil {
		return nil, r.err
	}
	b, ok := keying.ParseDigits(str, d.MaxDepth)
	if !ok {
		return nil, &keying.Error{Rule: keying.RuleBadBitting, Field: "bitting"}
	}
	roots, err := keying.RootDepths(d, b)
	if err != nil {
		return nil, asError(err)
	}
	return struct {
		RootDepthsIn []float64 `json:"root_depths_in"`
	}{roots}, nil
}

func runTPP(c config, doc *value) (any, *keying.Error) {
	r := &reader{}
	spec := r.spec(get(doc, "spec"))
	tmkStr, _ := r.str(get(doc, "tmk"), "tmk", true)
	seq := r.ints(get(doc, "sequence"), "sequence")
	cols := r.columns(get(doc, "columns"), "columns", spec.Positions)
	if r.err != nil {
		return nil, r.err
	}
	tmk, e := specBitting(spec, "tmk", tmkStr)
	if e != nil {
		return nil, e
	}
	res, err := keying.TPP(spec, keying.TPPRequest{TMK: tmk, Sequence: seq, Columns: cols, MaxKeys: c.maxKeys})
	if err != nil {
		return nil, asError(err)
	}
	return struct {
		Columns           map[string][]int `json:"columns"`
		TheoreticalCount  int64            `json:"theoretical_count"`
		ChangeKeys        []string         `json:"change_keys"`
		ChangeKeysCount   int              `json:"change_keys_count"`
		MACSRejected      []string         `json:"macs_rejected"`
		MACSRejectedCount int              `json:"macs_rejected_count"`
	}{columnsOut(res.Columns), res.TheoreticalCount, strs(res.ChangeKeys), len(res.ChangeKeys),
		strs(res.MACSRejected), len(res.MACSRejected)}, nil
}

type masterOut struct {
	Symbol       string   `json:"symbol"`
	Bitting      string   `json:"bitting"`
	ChangeKeys   []keyOut `json:"change_keys"`
	MACSRejected []string `json:"macs_rejected"`
}

func mastersOut(ms []keying.Master) []masterOut {
	out := make([]masterOut, len(ms))
	for i, m := range ms {
		out[i] = masterOut{m.Symbol, m.Bitting.String(), keysOut(m.ChangeKeys), strs(m.MACSRejected)}
	}
	return out
}

func runSystem(c config, doc *value) (any, *keying.Error) {
	r := &reader{}
	spec := r.spec(get(doc, "spec"))
	tmkStr, _ := r.str(get(doc, "tmk"), "tmk", true)
	items := r.list(get(doc, "levels"), "levels")
	levels := make([]keying.Level, len(items))
	names := make([]string, len(items))
	for i, it := range items {
		f := index("levels", i)
		o := r.object(nilIfNull(it), f, true)
		levels[i].Name, _ = r.str(get(o, "level"), f+".level", true)
		levels[i].Sequence = r.ints(get(o, "sequence"), f+".sequence")
		levels[i].Columns = r.columns(get(o, "columns"), f+".columns", spec.Positions)
		names[i] = levels[i].Name
	}
	r.check(r.err != nil || keying.ShapeOK(names), "levels")
	top, ok := r.str(get(doc, "top_symbol"), "top_symbol", false)
	r.check(!ok || top != "", "top_symbol")
	if r.err != nil {
		return nil, r.err
	}
	tmk, e := specBitting(spec, "tmk", tmkStr)
	if e != nil {
		return nil, e
	}
	res, err := keying.System(spec, keying.SystemRequest{TMK: tmk, Levels: levels, TopSymbol: top, MaxKeys: c.maxKeys})
	if err != nil {
		return nil, asError(err)
	}
	topOut := keyOut{res.Top.Symbol, res.Top.Bitting.String()}
	switch res.Levels {
	case 2:
		return struct {
			Master       keyOut   `json:"master"`
			ChangeKeys   []keyOut `json:"change_keys"`
			MACSRejected []string `json:"macs_rejected"`
		}{topOut, keysOut(res.ChangeKeys), strs(res.MACSRejected)}, nil
	case 3:
		return struct {
			GM             keyOut      `json:"gm"`
			Masters        []masterOut `json:"masters"`
			SkippedMasters []string    `json:"skipped_masters"`
		}{topOut, mastersOut(res.Masters), strs(res.SkippedMasters)}, nil
	}
	type grandOut struct {
		Symbol         string      `json:"symbol"`
		Bitting        string      `json:"bitting"`
		Masters        []masterOut `json:"masters"`
		SkippedMasters []string    `json:"skipped_masters"`
	}
	grands := make([]grandOut, len(res.Grands))
	for i, g := range res.Grands {
		grands[i] = grandOut{g.Symbol, g.Bitting.String(), mastersOut(g.Masters), strs(g.SkippedMasters)}
	}
	return struct {
		GGM           keyOut     `json:"ggm"`
		Grands        []grandOut `json:"grands"`
		SkippedGrands []string   `json:"skipped_grands"`
	}{topOut, grands, strs(res.SkippedGrands)}, nil
}

func runRCM(c config, doc *value) (any, *keying.Error) {
	r := &reader{}
	spec := r.spec(get(doc, "spec"))
	tmkStr, _ := r.str(get(doc, "tmk"), "tmk", true)
	positions := r.ints(get(doc, "positions"), "positions")
	constants, _ := r.int(get(doc, "constants"), "constants", true)
	r.check(constants >= 1, "constants")
	cols := r.columns(get(doc, "columns"), "columns", spec.Positions)
	if r.err != nil {
		return nil, r.err
	}
	tmk, e := specBitting(spec, "tmk", tmkStr)
	if e != nil {
		return nil, e
	}
	res, err := keying.RCM(spec, keying.RCMRequest{TMK: tmk, Positions: positions, Constants: constants, Columns: cols, MaxKeys: c.maxKeys})
	if err != nil {
		return nil, asError(err)
	}
	type pageOut struct {
		ConstantPositions []int    `json:"constant_positions"`
		ChangeKeys        []string `json:"change_keys"`
		MACSRejected      []string `json:"macs_rejected"`
	}
	pages := make([]pageOut, len(res.Pages))
	for i, p := range res.Pages {
		pages[i] = pageOut{p.ConstantPositions, strs(p.ChangeKeys), strs(p.MACSRejected)}
	}
	return struct {
		Columns           map[string][]int `json:"columns"`
		TheoreticalCount  int64            `json:"theoretical_count"`
		PageCount         int              `json:"page_count"`
		ChangeKeysCount   int              `json:"change_keys_count"`
		MACSRejectedCount int              `json:"macs_rejected_count"`
		Pages             []pageOut        `json:"pages"`
	}{columnsOut(res.Columns), res.TheoreticalCount, len(res.Pages), res.ChangeKeysCount, res.MACSRejectedCount, pages}, nil
}

func runPinning(_ config, doc *value) (any, *keying.Error) {
	r := &reader{}
	spec := r.spec(get(doc, "spec"))
	keyStrs := r.strs(get(doc, "keys"), "keys")
	controlStr, hasControl := r.str(get(doc, "control"), "control", false)
	var sfic keying.SFIC
	if o := r.object(get(doc, "sfic"), "sfic", false); o != nil {
		if n, ok := r.int(get(o, "control_offset"), "sfic.control_offset", false); ok {
			r.check(n >= 1, "sfic.control_offset")
			sfic.ControlOffset = n
		}
		if n, ok := r.int(get(o, "stack_height"), "sfic.stack_height", false); ok {
			r.check(n >= 1, "sfic.stack_height")
			sfic.StackHeight = n
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	keys := make([]keying.Bitting, len(keyStrs))
	for i, s := range keyStrs {
		var e *keying.Error
		if keys[i], e = specBitting(spec, index("keys", i), s); e != nil {
			return nil, e
		}
	}
	var control keying.Bitting
	if hasControl {
		var e *keying.Error
		if control, e = specBitting(spec, "control", controlStr); e != nil {
			return nil, e
		}
	}
	res, err := keying.Pinning(spec, keying.PinningRequest{Keys: keys, Control: control, SFIC: sfic})
	if err != nil {
		return nil, asError(err)
	}
	chambers := make([]map[string]any, len(res.Chambers))
	for i, ch := range res.Chambers {
		m := map[string]any{
			"position":     ch.Position,
			"shear_depths": ch.ShearDepths,
			"bottom_pin":   ch.BottomPin,
			"master_pins":  ch.MasterPins,
		}
		if res.SFIC {
			m["build_up_pin"], m["top_pin"] = ch.BuildUpPin, ch.TopPin
		}
		chambers[i] = m
	}
	warnings := make([]map[string]any, len(res.Warnings))
	for i, w := range res.Warnings {
		warnings[i] = map[string]any{"position": w.Position, "rule": string(w.Rule), "size": w.Size, "minimum": w.Minimum}
	}
	errs := make([]map[string]any, len(res.Errors))
	for i, pe := range res.Errors {
		m := map[string]any{"rule": string(pe.Rule), "count": pe.Count, "maximum": pe.Maximum}
		if pe.Position > 0 {
			m["position"] = pe.Position
		}
		errs[i] = m
	}
	return map[string]any{
		"chambers":          chambers,
		"total_master_pins": res.TotalMasterPins,
		"operating_count":   res.OperatingCount,
		"warnings":          warnings,
		"errors":            errs,
	}, nil
}

func runOperatingSet(c config, doc *value) (any, *keying.Error) {
	r := &reader{}
	spec := r.spec(get(doc, "spec"))
	keyStrs := r.strs(get(doc, "keys"), "keys")
	if r.err != nil {
		return nil, r.err
	}
	keys := make([]keying.Bitting, len(keyStrs))
	for i, s := range keyStrs {
		var e *keying.Error
		if keys[i], e = specBitting(spec, index("keys", i), s); e != nil {
			return nil, e
		}
	}
	res, err := keying.OperatingSet(spec, keys, c.maxKeys)
	if err != nil {
		return nil, asError(err)
	}
	return struct {
		All                 []string `json:"all"`
		MACSValid           []string `json:"macs_valid"`
		Incidental          []string `json:"incidental"`
		IncidentalMACSValid []string `json:"incidental_macs_valid"`
		Count               int64    `json:"count"`
	}{strs(res.All), strs(res.MACSValid), strs(res.Incidental), strs(res.IncidentalMACSValid), res.Count}, nil
}

func runOperates(_ config, doc *value) (any, *keying.Error) {
	r := &reader{}
	o := r.object(get(doc, "cylinder"), "cylinder", true)
	keyStrs := r.strs(get(o, "keys"), "cylinder.keys")
	keyStr, _ := r.str(get(doc, "key"), "key", true)
	if r.err != nil {
		return nil, r.err
	}
	var l sameLength
	keys, e := l.parseList("cylinder.keys", keyStrs)
	if e != nil {
		return nil, e
	}
	cyl := keying.Cylinder{Keys: keys}
	key, e := l.parse("key", keyStr)
	if e != nil {
		return nil, e
	}
	res, err := keying.CheckOperates(cyl, key)
	if err != nil {
		return nil, asError(err)
	}
	return struct {
		Operates         bool  `json:"operates"`
		FailingPositions []int `json:"failing_positions"`
	}{res.Operates, res.FailingPositions}, nil
}

// cylinders reads [{"id", "keys"}] and parses the keys in order.
func (r *reader) cylinders(v *value) ([]string, [][]string) {
	items := r.list(v, "cylinders")
	ids := make([]string, len(items))
	keys := make([][]string, len(items))
	for i, it := range items {
		f := index("cylinders", i)
		o := r.object(nilIfNull(it), f, true)
		ids[i], _ = r.str(get(o, "id"), f+".id", true)
		keys[i] = r.strs(get(o, "keys"), f+".keys")
	}
	return ids, keys
}

func parseCylinders(l *sameLength, ids []string, keyStrs [][]string) ([]keying.Cylinder, *keying.Error) {
	cyls := make([]keying.Cylinder, len(ids))
	for i := range ids {
		keys, e := l.parseList(index("cylinders", i)+".keys", keyStrs[i])
		if e != nil {
			return nil, e
		}
		cyls[i] = keying.Cylinder{ID: ids[i], Keys: keys}
	}
	return cyls, nil
}

func runLostKey(_ config, doc *value) (any, *keying.Error) {
	r := &reader{}
	ids, keyStrs := r.cylinders(get(doc, "cylinders"))
	lostStr, _ := r.str(get(doc, "lost"), "lost", true)
	if r.err != nil {
		return nil, r.err
	}
	var l sameLength
	cyls, e := parseCylinders(&l, ids, keyStrs)
	if e != nil {
		return nil, e
	}
	lost, e := l.parse("lost", lostStr)
	if e != nil {
		return nil, e
	}
	res, err := keying.LostKey(cyls, lost)
	if err != nil {
		return nil, asError(err)
	}
	return struct {
		Opens      []string `json:"opens"`
		Intended   []string `json:"intended"`
		Incidental []string `json:"incidental"`
	}{res.Opens, res.Intended, res.Incidental}, nil
}

func runAudit(_ config, doc *value) (any, *keying.Error) {
	r := &reader{}
	ids, keyStrs := r.cylinders(get(doc, "cylinders"))
	items := r.list(get(doc, "issued"), "issued")
	symbols := make([]string, len(items))
	bittings := make([]string, len(items))
	for i, it := range items {
		f := index("issued", i)
		o := r.object(nilIfNull(it), f, true)
		symbols[i], _ = r.str(get(o, "symbol"), f+".symbol", true)
		bittings[i], _ = r.str(get(o, "bitting"), f+".bitting", true)
	}
	if r.err != nil {
		return nil, r.err
	}
	var l sameLength
	cyls, e := parseCylinders(&l, ids, keyStrs)
	if e != nil {
		return nil, e
	}
	issued := make([]keying.Key, len(items))
	for i := range items {
		b, e := l.parse(fmt.Sprintf("issued[%d].bitting", i), bittings[i])
		if e != nil {
			return nil, e
		}
		issued[i] = keying.Key{Symbol: symbols[i], Bitting: b}
	}
	res, err := keying.Audit(cyls, issued)
	if err != nil {
		return nil, asError(err)
	}
	type entry struct {
		ID         string   `json:"id"`
		Unintended []string `json:"unintended"`
	}
	out := make([]entry, len(res))
	for i, a := range res {
		out[i] = entry{a.ID, a.Unintended}
	}
	return struct {
		Cylinders []entry `json:"cylinders"`
	}{out}, nil
}
