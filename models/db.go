// Package models holds the GORM models (User, Token, Student, Session,
// ThrottleHit), their hooks, and every query the service makes, each taking a
// context first. It knows nothing of HTTP, gin or configuration files: callers
// open a DB with Connect, connect receivers to its Signals, and call its
// methods, which behave the same on SQLite and PostgreSQL.
//
// What a maintainer most needs to know:
//
//   - One constructor. Connect(Source, Options) opens either backend; it is
//     the only way to get a DB. SQLite's pragmas (busy timeout first, WAL,
//     foreign keys, Source.Synchronous, BEGIN IMMEDIATE) are set in one place,
//     the DSN every pooled connection opens (sqliteDSN in open.go); the size
//     quota of Source.MaxSize, which a DSN cannot carry, by the hook of the
//     connector that opens them (maxPageCount).
//
//   - One handle, shared. A DB is a GORM session plus a pointer to the core
//     every handle derived from the same Connect shares: a transaction's, the
//     one a GORM hook runs under, the one a migration holds. A field added to
//     core reaches them all (db.go).
//
//   - Hand-written SQL on the hot paths. The queries every request makes (a
//     token by its digest with its user in TokenByKey, a student by id, a
//     list or page of students in student_query.go) are written by hand
//     against database/sql, not built by GORM: a profile of served requests
//     (docs/PERFORMANCE.md) put most of their time in GORM building each
//     statement anew and scanning rows by reflection. Their texts use $1..$n
//     placeholders, which both drivers take, values only ever as bound
//     parameters and column names only from fixed lists. So are a student's
//     writes (student.go): one statement each, a create on PostgreSQL one
//     round trip in autocommit. Everything else (the other writes, the admin
//     site's queries, migrations) goes through GORM (sql.go).
//
//   - The statement cache. Each distinct hand-written text is prepared once
//     per pooled connection and reused; the first maxPrepared texts are kept,
//     later ones run unprepared, so the many shapes of a search cannot grow
//     it without bound (statementCache in sql.go). Close closes it.
//
//   - The group-commit writer. On SQLite with synchronous=FULL each commit
//     waits for an fsync. CreateStudent outside a transaction hands its row
//     to one writer goroutine with a connection of its own, which commits
//     every create waiting in one transaction and answers each caller only
//     after COMMIT: an answer still means the row is on disk, and a burst
//     costs one fsync. There is no timer; a lone create waits for nothing.
//     The writer is internal/groupcommit, which batches statements and knows
//     nothing of students; groupcommit.go opens its connection.
//
//   - Timeouts and outages. Every statement but a migration's is cut off after
//     Options.QueryTimeout (timeout.go); IsUnavailable tells an outage (503)
//     from a bug (unavailable.go).
//
//   - A full database. A write without room (SQLITE_FULL, PostgreSQL's
//     disk_full) is ErrFull wherever it is made, and an episode is logged
//     once when it starts and once when writes work again (full.go).
//
//   - Backups. DB.Backup copies a live SQLite database in one read
//     transaction (VACUUM INTO); Restore puts a checked copy back once no
//     other process has the file open (backup.go). PostgreSQL has pg_dump.
//
//   - Fixtures. Import and Export move whole tables with their ids, for
//     Django's loaddata and dumpdata (internal/fixtures), in one transaction
//     on statements prepared once for it; Import writes with SQL, so no GORM
//     hook runs (fixture.go).
//
//   - No key at rest. Token and session rows hold a digest, a sealed copy and
//     a tag made by the KeyProtector the caller passes (keys.go), never a key.
package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"studentapi/hooks"
	"studentapi/internal/groupcommit"
	"studentapi/internal/logbuf"
)

// Errors that callers compare with errors.Is.
var (
	ErrNotFound  = errors.New("not found")
	ErrDuplicate = errors.New("already exists")
	// ErrChanged means a conditional write (UpdateStudentFieldsIf,
	// DeleteStudentIf) found the row no longer as the caller had read it: it
	// was changed or removed since.
	ErrChanged = errors.New("changed since it was read")
	// ErrSealBroken means a token's sealed key cannot be opened: the secret it
	// was sealed under has changed, or the row was written by someone without it.
	ErrSealBroken = errors.New("sealed token key cannot be opened (was the secret key changed?)")
	// ErrQueryTimeout means a statement ran past Options.QueryTimeout and was
	// cut off (see IsTimeout).
	ErrQueryTimeout = errors.New("query timed out")
)

// Signals are the events models sends from its GORM hooks.
type Signals struct {
	// UserCreated is sent from User.AfterCreate inside the creating transaction;
	// a receiver's error rolls the user back (DRF's post_save with created=True).
	UserCreated hooks.Signal[UserCreated]
}

