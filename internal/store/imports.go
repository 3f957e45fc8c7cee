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
		return report(f, importer.Check(f, lk)), nil
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
				Extra: map[string]any{"errors": plan.Errors, "rows": plan.Rows, "report": report(f, plan)}}
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

// report is a dry run's answer: the errors, what the file names that the
// organization lacks, and how each due date was read.
func report(f *importer.File, plan *importer.Plan) *ImportResult {
	res := &ImportResult{Rows: plan.Rows, Errors: plan.Errors, New: []keyward.ImportNew{}, Dates: []keyward.ImportDate{},
		DateOrder: f.DateOrder, HeaderRow: f.HeaderRow}
	for _, u := range plan.New {
		res.New = append(res.New, keyward.ImportNew{Kind: u.Kind, Name: u.Name, Email: u.Email, Site: u.Site, NeedsCreate: u.NeedsCreate, Rows: u.Rows})
	}
	for _, d := range f.Dates {
		res.Dates = append(res.Dates, keyward.ImportDate{Row: d.Row, Text: d.Text, At: d.At, Read: d.How})
	}
	return res
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
	lk := importer.Lookups{Keyways: map[string]string{}, Holders: map[string]string{}, HolderNames: map[string][]string{},
		Copies: map[string][]int{}, Spellings: map[string]string{}, Refused: map[string]string{}, Scheduled: map[string]bool{}, HooksTaken: map[string]string{}}
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
	for chunk := range chunks(f.HolderNames(), importBatch) {
		err := scanEach(ctx, q, `SELECT name, id FROM holders WHERE retired_at IS NULL AND LOWER(name) IN (`+marks(len(chunk))+`)`, anys(chunk), func(r *sql.Rows) error {
			var name, id string
			err := r.Scan(&name, &id)
			lk.HolderNames[name] = append(lk.HolderNames[name], id)
			return err
		})
		if err != nil {
			return lk, fmt.Errorf("store: import holder names: %w", err)
		}
	}
	// Stamps are compared folded (keyward.FoldSymbol, the index keys_symbol_upper);
	// a symbol keeps the spelling of its keys, else of its key system, else of a door's schedule.
	for chunk := range chunks(f.Symbols(), importBatch) {
		for _, table := range []string{"keys", "key_symbols", "opening_symbols"} {
			cols := "symbol, 0"
			if table == "keys" {
				cols = "symbol, copy_number"
			}
			err := scanEach(ctx, q, `SELECT `+cols+` FROM `+table+` WHERE UPPER(symbol) IN (`+marks(len(chunk))+`)`, anys(chunk), func(r *sql.Rows) error {
				var sym string
				var n int
				err := r.Scan(&sym, &n)
				fold := keyward.FoldSymbol(sym)
				if table == "keys" {
					lk.Copies[fold] = append(lk.Copies[fold], n)
				}
				if _, ok := lk.Spellings[fold]; !ok {
					lk.Spellings[fold] = sym
				}
				return err
			})
			if err != nil {
				return lk, fmt.Errorf("store: import %s: %w", table, err)
			}
		}
	}
	if doors := f.DoorNames(); len(doors) > 0 {
		err := scanEach(ctx, q, `SELECT id, name FROM sites WHERE retired_at IS NULL`, nil, func(r *sql.Rows) error {
			var s importer.Place
			err := r.Scan(&s.ID, &s.Name)
			lk.Sites = append(lk.Sites, s)
			return err
		})
		if err != nil {
			return lk, fmt.Errorf("store: import sites: %w", err)
		}
		for chunk := range chunks(doors, importBatch) {
			err := scanEach(ctx, q, `SELECT id, name, site_id FROM openings WHERE retired_at IS NULL AND LOWER(name) IN (`+marks(len(chunk))+`)`, anys(chunk), func(r *sql.Rows) error {
				var d importer.Door
				err := r.Scan(&d.ID, &d.Name, &d.SiteID)
				lk.Doors = append(lk.Doors, d)
				return err
			})
			if err != nil {
				return lk, fmt.Errorf("store: import doors: %w", err)
			}
		}
		ids := make([]string, len(lk.Doors))
		for i, d := range lk.Doors {
			ids[i] = d.ID
		}
		for chunk := range chunks(ids, importBatch) {
			err := scanEach(ctx, q, `SELECT opening_id, symbol FROM opening_symbols WHERE opening_id IN (`+marks(len(chunk))+`)`, anys(chunk), func(r *sql.Rows) error {
				var id, sym string
				err := r.Scan(&id, &sym)
				lk.Scheduled[id+"/"+keyward.FoldSymbol(sym)] = true
				return err
			})
			if err != nil {
				return lk, fmt.Errorf("store: import schedules: %w", err)
			}
		}
	}
	if f.HasHooks() {
		err := scanEach(ctx, q, `SELECT id, name, hooks FROM storage_places WHERE kind = ? AND retired_at IS NULL`, []any{keyward.StorageCabinet}, func(r *sql.Rows) error {
			var c importer.Cabinet
			err := r.Scan(&c.ID, &c.Name, &c.Hooks)
			lk.Cabinets = append(lk.Cabinets, c)
			return err
		})
		if err != nil {
			return lk, fmt.Errorf("store: import cabinets: %w", err)
		}
		err = scanEach(ctx, q, `SELECT h.storage_id, h.hook, k.symbol, k.copy_number FROM key_homes h JOIN keys k ON k.id = h.key_id
			JOIN storage_places p ON p.id = h.storage_id WHERE p.kind = ? AND h.hook IS NOT NULL`, []any{keyward.StorageCabinet}, func(r *sql.Rows) error {
			var id, sym string
			var hook, n int
			err := r.Scan(&id, &hook, &sym, &n)
			lk.HooksTaken[id+"/"+strconv.Itoa(hook)] = stamp(sym, n)
			return err
		})
		if err != nil {
			return lk, fmt.Errorf("store: import hooks: %w", err)
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
	slices.SortFunc(plan.Holders, func(x, y importer.Holder) int {
		return cmp.Or(strings.Compare(x.Email, y.Email), strings.Compare(x.Ref, y.Ref))
	})
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
	siteIDs := map[string]string{}
	err = insertBatches(ctx, t, `INSERT INTO sites (id, name, address, created_at) VALUES `, 4, plan.Sites, func(_ int, s importer.NewItem) []any {
		siteIDs[s.Ref] = newID("site")
		return []any{siteIDs[s.Ref], s.Name, "", now}
	})
	if err != nil {
		return nil, fmt.Errorf("store: import sites: %w", err)
	}
	keywayIDs := map[string]string{}
	err = insertBatches(ctx, t, `INSERT INTO keyways (id, name, manufacturer, duplication_policy, created_at) VALUES `, 5, plan.Keyways, func(_ int, k importer.NewItem) []any {
		keywayIDs[k.Ref] = newID("kwy")
		return []any{keywayIDs[k.Ref], k.Name, "", keyward.DupOpen, now}
	})
	if err != nil {
		return nil, fmt.Errorf("store: import keyways: %w", err)
	}
	doorIDs := map[string]string{}
	err = insertBatches(ctx, t, `INSERT INTO openings (id, site_id, name, kind, created_at) VALUES `, 5, plan.Doors, func(_ int, d importer.NewItem) []any {
		doorIDs[d.Ref] = newID("opn")
		site := d.SiteID
		if site == "" {
			site = siteIDs[d.NewSite]
		}
		return []any{doorIDs[d.Ref], site, d.Name, "door", now}
	})
	if err != nil {
		return nil, fmt.Errorf("store: import doors: %w", err)
	}
	holderIDs := make(map[string]string, len(plan.Holders))
	err = insertBatches(ctx, t, `INSERT INTO holders (id, name, email, phone, kind, signatory, emergency_contact, created_at) VALUES `,
		8, plan.Holders, func(_ int, h importer.Holder) []any {
			hid := newID("hld")
			if h.Email != "" {
				holderIDs[h.Email] = hid
			} else {
				holderIDs[h.Ref] = hid
			}
			return []any{hid, h.Name, nullStr(h.Email), "", h.Kind, 0, 0, now}
		})
	if err != nil {
		return nil, fmt.Errorf("store: import holders: %w", err)
	}
	keyIDs := make([]string, len(plan.Keys))
	holders := make([]sql.NullString, len(plan.Keys))
	for i, k := range plan.Keys {
		keyIDs[i] = newID("key")
		switch {
		case k.HolderID != "":
			holders[i] = nullStr(k.HolderID)
		case k.HolderEmail != "":
			holders[i] = nullStr(holderIDs[k.HolderEmail])
		default:
			holders[i] = nullStr(holderIDs[k.NewHolder])
		}
		if k.KeywayID == "" {
			plan.Keys[i].KeywayID = keywayIDs[k.NewKeyway]
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
	err = insertBatches(ctx, t, `INSERT INTO opening_symbols (opening_id, symbol, created_at) VALUES `, 3, plan.Schedule, func(_ int, e importer.Scheduled) []any {
		opening := e.OpeningID
		if opening == "" {
			opening = doorIDs[e.NewDoor]
		}
		return []any{opening, e.Symbol, now}
	})
	if err != nil {
		return nil, fmt.Errorf("store: import schedules: %w", err)
	}
	var hung []int
	for i, k := range plan.Keys {
		if k.CabinetID != "" {
			hung = append(hung, i)
		}
	}
	err = insertBatches(ctx, t, `INSERT INTO key_homes (key_id, storage_id, hook, assigned_at) VALUES `, 4, hung, func(_ int, i int) []any {
		return []any{keyIDs[i], plan.Keys[i].CabinetID, plan.Keys[i].Hook, now}
	})
	if err != nil {
		return nil, fmt.Errorf("store: import hooks: %w", err)
	}
	created := func(items []importer.NewItem) []string {
		out := []string{}
		for _, it := range items {
			out = append(out, it.Name)
		}
		return out
	}
	seq, err := t.record(ctx, a, "key.import", "import", id, map[string]any{
		"rows": plan.Rows, "keys_created": len(plan.Keys), "holders_created": len(plan.Holders), "sha256": f.SHA256,
		"keyways_created": created(plan.Keyways), "sites_created": created(plan.Sites), "doors_created": created(plan.Doors),
		"schedule_added": len(plan.Schedule), "hooks_assigned": len(hung),
	})
	if err != nil {
		return nil, err
	}
	actor, role := actorName(a), string(a.Role)
	err = insertBatches(ctx, t, `INSERT INTO custody_events (id, key_id, action, at, actor, actor_role, holder_id, due_at, note, audit_seq) VALUES `,
		10, plan.Keys, func(i int, k importer.Key) []any {
			// The import's id stays in the audit record; people read the row.
			note := "row " + strconv.Itoa(k.Row) + " of the spreadsheet"
			return []any{newID("evt"), keyIDs[i], keyward.CustodyImport, now, actor, role, holders[i], nullTS(k.DueAt), note, seq}
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
