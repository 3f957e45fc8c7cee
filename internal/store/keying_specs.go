package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/keyward/keyward/internal/keying"
	"github.com/keyward/keyward/internal/keyward"
)

// Keying specs: the manufacturer table of keying.md §7, shipped as data in
// package keying, and the organization's own specs (house rules such as a
// maximum of master pins per chamber), stored in keying_specs. Key-system
// creation resolves a spec name against the table first, then against the
// organization's specs.

var _ keyward.KeyingSpecs = (*KeySystems)(nil)

// maxSpecPositions bounds an organization spec's chambers, as the TMK is at most 64 digits.
const maxSpecPositions = 64

// specRules words the spec contract of keying.md §2 for the member keying.Spec.Validate names.
var specRules = map[string]string{
	"spec.positions":                   "must be at least 1",
	"spec.min_depth":                   "must be 0 to 10",
	"spec.max_depth":                   "must be min_depth to 9, or 10 with min_depth at least 1",
	"spec.macs":                        "must be at least 1",
	"spec.step":                        "must be at least 1",
	"spec.min_master_pin":              "must not be negative (0 means step)",
	"spec.max_master_pins_per_chamber": "must not be negative",
	"spec.max_master_pins_total":       "must not be negative",
}

// validateSpec checks an organization spec through keying.Spec.Validate:
// EINVALID naming the spec member and the rule it breaks.
func validateSpec(spec keying.Spec) error {
	if err := spec.Validate(); err != nil {
		var ke *keying.Error
		if !errors.As(err, &ke) {
			return err
		}
		rule, ok := specRules[ke.Field]
		if !ok {
			rule = string(ke.Rule)
		}
		return keyward.Invalid(ke.Field, rule)
	}
	if spec.Positions > maxSpecPositions {
		return keyward.Invalid("spec.positions", "must be at most "+strconv.Itoa(maxSpecPositions))
	}
	return nil
}

// manufacturerSpec is the modeled manufacturer row named name.
func manufacturerSpec(name string) (keying.Spec, bool) {
	for _, m := range keying.Manufacturers() {
		if m.Spec.Name == name && m.Modeled && m.Spec.MaxDepth > 0 {
			return m.Spec, true
		}
	}
	return keying.Spec{}, false
}

// resolveSpec finds the spec a key system names: a modeled manufacturer
// row, or else an organization spec of that name.
func (s *KeySystems) resolveSpec(ctx context.Context, name string) (keying.Spec, error) {
	if spec, ok := manufacturerSpec(name); ok {
		return spec, nil
	}
	var raw string
	err := s.db.queryRow(ctx, `SELECT spec FROM keying_specs WHERE name = ?`, name).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return keying.Spec{}, keyward.Invalid("manufacturer", "must name a modeled manufacturer spec such as schlage_sc4 or one of the organization's keying specs")
	}
	if err != nil {
		return keying.Spec{}, fmt.Errorf("store: keying spec %q: %w", name, err)
	}
	var ks keyward.KeySpec
	if err := json.Unmarshal([]byte(raw), &ks); err != nil {
		return keying.Spec{}, fmt.Errorf("store: keying spec %q: %w", name, err)
	}
	return toKeyingSpec(ks), nil
}

// checkSize refuses a system that gives fewer MACS-valid keys than asked
// for: masters first, then change keys per master. Masters are counted over
// the whole system; a 2-level system's only master is its top key.
func checkSize(in keyward.KeySystemInput, r *keying.SystemResult) error {
	if in.MastersNeeded == 0 && in.ChangeKeysNeeded == 0 {
		return nil
	}
	var changes []int // change keys of each master
	switch r.Levels {
	case 2:
		changes = []int{len(r.ChangeKeys)}
	case 3:
		for _, m := range r.Masters {
			changes = append(changes, len(m.ChangeKeys))
		}
	case 4:
		for _, g := range r.Grands {
			for _, m := range g.Masters {
				changes = append(changes, len(m.ChangeKeys))
			}
		}
	}
	if r.Levels == 2 && in.MastersNeeded > 0 {
		return keyward.Invalid("masters_needed", "a 2-level system has no master level: its only master is the top key")
	}
	if in.MastersNeeded > len(changes) {
		return &keyward.Error{Code: keyward.EINVALID,
			Message: fmt.Sprintf("%d masters requested, but this progression gives %d", in.MastersNeeded, len(changes)),
			Fields: []keyward.FieldError{{Field: "masters_needed",
				Rule: fmt.Sprintf("exceeds the %d masters this progression can give", len(changes))}},
			Extra: map[string]any{"requested": in.MastersNeeded, "available": len(changes)}}
	}
	if in.ChangeKeysNeeded == 0 {
		return nil
	}
	if len(changes) == 0 {
		changes = []int{0} // every master failed MACS: none gives a change key
	}
	// The masters that must reach the count: the requested number, or all of them.
	n := in.MastersNeeded
	if n == 0 {
		n = len(changes)
	}
	slices.Sort(changes)
	slices.Reverse(changes)
	if avail := changes[n-1]; in.ChangeKeysNeeded > avail {
		masters := strconv.Itoa(n) + " masters"
		if n == 1 {
			masters = "1 master"
		}
		return &keyward.Error{Code: keyward.EINVALID,
			Message: fmt.Sprintf("%d change keys per master requested, but this progression gives %d to each of %s", in.ChangeKeysNeeded, avail, masters),
			Fields: []keyward.FieldError{{Field: "change_keys_needed",
				Rule: fmt.Sprintf("exceeds the %d change keys per master this progression can give to %s", avail, masters)}},
			Extra: map[string]any{"requested": in.ChangeKeysNeeded, "available": avail}}
	}
	return nil
}

