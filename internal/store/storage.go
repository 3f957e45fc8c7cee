package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/vault"
)

// Storage keeps the places keys live in: cabinets with hooks, lockboxes,
// sealed envelopes and designated holders, and each key's home among them.
type Storage struct {
	db    *DB
	vault *vault.Key
}

// Storage returns the storage service; v seals lockbox codes.
func (d *DB) Storage(v *vault.Key) *Storage { return &Storage{db: d, vault: v} }

const storageCols = `id, kind, name, COALESCE(site_id, ''), location, hooks, code_sealed IS NOT NULL, seal_number,
	COALESCE(holder_id, ''), acknowledged_at, retired_at, created_at, code_discarded_at`

func scanStorage(r interface{ Scan(...any) error }) (keyward.StoragePlace, error) {
	var p keyward.StoragePlace
	var ack, retired, discarded sql.NullString
	var at string
	var hasCode bool
	err := r.Scan(&p.ID, &p.Kind, &p.Name, &p.SiteID, &p.Location, &p.Hooks, &hasCode, &p.SealNumber, &p.HolderID, &ack, &retired, &at, &discarded)
	p.HasCode, p.AcknowledgedAt, p.RetiredAt, p.CreatedAt = hasCode, tsPtr(ack), tsPtr(retired), parseTS(at)
	p.CodeDiscardedAt = tsPtr(discarded)
	return p, err
}

func codeAAD(id string) string { return "lockbox:" + id }

// Create adds a storage place. EINVALID names the field; a lockbox code is
// sealed before it reaches the database.
func (s *Storage) Create(ctx context.Context, a keyward.Actor, in keyward.StorageInput) (*keyward.StoragePlace, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActStorageEdit, "storage", ""); err != nil {
		return nil, err
	}
	if err := in.Validate(s.db.Now()); err != nil {
		return nil, err
	}
	if in.Kind == keyward.StorageLockbox && s.vault == nil {
		return nil, errors.New("store: no vault to seal the lockbox code")
	}
	var p *keyward.StoragePlace
	err := s.db.withTx(ctx, func(tx *Tx) error {
		if in.SiteID != "" && !tx.exists(ctx, "sites", in.SiteID) {
			return keyward.Invalid("site_id", "must name an existing site")
		}
		if in.HolderID != "" && !tx.exists(ctx, "holders", in.HolderID) {
			return keyward.Invalid("holder_id", "must name an existing holder")
		}
		if in.Code != "" {
			if err := tx.guardNotes(ctx, a, []keyward.NoteField{{Field: "name", Text: in.Name}, {Field: "location", Text: in.Location}},
				[]keyward.CodeGuard{{What: "this lockbox's code", Code: in.Code}}); err != nil {
				return err
			}
		}
		p = &keyward.StoragePlace{ID: newID("sto"), Kind: in.Kind, Name: in.Name, SiteID: in.SiteID, Location: in.Location,
			Hooks: in.Hooks, HasCode: in.Code != "", SealNumber: in.SealNumber, HolderID: in.HolderID, CreatedAt: tx.now}
		if in.AcknowledgedAt != nil {
			t := in.AcknowledgedAt.UTC()
			p.AcknowledgedAt = &t
		}
		code := sql.NullString{}
		if in.Code != "" {
			code = nullStr(s.vault.Seal(in.Code, codeAAD(p.ID)))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO storage_places (id, kind, name, site_id, location, hooks, code_sealed, seal_number, holder_id, acknowledged_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.Kind, p.Name, nullStr(p.SiteID), p.Location, p.Hooks, code, p.SealNumber, nullStr(p.HolderID), nullTS(p.AcknowledgedAt), ts(p.CreatedAt)); err != nil {
			return fmt.Errorf("store: insert storage place: %w", err)
		}
		details := map[string]any{"kind": p.Kind, "name": p.Name}
		if p.Hooks > 0 {
			details["hooks"] = p.Hooks
		}
		if p.SealNumber != "" {
			details["seal_number"] = p.SealNumber
		}
		if p.HolderID != "" {
			details["holder_id"] = p.HolderID
		}
		return tx.storageEvent(ctx, a, p.ID, "create", "", details)
	})
	if err != nil {
		return nil, s.db.noteRefused(ctx, a, "storage", "", err)
	}
	return p, nil
}

