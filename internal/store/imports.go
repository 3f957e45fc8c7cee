package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/keyward/keyward/internal/importer"
	"github.com/keyward/keyward/internal/keyward"
)

// ImportResult is the answer to an import: the number of data rows and, for a
// dry run, every row error (never nil).
type ImportResult = keyward.ImportResult

// importBatch is how many rows one INSERT carries: few round trips, and well
// under the bind-parameter limits of both backends (10 columns × 500).
const importBatch = 500

// Import checks a parsed spreadsheet against the database. A dry run only
// reports. Otherwise a file without errors is written in one transaction: new
// holders, the keys with their statuses, one audit record (key.import) and
// one logbook line per key. Any row error is EUNPROCESSABLE with every error
// in Extra, and nothing is written. ECONFLICT if another request stamped one of
// the keys or created one of the holders meanwhile.
func (d *DB) Import(ctx context.Context, a keyward.Actor, f *importer.File, dryRun bool) (*ImportResult, error) {
	if err := d.recordDenial(ctx, a, keyward.ActImport, "import", ""); err != nil {
		return nil, err
	}
	if dryRun {
		// Reads only, outside a write transaction: a dry run must not hold
		// SQLite's write lock while it reads thousands of rows.
		lk, err := importLookups(ctx, poolQuerier{d}, a, f)
		if err != nil {
			return nil, err
		}
		plan := importer.Check(f, lk)
		return &ImportResult{Rows: plan.Rows, Errors: plan.Errors}, nil
	}
	var res *ImportResult
	err := d.withTx(ctx, func(tx *Tx) error {
		lk, err := importLookups(ctx, tx, a, f)
		if err != nil {
			return err
		}
		plan := importer.Check(f, lk)
		if len(plan.Errors) > 0 {
			msg := fmt.Sprintf("the file has %d errors; nothing was imported", len(plan.Errors))
			if len(plan.Errors) == 1 {
				msg = "the file has an error; nothing was imported"
			}
			return &keyward.Error{Code: keyward.EUNPROCESSABLE, Message: msg,
				Extra: map[string]any{"errors": plan.Errors, "rows": plan.Rows}}
		}
		res, err = tx.applyImport(ctx, a, f, plan)
		return err
	})
	if err != nil {
		if isUnique(err) {
			return nil, &keyward.Error{Code: keyward.ECONFLICT, Err: err,
				Message: "a key or holder in the file was created by someone else during the import; nothing was imported, run it again"}
		}
		return nil, err
	}
	return res, nil
}

// querier is what the lookups read through: a transaction or the pool.
type querier interface {
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

type poolQuerier struct{ d *DB }

func (p poolQuerier) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return p.d.query(ctx, q, args...)
}

// importLookups reads what importer.Check needs: every keyway (and those
// whose copies a may not register), and the holders and stamped copies that
// the file's emails and symbols name.
func importLookups(ctx context.Context, q querier, a keyward.Actor, f *importer.File) (importer.Lookups, error) {
	lk := importer.Lookups{Keyways: map[string]string{}, Holders: map[string]string{}, Copies: map[string][]int{}, Refused: map[string]string{}}
	if !f.Header {
		return lk, nil
	}
	err := scanEach(ctx, q, `SELECT name, id, duplication_policy FROM keyways`, nil, func(r *sql.Rows) error {
		var name, id, policy string
		err := r.Scan(&name, &id, &policy)
		lk.Keyways[name] = id
		if keyward.MayCreateKeyDirectly(a.Role, policy) != nil {
			lk.Refused[id] = keyward.RuleCopyThroughRequest
		}
		return err
	})
	if err != nil {
		return lk, fmt.Errorf("store: import keyways: %w", err)
	}
	// Holder emails are stored lower case (createHolder), as the importer compares them.
	for chunk := range chunks(f.Emails(), importBatch) {
		err := scanEach(ctx, q, `SELECT email, id FROM holders WHERE email IN (`+marks(len(chunk))+`)`, anys(chunk), func(r *sql.Rows) error {
			var email, id string
			err := r.Scan(&email, &id)
			lk.Holders[email] = id
			return err
		})
		if err != nil {
			return lk, fmt.Errorf("store: import holders: %w", err)
		}
	}
	for chunk := range chunks(f.Symbols(), importBatch) {
		err := scanEach(ctx, q, `SELECT symbol, copy_number FROM keys WHERE symbol IN (`+marks(len(chunk))+`)`, anys(chunk), func(r *sql.Rows) error {
			var sym string
			var n int
			err := r.Scan(&sym, &n)
			lk.Copies[sym] = append(lk.Copies[sym], n)
			return err
		})
		if err != nil {
			return lk, fmt.Errorf("store: import keys: %w", err)
		}
	}
	return lk, nil
}

// scanEach runs a query and calls scan for every row.
func scanEach(ctx context.Context, q querier, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// anys passes strings as query arguments.
func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// chunks yields s in slices of at most n.
func chunks[T any](s []T, n int) func(yield func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			m := min(n, len(s))
			if !yield(s[:m]) {
				return
			}
			s = s[m:]
		}
	}
}

