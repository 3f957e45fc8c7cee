package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/vault"
)

// KeyCodes implements keyward.KeyCodes: key codes sealed by the vault, the
// requests to reveal them, every reveal, incidents, exposures, disposal and
// fleet accounts. Every change locks its rows (the code's, then the
// request's, then the audit chain head), asks the rule of
// internal/keyward/keycodes_rules.go, and writes its audit record in the
// same transaction. No column, audit record, event or error holds a code.
type KeyCodes struct {
	db    *DB
	vault *vault.Key
}

// KeyCodes returns the key code service; v seals and opens the codes.
func (d *DB) KeyCodes(v *vault.Key) *KeyCodes { return &KeyCodes{db: d, vault: v} }

// keyCodeAAD binds a sealed code to its row: a sealed value copied to
// another code's row does not open.
func keyCodeAAD(id string) string { return "key-code:" + id }

// revealGate is the one place that decides whether a may reveal a key code
// now, before anything about the code is read: today the role check the
// lockbox reveal makes (recorded when refused). A stronger gate (a second
// factor for revealers) replaces this function's body.
func (s *KeyCodes) revealGate(ctx context.Context, a keyward.Actor, keyCodeID string) error {
	return s.db.revealGate(ctx, a, keyward.ActCodeReveal, "key_code", keyCodeID)
}

// Settings.

func loadCodeSettings(ctx context.Context, q rowQuerier) (keyward.CodeSettings, error) {
	s := keyward.DefaultCodeSettings()
	var ev string
	err := q.QueryRow(ctx, `SELECT code_approval_hours, code_max_reveals, code_reveal_seconds, code_retention_days, code_evidence FROM org LIMIT 1`).
		Scan(&s.ApprovalHours, &s.MaxReveals, &s.RevealSeconds, &s.RetentionDays, &ev)
	if errors.Is(err, sql.ErrNoRows) {
		return keyward.DefaultCodeSettings(), nil
	}
	if err != nil {
		return s, fmt.Errorf("store: code settings: %w", err)
	}
	if err := json.Unmarshal([]byte(ev), &s.Evidence); err != nil || s.Evidence == nil {
		s.Evidence = map[string][]string{}
	}
	return s, nil
}

// CodeSettings returns the organization's key code settings.
func (s *KeyCodes) CodeSettings(ctx context.Context, a keyward.Actor) (keyward.CodeSettings, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCodeRead, "org", ""); err != nil {
		return keyward.CodeSettings{}, err
	}
	return loadCodeSettings(ctx, poolQuerier{s.db})
}

// SetCodeSettings changes them; the owner only.
func (s *KeyCodes) SetCodeSettings(ctx context.Context, a keyward.Actor, in keyward.CodeSettings) (keyward.CodeSettings, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActOrgManage, "org", ""); err != nil {
		return in, err
	}
	if err := in.Validate(); err != nil {
		return in, err
	}
	ev, err := json.Marshal(in.Evidence)
	if err != nil {
		return in, err
	}
	err = s.db.withTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE org SET code_approval_hours = ?, code_max_reveals = ?, code_reveal_seconds = ?, code_retention_days = ?, code_evidence = ?`,
			in.ApprovalHours, in.MaxReveals, in.RevealSeconds, in.RetentionDays, string(ev)); err != nil {
			return fmt.Errorf("store: set code settings: %w", err)
		}
		_, err := tx.record(ctx, a, "code.settings", "org", "", map[string]any{"approval_hours": in.ApprovalHours, "max_reveals": in.MaxReveals,
			"reveal_seconds": in.RevealSeconds, "retention_days": in.RetentionDays, "evidence": in.Evidence})
		return err
	})
	if err != nil {
		return in, err
	}
	return loadCodeSettings(ctx, poolQuerier{s.db})
}

// Key codes.

// keyCodeSelect reads a code's record with what the answer shows; never code_sealed.
const keyCodeSelect = `SELECT k.id, k.vin, COALESCE(k.opening_id, ''), COALESCE(o.name, ''), COALESCE(si.name, ''), k.description, k.source, k.source_ref,
	k.created_by, k.created_by_name, k.created_at,
	COALESCE(d.at, ''), COALESCE(d.by_name, ''), COALESCE(d.rule, ''),
	COALESCE((SELECT i.id FROM code_incidents i WHERE i.key_code_id = k.id AND i.closed_at IS NULL), ''),
	(SELECT COUNT(*) FROM code_reveals v WHERE v.key_code_id = k.id),
	COALESCE((SELECT f.name FROM code_fleet_vehicles fv JOIN code_fleets f ON f.id = fv.fleet_id WHERE fv.vin = k.vin AND fv.removed_at IS NULL), '')
	FROM key_codes k LEFT JOIN openings o ON o.id = k.opening_id LEFT JOIN sites si ON si.id = o.site_id
	LEFT JOIN code_disposals d ON d.key_code_id = k.id`

func scanKeyCode(row interface{ Scan(...any) error }) (*keyward.KeyCode, error) {
	var k keyward.KeyCode
	var created, dAt, dBy, dRule string
	if err := row.Scan(&k.ID, &k.VIN, &k.OpeningID, &k.OpeningName, &k.SiteName, &k.Description, &k.Source, &k.SourceRef,
		&k.CreatedBy, &k.CreatedByName, &created, &dAt, &dBy, &dRule, &k.IncidentID, &k.Reveals, &k.FleetName); err != nil {
		return nil, err
	}
	if k.VIN == "" {
		k.FleetName = ""
	}
	k.CreatedAt = parseTS(created)
	if dAt != "" {
		k.Disposal = &keyward.CodeDisposal{At: parseTS(dAt), By: dBy, Rule: dRule}
	}
	return &k, nil
}

// loadKeyCode reads code id with its retention (set, at now).
func loadKeyCode(ctx context.Context, q rowQuerier, id string, set keyward.CodeSettings) (*keyward.KeyCode, error) {
	k, err := scanKeyCode(q.QueryRow(ctx, keyCodeSelect+` WHERE k.id = ?`, id))
	if err != nil {
		return nil, notFound(err, "key code", id)
	}
	return k, fillRetention(ctx, q, k, set)
}

// disposalFacts reads what the retention rule decides on.
func disposalFacts(ctx context.Context, q rowQuerier, k *keyward.KeyCode) (keyward.DisposalFacts, error) {
	f := keyward.DisposalFacts{Disposed: k.Disposal != nil, InFleet: k.FleetName != ""}
	in, args := statusIn("state", keyward.CodeOpenStates)
	var closed, left sql.NullString
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM code_requests WHERE key_code_id = ? AND `+in, append([]any{k.ID}, args...)...).Scan(&f.OpenJobs); err != nil {
		return f, fmt.Errorf("store: open code jobs: %w", err)
	}
	if err := q.QueryRow(ctx, `SELECT MAX(closed_at) FROM code_requests WHERE key_code_id = ?`, k.ID).Scan(&closed); err != nil {
		return f, fmt.Errorf("store: closed code jobs: %w", err)
	}
	if k.VIN != "" {
		if err := q.QueryRow(ctx, `SELECT MAX(removed_at) FROM code_fleet_vehicles WHERE vin = ?`, k.VIN).Scan(&left); err != nil {
			return f, fmt.Errorf("store: fleet departures: %w", err)
		}
	}
	f.LastClosedAt, f.LeftFleetAt = parseNullTS(closed), parseNullTS(left)
	return f, nil
}

