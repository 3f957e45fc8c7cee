// Package importer reads a spreadsheet of keys (CSV or XLSX) and checks it
// row by row. It touches no database: Parse checks what a row says on its own,
// and Check compares the rows with Lookups the store reads beforehand, so a
// dry run and a real import report exactly the same errors.
package importer

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/when"
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

	RuleDueNeedsSomeone  = "needs a holder: only a key lent to someone has a due date"
	RuleHolderKind       = "must be one of tenant, staff, contractor, family, neighbour, other"
	RuleHolderUnknown    = "names nobody the organization knows: add their email, or let the import create this holder"
	RuleHolderNamesake   = "is the name of %d holders: add the holder's email to say which"
	RuleDoorUnknown      = "names no door of the organization: let the import create it, or correct the name"
	RuleSiteTwice        = "names a site that two sites share: rename one"
	RuleSiteNeeded       = "is needed for a new door: the organization has no site yet, so say which site the doors are at"
	RuleSiteChoose       = "is needed for a new door: say which site it is at"
	RuleHook             = "must be a hook number, such as 12 or Cabinet A 12"
	RuleHookHeld         = "must be empty for a key someone holds: only a key in storage hangs on a hook"
	RuleHookNoCabinet    = "needs a cabinet: the organization has none yet (add one under Storage)"
	RuleHookWhichCabinet = "needs a cabinet: write it before the number (Cabinet A 12) or choose the cabinet"
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
	HolderKind  string     // one of keyward.HolderKinds, or "" for the import's default
	Door        string     // the name of the door the key opens
	Site        string     // the name of that door's site
	Hook        string     // the cabinet hook, as written
	bad         uint16     // columns (bit per index in Fields) that already failed
	// lenient: the symbol column was found by its words or chosen by the
	// user, so a symbol new to the organization is stamped in capitals.
	lenient bool
	// canonicalHolder: the holder columns are the contract's own, where a
	// name needs an email.
	canonicalHolder bool
}

func (r *Row) failed(col int) bool { return r.bad&(1<<col) != 0 }

// Options are the choices of an import: the mapping step's, or the API's parameters.
type Options struct {
	// Mapping chooses the column of each field (Fields name → 0-based cell
	// of the header); nil finds them by their names.
	Mapping Mapping
	// HeaderRow is the header's place among the rows that are not blank
	// (1 is the first); 0 detects it.
	HeaderRow int
	// Zone is the organization's clock, for dates without an offset; nil is UTC.
	Zone *time.Location
	// DateOrder reads dates such as 03/04/2026; OrderUnknown decides from the
	// file's own dates, else from Zone.
	DateOrder when.DateOrder
	// HolderKind is the kind of a holder the import creates when the row says
	// none; "" is staff.
	HolderKind string
	// Create makes the import create the keyways, holders (named without an
	// email), sites and doors the organization does not know yet; without it
	// a row naming one is refused.
	Create bool
	// Site names the site of new doors (and picks among doors of the same
	// name) when a row names no site.
	Site string
	// Cabinet names the cabinet of a hook written as a bare number.
	Cabinet string
}

// MaxHeaderRow bounds Options.HeaderRow.
const MaxHeaderRow = 1000

// Validate checks the options on their own, naming the parameter.
func (o *Options) Validate() error {
	var v keyward.Validator
	o.HolderKind = strings.ToLower(strings.TrimSpace(o.HolderKind))
	o.Site, o.Cabinet = strings.TrimSpace(o.Site), strings.TrimSpace(o.Cabinet)
	v.Check(o.HolderKind == "" || slices.Contains(keyward.HolderKinds, o.HolderKind), "holder_kind", "must be one of "+strings.Join(keyward.HolderKinds, ", "))
	v.Check(o.HeaderRow >= 0 && o.HeaderRow <= MaxHeaderRow, "header_row", "must be a row number from 1 to "+strconv.Itoa(MaxHeaderRow))
	if rule := textRule(o.Site); rule != "" {
		v.Check(false, "site", rule)
	}
	if rule := textRule(o.Cabinet); rule != "" {
		v.Check(false, "cabinet", rule)
	}
	used := map[int]string{}
	for _, col := range Fields {
		i, ok := o.Mapping[col]
		if !ok || i < 0 {
			continue
		}
		if prev, dup := used[i]; dup {
			v.Check(false, col, "uses the same column as "+Label(prev))
			continue
		}
		used[i] = col
	}
	for col := range o.Mapping {
		v.Check(slices.Contains(Fields, col), col, "is not a column of an import")
	}
	return v.Err()
}

// DateRead is how one due date was read, for the dry run.
type DateRead struct {
	Row  int
	Text string    // as the file has it
	At   time.Time // UTC
	How  string    // in words
}

