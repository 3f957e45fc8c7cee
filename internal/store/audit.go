package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/keyward/keyward/internal/audit"
	"github.com/keyward/keyward/internal/keyward"
)

// record appends one audit record in tx. It locks the audit head, so appends
// from every process form one chain; if it fails, the caller's change fails too.
// details must not hold plaintext secrets: keyward.Secret values redact themselves.
//
// The record is chained at once (its seq and hash are final, and the caller
// may store the seq beside its change) but written with the transaction's
// other records just before it commits (flushAudit): on PostgreSQL a custody
// batch holds the chain head from its first move to its commit, and two
// round trips per record (the row and the head) were most of that time.
func (t *Tx) record(ctx context.Context, a keyward.Actor, action, subjectType, subjectID string, details map[string]any) (int64, error) {
	if details == nil {
		details = map[string]any{}
	}
	b, err := json.Marshal(details)
	if err != nil {
		return 0, fmt.Errorf("store: audit details: %w", err)
	}
	head, err := t.lockHead(ctx)
	if err != nil {
		return 0, err
	}
	seq, prev := head.seq, head.hash
	r := audit.Record{
		Seq: seq + 1, ID: newID("aud"), At: t.now, Actor: actorName(a), ActorRole: string(a.Role),
		Action: action, SubjectType: subjectType, SubjectID: subjectID, Details: string(b),
	}
	h := audit.ChainHash(prev, r)
	t.unwritten = append(t.unwritten, audit.Stored{Record: r, PrevHash: prev, Hash: h})
	t.head = &chainHead{seq: r.Seq, hash: h}
	return r.Seq, nil
}

// auditFlushRows bounds the rows of one INSERT (11 values each: far below
// either backend's limit on bound values).
const auditFlushRows = 500

// flushAudit writes the records this transaction has chained but not yet
// written, and moves the chain head past them: one statement on PostgreSQL,
// two on SQLite (which has no INSERT inside WITH, and no network to cross).
// It runs before the commit and before any statement that reads the log.
func (t *Tx) flushAudit(ctx context.Context) error {
	if len(t.unwritten) == 0 {
		return nil
	}
	if t.flushErr != nil {
		return t.flushErr
	}
	t.wrote = true
	for len(t.unwritten) > 0 {
		chunk := t.unwritten[:min(auditFlushRows, len(t.unwritten))]
		last := chunk[len(chunk)-1]
		var q strings.Builder
		args := make([]any, 0, len(chunk)*11+3)
		if t.db.dialect == postgresDialect {
			q.WriteString(`WITH appended AS (`)
		}
		q.WriteString(`INSERT INTO audit_log (seq, id, at, actor, actor_role, action, subject_type, subject_id, details, prev_hash, hash) VALUES `)
		for i, r := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, r.Seq, r.ID, ts(r.At), r.Actor, r.ActorRole, r.Action, r.SubjectType, r.SubjectID, r.Details, r.PrevHash, r.Hash)
		}
		const moveHead = `UPDATE chain_head SET seq = ?, hash = ?, prev_hash = ? WHERE id = 1`
		headArgs := []any{last.Seq, last.Hash, last.PrevHash}
		if t.db.dialect == postgresDialect {
			q.WriteString(`) ` + moveHead)
			if _, err := t.tx.ExecContext(ctx, t.db.rebind(q.String()), append(args, headArgs...)...); err != nil {
				return t.flushFailed(fmt.Errorf("store: audit append: %w", err))
			}
		} else {
			if _, err := t.tx.ExecContext(ctx, q.String(), args...); err != nil {
				return t.flushFailed(fmt.Errorf("store: audit append: %w", err))
			}
			if _, err := t.tx.ExecContext(ctx, moveHead, headArgs...); err != nil {
				return t.flushFailed(fmt.Errorf("store: audit head: %w", err))
			}
		}
		t.unwritten = t.unwritten[len(chunk):]
	}
	return nil
}

