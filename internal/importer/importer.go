// Package importer reads a spreadsheet of keys (CSV or XLSX) and checks it
// row by row. It touches no database: Parse checks what a row says on its own,
// and Check compares the rows with Lookups the store reads beforehand, so a
// dry run and a real import report exactly the same errors.
package importer

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keyward/keyward/internal/keyward"
)

// The canonical column names, in the order errors are listed when a file lacks the column.
const (
	ColSymbol      = "symbol"
	ColKeyway      = "keyway"
	ColCopyNumber  = "copy_number"
	ColHolderName  = "holder_name"
	ColHolderEmail = "holder_email"
	ColDueAt       = "due_at"
)

// Columns lists the columns an import reads; any other column is ignored.
var Columns = []string{ColSymbol, ColKeyway, ColCopyNumber, ColHolderName, ColHolderEmail, ColDueAt}

// Limits of one import.
const (
	// MaxRows bounds the data rows of one file, so one upload cannot hold the server's memory.
	MaxRows = 100_000
	// MaxCopyNumber is the largest copy number a key can have (as keyward.KeyInput).
	MaxCopyNumber = 100_000
)

// Rules reported in RowError.Rule, beyond those of keyward.ValidSymbol and keyward.CheckEmail.
const (
	RuleColumnMissing  = "column is missing"
	RuleColumnTwice    = "column appears more than once"
	RuleRequired       = "is required"
	RuleKeywayUnknown  = "must name an existing keyway"
	RuleCopyNumber     = "must be a whole number from 1 to 100000"
	RuleCopyExists     = "is already stamped for this symbol"
	RuleDueAt          = "must be an RFC 3339 time such as 2026-05-01T17:00:00Z"
	RuleDueNeedsHolder = "needs a holder_email: only a key lent to a holder has a due date"
	RuleEmailForName   = "is required when holder_name is given"
	RuleNewHolderName  = "is required for a holder the organization does not know yet"
)

// RowError names one cell that cannot be imported. Row is the 1-based data
// row (the header is row 0).
type RowError = keyward.ImportRowError

// Row is one data row as the file states it, cells trimmed.
type Row struct {
	N           int    // 1-based data row
	Symbol      string // as stamped, case kept
	Keyway      string // a keyway name
	CopyNumber  int    // 0: the next free number for the symbol
	HolderName  string
	HolderEmail string     // lower case
	DueAt       *time.Time // UTC
	bad         uint8      // columns (bit per index in Columns) that already failed
}

func (r *Row) failed(col int) bool { return r.bad&(1<<col) != 0 }

// File is a parsed spreadsheet: its rows and the errors a row shows on its own.
type File struct {
	// SHA256 is the hex digest of the uploaded bytes, for the audit record.
	SHA256 string
	Rows   []Row
	// Errors found without the database; Check adds the rest.
	Errors []RowError
	// Header is false when a required column is missing: no row is checked then.
	Header bool
	// rank orders errors: a column's position in the file, then absent columns.
	rank map[string]int
}

// Symbols lists the distinct well-formed symbols of the file, for the store's lookups.
func (f *File) Symbols() []string {
	return f.distinct(func(r *Row) string {
		if r.failed(colSymbol) {
			return ""
		}
		return r.Symbol
	})
}

// Emails lists the distinct well-formed holder emails of the file (lower case).
func (f *File) Emails() []string {
	return f.distinct(func(r *Row) string {
		if r.failed(colHolderEmail) {
			return ""
		}
		return r.HolderEmail
	})
}

