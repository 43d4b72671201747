package models

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// Query timeouts (Options.QueryTimeout): every statement has a deadline, so
// that no request, however it is written, holds a connection for long.
//
// On PostgreSQL the server keeps it: each session starts with
// statement_timeout set to it, which cuts off any statement (SQLSTATE 57014)
// and leaves the connection usable, where a context ending would make pgx
// close it.
//
// SQLite has no such setting, but mattn/go-sqlite3 interrupts a statement
// whose context ends. GORM's statements get a context with the deadline from
// callbacks around each (registerDeadlines); of the hand-written ones of
// sql.go, one that scans gets such a context, and the others, which find
// their rows through an index and run on a context that cannot end (see
// driverContext), are checked between rows. The group-commit writer
// inserts one row per statement and waits for the lock no longer than the
// busy timeout.
//
// Migrations, fixture loads and exports run without a timeout (DB.untimed):
// they may rewrite or read whole tables.

// timeoutExemptKey marks a context whose statements have no query timeout.
type timeoutExemptKey struct{}

func withoutTimeout(ctx context.Context) context.Context {
	return context.WithValue(ctx, timeoutExemptKey{}, true)
}

func timeoutExempt(ctx context.Context) bool { return ctx.Value(timeoutExemptKey{}) != nil }

// timeoutError is the error of a statement cut off after d.
func timeoutError(d time.Duration, err error) error {
	return fmt.Errorf("%w after %s: %w", ErrQueryTimeout, d, err)
}

// statementTimeout is d as PostgreSQL's statement_timeout, in whole
// milliseconds, at least one: 0 would turn it off.
func statementTimeout(d time.Duration) string {
	return strconv.FormatInt(max(1, (d+time.Millisecond-1).Milliseconds()), 10)
}

// deadlineSetting is where registerDeadlines keeps a statement's deadline
// between its callbacks.
const deadlineSetting = "studentapi:deadline"

type deadline struct {
	parent context.Context
	cancel context.CancelFunc
}

// registerDeadlines gives every GORM statement on g a context that ends after
// timeout, for SQLite. GORM's own DefaultContextTimeout does not serve: it
// never cancels the context it makes, so its timer outlives the statement, it
// cannot leave migrations alone, and its deadline cannot be told from the
// caller's. Statements of the row processor (Row, Rows) are left alone: their
// rows are read after the callbacks have run; nothing here uses them but
// GORM's migrator.
func registerDeadlines(g *gorm.DB, timeout time.Duration) error {
	begin := func(tx *gorm.DB) {
		ctx := tx.Statement.Context
		if timeoutExempt(ctx) {
			return
		}
		dctx, cancel := context.WithTimeout(ctx, timeout)
		tx.Statement.Context = dctx
		tx.Statement.Settings.Store(deadlineSetting, deadline{parent: ctx, cancel: cancel})
	}
	end := func(tx *gorm.DB) {
		v, ok := tx.Statement.Settings.LoadAndDelete(deadlineSetting)
		if !ok {
			return
		}
		d := v.(deadline)
		if tx.Error != nil && tx.Statement.Context.Err() != nil && d.parent.Err() == nil {
			tx.Error = timeoutError(timeout, tx.Error)
		}
		d.cancel()
		tx.Statement.Context = d.parent
	}
	c := g.Callback()
	for _, err := range []error{
		c.Create().Before("*").Register("studentapi:deadline", begin),
		c.Create().After("*").Register("studentapi:deadline_end", end),
		c.Query().Before("*").Register("studentapi:deadline", begin),
		c.Query().After("*").Register("studentapi:deadline_end", end),
		c.Update().Before("*").Register("studentapi:deadline", begin),
		c.Update().After("*").Register("studentapi:deadline_end", end),
		c.Delete().Before("*").Register("studentapi:deadline", begin),
		c.Delete().After("*").Register("studentapi:deadline_end", end),
		c.Raw().Before("*").Register("studentapi:deadline", begin),
		c.Raw().After("*").Register("studentapi:deadline_end", end),
	} {
		if err != nil {
			return fmt.Errorf("register query deadlines: %w", err)
		}
	}
	return nil
}

// untimed runs fn with no query timeout, for the package's own long work:
// migrations, fixture loads and exports; on PostgreSQL, on one session. fn's context is ctx marked
// withoutTimeout, which is all SQLite needs; its statements are to run on
// that context.
//
// On PostgreSQL fn runs on a connection of its own, opened without the
// statement_timeout every pooled session starts with (Options.QueryTimeout),
// one beyond the pool's limit for as long as fn runs. Lifting the timeout of
// a pooled session instead (SET statement_timeout = 0) is held to that very
// timeout: under a short one a busy server cancels the SET, or the statement
// after it when the timer fired just as the SET ended, and CI saw both.
func (db *DB) untimed(ctx context.Context, fn func(ctx context.Context, db *DB) error) error {
	ctx = withoutTimeout(ctx)
	if db.sqlite {
		return fn(ctx, db)
	}
	if db.untimedConnector == nil { // the pool's sessions have no timeout
		return db.with(ctx).Connection(func(conn *gorm.DB) error { return fn(ctx, db.on(conn)) })
	}
	pool := sql.OpenDB(db.untimedConnector)
	defer pool.Close()
	conn, err := pool.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect without the query timeout: %w", err)
	}
	defer conn.Close()
	g := db.with(ctx) // a clone of the statement, whose pool may be replaced
	g.Statement.ConnPool = conn
	return fn(ctx, db.on(g))
}
