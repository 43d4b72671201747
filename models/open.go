package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/mattn/go-sqlite3"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
)

// The database drivers Source.Driver names.
const (
	// DriverSQLite is the embedded default: one file, one machine.
	DriverSQLite = "sqlite"
	// DriverPostgres is for several instances sharing one database.
	DriverPostgres = "postgres"
)

// Source says which database to open. Only this package looks at the driver:
// every method of DB behaves the same on both.
type Source struct {
	// Driver is DriverSQLite (also when empty) or DriverPostgres.
	Driver string
	// Path is the SQLite database file.
	Path string
	// DSN is PostgreSQL's connection string, a URL or key=value pairs, as libpq
	// takes them. Without connect_timeout, connecting gives up after
	// DefaultConnectTimeout.
	DSN string
	// Synchronous is SQLite's durability: SyncFull (also when empty) or
	// SyncNormal. PostgreSQL's is the server's to set.
	Synchronous string
	// MaxSize is the most bytes the SQLite file may hold (SQLite's
	// max_page_count, set on every connection), 0 for no limit: a quota, so
	// that the database fills before the disk under it does. A write past it
	// fails with ErrFull, as on a full disk, and works again once rows are
	// deleted (their pages are reused) or the limit is raised. The -wal file
	// beside it is not counted. A file already larger keeps its size and
	// cannot grow. PostgreSQL's quota is the server's to set.
	MaxSize int64
	// Pool sizes the connection pool; zero fields take DefaultPool's.
	Pool Pool
}

// String names the database for people, never with the password a DSN may
// hold: the SQLite file's path, or postgres://user@host:port/database.
func (src Source) String() string {
	if src.Driver != DriverPostgres {
		return src.Path
	}
	cfg, err := pgx.ParseConfig(src.DSN)
	if err != nil {
		return "postgres (unparsable DSN)"
	}
	u := url.URL{Scheme: "postgres", User: url.User(cfg.User), Host: net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), Path: "/" + cfg.Database}
	if strings.HasPrefix(cfg.Host, "/") { // a Unix socket directory
		u.Host = ""
		u.RawQuery = url.Values{"host": {cfg.Host}}.Encode()
	}
	return u.String()
}

// Pool sizes a connection pool (database/sql's settings).
type Pool struct {
	MaxOpen     int           // connections open at once, in use or idle
	MaxIdle     int           // idle connections kept for reuse
	MaxLifetime time.Duration // a connection is replaced after this long
	MaxIdleTime time.Duration // an idle connection is closed after this long
}

// DefaultPool is a pool that suits both drivers: SQLite readers in WAL mode run
// in parallel, and eight connections per instance leave room on a PostgreSQL
// server (100 connections by default) for a dozen instances. The lifetime lets
// connections move to a restarted or failed-over server.
var DefaultPool = Pool{MaxOpen: 8, MaxIdle: 8, MaxLifetime: 30 * time.Minute, MaxIdleTime: 5 * time.Minute}

// DefaultConnectTimeout bounds a PostgreSQL connection attempt whose DSN sets
// no connect_timeout, so that while the server is unreachable requests fail
// soon (see IsUnavailable) instead of hanging.
const DefaultConnectTimeout = 5 * time.Second

// withDefaults fills p's zero fields from DefaultPool.
func (p Pool) withDefaults() Pool {
	if p.MaxOpen == 0 {
		p.MaxOpen = DefaultPool.MaxOpen
	}
	if p.MaxIdle == 0 {
		p.MaxIdle = min(DefaultPool.MaxIdle, p.MaxOpen)
	}
	if p.MaxLifetime == 0 {
		p.MaxLifetime = DefaultPool.MaxLifetime
	}
	if p.MaxIdleTime == 0 {
		p.MaxIdleTime = DefaultPool.MaxIdleTime
	}
	return p
}