// flushFailed keeps the first failure: the transaction can no longer commit,
// whichever statement meets it first.
func (t *Tx) flushFailed(err error) error {
	t.flushErr = err
	return err
}

// lockHead reads the audit chain head, locking its row on PostgreSQL, once
// per transaction: record keeps t.head up to date after each append.
func (t *Tx) lockHead(ctx context.Context) (*chainHead, error) {
	if t.head != nil {
		return t.head, nil
	}
	lock := ""
	if t.db.dialect == postgresDialect {
		lock = " FOR UPDATE"
	}
	var h chainHead
	if err := t.QueryRow(ctx, `SELECT seq, hash FROM chain_head WHERE id = 1`+lock).Scan(&h.seq, &h.hash); err != nil {
		return nil, fmt.Errorf("store: audit head: %w", err)
	}
	t.head = &h
	return t.head, nil
}

func actorName(a keyward.Actor) string {
	if a.Email != "" {
		return a.Email
	}
	return a.UserID
}

// recordDenial commits a denied attempt in its own transaction, then returns the denial.
func (d *DB) recordDenial(ctx context.Context, a keyward.Actor, action keyward.Action, subjectType, subjectID string) error {
	denied := keyward.Authorize(a, action)
	if denied == nil {
		return nil
	}
	err := d.withTx(ctx, func(tx *Tx) error {
		_, err := tx.record(ctx, a, "denied."+string(action), subjectType, subjectID, nil)
		return err
	})
	if err != nil {
		return err
	}
	return denied
}

// recordRefusal commits the audit record of an attempt a domain rule refused
// ("denied." + action), then returns the refusal.
func (d *DB) recordRefusal(ctx context.Context, a keyward.Actor, action, subjectType, subjectID string, details map[string]any, denied error) error {
	err := d.withTx(ctx, func(tx *Tx) error {
		_, err := tx.record(ctx, a, "denied."+action, subjectType, subjectID, details)
		return err
	})
	if err != nil {
		return err
	}
	return denied
}

// AuditFilter narrows the audit log.
type AuditFilter = keyward.AuditFilter

