package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/vault"
)

// Duplication implements keyward.Duplication: copy requests and their
// workflow, each keyway's signatories and sealed authorization card, the
// organization's copy settings, and the count of every copy (copycount.go).
// Every step locks the request's row, asks keyward.CheckCopyStep, and
// writes the new state, the request's history line and the audit record in
// one transaction.
type Duplication struct {
	db    *DB
	vault *vault.Key
}

// Duplication returns the copy-control service; v seals authorization
// cards and opens bittings to say what an uncontrolled copy opens.
func (d *DB) Duplication(v *vault.Key) *Duplication { return &Duplication{db: d, vault: v} }

// cardAAD binds a sealed card to its keyway: a sealed value copied to
// another keyway's row does not open.
func cardAAD(keywayID string) string { return "keyway-card:" + keywayID }

// copyRequestSelect reads a request with the names the answer shows; lock
// (PostgreSQL) locks the request's row only.
const copyRequestSelect = `SELECT r.id, r.state, r.key_id, pk.copy_number, r.keyway_id, kw.name, r.policy, r.symbol, r.copies, r.reason,
	COALESCE(r.for_holder_id, ''), COALESCE(fh.name, ''), r.requested_by, r.requester_name, r.approvals_required,
	COALESCE(r.evidence_signatory_id, ''), COALESCE(sh.name, ''), COALESCE(r.evidence_id_type, ''), COALESCE(r.evidence_id_last4, ''),
	COALESCE(r.evidence_checked_by, ''), COALESCE(r.evidence_checked_by_name, ''), r.evidence_checked_at,
	r.decision_reason, r.decided_by, r.created_at, r.updated_at
	FROM copy_requests r JOIN keyways kw ON kw.id = r.keyway_id JOIN keys pk ON pk.id = r.key_id
	LEFT JOIN holders fh ON fh.id = r.for_holder_id LEFT JOIN holders sh ON sh.id = r.evidence_signatory_id`

func scanCopyRequest(row interface{ Scan(...any) error }) (*keyward.CopyRequest, error) {
	var r keyward.CopyRequest
	var patternCopy int
	var ev keyward.CopyEvidence
	var checkedAt sql.NullString
	var created, updated string
	err := row.Scan(&r.ID, &r.State, &r.KeyID, &patternCopy, &r.KeywayID, &r.KeywayName, &r.Policy, &r.Symbol, &r.Count, &r.Reason,
		&r.ForHolderID, &r.ForHolderName, &r.RequestedBy, &r.RequesterName, &r.ApprovalsRequired,
		&ev.SignatoryHolderID, &ev.SignatoryName, &ev.IDType, &ev.IDLast4, &ev.CheckedBy, &ev.CheckedByName, &checkedAt,
		&r.DecisionReason, &r.DecidedBy, &created, &updated)
	if err != nil {
		return nil, err
	}
	r.Stamp = stamp(r.Symbol, patternCopy)
	r.CreatedAt, r.UpdatedAt = parseTS(created), parseTS(updated)
	if checkedAt.Valid {
		ev.CheckedAt, ev.CardMatched = parseTS(checkedAt.String), true
		r.Evidence = &ev
	}
	r.Approvals, r.Keys = []keyward.CopyApproval{}, []keyward.Key{}
	return &r, nil
}

// rowQuerier is what a request is read through: a transaction or the pool.
type rowQuerier interface {
	querier
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
}

func (p poolQuerier) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return p.d.queryRow(ctx, q, args...)
}

// copyRequest reads request id with its approvals and produced copies and
// locks its row for the rest of the transaction (on SQLite, the write
// transaction already holds the database).
func (t *Tx) copyRequest(ctx context.Context, id string) (*keyward.CopyRequest, error) {
	lock := ""
	if t.db.dialect == postgresDialect {
		lock = ` FOR UPDATE OF r`
	}
	return loadCopyRequest(ctx, t, id, lock)
}

// loadCopyRequest reads request id, its approvals and its produced copies;
// lock ends the request's query.
func loadCopyRequest(ctx context.Context, q rowQuerier, id, lock string) (*keyward.CopyRequest, error) {
	r, err := scanCopyRequest(q.QueryRow(ctx, copyRequestSelect+` WHERE r.id = ?`+lock, id))
	if err != nil {
		return nil, notFound(err, "copy request", id)
	}
	if err := loadCopyParts(ctx, q, r); err != nil {
		return nil, err
	}
	return r, nil
}