// Connect opens the database src names: the only way to open one. On SQLite
// it also starts the group-commit writer (groupcommit.go); on PostgreSQL
// nothing is dialled until the first query.
func Connect(src Source, opts Options) (*DB, error) {
	var (
		db  *DB
		err error
	)
	switch src.Driver {
	case "", DriverSQLite:
		db, err = openSQLite(src, opts)
	case DriverPostgres:
		db, err = openPostgres(src.DSN, opts)
	default:
		return nil, fmt.Errorf("open database: unsupported driver %q (want %q or %q)", src.Driver, DriverSQLite, DriverPostgres)
	}
	if err != nil {
		return nil, err
	}
	pool := src.Pool.withDefaults()
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB.SetMaxOpenConns(pool.MaxOpen)
	sqlDB.SetMaxIdleConns(pool.MaxIdle)
	sqlDB.SetConnMaxLifetime(pool.MaxLifetime)
	sqlDB.SetConnMaxIdleTime(pool.MaxIdleTime)
	return db, nil
}

// SQLiteDSN is the DSN Connect opens the SQLite file at path with, at
// SyncFull: for a second, raw connection to the same file (tests use one to
// do what the package deliberately cannot).
func SQLiteDSN(path string) string {
	dsn, _ := sqliteDSN(path, SyncFull) // SyncFull cannot fail
	return dsn
}

// sqliteDSN is the one place the pragmas every pooled connection (and the
// group-commit writer's) needs are set: the busy timeout first, as
// mattn/go-sqlite3 applies it (so that the pragmas after it wait for a lock
// instead of failing); WAL so readers never
// block the writer; foreign keys so a user's token goes with it; the
// durability synchronous names (SyncFull when empty); and BEGIN IMMEDIATE so
// that a read-then-write transaction takes the write lock up front instead of
// failing with "database is locked" when it upgrades; a page cache of 1000 KiB a
// connection, half SQLite's default: the hot paths touch a few pages, the OS
// caches the file beneath, and 16 clients streaming long lists at once
// (scripts/listmem.sh) stay under 60 MiB with it where they went over without.
// (Source.MaxSize, which a DSN cannot
// carry, is set by maxPageCount on the same connections.)
func sqliteDSN(path, synchronous string) (string, error) {
	var pragma string
	switch synchronous {
	case "", SyncFull:
		pragma = "FULL"
	case SyncNormal:
		pragma = "NORMAL"
	default:
		return "", fmt.Errorf("unsupported synchronous %q (want %q or %q)", synchronous, SyncFull, SyncNormal)
	}
	escaped := strings.ReplaceAll(url.PathEscape(path), "%2F", "/")
	return "file:" + escaped + "?_busy_timeout=10000&_journal_mode=WAL&_foreign_keys=on&_synchronous=" + pragma + "&_txlock=immediate&_cache_size=-1000", nil
}

// openSQLite opens (creating if needed) the SQLite file src.Path names and
// starts the group-commit writer on a connection of its own.
func openSQLite(src Source, opts Options) (*DB, error) {
	path := src.Path
	dsn, err := sqliteDSN(path, src.Synchronous)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if src.MaxSize < 0 {
		return nil, fmt.Errorf("open sqlite %s: negative maximum size %d", path, src.MaxSize)
	}
	if err := privateSQLiteFiles(path, opts.Log); err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	conns := sqliteConnector{dsn: dsn, driver: &sqlite3.SQLiteDriver{ConnectHook: maxPageCount(src.MaxSize)}}
	db, err := newDB(sqlite.New(sqlite.Config{Conn: sql.OpenDB(conns)}), opts, true)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.writer = newGroupCommit(conns, db.trace, opts.OnCommit)
	return db, nil
}

// sqliteConnector opens the connections of a pool (the pool's and the
// group-commit writer's) on dsn with a driver of their own, whose ConnectHook
// sets what a DSN of mattn/go-sqlite3 cannot: the size quota. A driver value
// rather than one registered by name, which would be global state.
type sqliteConnector struct {
	dsn    string
	driver *sqlite3.SQLiteDriver
}

func (c sqliteConnector) Connect(context.Context) (driver.Conn, error) { return c.driver.Open(c.dsn) }
func (c sqliteConnector) Driver() driver.Driver                        { return c.driver }