// storageEvent writes the audit record and the place's logbook line.
func (t *Tx) storageEvent(ctx context.Context, a keyward.Actor, storageID, action, note string, details map[string]any) error {
	if details == nil {
		details = map[string]any{}
	}
	if note != "" {
		details["note"] = note
	}
	seq, err := t.record(ctx, a, "storage."+action, "storage", storageID, details)
	if err != nil {
		return err
	}
	if _, err := t.Exec(ctx, `INSERT INTO storage_events (id, storage_id, action, at, actor, actor_role, note, audit_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		newID("sev"), storageID, action, ts(t.now), actorName(a), string(a.Role), note, seq); err != nil {
		return fmt.Errorf("store: insert storage event: %w", err)
	}
	return nil
}

// storagePlace reads a storage place for a change, locking its row on
// PostgreSQL. It locks the audit chain head first: a custody move (whose
// batch holds the chain head) may update an envelope's seal, so every
// transaction takes the head before a place, never the other way round.
func (t *Tx) storagePlace(ctx context.Context, id string) (*keyward.StoragePlace, error) {
	lock := ""
	if t.db.dialect == postgresDialect {
		lock = " FOR UPDATE"
		if _, err := t.lockHead(ctx); err != nil {
			return nil, err
		}
	}
	p, err := scanStorage(t.QueryRow(ctx, `SELECT `+storageCols+` FROM storage_places WHERE id = ?`+lock, id))
	if err != nil {
		return nil, notFound(err, "storage place", id)
	}
	return &p, nil
}

// Place returns a storage place with the keys whose home it is. ENOTFOUND.
func (s *Storage) Place(ctx context.Context, a keyward.Actor, id string) (*keyward.StoragePlace, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	p, err := scanStorage(s.db.queryRow(ctx, `SELECT `+storageCols+` FROM storage_places WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "storage place", id)
	}
	if p.Kind == keyward.StorageLockbox {
		var last sql.NullString
		if err := s.db.queryRow(ctx, `SELECT MAX(at) FROM storage_events WHERE storage_id = ? AND action = 'code.reveal'`, id).Scan(&last); err != nil {
			return nil, fmt.Errorf("store: last code reveal: %w", err)
		}
		p.CodeLastRevealedAt = tsPtr(last)
	}
	rows, err := s.db.query(ctx, `SELECT k.id, k.symbol, k.copy_number, k.status, COALESCE(k.holder_id, ''), COALESCE(h.hook, 0)
		FROM key_homes h JOIN keys k ON k.id = h.key_id WHERE h.storage_id = ? ORDER BY h.hook, k.symbol, k.copy_number`, id)
	if err != nil {
		return nil, fmt.Errorf("store: stored keys: %w", err)
	}
	defer rows.Close()
	p.Keys = []keyward.StoredKey{}
	for rows.Next() {
		var k keyward.StoredKey
		var n int
		if err := rows.Scan(&k.KeyID, &k.Symbol, &n, &k.Status, &k.HolderID, &k.Hook); err != nil {
			return nil, fmt.Errorf("store: scan stored key: %w", err)
		}
		k.Stamp = stamp(k.Symbol, n)
		p.Keys = append(p.Keys, k)
	}
	return &p, rows.Err()
}

// Places lists storage places by name; kind and holderID narrow the list.
func (s *Storage) Places(ctx context.Context, a keyward.Actor, kind, holderID string, opt keyward.ListOptions) (*keyward.Page[keyward.StoragePlace], error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	where, args := "", []any{}
	if kind != "" {
		if where != "" {
			where += " AND "
		}
		where, args = where+"kind = ?", append(args, kind)
	}
	if holderID != "" {
		if where != "" {
			where += " AND "
		}
		where, args = where+"holder_id = ?", append(args, holderID)
	}
	return namedList(ctx, s.db, opt, `SELECT `+storageCols+` FROM storage_places`, where, args,
		func(r *sql.Rows) (keyward.StoragePlace, string, error) {
			p, err := scanStorage(r)
			return p, p.Name, err
		}, func(p keyward.StoragePlace) string { return p.ID })
}

