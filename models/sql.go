package models

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The queries every request makes (a token by its digest with its user, a
// student by id, a list of students) are written here by hand against
// database/sql instead of through GORM. A profile of the served requests (see
// docs/PERFORMANCE.md) put most of their time in GORM building each statement
// anew, SQLite compiling it anew, and GORM scanning the rows by reflection;
// here each text is prepared once per pooled connection and scanned into the
// struct field by field. The texts use $1..$n placeholders, which SQLite and
// PostgreSQL both take, numbered in order of first appearance (SQLite numbers
// "$n" names that way).

// maxPrepared bounds how many distinct texts are kept prepared: the shapes of
// a student query are many (search terms, filters, orderings), the hot ones
// few, and the first to come are the hot ones. Beyond it a text runs unprepared.
const maxPrepared = 64

// statementCache holds the prepared statements of the hand-written queries,
// one per text, on the root pool; every handle of one Connect shares it (it
// lives in core). database/sql prepares each on a pooled connection when
// first used there and keeps it for that connection's life.
type statementCache struct {
	mu       sync.Mutex
	prepared map[string]*sql.Stmt
	closed   bool
}

func newStatementCache() *statementCache {
	return &statementCache{prepared: map[string]*sql.Stmt{}}
}

// stmt returns the prepared statement of text on pool, preparing it the first
// time; nil when it cannot be prepared now (the database is down, the cache is
// full, the handle closed): the caller then runs the text unprepared, which
// fails or succeeds on its own.
func (c *statementCache) stmt(ctx context.Context, pool *sql.DB, text string) *sql.Stmt {
	c.mu.Lock()
	st, ok := c.prepared[text]
	full := c.closed || len(c.prepared) >= maxPrepared
	c.mu.Unlock()
	if ok {
		return st
	}
	if full {
		return nil
	}
	// Prepared outside the lock: on PostgreSQL it is a round trip, maybe a dial.
	st, err := pool.PrepareContext(ctx, text)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.prepared[text]; ok || c.closed {
		st.Close()
		return old // nil when closed
	}
	c.prepared[text] = st
	return st
}

// close closes the prepared statements; later queries run unprepared (and
// fail, the pool being closed after this).
func (c *statementCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	var errs []error
	for text, st := range c.prepared {
		errs = append(errs, st.Close())
		delete(c.prepared, text)
	}
	return errors.Join(errs...)
}

// query is a statement of this package with its arguments.
type query struct {
	text string
	args []any
	// scans says the statement may step over many rows that do not match
	// (a search by substring) before it returns one: it must then stay
	// interruptible while it steps (see driverContext).
	scans bool
}

// driverContext is the context q runs under in the driver, and what ends it.
// On SQLite the driver (mattn/go-sqlite3) arranges to interrupt a statement
// whose context can be cancelled, and guards every step it takes against that
// interrupt; measured, that makes a 100-row list about 40% slower and a lookup
// by id about 60% slower. A statement that finds its rows through an index
// returns each in microseconds, so it runs on a context that cannot be
// cancelled, and readRows checks the caller's, and the query timeout, between
// rows instead. One that scans runs on the caller's context with the query
// timeout as its deadline. On PostgreSQL the server keeps the timeout (see
// timeout.go).
func (db *DB) driverContext(ctx context.Context, q query) (context.Context, context.CancelFunc) {
	switch {
	case !db.sqlite:
		return ctx, noCancel
	case !q.scans:
		return context.WithoutCancel(ctx), noCancel
	case db.queryTimeout > 0 && !timeoutExempt(ctx):
		return context.WithTimeout(ctx, db.queryTimeout)
	}
	return ctx, noCancel
}

func noCancel() {}

// rowsChecked is how many rows readRows steps over between two looks at the
// clock for the query timeout: often enough to stop a long list within
// moments of it, rarely enough to cost nothing that shows.
const rowsChecked = 64

// readRows runs q and calls scan on each row, stopping with ctx's error when
// ctx ends between rows, and with a timeout error past the query timeout.
// scan may end the reading with a stopped error, whose cause it returns.
// Outside a transaction the text runs prepared; inside one, on the
// transaction's connection. Each statement is traced through GORM's logger as
// GORM's own are (slow ones and failures always, every one with log_level
// debug) and never with its arguments.
func (db *DB) readRows(ctx context.Context, q query, scan func(*sql.Rows) error) error {
	begin := time.Now()
	dctx, cancel := db.driverContext(ctx, q)
	n, err := db.readRowsUntraced(ctx, dctx, begin, q, scan)
	cancel()
	if err != nil && dctx.Err() != nil && ctx.Err() == nil {
		err = timeoutError(db.queryTimeout, err) // the deadline of driverContext
	}
	traced := err
	var stop stopped
	if errors.As(err, &stop) {
		traced, err = nil, stop.err // the caller stopped; the statement did not fail
	}
	db.trace(ctx, begin, q.text, n, traced)
	return err
}

// stopped is an error of a caller's row function that ends the reading
// without the statement failing: readRows returns the error it carries, and
// the trace does not log the statement as failed. A streamed list stops so
// when its client goes away, which is no fault of the database's.
type stopped struct{ err error }

func (s stopped) Error() string { return s.err.Error() }

// readRowsUntraced is readRows on the driver's context dctx (driverContext).
func (db *DB) readRowsUntraced(ctx, dctx context.Context, begin time.Time, q query, scan func(*sql.Rows) error) (int64, error) {
	var (
		rows *sql.Rows
		err  error
	)
	switch pool := db.gorm.Statement.ConnPool.(type) {
	case *sql.DB:
		if st := db.statements.stmt(dctx, pool, q.text); st != nil {
			rows, err = st.QueryContext(dctx, q.args...)
			break
		}
		rows, err = pool.QueryContext(dctx, q.text, q.args...)
	default: // a transaction or a single connection
		rows, err = pool.QueryContext(dctx, q.text, q.args...)
	}
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if n%rowsChecked == rowsChecked-1 && db.pastTimeout(ctx, begin) {
			return n, timeoutError(db.queryTimeout, context.DeadlineExceeded)
		}
		if err := scan(rows); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, rows.Close()
}

// pastTimeout reports whether a statement that began at begin has run past
// the query timeout.
func (db *DB) pastTimeout(ctx context.Context, begin time.Time) bool {
	return db.queryTimeout > 0 && time.Since(begin) > db.queryTimeout && !timeoutExempt(ctx)
}

// trace hands a statement this package ran itself to GORM's logger.
func (db *DB) trace(ctx context.Context, begin time.Time, text string, rows int64, err error) {
	db.gorm.Logger.Trace(ctx, begin, func() (string, int64) { return text, rows }, err)
}

// sqlText builds a query with $n placeholders and collects its arguments.
type sqlText struct {
	strings.Builder
	args []any
}

// query is the statement built so far.
func (s *sqlText) query(scans bool) query { return query{text: s.String(), args: s.args, scans: scans} }

// arg adds v to the arguments and writes its placeholder.
func (s *sqlText) arg(v any) {
	s.args = append(s.args, v)
	s.WriteByte('$')
	s.WriteString(strconv.Itoa(len(s.args)))
}