// Audit lists the audit log newest first.
func (d *DB) Audit(ctx context.Context, a keyward.Actor, f keyward.AuditFilter) (*keyward.Page[keyward.AuditRecord], error) {
	if err := d.recordDenial(ctx, a, keyward.ActAuditRead, "audit", ""); err != nil {
		return nil, err
	}
	limit := clampLimit(f.Limit)
	q := `SELECT ` + auditColumns + ` FROM audit_log WHERE 1 = 1`
	var args []any
	if f.Cursor != "" {
		before, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil || before < 1 {
			return nil, keyward.Invalid("cursor", "is not a cursor this list returned")
		}
		q += ` AND seq < ?`
		args = append(args, before)
	}
	if f.Action == keyward.DeniedActions {
		q += ` AND action LIKE 'denied.%'`
	} else if f.Action != "" {
		q += ` AND action = ?`
		args = append(args, f.Action)
	}
	if f.SubjectType != "" {
		q += ` AND subject_type = ?`
		args = append(args, f.SubjectType)
	}
	if f.From != nil {
		q += ` AND at >= ?`
		args = append(args, ts(*f.From))
	}
	if f.To != nil {
		q += ` AND at < ?`
		args = append(args, ts(*f.To))
	}
	if f.Actor != "" {
		q += ` AND actor = ?`
		args = append(args, f.Actor)
	}
	if f.SubjectID != "" {
		q += ` AND subject_id = ?`
		args = append(args, f.SubjectID)
	}
	q += ` ORDER BY seq DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := d.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: audit list: %w", err)
	}
	defer rows.Close()
	page := &keyward.Page[keyward.AuditRecord]{Items: []keyward.AuditRecord{}}
	for rows.Next() {
		r, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		page.Items = append(page.Items, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = strconv.FormatInt(page.Items[limit-1].Seq, 10)
	}
	return page, nil
}

func scanAudit(rows *sql.Rows) (keyward.AuditRecord, error) {
	var r keyward.AuditRecord
	var at string
	if err := rows.Scan(&r.Seq, &r.ID, &at, &r.Actor, &r.ActorRole, &r.Action, &r.SubjectType, &r.SubjectID, &r.Details, &r.PrevHash, &r.Hash); err != nil {
		return r, fmt.Errorf("store: scan audit: %w", err)
	}
	r.At = parseTS(at)
	return r, nil
}

// VerifySummary is what audit verify reports for an intact log.
type VerifySummary struct {
	Records int64
	Last    string
	Root    string
}

const auditColumns = `seq, id, at, actor, actor_role, action, subject_type, subject_id, details, prev_hash, hash`

// AuditSince calls each for every audit record after seq after, in seq order,
// as stored. A row an edit left unreadable (a seq of 10.5, a time that is a
// number) is returned as *audit.BadRecord naming where it sits in the log.
func (d *DB) AuditSince(ctx context.Context, after int64, each func(audit.Stored) error) error {
	rows, err := d.query(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE seq > ? ORDER BY seq`, after)
	if err != nil {
		return fmt.Errorf("store: audit read: %w", err)
	}
	defer rows.Close()
	last := after
	var at string
	for rows.Next() {
		// Straight into the record each gets: verify reads every row of the log.
		var s audit.Stored
		if err := rows.Scan(&s.Seq, &s.ID, &at, &s.Actor, &s.ActorRole, &s.Action, &s.SubjectType, &s.SubjectID, &s.Details, &s.PrevHash, &s.Hash); err != nil {
			if ctx.Err() != nil {
				return ctx.Err() // canceled between Next and Scan: the rows were closed under us, the row is fine
			}
			return &audit.BadRecord{Seq: last + 1, Reason: fmt.Sprintf("the record after seq %d cannot be read, a column holds a value of the wrong type: store: scan audit: %v", last, err)}
		}
		s.At = parseTS(at)
		last = s.Seq
		if err := each(s); err != nil {
			return err
		}
	}
	return rows.Err()
}

// verifyBatch is how many records the reader hands the verifier at a time:
// enough that the hand-over costs little next to the hashing, few enough
// that the verifier starts at once and a batch stays small in memory.
const verifyBatch = 256

// auditPipeline is AuditSince with the reading on a goroutine of its own, so
// the next rows are read while each checks the last ones. each still runs
// on the caller's goroutine, once per record, in seq order, and the error
// returned is the one AuditSince would return: each's first error, else the
// reader's. Once each fails the reader is stopped, and auditPipeline returns
// only after the reader has ended and released its connection.
func (d *DB) auditPipeline(ctx context.Context, after int64, each func(audit.Stored) error) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	full := make(chan []audit.Stored, 4)
	empty := make(chan []audit.Stored, 6) // batches back from the verifier, so there is no new one per batch
	read := make(chan error, 1)
	go func() {
		defer close(full)
		batch := make([]audit.Stored, 0, verifyBatch)
		send := func() error {
			select {
			case full <- batch:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case batch = <-empty:
				batch = batch[:0]
			default:
				batch = make([]audit.Stored, 0, verifyBatch)
			}
			return nil
		}
		err := d.AuditSince(ctx, after, func(s audit.Stored) error {
			batch = append(batch, s)
			if len(batch) < verifyBatch {
				return nil
			}
			return send()
		})
		// The records before a failure are checked first, as AuditSince would
		// have handed them over before failing.
		if len(batch) > 0 {
			if sent := send(); err == nil {
				err = sent
			}
		}
		read <- err
	}()
	var failed error
	for batch := range full {
		for i := 0; i < len(batch) && failed == nil; i++ {
			if err := each(batch[i]); err != nil {
				failed = err
				stop() // the reader is past this record: what it reads next does not matter
			}
		}
		clear(batch) // drop the records' strings before the batch waits to be reused
		select {
		case empty <- batch:
		default:
		}
	}
	// full is closed: the reader has returned and sent its error.
	if err := <-read; failed == nil {
		return err
	}
	return failed
}