// Events is a storage place's logbook, oldest first, paged by audit sequence
// like a key's history.
func (s *Storage) Events(ctx context.Context, a keyward.Actor, id string, opt keyward.ListOptions) (*keyward.Page[keyward.StorageEvent], error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	limit := clampLimit(opt.Limit)
	after, err := seqCursor(opt.Cursor, 0)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.query(ctx, `SELECT id, storage_id, action, at, actor, actor_role, note, audit_seq
		FROM storage_events WHERE storage_id = ? AND audit_seq > ? ORDER BY audit_seq LIMIT ?`, id, after, limit+1)
	if err != nil {
		return nil, fmt.Errorf("store: storage events: %w", err)
	}
	return seqPage(rows, limit, func(rows *sql.Rows) (keyward.StorageEvent, int64, error) {
		var e keyward.StorageEvent
		var at string
		var seq int64
		if err := rows.Scan(&e.ID, &e.StorageID, &e.Action, &at, &e.Actor, &e.ActorRole, &e.Note, &seq); err != nil {
			return e, 0, fmt.Errorf("store: scan storage event: %w", err)
		}
		e.At = parseTS(at)
		return e, seq, nil
	})
}

// Assign makes a storage place the key's home (a hook of a cabinet), as the
// rules allow (keyward.PlanHome): only a key in storage gets a home, and
// putting it into a sealed envelope or taking it out of one breaks that seal,
// recorded with the new seal in the same transaction. An occupied hook is
// ECONFLICT naming the hook and the key on it; a key that already has a home
// moves, and its old place's logbook says where it went.
func (s *Storage) Assign(ctx context.Context, a keyward.Actor, storageID string, in keyward.HookInput) (*keyward.KeyHome, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActStorageEdit, "storage", storageID); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var home *keyward.KeyHome
	err := s.db.withTx(ctx, func(tx *Tx) error {
		p, err := tx.storagePlace(ctx, storageID)
		if err != nil {
			return err
		}
		k, err := tx.key(ctx, in.KeyID)
		if keyward.ErrorCode(err) == keyward.ENOTFOUND {
			return keyward.Invalid("key_id", "must name an existing key")
		} else if err != nil {
			return err
		}
		req, err := tx.homeRequest(ctx, k)
		if err != nil {
			return err
		}
		req.Place, req.Hook, req.Seal = p, in.Hook, in.Reseal()
		if p.Kind == keyward.StorageHolder {
			if req.Keeper, err = tx.loadRecipient(ctx, p.HolderID); err != nil {
				return err
			}
		}
		plan, err := keyward.PlanHome(req)
		if err != nil {
			return err
		}
		hook := sql.NullInt64{Int64: int64(in.Hook), Valid: in.Hook > 0}
		if hook.Valid {
			if occ, ok, err := tx.hookHolder(ctx, storageID, in.Hook); err != nil {
				return err
			} else if ok && occ.ID != k.ID {
				return hookConflict(p, in.Hook, occ)
			}
		}
		home = &keyward.KeyHome{KeyID: k.ID, StorageID: p.ID, StorageName: p.Name, StorageKind: p.Kind, Hook: in.Hook, SealNumber: p.SealNumber}
		from := req.From
		keyDetails := map[string]any{"key_id": k.ID, "stamp": k.Stamp}
		if b := plan.Break; b != nil && from != nil && b.StorageID == from.StorageID {
			// Out of its envelope first: the seal line, then where it went.
			if err := tx.breakSeal(ctx, a, b, keyDetails); err != nil {
				return err
			}
		}
		if from != nil && from.StorageID != p.ID {
			if err := tx.storageEvent(ctx, a, from.StorageID, "unassign", "key "+k.Stamp+" moved to "+home.Where(),
				map[string]any{"key_id": k.ID, "stamp": k.Stamp, "to_storage_id": p.ID}); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM key_homes WHERE key_id = ?`, k.ID); err != nil {
			return fmt.Errorf("store: clear key home: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO key_homes (key_id, storage_id, hook, assigned_at) VALUES (?, ?, ?, ?)`,
			k.ID, storageID, hook, ts(tx.now)); err != nil {
			if isUnique(err) {
				// A concurrent assignment took the hook between the check and the insert.
				return keyward.Errorf(keyward.ECONFLICT, "hook %d of %s is already taken", in.Hook, p.Name)
			}
			return fmt.Errorf("store: insert key home: %w", err)
		}
		if b := plan.Break; b != nil && b.StorageID == p.ID {
			// Into the envelope: it is opened, the key goes in, a new seal goes on.
			if err := tx.breakSeal(ctx, a, b, keyDetails); err != nil {
				return err
			}
			home.SealNumber = b.New
		}
		details := map[string]any{"key_id": k.ID, "stamp": k.Stamp}
		if in.Hook > 0 {
			details["hook"] = in.Hook
		}
		note := "key " + k.Stamp
		if in.Hook > 0 {
			note += " on hook " + strconv.Itoa(in.Hook)
		}
		if plan.Note != "" {
			details["reason"] = plan.Note
			note += ": " + plan.Note
		}
		return tx.storageEvent(ctx, a, p.ID, "assign", note, details)
	})
	if err != nil {
		return nil, err
	}
	return home, nil
}