// marks returns n comma-separated placeholders.
func marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// applyImport writes a checked plan in batches: holders, keys, then the one
// audit record, then a logbook line per key carrying that record's seq.
// Lock order: the rows go in before the record, as in createKey, and in
// sorted order (holders by email, keys by stamp), so two imports, or an import
// and a single create, wait for each other instead of deadlocking on
// PostgreSQL; the loser of a race gets a unique violation, then ECONFLICT.
func (t *Tx) applyImport(ctx context.Context, a keyward.Actor, f *importer.File, plan *importer.Plan) (*ImportResult, error) {
	slices.SortFunc(plan.Holders, func(x, y importer.Holder) int { return strings.Compare(x.Email, y.Email) })
	slices.SortFunc(plan.Keys, func(x, y importer.Key) int {
		return cmp.Or(strings.Compare(x.Symbol, y.Symbol), cmp.Compare(x.CopyNumber, y.CopyNumber))
	})
	id := newID("imp")
	now := ts(t.now)
	restore, err := t.importCache(ctx)
	if err != nil {
		return nil, err
	}
	defer restore()
	holderIDs := make(map[string]string, len(plan.Holders))
	err = insertBatches(ctx, t, `INSERT INTO holders (id, name, email, phone, kind, signatory, emergency_contact, created_at) VALUES `,
		8, plan.Holders, func(_ int, h importer.Holder) []any {
			hid := newID("hld")
			holderIDs[h.Email] = hid
			return []any{hid, h.Name, h.Email, "", "staff", 0, 0, now}
		})
	if err != nil {
		return nil, fmt.Errorf("store: import holders: %w", err)
	}
	keyIDs := make([]string, len(plan.Keys))
	holders := make([]sql.NullString, len(plan.Keys))
	for i, k := range plan.Keys {
		keyIDs[i] = newID("key")
		if k.HolderID != "" {
			holders[i] = nullStr(k.HolderID)
		} else {
			holders[i] = nullStr(holderIDs[k.HolderEmail])
		}
	}
	err = insertBatches(ctx, t, `INSERT INTO keys (id, keyway_id, symbol, copy_number, status, holder_id, due_at, checkout_id, created_at, origin) VALUES `,
		10, plan.Keys, func(i int, k importer.Key) []any {
			// A check-out gets its own id, as in Custody.move, so its overdue reminder is sent once.
			checkout := sql.NullString{}
			if k.Status == keyward.StatusCheckedOut {
				checkout = nullStr(newID("co"))
			}
			return []any{keyIDs[i], k.KeywayID, k.Symbol, k.CopyNumber, k.Status, holders[i], nullTS(k.DueAt), checkout, now, keyward.OriginImported}
		})
	if err != nil {
		return nil, fmt.Errorf("store: import keys: %w", err)
	}
	seq, err := t.record(ctx, a, "key.import", "import", id, map[string]any{
		"rows": plan.Rows, "keys_created": len(plan.Keys), "holders_created": len(plan.Holders), "sha256": f.SHA256,
	})
	if err != nil {
		return nil, err
	}
	actor, role := actorName(a), string(a.Role)
	err = insertBatches(ctx, t, `INSERT INTO custody_events (id, key_id, action, at, actor, actor_role, holder_id, due_at, note, audit_seq) VALUES `,
		10, plan.Keys, func(i int, k importer.Key) []any {
			note := "import " + id + ", row " + strconv.Itoa(k.Row)
			return []any{newID("evt"), keyIDs[i], "import", now, actor, role, holders[i], nullTS(k.DueAt), note, seq}
		})
	if err != nil {
		return nil, fmt.Errorf("store: import logbook: %w", err)
	}
	return &ImportResult{Rows: plan.Rows, HoldersCreated: len(plan.Holders), ImportID: id}, nil
}

// importCache gives SQLite's page cache room for a large import (128 MiB
// instead of the default 2 MiB) until restore: random ids scatter the index
// inserts, and a small cache spills dirty pages to the WAL before commit,
// which made a 50,000-row import about 40% slower. PostgreSQL needs nothing.
func (t *Tx) importCache(ctx context.Context) (restore func(), err error) {
	if t.db.dialect != sqliteDialect {
		return func() {}, nil
	}
	var was int64
	if err := t.QueryRow(ctx, `PRAGMA cache_size`).Scan(&was); err != nil {
		return nil, fmt.Errorf("store: import cache: %w", err)
	}
	if _, err := t.Exec(ctx, `PRAGMA cache_size = -131072`); err != nil {
		return nil, fmt.Errorf("store: import cache: %w", err)
	}
	return func() {
		// The connection goes back to the pool: leave its cache as it was.
		_, _ = t.Exec(context.WithoutCancel(ctx), `PRAGMA cache_size = `+strconv.FormatInt(was, 10))
	}, nil
}

// insertBatches runs prefix + multi-row VALUES for items, importBatch rows per statement.
// row gets each item with its index in items.
func insertBatches[T any](ctx context.Context, t *Tx, prefix string, cols int, items []T, row func(int, T) []any) error {
	tuple := "(" + marks(cols) + ")"
	for start := 0; start < len(items); start += importBatch {
		chunk := items[start:min(start+importBatch, len(items))]
		var q strings.Builder
		q.WriteString(prefix)
		args := make([]any, 0, len(chunk)*cols)
		for j, it := range chunk {
			if j > 0 {
				q.WriteString(", ")
			}
			q.WriteString(tuple)
			args = append(args, row(start+j, it)...)
		}
		if _, err := t.Exec(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}
