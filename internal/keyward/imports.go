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
	Rows           int              `json:"rows"`
	Errors         []ImportRowError `json:"errors"`
	HoldersCreated int              `json:"-"`
	ImportID       string           `json:"-"`
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