// homeRequest reads what the storage rules need to know of a key: its home
// now and the name of whoever holds it.
func (t *Tx) homeRequest(ctx context.Context, k *keyward.Key) (keyward.HomeRequest, error) {
	r := keyward.HomeRequest{Key: *k}
	var err error
	if r.From, err = t.keyHome(ctx, k.ID); err != nil {
		return r, err
	}
	if k.HolderID != "" {
		err := t.QueryRow(ctx, `SELECT name FROM holders WHERE id = ?`, k.HolderID).Scan(&r.HolderName)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return r, fmt.Errorf("store: holder name: %w", err)
		}
	}
	return r, nil
}

// breakSeal records an envelope opened and sealed again (b, as the rules
// planned it): the new seal, guarded by the broken one, and the logbook line
// with its audit record. details name what else happened (the key).
func (t *Tx) breakSeal(ctx context.Context, a keyward.Actor, b *keyward.SealBreak, details map[string]any) error {
	res, err := t.Exec(ctx, `UPDATE storage_places SET seal_number = ? WHERE id = ? AND seal_number = ? AND kind = ?`,
		b.New, b.StorageID, b.Broken, keyward.StorageEnvelope)
	if err != nil {
		return fmt.Errorf("store: update seal: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return keyward.Errorf(keyward.ECONFLICT, "the seal of %s changed meanwhile; reload and try again", b.Name)
	}
	d := map[string]any{"broken_seal": b.Broken, "new_seal": b.New}
	for k, v := range details {
		d[k] = v
	}
	if err := t.storageEvent(ctx, a, b.StorageID, "seal.break", b.Reason, d); err != nil {
		return err
	}
	// Every broken seal is news, whether the envelope was opened on its own
	// page, to put a key in or take one out, or by a custody move.
	return t.sealBroken(ctx, a, keyward.SealBrokenData{StorageID: b.StorageID, Name: b.Name, BrokenSeal: b.Broken, NewSeal: b.New, Reason: b.Reason})
}

func hookConflict(p *keyward.StoragePlace, hook int, k *keyward.Key) error {
	return &keyward.Error{Code: keyward.ECONFLICT,
		Message: fmt.Sprintf("hook %d of %s is occupied by key %s", hook, p.Name, k.Stamp),
		Fields:  []keyward.FieldError{{Field: "hook", Rule: "must be a free hook (hook " + strconv.Itoa(hook) + " holds " + k.Stamp + ")"}},
		Extra:   map[string]any{"hook": hook, "key_id": k.ID, "stamp": k.Stamp}}
}

// hookHolder returns the key whose home is hook of a cabinet.
func (t *Tx) hookHolder(ctx context.Context, storageID string, hook int) (*keyward.Key, bool, error) {
	var id string
	err := t.QueryRow(ctx, `SELECT key_id FROM key_homes WHERE storage_id = ? AND hook = ?`, storageID, hook).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: read hook: %w", err)
	}
	k, err := t.key(ctx, id)
	if err != nil {
		return nil, false, err
	}
	return k, true, nil
}

