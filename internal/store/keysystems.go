package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"

	"github.com/keyward/keyward/internal/keying"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/vault"
)

// KeySystems implements keyward.KeySystems. Bittings are sealed with the
// vault, each bound to its row ("bitting:<symbol id>").
type KeySystems struct {
	db    *DB
	vault *vault.Key
}

// KeySystems returns the master-keying service; bittings are sealed with v.
func (d *DB) KeySystems(v *vault.Key) *KeySystems { return &KeySystems{db: d, vault: v} }

var _ keyward.KeySystems = (*KeySystems)(nil)

// maxSystemKeys bounds the theoretical key count of one system (keying's too_many_keys).
const maxSystemKeys = 20000

// keyingError turns a rejection of the keying math into EINVALID naming the
// input field and the keying spec's rule.
func keyingError(err error) error {
	var ke *keying.Error
	if !errors.As(err, &ke) {
		return err
	}
	field := ke.Field
	if field == "" {
		switch ke.Rule {
		case keying.RuleTMKMACS:
			field = "tmk"
		default:
			field = "levels"
		}
	}
	e := &keyward.Error{Code: keyward.EINVALID, Message: ke.Error(), Fields: []keyward.FieldError{{Field: field, Rule: string(ke.Rule)}}}
	if ke.Position != 0 {
		e.Extra = map[string]any{"position": ke.Position}
	}
	return e
}

func toKeyingSpec(s keyward.KeySpec) keying.Spec {
	return keying.Spec{Name: s.Name, Positions: s.Positions, MinDepth: s.MinDepth, MaxDepth: s.MaxDepth, MACS: s.MACS, Step: s.Step,
		MinMasterPin: s.MinMasterPin, MaxMasterPinsPerChamber: s.MaxMasterPinsPerChamber, MaxMasterPinsTotal: s.MaxMasterPinsTotal}
}

func fromKeyingSpec(s keying.Spec) keyward.KeySpec {
	return keyward.KeySpec{Name: s.Name, Positions: s.Positions, MinDepth: s.MinDepth, MaxDepth: s.MaxDepth, MACS: s.MACS, Step: s.Step,
		MinMasterPin: s.MinMasterPin, MaxMasterPinsPerChamber: s.MaxMasterPinsPerChamber, MaxMasterPinsTotal: s.MaxMasterPinsTotal}
}

// randomTMK picks a MACS-valid bitting uniformly among the spec's depths.
func randomTMK(spec keying.Spec) (keying.Bitting, error) {
	n := spec.MaxDepth - spec.MinDepth + 1
	for range 1000 {
		b := make(keying.Bitting, spec.Positions)
		for i := range b {
			r, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
			if err != nil {
				return nil, err
			}
			b[i] = int8(spec.MinDepth + int(r.Int64()))
		}
		if spec.Valid(b) {
			return b, nil
		}
	}
	return nil, keyward.Invalid("tmk", "no MACS-valid bitting found for this spec: enter one")
}

// symRow is one key of the tree as stored.
type symRow struct {
	id, symbol, parent, tier, status, sealed string
	ord                                      int
}

// newSymbol is a key of a freshly generated tree.
type newSymbol struct {
	symRow
	bitting keying.Bitting
}

// flatten lists the tree parents first, in generation order.
func flatten(r *keying.SystemResult) []newSymbol {
	var out []newSymbol
	add := func(k keying.Key, tier string, parent int) int {
		ns := newSymbol{symRow: symRow{id: newID("ksym"), symbol: k.Symbol, tier: tier, status: keyward.SymbolActive, ord: len(out)}, bitting: k.Bitting}
		if parent >= 0 {
			ns.parent = out[parent].id
		}
		out = append(out, ns)
		return len(out) - 1
	}
	top := add(r.Top, keyward.TierTop, -1)
	masters := func(ms []keying.Master, parent int) {
		for _, m := range ms {
			mi := add(m.Key, keyward.TierMaster, parent)
			for _, c := range m.ChangeKeys {
				add(c, keyward.TierChange, mi)
			}
		}
	}
	switch r.Levels {
	case 2:
		for _, c := range r.ChangeKeys {
			add(c, keyward.TierChange, top)
		}
	case 3:
		masters(r.Masters, top)
	case 4:
		for _, g := range r.Grands {
			gi := add(g.Key, keyward.TierGrand, top)
			masters(g.Masters, gi)
		}
	}
	return out
}

