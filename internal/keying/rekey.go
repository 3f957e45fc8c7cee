package keying

import (
	"fmt"
	"slices"
	"strings"
)

// Rekey plan step kinds, in the order the work is done.
const (
	StepCut             = "cut"              // cut the new keys
	StepRekey           = "rekey"            // re-pin the cylinder for its new key list
	StepReplaceCylinder = "replace_cylinder" // no unused key fits: the cylinder leaves the system
	StepReissue         = "reissue"          // hand out the new keys, collect the old ones
)

// Why a rekey step is in the plan.
const (
	// RuleIntended: the door's key list holds the lost bitting.
	RuleIntended = "intended"
	// RuleIncidental: the lost bitting operates the door through its master
	// pins although no record says so.
	RuleIncidental = "incidental"
	// RuleMoveToSibling: re-pinning a door for its own key would still let
	// the lost bitting in, so the door's key moves to an unused sibling.
	RuleMoveToSibling = "move_to_sibling"
	// RuleLostKey: the lost key itself is replaced by an unused sibling.
	RuleLostKey = "lost_key"
	// RuleUnderLostMaster: a key under a lost master is compromised and
	// replaced by a key of an unused sibling master.
	RuleUnderLostMaster = "under_lost_master"
	// RuleNewMaster: the unused sibling master that takes the lost master's place.
	RuleNewMaster = "new_master"
)

// RekeySymbol is one key of a master-key system as rekey planning sees it.
type RekeySymbol struct {
	ID      string
	Symbol  string // the stamp, for the notes
	Parent  string // "" for the top of the system
	Level   string // LevelGrand, LevelMaster, LevelChange, or "top"
	Active  bool   // neither lost nor retired: it may be handed out
	Bitting Bitting
}

// RekeyPin is a cylinder's active pinning: the symbol it is keyed to, its
// cross keys and the key list it is pinned for (symbol ids).
type RekeyPin struct {
	OpeningID   string
	OpeningName string
	Symbol      string
	Cross       []string
	KeyList     []string
}

// RekeyInput is everything planning needs: the system, its pinnings, the lost
// symbol and what earlier plans have already promised.
type RekeyInput struct {
	Symbols  []RekeySymbol  // generation order: siblings are tried in this order
	Pins     []RekeyPin     // every active pinning
	Lost     string         // the lost symbol's id
	Promised []string       // symbol ids an open plan hands out: never picked again
	Copies   map[string]int // stamped copies in circulation, per symbol id
}

// RekeyStep is one step of a rekey plan. Symbols are ids.
type RekeyStep struct {
	Kind      string // Step*
	Rule      string // Rule*: why the step is needed
	OpeningID string // rekey and replace_cylinder
	From, To  string // the door's or key's symbol, and the new one ("" for a replaced cylinder)
	Cross     []string
	Copies    int
	Note      string // the reason, for people
}

// Tree is a key system's symbol tree: each symbol's parent, "" for the top.
type Tree map[string]string

// Chain is a symbol and its masters up to the top: the key list of a
// cylinder keyed to it alone. An unknown symbol has none.
func (tr Tree) Chain(id string) []string {
	var out []string
	for {
		parent, ok := tr[id]
		if !ok {
			return out
		}
		out = append(out, id)
		if parent == "" {
			return out
		}
		id = parent
	}
}