// AuditHead is the chain head: how many records the log says it holds and the last hash.
func (d *DB) AuditHead(ctx context.Context) (int64, string, error) {
	var seq int64
	var hash string
	if err := d.queryRow(ctx, `SELECT seq, hash FROM chain_head WHERE id = 1`).Scan(&seq, &hash); err != nil {
		return 0, "", fmt.Errorf("store: audit head: %w", err)
	}
	return seq, hash, nil
}

// VerifyAudit recomputes the whole chain and Merkle tree, streaming rows in seq
// order, reading the next rows while it hashes the last. It returns
// *audit.BadRecord naming the first record that fails. each sees every
// record that verified, in order.
func (d *DB) VerifyAudit(ctx context.Context, each func(audit.Stored)) (*VerifySummary, *audit.Verifier, error) {
	v := audit.NewVerifier()
	err := d.auditPipeline(ctx, 0, func(s audit.Stored) error {
		if err := v.Add(s); err != nil {
			return err
		}
		if each != nil {
			each(s)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	headSeq, headHash, err := d.AuditHead(ctx)
	if err != nil {
		return nil, nil, err
	}
	if headSeq != v.Size() || headHash != v.Last() {
		return nil, nil, &audit.BadRecord{Seq: headSeq, Reason: fmt.Sprintf("the log ends at record %d but its head says %d: records were removed from the end", v.Size(), headSeq)}
	}
	root, err := v.Root()
	if err != nil {
		return nil, nil, err
	}
	return &VerifySummary{Records: v.Size(), Last: v.Last(), Root: root.String()}, v, nil
}

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 500:
		return 500
	}
	return n
}

// auditNameQueries read what people call each kind of thing an audit record
// names: id, then the columns of its name (see auditName).
var auditNameQueries = map[string]string{
	keyward.RefKey:         `SELECT id, symbol || '-' || CAST(copy_number AS TEXT), '', '' FROM keys WHERE id IN (%s)`,
	keyward.RefHolder:      `SELECT id, name, '', '' FROM holders WHERE id IN (%s)`,
	keyward.RefOpening:     `SELECT id, name, '', '' FROM openings WHERE id IN (%s)`,
	keyward.RefSite:        `SELECT id, name, '', '' FROM sites WHERE id IN (%s)`,
	keyward.RefKeyway:      `SELECT id, name, '', '' FROM keyways WHERE id IN (%s)`,
	keyward.RefStorage:     `SELECT id, name, '', '' FROM storage_places WHERE id IN (%s)`,
	keyward.RefCredential:  `SELECT id, kind, label, '' FROM credentials WHERE id IN (%s)`,
	keyward.RefKeySystem:   `SELECT id, name, '', '' FROM key_systems WHERE id IN (%s)`,
	keyward.RefCopyRequest: `SELECT id, symbol, CAST(copies AS TEXT), '' FROM copy_requests WHERE id IN (%s)`,
	keyward.RefWebhook:     `SELECT id, url, '', '' FROM webhooks WHERE id IN (%s)`,
	keyward.RefKeyCode:     `SELECT k.id, k.vin, COALESCE(o.name, ''), '' FROM key_codes k LEFT JOIN openings o ON o.id = k.opening_id WHERE k.id IN (%s)`,
	keyward.RefCodeRequest: `SELECT r.id, k.vin, COALESCE(o.name, ''), '' FROM code_requests r JOIN key_codes k ON k.id = r.key_code_id
		LEFT JOIN openings o ON o.id = k.opening_id WHERE r.id IN (%s)`,
	keyward.RefFleet:    `SELECT id, name, '', '' FROM code_fleets WHERE id IN (%s)`,
	keyward.RefWorkList: `SELECT id, lost_symbol, '', '' FROM work_lists WHERE id IN (%s)`,
	keyward.RefUser:     `SELECT id, name, email, '' FROM users WHERE id IN (%[1]s) OR email IN (%[1]s)`,
}

// auditName is the name of one thing from its query's columns.
func auditName(kind, a, b string) string {
	switch kind {
	case keyward.RefCredential:
		if b != "" {
			return a + " “" + b + "”"
		}
		return "a " + a
	case keyward.RefCopyRequest:
		return "the request for " + b + " " + pluralize(b, "copy", "copies") + " of " + a
	case keyward.RefWorkList:
		return "the work list for lost key " + a
	case keyward.RefKeyCode, keyward.RefCodeRequest:
		what := "the key code of "
		if kind == keyward.RefCodeRequest {
			what = "the code request for "
		}
		if a != "" {
			return what + "vehicle " + a
		}
		return what + "the lock of " + b
	}
	return a
}

func pluralize(n, one, many string) string {
	if n == "1" {
		return one
	}
	return many
}

// AuditNames says what people call the things audit records name.
func (d *DB) AuditNames(ctx context.Context, a keyward.Actor, refs []keyward.AuditRef) (map[keyward.AuditRef]string, error) {
	if err := keyward.Authorize(a, keyward.ActAuditRead); err != nil {
		return nil, err
	}
	byKind := map[string][]string{}
	seen := map[keyward.AuditRef]bool{}
	for _, r := range refs {
		if _, ok := auditNameQueries[r.Kind]; ok && r.ID != "" && !seen[r] {
			seen[r] = true
			byKind[r.Kind] = append(byKind[r.Kind], r.ID)
		}
	}
	out := map[keyward.AuditRef]string{}
	for kind, ids := range byKind {
		for len(ids) > 0 {
			chunk := ids[:min(len(ids), reachChunk)]
			ids = ids[len(chunk):]
			args := make([]any, len(chunk))
			for i, id := range chunk {
				args[i] = id
			}
			q := fmt.Sprintf(auditNameQueries[kind], marks(len(chunk)))
			if kind == keyward.RefUser {
				args = append(args, args...) // by id or by email
			}
			rows, err := d.query(ctx, q, args...)
			if err != nil {
				return nil, fmt.Errorf("store: audit names: %w", err)
			}
			for rows.Next() {
				var id, x, y, z string
				if err := rows.Scan(&id, &x, &y, &z); err != nil {
					rows.Close()
					return nil, fmt.Errorf("store: audit names: %w", err)
				}
				out[keyward.AuditRef{Kind: kind, ID: id}] = auditName(kind, x, y)
				if kind == keyward.RefUser {
					out[keyward.AuditRef{Kind: kind, ID: y}] = x // by email too: actors are recorded by email
				}
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return nil, fmt.Errorf("store: audit names: %w", err)
			}
		}
	}
	return out, nil
}

// AuditActors lists who appears in the log as an actor.
func (d *DB) AuditActors(ctx context.Context, a keyward.Actor) ([]keyward.AuditActor, error) {
	if err := keyward.Authorize(a, keyward.ActAuditRead); err != nil {
		return nil, err
	}
	rows, err := d.query(ctx, `SELECT DISTINCT l.actor, COALESCE(u.name, '') FROM audit_log l LEFT JOIN users u ON u.email = l.actor ORDER BY l.actor`)
	if err != nil {
		return nil, fmt.Errorf("store: audit actors: %w", err)
	}
	defer rows.Close()
	out := []keyward.AuditActor{}
	for rows.Next() {
		var x keyward.AuditActor
		if err := rows.Scan(&x.Actor, &x.Name); err != nil {
			return nil, fmt.Errorf("store: audit actors: %w", err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}