// File is a parsed spreadsheet: its rows and the errors a row shows on its own.
type File struct {
	// SHA256 is the hex digest of the uploaded bytes, for the audit record.
	SHA256 string
	Rows   []Row
	// Errors found without the database; Check adds the rest.
	Errors []RowError
	// Header is false when a required column is missing: no row is checked then.
	Header bool
	// HeaderRow is the header's place among the rows that are not blank (1: the first).
	HeaderRow int
	// Found maps each field read to the header text of its column.
	Found map[string]string
	// Dates says how each due date was read; DateOrder how dates like 03/04/2026
	// were read and why, in words ("" when the file has none).
	Dates     []DateRead
	DateOrder string
	// Options are the choices the file was read with (Check uses them too).
	Options Options
	// rank orders errors: a column's position in the file, then absent columns.
	rank map[string]int
}

// Symbols lists the distinct well-formed symbols of the file as stamps are
// compared (keyward.FoldSymbol), for the store's lookups.
func (f *File) Symbols() []string {
	return f.distinct(func(r *Row) string {
		if r.failed(colSymbol) {
			return ""
		}
		return keyward.FoldSymbol(r.Symbol)
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

// HolderNames lists the distinct names of holders given without an email (lower case).
func (f *File) HolderNames() []string {
	return f.distinct(func(r *Row) string {
		if r.HolderEmail != "" || r.failed(colHolderName) {
			return ""
		}
		return strings.ToLower(foldName(r.HolderName))
	})
}

// DoorNames lists the distinct door names of the file (lower case).
func (f *File) DoorNames() []string {
	return f.distinct(func(r *Row) string {
		if r.failed(colDoor) {
			return ""
		}
		return strings.ToLower(foldName(r.Door))
	})
}

// HasHooks says a row names a cabinet hook.
func (f *File) HasHooks() bool {
	for i := range f.Rows {
		if f.Rows[i].Hook != "" {
			return true
		}
	}
	return false
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

// foldName is a name as names are compared: spaces collapsed, any case.
func foldName(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// column indexes into Fields.
const (
	colSymbol = iota
	colKeyway
	colCopyNumber
	colHolderName
	colHolderEmail
	colDueAt
	colHolderKind
	colDoor
	colSite
	colHook
	nFields
)

// pend is a record read while the header is not decided yet, with the number
// of blank records right before it.
type pend struct {
	blanks int
	rec    []string
}

// rows collects data rows and their own errors while a reader streams records.
type rows struct {
	f        *File
	opts     Options
	seen     bool // the header has been read
	pending  []pend
	blanks   int // blank records after the last pending one
	nonBlank int // records that are not blank, before the header was decided
	index    [nFields]int
	strict   [nFields]bool // the column carries its own name and the user chose no mapping
	n        int           // data records seen, blank ones included
	serial   func(float64) (time.Time, bool)
	dues     []dueCell
}

type dueCell struct {
	row  int // index into f.Rows
	text string
}

// record takes the next record. The header is the row named by HeaderRow;
// else the first that is not blank when it names the symbol and keyway
// columns by their own names (the contract's file); else, among the first
// MaxHeaderSearch rows that are not blank, the one that names most columns.
func (p *rows) record(rec []string) error {
	if p.seen {
		return p.add(rec)
	}
	if blank(rec) {
		if len(p.pending) > 0 {
			p.blanks++
		}
		return nil
	}
	p.nonBlank++
	if p.opts.HeaderRow > 0 {
		if p.nonBlank == p.opts.HeaderRow {
			return p.header(rec, p.nonBlank)
		}
		return nil
	}
	if p.nonBlank == 1 && canonical(rec) {
		return p.header(rec, 1)
	}
	p.pending = append(p.pending, pend{blanks: p.blanks, rec: slices.Clone(rec)})
	p.blanks = 0
	if len(p.pending) == MaxHeaderSearch {
		return p.decide()
	}
	return nil
}

// decide picks the header among the pending records and reads the rest as data.
func (p *rows) decide() error {
	best, bestScore := 0, 0
	for i, pr := range p.pending {
		if s := score(pr.rec); s > bestScore {
			best, bestScore = i, s
		}
	}
	pending, trailing := p.pending, p.blanks
	p.pending, p.blanks = nil, 0
	if err := p.header(pending[best].rec, best+1); err != nil {
		return err
	}
	for _, pr := range pending[best+1:] {
		for range pr.blanks {
			if err := p.add(nil); err != nil {
				return err
			}
		}
		if err := p.add(pr.rec); err != nil {
			return err
		}
	}
	for range trailing {
		if err := p.add(nil); err != nil {
			return err
		}
	}
	return nil
}

// end finishes the file: a header still undecided is decided; a file without
// one lacks every column; the due dates are read, in one order for the file.
func (p *rows) end() error {
	if !p.seen {
		if p.opts.HeaderRow > 0 && p.nonBlank > 0 {
			return keyward.Invalid("header_row", fmt.Sprintf("the file has %s that %s not blank", plural(p.nonBlank, "row"), isAre(p.nonBlank)))
		}
		if len(p.pending) > 0 {
			if err := p.decide(); err != nil {
				return err
			}
		} else if err := p.header(nil, 0); err != nil {
			return err
		}
	}
	p.readDues()
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
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
func (p *rows) header(rec []string, at int) error {
	p.seen = true
	p.f.HeaderRow = at
	p.f.rank = map[string]int{}
	p.f.Found = map[string]string{}
	for i := range p.index {
		p.index[i] = -1
	}
	if p.opts.Mapping != nil {
		for c, col := range Fields {
			i, ok := p.opts.Mapping[col]
			if !ok || i < 0 {
				continue
			}
			if i >= len(rec) {
				return keyward.Invalid(col, "must name a column of the file")
			}
			p.index[c] = i
		}
	} else {
		index, exact, twice := match(rec)
		for _, col := range twice {
			p.f.Errors = append(p.f.Errors, RowError{Row: 0, Column: col, Rule: RuleColumnTwice})
		}
		for c, col := range Fields {
			if i, ok := index[col]; ok {
				p.index[c], p.strict[c] = i, exact[col]
			}
		}
	}
	for c, col := range Fields {
		if i := p.index[c]; i >= 0 {
			p.f.rank[col] = i
			p.f.Found[col] = strings.TrimSpace(rec[i])
		} else {
			p.f.rank[col] = len(rec) + c
		}
	}
	p.f.Header = p.index[colSymbol] >= 0 && p.index[colKeyway] >= 0
	for _, c := range []int{colSymbol, colKeyway} {
		if p.index[c] < 0 {
			p.f.Errors = append(p.f.Errors, RowError{Row: 0, Column: Fields[c], Rule: RuleColumnMissing})
		}
	}
	return nil
}

// holderKinds are the words a spreadsheet uses for each kind of holder.
var holderKinds = map[string]string{
	"employee": "staff", "staff member": "staff", "worker": "staff",
	"resident": "tenant", "renter": "tenant", "lessee": "tenant", "occupant": "tenant",
	"neighbor": "neighbour", "vendor": "contractor", "trade": "contractor", "tradesperson": "contractor",
	"relative": "family", "family member": "family",
}

// HolderKind reads a holder's kind as a spreadsheet writes it (Tenant,
// resident, employee…): one of keyward.HolderKinds, or false.
func HolderKind(s string) (string, bool) {
	k := foldName(s)
	if slices.Contains(keyward.HolderKinds, k) {
		return k, true
	}
	if strings.HasSuffix(k, "s") && slices.Contains(keyward.HolderKinds, strings.TrimSuffix(k, "s")) {
		return strings.TrimSuffix(k, "s"), true
	}
	k, ok := holderKinds[k]
	return k, ok
}

// add checks one data record on its own. Blank records are skipped but keep
// their number, so row numbers match the spreadsheet.
func (p *rows) add(rec []string) error {
	p.n++
	if blank(rec) {
		return nil
	}
	var cell [nFields]string
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
		p.f.Rows = append(p.f.Rows, Row{N: p.n, bad: 0xffff})
		return nil
	}
	r := Row{N: p.n, Symbol: cell[colSymbol], Keyway: cell[colKeyway], HolderName: cell[colHolderName],
		Door: cell[colDoor], Site: cell[colSite], Hook: cell[colHook],
		lenient: !p.strict[colSymbol], canonicalHolder: p.strict[colHolderName]}
	fail := func(c int, rule string) {
		r.bad |= 1 << c
		p.f.Errors = append(p.f.Errors, RowError{Row: r.N, Column: Fields[c], Rule: rule})
	}
	copyText := cell[colCopyNumber]
	if r.lenient {
		// A stamp written whole (U4-2) in a column found by its words: symbol and copy.
		if sym, num, ok := strings.Cut(r.Symbol, "-"); ok && copyText == "" && allDigits(num) && !strings.Contains(num, "-") {
			r.Symbol, copyText = strings.TrimSpace(sym), num
		}
	}
	var v keyward.Validator
	keyward.ValidSymbol(&v, Fields[colSymbol], r.Symbol)
	if err, ok := v.Err().(*keyward.Error); ok {
		fail(colSymbol, err.Fields[0].Rule)
	}
	if r.Keyway == "" {
		fail(colKeyway, RuleRequired)
	} else if rule := textRule(r.Keyway); rule != "" {
		fail(colKeyway, rule)
	}
	if s := copyText; s != "" {
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
	keyward.CheckEmail(&v, Fields[colHolderEmail], email, false)
	if err, ok := v.Err().(*keyward.Error); ok {
		fail(colHolderEmail, err.Fields[0].Rule)
	} else if email == "" && r.HolderName != "" && r.canonicalHolder {
		fail(colHolderEmail, RuleEmailForName)
	}
	r.HolderEmail = strings.ToLower(email)
	if s := cell[colHolderKind]; s != "" {
		if k, ok := HolderKind(s); ok {
			r.HolderKind = k
		} else {
			fail(colHolderKind, RuleHolderKind)
		}
	}
	for _, c := range []int{colDoor, colSite} {
		if rule := textRule(cell[c]); rule != "" {
			fail(c, rule)
		}
	}
	if r.Hook != "" {
		if _, _, ok := parseHook(r.Hook); !ok {
			fail(colHook, RuleHook)
		}
	}
	if s := cell[colDueAt]; s != "" {
		switch {
		case p.strict[colDueAt]:
			switch due, ok := p.dueAt(s); {
			case !ok:
				fail(colDueAt, RuleDueAt)
			case email == "":
				fail(colDueAt, RuleDueNeedsHolder)
			default:
				r.DueAt = &due
			}
		case email == "" && r.HolderName == "":
			fail(colDueAt, RuleDueNeedsSomeone)
		default:
			p.dues = append(p.dues, dueCell{row: len(p.f.Rows), text: s})
		}
	}
	p.f.Rows = append(p.f.Rows, r)
	return nil
}

// dueAt reads a due date of the contract's due_at column: RFC 3339, or a
// workbook's date cell.
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

// readDues reads the due dates of a column found by its words or chosen by
// the user, as people write them, on the organization's clock. Dates such as
// 03/04/2026 are read in one order for the whole file: the one chosen, else
// the one the file's own dates show (a number above 12 is a day), else the
// one usual in the organization's time zone.
func (p *rows) readDues() {
	zone := p.opts.Zone
	if zone == nil {
		zone = time.UTC
	}
	order, why := p.opts.DateOrder, "as you chose"
	var dayFirst, monthFirst string
	slashes := false
	for _, d := range p.dues {
		if a, b, ok := when.SlashParts(d.text); ok {
			slashes = true
			if a > 12 && dayFirst == "" {
				dayFirst = d.text
			}
			if b > 12 && monthFirst == "" {
				monthFirst = d.text
			}
		}
	}
	if order == when.OrderUnknown {
		switch {
		case dayFirst != "" && monthFirst != "":
			why = "the file has both orders (" + monthFirst + " and " + dayFirst + "): dates that could be either are refused until you choose"
		case dayFirst != "":
			order, why = when.DayFirst, "the file has "+dayFirst
		case monthFirst != "":
			order, why = when.MonthFirst, "the file has "+monthFirst
		default:
			order, why = when.ZoneOrder(zone), "that is usual where the organization's clock is ("+zone.String()+"); choose the other order if that is wrong"
		}
	}
	if slashes {
		if order == when.OrderUnknown {
			p.f.DateOrder = "Dates such as 03/04/2026: " + why + "."
		} else {
			p.f.DateOrder = "Dates such as 03/04/2026 were read " + order.String() + ": " + why + "."
		}
	}
	for _, d := range p.dues {
		r := &p.f.Rows[d.row]
		t, how, err := p.sheetDate(d.text, zone, order)
		if err != nil {
			r.bad |= 1 << colDueAt
			p.f.Errors = append(p.f.Errors, RowError{Row: r.N, Column: ColDueAt, Rule: err.Error()})
			continue
		}
		r.DueAt = &t
		p.f.Dates = append(p.f.Dates, DateRead{Row: r.N, Text: d.text, At: t,
			How: when.Format(t, zone) + ", " + string(how)})
	}
}

// sheetDate reads one due date as people write it, or a workbook's date cell
// (its serial number) on the organization's clock.
func (p *rows) sheetDate(s string, zone *time.Location, order when.DateOrder) (time.Time, when.SheetReading, error) {
	if p.serial != nil {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			t, ok := p.serial(f)
			if !ok {
				return time.Time{}, "", fmt.Errorf("%s", when.SheetHint)
			}
			h, m, sec := t.Clock()
			if h == 0 && m == 0 && sec == 0 {
				return time.Date(t.Year(), t.Month(), t.Day(), 23, 59, 0, 0, zone).UTC(), when.ReadEndOfDay, nil
			}
			return time.Date(t.Year(), t.Month(), t.Day(), h, m, sec, 0, zone).UTC(), when.ReadClock, nil
		}
	}
	return when.ParseSheet(s, zone, order)
}

// parseHook reads a hook as written: "12", "#12", "hook 12", "Cabinet A 12",
// "Cabinet A, hook 12": the cabinet's name ("" when not given) and the number.
func parseHook(s string) (cabinet string, hook int, ok bool) {
	s = strings.TrimSpace(s)
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	if i == len(s) || len(s)-i > 6 {
		return "", 0, false
	}
	hook, _ = strconv.Atoi(s[i:])
	rest := strings.TrimRight(s[:i], " #")
	low := strings.ToLower(rest)
	for _, w := range []string{"hook number", "hook no.", "hook no", "hook", "peg", "slot"} {
		if strings.HasSuffix(low, w) {
			rest, low = rest[:len(rest)-len(w)], low[:len(low)-len(w)]
			break
		}
	}
	rest = strings.TrimRight(rest, " ,:;#-/")
	return strings.TrimSpace(rest), hook, hook >= 1
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
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

// Lookups is what Check needs to know about the database.
type Lookups struct {
	// Keyways maps each keyway name to its id.
	Keyways map[string]string
	// Holders maps the lower-case email of each known holder to its id.
	Holders map[string]string
	// HolderNames maps the name of each holder the file names without an
	// email (as stored) to the ids of the current holders of that name.
	HolderNames map[string][]string
	// Copies lists, per symbol of the file (keyward.FoldSymbol), the copy numbers already stamped.
	Copies map[string][]int
	// Spellings maps a symbol of the file (keyward.FoldSymbol) to the way the
	// organization already writes it (on its keys, doors or key systems).
	Spellings map[string]string
	// Refused maps the id of each keyway whose copies the importing user may
	// not register to the rule a row naming it breaks (the store asks
	// keyward.MayCreateKeyDirectly); nil when every keyway is allowed.
	Refused map[string]string
	// Sites are the organization's current sites.
	Sites []Place
	// Doors are the current openings whose names the file's doors have.
	Doors []Door
	// Scheduled holds OpeningID + "/" + keyward.FoldSymbol for every symbol
	// already in the keying schedule of those doors.
	Scheduled map[string]bool
	// Cabinets are the organization's current cabinets.
	Cabinets []Cabinet
	// HooksTaken maps cabinet id + "/" + hook number to the stamp of the key that hangs there.
	HooksTaken map[string]string
}

// Place is a site: its id and name.
type Place struct{ ID, Name string }

// Door is an opening: its id, name and site.
type Door struct{ ID, Name, SiteID string }

// Cabinet is a key cabinet and its number of hooks.
type Cabinet struct {
	ID, Name string
	Hooks    int
}

// Key is one key to create.
type Key struct {
	Row         int
	KeywayID    string
	Symbol      string
	CopyNumber  int
	Status      string
	HolderID    string // a known holder, or "" for HolderEmail or NewHolder
	HolderEmail string // a holder created by this import, when HolderID is ""
	DueAt       *time.Time
	// NewKeyway is the Ref of a keyway this import creates, when KeywayID is "".
	NewKeyway string
	// NewHolder is the Ref of a holder named without an email that this
	// import creates, when HolderID and HolderEmail are "".
	NewHolder string
	// CabinetID and Hook: the key hangs there (Hook 0: no hook).
	CabinetID string
	Hook      int
}

// Holder is a holder the import creates.
type Holder struct {
	Row   int // the first row that names it
	Name  string
	Email string // "" for a holder named without an email
	Kind  string
	// Ref names a holder without an email in Key.NewHolder.
	Ref string
}

// NewItem is a keyway, site or door the import creates.
type NewItem struct {
	Row  int // the first row that names it
	Ref  string
	Name string
	// SiteID, or else NewSite (a Ref), is a new door's site.
	SiteID, NewSite string
}

// Scheduled is a symbol the import adds to a door's keying schedule: of a
// door that exists (OpeningID) or one it creates (NewDoor, a Ref).
type Scheduled struct {
	OpeningID, NewDoor string
	Symbol             string
}

// Unknown is something a row names that the organization does not have yet,
// as the dry run lists it.
type Unknown struct {
	Kind  string // "keyway", "holder", "site" or "door"
	Name  string
	Email string // a holder's
	Site  string // a door's site
	// NeedsCreate: the import creates it only when asked to (Options.Create);
	// a holder with an email is always created.
	NeedsCreate bool
	Rows        []int
}

// Plan is the outcome of Check: what to write if Errors is empty.
type Plan struct {
	Rows     int
	Keys     []Key
	Holders  []Holder
	Keyways  []NewItem
	Sites    []NewItem
	Doors    []NewItem
	Schedule []Scheduled
	// New lists what the file names that the organization does not have,
	// errors or not, for the dry run.
	New []Unknown
	// Errors lists every error, sorted by row then column; never nil.
	Errors []RowError
}

// unknowns collects Plan.New in the order first named.
type unknowns struct {
	list []Unknown
	at   map[string]int
}

func (u *unknowns) add(key string, item Unknown, row int) {
	if u.at == nil {
		u.at = map[string]int{}
	}
	i, ok := u.at[key]
	if !ok {
		i = len(u.list)
		u.at[key] = i
		u.list = append(u.list, item)
	}
	if rs := u.list[i].Rows; len(rs) == 0 || rs[len(rs)-1] != row {
		u.list[i].Rows = append(rs, row)
	}
}

// Check compares the rows with the database: keyway names, copy numbers taken
// in the database or by an earlier row, holders, doors and hooks. An empty
// copy number takes the next number after every copy stamped so far, in the
// database or in earlier rows of the file. Stamps are compared as everywhere
// (keyward.FoldSymbol), and a symbol the organization already writes keeps
// its spelling. It returns all errors, Parse's included.
func Check(f *File, lk Lookups) *Plan {
	plan := &Plan{Rows: len(f.Rows), Errors: append([]RowError{}, f.Errors...)}
	if !f.Header {
		sortErrors(f, plan.Errors)
		return plan
	}
	opts := f.Options
	kind := opts.HolderKind
	if kind == "" {
		kind = "staff"
	}
	folded := map[string][]string{} // folded keyway name → ids, for a name typed in another case
	for name, id := range lk.Keyways {
		k := foldName(name)
		folded[k] = append(folded[k], id)
	}
	holderNames := map[string][]string{}
	for name, ids := range lk.HolderNames {
		holderNames[foldName(name)] = append(holderNames[foldName(name)], ids...)
	}
	sites := map[string][]Place{}
	siteName := map[string]string{}
	for _, s := range lk.Sites {
		sites[foldName(s.Name)] = append(sites[foldName(s.Name)], s)
		siteName[s.ID] = s.Name
	}
	doors := map[string][]Door{}
	for _, d := range lk.Doors {
		doors[foldName(d.Name)] = append(doors[foldName(d.Name)], d)
	}
	cabinets := map[string][]Cabinet{}
	for _, c := range lk.Cabinets {
		cabinets[foldName(c.Name)] = append(cabinets[foldName(c.Name)], c)
	}
	taken := map[string]map[int]int{} // folded symbol → copy number → row that stamps it (0: the database)
	next := map[string]int{}          // folded symbol → highest copy number so far
	for sym, copies := range lk.Copies {
		m := map[int]int{}
		for _, n := range copies {
			m[n] = 0
			next[sym] = max(next[sym], n)
		}
		taken[sym] = m
	}
	spelling := map[string]string{}
	for sym, s := range lk.Spellings {
		spelling[sym] = s
	}
	var news unknowns
	newKeyways := map[string]string{} // folded name → ref
	newHolders := map[string]bool{}   // email → planned
	newByName := map[string]string{}  // folded name → ref of a holder without email
	newSites := map[string]string{}   // folded name → ref
	newDoors := map[string]string{}   // site key + "/" + folded name → ref
	scheduled := map[string]bool{}
	hooks := map[string]int{} // cabinet id + "/" + hook → row
	for i := range f.Rows {
		r := &f.Rows[i]
		bad := r.bad // Check leaves f as it is: one File may be checked again, or at once
		failed := func(c int) bool { return bad&(1<<c) != 0 }
		fail := func(c int, rule string) {
			bad |= 1 << c
			plan.Errors = append(plan.Errors, RowError{Row: r.N, Column: Fields[c], Rule: rule})
		}
		k := Key{Row: r.N, Symbol: r.Symbol, CopyNumber: r.CopyNumber, DueAt: r.DueAt}
		sym := keyward.FoldSymbol(r.Symbol)
		if !failed(colSymbol) {
			if s, ok := spelling[sym]; ok {
				k.Symbol = s
			} else {
				if r.lenient {
					k.Symbol = strings.ToUpper(r.Symbol) // keys are stamped in capitals
				}
				spelling[sym] = k.Symbol
			}
		}
		if !failed(colKeyway) {
			id, ok := lk.Keyways[r.Keyway]
			if ids := folded[foldName(r.Keyway)]; !ok && len(ids) == 1 {
				id, ok = ids[0], true
			}
			rule, refused := lk.Refused[id]
			switch {
			case !ok:
				news.add("keyway/"+foldName(r.Keyway), Unknown{Kind: "keyway", Name: r.Keyway, NeedsCreate: true}, r.N)
				if !opts.Create {
					fail(colKeyway, RuleKeywayUnknown)
				} else if ref, ok := newKeyways[foldName(r.Keyway)]; ok {
					k.NewKeyway = ref
				} else {
					ref = foldName(r.Keyway)
					newKeyways[ref] = ref
					plan.Keyways = append(plan.Keyways, NewItem{Row: r.N, Ref: ref, Name: strings.Join(strings.Fields(r.Keyway), " ")})
					k.NewKeyway = ref
				}
			case refused:
				fail(colKeyway, rule)
			default:
				k.KeywayID = id
			}
		}
		if !failed(colSymbol) && !failed(colCopyNumber) {
			if taken[sym] == nil {
				taken[sym] = map[int]int{}
			}
			if k.CopyNumber == 0 {
				k.CopyNumber = next[sym] + 1
			}
			switch prev, dup := taken[sym][k.CopyNumber]; {
			case k.CopyNumber > MaxCopyNumber:
				fail(colCopyNumber, RuleCopyNumber)
			case dup && prev == 0:
				fail(colCopyNumber, RuleCopyExists)
			case dup:
				fail(colCopyNumber, "repeats the symbol and copy_number of row "+strconv.Itoa(prev))
			default:
				taken[sym][k.CopyNumber] = r.N
				next[sym] = max(next[sym], k.CopyNumber)
			}
		}
		hkind := r.HolderKind
		if hkind == "" {
			hkind = kind
		}
		switch {
		case r.HolderEmail != "" && !failed(colHolderEmail):
			if id, ok := lk.Holders[r.HolderEmail]; ok {
				k.HolderID = id
			} else if newHolders[r.HolderEmail] {
				k.HolderEmail = r.HolderEmail
				news.add("holder/"+r.HolderEmail, Unknown{}, r.N)
			} else if r.HolderName == "" {
				fail(colHolderName, RuleNewHolderName)
			} else if !failed(colHolderName) {
				newHolders[r.HolderEmail] = true
				k.HolderEmail = r.HolderEmail
				plan.Holders = append(plan.Holders, Holder{Row: r.N, Name: r.HolderName, Email: r.HolderEmail, Kind: hkind})
				news.add("holder/"+r.HolderEmail, Unknown{Kind: "holder", Name: r.HolderName, Email: r.HolderEmail}, r.N)
				if _, ok := newByName[foldName(r.HolderName)]; !ok {
					newByName[foldName(r.HolderName)] = "email:" + r.HolderEmail
				}
			}
		case r.HolderEmail == "" && r.HolderName != "" && !failed(colHolderName) && !failed(colHolderEmail):
			name := foldName(r.HolderName)
			ids := holderNames[name]
			ref, planned := newByName[name]
			switch {
			case len(ids) == 1:
				k.HolderID = ids[0]
			case len(ids) > 1:
				fail(colHolderName, fmt.Sprintf(RuleHolderNamesake, len(ids)))
			case planned && strings.HasPrefix(ref, "email:"):
				k.HolderEmail = strings.TrimPrefix(ref, "email:")
				news.add("holder/"+k.HolderEmail, Unknown{}, r.N)
			case planned:
				k.NewHolder = ref
				news.add("holder/"+name, Unknown{}, r.N)
			default:
				news.add("holder/"+name, Unknown{Kind: "holder", Name: r.HolderName, NeedsCreate: true}, r.N)
				if !opts.Create {
					fail(colHolderName, RuleHolderUnknown)
					break
				}
				ref = "name:" + name
				newByName[name] = ref
				k.NewHolder = ref
				plan.Holders = append(plan.Holders, Holder{Row: r.N, Name: strings.Join(strings.Fields(r.HolderName), " "), Kind: hkind, Ref: ref})
			}
		}
		held := r.HolderEmail != "" || r.HolderName != ""
		switch {
		case held && r.DueAt != nil:
			k.Status = keyward.StatusCheckedOut
		case held:
			k.Status = keyward.StatusIssued
		default:
			k.Status = keyward.StatusInStorage
		}
		if r.Door != "" && !failed(colDoor) && !failed(colSite) && !failed(colSymbol) {
			checkDoor(r, &k, opts, sites, siteName, doors, &news, newSites, newDoors, scheduled, lk.Scheduled, plan, fail)
		}
		if r.Hook != "" && !failed(colHook) {
			checkHook(r, &k, opts, held, cabinets, lk, hooks, fail)
		}
		if bad == 0 {
			plan.Keys = append(plan.Keys, k)
		}
	}
	plan.New = news.list
	sortErrors(f, plan.Errors)
	if len(plan.Errors) > 0 {
		plan.Keys, plan.Holders, plan.Keyways, plan.Sites, plan.Doors, plan.Schedule = nil, nil, nil, nil, nil, nil
	}
	return plan
}

// checkDoor finds the door a row names, or plans it, and plans the key's
// symbol into the door's keying schedule.
func checkDoor(r *Row, k *Key, opts Options, sites map[string][]Place, siteName map[string]string, doors map[string][]Door,
	news *unknowns, newSites, newDoors map[string]string, scheduled, known map[string]bool, plan *Plan, fail func(int, string)) {
	site := r.Site
	if site == "" {
		site = opts.Site
	}
	// The site, when one is named: an existing one, or one to create.
	siteID, siteRef := "", ""
	if site != "" {
		switch found := sites[foldName(site)]; {
		case len(found) == 1:
			siteID = found[0].ID
		case len(found) > 1:
			fail(colSite, RuleSiteTwice)
			return
		}
	}
	// An existing door of that name (at that site, when one is named).
	var match []Door
	for _, d := range doors[foldName(r.Door)] {
		if site == "" || d.SiteID == siteID {
			match = append(match, d)
		}
	}
	opening, doorRef := "", ""
	switch {
	case len(match) == 1:
		opening = match[0].ID
	case len(match) > 1:
		var names []string
		for _, d := range match {
			names = append(names, siteName[d.SiteID])
		}
		slices.Sort(names)
		fail(colDoor, "is at more than one site ("+strings.Join(names, ", ")+"): say which site")
		return
	default:
		// A new door: at the named site, else at the organization's only site.
		if site == "" {
			switch len(siteName) {
			case 0:
				fail(colSite, RuleSiteNeeded)
				return
			case 1:
				for id, name := range siteName {
					siteID, site = id, name
				}
			default:
				fail(colSite, RuleSiteChoose)
				return
			}
		}
		if siteID == "" {
			// A new site: listed with its new door; the row's error names the door.
			news.add("site/"+foldName(site), Unknown{Kind: "site", Name: site, NeedsCreate: true}, r.N)
			siteRef = newSites[foldName(site)]
			if siteRef == "" && opts.Create {
				siteRef = foldName(site)
				newSites[siteRef] = siteRef
				plan.Sites = append(plan.Sites, NewItem{Row: r.N, Ref: siteRef, Name: strings.Join(strings.Fields(site), " ")})
			}
		}
		if siteID == "" {
			siteRef = foldName(site)
		}
		key := siteID + "/" + siteRef + "/" + foldName(r.Door)
		news.add("door/"+key, Unknown{Kind: "door", Name: r.Door, Site: site, NeedsCreate: true}, r.N)
		if !opts.Create {
			fail(colDoor, RuleDoorUnknown)
			return
		}
		doorRef = newDoors[key]
		if doorRef == "" {
			doorRef = key
			newDoors[key] = doorRef
			plan.Doors = append(plan.Doors, NewItem{Row: r.N, Ref: doorRef, Name: strings.Join(strings.Fields(r.Door), " "), SiteID: siteID, NewSite: siteRef})
		}
	}
	sym := keyward.FoldSymbol(k.Symbol)
	entry := opening + "/" + doorRef + "/" + sym
	if known[opening+"/"+sym] || scheduled[entry] {
		return
	}
	scheduled[entry] = true
	plan.Schedule = append(plan.Schedule, Scheduled{OpeningID: opening, NewDoor: doorRef, Symbol: k.Symbol})
}

// checkHook finds the cabinet and hook a row names. Only a key in storage
// hangs on a hook: a key someone holds is not on one.
func checkHook(r *Row, k *Key, opts Options, held bool, cabinets map[string][]Cabinet, lk Lookups, hooks map[string]int, fail func(int, string)) {
	name, n, _ := parseHook(r.Hook)
	if held {
		fail(colHook, RuleHookHeld)
		return
	}
	if name == "" {
		name = opts.Cabinet
	}
	var cab Cabinet
	switch found := cabinets[foldName(name)]; {
	case name != "" && len(found) == 1:
		cab = found[0]
	case name != "" && len(found) > 1:
		fail(colHook, "names a cabinet that two cabinets share: rename one")
		return
	case name != "":
		fail(colHook, "must name a cabinet of the organization ("+clip(name)+" is none)")
		return
	case len(lk.Cabinets) == 1:
		cab = lk.Cabinets[0]
	case len(lk.Cabinets) == 0:
		fail(colHook, RuleHookNoCabinet)
		return
	default:
		fail(colHook, RuleHookWhichCabinet)
		return
	}
	at := cab.ID + "/" + strconv.Itoa(n)
	switch prev, dup := hooks[at]; {
	case n > cab.Hooks:
		fail(colHook, fmt.Sprintf("must be a hook of %s, 1 to %d", cab.Name, cab.Hooks))
	case lk.HooksTaken[at] != "":
		fail(colHook, fmt.Sprintf("hook %d of %s already holds key %s", n, cab.Name, lk.HooksTaken[at]))
	case dup:
		fail(colHook, fmt.Sprintf("hook %d of %s is given to row %d too", n, cab.Name, prev))
	default:
		hooks[at] = r.N
		k.CabinetID, k.Hook = cab.ID, n
	}
}

func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// sortErrors orders errors by row, then by the column's place in the file.
func sortErrors(f *File, errs []RowError) {
	slices.SortStableFunc(errs, func(a, b RowError) int {
		return cmp.Or(cmp.Compare(a.Row, b.Row), cmp.Compare(f.rank[a.Column], f.rank[b.Column]))
	})
}
