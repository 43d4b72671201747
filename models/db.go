// Package models holds the GORM models (User, Token, Student), their hooks, and
// every query the service makes, each taking a context first. It knows nothing of
// HTTP, gin or configuration files: callers open a DB, connect receivers to its
// Signals, and call its methods.
package models

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/url"
	"strings"
	"time"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"studentapi/hooks"
)

// Errors that callers compare with errors.Is.
var (
	ErrNotFound  = errors.New("not found")
	ErrDuplicate = errors.New("already exists")
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
type DB struct {
	gorm    *gorm.DB
	Signals *Signals
}

// Options tune Open.
type Options struct {
	// Log receives slow-query and error lines, with query parameters left out so
	// that no password hash or token key is ever written. Nil discards them.
	Log io.Writer
}

// pluginName names the GORM plugin through which hooks find the Signals: the
// plugin map travels with every session and transaction of one *gorm.DB, and
// keeps the registry off package-level state.
const pluginName = "studentapi:signals"

type signalsPlugin struct{ signals *Signals }

func (p *signalsPlugin) Name() string              { return pluginName }
func (p *signalsPlugin) Initialize(*gorm.DB) error { return nil }

func signalsOf(tx *gorm.DB) *Signals {
	if p, ok := tx.Config.Plugins[pluginName].(*signalsPlugin); ok {
		return p.signals
	}
	return nil
}

// SQLiteDSN builds the DSN of a SQLite file with the pragmas every pooled
// connection needs: the busy timeout first, WAL so readers never block the writer,
// foreign keys so a user's token goes with it, and BEGIN IMMEDIATE so that a
// read-then-write transaction takes the write lock up front instead of failing
// with "database is locked" when it upgrades.
func SQLiteDSN(path string) string {
	escaped := strings.ReplaceAll(url.PathEscape(path), "%2F", "/")
	return "file:" + escaped + "?_busy_timeout=10000&_journal_mode=WAL&_foreign_keys=on&_synchronous=FULL&_txlock=immediate"
}

// OpenSQLite opens (creating if needed) the SQLite database file at path.
func OpenSQLite(path string, opts Options) (*DB, error) {
	db, err := Open(sqlite.Open(SQLiteDSN(path)), opts)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	sqlDB.SetMaxOpenConns(8)
	sqlDB.SetMaxIdleConns(8)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// Open opens a database through any GORM dialector.
func Open(dialector gorm.Dialector, opts Options) (*DB, error) {
	w := opts.Log
	if w == nil {
		w = io.Discard
	}
	signals := &Signals{}
	g, err := gorm.Open(dialector, &gorm.Config{
		TranslateError: true,
		NowFunc:        func() time.Time { return time.Now().UTC() },
		Logger: logger.New(log.New(w, "", log.LstdFlags), logger.Config{
			SlowThreshold:             time.Second,
			LogLevel:                  logger.Warn,
			IgnoreRecordNotFoundError: true,
			ParameterizedQueries:      true,
		}),
	})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := g.Use(&signalsPlugin{signals: signals}); err != nil {
		return nil, fmt.Errorf("register signals: %w", err)
	}
	return &DB{gorm: g, Signals: signals}, nil
}

// Close closes the underlying connection pool.
func (db *DB) Close() error {
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	if err := sqlDB.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
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

// Migrate creates or updates the tables. Running it again is harmless.
func (db *DB) Migrate(ctx context.Context) error {
	if err := db.with(ctx).AutoMigrate(&User{}, &Token{}, &Student{}); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Transaction runs fn in one transaction, committed when fn returns nil.
func (db *DB) Transaction(ctx context.Context, fn func(tx *DB) error) error {
	return db.with(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(&DB{gorm: tx, Signals: db.Signals})
	})
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