// KeyList is the key list of a cylinder keyed to id and cross-keyed to
// cross: each symbol with its masters and the top, without repeats, in that order.
func (tr Tree) KeyList(id string, cross []string) []string {
	var out []string
	for _, s := range append([]string{id}, cross...) {
		for _, c := range tr.Chain(s) {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// RekeyPlan is the answer to a lost key: the openings its bitting operates
// (LostKey) and the work that makes it operate none.
type RekeyPlan struct {
	Intended, Incidental []string // opening ids, ascending
	Steps                []RekeyStep
}

// PlanRekey plans the answer to a lost key. Every door the lost bitting
// operates is re-pinned for keys the lost bitting does not operate, or its
// cylinder is replaced when no unused key of the system avoids it:
//   - a door keyed to the lost key, or to a key under a lost master, takes a
//     replacement: the next unused sibling of the lost key; for a lost master,
//     a change key of one unused sibling master (the same change number where
//     it is free), which replaces the master on all its doors;
//   - a door the lost bitting opens incidentally keeps its key if re-pinning
//     alone avoids the lost bitting, else moves to an unused sibling;
//   - compromised cross keys are replaced the same way, or dropped.
//
// The steps are: cut each new key, re-pin (or replace) each door, intended
// doors first then incidental, each by opening name, and reissue each new key.
// Each candidate is checked with Operates. Errors are *Error from LostKey, or
// an unknown symbol id.
func PlanRekey(in RekeyInput) (*RekeyPlan, error) {
	pb := &planner{in: in, byID: map[string]*RekeySymbol{}, tree: Tree{}, reserved: map[string]bool{}, repl: map[string]string{}}
	for i := range in.Symbols {
		pb.byID[in.Symbols[i].ID] = &in.Symbols[i]
		pb.tree[in.Symbols[i].ID] = in.Symbols[i].Parent
	}
	lost := pb.byID[in.Lost]
	if lost == nil {
		return nil, fmt.Errorf("keying: unknown lost symbol %q", in.Lost)
	}
	pb.lost = lost
	cyls := make([]Cylinder, len(in.Pins))
	for i, p := range in.Pins {
		keys, err := pb.bittings(p.KeyList)
		if err != nil {
			return nil, err
		}
		cyls[i] = Cylinder{ID: p.OpeningID, Keys: keys}
		for _, id := range p.KeyList {
			pb.reserved[id] = true
		}
	}
	for _, id := range in.Promised {
		pb.reserved[id] = true
	}
	res := &LostKeyResult{Opens: []string{}, Intended: []string{}, Incidental: []string{}}
	if len(cyls) > 0 {
		var err error
		if res, err = LostKey(cyls, lost.Bitting); err != nil {
			return nil, err
		}
	}
	pinOf := map[string]RekeyPin{}
	for _, p := range in.Pins {
		pinOf[p.OpeningID] = p
	}
	// Intended openings first, then incidental, each by opening name.
	order := func(ids []string) []string {
		out := slices.Clone(ids)
		slices.SortFunc(out, func(x, y string) int {
			if c := strings.Compare(pinOf[x].OpeningName, pinOf[y].OpeningName); c != 0 {
				return c
			}
			return strings.Compare(x, y)
		})
		return out
	}
	var rekeys []RekeyStep
	for _, group := range [][]string{order(res.Intended), order(res.Incidental)} {
		for _, oid := range group {
			p := pinOf[oid]
			to, cross, err := pb.fixDoor(p)
			if err != nil {
				return nil, err
			}
			rule, why := RuleIntended, "intended: the key list holds "+lost.Symbol
			if !slices.Contains(res.Intended, oid) {
				rule, why = RuleIncidental, "incidental: "+lost.Symbol+" operates it through its master pins"
			}
			st := RekeyStep{Kind: StepRekey, Rule: rule, OpeningID: oid, From: p.Symbol}
			if to == "" {
				st.Kind = StepReplaceCylinder
				st.Note = why + "; no unused key of this system avoids it: replace the cylinder"
			} else {
				st.To, st.Cross = to, cross
				st.Note = why + "; re-pin for " + pb.byID[to].Symbol
				if len(cross) > 0 {
					st.Note += " cross-keyed to " + strings.Join(pb.symbols(cross), ", ")
				}
			}
			rekeys = append(rekeys, st)
		}
	}
	plan := &RekeyPlan{Intended: res.Intended, Incidental: res.Incidental}
	for _, pk := range pb.picks {
		from, to := pb.byID[pk.from], pb.byID[pk.to]
		n := max(in.Copies[pk.from], 1)
		plan.Steps = append(plan.Steps, RekeyStep{Kind: StepCut, Rule: pk.rule, From: pk.from, To: pk.to, Copies: n,
			Note: fmt.Sprintf("cut %d × %s to replace %s", n, to.Symbol, from.Symbol)})
	}
	plan.Steps = append(plan.Steps, rekeys...)
	for _, pk := range pb.picks {
		from, to := pb.byID[pk.from], pb.byID[pk.to]
		plan.Steps = append(plan.Steps, RekeyStep{Kind: StepReissue, Rule: pk.rule, From: pk.from, To: pk.to, Copies: in.Copies[pk.from],
			Note: fmt.Sprintf("issue %s to the holders of %s and collect their %s copies", to.Symbol, from.Symbol, from.Symbol)})
	}
	return plan, nil
}

// pick is a key to cut and reissue in place of another.
type pick struct{ from, to, rule string }

// planner picks replacement keys for one lost-key plan.
type planner struct {
	in       RekeyInput
	byID     map[string]*RekeySymbol
	tree     Tree
	lost     *RekeySymbol
	reserved map[string]bool   // symbol ids in use or promised to a plan
	repl     map[string]string // keyed symbol id → new symbol id ("" = cylinder change)
	master   string            // the unused master that replaces a lost master
	picks    []pick            // keys to cut and reissue, in order
}

// children lists the ids under parent, in generation order.
func (pb *planner) children(parent string) []string {
	var out []string
	for _, r := range pb.in.Symbols {
		if r.Parent == parent {
			out = append(out, r.ID)
		}
	}
	return out
}

func (pb *planner) bittings(ids []string) ([]Bitting, error) {
	out := make([]Bitting, len(ids))
	for i, id := range ids {
		r := pb.byID[id]
		if r == nil {
			return nil, fmt.Errorf("keying: unknown symbol %q", id)
		}
		out[i] = r.Bitting
	}
	return out, nil
}

func (pb *planner) symbols(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if r := pb.byID[id]; r != nil {
			out[i] = r.Symbol
		}
	}
	return out
}

// free reports whether a symbol may be handed out: active, not the lost one,
// not in any key list and not promised.
func (pb *planner) free(id string) bool {
	r := pb.byID[id]
	return r != nil && r.Active && id != pb.lost.ID && !pb.reserved[id]
}

// avoids reports whether a cylinder pinned for ids is safe from the lost bitting.
func (pb *planner) avoids(ids []string) (bool, error) {
	keys, err := pb.bittings(ids)
	if err != nil {
		return false, err
	}
	return !Operates(Cylinder{ID: "candidate", Keys: keys}, pb.lost.Bitting), nil
}

// fixDoor is the new keying of a door the lost bitting opens: compromised
// keys (the lost one and those under it) are replaced, and a door opened
// incidentally moves to an unused sibling of its key. "" means a cylinder change.
func (pb *planner) fixDoor(p RekeyPin) (string, []string, error) {
	cross := []string{}
	for _, x := range p.Cross {
		if slices.Contains(pb.tree.Chain(x), pb.lost.ID) {
			to, err := pb.replacement(x)
			if err != nil {
				return "", nil, err
			}
			if to != "" {
				cross = append(cross, to)
			}
			continue
		}
		cross = append(cross, x)
	}
	var cands []string
	if slices.Contains(pb.tree.Chain(p.Symbol), pb.lost.ID) {
		to, err := pb.replacement(p.Symbol)
		if err != nil || to == "" {
			return "", nil, err
		}
		cands = []string{to}
	} else {
		if to, ok := pb.repl[p.Symbol]; ok && to != "" {
			cands = append(cands, to)
		}
		cands = append(cands, p.Symbol)
		if parent := pb.byID[p.Symbol].Parent; parent != "" {
			for _, id := range pb.children(parent) {
				if pb.free(id) && pb.byID[id].Level == pb.byID[p.Symbol].Level {
					cands = append(cands, id)
				}
			}
		}
	}
	for _, c := range cands {
		ok, err := pb.avoids(pb.tree.KeyList(c, cross))
		if err != nil {
			return "", nil, err
		}
		if !ok {
			continue
		}
		if c != p.Symbol && !pb.reserved[c] {
			pb.reserved[c] = true
			pb.repl[p.Symbol] = c
			pb.picks = append(pb.picks, pick{p.Symbol, c, RuleMoveToSibling})
		}
		return c, cross, nil
	}
	return "", nil, nil
}

// replacement picks the new key for a cylinder keyed to id, a key the lost
// one compromises: the next unused change key of the same master; for a lost
// master, a change key of an unused sibling master (one for all its doors).
// "" means a cylinder change. Every candidate is checked: the lost bitting
// must not operate the new key list.
func (pb *planner) replacement(id string) (string, error) {
	if to, ok := pb.repl[id]; ok {
		return to, nil
	}
	keyed, lost := pb.byID[id], pb.lost
	chain := pb.tree.Chain(id)
	var cands []string
	rule := RuleLostKey
	if lost.ID != id {
		rule = RuleMoveToSibling
	}
	switch {
	case !slices.Contains(chain, lost.ID) || lost.ID == id:
		// The keyed key itself is lost, or the door is opened incidentally:
		// the next unused sibling under the same master.
		if keyed.Parent != "" {
			cands = slices.DeleteFunc(pb.children(keyed.Parent), func(c string) bool { return !pb.free(c) || pb.byID[c].Level != keyed.Level })
		}
	case lost.Level == LevelMaster:
		// A lost master: its doors move to an unused sibling master, keeping
		// each door's change-key number where that key exists.
		rule = RuleUnderLostMaster
		idx := slices.Index(pb.children(lost.ID), id)
		masters := pb.children(lost.Parent)
		if pb.master != "" {
			masters = []string{pb.master}
		}
		for _, m := range masters {
			if m == lost.ID || (m != pb.master && !pb.free(m)) || pb.byID[m].Level != LevelMaster {
				continue
			}
			all := pb.children(m)
			kids := slices.DeleteFunc(slices.Clone(all), func(c string) bool { return !pb.free(c) })
			if idx >= 0 && idx < len(all) && pb.free(all[idx]) {
				kids = append([]string{all[idx]}, slices.DeleteFunc(kids, func(c string) bool { return c == all[idx] })...)
			}
			cands = append(cands, kids...)
		}
	}
	for _, c := range cands {
		ok, err := pb.avoids(pb.tree.Chain(c))
		if err != nil {
			return "", err
		}
		if !ok {
			continue
		}
		if rule == RuleUnderLostMaster && pb.master == "" {
			pb.master = pb.byID[c].Parent
			pb.reserved[pb.master] = true
			pb.picks = append(pb.picks, pick{lost.ID, pb.master, RuleNewMaster})
		}
		pb.repl[id] = c
		pb.reserved[c] = true
		pb.picks = append(pb.picks, pick{id, c, rule})
		return c, nil
	}
	pb.repl[id] = ""
	return "", nil
}