// Unassign removes a key's home. ENOTFOUND if the key has none. Taking a key
// in storage out of a sealed envelope breaks the seal: in's new seal and
// reason are required, and recorded in the same transaction.
func (s *Storage) Unassign(ctx context.Context, a keyward.Actor, keyID string, in keyward.ResealInput) error {
	if err := s.db.recordDenial(ctx, a, keyward.ActStorageEdit, "key", keyID); err != nil {
		return err
	}
	return s.db.withTx(ctx, func(tx *Tx) error {
		if _, err := tx.lockHead(ctx); err != nil {
			return err
		}
		k, err := tx.key(ctx, keyID)
		if err != nil {
			return err
		}
		req, err := tx.homeRequest(ctx, k)
		if err != nil {
			return err
		}
		h := req.From
		if h == nil {
			return keyward.Errorf(keyward.ENOTFOUND, "key %s has no storage place", k.Stamp)
		}
		req.Seal = in
		plan, err := keyward.PlanHome(req)
		if err != nil {
			return err
		}
		details := map[string]any{"key_id": keyID, "stamp": k.Stamp}
		if plan.Break != nil {
			if err := tx.breakSeal(ctx, a, plan.Break, details); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM key_homes WHERE key_id = ?`, keyID); err != nil {
			return fmt.Errorf("store: delete key home: %w", err)
		}
		note := "key " + k.Stamp + " taken off"
		if h.StorageKind != keyward.StorageCabinet {
			note = "key " + k.Stamp + " taken out"
		}
		if plan.Note != "" {
			details["reason"] = plan.Note
			note += ": " + plan.Note
		}
		return tx.storageEvent(ctx, a, h.StorageID, "unassign", note, details)
	})
}

// releaseHome frees a destroyed key's hook or place, so another key can take
// it, and records that in the place's history.
func (t *Tx) releaseHome(ctx context.Context, a keyward.Actor, k *keyward.Key) error {
	h, err := t.keyHome(ctx, k.ID)
	if err != nil || h == nil {
		return err
	}
	if _, err := t.Exec(ctx, `DELETE FROM key_homes WHERE key_id = ?`, k.ID); err != nil {
		return fmt.Errorf("store: release key home: %w", err)
	}
	return t.storageEvent(ctx, a, h.StorageID, "unassign", "key "+k.Stamp+" destroyed", map[string]any{"key_id": k.ID, "hook": h.Hook, "reason": "destroyed"})
}

func (t *Tx) keyHome(ctx context.Context, keyID string) (*keyward.KeyHome, error) {
	var h keyward.KeyHome
	err := t.QueryRow(ctx, `SELECT h.key_id, h.storage_id, p.name, p.kind, COALESCE(h.hook, 0), p.seal_number FROM key_homes h
		JOIN storage_places p ON p.id = h.storage_id WHERE h.key_id = ?`, keyID).Scan(&h.KeyID, &h.StorageID, &h.StorageName, &h.StorageKind, &h.Hook, &h.SealNumber)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: read key home: %w", err)
	}
	return &h, nil
}

// KeyHome returns where a key belongs, or nil when it has no storage place.
func (s *Storage) KeyHome(ctx context.Context, a keyward.Actor, keyID string) (*keyward.KeyHome, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	return inTx(ctx, s.db, func(tx *Tx) (*keyward.KeyHome, error) {
		return tx.keyHome(ctx, keyID)
	})
}

// RevealCode returns a lockbox's code. The reveal is audited in the same
// transaction that reads the sealed code, and the plaintext is handed back
// only after that record commits. A refused role is recorded and EFORBIDDEN.
func (s *Storage) RevealCode(ctx context.Context, a keyward.Actor, id string, in keyward.CodeRevealInput) (keyward.Secret, error) {
	if err := s.db.revealGate(ctx, a, keyward.ActSecretReveal, "storage", id); err != nil {
		return "", err
	}
	if err := in.Validate(); err != nil {
		return "", err
	}
	loc, err := s.db.orgLocation(ctx)
	if err != nil {
		return "", err
	}
	var code keyward.Secret
	err = s.db.withTx(ctx, func(tx *Tx) error {
		p, err := tx.storagePlace(ctx, id)
		if err != nil {
			return err
		}
		name := p.Name
		if p.RetiredAt != nil {
			at := p.RetiredAt.In(loc)
			p.RetiredAt = &at
		}
		if err := p.MayRevealCode(); err != nil {
			return err
		}
		var sealed sql.NullString
		if err := tx.QueryRow(ctx, `SELECT code_sealed FROM storage_places WHERE id = ?`, id).Scan(&sealed); err != nil {
			return notFound(err, "storage place", id)
		}
		if !sealed.Valid {
			return keyward.Errorf(keyward.ECONFLICT, "%s has no code", name)
		}
		if s.vault == nil {
			return errors.New("store: no vault to open the lockbox code")
		}
		if code, err = s.vault.Open(sealed.String, codeAAD(id)); err != nil {
			return fmt.Errorf("store: open lockbox code: %w", err)
		}
		if err := tx.guardNotes(ctx, a, []keyward.NoteField{{Field: "reason", Text: in.Reason}}, []keyward.CodeGuard{{What: "this lockbox's code", Code: code}}); err != nil {
			return err
		}
		// The reason is the logbook line's note and, as in every reveal's
		// audit record, its "reason".
		if err := tx.storageEvent(ctx, a, id, "code.reveal", in.Reason, map[string]any{"reason": in.Reason}); err != nil {
			return err
		}
		return tx.secretRevealed(ctx, a, keyward.SecretRevealedData{Secret: keyward.RevealedLockboxCode, ObjectType: "storage", ObjectID: id, Name: name, Reason: in.Reason})
	})
	if keyward.IsPlaceRetired(err) {
		// A reveal refused is recorded like every refused reveal.
		return "", s.db.recordRefusal(ctx, a, string(keyward.ActSecretReveal), "storage", id, map[string]any{"rule": keyward.RulePlaceRetired}, err)
	}
	if err != nil {
		return "", s.db.noteRefused(ctx, a, "storage", id, err)
	}
	return code, nil
}

// ChangeCode seals a new lockbox code. The audit record keeps the reason,
// never the code.
func (s *Storage) ChangeCode(ctx context.Context, a keyward.Actor, id string, in keyward.CodeChangeInput) error {
	if err := s.db.recordDenial(ctx, a, keyward.ActSecretReveal, "storage", id); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	err := s.db.withTx(ctx, func(tx *Tx) error {
		p, err := tx.storagePlace(ctx, id)
		if err != nil {
			return err
		}
		if s.vault == nil {
			return errors.New("store: no vault to seal the lockbox code")
		}
		if p.Kind != keyward.StorageLockbox {
			return keyward.Errorf(keyward.ECONFLICT, "storage place %s is a %s and has no code", p.Name, p.Kind)
		}
		if p.RetiredAt != nil {
			return keyward.Errorf(keyward.ECONFLICT, "storage place %s is retired: restore it first", p.Name)
		}
		guards, err := tx.lockboxGuards(ctx, s.vault, id, "this lockbox's code")
		if err != nil {
			return err
		}
		guards = append(guards, keyward.CodeGuard{What: "this lockbox's new code", Code: in.Code})
		if err := tx.guardNotes(ctx, a, []keyward.NoteField{{Field: "reason", Text: in.Reason}}, guards); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE storage_places SET code_sealed = ?, code_discarded_at = NULL WHERE id = ?`, s.vault.Seal(in.Code, codeAAD(id)), id); err != nil {
			return fmt.Errorf("store: update lockbox code: %w", err)
		}
		return tx.storageEvent(ctx, a, id, "code.change", in.Reason, nil)
	})
	return s.db.noteRefused(ctx, a, "storage", id, err)
}