// UserCreated is the event of a new user. DB runs in the same transaction as the
// insert, so whatever a receiver writes through it commits or rolls back with the user.
type UserCreated struct {
	User *User
	DB   *DB
}

// DB is the service's database handle. It is safe for concurrent use.
//
// A DB is a GORM session and a pointer to what every handle opened by the
// same Connect shares (core): the handle a transaction's callback gets, the
// one a receiver of Signals.UserCreated gets, and the one a migration runs on
// differ only in the session. Deriving a handle copies two words, so a field
// added to core reaches every handle without a line elsewhere.
//
// Its Signals field, promoted from the shared core, holds the events the
// handle sends (db.Signals.UserCreated.Connect(...)); every handle derived
// from it sends the same ones to the same receivers.
type DB struct {
	gorm *gorm.DB
	*core
}

// core is what every handle derived from one Connect shares. A GORM hook
// finds it through the plugin map (handleOf).
type core struct {
	// Signals are sent from GORM hooks; receivers connect to them.
	Signals *Signals
	keys    KeyProtector
	now     func() time.Time // Options.Now in UTC, to the microsecond

	sqlite       bool          // the database is SQLite (see driverContext)
	queryTimeout time.Duration // Options.QueryTimeout (see timeout.go)
	// untimedConnector opens PostgreSQL sessions without the query
	// timeout, for DB.untimed; nil on SQLite or with no timeout.
	untimedConnector driver.Connector

	statements *statementCache     // the hand-written queries' prepared statements (sql.go)
	writer     *groupcommit.Writer // SQLite's student creates (opened in groupcommit.go); nil on PostgreSQL

	throttleSweepAt atomic.Int64 // when TakeThrottle next sweeps, in Unix nanoseconds

	// migrating serializes Migrate within the process: GORM's AutoMigrate
	// writes the parsed schema it shares between sessions, so two at once
	// on one handle race (the PostgreSQL advisory lock serializes sessions,
	// not the Go side, and SQLite has no lock before its first write).
	migrating sync.Mutex

	full fullness // whether writes fail for want of space (full.go)
	// txWrites counts write statements that succeeded inside a transaction,
	// for Transaction to tell a commit that wrote from one that only read.
	// Another transaction's writes may be counted too; that only means
	// there was room for them.
	txWrites atomic.Int64
}

// Options tune Connect.
type Options struct {
	// Keys protects token keys at rest (required); the server passes an
	// auth.Keyring built from its secret key.
	Keys KeyProtector
	// Log receives slow-query and error lines, with query parameters left out so
	// that no password hash or token key is ever written, and each statement
	// and error cut to a few hundred bytes. Nil discards them.
	Log io.Writer
	// LogQueries also writes every statement to Log (still without its
	// parameters), for log_level: debug.
	LogQueries bool
	// Now is the clock every timestamp the package writes comes from (token
	// creation and refresh, date joined), so that tests can move time. Nil is
	// the system clock.
	Now func() time.Time
	// QueryTimeout is how long one statement may run before it is cut off
	// with an error IsTimeout recognises (see timeout.go); 0 is no limit.
	// Migrations have none.
	QueryTimeout time.Duration
	// OnCommit is told of each SQLite group commit of student creates (its
	// rows and time, see internal/groupcommit), for the server's metrics;
	// nil for none. PostgreSQL has no group commit and never calls it.
	OnCommit groupcommit.Observer
}

// SQLite durability settings (PRAGMA synchronous) that Source.Synchronous takes.
const (
	// SyncFull syncs the WAL on every commit: an answered write survives a
	// power cut.
	SyncFull = "full"
	// SyncNormal syncs only at checkpoints: an answered write survives a crash
	// of the process, but the last writes may be lost on power loss.
	SyncNormal = "normal"
)

// corePlugin puts the core in GORM's plugin map, which travels with every
// session and transaction of the *gorm.DB: that is how a hook finds its
// handle without package-level state. (Not methods of core itself: DB
// embeds core, and would export them.)
type corePlugin struct{ core *core }

// pluginName names the core in GORM's plugin map.
const pluginName = "studentapi:handle"

func (corePlugin) Name() string              { return pluginName }
func (corePlugin) Initialize(*gorm.DB) error { return nil }

// handleOf is the DB a GORM hook runs under, or nil when tx did not come
// from Connect.
func handleOf(tx *gorm.DB) *DB {
	p, ok := tx.Config.Plugins[pluginName].(corePlugin)
	if !ok {
		return nil
	}
	return &DB{gorm: tx, core: p.core}
}

// on is db working through g: another session or a transaction of the same pool.
func (db *DB) on(g *gorm.DB) *DB {
	return &DB{gorm: g, core: db.core}
}

