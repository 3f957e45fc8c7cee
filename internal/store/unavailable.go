package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"

	"github.com/keyward/keyward/internal/keyward"
)

// Why the storage cannot answer for now, in words for the person who asked.
const (
	msgDatabaseDown = "The database is not answering just now (it may be restarting); try again in a few seconds."
	msgDiskFull     = "The disk that holds the database is full, so no change can be saved. Nothing was changed; reading still works. Free some space and try again."
	msgBusy         = "The database is too busy to answer just now; try again in a few seconds."
)

// Unavailable turns an error that means the database cannot answer for now
// into an EUNAVAILABLE error (the API answers 503 with Retry-After); any
// other error is returned unchanged. A change refused for a full disk was
// rolled back whole; one whose connection broke at commit may or may not
// have been made, so only the disk-full words say nothing was changed (a
// client that must not act twice sends an Idempotency-Key).
func (d *DB) Unavailable(err error) error {
	if msg := unavailableWhy(err); msg != "" {
		return &keyward.Error{Code: keyward.EUNAVAILABLE, Message: msg, Err: err}
	}
	return err
}

// unavailableWhy says why err means the storage is out of reach for now, or
// "" when it means something else.
func unavailableWhy(err error) string {
	if err == nil || errors.Is(err, context.Canceled) {
		return ""
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case 13: // SQLITE_FULL
			return msgDiskFull
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED: busy_timeout ran out
			return msgBusy
		case 10: // SQLITE_IOERR: ENOSPC on a write shows as an I/O error too
			if errors.Is(err, syscall.ENOSPC) || strings.Contains(strings.ToLower(se.Error()), "disk") {
				return msgDiskFull
			}
		}
		return ""
	}
	if errors.Is(err, syscall.ENOSPC) {
		return msgDiskFull
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "53100": // disk_full
			return msgDiskFull
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", // shutting down, crashed, starting up
			pe.Code == "53300": // too_many_connections
			return msgDatabaseDown
		}
		return ""
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		pgconn.SafeToRetry(err) && !errors.Is(err, context.DeadlineExceeded):
		return msgDatabaseDown
	}
	// pgx reports a connection lost mid-query by text only.
	if m := err.Error(); strings.Contains(m, "conn closed") || strings.Contains(m, "connection reset") || strings.Contains(m, "broken pipe") {
		return msgDatabaseDown
	}
	return ""
}