// maxPageCount is the ConnectHook that holds the database to maxSize bytes
// (Source.MaxSize) on each connection, as PRAGMA max_page_count, which lasts
// as long as the connection: whole pages of the file's page size, at least
// one. Nil (no hook) for 0.
func maxPageCount(maxSize int64) func(*sqlite3.SQLiteConn) error {
	if maxSize <= 0 {
		return nil
	}
	return func(conn *sqlite3.SQLiteConn) error {
		rows, err := conn.Query("PRAGMA page_size", nil)
		if err != nil {
			return fmt.Errorf("read page size: %w", err)
		}
		v := make([]driver.Value, 1)
		err = rows.Next(v)
		rows.Close()
		size, ok := v[0].(int64)
		if err != nil || !ok || size <= 0 {
			return fmt.Errorf("read page size: got %v: %w", v[0], err)
		}
		pages := max(1, maxSize/size)
		if _, err := conn.Exec("PRAGMA max_page_count = "+strconv.FormatInt(pages, 10), nil); err != nil {
			return fmt.Errorf("set max_page_count: %w", err)
		}
		return nil
	}
}

// privateSQLiteFiles keeps the database at path, and its -wal and -shm,
// readable and writable by their owner only, as the secret file is: they hold
// password hashes and the digests of keys and sessions. A missing file is
// created empty with mode 0600 before SQLite opens it (an empty file is an
// empty database), and SQLite gives the -wal and -shm it creates the main
// file's mode, whatever the umask. Existing files that others may read, left
// by an older version under a umask of 022, lose those bits, and a line on w
// says so; one whose mode cannot be changed is an error, with the fix.
func privateSQLiteFiles(path string, w io.Writer) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create the database file: %w", err)
	}
	if runtime.GOOS == "windows" {
		return nil // no group or other bits to take away
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("database file: %w", err)
		}
		perm := info.Mode().Perm()
		if !info.Mode().IsRegular() || perm&0o077 == 0 {
			continue
		}
		if err := os.Chmod(p, perm&0o700); err != nil {
			return fmt.Errorf("%s is readable by others (mode %04o) and cannot be made private: %w; run chmod 600 %s", p, perm, err, p)
		}
		if w != nil {
			log.New(w, "", log.LstdFlags).Printf("%s was readable by others (mode %04o); now %04o", p, perm, perm&0o700)
		}
	}
	return nil
}

// openPostgres opens a pool on the server dsn names. Nothing is dialled yet:
// the service starts while the database is down, and answers 503 until it is up.
func openPostgres(dsn string, opts Options) (*DB, error) {
	if dsn == "" {
		return nil, errors.New("open postgres: the DSN is empty")
	}
	// pgx's own errors leave the password out of the DSN they quote.
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	var untimed driver.Connector
	if opts.QueryTimeout > 0 { // the server keeps it (see timeout.go)
		free := cfg.Copy()
		delete(free.RuntimeParams, "statement_timeout")
		untimed = stdlib.GetConnector(*free)
		if cfg.RuntimeParams == nil {
			cfg.RuntimeParams = map[string]string{}
		}
		cfg.RuntimeParams["statement_timeout"] = statementTimeout(opts.QueryTimeout)
	}
	db, err := newDB(postgres.New(postgres.Config{Conn: stdlib.OpenDB(*cfg)}), opts, false)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s@%s/%s: %w", cfg.User, cfg.Host, cfg.Database, err)
	}
	db.untimedConnector = untimed
	return db, nil
}

// migrationLock is the key of the PostgreSQL advisory lock that Migrate holds,
// so that instances started together do not create the same table twice.
const migrationLock = 0x5374756465 // "Stude"

// serializeMigration runs fn while this process alone migrates the database,
// and fn alone in this process (see core.migrating). Across processes SQLite
// needs no lock: BEGIN IMMEDIATE and the file lock serialize writers.
func (db *DB) serializeMigration(ctx context.Context, fn func(db *DB) error) error {
	db.migrating.Lock()
	defer db.migrating.Unlock()
	if db.gorm.Dialector.Name() != DriverPostgres {
		return fn(db)
	}
	// The lock belongs to one session, so fn runs on that same connection: a
	// pool of one would otherwise wait for itself. The session has no
	// statement_timeout while it migrates (or waits for another instance to).
	return db.untimed(ctx, func(ctx context.Context, conn *DB) error {
		if err := conn.with(ctx).Exec("SELECT pg_advisory_lock(?)", migrationLock).Error; err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		err := fn(conn)
		// A session that ends releases the lock too, so a failed unlock only
		// delays the next instance until this connection closes.
		if uerr := conn.with(context.WithoutCancel(ctx)).Exec("SELECT pg_advisory_unlock(?)", migrationLock).Error; uerr != nil && err == nil {
			err = fmt.Errorf("migration unlock: %w", uerr)
		}
		return err
	})
}