// Update edits a storage place's name, site, location or hooks. EINVALID
// names the field; a cabinet keeps at least the hooks its keys hang on.
func (s *Storage) Update(ctx context.Context, a keyward.Actor, id string, in keyward.StoragePatch) (*keyward.StoragePlace, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActStorageEdit, "storage", id); err != nil {
		return nil, err
	}
	p, err := inTx(ctx, s.db, func(tx *Tx) (*keyward.StoragePlace, error) {
		p, err := tx.storagePlace(ctx, id)
		if err != nil {
			return nil, err
		}
		if p.RetiredAt != nil {
			return nil, keyward.Errorf(keyward.ECONFLICT, "storage place %s is retired: restore it first", p.Name)
		}
		var highest int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(hook), 0) FROM key_homes WHERE storage_id = ?`, id).Scan(&highest); err != nil {
			return nil, fmt.Errorf("store: highest hook: %w", err)
		}
		if err := in.Validate(p.Kind, highest); err != nil {
			return nil, err
		}
		var texts []keyward.NoteField
		if in.Name != nil {
			texts = append(texts, keyward.NoteField{Field: "name", Text: *in.Name})
		}
		if in.Location != nil {
			texts = append(texts, keyward.NoteField{Field: "location", Text: *in.Location})
		}
		if keyward.NotesTyped(texts) {
			guards, err := tx.lockboxGuards(ctx, s.vault, id, "this lockbox's code")
			if err != nil {
				return nil, err
			}
			if err := tx.guardNotes(ctx, a, texts, guards); err != nil {
				return nil, err
			}
		}
		if in.SiteID != nil && *in.SiteID != "" {
			if err := tx.activeSite(ctx, *in.SiteID); err != nil {
				return nil, err
			}
		}
		details := map[string]any{}
		if in.Name != nil && *in.Name != p.Name {
			details["name"], details["previous_name"] = *in.Name, p.Name
			p.Name = *in.Name
		}
		if in.SiteID != nil && *in.SiteID != p.SiteID {
			details["site_id"], details["previous_site_id"] = *in.SiteID, p.SiteID
			p.SiteID = *in.SiteID
		}
		if in.Location != nil && *in.Location != p.Location {
			details["location"], details["previous_location"] = *in.Location, p.Location
			p.Location = *in.Location
		}
		if in.Hooks != nil && *in.Hooks != p.Hooks {
			details["hooks"], details["previous_hooks"] = *in.Hooks, p.Hooks
			p.Hooks = *in.Hooks
		}
		if _, err := tx.Exec(ctx, `UPDATE storage_places SET name = ?, site_id = ?, location = ?, hooks = ? WHERE id = ?`,
			p.Name, nullStr(p.SiteID), p.Location, p.Hooks, id); err != nil {
			return nil, fmt.Errorf("store: update storage place: %w", err)
		}
		return p, tx.storageEvent(ctx, a, id, "update", "", details)
	})
	return p, s.db.noteRefused(ctx, a, "storage", id, err)
}

// RetireEmpty retires a storage place that no key calls home; a place with
// keys is ECONFLICT naming them (move them first, or Retire to unhome them).
func (s *Storage) RetireEmpty(ctx context.Context, a keyward.Actor, id string) (*keyward.StoragePlace, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActStorageEdit, "storage", id); err != nil {
		return nil, err
	}
	return inTx(ctx, s.db, func(tx *Tx) (*keyward.StoragePlace, error) {
		if _, err := tx.storagePlace(ctx, id); err != nil {
			return nil, err
		}
		rows, err := tx.Query(ctx, `SELECT k.symbol, k.copy_number FROM key_homes h JOIN keys k ON k.id = h.key_id
			WHERE h.storage_id = ? ORDER BY k.symbol, k.copy_number`, id)
		if err != nil {
			return nil, fmt.Errorf("store: homed keys: %w", err)
		}
		var stamps []string
		for rows.Next() {
			var sym string
			var n int
			if err := rows.Scan(&sym, &n); err != nil {
				rows.Close()
				return nil, err
			}
			stamps = append(stamps, stamp(sym, n))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if len(stamps) > 0 {
			return nil, keyward.Errorf(keyward.ECONFLICT, "keys still belong here: %s; give them another place first", strings.Join(stamps, ", "))
		}
		return tx.retireStorage(ctx, a, id)
	})
}

// Restore puts a retired storage place back in use.
func (s *Storage) Restore(ctx context.Context, a keyward.Actor, id string) (*keyward.StoragePlace, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActStorageEdit, "storage", id); err != nil {
		return nil, err
	}
	return inTx(ctx, s.db, func(tx *Tx) (*keyward.StoragePlace, error) {
		p, err := tx.storagePlace(ctx, id)
		if err != nil {
			return nil, err
		}
		res, err := tx.Exec(ctx, `UPDATE storage_places SET retired_at = NULL WHERE id = ? AND retired_at IS NOT NULL`, id)
		if err != nil {
			return nil, fmt.Errorf("store: restore: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, keyward.Errorf(keyward.ECONFLICT, "storage place %s is not retired", p.Name)
		}
		p.RetiredAt = nil
		return p, tx.storageEvent(ctx, a, id, "restore", "", nil)
	})
}

// BreakSeal records an envelope opened: the reason, the broken seal and the
// new one. ECONFLICT for anything but an envelope.
func (s *Storage) BreakSeal(ctx context.Context, a keyward.Actor, id string, in keyward.BreakSealInput) (*keyward.StoragePlace, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCustody, "storage", id); err != nil {
		return nil, err
	}
	return inTx(ctx, s.db, func(tx *Tx) (*keyward.StoragePlace, error) {
		p, err := tx.placeOfKind(ctx, id, keyward.StorageEnvelope, "a sealed envelope")
		if err != nil {
			return nil, err
		}
		if err := in.Validate(p.SealNumber); err != nil {
			return nil, err
		}
		if err := tx.breakSeal(ctx, a, &keyward.SealBreak{StorageID: id, Name: p.Name, Broken: p.SealNumber, New: in.NewSealNumber, Reason: in.Reason}, nil); err != nil {
			return nil, err
		}
		p.SealNumber = in.NewSealNumber
		return p, nil
	})
}

// Acknowledge records the owner's acknowledgement of a designated holder now.
func (s *Storage) Acknowledge(ctx context.Context, a keyward.Actor, id string) (*keyward.StoragePlace, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActStorageEdit, "storage", id); err != nil {
		return nil, err
	}
	return inTx(ctx, s.db, func(tx *Tx) (*keyward.StoragePlace, error) {
		p, err := tx.placeOfKind(ctx, id, keyward.StorageHolder, "a designated holder")
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE storage_places SET acknowledged_at = ? WHERE id = ?`, ts(tx.now), id); err != nil {
			return nil, fmt.Errorf("store: acknowledge: %w", err)
		}
		now := tx.now
		p.AcknowledgedAt = &now
		return p, tx.storageEvent(ctx, a, id, "acknowledge", "", nil)
	})
}

