package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/vault"
)

// Custody implements keyward.Custody: stamped keys and their logbook.
type Custody struct {
	db *DB
	// vault opens the code of the lockbox a moved key lives in, so a move's
	// note cannot hold it (guardNotes); without it notes are not checked.
	vault *vault.Key
}

// Custody returns the logbook service.
func (d *DB) Custody() *Custody { return &Custody{db: d} }

// WithVault is the service that also refuses a move's note holding the code
// of the lockbox the key lives in, opened with v.
func (s *Custody) WithVault(v *vault.Key) *Custody { return &Custody{db: s.db, vault: v} }

var _ keyward.Custody = (*Custody)(nil)

const keyCols = `id, keyway_id, symbol, copy_number, status, COALESCE(holder_id, ''), due_at, created_at, origin, COALESCE(copy_request_id, '')`

func scanKey(r interface{ Scan(...any) error }) (keyward.Key, error) {
	var k keyward.Key
	var due sql.NullString
	var at string
	err := r.Scan(&k.ID, &k.KeywayID, &k.Symbol, &k.CopyNumber, &k.Status, &k.HolderID, &due, &at, &k.Origin, &k.CopyRequestID)
	k.DueAt, k.CreatedAt = tsPtr(due), parseTS(at)
	k.Stamp = stamp(k.Symbol, k.CopyNumber)
	return k, err
}

func stamp(symbol string, copy int) string { return symbol + "-" + strconv.Itoa(copy) }

func (s *Custody) CreateKey(ctx context.Context, a keyward.Actor, in keyward.KeyInput) (*keyward.Key, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActKeyCreate, "key", ""); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if in.NewKeyway != nil || len(in.OpeningIDs) > 0 {
		// A new keyway and a door's keying schedule are the directory's.
		if err := s.db.recordDenial(ctx, a, keyward.ActInventoryEdit, "key", ""); err != nil {
			return nil, err
		}
	}
	var refused error
	var policy string
	k, err := inTx(ctx, s.db, func(tx *Tx) (*keyward.Key, error) {
		if in.NewKeyway != nil {
			kw, err := tx.insertKeyway(ctx, a, *in.NewKeyway, "new_keyway.name")
			if err != nil {
				return nil, err
			}
			in.KeywayID = kw.ID
		}
		// A plain create registers a copy that exists: of a dnd or
		// restricted keyway, only an owner or admin may (new copies go
		// through a copy request).
		if err := tx.QueryRow(ctx, `SELECT duplication_policy FROM keyways WHERE id = ?`, in.KeywayID).Scan(&policy); err == nil {
			if refused = keyward.MayCreateKeyDirectly(a.Role, policy); refused != nil {
				return nil, refused
			}
		}
		k, err := tx.createKey(ctx, a, in, keyward.StatusInStorage, "", nil, keyOrigin{kind: keyward.OriginRegistered})
		if err != nil {
			return nil, err
		}
		return k, tx.scheduleKey(ctx, a, k, in.OpeningIDs)
	})
	if refused != nil {
		return nil, s.db.recordRefusal(ctx, a, string(keyward.ActKeyCreate), "keyway", in.KeywayID,
			map[string]any{"symbol": in.Symbol, "policy": policy}, refused)
	}
	return k, err
}

