package store

import (
	"context"
	"database/sql/driver"
	"errors"
)

// SQLite connections keep their prepared statements. In the pure-Go SQLite,
// parsing and planning a statement costs about as much as running it, and the
// store runs the same few hundred statements over and over: a custody move
// spent a quarter of its CPU time in the parser before this cache.
//
// The cache lives in each driver connection, so a statement is always prepared
// on the connection that runs it and preparing never waits for the pool (a
// pool-wide db.Prepare inside a transaction can deadlock a full pool).

// maxCachedStmts bounds a connection's cache; statements built at run time
// (IN lists, batch inserts) beyond it are prepared and closed per use.
const maxCachedStmts = 256

type stmtCacheConnector struct{ driver.Connector }

func (c stmtCacheConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	inner, ok := conn.(sqliteConn)
	if !ok {
		conn.Close()
		return nil, errors.New("store: the SQLite driver's connection lacks the context methods the statement cache needs")
	}
	return &stmtCacheConn{sqliteConn: inner, stmts: map[string]*cachedStmt{}}, nil
}

// sqliteConn is what the SQLite driver's connections implement.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type stmtCacheConn struct {
	sqliteConn
	stmts map[string]*cachedStmt
}

// cachedStmt is busy while rows read from it are open: running it again then
// would reset it under the reader, so that use gets a statement of its own.
type cachedStmt struct {
	stmt interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	busy bool
}

// Unwrap lets the driver's helpers reach the connection underneath.
func (c *stmtCacheConn) Unwrap() driver.Conn { return c.sqliteConn }

// stmt returns the cached statement for q, preparing it on first use; nil
// means "run q uncached".
func (c *stmtCacheConn) stmt(ctx context.Context, q string) (*cachedStmt, error) {
	if s, ok := c.stmts[q]; ok {
		if s.busy {
			return nil, nil
		}
		return s, nil
	}
	if len(c.stmts) >= maxCachedStmts {
		return nil, nil
	}
	ds, err := c.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	st, ok := ds.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})
	if !ok {
		ds.Close()
		return nil, nil
	}
	s := &cachedStmt{stmt: st}
	c.stmts[q] = s
	return s, nil
}

func (c *stmtCacheConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.sqliteConn.ExecContext(ctx, q, args)
	}
	return s.stmt.ExecContext(ctx, args)
}

func (c *stmtCacheConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.sqliteConn.QueryContext(ctx, q, args)
	}
	rows, err := s.stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	sr, ok := rows.(sqliteRows)
	if !ok {
		rows.Close()
		return nil, errors.New("store: the SQLite driver's rows lack the column-type methods the statement cache forwards")
	}
	s.busy = true
	return &cachedRows{sqliteRows: sr, s: s}, nil
}

// Close finalizes the cached statements, then closes the connection.
func (c *stmtCacheConn) Close() error {
	for q, s := range c.stmts {
		s.stmt.Close()
		delete(c.stmts, q)
	}
	return c.sqliteConn.Close()
}

// sqliteRows is what the SQLite driver's rows implement; embedding it keeps
// every optional method visible to database/sql.
type sqliteRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

// cachedRows frees its statement for the next use when closed.
type cachedRows struct {
	sqliteRows
	s *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.sqliteRows.Close()
	r.s.busy = false
	return err
}