// placeOfKind reads a storage place that an action applies to only if it is
// of kind (what names that kind in the refusal); another kind is ECONFLICT.
func (t *Tx) placeOfKind(ctx context.Context, id, kind, what string) (*keyward.StoragePlace, error) {
	p, err := t.storagePlace(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.Kind != kind {
		return nil, keyward.Errorf(keyward.ECONFLICT, "storage place %s is a %s, not %s", p.Name, p.Kind, what)
	}
	return p, nil
}

// Retire takes a storage place out of use; the keys homed there lose their home
// (the audit record lists them), so they show as needing a new place.
func (s *Storage) Retire(ctx context.Context, a keyward.Actor, id string) (*keyward.StoragePlace, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActStorageEdit, "storage", id); err != nil {
		return nil, err
	}
	return inTx(ctx, s.db, func(tx *Tx) (*keyward.StoragePlace, error) {
		return tx.retireStorage(ctx, a, id)
	})
}

func (t *Tx) retireStorage(ctx context.Context, a keyward.Actor, id string) (*keyward.StoragePlace, error) {
	p, err := t.storagePlace(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.RetiredAt != nil {
		return nil, keyward.Errorf(keyward.ECONFLICT, "storage place %s is already retired", p.Name)
	}
	rows, err := t.Query(ctx, `SELECT key_id FROM key_homes WHERE storage_id = ? ORDER BY key_id`, id)
	if err != nil {
		return nil, fmt.Errorf("store: homed keys: %w", err)
	}
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, err
		}
		keys = append(keys, k)
	}
	rows.Close()
	if _, err := t.Exec(ctx, `DELETE FROM key_homes WHERE storage_id = ?`, id); err != nil {
		return nil, fmt.Errorf("store: clear homes: %w", err)
	}
	res, err := t.Exec(ctx, `UPDATE storage_places SET retired_at = ? WHERE id = ? AND retired_at IS NULL`, ts(t.now), id)
	if err != nil {
		return nil, fmt.Errorf("store: retire: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, keyward.Errorf(keyward.ECONFLICT, "storage place %s is already retired", p.Name)
	}
	now := t.now
	p.RetiredAt = &now
	details := map[string]any{}
	if len(keys) > 0 {
		details["unhomed_keys"] = keys
	}
	if err := t.storageEvent(ctx, a, id, "retire", "", details); err != nil {
		return nil, err
	}
	if p.DiscardsCodeOnRetire() {
		// Crypto-shred: the sealed code is deleted with the retirement, so a
		// retired lockbox's code cannot be opened again from this database.
		if _, err := t.Exec(ctx, `UPDATE storage_places SET code_sealed = NULL, code_discarded_at = ? WHERE id = ?`, ts(now), id); err != nil {
			return nil, fmt.Errorf("store: discard lockbox code: %w", err)
		}
		p.HasCode, p.CodeDiscardedAt = false, &now
		if err := t.storageEvent(ctx, a, id, "code.discard", "", map[string]any{"because": "retired"}); err != nil {
			return nil, err
		}
	}
	return p, nil
}