// scheduleKey lists a new key's symbol on the keying schedule of each
// opening (left as it is where the symbol is listed already), each with its
// audit record. An unknown or retired opening refuses the whole create.
func (tx *Tx) scheduleKey(ctx context.Context, a keyward.Actor, k *keyward.Key, openingIDs []string) error {
	for _, id := range openingIDs {
		var retired sql.NullString
		if err := tx.QueryRow(ctx, `SELECT retired_at FROM openings WHERE id = ?`, id).Scan(&retired); err != nil || retired.Valid {
			if err != nil && err != sql.ErrNoRows {
				return fmt.Errorf("store: read opening: %w", err)
			}
			return keyward.Invalid("opening_ids", "must name doors that exist and are not retired")
		}
		res, err := tx.Exec(ctx, `INSERT INTO opening_symbols (opening_id, symbol, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, id, k.Symbol, ts(tx.now))
		if err != nil {
			return fmt.Errorf("store: insert opening symbol: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue // the symbol already opens this door
		}
		if _, err := tx.record(ctx, a, "opening.symbol.add", "opening", id, map[string]any{"symbol": k.Symbol, "key_id": k.ID}); err != nil {
			return err
		}
	}
	return nil
}

// keyOrigin is how a new copy comes under control (keyward.OriginRegistered…),
// the copy request it was cut for, and its logbook note.
type keyOrigin struct {
	kind, requestID, note string
}

// createKey stamps a copy; a zero copy number takes the next one for the symbol.
// The UNIQUE (symbol, copy_number) constraint settles two concurrent creates.
func (t *Tx) createKey(ctx context.Context, a keyward.Actor, in keyward.KeyInput, status, holderID string, due *time.Time, origin keyOrigin) (*keyward.Key, error) {
	if err := t.activeKeyway(ctx, in.KeywayID); err != nil {
		return nil, err
	}
	n := in.CopyNumber
	if n == 0 {
		if err := t.QueryRow(ctx, `SELECT COALESCE(MAX(copy_number), 0) + 1 FROM keys WHERE symbol = ?`, in.Symbol).Scan(&n); err != nil {
			return nil, fmt.Errorf("store: next copy number: %w", err)
		}
	}
	k := &keyward.Key{ID: newID("key"), KeywayID: in.KeywayID, Symbol: in.Symbol, CopyNumber: n, Stamp: stamp(in.Symbol, n),
		Status: status, HolderID: holderID, DueAt: due, CreatedAt: t.now, Origin: origin.kind, CopyRequestID: origin.requestID}
	if _, err := t.Exec(ctx, `INSERT INTO keys (id, keyway_id, symbol, copy_number, status, holder_id, due_at, created_at, origin, copy_request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.KeywayID, k.Symbol, k.CopyNumber, k.Status, nullStr(holderID), nullTS(due), ts(k.CreatedAt), k.Origin, nullStr(k.CopyRequestID)); err != nil {
		if isUnique(err) {
			return nil, &keyward.Error{Code: keyward.ECONFLICT, Message: fmt.Sprintf("key %s already exists", k.Stamp),
				Fields: []keyward.FieldError{{Field: "copy_number", Rule: "must be unique for the symbol"}}}
		}
		return nil, fmt.Errorf("store: insert key: %w", err)
	}
	if err := t.logEvent(ctx, a, &keyward.Move{Action: keyward.CustodyCreate, Key: *k, Recipient: holderID, LineHolder: holderID, DueAt: due, Note: origin.note}); err != nil {
		return nil, err
	}
	return k, nil
}

// UpdateKey edits what is not stamped on a key: its keyway. The
// stamp's symbol and copy number are refused (keyward.RuleStamped).
func (s *Custody) UpdateKey(ctx context.Context, a keyward.Actor, id string, in keyward.KeyPatch) (*keyward.Key, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActKeyCreate, "key", id); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return inTx(ctx, s.db, func(tx *Tx) (*keyward.Key, error) {
		k, err := tx.key(ctx, id)
		if err != nil {
			return nil, err
		}
		details := map[string]any{"stamp": k.Stamp}
		if in.KeywayID != nil && *in.KeywayID != k.KeywayID {
			if err := tx.activeKeyway(ctx, *in.KeywayID); err != nil {
				return nil, err
			}
			details["keyway_id"], details["previous_keyway_id"] = *in.KeywayID, k.KeywayID
			k.KeywayID = *in.KeywayID
		}
		if _, err := tx.Exec(ctx, `UPDATE keys SET keyway_id = ? WHERE id = ?`, k.KeywayID, id); err != nil {
			return nil, fmt.Errorf("store: update key: %w", err)
		}
		if _, err := tx.record(ctx, a, "key.update", "key", id, details); err != nil {
			return nil, err
		}
		return k, nil
	})
}

// eventDetails is what the audit record of a custody event says.
func eventDetails(k *keyward.Key, holderID string, due *time.Time, note string) map[string]any {
	details := map[string]any{"stamp": k.Stamp, "status": k.Status}
	if holderID != "" {
		details["holder_id"] = holderID
	}
	if due != nil {
		details["due_at"] = due.UTC().Format(time.RFC3339)
	}
	if note != "" {
		details["note"] = note
	}
	return details
}

// logEvent writes the audit record and the logbook line of one custody move.
func (t *Tx) logEvent(ctx context.Context, a keyward.Actor, m *keyward.Move) error {
	seq, err := t.recordEvent(ctx, a, m)
	if err != nil {
		return err
	}
	if _, err := t.Exec(ctx, `INSERT INTO custody_events `+eventCols+` VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, t.eventRow(a, m, seq)...); err != nil {
		return fmt.Errorf("store: insert custody event: %w", err)
	}
	return nil
}

// recordEvent chains the audit record of one custody move.
func (t *Tx) recordEvent(ctx context.Context, a keyward.Actor, m *keyward.Move) (int64, error) {
	details := eventDetails(&m.Key, m.Recipient, m.DueAt, m.Note)
	if m.Action == keyward.CustodyCreate {
		// How the copy came under control: registered by hand, or produced.
		details["origin"] = m.Key.Origin
		if m.Key.CopyRequestID != "" {
			details["copy_request_id"] = m.Key.CopyRequestID
		}
	}
	return t.record(ctx, a, "key."+m.Action, "key", m.Key.ID, details)
}

const eventCols = `(id, key_id, action, at, actor, actor_role, holder_id, from_holder_id, due_at, note, audit_seq)`

// eventRow is the logbook line of a move, in eventCols' order.
func (t *Tx) eventRow(a keyward.Actor, m *keyward.Move, seq int64) []any {
	return []any{newID("evt"), m.Key.ID, m.Action, ts(t.now), actorName(a), string(a.Role), nullStr(m.LineHolder), nullStr(m.Giver), nullTS(m.DueAt), m.Note, seq}
}

// moveKey makes a planned move: the key's update, guarded by the status and
// holder the plan was made on, and its logbook line and audit record. It
// reports false, having written nothing, when the guard no longer holds. On
// PostgreSQL the update and the line are one statement: a move runs while
// its batch holds the chain head, and each round trip there is paid by every
// move queued behind it.
//
// With facts, the update also requires the key's home and the recipient's
// standing to be as the plan found them (a plan made outside the batch).
func (t *Tx) moveKey(ctx context.Context, a keyward.Actor, m *keyward.Move, checkoutID sql.NullString, facts *movePlan) (bool, error) {
	keep := 0
	if m.KeepCheckout {
		keep = 1
	}
	from, fromArgs := statusIn("status", m.From)
	update := `UPDATE keys SET status = ?, holder_id = ?, due_at = ?, checkout_id = CASE WHEN ? = 1 THEN checkout_id ELSE ? END
		WHERE id = ? AND COALESCE(holder_id, '') = ? AND ` + from
	args := append([]any{m.Key.Status, nullStr(m.Key.HolderID), nullTS(m.Key.DueAt), keep, checkoutID, m.Key.ID, m.PrevHolder}, fromArgs...)
	if facts != nil {
		// The due time too: a move that keeps it (a transfer) writes the one
		// it read, which a check-in and a new check-out meanwhile would change
		// under the same status and holder.
		update += ` AND COALESCE(due_at, '') = ? AND ` + homeFact + ` = ? AND ` + recipientFact + ` = ?`
		args = append(args, facts.due, m.Key.ID, facts.home, facts.holderID, facts.recipient)
	}
	// A guarded update that changed no row wrote nothing: a batch may go on.
	wrote := t.wrote
	if t.db.dialect != postgresDialect {
		res, err := t.Exec(ctx, update, args...)
		if err != nil {
			return false, fmt.Errorf("store: update key: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			t.wrote = wrote
			return false, nil
		}
		return true, t.logEvent(ctx, a, m)
	}
	head, unwritten := t.head, slices.Clip(t.unwritten)
	seq, err := t.recordEvent(ctx, a, m)
	if err != nil {
		return false, err
	}
	// The line's key_id comes from the updated row; every other value is bound.
	row := t.eventRow(a, m, seq)
	args = append(append(args, row[0]), row[2:]...)
	res, err := t.Exec(ctx, `WITH moved AS (`+update+` RETURNING id)
		INSERT INTO custody_events `+eventCols+` SELECT ?, id, ?, ?, ?, ?, ?, ?, ?, ?, ?::bigint FROM moved`, args...)
	if err != nil {
		return false, fmt.Errorf("store: update key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.head, t.unwritten, t.wrote = head, unwritten, wrote // the record of a move not made
		return false, nil
	}
	return true, nil
}

// statusIn is "column IN (?, ?, ...)" over statuses, with its arguments: the
// store's status lists come from the rules in keyward, never from literals.
func statusIn(column string, statuses []string) (string, []any) {
	args := make([]any, len(statuses))
	for i, s := range statuses {
		args[i] = s
	}
	return column + ` IN (` + marks(len(statuses)) + `)`, args
}

func (t *Tx) key(ctx context.Context, id string) (*keyward.Key, error) {
	k, err := scanKey(t.QueryRow(ctx, `SELECT `+keyCols+` FROM keys WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "key", id)
	}
	return &k, nil
}