func fillRetention(ctx context.Context, q rowQuerier, k *keyward.KeyCode, set keyward.CodeSettings) error {
	f, err := disposalFacts(ctx, q, k)
	if err != nil {
		return err
	}
	k.DisposalDue, k.RetentionWords = keyward.CodeDisposalDue(f, set)
	return nil
}

// lockRow locks one row of table (a constant of ours) on PostgreSQL for the
// rest of the transaction; on SQLite the write transaction holds the
// database already. ENOTFOUND names what.
func (t *Tx) lockRow(ctx context.Context, table, what, id string) error {
	lock := ""
	if t.db.dialect == postgresDialect {
		lock = ` FOR UPDATE`
	}
	var got string
	if err := t.QueryRow(ctx, `SELECT id FROM `+table+` WHERE id = ?`+lock, id).Scan(&got); err != nil {
		return notFound(err, what, id)
	}
	return nil
}

// lockKeyCode locks code id and reads it.
func (t *Tx) lockKeyCode(ctx context.Context, id string) (*keyward.KeyCode, keyward.CodeSettings, error) {
	set, err := loadCodeSettings(ctx, t)
	if err != nil {
		return nil, set, err
	}
	if err := t.lockRow(ctx, "key_codes", "key code", id); err != nil {
		return nil, set, err
	}
	k, err := loadKeyCode(ctx, t, id, set)
	return k, set, err
}

// CreateKeyCode seals and records a code. A VIN whose check digit does not
// match is accepted, and the answer's Warnings say so.
func (s *KeyCodes) CreateKeyCode(ctx context.Context, a keyward.Actor, in keyward.KeyCodeInput) (*keyward.KeyCode, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCodeCreate, "key_code", ""); err != nil {
		return nil, err
	}
	warnings, err := in.Validate()
	if err != nil {
		return nil, err
	}
	if s.vault == nil {
		return nil, errors.New("store: no vault to seal the key code")
	}
	id := newID("kc")
	err = s.db.withTx(ctx, func(tx *Tx) error {
		if in.OpeningID != "" {
			var got string
			if err := tx.QueryRow(ctx, `SELECT id FROM openings WHERE id = ?`, in.OpeningID).Scan(&got); err != nil {
				return keyward.Invalid("opening_id", "must name an existing opening")
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO key_codes (id, vin, opening_id, description, source, source_ref, code_sealed, created_by, created_by_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, in.VIN, nullStr(in.OpeningID), in.Description, in.Source, in.SourceRef,
			s.vault.Seal(in.Code, keyCodeAAD(id)), a.UserID, tx.actorDisplayName(ctx, a), ts(tx.now)); err != nil {
			return fmt.Errorf("store: insert key code: %w", err)
		}
		details := map[string]any{"source": in.Source}
		if in.VIN != "" {
			details["vin"] = in.VIN
		} else {
			details["opening_id"] = in.OpeningID
		}
		if in.SourceRef != "" {
			details["source_ref"] = in.SourceRef
		}
		if len(warnings) > 0 {
			details["vin_check_digit"] = "does not match"
		}
		_, err := tx.record(ctx, a, "code.create", "key_code", id, details)
		return err
	})
	if err != nil {
		return nil, err
	}
	k, err := s.read(ctx, id)
	if err != nil {
		return nil, err
	}
	k.Warnings = warnings
	return k, nil
}

func (s *KeyCodes) read(ctx context.Context, id string) (*keyward.KeyCode, error) {
	q := poolQuerier{s.db}
	set, err := loadCodeSettings(ctx, q)
	if err != nil {
		return nil, err
	}
	return loadKeyCode(ctx, q, id, set)
}

// KeyCode returns a code's record, never the code.
func (s *KeyCodes) KeyCode(ctx context.Context, a keyward.Actor, id string) (*keyward.KeyCode, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCodeRead, "key_code", id); err != nil {
		return nil, err
	}
	return s.read(ctx, id)
}

// ListKeyCodes lists codes, newest first.
func (s *KeyCodes) ListKeyCodes(ctx context.Context, a keyward.Actor, f keyward.KeyCodeFilter, opt keyward.ListOptions) (keyward.Page[keyward.KeyCode], error) {
	page := keyward.Page[keyward.KeyCode]{Items: []keyward.KeyCode{}}
	if err := s.db.recordDenial(ctx, a, keyward.ActCodeRead, "key_code", ""); err != nil {
		return page, err
	}
	q := keyCodeSelect + ` WHERE 1 = 1`
	var args []any
	if v := keyward.NormalizeVIN(f.VIN); v != "" {
		q += ` AND k.vin = ?`
		args = append(args, v)
	}
	switch f.Disposed {
	case "":
	case "no":
		q += ` AND k.disposed_at IS NULL`
	case "yes":
		q += ` AND k.disposed_at IS NOT NULL`
	default:
		return page, keyward.Invalid("disposed", "must be yes or no")
	}
	return s.codePage(ctx, q, args, `k.created_at`, opt)
}