func (f *File) distinct(field func(*Row) string) []string {
	seen := map[string]bool{}
	var out []string
	for i := range f.Rows {
		if v := field(&f.Rows[i]); v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// Lookups is what Check needs to know about the database.
type Lookups struct {
	// Keyways maps each keyway name to its id.
	Keyways map[string]string
	// Holders maps the lower-case email of each known holder to its id.
	Holders map[string]string
	// Copies lists, per symbol of the file, the copy numbers already stamped.
	Copies map[string][]int
	// Refused maps the id of each keyway whose copies the importing user may
	// not register to the rule a row naming it breaks (the store asks
	// keyward.MayCreateKeyDirectly); nil when every keyway is allowed.
	Refused map[string]string
}

// Key is one key to create.
type Key struct {
	Row         int
	KeywayID    string
	Symbol      string
	CopyNumber  int
	Status      string
	HolderID    string // a known holder, or "" for HolderEmail
	HolderEmail string // a holder created by this import, when HolderID is ""
	DueAt       *time.Time
}

// Holder is a holder the import creates.
type Holder struct {
	Row   int // the first row that names it
	Name  string
	Email string
}

// Plan is the outcome of Check: what to write if Errors is empty.
type Plan struct {
	Rows    int
	Keys    []Key
	Holders []Holder
	// Errors lists every error, sorted by row then column; never nil.
	Errors []RowError
}

// column indexes into Columns.
const (
	colSymbol = iota
	colKeyway
	colCopyNumber
	colHolderName
	colHolderEmail
	colDueAt
)

// rows collects data rows and their own errors while a reader streams records.
type rows struct {
	f      *File
	seen   bool   // the header has been read
	index  [6]int // cell index of each column in a record, -1 if absent
	n      int    // data records seen, blank ones included
	serial func(float64) (time.Time, bool)
	// mapping, when set, renames the header record first (ApplyMapping).
	mapping Mapping
}

// record takes the next record: the first one that is not blank is the header.
func (p *rows) record(rec []string) error {
	if p.seen {
		return p.add(rec)
	}
	if !blank(rec) {
		if p.mapping != nil {
			mapped, err := ApplyMapping(rec, p.mapping)
			if err != nil {
				return err
			}
			rec = mapped
		}
		p.header(rec)
		p.seen = true
	}
	return nil
}

// end finishes the file; a file without a header lacks every column.
func (p *rows) end() error {
	if !p.seen {
		p.header(nil)
	}
	return nil
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// header maps a header record to column indexes and reports missing or repeated columns.
func (p *rows) header(rec []string) {
	p.f.rank = map[string]int{}
	for i := range p.index {
		p.index[i] = -1
	}
	for i, cell := range rec {
		name := strings.ToLower(strings.TrimSpace(cell))
		c := slices.Index(Columns, name)
		if c < 0 {
			continue
		}
		if p.index[c] >= 0 {
			p.f.Errors = append(p.f.Errors, RowError{Row: 0, Column: name, Rule: RuleColumnTwice})
			continue
		}
		p.index[c] = i
		p.f.rank[name] = i
	}
	for c, name := range Columns {
		if _, ok := p.f.rank[name]; !ok {
			p.f.rank[name] = len(rec) + c
		}
	}
	p.f.Header = p.index[colSymbol] >= 0 && p.index[colKeyway] >= 0
	for _, c := range []int{colSymbol, colKeyway} {
		if p.index[c] < 0 {
			p.f.Errors = append(p.f.Errors, RowError{Row: 0, Column: Columns[c], Rule: RuleColumnMissing})
		}
	}
}

// add checks one data record on its own. Blank records are skipped but keep
// their number, so row numbers match the spreadsheet.
func (p *rows) add(rec []string) error {
	p.n++
	if blank(rec) {
		return nil
	}
	var cell [6]string
	for c, i := range p.index {
		if i >= 0 && i < len(rec) {
			// A copy: the record's text is the reader's, and a row keeps only its cells.
			cell[c] = strings.Clone(strings.TrimSpace(rec[i]))
		}
	}
	if len(p.f.Rows) >= MaxRows {
		return keyward.Invalid("body", "must have at most "+strconv.Itoa(MaxRows)+" rows")
	}
	if !p.f.Header {
		// Without the key columns no row can be read; count it only.
		p.f.Rows = append(p.f.Rows, Row{N: p.n, bad: 0xff})
		return nil
	}
	r := Row{N: p.n, Symbol: cell[colSymbol], Keyway: cell[colKeyway], HolderName: cell[colHolderName]}
	fail := func(c int, rule string) {
		r.bad |= 1 << c
		p.f.Errors = append(p.f.Errors, RowError{Row: r.N, Column: Columns[c], Rule: rule})
	}
	var v keyward.Validator
	keyward.ValidSymbol(&v, Columns[colSymbol], r.Symbol)
	if err, ok := v.Err().(*keyward.Error); ok {
		fail(colSymbol, err.Fields[0].Rule)
	}
	if r.Keyway == "" {
		fail(colKeyway, RuleRequired)
	}
	if s := cell[colCopyNumber]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxCopyNumber {
			fail(colCopyNumber, RuleCopyNumber)
		} else {
			r.CopyNumber = n
		}
	}
	if rule := textRule(r.HolderName); rule != "" {
		fail(colHolderName, rule)
	}
	email := cell[colHolderEmail]
	v = keyward.Validator{}
	keyward.CheckEmail(&v, Columns[colHolderEmail], email, false)
	if err, ok := v.Err().(*keyward.Error); ok {
		fail(colHolderEmail, err.Fields[0].Rule)
	} else if email == "" && r.HolderName != "" {
		fail(colHolderEmail, RuleEmailForName)
	}
	r.HolderEmail = strings.ToLower(email)
	if s := cell[colDueAt]; s != "" {
		switch due, ok := p.dueAt(s); {
		case !ok:
			fail(colDueAt, RuleDueAt)
		case email == "":
			fail(colDueAt, RuleDueNeedsHolder)
		default:
			r.DueAt = &due
		}
	}
	p.f.Rows = append(p.f.Rows, r)
	return nil
}

func (p *rows) dueAt(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), true
	}
	// A spreadsheet date cell arrives as its serial number.
	if p.serial != nil {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return p.serial(f)
		}
	}
	return time.Time{}, false
}