// transitionConflict is the 409 of a guarded key update that changed no row.
// The key read before the update may be stale (on PostgreSQL another
// transaction can commit in between), so the message is built from the key
// as it is now.
func (t *Tx) transitionConflict(ctx context.Context, stale *keyward.Key, action string) error {
	k, err := t.key(ctx, stale.ID)
	if err != nil {
		return err
	}
	return keyward.TransitionConflict(k, action)
}

func (s *Custody) Key(ctx context.Context, a keyward.Actor, id string) (*keyward.Key, error) {
	k, err := scanKey(s.db.queryRow(ctx, `SELECT `+keyCols+` FROM keys WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "key", id)
	}
	if !(a.Role == keyward.RoleHolder && a.HolderID != "" && k.HolderID == a.HolderID) {
		if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
			return nil, err
		}
	}
	return &k, nil
}

// Keys lists keys ordered by symbol and copy number.
func (s *Custody) Keys(ctx context.Context, a keyward.Actor, f keyward.KeyFilter) (*keyward.Page[keyward.Key], error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	if f.Status != "" && !slices.Contains(keyward.KeyStatuses, f.Status) {
		return nil, keyward.Invalid("status", "must be one of "+strings.Join(keyward.KeyStatuses, ", "))
	}
	limit := clampLimit(f.Limit)
	q := `SELECT ` + keyCols + ` FROM keys WHERE 1 = 1`
	var args []any
	if f.Symbol != "" {
		q += ` AND symbol = ?`
		args = append(args, f.Symbol)
	}
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, f.Status)
	}
	if f.HolderID != "" {
		q += ` AND holder_id = ?`
		args = append(args, f.HolderID)
	}
	if f.Query != "" {
		// A prefix as a range, so both backends use the (symbol, copy_number) index.
		// Symbols are stamped in capitals, but the case is kept as entered: a
		// search finds the symbol as typed, in capitals and in lower case.
		q += ` AND ((symbol >= ? AND symbol < ?) OR (symbol >= ? AND symbol < ?) OR (symbol >= ? AND symbol < ?))`
		up, low := strings.ToUpper(f.Query), strings.ToLower(f.Query)
		args = append(args, f.Query, f.Query+"\U0010FFFF", up, up+"\U0010FFFF", low, low+"\U0010FFFF")
	}
	if f.Cursor != "" {
		p, err := decodeCursor(f.Cursor, 2)
		if err != nil {
			return nil, err
		}
		n, err := strconv.Atoi(p[1])
		if err != nil {
			return nil, keyward.Invalid("cursor", "is not a cursor this list returned")
		}
		q += ` AND (symbol > ? OR (symbol = ? AND copy_number > ?))`
		args = append(args, p[0], p[0], n)
	}
	q += ` ORDER BY symbol, copy_number LIMIT ?`
	args = append(args, limit+1)
	keys, err := s.db.scanKeys(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	page := &keyward.Page[keyward.Key]{Items: keys}
	if len(keys) > limit {
		page.Items = keys[:limit]
		last := keys[limit-1]
		page.Next = encodeCursor(last.Symbol, strconv.Itoa(last.CopyNumber))
	}
	return page, nil
}

func (d *DB) scanKeys(ctx context.Context, q string, args ...any) ([]keyward.Key, error) {
	rows, err := d.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list keys: %w", err)
	}
	defer rows.Close()
	keys := []keyward.Key{}
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan key: %w", err)
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// HolderKeys lists the keys a holder has now (issued or checked out to them).
func (s *Custody) HolderKeys(ctx context.Context, a keyward.Actor, holderID string) ([]keyward.Key, error) {
	if a.Role != keyward.RoleHolder || a.HolderID != holderID {
		if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
			return nil, err
		}
	}
	var one int
	if err := s.db.queryRow(ctx, `SELECT 1 FROM holders WHERE id = ?`, holderID).Scan(&one); err != nil {
		return nil, notFound(err, "holder", holderID)
	}
	held, args := statusIn("status", keyward.HeldStatuses)
	return s.db.scanKeys(ctx, `SELECT `+keyCols+` FROM keys WHERE holder_id = ? AND `+held+` ORDER BY symbol, copy_number`, append([]any{holderID}, args...)...)
}

func (s *Custody) Checkout(ctx context.Context, a keyward.Actor, keyID string, in keyward.CheckoutInput) (*keyward.Key, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCustody, "key", keyID); err != nil {
		return nil, err
	}
	if err := in.Validate(s.db.Now()); err != nil {
		return nil, err
	}
	due := in.DueAt.UTC()
	return s.move(ctx, a, keyID, keyward.MoveRequest{Action: keyward.CustodyCheckout, HolderID: in.HolderID, DueAt: &due, Note: in.Note, NewSealNumber: in.NewSealNumber})
}

func (s *Custody) Checkin(ctx context.Context, a keyward.Actor, keyID string, in keyward.CheckinInput) (*keyward.Key, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCustody, "key", keyID); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return s.move(ctx, a, keyID, keyward.MoveRequest{Action: keyward.CustodyCheckin, Note: in.Note, NewSealNumber: in.NewSealNumber})
}

// Move applies issue, return, transfer, lost, found or destroy.
func (s *Custody) Move(ctx context.Context, a keyward.Actor, keyID, action string, in keyward.CustodyInput) (*keyward.Key, error) {
	if err := s.db.recordDenial(ctx, a, keyward.CustodyPolicy(action), "key", keyID); err != nil {
		return nil, err
	}
	r := in.Request(action)
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return s.move(ctx, a, keyID, r)
}

// move makes one custody move in its own commit, or in one shared with the
// moves that arrive while a commit is in flight (groupcommit.go).
func (s *Custody) move(ctx context.Context, a keyward.Actor, keyID string, r keyward.MoveRequest) (*keyward.Key, error) {
	var out *keyward.Key
	// On PostgreSQL a batch of moves holds the audit chain head, and every
	// round trip there is paid by the moves queued behind it: the move is
	// read and decided before it queues, and in the batch it is one guarded
	// statement. If anything the plan was made on changed meanwhile, it is
	// read and decided again there. (A note is checked against a lockbox code
	// in the batch, so a move with a note takes that path.)
	var ahead *movePlan
	if s.db.dialect == postgresDialect && r.Note == "" {
		ahead, _ = planMove(ctx, poolQuerier{s.db}, a, keyID, r) // a refusal is decided again in the batch
	}
	err := s.db.moveTx(ctx, func(ctx context.Context, tx *Tx) error {
		if ahead != nil {
			moved, made, err := tx.makeMove(ctx, a, ahead, true)
			if err != nil || made {
				out = moved
				return err
			}
		}
		if err := tx.guardKeyNote(ctx, a, s.vault, keyID, r.Note); err != nil {
			return err
		}
		var err error
		out, err = tx.move(ctx, a, keyID, r)
		return err
	})
	if err != nil {
		return nil, s.db.noteRefused(ctx, a, "key", keyID, err)
	}
	return out, nil
}

// move is the one custody move: it reads the key, lets keyward.PlanMove
// decide, and makes the plan with an update guarded by the status and holder
// the plan was made on. Of two concurrent moves of one key, the second
// changes no row and gets ECONFLICT.
func (t *Tx) move(ctx context.Context, a keyward.Actor, keyID string, r keyward.MoveRequest) (*keyward.Key, error) {
	p, err := planMove(ctx, t, a, keyID, r)
	if err != nil {
		return nil, err
	}
	out, made, err := t.makeMove(ctx, a, p, false)
	if err != nil {
		return nil, err
	}
	if !made {
		return nil, t.transitionConflict(ctx, p.key, p.move.Action)
	}
	return out, nil
}

// movePlan is a move decided on what moveSubject read, with the facts it
// was decided on.
type movePlan struct {
	key  *keyward.Key
	move *keyward.Move
	seal *keyward.SealBreak
	// due is the key's due time as stored; home and recipient are where the
	// key is kept and the standing of the holder read as the recipient
	// (holderID), in the form of homeFact and recipientFact.
	due, home, holderID, recipient string
}

// planMove reads the key, its home and the recipient, and asks the rules.
func planMove(ctx context.Context, q rowQuerier, a keyward.Actor, keyID string, r keyward.MoveRequest) (*movePlan, error) {
	k, home, to, facts, err := moveSubject(ctx, q, keyID, r.HolderID)
	if err != nil {
		return nil, err
	}
	if r.HolderID != "" {
		if err := to.MayReceive(); err != nil {
			return nil, err
		}
	}
	m, err := keyward.PlanMove(a, *k, r)
	if err != nil {
		return nil, err
	}
	// A key kept in a sealed envelope that leaves storage or comes back opens
	// the envelope: the rules ask for its new seal before anything changes.
	seal, err := keyward.PlanMoveSeal(m, home, r.NewSealNumber)
	if err != nil {
		return nil, err
	}
	return &movePlan{key: k, move: m, seal: seal, due: facts.due, home: facts.home, holderID: r.HolderID, recipient: facts.recipient}, nil
}

// makeMove writes a planned move. It reports false, having written nothing,
// when the key's status or holder changed since the plan was made, or, with
// sameFacts, when its due time, its home or the recipient's standing did.
func (t *Tx) makeMove(ctx context.Context, a keyward.Actor, p *movePlan, sameFacts bool) (*keyward.Key, bool, error) {
	m := p.move
	checkoutID := sql.NullString{}
	if m.NewCheckout {
		checkoutID = nullStr(newID("co"))
	}
	var facts *movePlan
	if sameFacts {
		facts = p
	}
	made, err := t.moveKey(ctx, a, m, checkoutID, facts)
	if err != nil || !made {
		return nil, false, err
	}
	if p.seal != nil {
		if err := t.breakSeal(ctx, a, p.seal, map[string]any{"key_id": p.key.ID, "stamp": p.key.Stamp, "custody": m.Action}); err != nil {
			return nil, false, err
		}
	}
	if err := t.keyMoved(ctx, a, m); err != nil {
		return nil, false, err
	}
	out := m.Key
	if m.Action == keyward.CustodyDestroy {
		if err := t.releaseHome(ctx, a, &out); err != nil {
			return nil, false, err
		}
	}
	if err := t.keySystemLost(ctx, a, &out, m.Action); err != nil {
		return nil, false, err
	}
	return &out, true, nil
}

// homeFact and recipientFact are, in SQL, where a key is kept (its place and
// seal) and a holder's standing (retired, leaving): what a plan made outside
// the batch must find unchanged. moveSubject returns them in the same form.
const (
	homeFact      = `COALESCE((SELECT h.storage_id || ':' || p.seal_number FROM key_homes h JOIN storage_places p ON p.id = h.storage_id WHERE h.key_id = ?), '')`
	recipientFact = `COALESCE((SELECT COALESCE(r.retired_at, '') || ':' || COALESCE(` + leavingSince + `, '') FROM holders r WHERE r.id = ?), '')`
)

type subjectFacts struct{ due, home, recipient string }

// moveSubject reads, in one query, what a move decides on: the key, where
// it is kept (nil if nowhere), and what the rules need to know of the holder
// it would go to (Found false when holderID is empty or unknown).
func moveSubject(ctx context.Context, q rowQuerier, keyID, holderID string) (*keyward.Key, *keyward.KeyHome, *keyward.Recipient, subjectFacts, error) {
	var k keyward.Key
	var due, home, leaving, retired, name sql.NullString
	var at string
	var h keyward.KeyHome
	var facts subjectFacts
	err := q.QueryRow(ctx, `SELECT `+keyColsK+`,
			h.storage_id, COALESCE(p.name, ''), COALESCE(p.kind, ''), COALESCE(h.hook, 0), COALESCE(p.seal_number, ''),
			r.name, `+leavingSince+`, r.retired_at
		FROM keys k
		LEFT JOIN key_homes h ON h.key_id = k.id
		LEFT JOIN storage_places p ON p.id = h.storage_id
		LEFT JOIN holders r ON r.id = ?
		WHERE k.id = ?`, holderID, keyID).Scan(&k.ID, &k.KeywayID, &k.Symbol, &k.CopyNumber, &k.Status, &k.HolderID, &due, &at, &k.Origin, &k.CopyRequestID,
		&home, &h.StorageName, &h.StorageKind, &h.Hook, &h.SealNumber,
		&name, &leaving, &retired)
	if err != nil {
		return nil, nil, nil, facts, notFound(err, "key", keyID)
	}
	k.DueAt, k.CreatedAt, k.Stamp = tsPtr(due), parseTS(at), stamp(k.Symbol, k.CopyNumber)
	facts.due = due.String
	var where *keyward.KeyHome
	if home.Valid {
		h.KeyID, h.StorageID = k.ID, home.String
		where = &h
		facts.home = home.String + ":" + h.SealNumber
	}
	if name.Valid {
		facts.recipient = retired.String + ":" + leaving.String
	}
	to := &keyward.Recipient{Found: name.Valid, Name: name.String, LeavingSince: tsPtr(leaving), RetiredAt: tsPtr(retired)}
	return &k, where, to, facts, nil
}

// History is the key's logbook, oldest first, paged by audit sequence.
func (s *Custody) History(ctx context.Context, a keyward.Actor, keyID string, opt keyward.ListOptions) (*keyward.Page[keyward.Event], error) {
	if _, err := s.Key(ctx, a, keyID); err != nil {
		return nil, err
	}
	limit := clampLimit(opt.Limit)
	after, err := seqCursor(opt.Cursor, 0)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.query(ctx, `SELECT id, key_id, action, at, actor, actor_role, COALESCE(holder_id, ''), due_at, note, audit_seq
		FROM custody_events WHERE key_id = ? AND audit_seq > ? ORDER BY audit_seq LIMIT ?`, keyID, after, limit+1)
	if err != nil {
		return nil, fmt.Errorf("store: history: %w", err)
	}
	return seqPage(rows, limit, func(rows *sql.Rows) (keyward.Event, int64, error) {
		var e keyward.Event
		var at string
		var due sql.NullString
		var seq int64
		if err := rows.Scan(&e.ID, &e.KeyID, &e.Action, &at, &e.Actor, &e.ActorRole, &e.HolderID, &due, &e.Note, &seq); err != nil {
			return e, 0, fmt.Errorf("store: scan event: %w", err)
		}
		e.At, e.DueAt = parseTS(at), tsPtr(due)
		return e, seq, nil
	})
}
