package keyward

import (
	"context"
	"time"
)

// ImportRowError names one cell of a spreadsheet that cannot be imported.
// Row is the 1-based data row (the header is row 0).
type ImportRowError struct {
	Row    int    `json:"row"`
	Column string `json:"column"`
	Rule   string `json:"rule"`
}

// ImportResult is the answer to an import: the number of data rows and, for a
// dry run, every row error (never nil).
type ImportResult struct {
	Rows   int              `json:"rows"`
	Errors []ImportRowError `json:"errors"`
	// New lists what the file names that the organization does not have yet.
	New []ImportNew `json:"new,omitempty"`
	// Dates says how each due date was read; DateOrder how dates such as
	// 03/04/2026 were read, and why.
	Dates     []ImportDate `json:"dates,omitempty"`
	DateOrder string       `json:"date_order,omitempty"`
	// HeaderRow is the header's place among the rows that are not blank (1: the first).
	HeaderRow      int    `json:"header_row,omitempty"`
	HoldersCreated int    `json:"-"`
	ImportID       string `json:"-"`
}

// ImportNew is a keyway, holder, site or door a spreadsheet names that the
// organization does not have yet.
type ImportNew struct {
	Kind  string `json:"kind"` // keyway, holder, site or door
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Site  string `json:"site,omitempty"`
	// NeedsCreate: created only when the import is asked to create (create=true);
	// otherwise each row naming it is an error. A holder with an email is always created.
	NeedsCreate bool  `json:"needs_create"`
	Rows        []int `json:"rows"`
}

// ImportDate is how one due date of a spreadsheet was read.
type ImportDate struct {
	Row  int       `json:"row"`
	Text string    `json:"text"`
	At   time.Time `json:"at"`
	// Read is the time on the organization's clock and how it was read, in words.
	Read string `json:"read"`
}

// Imports loads a parsed spreadsheet of keys, all or nothing. File is the
// parsed spreadsheet (the importer's File: the domain package imports none
// of ours, so it names the type only here).
type Imports[File any] interface {
	// Import checks the file against the database and, unless dryRun, writes it
	// in one transaction. EUNPROCESSABLE with every row error, ECONFLICT on a race.
	Import(ctx context.Context, a Actor, f File, dryRun bool) (*ImportResult, error)
}

// ImportUploadTTL is how long an uploaded spreadsheet waits for its import.
const ImportUploadTTL = 24 * time.Hour

// ImportUpload is a spreadsheet kept between the steps of the import page.
// Only the user who uploaded it may read it.
type ImportUpload struct {
	ID          string
	UserID      string
	FileName    string
	ContentType string
	Content     []byte
	CreatedAt   time.Time
}

// ImportUploads keep a spreadsheet between the steps of the import page.
type ImportUploads interface {
	// SaveImportUpload keeps a spreadsheet for the actor's later steps. EFORBIDDEN (recorded).
	SaveImportUpload(ctx context.Context, a Actor, fileName, contentType string, content []byte) (*ImportUpload, error)
	// ImportUpload returns one of the actor's own uploads. ENOTFOUND for another's or an expired one.
	ImportUpload(ctx context.Context, a Actor, id string) (*ImportUpload, error)
	// DeleteImportUpload removes one of the actor's own uploads; one already gone is no error.
	DeleteImportUpload(ctx context.Context, a Actor, id string) error
}