// textRule is keyward's rule for a name: valid UTF-8, no NUL, at most MaxName characters.
func textRule(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	case strings.ContainsRune(s, 0):
		return "must not contain NUL"
	case utf8.RuneCountInString(s) > keyward.MaxName:
		return "must be at most " + strconv.Itoa(keyward.MaxName) + " characters"
	}
	return ""
}

// Check compares the rows with the database: keyway names, copy numbers taken
// in the database or by an earlier row, and holders. An empty copy number
// takes the next number after every copy stamped so far, in the database or
// in earlier rows of the file. It returns all errors, Parse's included.
func Check(f *File, lk Lookups) *Plan {
	plan := &Plan{Rows: len(f.Rows), Errors: append([]RowError{}, f.Errors...)}
	if !f.Header {
		sortErrors(f, plan.Errors)
		return plan
	}
	folded := map[string][]string{} // lower-case keyway name → ids, for a name typed in another case
	for name, id := range lk.Keyways {
		k := strings.ToLower(name)
		folded[k] = append(folded[k], id)
	}
	taken := map[string]map[int]int{} // symbol → copy number → row that stamps it (0: the database)
	next := map[string]int{}          // symbol → highest copy number so far
	for sym, copies := range lk.Copies {
		m := map[int]int{}
		for _, n := range copies {
			m[n] = 0
			next[sym] = max(next[sym], n)
		}
		taken[sym] = m
	}
	newHolders := map[string]bool{}
	for i := range f.Rows {
		r := &f.Rows[i]
		bad := r.bad // Check leaves f as it is: one File may be checked again, or at once
		failed := func(c int) bool { return bad&(1<<c) != 0 }
		fail := func(c int, rule string) {
			bad |= 1 << c
			plan.Errors = append(plan.Errors, RowError{Row: r.N, Column: Columns[c], Rule: rule})
		}
		k := Key{Row: r.N, Symbol: r.Symbol, CopyNumber: r.CopyNumber, DueAt: r.DueAt}
		if !failed(colKeyway) {
			id, ok := lk.Keyways[r.Keyway]
			if ids := folded[strings.ToLower(r.Keyway)]; !ok && len(ids) == 1 {
				id, ok = ids[0], true
			}
			rule, refused := lk.Refused[id]
			switch {
			case !ok:
				fail(colKeyway, RuleKeywayUnknown)
			case refused:
				fail(colKeyway, rule)
			default:
				k.KeywayID = id
			}
		}
		if !failed(colSymbol) && !failed(colCopyNumber) {
			if taken[r.Symbol] == nil {
				taken[r.Symbol] = map[int]int{}
			}
			if k.CopyNumber == 0 {
				k.CopyNumber = next[r.Symbol] + 1
			}
			switch prev, dup := taken[r.Symbol][k.CopyNumber]; {
			case k.CopyNumber > MaxCopyNumber:
				fail(colCopyNumber, RuleCopyNumber)
			case dup && prev == 0:
				fail(colCopyNumber, RuleCopyExists)
			case dup:
				fail(colCopyNumber, "repeats the symbol and copy_number of row "+strconv.Itoa(prev))
			default:
				taken[r.Symbol][k.CopyNumber] = r.N
				next[r.Symbol] = max(next[r.Symbol], k.CopyNumber)
			}
		}
		if r.HolderEmail != "" && !failed(colHolderEmail) {
			if id, ok := lk.Holders[r.HolderEmail]; ok {
				k.HolderID = id
			} else if newHolders[r.HolderEmail] {
				k.HolderEmail = r.HolderEmail
			} else if r.HolderName == "" {
				fail(colHolderName, RuleNewHolderName)
			} else if !failed(colHolderName) {
				newHolders[r.HolderEmail] = true
				k.HolderEmail = r.HolderEmail
				plan.Holders = append(plan.Holders, Holder{Row: r.N, Name: r.HolderName, Email: r.HolderEmail})
			}
		}
		switch {
		case r.HolderEmail != "" && r.DueAt != nil:
			k.Status = keyward.StatusCheckedOut
		case r.HolderEmail != "":
			k.Status = keyward.StatusIssued
		default:
			k.Status = keyward.StatusInStorage
		}
		if bad == 0 {
			plan.Keys = append(plan.Keys, k)
		}
	}
	sortErrors(f, plan.Errors)
	if len(plan.Errors) > 0 {
		plan.Keys, plan.Holders = nil, nil
	}
	return plan
}

// sortErrors orders errors by row, then by the column's place in the file.
func sortErrors(f *File, errs []RowError) {
	slices.SortStableFunc(errs, func(a, b RowError) int {
		return cmp.Or(cmp.Compare(a.Row, b.Row), cmp.Compare(f.rank[a.Column], f.rank[b.Column]))
	})
}