// newDB builds the handle on dialector; Connect calls it for either driver.
// ping false leaves the first connection to the first query, so that a server
// that is down does not stop the process from starting.
func newDB(dialector gorm.Dialector, opts Options, ping bool) (*DB, error) {
	keys := opts.Keys
	if keys == nil {
		return nil, errors.New("open database: Options.Keys is required (an auth.Keyring)")
	}
	w := opts.Log
	if w == nil {
		w = io.Discard
	}
	clock := opts.Now
	if clock == nil {
		clock = time.Now
	}
	// Microseconds: what PostgreSQL keeps, so a time read back equals the one
	// written on either backend.
	now := func() time.Time { return clock().UTC().Truncate(time.Microsecond) }
	level := logger.Warn
	if opts.LogQueries {
		level = logger.Info
	}
	g, err := gorm.Open(dialector, &gorm.Config{
		DisableAutomaticPing: !ping,
		TranslateError:       true,
		NowFunc:              now,
		Logger: logger.New(queryLog{log.New(w, "", log.LstdFlags)}, logger.Config{
			SlowThreshold:             time.Second,
			LogLevel:                  level,
			IgnoreRecordNotFoundError: true,
			ParameterizedQueries:      true,
		}),
	})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	c := &core{
		Signals:      &Signals{},
		keys:         keys,
		now:          now,
		sqlite:       dialector.Name() == DriverSQLite,
		queryTimeout: opts.QueryTimeout,
		statements:   newStatementCache(),
	}
	c.full.now = clock
	c.full.log = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{ReplaceAttr: logbuf.BoundAttr}))
	if err := registerFullness(g, c); err != nil {
		return nil, err
	}
	if c.sqlite && opts.QueryTimeout > 0 {
		if err := registerDeadlines(g, opts.QueryTimeout); err != nil {
			return nil, err
		}
	}
	if err := g.Use(corePlugin{core: c}); err != nil {
		return nil, fmt.Errorf("register handle plugin: %w", err)
	}
	return &DB{gorm: g, core: c}, nil
}

// Now reads the clock of Options.Now, in UTC: the time the package stamps on
// what it writes, and the one to judge those stamps by.
func (db *DB) Now() time.Time { return db.now() }

// Close stops the group-commit writer, answering every create it took, then
// closes the prepared statements and the connection pool.
func (db *DB) Close() error {
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	var errs []error
	if db.writer != nil {
		errs = append(errs, db.writer.Close())
	}
	errs = append(errs, db.statements.close(), sqlDB.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

// PoolStats are the statistics of the handle's connection pool (open, in
// use, idle, waits), for the server's metrics. The group-commit writer's one
// connection is not in them.
func (db *DB) PoolStats() sql.DBStats {
	pool, err := db.gorm.DB()
	if err != nil { // only for a handle not on a *sql.DB, which Connect never makes
		return sql.DBStats{}
	}
	return pool.Stats()
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Migrate creates or updates the tables. Running it again is harmless. It
// runs without Options.QueryTimeout: a migration may rewrite whole tables.
func (db *DB) Migrate(ctx context.Context) error {
	ctx = withoutTimeout(ctx)
	return db.serializeMigration(ctx, func(db *DB) error { return db.migrate(ctx) })
}

func (db *DB) migrate(ctx context.Context) error {
	if err := db.with(ctx).AutoMigrate(&User{}, &Token{}, &Student{}, &Session{}, &ThrottleHit{}); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := db.tagTokens(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// Sessions from before tags would sign nobody in; an upgrade logs their
	// users out of the admin site instead of trusting the rows.
	if err := db.with(ctx).Where("user_tag IS NULL").Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("migrate: %w", translate(err, "delete untagged sessions"))
	}
	if err := db.deleteOrphanedSessions(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Transaction runs fn in one transaction, committed when fn returns nil.
// A COMMIT that fails for want of space is ErrFull (see full.go).
func (db *DB) Transaction(ctx context.Context, fn func(tx *DB) error) error {
	wrote := db.txWrites.Load()
	err := db.with(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(db.on(tx))
	})
	if err != nil {
		return db.full.failed(err)
	}
	if db.txWrites.Load() != wrote {
		db.full.committed()
	}
	return nil
}

// with starts a fresh statement: NewDB keeps clauses of the statement the handle
// came from (a hook's INSERT, say) out of the next query, while staying on the
// same connection or transaction.
func (db *DB) with(ctx context.Context) *gorm.DB {
	return db.gorm.Session(&gorm.Session{NewDB: true, Context: ctx})
}

// translate maps GORM's not-found and duplicate errors onto this package's and
// wraps any other error with what was being done.
func translate(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("%s: %w", what, ErrDuplicate)
	default:
		return fmt.Errorf("%s: %w", what, err)
	}
}
