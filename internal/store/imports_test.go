package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/importer"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
)

// importFixture is a database with an owner, two keyways, holder Dana and key AA1-1.
type importFixture struct {
	env   *storetest.Env
	db    *store.DB
	owner keyward.Actor
	token string
}

func newImportFixture(t testing.TB, b storetest.Backend) *importFixture {
	t.Helper()
	ctx := context.Background()
	env := b(t)
	db := env.Open(t)
	acc := db.Accounts(env.Vault)
	u, _, err := acc.Init(ctx, store.InitInput{Org: "Acme Property", Email: "owner@acme.test", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	owner := keyward.Actor{UserID: u.ID, Email: u.Email, Role: u.Role}
	tok, err := acc.CreateToken(ctx, owner, u.Email, "export test")
	if err != nil {
		t.Fatal(err)
	}
	dir := db.Directory()
	sc1, err := dir.CreateKeyway(ctx, owner, keyward.KeywayInput{Name: "Schlage SC1", Manufacturer: "Schlage", DuplicationPolicy: "restricted"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dir.CreateKeyway(ctx, owner, keyward.KeywayInput{Name: "Medeco M3", Manufacturer: "Medeco", DuplicationPolicy: "dnd"}); err != nil {
		t.Fatal(err)
	}
	if _, err := dir.CreateHolder(ctx, owner, keyward.HolderInput{Name: "Dana Ruiz", Email: "dana@acme.test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Custody().CreateKey(ctx, owner, keyward.KeyInput{KeywayID: sc1.ID, Symbol: "AA1"}); err != nil {
		t.Fatal(err)
	}
	return &importFixture{env: env, db: db, owner: owner, token: tok}
}

func (f *importFixture) count(t testing.TB, q string) int64 {
	t.Helper()
	n, err := f.env.SQL().Count(q)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// counts is what an import may change.
func (f *importFixture) counts(t testing.TB) [4]int64 {
	return [4]int64{f.count(t, `SELECT COUNT(*) FROM keys`), f.count(t, `SELECT COUNT(*) FROM holders`),
		f.count(t, `SELECT COUNT(*) FROM audit_log`), f.count(t, `SELECT COUNT(*) FROM custody_events`)}
}

func sampleFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "import", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parse(t testing.TB, b []byte) *importer.File {
	t.Helper()
	f, err := importer.Parse(bytes.NewReader(b), importer.CSV)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func keyByStamp(t *testing.T, db *store.DB, a keyward.Actor, symbol string, copy int) keyward.Key {
	t.Helper()
	page, err := db.Custody().Keys(context.Background(), a, keyward.KeyFilter{Symbol: symbol})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range page.Items {
		if k.CopyNumber == copy {
			return k
		}
	}
	t.Fatalf("no key %s-%d", symbol, copy)
	return keyward.Key{}
}

func TestImportCommit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newImportFixture(t, b)
		before := f.counts(t)
		file := parse(t, sampleFile(t, "keys_clean.csv"))
		res, err := f.db.Import(ctx, f.owner, file, false)
		if err != nil {
			t.Fatal(err)
		}
		if res.Rows != 30 || res.HoldersCreated != 6 {
			t.Fatalf("result = %+v", res)
		}
		after := f.counts(t)
		if want := [4]int64{before[0] + 30, before[1] + 6, before[2] + 1, before[3] + 30}; after != want {
			t.Fatalf("counts %v → %v, want %v", before, after, want)
		}
		// One audit record for the whole import, and every logbook line points at it.
		recs, err := f.db.Audit(ctx, f.owner, keyward.AuditFilter{Action: "key.import"})
		if err != nil || len(recs.Items) != 1 {
			t.Fatalf("audit = %+v, %v", recs, err)
		}
		rec := recs.Items[0]
		var details map[string]any
		if err := json.Unmarshal([]byte(rec.Details), &details); err != nil {
			t.Fatal(err)
		}
		if details["rows"] != float64(30) || details["holders_created"] != float64(6) || details["sha256"] != file.SHA256 || rec.SubjectType != "import" {
			t.Fatalf("audit record = %+v", rec)
		}
		if n := f.count(t, fmt.Sprintf(`SELECT COUNT(*) FROM custody_events WHERE action = 'import' AND audit_seq = %d`, rec.Seq)); n != 30 {
			t.Fatalf("%d logbook lines point at the import record, want 30", n)
		}
		if _, _, err := f.db.VerifyAudit(ctx, nil); err != nil {
			t.Fatalf("audit chain after import: %v", err)
		}

		holders := map[string]keyward.Holder{}
		page, err := f.db.Directory().Holders(ctx, f.owner, keyward.ListOptions{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range page.Items {
			holders[h.Email] = h
		}
		if h := holders["lena.okafor@acme.test"]; h.Name != "Lena Okafor" || h.Kind != "staff" {
			t.Fatalf("created holder = %+v", h)
		}
		due := func(s string) *time.Time { v, _ := time.Parse(time.RFC3339, s); return &v }
		for _, c := range []struct {
			symbol string
			copy   int
			status string
			holder string
			due    *time.Time
		}{
			{"GGM", 1, keyward.StatusInStorage, "", nil},
			{"GM1", 1, keyward.StatusIssued, "dana@acme.test", nil},
			{"AA1", 2, keyward.StatusIssued, "priya.natarajan@acme.test", nil},
			{"AA1", 3, keyward.StatusInStorage, "", nil},
			{"AA2", 1, keyward.StatusCheckedOut, "marcus.hale@acme.test", due("2026-03-06T17:00:00Z")},
			{"AA3", 1, keyward.StatusCheckedOut, "lena.okafor@acme.test", due("2026-02-27T17:00:00Z")}, // overdue: allowed
			{"AA3", 2, keyward.StatusIssued, "lena.okafor@acme.test", nil},
			{"AB2", 1, keyward.StatusCheckedOut, "tom.becker@contractor.test", due("2026-03-02T16:00:00Z")},
			{"M3.102", 2, keyward.StatusInStorage, "", nil},
		} {
			k := keyByStamp(t, f.db, f.owner, c.symbol, c.copy)
			wantHolder := ""
			if c.holder != "" {
				wantHolder = holders[c.holder].ID
			}
			if k.Status != c.status || k.HolderID != wantHolder || (k.DueAt == nil) != (c.due == nil) || (c.due != nil && !k.DueAt.Equal(*c.due)) {
				t.Errorf("%s: %+v, want %s holder %s due %v", k.Stamp, k, c.status, c.holder, c.due)
			}
		}
		if n := f.count(t, `SELECT COUNT(*) FROM keys WHERE status = 'checked_out' AND checkout_id IS NOT NULL`); n != 5 {
			t.Fatalf("%d checked-out keys have a checkout id, want 5", n)
		}
		k := keyByStamp(t, f.db, f.owner, "AA3", 1)
		hist, err := f.db.Custody().History(ctx, f.owner, k.ID, keyward.ListOptions{})
		if err != nil || len(hist.Items) != 1 || hist.Items[0].Action != "import" || hist.Items[0].HolderID == "" || hist.Items[0].Actor != "owner@acme.test" {
			t.Fatalf("history = %+v, %v", hist, err)
		}
		// Custody goes on from the imported state.
		if _, err := f.db.Custody().Checkin(ctx, f.owner, k.ID, keyward.CheckinInput{}); err != nil {
			t.Fatalf("check in an imported loan: %v", err)
		}

		// The same file again: every explicit copy number is taken now.
		before = f.counts(t)
		_, err = f.db.Import(ctx, f.owner, parse(t, sampleFile(t, "keys_clean.csv")), false)
		rowErrs := unprocessable(t, err)
		if len(rowErrs) != 27 || rowErrs[0] != (importer.RowError{Row: 1, Column: "copy_number", Rule: importer.RuleCopyExists}) {
			t.Fatalf("re-import errors = %+v", rowErrs)
		}
		if after := f.counts(t); after != before {
			t.Fatalf("a rejected import wrote rows: %v → %v", before, after)
		}
	})
}

func unprocessable(t *testing.T, err error) []importer.RowError {
	t.Helper()
	var e *keyward.Error
	if !errors.As(err, &e) || e.Code != keyward.EUNPROCESSABLE {
		t.Fatalf("err = %v, want EUNPROCESSABLE", err)
	}
	errs, _ := e.Extra["errors"].([]importer.RowError)
	if len(errs) == 0 {
		t.Fatalf("no row errors in %+v", e)
	}
	return errs
}

func TestImportAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newImportFixture(t, b)
		before := f.counts(t)
		// The clean file with one bad row at the end: nothing of it is written.
		bad := append(sampleFile(t, "keys_clean.csv"), "ZZ9,Schlage SC1,1,New Person,new.person@acme.test,next week\n"...)
		_, err := f.db.Import(ctx, f.owner, parse(t, bad), false)
		if errs := unprocessable(t, err); !slices.Equal(errs, []importer.RowError{{Row: 31, Column: "due_at", Rule: importer.RuleDueAt}}) {
			t.Fatalf("errors = %+v", errs)
		}
		if after := f.counts(t); after != before {
			t.Fatalf("a rejected import wrote rows: %v → %v", before, after)
		}
		// A dry run writes nothing either, even for a clean file.
		res, err := f.db.Import(ctx, f.owner, parse(t, sampleFile(t, "keys_clean.csv")), true)
		if err != nil || res.Rows != 30 || res.Errors == nil || len(res.Errors) != 0 {
			t.Fatalf("dry run = %+v, %v", res, err)
		}
		if after := f.counts(t); after != before {
			t.Fatalf("a dry run wrote rows: %v → %v", before, after)
		}
		// A role without import is refused, and the refusal is recorded.
		auditor := keyward.Actor{UserID: "usr_aud", Email: "auditor@acme.test", Role: keyward.RoleAuditor}
		_, err = f.db.Import(ctx, auditor, parse(t, sampleFile(t, "keys_clean.csv")), true)
		if keyward.ErrorCode(err) != keyward.EFORBIDDEN {
			t.Fatalf("auditor import: %v", err)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'denied.import'`); n != 1 {
			t.Fatalf("%d denial records", n)
		}
	})
}

func TestImportSamplesDryRun(t *testing.T) {
	want := map[string]int{"keys_clean.csv": 0, "bom_semicolon.csv": 0, "duplicate_copies.csv": 4,
		"unknown_holders.csv": 3, "bad_values.csv": 14, "missing_column.csv": 1}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newImportFixture(t, b)
		for name, n := range want {
			res, err := f.db.Import(context.Background(), f.owner, parse(t, sampleFile(t, name)), true)
			if err != nil || len(res.Errors) != n {
				t.Errorf("%s: %+v, %v; want %d errors", name, res, err, n)
			}
		}
	})
}

// bulkCSV is a realistic file of n rows: ten copies per symbol (every third
// numbered by the importer), a quarter issued to 1,000 holders of whom the
// first is known, half of those lent with a due date.
func bulkCSV(n int, due time.Time) []byte {
	var b bytes.Buffer
	b.WriteString("symbol,keyway,copy_number,holder_name,holder_email,due_at,note\n")
	for i := range n {
		copyNo := fmt.Sprint(i%10 + 1)
		if i%3 == 0 {
			copyNo = ""
		}
		kw := "Schlage SC1"
		if i%2 == 1 {
			kw = "Medeco M3"
		}
		name, email, dueAt := "", "", ""
		if i%4 == 0 {
			h := i / 4 % 1000
			name, email = fmt.Sprintf("Holder %d", h), fmt.Sprintf("holder%04d@bulk.test", h)
			if h == 0 {
				email = "dana@acme.test"
			}
			if i%8 == 0 {
				dueAt = due.Add(time.Duration(i%96-48) * time.Hour).Format(time.RFC3339)
			}
		}
		fmt.Fprintf(&b, "B%05d,%s,%s,%s,%s,%s,imported from the old log\n", i/10, kw, copyNo, name, email, dueAt)
	}
	return b.Bytes()
}

func TestImport50000Rows(t *testing.T) {
	if testing.Short() {
		t.Skip("50,000 rows: not in -short")
	}
	const n = 50_000
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newImportFixture(t, b)
		data := bulkCSV(n, f.env.Clock.Now())
		start := time.Now()
		file := parse(t, data)
		parsed := time.Since(start)
		res, err := f.db.Import(ctx, f.owner, file, true)
		if err != nil || len(res.Errors) != 0 {
			t.Fatalf("dry run: %+v, %v", res, err)
		}
		dry := time.Since(start) - parsed
		start2 := time.Now()
		res, err = f.db.Import(ctx, f.owner, file, false)
		if err != nil {
			t.Fatal(err)
		}
		commit := time.Since(start2)
		t.Logf("%s: %d rows (%d KiB): parse %v, dry run %v, import %v", f.env.Name, n, len(data)>>10, parsed.Round(time.Millisecond), dry.Round(time.Millisecond), commit.Round(time.Millisecond))
		if res.Rows != n || res.HoldersCreated != 999 {
			t.Fatalf("result = %+v", res)
		}
		if got := f.count(t, `SELECT COUNT(*) FROM keys WHERE symbol LIKE 'B%'`); got != n {
			t.Fatalf("%d keys", got)
		}
		if got := f.count(t, `SELECT COUNT(*) FROM custody_events WHERE action = 'import'`); got != n {
			t.Fatalf("%d logbook lines", got)
		}
		if got := f.count(t, `SELECT COUNT(*) FROM keys WHERE status = 'checked_out'`); got != n/8 {
			t.Fatalf("%d checked out, want %d", got, n/8)
		}
		if commit > 60*time.Second {
			t.Fatalf("import took %v", commit)
		}
		// Exporting them streams every row.
		start = time.Now()
		rows := 0
		if err := f.db.Export(ctx, f.owner, "keys", func([]string) error { rows++; return nil }); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: export of %d keys %v", f.env.Name, rows-1, time.Since(start).Round(time.Millisecond))
		if rows != n+2 {
			t.Fatalf("export rows = %d", rows)
		}
	})
}

func TestExports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newImportFixture(t, b)
		if _, err := f.db.Import(ctx, f.owner, parse(t, sampleFile(t, "keys_clean.csv")), false); err != nil {
			t.Fatal(err)
		}
		export := func(kind string) [][]string {
			var out [][]string
			err := f.db.Export(ctx, f.owner, kind, func(r []string) error {
				out = append(out, slices.Clone(r))
				return nil
			})
			if err != nil {
				t.Fatalf("export %s: %v", kind, err)
			}
			return out
		}
		keys := export("keys")
		if len(keys) != 32 || !slices.Equal(keys[0][:6], importer.Columns) {
			t.Fatalf("keys export: %d rows, header %v", len(keys), keys[0])
		}
		if !slices.ContainsFunc(keys, func(r []string) bool {
			return slices.Equal(r[:8], []string{"AA3", "Schlage SC1", "1", "Lena Okafor", "lena.okafor@acme.test", "2026-02-27T17:00:00Z", "checked_out", "AA3-1"})
		}) {
			t.Fatalf("AA3-1 is not in the export: %v", keys)
		}
		holders := export("holders")
		if len(holders) != 8 || holders[0][1] != "name" {
			t.Fatalf("holders export = %v", holders)
		}
		logbook := export("logbook")
		if len(logbook) != 32 || logbook[1][2] != "create" || logbook[2][2] != "import" {
			t.Fatalf("logbook export = %v", logbook[:3])
		}
		// An export of the keys loads into another database as it is.
		var buf bytes.Buffer
		for _, r := range keys {
			buf.WriteString(strings.Join(r, ",") + "\n")
		}
		g := newImportFixture(t, b)
		res, err := g.db.Import(ctx, g.owner, parse(t, buf.Bytes()), true)
		if err != nil || len(res.Errors) != 1 || res.Errors[0].Row != 1 { // AA1-1 exists in both
			t.Fatalf("re-import of the export: %+v, %v", res, err)
		}
		// No export holds a secret: not the password, the API token, or a hash of either.
		var all strings.Builder
		for _, kind := range store.ExportKinds {
			for _, r := range export(kind) {
				all.WriteString(strings.Join(r, ",") + "\n")
			}
		}
		for _, secret := range []string{"correct horse battery", f.token, "$argon2", "password", "totp", "secret"} {
			if strings.Contains(all.String(), secret) {
				t.Fatalf("an export contains %q", secret)
			}
		}
		if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action LIKE 'export.%'`); n != 6 {
			t.Fatalf("%d export records, want 6", n)
		}
		err = f.db.Export(ctx, f.owner, "users", func([]string) error { return nil })
		if keyward.ErrorCode(err) != keyward.ENOTFOUND {
			t.Fatalf("export users: %v", err)
		}
		holder := keyward.Actor{UserID: "usr_h", Email: "h@acme.test", Role: keyward.RoleHolder}
		if err := f.db.Export(ctx, holder, "keys", func([]string) error { return nil }); keyward.ErrorCode(err) != keyward.EFORBIDDEN {
			t.Fatalf("holder export: %v", err)
		}
	})
}

// TestImportConcurrent: the same file imported four times at once is written
// once; every other attempt is refused whole (422 if it saw the first one's
// keys, 409 if it raced it) and leaves nothing behind.
func TestImportConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newImportFixture(t, b)
		before := f.counts(t)
		file := parse(t, sampleFile(t, "keys_clean.csv"))
		codes := make([]keyward.Code, 4)
		var wg sync.WaitGroup
		for i := range codes {
			wg.Go(func() {
				db := f.env.Open(t) // a second server process, as it were
				_, err := db.Import(ctx, f.owner, file, false)
				codes[i] = keyward.ErrorCode(err)
			})
		}
		wg.Wait()
		ok := 0
		for _, c := range codes {
			switch c {
			case "":
				ok++
			case keyward.EUNPROCESSABLE, keyward.ECONFLICT:
			default:
				t.Fatalf("codes = %v", codes)
			}
		}
		if after := f.counts(t); ok != 1 || after != [4]int64{before[0] + 30, before[1] + 6, before[2] + 1, before[3] + 30} {
			t.Fatalf("codes %v, counts %v → %v", codes, before, after)
		}
		if _, _, err := f.db.VerifyAudit(ctx, nil); err != nil {
			t.Fatal(err)
		}
	})
}
