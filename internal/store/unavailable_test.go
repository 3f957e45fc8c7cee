package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/keyward/keyward/internal/keyward"
)

func TestUnavailableWhy(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("store: checkout: %w", err) }
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"a plain error", errors.New("boom"), ""},
		{"the caller gave up", wrap(context.Canceled), ""},
		{"a unique violation", wrap(&pgconn.PgError{Code: "23505"}), ""},
		{"a deadlock", wrap(&pgconn.PgError{Code: "40P01"}), ""},
		{"PostgreSQL shutting down", wrap(&pgconn.PgError{Code: "57P01"}), msgDatabaseDown},
		{"PostgreSQL starting up", wrap(&pgconn.PgError{Code: "57P03"}), msgDatabaseDown},
		{"a connection exception", wrap(&pgconn.PgError{Code: "08006"}), msgDatabaseDown},
		{"too many connections", wrap(&pgconn.PgError{Code: "53300"}), msgDatabaseDown},
		{"PostgreSQL's disk full", wrap(&pgconn.PgError{Code: "53100"}), msgDiskFull},
		{"connection refused", wrap(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), msgDatabaseDown},
		{"connection reset", wrap(syscall.ECONNRESET), msgDatabaseDown},
		{"a bad connection", wrap(driver.ErrBadConn), msgDatabaseDown},
		{"conn closed", wrap(pgconn.ErrConnClosed), msgDatabaseDown},
		{"unexpected EOF", wrap(io.ErrUnexpectedEOF), msgDatabaseDown},
		{"no space left", wrap(syscall.ENOSPC), msgDiskFull},
	} {
		if got := unavailableWhy(c.err); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	d := &DB{}
	err := d.Unavailable(wrap(syscall.ENOSPC))
	if keyward.ErrorCode(err) != keyward.EUNAVAILABLE || keyward.ErrorMessage(err) != msgDiskFull || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Unavailable = %v", err)
	}
	if plain := errors.New("boom"); d.Unavailable(plain) != plain {
		t.Fatal("another error was changed")
	}
}