// codePage reads one page of codes of q ordered by orderCol (a column of
// ours holding a fixed-width time), newest first.
func (s *KeyCodes) codePage(ctx context.Context, q string, args []any, orderCol string, opt keyward.ListOptions) (keyward.Page[keyward.KeyCode], error) {
	page := keyward.Page[keyward.KeyCode]{Items: []keyward.KeyCode{}}
	limit := clampLimit(opt.Limit)
	if opt.Cursor != "" {
		p, err := decodeCursor(opt.Cursor, 2)
		if err != nil {
			return page, err
		}
		q += ` AND (` + orderCol + ` < ? OR (` + orderCol + ` = ? AND k.id < ?))`
		args = append(args, p[0], p[0], p[1])
	}
	q += ` ORDER BY ` + orderCol + ` DESC, k.id DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := s.db.query(ctx, q, args...)
	if err != nil {
		return page, fmt.Errorf("store: list key codes: %w", err)
	}
	for rows.Next() {
		k, err := scanKeyCode(rows)
		if err != nil {
			rows.Close()
			return page, fmt.Errorf("store: scan key code: %w", err)
		}
		page.Items = append(page.Items, *k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return page, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		at := last.CreatedAt
		if orderCol != `k.created_at` && last.Disposal != nil {
			at = last.Disposal.At
		}
		page.Next = encodeCursor(ts(at), last.ID)
	}
	pq := poolQuerier{s.db}
	set, err := loadCodeSettings(ctx, pq)
	if err != nil {
		return page, err
	}
	for i := range page.Items {
		if err := fillRetention(ctx, pq, &page.Items[i], set); err != nil {
			return page, err
		}
	}
	return page, nil
}

// Disposals lists the disposed codes with their disposal records, newest disposal first.
func (s *KeyCodes) Disposals(ctx context.Context, a keyward.Actor, opt keyward.ListOptions) (keyward.Page[keyward.KeyCode], error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCodeRead, "key_code", ""); err != nil {
		return keyward.Page[keyward.KeyCode]{Items: []keyward.KeyCode{}}, err
	}
	return s.codePage(ctx, keyCodeSelect+` WHERE d.at IS NOT NULL`, nil, `d.at`, opt)
}

const revealSelect = `SELECT v.id, v.key_code_id, v.request_id, v.by_user, v.by_name, v.role, v.at, v.reason, k.source
	FROM code_reveals v JOIN key_codes k ON k.id = v.key_code_id`

func loadReveals(ctx context.Context, q querier, where string, args ...any) ([]keyward.CodeReveal, error) {
	rows, err := q.Query(ctx, revealSelect+` WHERE `+where+` ORDER BY v.audit_seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: code reveals: %w", err)
	}
	defer rows.Close()
	out := []keyward.CodeReveal{}
	for rows.Next() {
		var r keyward.CodeReveal
		var at, role string
		if err := rows.Scan(&r.ID, &r.KeyCodeID, &r.RequestID, &r.By, &r.ByName, &role, &at, &r.Reason, &r.Source); err != nil {
			return nil, fmt.Errorf("store: scan code reveal: %w", err)
		}
		r.Role, r.At = keyward.Role(role), parseTS(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Reveals lists every reveal of a code, oldest first.
func (s *KeyCodes) Reveals(ctx context.Context, a keyward.Actor, id string) ([]keyward.CodeReveal, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCodeRead, "key_code", id); err != nil {
		return nil, err
	}
	if _, err := s.read(ctx, id); err != nil {
		return nil, err
	}
	return loadReveals(ctx, poolQuerier{s.db}, `v.key_code_id = ?`, id)
}

// Requests.

// codeRequestSelect reads a request with what its answer shows. Whether its
// fleet lists the vehicle is judged when it was approved (a van that left
// the fleet since still had its authorization then), else now.
const codeRequestSelect = `SELECT r.id, r.state, r.key_code_id, k.vin, COALESCE(o.name, ''), COALESCE(si.name, ''), k.description, k.source,
	r.relationship, r.reason, r.channel, r.requester_name, r.id_type, r.id_last4, r.registration_ref, r.agent_letter_ref,
	COALESCE(r.fleet_id, ''), COALESCE(f.name, ''), r.evidence_by, r.evidence_by_name, r.evidence_at,
	r.requested_by, r.requested_by_name, r.created_at, r.updated_at, r.approved_by, r.approved_by_name, r.approved_at, r.expires_at,
	r.max_reveals, r.reveals, r.closed_by_name, r.closed_at, r.decided_by_name, r.decision_reason,
	CASE WHEN r.fleet_id IS NOT NULL AND k.vin <> '' AND EXISTS (SELECT 1 FROM code_fleet_vehicles fv
		WHERE fv.fleet_id = r.fleet_id AND fv.vin = k.vin AND (
			(r.approved_at IS NULL AND fv.removed_at IS NULL) OR
			(r.approved_at IS NOT NULL AND fv.added_at <= r.approved_at AND (fv.removed_at IS NULL OR fv.removed_at > r.approved_at)))) THEN 1 ELSE 0 END
	FROM code_requests r JOIN key_codes k ON k.id = r.key_code_id LEFT JOIN openings o ON o.id = k.opening_id
	LEFT JOIN sites si ON si.id = o.site_id LEFT JOIN code_fleets f ON f.id = r.fleet_id`

func scanCodeRequest(row interface{ Scan(...any) error }, set keyward.CodeSettings) (*keyward.CodeRequest, error) {
	var r keyward.CodeRequest
	var k keyward.KeyCode
	var evAt, apAt, exp, clAt sql.NullString
	var created, updated string
	var covers int
	e := &r.Evidence
	if err := row.Scan(&r.ID, &r.State, &r.KeyCodeID, &k.VIN, &k.OpeningName, &k.SiteName, &k.Description, &r.Source,
		&r.Relationship, &r.Reason, &e.Channel, &e.RequesterName, &e.IDType, &e.IDLast4, &e.RegistrationRef, &e.AgentLetterRef,
		&e.FleetID, &e.FleetName, &e.CheckedBy, &e.CheckedByName, &evAt,
		&r.RequestedBy, &r.RequestedByName, &created, &updated, &r.ApprovedBy, &r.ApprovedByName, &apAt, &exp,
		&r.MaxReveals, &r.Reveals, &r.ClosedByName, &clAt, &r.DecidedByName, &r.DecisionReason, &covers); err != nil {
		return nil, err
	}
	r.VIN, r.What = k.VIN, k.What()
	r.CreatedAt, r.UpdatedAt = parseTS(created), parseTS(updated)
	e.CheckedAt, r.ApprovedAt, r.ExpiresAt, r.ClosedAt = parseNullTS(evAt), parseNullTS(apAt), parseNullTS(exp), parseNullTS(clAt)
	r.FleetCovers = covers == 1
	r.Missing = keyward.MissingEvidence(&r, set)
	return &r, nil
}

func loadCodeRequest(ctx context.Context, q rowQuerier, id string, set keyward.CodeSettings) (*keyward.CodeRequest, error) {
	r, err := scanCodeRequest(q.QueryRow(ctx, codeRequestSelect+` WHERE r.id = ?`, id), set)
	if err != nil {
		return nil, notFound(err, "code request", id)
	}
	return r, nil
}

func loadCodeHistory(ctx context.Context, q querier, id string) ([]keyward.CodeRequestEvent, error) {
	rows, err := q.Query(ctx, `SELECT step, state, by_name, at, note FROM code_request_events WHERE request_id = ? ORDER BY audit_seq`, id)
	if err != nil {
		return nil, fmt.Errorf("store: code request history: %w", err)
	}
	defer rows.Close()
	out := []keyward.CodeRequestEvent{}
	for rows.Next() {
		var e keyward.CodeRequestEvent
		var at string
		if err := rows.Scan(&e.Step, &e.State, &e.ByName, &at, &e.Note); err != nil {
			return nil, fmt.Errorf("store: scan code request event: %w", err)
		}
		e.At = parseTS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// codeEvent writes the audit record ("code." + step) and the request's
// history line of one step, which left the request in state.
func (t *Tx) codeEvent(ctx context.Context, a keyward.Actor, requestID, step, state, note string, details map[string]any) error {
	if details == nil {
		details = map[string]any{}
	}
	details["state"] = state
	if note != "" {
		details["note"] = note
	}
	seq, err := t.record(ctx, a, "code."+step, "code_request", requestID, details)
	if err != nil {
		return err
	}
	if _, err := t.Exec(ctx, `INSERT INTO code_request_events (id, request_id, step, state, by_user, by_name, at, note, audit_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		newID("cqe"), requestID, step, state, a.UserID, t.actorDisplayName(ctx, a), ts(t.now), note, seq); err != nil {
		return fmt.Errorf("store: insert code request event: %w", err)
	}
	return nil
}

// checkFleet refuses a fleet_id that names no fleet.
func (t *Tx) checkFleet(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	var got string
	if err := t.QueryRow(ctx, `SELECT id FROM code_fleets WHERE id = ?`, id).Scan(&got); err != nil {
		return keyward.Invalid("fleet_id", "must name an existing fleet account")
	}
	return nil
}

// evidenceDetails is the audit record's account of the evidence: what was
// checked, never more than the last four characters of an ID.
func evidenceDetails(in keyward.CodeEvidenceInput, details map[string]any) {
	if in.Channel != "" {
		details["channel"] = in.Channel
	}
	for k, v := range map[string]string{"requester_name": in.RequesterName, "id_type": in.IDType, "id_last4": in.IDLast4,
		"registration_ref": in.RegistrationRef, "agent_letter_ref": in.AgentLetterRef, "fleet_id": in.FleetID} {
		if v != "" {
			details[k] = v
		}
	}
}

// RequestCode opens a request to reveal a code, with the evidence given.
func (s *KeyCodes) RequestCode(ctx context.Context, a keyward.Actor, in keyward.CodeRequestInput) (*keyward.CodeRequest, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCodeRequest, "code_request", ""); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if in.Channel == "" {
		in.Channel = keyward.ChannelCounter
	}
	id := newID("cq")
	err := s.db.withTx(ctx, func(tx *Tx) error {
		var disposed sql.NullString
		if err := tx.QueryRow(ctx, `SELECT disposed_at FROM key_codes WHERE id = ?`, in.KeyCodeID).Scan(&disposed); err != nil {
			return keyward.Invalid("key_code_id", "must name an existing key code")
		}
		if disposed.Valid {
			return keyward.Errorf(keyward.ECONFLICT, "this key code was disposed of: it can no longer be requested")
		}
		if err := tx.checkFleet(ctx, in.FleetID); err != nil {
			return err
		}
		name := tx.actorDisplayName(ctx, a)
		var evBy, evName string
		var evAt sql.NullString
		if !in.Empty() {
			evBy, evName, evAt = a.UserID, name, nullTS(&tx.now)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO code_requests (id, key_code_id, state, relationship, reason, channel, requester_name, id_type, id_last4,
			registration_ref, agent_letter_ref, fleet_id, evidence_by, evidence_by_name, evidence_at, requested_by, requested_by_name, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, in.KeyCodeID, keyward.CodeRequested, in.Relationship, in.Reason, in.Channel, in.RequesterName, in.IDType, in.IDLast4,
			in.RegistrationRef, in.AgentLetterRef, nullStr(in.FleetID), evBy, evName, evAt, a.UserID, name, ts(tx.now), ts(tx.now)); err != nil {
			return fmt.Errorf("store: insert code request: %w", err)
		}
		details := map[string]any{"key_code_id": in.KeyCodeID, "relationship": in.Relationship, "reason": in.Reason}
		evidenceDetails(in.CodeEvidenceInput, details)
		return tx.codeEvent(ctx, a, id, keyward.CodeStepRequest, keyward.CodeRequested, "", details)
	})
	if err != nil {
		return nil, err
	}
	return s.readRequest(ctx, id, false)
}

func (s *KeyCodes) readRequest(ctx context.Context, id string, history bool) (*keyward.CodeRequest, error) {
	q := poolQuerier{s.db}
	set, err := loadCodeSettings(ctx, q)
	if err != nil {
		return nil, err
	}
	r, err := loadCodeRequest(ctx, q, id, set)
	if err != nil {
		return nil, err
	}
	if history {
		if r.History, err = loadCodeHistory(ctx, q, id); err != nil {
			return nil, err
		}
		k, err := loadKeyCode(ctx, q, r.KeyCodeID, set)
		if err != nil {
			return nil, err
		}
		reveals, err := loadReveals(ctx, q, `v.request_id = ?`, id)
		if err != nil {
			return nil, err
		}
		r.Checklist = keyward.CodeJobChecklist(keyward.CodeJobFacts{Request: r, Code: k, Reveals: reveals})
	}
	return r, nil
}

// CodeRequest returns a request with its history.
func (s *KeyCodes) CodeRequest(ctx context.Context, a keyward.Actor, id string) (*keyward.CodeRequest, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCodeRead, "code_request", id); err != nil {
		return nil, err
	}
	return s.readRequest(ctx, id, true)
}

// CodeRequests lists requests, newest first.
func (s *KeyCodes) CodeRequests(ctx context.Context, a keyward.Actor, keyCodeID string, states []string, opt keyward.ListOptions) (keyward.Page[keyward.CodeRequest], error) {
	page := keyward.Page[keyward.CodeRequest]{Items: []keyward.CodeRequest{}}
	if err := s.db.recordDenial(ctx, a, keyward.ActCodeRead, "code_request", ""); err != nil {
		return page, err
	}
	for _, st := range states {
		if !slices.Contains(keyward.CodeRequestStates, st) {
			return page, keyward.Invalid("state", "must be one of "+strings.Join(keyward.CodeRequestStates, ", "))
		}
	}
	pq := poolQuerier{s.db}
	set, err := loadCodeSettings(ctx, pq)
	if err != nil {
		return page, err
	}
	limit := clampLimit(opt.Limit)
	q := codeRequestSelect + ` WHERE 1 = 1`
	var args []any
	if keyCodeID != "" {
		q += ` AND r.key_code_id = ?`
		args = append(args, keyCodeID)
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
		return page, fmt.Errorf("store: list code requests: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanCodeRequest(rows, set)
		if err != nil {
			return page, fmt.Errorf("store: scan code request: %w", err)
		}
		page.Items = append(page.Items, *r)
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.Next = encodeCursor(ts(last.CreatedAt), last.ID)
	}
	return page, nil
}

// codeStepFunc does what a step changes beyond the state, on the request
// locked in tx; it may add to the audit record's details and return the
// history line's note.
type codeStepFunc func(tx *Tx, r *keyward.CodeRequest, set keyward.CodeSettings, details map[string]any) (string, error)

// step takes one workflow step on request id: it locks the code and the
// request, lets keyward.CheckCodeStep decide, does what the step changes,
// and writes the new state, the history line and the audit record in one
// transaction. A refusal of the rule's separation of duties (EFORBIDDEN) is
// recorded in the audit log once the transaction is rolled back.
func (s *KeyCodes) step(ctx context.Context, a keyward.Actor, id, step string, action keyward.Action, do codeStepFunc) (*keyward.CodeRequest, error) {
	if err := s.db.recordDenial(ctx, a, action, "code_request", id); err != nil {
		return nil, err
	}
	var refused error
	err := s.db.withTx(ctx, func(tx *Tx) error {
		var codeID string
		if err := tx.QueryRow(ctx, `SELECT key_code_id FROM code_requests WHERE id = ?`, id).Scan(&codeID); err != nil {
			return notFound(err, "code request", id)
		}
		if err := tx.lockRow(ctx, "key_codes", "key code", codeID); err != nil {
			return err
		}
		if err := tx.lockRow(ctx, "code_requests", "code request", id); err != nil {
			return err
		}
		set, err := loadCodeSettings(ctx, tx)
		if err != nil {
			return err
		}
		r, err := loadCodeRequest(ctx, tx, id, set)
		if err != nil {
			return err
		}
		if err := keyward.CheckCodeStep(r, step, a, set); err != nil {
			if keyward.ErrorCode(err) == keyward.EFORBIDDEN {
				refused = err
			}
			return err
		}
		next := keyward.NextCodeState(r.State, step)
		details := map[string]any{"key_code_id": r.KeyCodeID}
		note := ""
		if do != nil {
			if note, err = do(tx, r, set, details); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE code_requests SET state = ?, updated_at = ? WHERE id = ?`, next, ts(tx.now), id); err != nil {
			return fmt.Errorf("store: update code request: %w", err)
		}
		return tx.codeEvent(ctx, a, id, step, next, note, details)
	})
	if refused != nil {
		return nil, s.db.recordRefusal(ctx, a, "code."+step, "code_request", id, nil, refused)
	}
	if err != nil {
		return nil, err
	}
	return s.readRequest(ctx, id, true)
}

// AddEvidence records more evidence on a request waiting for approval;
// the items given replace those recorded.
func (s *KeyCodes) AddEvidence(ctx context.Context, a keyward.Actor, id string, in keyward.CodeEvidenceInput) (*keyward.CodeRequest, error) {
	if err := keyward.Authorize(a, keyward.ActCodeRequest); err == nil {
		if err := in.Validate(); err != nil {
			return nil, err
		}
		if in.Empty() {
			return nil, keyward.Invalid("id_type", "give at least one item of evidence")
		}
	}
	return s.step(ctx, a, id, keyward.CodeStepEvidence, keyward.ActCodeRequest, func(tx *Tx, r *keyward.CodeRequest, _ keyward.CodeSettings, details map[string]any) (string, error) {
		if err := tx.checkFleet(ctx, in.FleetID); err != nil {
			return "", err
		}
		e := r.Evidence
		pick := func(given, had string) string {
			if given != "" {
				return given
			}
			return had
		}
		fleet := pick(in.FleetID, e.FleetID)
		if _, err := tx.Exec(ctx, `UPDATE code_requests SET channel = ?, requester_name = ?, id_type = ?, id_last4 = ?, registration_ref = ?, agent_letter_ref = ?,
			fleet_id = ?, evidence_by = ?, evidence_by_name = ?, evidence_at = ? WHERE id = ?`,
			pick(in.Channel, e.Channel), pick(in.RequesterName, e.RequesterName), pick(in.IDType, e.IDType), pick(in.IDLast4, e.IDLast4),
			pick(in.RegistrationRef, e.RegistrationRef), pick(in.AgentLetterRef, e.AgentLetterRef), nullStr(fleet),
			a.UserID, tx.actorDisplayName(ctx, a), ts(tx.now), r.ID); err != nil {
			return "", fmt.Errorf("store: record code evidence: %w", err)
		}
		evidenceDetails(in, details)
		return "", nil
	})
}

// ApproveCode approves a request: reveals are allowed until the approval
// expires or is used up, as the organization's settings say now.
func (s *KeyCodes) ApproveCode(ctx context.Context, a keyward.Actor, id string) (*keyward.CodeRequest, error) {
	return s.step(ctx, a, id, keyward.CodeStepApprove, keyward.ActCodeApprove, func(tx *Tx, r *keyward.CodeRequest, set keyward.CodeSettings, details map[string]any) (string, error) {
		ends := keyward.ApprovalEnds(tx.now, set)
		if _, err := tx.Exec(ctx, `UPDATE code_requests SET approved_by = ?, approved_by_name = ?, approved_at = ?, expires_at = ?, max_reveals = ? WHERE id = ?`,
			a.UserID, tx.actorDisplayName(ctx, a), ts(tx.now), ts(ends), set.MaxReveals, r.ID); err != nil {
			return "", fmt.Errorf("store: approve code request: %w", err)
		}
		details["expires_at"], details["max_reveals"] = ts(ends), set.MaxReveals
		return fmt.Sprintf("allows %d reveals until %s", set.MaxReveals, ends.UTC().Format("2006-01-02 15:04 UTC")), nil
	})
}

func (s *KeyCodes) decide(ctx context.Context, a keyward.Actor, id, step string, action keyward.Action, in keyward.CodeNoteInput) (*keyward.CodeRequest, error) {
	if err := keyward.Authorize(a, action); err == nil {
		if err := in.Validate(); err != nil {
			return nil, err
		}
	}
	return s.step(ctx, a, id, step, action, func(tx *Tx, r *keyward.CodeRequest, _ keyward.CodeSettings, details map[string]any) (string, error) {
		name := tx.actorDisplayName(ctx, a)
		var err error
		if step == keyward.CodeStepClose {
			_, err = tx.Exec(ctx, `UPDATE code_requests SET closed_by_name = ?, closed_at = ? WHERE id = ?`, name, ts(tx.now), r.ID)
		} else {
			_, err = tx.Exec(ctx, `UPDATE code_requests SET decided_by_name = ?, decision_reason = ? WHERE id = ?`, name, in.Note, r.ID)
		}
		if err != nil {
			return "", fmt.Errorf("store: %s code request: %w", step, err)
		}
		return in.Note, nil
	})
}

// DenyCode ends a request, refused, with a note.
func (s *KeyCodes) DenyCode(ctx context.Context, a keyward.Actor, id string, in keyward.CodeNoteInput) (*keyward.CodeRequest, error) {
	return s.decide(ctx, a, id, keyward.CodeStepDeny, keyward.ActCodeApprove, in)
}

// CancelCode ends a request before the job is done, with a note.
func (s *KeyCodes) CancelCode(ctx context.Context, a keyward.Actor, id string, in keyward.CodeNoteInput) (*keyward.CodeRequest, error) {
	return s.decide(ctx, a, id, keyward.CodeStepCancel, keyward.ActCodeRequest, in)
}

// CloseCodeJob records the service done: the job closes, no more reveals
// under it, and the code's retention starts.
func (s *KeyCodes) CloseCodeJob(ctx context.Context, a keyward.Actor, id string, in keyward.CodeNoteInput) (*keyward.CodeRequest, error) {
	return s.decide(ctx, a, id, keyward.CodeStepClose, keyward.ActCodeService, in)
}

// Reveals.

// RevealKeyCode opens the code for a technician under an approved request.
// The reveal row, the request's count and the audit record ("code retrieved
// from <source>, revealed to <technician> at <time>") are written in the
// transaction that opens the sealed code; the plaintext leaves only after
// it commits. A refusal is an audit record too, written once the
// transaction is rolled back.
func (s *KeyCodes) RevealKeyCode(ctx context.Context, a keyward.Actor, id string, in keyward.KeyCodeRevealInput) (*keyward.RevealedCode, error) {
	if err := s.revealGate(ctx, a, id); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if s.vault == nil {
		return nil, errors.New("store: no vault to open the key code")
	}
	var refused error
	var out *keyward.RevealedCode
	err := s.db.withTx(ctx, func(tx *Tx) error {
		k, set, err := tx.lockKeyCode(ctx, id)
		if err != nil {
			return err
		}
		var req *keyward.CodeRequest
		if in.RequestID != "" {
			if err := tx.lockRow(ctx, "code_requests", "code request", in.RequestID); err == nil {
				if req, err = loadCodeRequest(ctx, tx, in.RequestID, set); err != nil {
					return err
				}
			} else if keyward.ErrorCode(err) != keyward.ENOTFOUND {
				return err
			}
		}
		if err := keyward.CheckReveal(keyward.RevealFacts{Actor: a, Code: k, Request: req, Now: tx.now}); err != nil {
			refused = err
			return err
		}
		var sealed sql.NullString
		if err := tx.QueryRow(ctx, `SELECT code_sealed FROM key_codes WHERE id = ?`, id).Scan(&sealed); err != nil {
			return fmt.Errorf("store: read sealed key code: %w", err)
		}
		if !sealed.Valid {
			refused = keyward.Errorf(keyward.ECONFLICT, "this code no longer exists: it was disposed of")
			return refused
		}
		code, err := s.vault.Open(sealed.String, keyCodeAAD(id))
		if err != nil {
			return fmt.Errorf("store: open key code: %w", err)
		}
		rv := keyward.CodeReveal{ID: newID("rvl"), KeyCodeID: id, RequestID: req.ID, By: a.UserID, ByName: tx.actorDisplayName(ctx, a),
			Role: a.Role, At: tx.now, Reason: in.Reason, Source: k.Source}
		seq, err := tx.record(ctx, a, "code.reveal", "key_code", id, map[string]any{"request_id": req.ID, "reason": in.Reason,
			"source": k.Source, "revealed_to": rv.ByName, "words": rv.Words()})
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO code_reveals (id, key_code_id, request_id, by_user, by_name, role, at, reason, audit_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			rv.ID, id, req.ID, rv.By, rv.ByName, string(a.Role), ts(tx.now), in.Reason, seq); err != nil {
			return fmt.Errorf("store: insert code reveal: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE code_requests SET reveals = reveals + 1, updated_at = ? WHERE id = ?`, ts(tx.now), req.ID); err != nil {
			return fmt.Errorf("store: count code reveal: %w", err)
		}
		if err := tx.secretRevealed(ctx, a, keyward.SecretRevealedData{Secret: keyward.RevealedKeyCode, ObjectType: "key_code", ObjectID: id, Name: k.What(), Reason: in.Reason}); err != nil {
			return err
		}
		out = &keyward.RevealedCode{Code: code, ExpiresAt: tx.now.Add(time.Duration(set.RevealSeconds) * time.Second), Reveal: rv}
		return nil
	})
	if refused != nil {
		return nil, s.db.recordRefusal(ctx, a, "code.reveal", "key_code", id,
			map[string]any{"request_id": in.RequestID, "reason": in.Reason, "refused": keyward.ErrorMessage(refused)}, refused)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Incidents and exposures.

const incidentSelect = `SELECT i.id, i.key_code_id, i.note, i.opened_by_name, i.opened_at, i.closed_by_name, i.closed_at, i.close_note FROM code_incidents i`

func scanIncident(row interface{ Scan(...any) error }) (*keyward.CodeIncident, error) {
	var in keyward.CodeIncident
	var opened string
	var closed sql.NullString
	if err := row.Scan(&in.ID, &in.KeyCodeID, &in.Note, &in.OpenedByName, &opened, &in.ClosedByName, &closed, &in.CloseNote); err != nil {
		return nil, err
	}
	in.OpenedAt, in.ClosedAt = parseTS(opened), parseNullTS(closed)
	return &in, nil
}

const exposureSelect = `SELECT e.id, e.key_code_id, e.incident_id, e.remedy, e.opened_at, e.resolved_by_name, e.resolved_at, e.resolve_note FROM code_exposures e`

func scanExposure(row interface{ Scan(...any) error }) (*keyward.CodeExposure, error) {
	var e keyward.CodeExposure
	var opened string
	var resolved sql.NullString
	if err := row.Scan(&e.ID, &e.KeyCodeID, &e.IncidentID, &e.Remedy, &opened, &e.ResolvedByName, &resolved, &e.ResolveNote); err != nil {
		return nil, err
	}
	e.OpenedAt, e.ResolvedAt = parseTS(opened), parseNullTS(resolved)
	return &e, nil
}

// fillIncident adds what the code is, every reveal of it and the exposure raised.
func fillIncident(ctx context.Context, q rowQuerier, in *keyward.CodeIncident, set keyward.CodeSettings) error {
	k, err := loadKeyCode(ctx, q, in.KeyCodeID, set)
	if err != nil {
		return err
	}
	in.What = k.What()
	if in.Reveals, err = loadReveals(ctx, q, `v.key_code_id = ?`, in.KeyCodeID); err != nil {
		return err
	}
	e, err := scanExposure(q.QueryRow(ctx, exposureSelect+` WHERE e.incident_id = ?`, in.ID))
	if err == nil {
		e.What = in.What
		in.Exposure = e
	} else if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: incident exposure: %w", err)
	}
	return nil
}

// OpenIncident records a suspected disclosure: it blocks reveals until
// closed, raises the exposure of the vehicle or lock, and tells the
// owners (code.incident), listing who the code was revealed to.
func (s *KeyCodes) OpenIncident(ctx context.Context, a keyward.Actor, keyCodeID string, in keyward.CodeNoteInput) (*keyward.CodeIncident, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCodeIncident, "key_code", keyCodeID); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	id := newID("inc")
	err := s.db.withTx(ctx, func(tx *Tx) error {
		k, _, err := tx.lockKeyCode(ctx, keyCodeID)
		if err != nil {
			return err
		}
		if k.IncidentID != "" {
			return keyward.Errorf(keyward.ECONFLICT, "a suspected disclosure of this code is already open: add to it, or close it first")
		}
		name := tx.actorDisplayName(ctx, a)
		if _, err := tx.Exec(ctx, `INSERT INTO code_incidents (id, key_code_id, note, opened_by_name, opened_at) VALUES (?, ?, ?, ?, ?)`,
			id, keyCodeID, in.Note, name, ts(tx.now)); err != nil {
			return fmt.Errorf("store: insert code incident: %w", err)
		}
		exposure, remedy := newID("exp"), keyward.RemedyFor(k)
		if _, err := tx.Exec(ctx, `INSERT INTO code_exposures (id, key_code_id, incident_id, remedy, opened_at) VALUES (?, ?, ?, ?, ?)`,
			exposure, keyCodeID, id, remedy, ts(tx.now)); err != nil {
			return fmt.Errorf("store: insert code exposure: %w", err)
		}
		reveals, err := loadReveals(ctx, tx, `v.key_code_id = ?`, keyCodeID)
		if err != nil {
			return err
		}
		if _, err := tx.record(ctx, a, "code.incident_open", "key_code", keyCodeID, map[string]any{"incident_id": id, "exposure_id": exposure,
			"remedy": remedy, "note": in.Note, "reveals": len(reveals)}); err != nil {
			return err
		}
		d := keyward.CodeIncidentData{IncidentID: id, KeyCodeID: keyCodeID, What: k.What(), Note: in.Note, By: actorName(a), Remedy: remedy, RevealedTo: []string{}}
		for _, r := range reveals {
			d.RevealedTo = append(d.RevealedTo, r.Words())
		}
		return tx.codeIncidentOpened(ctx, d)
	})
	if err != nil {
		return nil, err
	}
	return s.incident(ctx, id)
}

func (s *KeyCodes) incident(ctx context.Context, id string) (*keyward.CodeIncident, error) {
	q := poolQuerier{s.db}
	set, err := loadCodeSettings(ctx, q)
	if err != nil {
		return nil, err
	}
	in, err := scanIncident(q.QueryRow(ctx, incidentSelect+` WHERE i.id = ?`, id))
	if err != nil {
		return nil, notFound(err, "incident", id)
	}
	return in, fillIncident(ctx, q, in, set)
}

// Incident returns an incident with every reveal of its code.
func (s *KeyCodes) Incident(ctx context.Context, a keyward.Actor, id string) (*keyward.CodeIncident, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCodeRead, "code_incident", id); err != nil {
		return nil, err
	}
	return s.incident(ctx, id)
}

// Incidents lists a code's incidents ("" every code), newest first.
func (s *KeyCodes) Incidents(ctx context.Context, a keyward.Actor, keyCodeID string) ([]keyward.CodeIncident, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCodeRead, "code_incident", ""); err != nil {
		return nil, err
	}
	q := incidentSelect
	var args []any
	if keyCodeID != "" {
		if _, err := s.read(ctx, keyCodeID); err != nil {
			return nil, err
		}
		q += ` WHERE i.key_code_id = ?`
		args = append(args, keyCodeID)
	}
	rows, err := s.db.query(ctx, q+` ORDER BY i.opened_at DESC, i.id DESC LIMIT 500`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list incidents: %w", err)
	}
	out := []keyward.CodeIncident{}
	for rows.Next() {
		in, err := scanIncident(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *in)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	pq := poolQuerier{s.db}
	set, err := loadCodeSettings(ctx, pq)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if err := fillIncident(ctx, pq, &out[i], set); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CloseIncident closes an incident: reveals may go on; the exposure stays
// open until it is resolved.
func (s *KeyCodes) CloseIncident(ctx context.Context, a keyward.Actor, id string, in keyward.CodeNoteInput) (*keyward.CodeIncident, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCodeManage, "code_incident", id); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	err := s.db.withTx(ctx, func(tx *Tx) error {
		var codeID string
		if err := tx.QueryRow(ctx, `SELECT key_code_id FROM code_incidents WHERE id = ?`, id).Scan(&codeID); err != nil {
			return notFound(err, "incident", id)
		}
		if err := tx.lockRow(ctx, "key_codes", "key code", codeID); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE code_incidents SET closed_at = ?, closed_by_name = ?, close_note = ? WHERE id = ? AND closed_at IS NULL`,
			ts(tx.now), tx.actorDisplayName(ctx, a), in.Note, id)
		if err != nil {
			return fmt.Errorf("store: close incident: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return keyward.Errorf(keyward.ECONFLICT, "this incident is already closed")
		}
		_, err = tx.record(ctx, a, "code.incident_close", "key_code", codeID, map[string]any{"incident_id": id, "note": in.Note})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.incident(ctx, id)
}

// Exposures lists exposures, open first, newest first within each.
func (s *KeyCodes) Exposures(ctx context.Context, a keyward.Actor, openOnly bool) ([]keyward.CodeExposure, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCodeRead, "code_exposure", ""); err != nil {
		return nil, err
	}
	q := exposureSelect
	if openOnly {
		q += ` WHERE e.resolved_at IS NULL`
	}
	rows, err := s.db.query(ctx, q+` ORDER BY CASE WHEN e.resolved_at IS NULL THEN 0 ELSE 1 END, e.opened_at DESC, e.id DESC LIMIT 500`)
	if err != nil {
		return nil, fmt.Errorf("store: list exposures: %w", err)
	}
	out := []keyward.CodeExposure{}
	for rows.Next() {
		e, err := scanExposure(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		k, err := s.read(ctx, out[i].KeyCodeID)
		if err != nil {
			return nil, err
		}
		out[i].What = k.What()
	}
	return out, nil
}

// ResolveExposure records the vehicle re-programmed or the lock rekeyed.
func (s *KeyCodes) ResolveExposure(ctx context.Context, a keyward.Actor, id string, in keyward.CodeNoteInput) (*keyward.CodeExposure, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCodeExposure, "code_exposure", id); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	err := s.db.withTx(ctx, func(tx *Tx) error {
		var codeID, remedy string
		if err := tx.QueryRow(ctx, `SELECT key_code_id, remedy FROM code_exposures WHERE id = ?`, id).Scan(&codeID, &remedy); err != nil {
			return notFound(err, "exposure", id)
		}
		if err := tx.lockRow(ctx, "key_codes", "key code", codeID); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE code_exposures SET resolved_at = ?, resolved_by_name = ?, resolve_note = ? WHERE id = ? AND resolved_at IS NULL`,
			ts(tx.now), tx.actorDisplayName(ctx, a), in.Note, id)
		if err != nil {
			return fmt.Errorf("store: resolve exposure: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return keyward.Errorf(keyward.ECONFLICT, "this exposure is already resolved")
		}
		_, err = tx.record(ctx, a, "code.exposure_resolve", "key_code", codeID, map[string]any{"exposure_id": id, "remedy": remedy, "note": in.Note})
		return err
	})
	if err != nil {
		return nil, err
	}
	e, err := scanExposure(s.db.queryRow(ctx, exposureSelect+` WHERE e.id = ?`, id))
	if err != nil {
		return nil, notFound(err, "exposure", id)
	}
	k, err := s.read(ctx, e.KeyCodeID)
	if err != nil {
		return nil, err
	}
	e.What = k.What()
	return e, nil
}

// Disposal.

// dispose destroys code k's sealed value and writes its disposal record and
// audit record, in tx, with k's row locked. won is false when another
// server disposed of it first.
func (t *Tx) dispose(ctx context.Context, a keyward.Actor, k *keyward.KeyCode, rule string) (won bool, err error) {
	res, err := t.Exec(ctx, `UPDATE key_codes SET code_sealed = NULL, disposed_at = ? WHERE id = ? AND disposed_at IS NULL`, ts(t.now), k.ID)
	if err != nil {
		return false, fmt.Errorf("store: dispose of key code: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	by := t.actorDisplayName(ctx, a)
	if a.Role == keyward.RoleSystem {
		by = "Keyward (" + a.Email + ")"
	}
	seq, err := t.record(ctx, a, "code.dispose", "key_code", k.ID, map[string]any{"rule": rule, "what": k.What()})
	if err != nil {
		return false, err
	}
	if _, err := t.Exec(ctx, `INSERT INTO code_disposals (key_code_id, at, by_name, rule, audit_seq) VALUES (?, ?, ?, ?, ?)`,
		k.ID, ts(t.now), by, rule, seq); err != nil {
		return false, fmt.Errorf("store: insert disposal record: %w", err)
	}
	return true, nil
}

// DisposeKeyCode destroys a code now, for a reason given.
func (s *KeyCodes) DisposeKeyCode(ctx context.Context, a keyward.Actor, id string, in keyward.CodeNoteInput) (*keyward.KeyCode, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCodeManage, "key_code", id); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	err := s.db.withTx(ctx, func(tx *Tx) error {
		k, _, err := tx.lockKeyCode(ctx, id)
		if err != nil {
			return err
		}
		if k.Disposal != nil {
			return keyward.Errorf(keyward.ECONFLICT, "this code was already disposed of")
		}
		var approved int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM code_requests WHERE key_code_id = ? AND state = ?`, id, keyward.CodeApproved).Scan(&approved); err != nil {
			return err
		}
		if approved > 0 {
			return keyward.Errorf(keyward.ECONFLICT, "a job on this code is approved and not closed: record the service done or cancel it first")
		}
		_, err = tx.dispose(ctx, a, k, "disposed of by hand: "+in.Note)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.read(ctx, id)
}

// DisposeDueCodes disposes of every code whose retention has ended. Every
// server may run it at once: each code is decided again under its row's
// lock, and the guarded update lets one server dispose of it, once.
func (s *KeyCodes) DisposeDueCodes(ctx context.Context) (int, error) {
	return s.db.DisposeDueCodes(ctx)
}

// DisposeDueCodes is KeyCodes.DisposeDueCodes for the scheduler, which holds the DB.
func (d *DB) DisposeDueCodes(ctx context.Context) (int, error) {
	// Candidates: codes still held with a job closed or a vehicle that left
	// a fleet; keyward.CodeDisposalDue decides each.
	rows, err := d.query(ctx, `SELECT k.id FROM key_codes k WHERE k.disposed_at IS NULL AND (
		EXISTS (SELECT 1 FROM code_requests r WHERE r.key_code_id = k.id AND r.closed_at IS NOT NULL)
		OR EXISTS (SELECT 1 FROM code_fleet_vehicles fv WHERE fv.vin = k.vin AND k.vin <> '' AND fv.removed_at IS NOT NULL))
		ORDER BY k.created_at LIMIT 500`)
	if err != nil {
		return 0, fmt.Errorf("store: disposal candidates: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	sys := keyward.SystemActor("scheduler")
	n := 0
	for _, id := range ids {
		won := false
		err := d.withTx(ctx, func(tx *Tx) error {
			k, set, err := tx.lockKeyCode(ctx, id)
			if err != nil {
				return err
			}
			f, err := disposalFacts(ctx, tx, k)
			if err != nil {
				return err
			}
			if !keyward.DisposalDueNow(f, set, tx.now) {
				return nil
			}
			_, words := keyward.CodeDisposalDue(f, set)
			won, err = tx.dispose(ctx, sys, k, "retention ended: "+words)
			return err
		})
		if err != nil {
			return n, err
		}
		if won {
			n++
		}
	}
	return n, nil
}

// Fleets.

func (s *KeyCodes) fleet(ctx context.Context, q rowQuerier, id string) (*keyward.Fleet, error) {
	var f keyward.Fleet
	var created string
	if err := q.QueryRow(ctx, `SELECT id, name, authorization_ref, created_at FROM code_fleets WHERE id = ?`, id).Scan(&f.ID, &f.Name, &f.AuthorizationRef, &created); err != nil {
		return nil, notFound(err, "fleet", id)
	}
	f.CreatedAt = parseTS(created)
	rows, err := q.Query(ctx, `SELECT vin, added_at, removed_at FROM code_fleet_vehicles WHERE fleet_id = ? ORDER BY CASE WHEN removed_at IS NULL THEN 0 ELSE 1 END, vin, added_at`, id)
	if err != nil {
		return nil, fmt.Errorf("store: fleet vehicles: %w", err)
	}
	defer rows.Close()
	f.Vehicles = []keyward.FleetVehicle{}
	for rows.Next() {
		var v keyward.FleetVehicle
		var added string
		var removed sql.NullString
		if err := rows.Scan(&v.VIN, &added, &removed); err != nil {
			return nil, err
		}
		v.AddedAt, v.RemovedAt = parseTS(added), parseNullTS(removed)
		f.Vehicles = append(f.Vehicles, v)
	}
	return &f, rows.Err()
}

// CreateFleet records a fleet account and its standing authorization.
func (s *KeyCodes) CreateFleet(ctx context.Context, a keyward.Actor, in keyward.FleetInput) (*keyward.Fleet, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCodeManage, "fleet", ""); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	id := newID("flt")
	err := s.db.withTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO code_fleets (id, name, authorization_ref, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
			id, in.Name, in.AuthorizationRef, a.UserID, ts(tx.now)); err != nil {
			return fmt.Errorf("store: insert fleet: %w", err)
		}
		_, err := tx.record(ctx, a, "code.fleet_create", "fleet", id, map[string]any{"name": in.Name, "authorization_ref": in.AuthorizationRef})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.fleet(ctx, poolQuerier{s.db}, id)
}

// Fleet returns a fleet with its vehicles, current first.
func (s *KeyCodes) Fleet(ctx context.Context, a keyward.Actor, id string) (*keyward.Fleet, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCodeRead, "fleet", id); err != nil {
		return nil, err
	}
	return s.fleet(ctx, poolQuerier{s.db}, id)
}

// Fleets lists the fleets by name.
func (s *KeyCodes) Fleets(ctx context.Context, a keyward.Actor) ([]keyward.Fleet, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCodeRead, "fleet", ""); err != nil {
		return nil, err
	}
	rows, err := s.db.query(ctx, `SELECT id FROM code_fleets ORDER BY name, id LIMIT 500`)
	if err != nil {
		return nil, fmt.Errorf("store: list fleets: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []keyward.Fleet{}
	for _, id := range ids {
		f, err := s.fleet(ctx, poolQuerier{s.db}, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *f)
	}
	return out, nil
}

// AddFleetVehicle lists a vehicle under the fleet's standing authorization.
// ECONFLICT if it is in a fleet already.
func (s *KeyCodes) AddFleetVehicle(ctx context.Context, a keyward.Actor, fleetID string, in keyward.FleetVehicleInput) (*keyward.Fleet, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCodeManage, "fleet", fleetID); err != nil {
		return nil, err
	}
	warnings, err := in.Validate()
	if err != nil {
		return nil, err
	}
	err = s.db.withTx(ctx, func(tx *Tx) error {
		if err := tx.lockRow(ctx, "code_fleets", "fleet", fleetID); err != nil {
			return err
		}
		var other string
		err := tx.QueryRow(ctx, `SELECT f.name FROM code_fleet_vehicles fv JOIN code_fleets f ON f.id = fv.fleet_id WHERE fv.vin = ? AND fv.removed_at IS NULL`, in.VIN).Scan(&other)
		if err == nil {
			return keyward.Errorf(keyward.ECONFLICT, "vehicle %s is already in fleet %s", in.VIN, other)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO code_fleet_vehicles (id, fleet_id, vin, added_at) VALUES (?, ?, ?, ?)`, newID("flv"), fleetID, in.VIN, ts(tx.now)); err != nil {
			if isUnique(err) {
				return keyward.Errorf(keyward.ECONFLICT, "vehicle %s is already in a fleet", in.VIN)
			}
			return fmt.Errorf("store: add fleet vehicle: %w", err)
		}
		_, err = tx.record(ctx, a, "code.fleet_vehicle_add", "fleet", fleetID, map[string]any{"vin": in.VIN})
		return err
	})
	if err != nil {
		return nil, err
	}
	f, err := s.fleet(ctx, poolQuerier{s.db}, fleetID)
	if err != nil {
		return nil, err
	}
	f.Warnings = warnings
	return f, nil
}

// RemoveFleetVehicle records a vehicle leaving the fleet: its codes' retention starts.
func (s *KeyCodes) RemoveFleetVehicle(ctx context.Context, a keyward.Actor, fleetID, vin string) (*keyward.Fleet, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCodeManage, "fleet", fleetID); err != nil {
		return nil, err
	}
	vin = keyward.NormalizeVIN(vin)
	err := s.db.withTx(ctx, func(tx *Tx) error {
		if err := tx.lockRow(ctx, "code_fleets", "fleet", fleetID); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE code_fleet_vehicles SET removed_at = ? WHERE fleet_id = ? AND vin = ? AND removed_at IS NULL`, ts(tx.now), fleetID, vin)
		if err != nil {
			return fmt.Errorf("store: remove fleet vehicle: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return keyward.Errorf(keyward.ENOTFOUND, "vehicle %s is not in this fleet", vin)
		}
		_, err = tx.record(ctx, a, "code.fleet_vehicle_remove", "fleet", fleetID, map[string]any{"vin": vin})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.fleet(ctx, poolQuerier{s.db}, fleetID)
}