func macsRejected(r *keying.SystemResult) int {
	n := len(r.MACSRejected) + len(r.SkippedMasters) + len(r.SkippedGrands)
	for _, m := range r.Masters {
		n += len(m.MACSRejected)
	}
	for _, g := range r.Grands {
		n += len(g.SkippedMasters)
		for _, m := range g.Masters {
			n += len(m.MACSRejected)
		}
	}
	return n
}

func (s *KeySystems) CreateKeySystem(ctx context.Context, a keyward.Actor, in keyward.KeySystemInput) (*keyward.KeySystem, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActKeySystemEdit, "keysystem", ""); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if s.vault == nil {
		return nil, errors.New("store: key systems need the vault")
	}
	var spec keying.Spec
	if in.Manufacturer != "" {
		var err error
		if spec, err = s.resolveSpec(ctx, in.Manufacturer); err != nil {
			return nil, err
		}
	} else {
		spec = toKeyingSpec(*in.Spec)
		if err := spec.Validate(); err != nil {
			return nil, keyingError(err)
		}
	}
	req := keying.SystemRequest{TopSymbol: in.TopSymbol, MaxKeys: maxSystemKeys}
	for i, l := range in.Levels {
		lv := keying.Level{Name: l.Level, Sequence: l.Sequence}
		if len(l.Columns) > 0 {
			lv.Columns = map[int][]int{}
			for p, col := range l.Columns {
				n, err := strconv.Atoi(p)
				if err != nil {
					return nil, keyward.Invalid(fmt.Sprintf("levels[%d].columns", i), string(keying.RuleBadInput))
				}
				lv.Columns[n] = col
			}
		}
		req.Levels = append(req.Levels, lv)
	}
	if tmk := in.TMK.Reveal(); tmk != "" {
		b, err := spec.ParseBitting("tmk", tmk)
		if err != nil {
			return nil, keyingError(err)
		}
		req.TMK = b
	} else {
		b, err := randomTMK(spec)
		if err != nil {
			return nil, err
		}
		req.TMK = b
	}
	res, err := keying.System(spec, req)
	if err != nil {
		return nil, keyingError(err)
	}
	if err := checkSize(in, res); err != nil {
		return nil, err
	}
	syms := flatten(res)
	levels := make([]keyward.KeySystemLevel, len(in.Levels))
	for i, l := range in.Levels {
		levels[i] = keyward.KeySystemLevel{Level: l.Level, Sequence: l.Sequence}
	}
	specJSON, _ := json.Marshal(fromKeyingSpec(spec))
	levelsJSON, _ := json.Marshal(levels)
	id := newID("ks")
	err = s.db.withTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO key_systems (id, name, spec, levels, top_symbol, macs_rejected, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			id, in.Name, string(specJSON), string(levelsJSON), res.Top.Symbol, macsRejected(res), ts(tx.now)); err != nil {
			return fmt.Errorf("store: insert key system: %w", err)
		}
		for _, k := range syms {
			sealed := s.vault.Seal(keyward.Secret(k.bitting.String()), bittingAAD(k.id))
			if _, err := tx.Exec(ctx, `INSERT INTO key_symbols (id, system_id, symbol, parent_id, tier, ord, bitting_sealed, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				k.id, id, k.symbol, nullStr(k.parent), k.tier, k.ord, sealed, k.status, ts(tx.now)); err != nil {
				if isUnique(err) {
					return &keyward.Error{Code: keyward.ECONFLICT, Message: fmt.Sprintf("symbol %s is already used by another key system", k.symbol),
						Fields: []keyward.FieldError{{Field: "top_symbol", Rule: "symbols must be unique across key systems: choose another top_symbol"}}}
				}
				return fmt.Errorf("store: insert key symbol: %w", err)
			}
		}
		_, err := tx.record(ctx, a, "keysystem.create", "keysystem", id, map[string]any{
			"name": in.Name, "spec": spec.Name, "levels": len(res.Columns) + 1, "symbols": len(syms), "tmk_chosen": in.TMK.Reveal() == "", "tmk": in.TMK,
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.KeySystem(ctx, a, id)
}

func (s *KeySystems) KeySystems(ctx context.Context, a keyward.Actor) ([]keyward.KeySystemSummary, error) {
	if err := keyward.Authorize(a, keyward.ActKeySystemRead); err != nil {
		return nil, err
	}
	rows, err := s.db.query(ctx, `SELECT ks.id, ks.name, ks.levels, ks.top_symbol, ks.created_at,
		(SELECT COUNT(*) FROM key_symbols y WHERE y.system_id = ks.id),
		(SELECT COUNT(*) FROM cylinder_pinnings p WHERE p.system_id = ks.id AND p.active = 1)
		FROM key_systems ks ORDER BY ks.name, ks.id`)
	if err != nil {
		return nil, fmt.Errorf("store: list key systems: %w", err)
	}
	defer rows.Close()
	out := []keyward.KeySystemSummary{}
	for rows.Next() {
		var k keyward.KeySystemSummary
		var levels, at string
		if err := rows.Scan(&k.ID, &k.Name, &levels, &k.TopSymbol, &at, &k.Symbols, &k.Cylinders); err != nil {
			return nil, fmt.Errorf("store: scan key system: %w", err)
		}
		var ls []keyward.KeySystemLevel
		_ = json.Unmarshal([]byte(levels), &ls)
		k.Levels, k.CreatedAt = len(ls)+1, parseTS(at)
		out = append(out, k)
	}
	return out, rows.Err()
}

// sysState is a key system loaded for one operation, bittings opened on demand.
type sysState struct {
	s        *KeySystems
	id, name string
	spec     keying.Spec
	sys      keyward.KeySystem
	syms     []symRow
	byID     map[string]*symRow
	bySymbol map[string]*symRow
	bitting  map[string]keying.Bitting
	pins     []pinRow // active pinnings, by opening name
	openings map[string]string
}

type pinRow struct {
	id, openingID, symbolID, reason string
	keyList, cross                  []string
	total                           int
	count                           int64
	problems                        []string
	pinnedAt                        string
}

// inSystem loads key system id in a transaction, runs fn on it and commits
// when fn succeeds: the shape of every key-system read and change.
func inSystem[T any](ctx context.Context, s *KeySystems, id string, fn func(tx *Tx, st *sysState) (T, error)) (T, error) {
	return inTx(ctx, s.db, func(tx *Tx) (T, error) {
		st, err := s.load(ctx, tx, id)
		if err != nil {
			var zero T
			return zero, err
		}
		return fn(tx, st)
	})
}

func (s *KeySystems) load(ctx context.Context, tx *Tx, id string) (*sysState, error) {
	if s.vault == nil {
		return nil, errors.New("store: key systems need the vault")
	}
	st := &sysState{s: s, id: id, byID: map[string]*symRow{}, bySymbol: map[string]*symRow{}, bitting: map[string]keying.Bitting{}, openings: map[string]string{}}
	var spec, levels, audit, at string
	err := tx.QueryRow(ctx, `SELECT name, spec, levels, top_symbol, macs_rejected, audit_result, created_at FROM key_systems WHERE id = ?`, id).
		Scan(&st.name, &spec, &levels, &st.sys.TopSymbol, &st.sys.MACSRejected, &audit, &at)
	if err != nil {
		return nil, notFound(err, "key system", id)
	}
	st.sys.ID, st.sys.Name, st.sys.CreatedAt = id, st.name, parseTS(at)
	if err := json.Unmarshal([]byte(spec), &st.sys.Spec); err != nil {
		return nil, fmt.Errorf("store: key system spec: %w", err)
	}
	_ = json.Unmarshal([]byte(levels), &st.sys.Levels)
	if audit != "" {
		st.sys.Audit = &keyward.KeyAudit{}
		_ = json.Unmarshal([]byte(audit), st.sys.Audit)
	}
	st.spec = toKeyingSpec(st.sys.Spec)
	rows, err := tx.Query(ctx, `SELECT id, symbol, COALESCE(parent_id, ''), tier, ord, bitting_sealed, status FROM key_symbols WHERE system_id = ? ORDER BY ord`, id)
	if err != nil {
		return nil, fmt.Errorf("store: key symbols: %w", err)
	}
	for rows.Next() {
		var r symRow
		if err := rows.Scan(&r.id, &r.symbol, &r.parent, &r.tier, &r.ord, &r.sealed, &r.status); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: scan key symbol: %w", err)
		}
		st.syms = append(st.syms, r)
	}
	rows.Close()
	for i := range st.syms {
		st.byID[st.syms[i].id] = &st.syms[i]
		st.bySymbol[st.syms[i].symbol] = &st.syms[i]
	}
	rows, err = tx.Query(ctx, `SELECT p.id, p.opening_id, p.symbol_id, p.cross_keys, p.key_list, p.total_master_pins, p.operating_count, p.pin_problems, p.reason, p.pinned_at, o.name
		FROM cylinder_pinnings p JOIN openings o ON o.id = p.opening_id WHERE p.system_id = ? AND p.active = 1 ORDER BY o.name, o.id`, id)
	if err != nil {
		return nil, fmt.Errorf("store: pinnings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p pinRow
		var cross, kl, probs, name string
		if err := rows.Scan(&p.id, &p.openingID, &p.symbolID, &cross, &kl, &p.total, &p.count, &probs, &p.reason, &p.pinnedAt, &name); err != nil {
			return nil, fmt.Errorf("store: scan pinning: %w", err)
		}
		_ = json.Unmarshal([]byte(kl), &p.keyList)
		_ = json.Unmarshal([]byte(cross), &p.cross)
		_ = json.Unmarshal([]byte(probs), &p.problems)
		st.pins = append(st.pins, p)
		st.openings[p.openingID] = name
	}
	return st, rows.Err()
}

// open decrypts one bitting. Callers reveal it to a person only after an audit record.
func (st *sysState) open(symID string) (keying.Bitting, error) {
	if b, ok := st.bitting[symID]; ok {
		return b, nil
	}
	r := st.byID[symID]
	if r == nil {
		return nil, fmt.Errorf("store: unknown key symbol %s", symID)
	}
	sec, err := st.s.vault.Open(r.sealed, bittingAAD(r.id))
	if err != nil {
		return nil, fmt.Errorf("store: open bitting of %s: %w", r.symbol, err)
	}
	b, ok := keying.ParseDigits(sec.Reveal(), st.spec.MaxDepth)
	if !ok {
		return nil, fmt.Errorf("store: stored bitting of %s is malformed", r.symbol)
	}
	st.bitting[symID] = b
	return b, nil
}

// tree is the system's symbol tree, as the keying math reads it.
func (st *sysState) tree() keying.Tree {
	tr := keying.Tree{}
	for _, r := range st.syms {
		tr[r.id] = r.parent
	}
	return tr
}

func (st *sysState) bittings(ids []string) ([]keying.Bitting, error) {
	out := make([]keying.Bitting, len(ids))
	for i, id := range ids {
		b, err := st.open(id)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// cylinders are the active pinnings as the keying math sees them.
func (st *sysState) cylinders() ([]keying.Cylinder, error) {
	out := make([]keying.Cylinder, len(st.pins))
	for i, p := range st.pins {
		keys, err := st.bittings(p.keyList)
		if err != nil {
			return nil, err
		}
		out[i] = keying.Cylinder{ID: p.openingID, Keys: keys}
	}
	return out, nil
}

func (st *sysState) symbols(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if r := st.byID[id]; r != nil {
			out[i] = r.symbol
		}
	}
	return out
}

func (st *sysState) cylinder(p pinRow) keyward.Cylinder {
	c := keyward.Cylinder{OpeningID: p.openingID, OpeningName: st.openings[p.openingID], KeyList: st.symbols(p.keyList), CrossKeys: st.symbols(p.cross),
		PinnedAt: parseTS(p.pinnedAt), TotalMasterPins: p.total, OperatingCount: p.count, PinProblems: p.problems}
	if r := st.byID[p.symbolID]; r != nil {
		c.Symbol = r.symbol
	}
	if c.PinProblems == nil {
		c.PinProblems = []string{}
	}
	return c
}

func (s *KeySystems) KeySystem(ctx context.Context, a keyward.Actor, id string) (*keyward.KeySystem, error) {
	if err := keyward.Authorize(a, keyward.ActKeySystemRead); err != nil {
		return nil, err
	}
	return inSystem(ctx, s, id, func(tx *Tx, st *sysState) (*keyward.KeySystem, error) {
		return st.view(ctx, tx)
	})
}

// view is the tree, schedule and plans without any bitting.
func (st *sysState) view(ctx context.Context, tx *Tx) (*keyward.KeySystem, error) {
	ks := st.sys
	copies, err := st.copies(ctx, tx)
	if err != nil {
		return nil, err
	}
	openings := map[string][]string{}
	ks.Cylinders = []keyward.Cylinder{}
	for _, p := range st.pins {
		openings[p.symbolID] = append(openings[p.symbolID], p.openingID)
		ks.Cylinders = append(ks.Cylinders, st.cylinder(p))
	}
	ks.Symbols = make([]keyward.KeySymbol, len(st.syms))
	for i, r := range st.syms {
		k := keyward.KeySymbol{ID: r.id, Symbol: r.symbol, Tier: r.tier, Status: r.status, Copies: copies[r.symbol], Openings: openings[r.id]}
		if p := st.byID[r.parent]; p != nil {
			k.Parent = p.symbol
		}
		if k.Openings == nil {
			k.Openings = []string{}
		}
		ks.Symbols[i] = k
	}
	ks.Plans, err = st.plans(ctx, tx, "")
	if err != nil {
		return nil, err
	}
	if ks.LostReports, err = st.lostReports(ctx, tx); err != nil {
		return nil, err
	}
	return &ks, nil
}

func (s *KeySystems) Reveal(ctx context.Context, a keyward.Actor, id string, in keyward.RevealInput) ([]keyward.RevealedBitting, error) {
	if err := s.db.revealGate(ctx, a, keyward.ActBittingReveal, "keysystem", id); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return inSystem(ctx, s, id, func(tx *Tx, st *sysState) ([]keyward.RevealedBitting, error) {
		want := in.Symbols
		if len(want) == 0 {
			for _, r := range st.syms {
				want = append(want, r.symbol)
			}
		}
		out := make([]keyward.RevealedBitting, 0, len(want))
		for i, sym := range want {
			r := st.bySymbol[sym]
			if r == nil {
				return nil, keyward.Invalid(fmt.Sprintf("symbols[%d]", i), "must be a symbol of this key system")
			}
			b, err := st.open(r.id)
			if err != nil {
				return nil, err
			}
			out = append(out, keyward.RevealedBitting{Symbol: sym, Bitting: b.String()})
		}
		// The record commits with the read; the plaintext leaves only after it.
		if _, err := tx.record(ctx, a, "bitting.reveal", "keysystem", id, map[string]any{"symbols": want, "reason": in.Reason}); err != nil {
			return nil, err
		}
		return out, tx.secretRevealed(ctx, a, keyward.SecretRevealedData{Secret: keyward.RevealedBittings, ObjectType: "keysystem", ObjectID: id, Name: st.name, Symbols: want, Reason: in.Reason})
	})
}

// pin computes a cylinder's pinning for its key list.
func (st *sysState) pin(symID string, cross []string) (keyList []string, res *keying.PinningResult, err error) {
	keyList = st.tree().KeyList(symID, cross)
	keys, err := st.bittings(keyList)
	if err != nil {
		return nil, nil, err
	}
	res, err = keying.Pinning(st.spec, keying.PinningRequest{Keys: keys})
	if err != nil {
		return nil, nil, keyingError(err)
	}
	return keyList, res, nil
}

func pinProblems(res *keying.PinningResult) []string {
	out := []string{}
	for _, w := range res.Warnings {
		out = append(out, fmt.Sprintf("%s at chamber %d", w.Rule, w.Position))
	}
	for _, e := range res.Errors {
		if e.Position > 0 {
			out = append(out, fmt.Sprintf("%s at chamber %d (%d > %d)", e.Rule, e.Position, e.Count, e.Maximum))
		} else {
			out = append(out, fmt.Sprintf("%s (%d > %d)", e.Rule, e.Count, e.Maximum))
		}
	}
	return out
}

// repin ends the opening's active pinning (if any) and pins it for symID.
// An empty symID takes the cylinder out of the system (a cylinder change).
func (st *sysState) repin(ctx context.Context, tx *Tx, a keyward.Actor, openingID, symID string, cross []string, reason string) (*keyward.Cylinder, error) {
	if _, err := tx.Exec(ctx, `UPDATE cylinder_pinnings SET active = 0, ended_at = ? WHERE opening_id = ? AND system_id = ? AND active = 1`,
		ts(tx.now), openingID, st.id); err != nil {
		return nil, fmt.Errorf("store: end pinning: %w", err)
	}
	st.pins = slices.DeleteFunc(st.pins, func(p pinRow) bool { return p.openingID == openingID })
	details := map[string]any{"opening_id": openingID, "reason": reason}
	var cyl *keyward.Cylinder
	if symID != "" {
		if cross == nil {
			cross = []string{}
		}
		keyList, res, err := st.pin(symID, cross)
		if err != nil {
			return nil, err
		}
		p := pinRow{id: newID("pin"), openingID: openingID, symbolID: symID, cross: cross, keyList: keyList, total: res.TotalMasterPins,
			count: res.OperatingCount, problems: pinProblems(res), reason: reason, pinnedAt: ts(tx.now)}
		kl, _ := json.Marshal(p.keyList)
		cj, _ := json.Marshal(p.cross)
		probs, _ := json.Marshal(p.problems)
		if _, err := tx.Exec(ctx, `INSERT INTO cylinder_pinnings (id, system_id, opening_id, symbol_id, cross_keys, key_list, total_master_pins, operating_count, pin_problems, reason, pinned_at, active)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`, p.id, st.id, openingID, symID, string(cj), string(kl), p.total, p.count, string(probs), reason, p.pinnedAt); err != nil {
			if isUnique(err) {
				return nil, keyward.Errorf(keyward.ECONFLICT, "opening %s was keyed by another request at the same time; try again", openingID)
			}
			return nil, fmt.Errorf("store: insert pinning: %w", err)
		}
		st.pins = append(st.pins, p)
		c := st.cylinder(p)
		cyl = &c
		details["symbol"] = c.Symbol
		details["key_list"] = c.KeyList
		details["total_master_pins"] = p.total
	}
	audit, err := st.audit(ctx, tx)
	if err != nil {
		return nil, err
	}
	details["audit_findings"] = len(audit.Findings)
	if _, err := tx.record(ctx, a, "keysystem.pin", "keysystem", st.id, details); err != nil {
		return nil, err
	}
	return cyl, nil
}

func (s *KeySystems) Assign(ctx context.Context, a keyward.Actor, id string, in keyward.AssignInput) (*keyward.Cylinder, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActKeySystemEdit, "keysystem", id); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return inSystem(ctx, s, id, func(tx *Tx, st *sysState) (*keyward.Cylinder, error) {
		var name, other string
		if err := tx.QueryRow(ctx, `SELECT name FROM openings WHERE id = ?`, in.OpeningID).Scan(&name); err != nil {
			if !errors.Is(err, sql.ErrNoRows) {
				return nil, fmt.Errorf("store: read opening: %w", err)
			}
			return nil, keyward.Invalid("opening_id", "must name an existing opening")
		}
		err := tx.QueryRow(ctx, `SELECT system_id FROM cylinder_pinnings WHERE opening_id = ? AND active = 1`, in.OpeningID).Scan(&other)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("store: read pinning: %w", err)
		}
		if other != "" && other != id {
			return nil, &keyward.Error{Code: keyward.ECONFLICT, Message: fmt.Sprintf("opening %s is keyed in another key system", name),
				Fields: []keyward.FieldError{{Field: "opening_id", Rule: "must not be keyed in another key system"}}}
		}
		r := st.bySymbol[in.Symbol]
		if r == nil {
			return nil, keyward.Invalid("symbol", "must be a symbol of this key system")
		}
		if r.status != keyward.SymbolActive {
			return nil, keyward.Invalid("symbol", "must be an active symbol (this one is "+r.status+")")
		}
		var cross []string
		for i, c := range in.CrossKeys {
			cr := st.bySymbol[c]
			field := fmt.Sprintf("cross_keys[%d]", i)
			switch {
			case cr == nil:
				return nil, keyward.Invalid(field, "must be a symbol of this key system")
			case cr.status != keyward.SymbolActive:
				return nil, keyward.Invalid(field, "must be an active symbol (this one is "+cr.status+")")
			case cr.id == r.id || slices.Contains(cross, cr.id):
				return nil, keyward.Invalid(field, "must not repeat a symbol")
			}
			cross = append(cross, cr.id)
		}
		st.openings[in.OpeningID] = name
		reason := "keyed"
		if other == id {
			reason = "rekeyed"
		}
		return st.repin(ctx, tx, a, in.OpeningID, r.id, cross, reason)
	})
}

func (s *KeySystems) Cylinder(ctx context.Context, a keyward.Actor, id, openingID string) (*keyward.Cylinder, error) {
	if err := keyward.Authorize(a, keyward.ActKeySystemRead); err != nil {
		return nil, err
	}
	return inSystem(ctx, s, id, func(tx *Tx, st *sysState) (*keyward.Cylinder, error) {
		return st.cylinderWithHistory(ctx, tx, openingID)
	})
}

func (st *sysState) cylinderWithHistory(ctx context.Context, tx *Tx, openingID string) (*keyward.Cylinder, error) {
	i := slices.IndexFunc(st.pins, func(p pinRow) bool { return p.openingID == openingID })
	if i < 0 {
		return nil, keyward.Errorf(keyward.ENOTFOUND, "opening %q is not keyed in this key system", openingID)
	}
	c := st.cylinder(st.pins[i])
	rows, err := tx.Query(ctx, `SELECT id, symbol_id, key_list, reason, pinned_at, ended_at FROM cylinder_pinnings
		WHERE system_id = ? AND opening_id = ? ORDER BY active DESC, pinned_at DESC, ended_at DESC, id`, st.id, openingID)
	if err != nil {
		return nil, fmt.Errorf("store: pinning history: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p keyward.Pinning
		var symID, kl, at string
		var ended sql.NullString
		if err := rows.Scan(&p.ID, &symID, &kl, &p.Reason, &at, &ended); err != nil {
			return nil, err
		}
		var ids []string
		_ = json.Unmarshal([]byte(kl), &ids)
		p.KeyList, p.PinnedAt, p.EndedAt = st.symbols(ids), parseTS(at), tsPtr(ended)
		if r := st.byID[symID]; r != nil {
			p.Symbol = r.symbol
		}
		c.History = append(c.History, p)
	}
	return &c, rows.Err()
}

func (s *KeySystems) RevealPinning(ctx context.Context, a keyward.Actor, id, openingID string, in keyward.PinningRevealInput) (*keyward.PinningChart, error) {
	if err := s.db.revealGate(ctx, a, keyward.ActBittingReveal, "keysystem", id); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return inSystem(ctx, s, id, func(tx *Tx, st *sysState) (*keyward.PinningChart, error) {
		c, err := st.cylinderWithHistory(ctx, tx, openingID)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(st.pins, func(p pinRow) bool { return p.openingID == openingID })
		keys, err := st.bittings(st.pins[i].keyList)
		if err != nil {
			return nil, err
		}
		res, err := keying.Pinning(st.spec, keying.PinningRequest{Keys: keys})
		if err != nil {
			return nil, keyingError(err)
		}
		out := &keyward.PinningChart{Cylinder: *c, SystemName: st.name}
		for j, k := range keys {
			out.Bittings = append(out.Bittings, keyward.RevealedBitting{Symbol: c.KeyList[j], Bitting: k.String()})
		}
		for _, ch := range res.Chambers {
			out.Chambers = append(out.Chambers, keyward.PinChamber{Position: ch.Position, ShearDepths: ch.ShearDepths, BottomPin: ch.BottomPin, MasterPins: ch.MasterPins})
		}
		if _, err = tx.record(ctx, a, "bitting.reveal", "keysystem", id, map[string]any{"opening_id": openingID, "pinning_chart": true, "printed": in.PDF, "symbols": c.KeyList, "reason": in.Reason}); err != nil {
			return nil, err
		}
		return out, tx.secretRevealed(ctx, a, keyward.SecretRevealedData{Secret: keyward.RevealedPinningChart, ObjectType: "keysystem", ObjectID: id, Name: st.name, Symbols: c.KeyList, Reason: in.Reason})
	})
}

// inUse lists the keys the cross-key audit checks: every symbol with stamped
// copies in circulation, and every symbol of an active key list.
func (st *sysState) inUse(ctx context.Context, tx *Tx) ([]string, error) {
	use := map[string]bool{}
	for _, p := range st.pins {
		for _, id := range p.keyList {
			use[id] = true
		}
	}
	circulating, statuses := statusIn("k.status", keyward.CirculatingStatuses)
	rows, err := tx.Query(ctx, `SELECT DISTINCT y.id FROM keys k JOIN key_symbols y ON y.symbol = k.symbol
		WHERE y.system_id = ? AND `+circulating, append([]any{st.id}, statuses...)...)
	if err != nil {
		return nil, fmt.Errorf("store: keys in use: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		use[id] = true
	}
	var out []string
	for _, r := range st.syms {
		if use[r.id] {
			out = append(out, r.id)
		}
	}
	return out, rows.Err()
}

// audit runs the cross-key audit and stores it as the system's latest.
func (st *sysState) audit(ctx context.Context, tx *Tx) (*keyward.KeyAudit, error) {
	cyls, err := st.cylinders()
	if err != nil {
		return nil, err
	}
	ids, err := st.inUse(ctx, tx)
	if err != nil {
		return nil, err
	}
	issued := make([]keying.Key, len(ids))
	for i, id := range ids {
		b, err := st.open(id)
		if err != nil {
			return nil, err
		}
		issued[i] = keying.Key{Symbol: st.byID[id].symbol, Bitting: b}
	}
	out := &keyward.KeyAudit{At: tx.now, Cylinders: len(cyls), Keys: len(issued), Findings: []keyward.AuditFinding{}}
	if len(cyls) > 0 && len(issued) > 0 {
		entries, err := keying.Audit(cyls, issued)
		if err != nil {
			return nil, keyingError(err)
		}
		bySym := map[string]keying.Bitting{}
		for _, k := range issued {
			bySym[k.Symbol] = k.Bitting
		}
		for i, e := range entries {
			for _, sym := range e.Unintended {
				out.Findings = append(out.Findings, keyward.AuditFinding{OpeningID: e.ID, OpeningName: st.openings[e.ID], Symbol: sym,
					Chambers: causingChambers(cyls[i].Keys, bySym[sym])})
			}
		}
	}
	b, _ := json.Marshal(out)
	if _, err := tx.Exec(ctx, `UPDATE key_systems SET audit_result = ? WHERE id = ?`, string(b), st.id); err != nil {
		return nil, fmt.Errorf("store: save audit: %w", err)
	}
	st.sys.Audit = out
	return out, nil
}

// causingChambers names the positions where an unintended key rides another
// key's shear line: against the key of the list it is closest to, the
// positions where they differ (the key operates, so each such cut is a master
// pin's shear line).
func causingChambers(list []keying.Bitting, k keying.Bitting) []int {
	var best []int
	for _, l := range list {
		var diff []int
		for i := range k {
			if i < len(l) && l[i] != k[i] {
				diff = append(diff, i+1)
			}
		}
		if best == nil || len(diff) < len(best) {
			best = diff
		}
	}
	if best == nil {
		best = []int{}
	}
	return best
}

func (s *KeySystems) RunAudit(ctx context.Context, a keyward.Actor, id string) (*keyward.KeyAudit, error) {
	// Running the audit stores its findings and writes an audit record: an
	// edit of the key system, not a read.
	if err := s.db.recordDenial(ctx, a, keyward.ActKeySystemEdit, "keysystem", id); err != nil {
		return nil, err
	}
	return inSystem(ctx, s, id, func(tx *Tx, st *sysState) (*keyward.KeyAudit, error) {
		out, err := st.audit(ctx, tx)
		if err != nil {
			return nil, err
		}
		_, err = tx.record(ctx, a, "keysystem.audit", "keysystem", id, map[string]any{"cylinders": out.Cylinders, "keys": out.Keys, "findings": len(out.Findings)})
		return out, err
	})
}