// loadCopyParts reads a request's approvals and produced copies.
func loadCopyParts(ctx context.Context, q querier, r *keyward.CopyRequest) error {
	rows, err := q.Query(ctx, `SELECT approver, approver_name, at FROM copy_approvals WHERE request_id = ? ORDER BY at, approver`, r.ID)
	if err != nil {
		return fmt.Errorf("store: copy approvals: %w", err)
	}
	for rows.Next() {
		var ap keyward.CopyApproval
		var at string
		if err := rows.Scan(&ap.By, &ap.ByName, &at); err != nil {
			rows.Close()
			return fmt.Errorf("store: scan copy approval: %w", err)
		}
		ap.At = parseTS(at)
		r.Approvals = append(r.Approvals, ap)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = q.Query(ctx, `SELECT `+keyCols+` FROM keys WHERE copy_request_id = ? ORDER BY copy_number`, r.ID)
	if err != nil {
		return fmt.Errorf("store: produced copies: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return fmt.Errorf("store: scan produced copy: %w", err)
		}
		r.Keys = append(r.Keys, k)
	}
	return rows.Err()
}

// loadCopyHistory reads a request's history, oldest first.
func loadCopyHistory(ctx context.Context, q querier, id string) ([]keyward.CopyRequestEvent, error) {
	rows, err := q.Query(ctx, `SELECT step, state, by_user, by_name, at, note FROM copy_request_events WHERE request_id = ? ORDER BY audit_seq`, id)
	if err != nil {
		return nil, fmt.Errorf("store: copy request history: %w", err)
	}
	defer rows.Close()
	out := []keyward.CopyRequestEvent{}
	for rows.Next() {
		var e keyward.CopyRequestEvent
		var at string
		if err := rows.Scan(&e.Step, &e.State, &e.By, &e.ByName, &at, &e.Note); err != nil {
			return nil, fmt.Errorf("store: scan copy request event: %w", err)
		}
		e.At = parseTS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// copySettings reads the organization's copy settings (the defaults before init).
func (t *Tx) copySettings(ctx context.Context) (keyward.CopySettings, error) {
	return loadCopySettings(ctx, t)
}

func loadCopySettings(ctx context.Context, q rowQuerier) (keyward.CopySettings, error) {
	s := keyward.DefaultCopySettings()
	var two int
	err := q.QueryRow(ctx, `SELECT copy_approvals_required, copy_two_person_rule FROM org LIMIT 1`).Scan(&s.ApprovalsRequired, &two)
	if errors.Is(err, sql.ErrNoRows) {
		return keyward.DefaultCopySettings(), nil
	}
	if err != nil {
		return s, fmt.Errorf("store: copy settings: %w", err)
	}
	s.TwoPersonRule = two == 1
	return s, nil
}

// actorDisplayName is the name a request's history shows for a: the user's
// name, else what the audit log calls them.
func (t *Tx) actorDisplayName(ctx context.Context, a keyward.Actor) string {
	var name string
	if err := t.QueryRow(ctx, `SELECT name FROM users WHERE id = ?`, a.UserID).Scan(&name); err == nil && name != "" {
		return name
	}
	return actorName(a)
}

// copyEvent writes the audit record ("copy." + step) and the request's
// history line of one step, which left the request in state.
func (t *Tx) copyEvent(ctx context.Context, a keyward.Actor, requestID, step, state, note string, details map[string]any) error {
	if details == nil {
		details = map[string]any{}
	}
	details["state"] = state
	if note != "" {
		details["note"] = note
	}
	seq, err := t.record(ctx, a, "copy."+step, "copy_request", requestID, details)
	if err != nil {
		return err
	}
	if _, err := t.Exec(ctx, `INSERT INTO copy_request_events (id, request_id, step, state, by_user, by_name, at, note, audit_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		newID("cre"), requestID, step, state, a.UserID, t.actorDisplayName(ctx, a), ts(t.now), note, seq); err != nil {
		return fmt.Errorf("store: insert copy request event: %w", err)
	}
	return nil
}

// RequestCopies opens a request for new copies of a key's symbol and
// keyway. The keyway's policy decides whether it needs a reason and how many
// approvals; an open keyway's request is approved at once.
func (s *Duplication) RequestCopies(ctx context.Context, a keyward.Actor, in keyward.CopyRequestInput) (*keyward.CopyRequest, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCopyRequest, "copy_request", ""); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var refused error
	var id string
	err := s.db.withTx(ctx, func(tx *Tx) error {
		k, err := tx.key(ctx, in.KeyID)
		if keyward.ErrorCode(err) == keyward.ENOTFOUND {
			return keyward.Invalid("key_id", "must name an existing key")
		} else if err != nil {
			return err
		}
		if refused = keyward.MayRequestCopies(a, *k, slices.Contains(keyward.HeldStatuses, k.Status), &in); refused != nil {
			return refused
		}
		var policy string
		var retired sql.NullString
		if err := tx.QueryRow(ctx, `SELECT duplication_policy, retired_at FROM keyways WHERE id = ?`, k.KeywayID).Scan(&policy, &retired); err != nil {
			return fmt.Errorf("store: keyway of key: %w", err)
		}
		if retired.Valid {
			return keyward.Invalid("key_id", "must be a key of a keyway that is not retired")
		}
		if err := keyward.CheckCopyRequest(policy, in); err != nil {
			return err
		}
		if in.ForHolderID != "" {
			if err := tx.active(ctx, "holders", "for_holder_id", "holder", in.ForHolderID); err != nil {
				return err
			}
		}
		set, err := tx.copySettings(ctx)
		if err != nil {
			return err
		}
		id = newID("cr")
		state, note := keyward.CopyRequested, ""
		if policy == keyward.DupOpen {
			state, note = keyward.CopyApproved, "approved at once: the keyway is freely copied"
		}
		if _, err := tx.Exec(ctx, `INSERT INTO copy_requests (id, state, key_id, keyway_id, symbol, policy, copies, reason, for_holder_id,
			requested_by, requester_name, approvals_required, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, state, k.ID, k.KeywayID, k.Symbol, policy, in.Count, in.Reason, nullStr(in.ForHolderID),
			a.UserID, tx.actorDisplayName(ctx, a), keyward.ApprovalsNeeded(policy, set), ts(tx.now), ts(tx.now)); err != nil {
			return fmt.Errorf("store: insert copy request: %w", err)
		}
		details := map[string]any{"key_id": k.ID, "stamp": k.Stamp, "keyway_id": k.KeywayID, "symbol": k.Symbol, "policy": policy, "count": in.Count}
		if in.Reason != "" {
			details["reason"] = in.Reason
		}
		if in.ForHolderID != "" {
			details["for_holder_id"] = in.ForHolderID
		}
		return tx.copyEvent(ctx, a, id, keyward.CopyStepRequest, state, note, details)
	})
	if refused != nil {
		return nil, s.db.recordRefusal(ctx, a, "copy.request", "key", in.KeyID, nil, refused)
	}
	if err != nil {
		return nil, err
	}
	return s.read(ctx, a, id)
}

// read returns a request with its history, as the actor may see it.
func (s *Duplication) read(ctx context.Context, a keyward.Actor, id string) (*keyward.CopyRequest, error) {
	q := poolQuerier{s.db}
	r, err := loadCopyRequest(ctx, q, id, "")
	if err != nil {
		return nil, err
	}
	if !r.VisibleTo(a) {
		return nil, keyward.Errorf(keyward.ENOTFOUND, "copy request %q not found", id)
	}
	if r.History, err = loadCopyHistory(ctx, q, id); err != nil {
		return nil, err
	}
	return r, nil
}

// CopyRequest returns one request with its history. A holder sees only the
// requests they made or that were made for them; another is ENOTFOUND.
func (s *Duplication) CopyRequest(ctx context.Context, a keyward.Actor, id string) (*keyward.CopyRequest, error) {
	if a.Role != keyward.RoleHolder {
		if err := s.db.recordDenial(ctx, a, keyward.ActCopyRead, "copy_request", id); err != nil {
			return nil, err
		}
	}
	return s.read(ctx, a, id)
}

// CopyRequests lists requests, newest first; states narrows the list. A
// holder lists only their own requests and those made for them.
func (s *Duplication) CopyRequests(ctx context.Context, a keyward.Actor, states []string, opt keyward.ListOptions) (keyward.Page[keyward.CopyRequest], error) {
	page := keyward.Page[keyward.CopyRequest]{Items: []keyward.CopyRequest{}}
	if a.Role != keyward.RoleHolder {
		if err := s.db.recordDenial(ctx, a, keyward.ActCopyRead, "copy_request", ""); err != nil {
			return page, err
		}
	}
	for _, st := range states {
		if !slices.Contains(keyward.CopyStates, st) {
			return page, keyward.Invalid("state", "must be one of "+strings.Join(keyward.CopyStates, ", "))
		}
	}
	limit := clampLimit(opt.Limit)
	q := copyRequestSelect + ` WHERE 1 = 1`
	var args []any
	if a.Role == keyward.RoleHolder {
		q += ` AND (r.requested_by = ? OR r.for_holder_id = ?)`
		args = append(args, a.UserID, nullStr(a.HolderID))
	}
	if len(states) > 0 {
		in, sargs := statusIn("r.state", states)
		q += ` AND ` + in
		args = append(args, sargs...)
	}
	if opt.Cursor != "" {
		p, err := decodeCursor(opt.Cursor, 2)
		if err != nil {
			return page, err
		}
		q += ` AND (r.created_at < ? OR (r.created_at = ? AND r.id < ?))`
		args = append(args, p[0], p[0], p[1])
	}
	q += ` ORDER BY r.created_at DESC, r.id DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := s.db.query(ctx, q, args...)
	if err != nil {
		return page, fmt.Errorf("store: list copy requests: %w", err)
	}
	for rows.Next() {
		r, err := scanCopyRequest(rows)
		if err != nil {
			rows.Close()
			return page, fmt.Errorf("store: scan copy request: %w", err)
		}
		page.Items = append(page.Items, *r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return page, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.Next = encodeCursor(ts(last.CreatedAt), last.ID)
	}
	for i := range page.Items {
		if err := loadCopyParts(ctx, poolQuerier{s.db}, &page.Items[i]); err != nil {
			return page, err
		}
	}
	return page, nil
}

// stepFunc does what a step changes beyond the request's state, on the
// request locked in tx; it may add to the audit record's details.
type stepFunc func(tx *Tx, r *keyward.CopyRequest, set keyward.CopySettings, details map[string]any) error

// step takes one workflow step on request id: it locks the request, lets
// keyward.CheckCopyStep decide, does what the step changes, and writes the
// new state, the history line and the audit record in one transaction. A
// refusal of the rule (EFORBIDDEN) is recorded in the audit log, and so is
// a refusal do returns in *refused.
func (s *Duplication) step(ctx context.Context, a keyward.Actor, id, step, note string, do stepFunc) (*keyward.CopyRequest, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCopyRequest, "copy_request", id); err != nil {
		return nil, err
	}
	var refused error
	err := s.db.withTx(ctx, func(tx *Tx) error {
		r, err := tx.copyRequest(ctx, id)
		if err != nil {
			return err
		}
		if !r.VisibleTo(a) {
			return keyward.Errorf(keyward.ENOTFOUND, "copy request %q not found", id)
		}
		// Lock order on PostgreSQL. A hand-over moves keys: it takes the
		// audit chain head first, after the request's row, as custody moves
		// do (chain head, then keys). Production inserts keys: it takes the
		// head last, after the new rows, as a plain create does.
		if step != keyward.CopyStepProduce {
			if _, err := tx.lockHead(ctx); err != nil {
				return err
			}
		}
		set, err := tx.copySettings(ctx)
		if err != nil {
			return err
		}
		if err := keyward.CheckCopyStep(r, step, a, set); err != nil {
			if keyward.ErrorCode(err) == keyward.EFORBIDDEN {
				refused = err
			}
			return err
		}
		return tx.takeStep(ctx, a, r, set, step, note, do, &refused)
	})
	if refused != nil {
		return nil, s.db.recordRefusal(ctx, a, "copy."+step, "copy_request", id, nil, refused)
	}
	if err != nil {
		return nil, err
	}
	return s.read(ctx, a, id)
}

// takeStep makes a step CheckCopyStep allowed on r, locked in t. do's
// refusals that are recorded (EFORBIDDEN; for evidence, a signatory or card
// that does not check out) are put in *refused, to be recorded once the
// transaction is rolled back.
func (t *Tx) takeStep(ctx context.Context, a keyward.Actor, r *keyward.CopyRequest, set keyward.CopySettings, step, note string, do stepFunc, refused *error) error {
	next := keyward.NextCopyState(r, step)
	details := map[string]any{"step": step}
	if do != nil {
		if err := do(t, r, set, details); err != nil {
			if c := keyward.ErrorCode(err); c == keyward.EFORBIDDEN || (c == keyward.EINVALID && step == keyward.CopyStepEvidence) {
				*refused = err
			}
			return err
		}
	}
	decided := ""
	switch step {
	case keyward.CopyStepDeny, keyward.CopyStepEscalate, keyward.CopyStepCancel:
		decided = actorName(a)
	default:
		note = ""
	}
	if decided != "" {
		if _, err := t.Exec(ctx, `UPDATE copy_requests SET state = ?, updated_at = ?, decision_reason = ?, decided_by = ? WHERE id = ?`,
			next, ts(t.now), note, decided, r.ID); err != nil {
			return fmt.Errorf("store: update copy request: %w", err)
		}
	} else if _, err := t.Exec(ctx, `UPDATE copy_requests SET state = ?, updated_at = ? WHERE id = ?`, next, ts(t.now), r.ID); err != nil {
		return fmt.Errorf("store: update copy request: %w", err)
	}
	if note == "" {
		note = stepNote(r, step, next)
	}
	r.State = next
	return t.copyEvent(ctx, a, r.ID, step, next, note, details)
}

// stepNote is the history line's note of a step that carries no reason.
func stepNote(r *keyward.CopyRequest, step, next string) string {
	switch step {
	case keyward.CopyStepApprove:
		if next != keyward.CopyApproved {
			return fmt.Sprintf("approval %d of %d", len(r.Approvals), r.ApprovalsRequired)
		}
	case keyward.CopyStepProduce:
		stamps := make([]string, len(r.Keys))
		for i, k := range r.Keys {
			stamps[i] = k.Stamp
		}
		return "cut " + strings.Join(stamps, ", ")
	}
	return ""
}

// AcceptEvidence records what the counter checked for a restricted request:
// a current signatory of the keyway, their photo ID, and the keyway's
// authorization card, opened only to be compared. A refused check is an
// audit record naming the field, never the card.
func (s *Duplication) AcceptEvidence(ctx context.Context, a keyward.Actor, id string, in keyward.CopyEvidenceInput) (*keyward.CopyRequest, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCopyRequest, "copy_request", id); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return s.step(ctx, a, id, keyward.CopyStepEvidence, "", func(tx *Tx, r *keyward.CopyRequest, _ keyward.CopySettings, details map[string]any) error {
		if err := tx.checkSignatory(ctx, r.KeywayID, in.SignatoryHolderID); err != nil {
			return err
		}
		if err := s.checkCard(ctx, tx, r.KeywayID, in.AuthorizationCard); err != nil {
			return err
		}
		checker := tx.actorDisplayName(ctx, a)
		if _, err := tx.Exec(ctx, `UPDATE copy_requests SET evidence_signatory_id = ?, evidence_id_type = ?, evidence_id_last4 = ?,
			evidence_checked_by = ?, evidence_checked_by_name = ?, evidence_checked_at = ? WHERE id = ?`,
			in.SignatoryHolderID, in.IDType, in.IDLast4, a.UserID, checker, ts(tx.now), r.ID); err != nil {
			return fmt.Errorf("store: record evidence: %w", err)
		}
		details["signatory_holder_id"], details["id_type"], details["id_last4"], details["card_matched"] = in.SignatoryHolderID, in.IDType, in.IDLast4, true
		return nil
	})
}

// checkSignatory refuses a holder who is not a current signatory of keywayID.
func (t *Tx) checkSignatory(ctx context.Context, keywayID, holderID string) error {
	sigs, err := t.signatories(ctx, keywayID)
	if err != nil {
		return err
	}
	current := 0
	for _, sg := range sigs {
		if sg.Current(t.now) {
			current++
			if sg.HolderID == holderID {
				return nil
			}
		}
	}
	for _, sg := range sigs {
		if sg.HolderID != holderID {
			continue
		}
		if sg.RemovedAt != nil {
			return keyward.Invalid("signatory_holder_id", "was removed as a signatory of this keyway")
		}
		return keyward.Invalid("signatory_holder_id", "is no longer a signatory of this keyway: the registration ended "+sg.Until.UTC().Format("2006-01-02"))
	}
	if current == 0 {
		return keyward.Invalid("signatory_holder_id", "must be a registered signatory of this keyway, and it has none yet")
	}
	return keyward.Invalid("signatory_holder_id", "must be a current signatory of this keyway")
}

// checkCard compares the card shown with the keyway's sealed card.
func (s *Duplication) checkCard(ctx context.Context, tx *Tx, keywayID string, given keyward.Secret) error {
	var sealed sql.NullString
	if err := tx.QueryRow(ctx, `SELECT card_sealed FROM keyways WHERE id = ?`, keywayID).Scan(&sealed); err != nil {
		return fmt.Errorf("store: keyway card: %w", err)
	}
	if !sealed.Valid {
		return keyward.Invalid("authorization_card", "cannot be checked: no authorization card is on file for this keyway")
	}
	if s.vault == nil {
		return errors.New("store: no vault to open the authorization card")
	}
	onFile, err := s.vault.Open(sealed.String, cardAAD(keywayID))
	if err != nil {
		return fmt.Errorf("store: open authorization card: %w", err)
	}
	if !keyward.CardMatches(onFile, given) {
		return keyward.Invalid("authorization_card", "does not match the card on file for this keyway")
	}
	return nil
}

// Approve adds the actor's approval; the last one needed approves the
// request. A restricted request's signatory must still be current.
func (s *Duplication) Approve(ctx context.Context, a keyward.Actor, id string) (*keyward.CopyRequest, error) {
	return s.step(ctx, a, id, keyward.CopyStepApprove, "", func(tx *Tx, r *keyward.CopyRequest, _ keyward.CopySettings, details map[string]any) error {
		if r.Policy == keyward.DupRestricted && r.Evidence != nil {
			if err := tx.checkSignatory(ctx, r.KeywayID, r.Evidence.SignatoryHolderID); err != nil {
				return keyward.Errorf(keyward.ECONFLICT, "%s's registration as a signatory has ended; check the evidence again with a current signatory", r.Evidence.SignatoryName)
			}
		}
		name := tx.actorDisplayName(ctx, a)
		if _, err := tx.Exec(ctx, `INSERT INTO copy_approvals (request_id, approver, approver_name, at) VALUES (?, ?, ?, ?)`,
			r.ID, a.UserID, name, ts(tx.now)); err != nil {
			if isUnique(err) {
				return keyward.Errorf(keyward.ECONFLICT, "you have already approved this request")
			}
			return fmt.Errorf("store: insert copy approval: %w", err)
		}
		r.Approvals = append(r.Approvals, keyward.CopyApproval{By: a.UserID, ByName: name, At: tx.now})
		details["approvals"], details["approvals_required"] = len(r.Approvals), r.ApprovalsRequired
		return nil
	})
}

// Deny closes the request with a reason.
func (s *Duplication) Deny(ctx context.Context, a keyward.Actor, id string, in keyward.CopyDecisionInput) (*keyward.CopyRequest, error) {
	return s.decide(ctx, a, id, keyward.CopyStepDeny, in)
}

// Escalate hands an unclear authorization to the owner.
func (s *Duplication) Escalate(ctx context.Context, a keyward.Actor, id string, in keyward.CopyDecisionInput) (*keyward.CopyRequest, error) {
	return s.decide(ctx, a, id, keyward.CopyStepEscalate, in)
}

// Cancel closes a request before production.
func (s *Duplication) Cancel(ctx context.Context, a keyward.Actor, id string, in keyward.CopyDecisionInput) (*keyward.CopyRequest, error) {
	return s.decide(ctx, a, id, keyward.CopyStepCancel, in)
}

func (s *Duplication) decide(ctx context.Context, a keyward.Actor, id, step string, in keyward.CopyDecisionInput) (*keyward.CopyRequest, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCopyRequest, "copy_request", id); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return s.step(ctx, a, id, step, in.Reason, nil)
}

// Produce cuts the approved copies, once: count new keys of the request's
// symbol and keyway with the next copy numbers, in storage, each created by
// the one key-creation path (its logbook line and audit record) with origin
// produced.
func (s *Duplication) Produce(ctx context.Context, a keyward.Actor, id string) (*keyward.CopyRequest, error) {
	return s.step(ctx, a, id, keyward.CopyStepProduce, "", func(tx *Tx, r *keyward.CopyRequest, _ keyward.CopySettings, details map[string]any) error {
		ids := make([]string, 0, r.Count)
		for range r.Count {
			k, err := tx.createKey(ctx, a, keyward.KeyInput{KeywayID: r.KeywayID, Symbol: r.Symbol}, keyward.StatusInStorage, "", nil,
				keyOrigin{kind: keyward.OriginProduced, requestID: r.ID, note: "cut for copy request " + r.ID})
			if err != nil {
				if keyward.ErrorCode(err) == keyward.EINVALID {
					// The keyway was retired since the request: no copy is cut on it.
					return keyward.Errorf(keyward.ECONFLICT, "the keyway %s is retired; no new copy is cut on it", r.KeywayName)
				}
				return err
			}
			r.Keys = append(r.Keys, *k)
			ids = append(ids, k.ID)
		}
		details["key_ids"], details["count"] = ids, r.Count
		return nil
	})
}

// HandOver issues every produced copy to the holder, each through the
// custody move path, so each key's logbook shows the issue.
func (s *Duplication) HandOver(ctx context.Context, a keyward.Actor, id string, in keyward.HandOverInput) (*keyward.CopyRequest, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCopyRequest, "copy_request", id); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return s.step(ctx, a, id, keyward.CopyStepHandOver, in.Note, func(tx *Tx, r *keyward.CopyRequest, _ keyward.CopySettings, details map[string]any) error {
		if err := keyward.CheckHandOver(r, in.HolderID); err != nil {
			return err
		}
		note := "copy request " + r.ID
		if in.Note != "" {
			note += ": " + in.Note
		}
		for i, k := range r.Keys {
			moved, err := tx.move(ctx, a, k.ID, keyward.MoveRequest{Action: keyward.CustodyIssue, HolderID: in.HolderID, Note: note})
			if err != nil {
				return err
			}
			r.Keys[i] = *moved
		}
		details["holder_id"] = in.HolderID
		return nil
	})
}

// signatories reads every registration of keywayID, current or past.
func (t *Tx) signatories(ctx context.Context, keywayID string) ([]keyward.Signatory, error) {
	rows, err := t.Query(ctx, `SELECT s.keyway_id, s.holder_id, h.name, s.added_by, s.added_by_name, s.added_at, s.until_at, s.removed_at
		FROM keyway_signatories s JOIN holders h ON h.id = s.holder_id WHERE s.keyway_id = ? ORDER BY s.added_at, s.id`, keywayID)
	if err != nil {
		return nil, fmt.Errorf("store: signatories: %w", err)
	}
	defer rows.Close()
	out := []keyward.Signatory{}
	for rows.Next() {
		var sg keyward.Signatory
		var added string
		var until, removed sql.NullString
		if err := rows.Scan(&sg.KeywayID, &sg.HolderID, &sg.HolderName, &sg.AddedBy, &sg.AddedByName, &added, &until, &removed); err != nil {
			return nil, fmt.Errorf("store: scan signatory: %w", err)
		}
		sg.AddedAt, sg.Until, sg.RemovedAt = parseTS(added), tsPtr(until), tsPtr(removed)
		out = append(out, sg)
	}
	return out, rows.Err()
}

// KeywayControl returns a keyway's signatories (current first, then past)
// and whether an authorization card is on file, never its number.
func (s *Duplication) KeywayControl(ctx context.Context, a keyward.Actor, keywayID string) (*keyward.KeywayControl, error) {
	if err := keyward.Authorize(a, keyward.ActCopyRead); err != nil {
		return nil, err
	}
	return inTx(ctx, s.db, func(tx *Tx) (*keyward.KeywayControl, error) {
		c := &keyward.KeywayControl{KeywayID: keywayID}
		var setAt sql.NullString
		err := tx.QueryRow(ctx, `SELECT duplication_policy, card_sealed IS NOT NULL, card_set_at FROM keyways WHERE id = ?`, keywayID).Scan(&c.Policy, &c.HasCard, &setAt)
		if err != nil {
			return nil, notFound(err, "keyway", keywayID)
		}
		c.CardSetAt = tsPtr(setAt)
		sigs, err := tx.signatories(ctx, keywayID)
		if err != nil {
			return nil, err
		}
		slices.SortStableFunc(sigs, func(x, y keyward.Signatory) int {
			cx, cy := x.Current(tx.now), y.Current(tx.now)
			switch {
			case cx && !cy:
				return -1
			case cy && !cx:
				return 1
			}
			return 0
		})
		c.Signatories = sigs
		return c, nil
	})
}

// keywayForControl checks that keywayID names a keyway in use (ENOTFOUND,
// ECONFLICT when retired) and locks its row on PostgreSQL.
func (t *Tx) keywayForControl(ctx context.Context, keywayID string) (name string, err error) {
	lock := ""
	if t.db.dialect == postgresDialect {
		lock = " FOR UPDATE"
	}
	var retired sql.NullString
	if err := t.QueryRow(ctx, `SELECT name, retired_at FROM keyways WHERE id = ?`+lock, keywayID).Scan(&name, &retired); err != nil {
		return "", notFound(err, "keyway", keywayID)
	}
	if retired.Valid {
		return "", keyward.Errorf(keyward.ECONFLICT, "the keyway %s is retired", name)
	}
	return name, nil
}

// AddSignatory registers a holder as a signatory of a keyway, until a time
// or until removed. A registration that has run out is closed and a new one
// begins.
func (s *Duplication) AddSignatory(ctx context.Context, a keyward.Actor, keywayID string, in keyward.SignatoryInput) (*keyward.Signatory, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCopyControl, "keyway", keywayID); err != nil {
		return nil, err
	}
	if err := in.Validate(s.db.Now()); err != nil {
		return nil, err
	}
	return inTx(ctx, s.db, func(tx *Tx) (*keyward.Signatory, error) {
		if _, err := tx.keywayForControl(ctx, keywayID); err != nil {
			return nil, err
		}
		if err := tx.active(ctx, "holders", "holder_id", "holder", in.HolderID); err != nil {
			return nil, err
		}
		sigs, err := tx.signatories(ctx, keywayID)
		if err != nil {
			return nil, err
		}
		for _, sg := range sigs {
			if sg.HolderID != in.HolderID || sg.RemovedAt != nil {
				continue
			}
			if sg.Current(tx.now) {
				return nil, keyward.Errorf(keyward.ECONFLICT, "%s is already a signatory of this keyway", sg.HolderName)
			}
			// The earlier registration ran out: close it, so one stays open.
			if _, err := tx.Exec(ctx, `UPDATE keyway_signatories SET removed_at = ?, removed_by = ? WHERE keyway_id = ? AND holder_id = ? AND removed_at IS NULL`,
				ts(tx.now), actorName(a), keywayID, in.HolderID); err != nil {
				return nil, fmt.Errorf("store: close signatory: %w", err)
			}
		}
		sg := &keyward.Signatory{KeywayID: keywayID, HolderID: in.HolderID, AddedBy: a.UserID, AddedByName: tx.actorDisplayName(ctx, a), AddedAt: tx.now}
		if in.Until != nil {
			u := in.Until.UTC()
			sg.Until = &u
		}
		if err := tx.QueryRow(ctx, `SELECT name FROM holders WHERE id = ?`, in.HolderID).Scan(&sg.HolderName); err != nil {
			return nil, fmt.Errorf("store: signatory name: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO keyway_signatories (id, keyway_id, holder_id, added_by, added_by_name, added_at, until_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			newID("sig"), keywayID, in.HolderID, sg.AddedBy, sg.AddedByName, ts(sg.AddedAt), nullTS(sg.Until)); err != nil {
			if isUnique(err) {
				return nil, keyward.Errorf(keyward.ECONFLICT, "%s is already a signatory of this keyway", sg.HolderName)
			}
			return nil, fmt.Errorf("store: insert signatory: %w", err)
		}
		details := map[string]any{"holder_id": in.HolderID}
		if sg.Until != nil {
			details["until"] = ts(*sg.Until)
		}
		if _, err := tx.record(ctx, a, "copy.signatory_add", "keyway", keywayID, details); err != nil {
			return nil, err
		}
		return sg, nil
	})
}

// RemoveSignatory ends a signatory's registration and cancels the pending
// requests their evidence authorized, each with a history line saying why.
func (s *Duplication) RemoveSignatory(ctx context.Context, a keyward.Actor, keywayID, holderID string) error {
	if err := s.db.recordDenial(ctx, a, keyward.ActCopyControl, "keyway", keywayID); err != nil {
		return err
	}
	return s.db.withTx(ctx, func(tx *Tx) error {
		if _, err := tx.keywayForControl(ctx, keywayID); err != nil && keyward.ErrorCode(err) != keyward.ECONFLICT {
			return err
		}
		var name string
		if err := tx.QueryRow(ctx, `SELECT h.name FROM keyway_signatories s JOIN holders h ON h.id = s.holder_id
			WHERE s.keyway_id = ? AND s.holder_id = ? AND s.removed_at IS NULL`, keywayID, holderID).Scan(&name); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return keyward.Errorf(keyward.ENOTFOUND, "holder %q is not a signatory of this keyway", holderID)
			}
			return fmt.Errorf("store: signatory: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE keyway_signatories SET removed_at = ?, removed_by = ? WHERE keyway_id = ? AND holder_id = ? AND removed_at IS NULL`,
			ts(tx.now), actorName(a), keywayID, holderID); err != nil {
			return fmt.Errorf("store: remove signatory: %w", err)
		}
		// The requests' rows are locked before the audit chain head, in the
		// order a step locks them (request, then head) on PostgreSQL.
		pending, pargs := statusIn("state", keyward.CopyPendingStates)
		lock := ""
		if tx.db.dialect == postgresDialect {
			lock = " FOR UPDATE"
		}
		rows, err := tx.Query(ctx, `SELECT id FROM copy_requests WHERE keyway_id = ? AND evidence_signatory_id = ? AND `+pending+` ORDER BY id`+lock,
			append([]any{keywayID, holderID}, pargs...)...)
		if err != nil {
			return fmt.Errorf("store: pending requests: %w", err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if _, err := tx.record(ctx, a, "copy.signatory_remove", "keyway", keywayID, map[string]any{"holder_id": holderID, "cancelled_requests": ids}); err != nil {
			return err
		}
		set, err := tx.copySettings(ctx)
		if err != nil {
			return err
		}
		why := name + " was removed as a signatory of this keyway"
		for _, id := range ids {
			r, err := tx.copyRequest(ctx, id)
			if err != nil {
				return err
			}
			if err := keyward.CheckCopyStep(r, keyward.CopyStepCancel, a, set); err != nil {
				return err
			}
			var refused error
			if err := tx.takeStep(ctx, a, r, set, keyward.CopyStepCancel, why, nil, &refused); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetCard seals the keyway's authorization card number. Neither the number
// nor its sealed form reaches the audit record or any answer.
func (s *Duplication) SetCard(ctx context.Context, a keyward.Actor, keywayID string, in keyward.CardInput) error {
	if err := s.db.recordDenial(ctx, a, keyward.ActCopyControl, "keyway", keywayID); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	if s.vault == nil {
		return errors.New("store: no vault to seal the authorization card")
	}
	return s.db.withTx(ctx, func(tx *Tx) error {
		if _, err := tx.keywayForControl(ctx, keywayID); err != nil {
			return err
		}
		var had bool
		if err := tx.QueryRow(ctx, `SELECT card_sealed IS NOT NULL FROM keyways WHERE id = ?`, keywayID).Scan(&had); err != nil {
			return fmt.Errorf("store: keyway card: %w", err)
		}
		number := keyward.Secret(strings.TrimSpace(in.Number.Reveal()))
		if _, err := tx.Exec(ctx, `UPDATE keyways SET card_sealed = ?, card_set_at = ? WHERE id = ?`,
			s.vault.Seal(number, cardAAD(keywayID)), ts(tx.now), keywayID); err != nil {
			return fmt.Errorf("store: set keyway card: %w", err)
		}
		_, err := tx.record(ctx, a, "copy.card_set", "keyway", keywayID, map[string]any{"replaced": had})
		return err
	})
}

// CopySettings returns the organization's duplication settings.
func (s *Duplication) CopySettings(ctx context.Context, a keyward.Actor) (keyward.CopySettings, error) {
	if err := keyward.Authorize(a, keyward.ActCopyRead); err != nil {
		return keyward.CopySettings{}, err
	}
	return loadCopySettings(ctx, poolQuerier{s.db})
}

// SetCopySettings changes them; only the owner may. Requests already made
// keep the approvals they were made with.
func (s *Duplication) SetCopySettings(ctx context.Context, a keyward.Actor, in keyward.CopySettings) error {
	if err := s.db.recordDenial(ctx, a, keyward.ActOrgManage, "org", ""); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	return s.db.withTx(ctx, func(tx *Tx) error {
		was, err := tx.copySettings(ctx)
		if err != nil {
			return err
		}
		two := 0
		if in.TwoPersonRule {
			two = 1
		}
		res, err := tx.Exec(ctx, `UPDATE org SET copy_approvals_required = ?, copy_two_person_rule = ?`, in.ApprovalsRequired, two)
		if err != nil {
			return fmt.Errorf("store: copy settings: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return keyward.Errorf(keyward.ECONFLICT, "the organization is not set up yet")
		}
		_, err = tx.record(ctx, a, "copy.settings", "org", "", map[string]any{
			"approvals_required": in.ApprovalsRequired, "two_person_rule": in.TwoPersonRule,
			"previous_approvals_required": was.ApprovalsRequired, "previous_two_person_rule": was.TwoPersonRule})
		return err
	})
}