// KeyingSpecs lists the manufacturer table, then the organization's specs by name.
func (s *KeySystems) KeyingSpecs(ctx context.Context, a keyward.Actor) ([]keyward.KeyingSpec, error) {
	if err := keyward.Authorize(a, keyward.ActKeySystemRead); err != nil {
		return nil, err
	}
	out := []keyward.KeyingSpec{}
	for _, m := range keying.Manufacturers() {
		out = append(out, keyward.KeyingSpec{Name: m.Spec.Name, Label: m.Name, Source: keyward.SpecSourceManufacturer,
			Spec: fromKeyingSpec(m.Spec), Modeled: m.Modeled && m.Spec.MaxDepth > 0, Confidence: string(m.Confidence),
			Note: m.Note, Pins: m.Pins})
	}
	rows, err := s.db.query(ctx, `SELECT id, name, spec, note, created_at FROM keying_specs ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("store: list keying specs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k keyward.KeyingSpec
		var raw, at string
		if err := rows.Scan(&k.ID, &k.Name, &raw, &k.Note, &at); err != nil {
			return nil, fmt.Errorf("store: scan keying spec: %w", err)
		}
		if err := json.Unmarshal([]byte(raw), &k.Spec); err != nil {
			return nil, fmt.Errorf("store: keying spec %s: %w", k.ID, err)
		}
		t := parseTS(at)
		k.Label, k.Source, k.Modeled, k.CreatedAt = k.Name, keyward.SpecSourceOrganization, true, &t
		out = append(out, k)
	}
	return out, rows.Err()
}

// CreateKeyingSpec adds an organization spec; its audit record commits with it.
func (s *KeySystems) CreateKeyingSpec(ctx context.Context, a keyward.Actor, in keyward.KeyingSpecInput) (*keyward.KeyingSpec, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActKeySystemEdit, "keyingspec", ""); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	in.Spec.Name = in.Name
	spec := toKeyingSpec(in.Spec)
	if err := validateSpec(spec); err != nil {
		return nil, err
	}
	taken := &keyward.Error{Code: keyward.ECONFLICT, Message: fmt.Sprintf("a keying spec named %q already exists", in.Name),
		Fields: []keyward.FieldError{{Field: "name", Rule: "must be unique among keying specs, the manufacturer table's included"}}}
	for _, m := range keying.Manufacturers() {
		if m.Spec.Name == in.Name {
			return nil, taken
		}
	}
	ks := fromKeyingSpec(spec)
	raw, err := json.Marshal(ks)
	if err != nil {
		return nil, fmt.Errorf("store: keying spec: %w", err)
	}
	id := newID("kspec")
	var at string
	err = s.db.withTx(ctx, func(tx *Tx) error {
		at = ts(tx.now)
		if _, err := tx.Exec(ctx, `INSERT INTO keying_specs (id, name, spec, note, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			id, in.Name, string(raw), in.Note, actorName(a), at); err != nil {
			if isUnique(err) {
				return taken
			}
			return fmt.Errorf("store: insert keying spec: %w", err)
		}
		_, err := tx.record(ctx, a, "keyingspec.create", "keyingspec", id, map[string]any{"name": in.Name, "spec": ks, "note": in.Note})
		return err
	})
	if err != nil {
		return nil, err
	}
	t := parseTS(at)
	return &keyward.KeyingSpec{Name: in.Name, Label: in.Name, Source: keyward.SpecSourceOrganization, Spec: ks, Modeled: true,
		Note: in.Note, ID: id, CreatedAt: &t}, nil
}
