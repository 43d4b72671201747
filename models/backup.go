package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
	"gorm.io/gorm/schema"
)

// ErrPostgresBackup is what Backup and Restore answer on PostgreSQL, whose
// own tools (pg_dump, pg_restore) already copy a live database consistently.
var ErrPostgresBackup = errors.New("online backup and restore are for SQLite; on PostgreSQL use pg_dump to back up and pg_restore (or psql) to restore")

// ErrInUse means Restore found the database open in another process (a
// running server, a command, the sqlite3 shell): replacing the file under it
// would lose its writes or corrupt its view of the data.
var ErrInUse = errors.New("the database is in use")

// restoreBusyTimeout is how long Restore waits for the database's exclusive
// lock before concluding that another process holds it open: a server keeps
// a shared lock for as long as it runs, so waiting longer would not help.
const restoreBusyTimeout = 200 * time.Millisecond

// Backup writes a consistent copy of the SQLite database to path, which must
// not exist (it is created with mode 0600: the copy holds password hashes).
// It is VACUUM INTO: one read transaction, which in WAL mode never blocks a
// writer, and which sees every transaction committed before it began, so
// every write acknowledged before Backup was called is in the copy. It runs
// without Options.QueryTimeout, since a large database takes long to copy.
// On PostgreSQL it returns ErrPostgresBackup.
func (db *DB) Backup(ctx context.Context, path string) error {
	if !db.sqlite {
		return ErrPostgresBackup
	}
	// O_EXCL refuses an existing file without a window for another process
	// to create one; VACUUM INTO accepts the empty file and keeps its mode.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("backup: %s already exists (a backup never overwrites a file; choose another name or remove it)", path)
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("backup: %w", err)
	}
	if err := db.with(withoutTimeout(ctx)).Exec("VACUUM INTO ?", path).Error; err != nil {
		os.Remove(path)
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	// VACUUM INTO does not sync what it wrote: a backup is only one once it
	// is on disk.
	if err := syncFile(path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	if err := syncFile(filepath.Dir(path)); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

// Restore replaces the database src names with the SQLite backup at from,
// atomically: a process that opens the database afterwards sees either the
// old file or the whole new one. It refuses (ErrInUse) while any other
// process has the database open, which it tells by asking SQLite for the
// file's exclusive lock: every open connection in WAL mode holds a shared
// lock on it for as long as it is open, so a running server always does. It
// holds that lock until the new file is in place, so no server starts on the
// old file meanwhile. The backup is checked first: a copy of it must pass
// PRAGMA integrity_check and hold the service's tables. The secret file
// beside the database is left alone. On PostgreSQL it returns
// ErrPostgresBackup.
func Restore(ctx context.Context, src Source, from string) error {
	switch src.Driver {
	case "", DriverSQLite:
	case DriverPostgres:
		return ErrPostgresBackup
	default:
		return fmt.Errorf("restore: unsupported driver %q", src.Driver)
	}
	// The copy, not from, is checked and renamed into place: what is checked
	// is what is installed, even if from changes meanwhile.
	tmp, err := copyBeside(from, src.Path)
	if err != nil {
		return fmt.Errorf("restore from %s: %w", from, err)
	}
	defer os.Remove(tmp) // a no-op once renamed
	if err := checkBackup(ctx, tmp); err != nil {
		return fmt.Errorf("restore from %s: %w", from, err)
	}
	unlock, err := lockExclusive(ctx, src.Path)
	if err != nil {
		return fmt.Errorf("restore to %s: %w", src.Path, err)
	}
	defer unlock()
	// lockExclusive has checkpointed the old database's -wal and deleted it;
	// whatever -wal or -shm is still there (beside a database that was
	// deleted, say) would be read as the new file's, so it goes too. Before
	// the rename: once the new file is in place a server may open it and
	// make its own.
	for _, stale := range []string{src.Path + "-wal", src.Path + "-shm"} {
		if err := os.Remove(stale); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restore to %s: %w", src.Path, err)
		}
	}
	if err := os.Rename(tmp, src.Path); err != nil {
		return fmt.Errorf("restore to %s: %w", src.Path, err)
	}
	if err := syncFile(filepath.Dir(src.Path)); err != nil {
		return fmt.Errorf("restore to %s: %w", src.Path, err)
	}
	return nil
}

// copyBeside copies from into a new file, mode 0600, in dst's directory (so
// that renaming it over dst is atomic), synced to disk, and returns its path.
func copyBeside(from, dst string) (string, error) {
	in, err := os.Open(from)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".restore-*")
	if err != nil {
		return "", err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", err
	}
	return out.Name(), nil
}

// checkBackup opens path read-only and immutable (no lock, no -wal or -shm
// created or read: exactly the bytes of the file) and checks that it is a
// SQLite database that passes integrity_check and holds the tables the
// service cannot do without. The other tables are Migrate's to add, so an
// older backup restores too.
func checkBackup(ctx context.Context, path string) error {
	q := url.Values{"mode": {"ro"}, "immutable": {"1"}}
	raw, err := sql.Open("sqlite3", "file:"+strings.ReplaceAll(url.PathEscape(path), "%2F", "/")+"?"+q.Encode())
	if err != nil {
		return err
	}
	defer raw.Close()
	var result string
	err = raw.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&result)
	var se sqlite3.Error
	if errors.As(err, &se) && (se.Code == sqlite3.ErrNotADB || se.Code == sqlite3.ErrCorrupt) {
		return fmt.Errorf("not a SQLite database: %w", err)
	}
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if result != "ok" {
		return fmt.Errorf("integrity check failed: %s", result)
	}
	for _, model := range []any{&User{}, &Token{}, &Student{}} {
		table, err := tableName(model)
		if err != nil {
			return err
		}
		var n int
		if err := raw.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", table).Scan(&n); err != nil {
			return fmt.Errorf("read the schema: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("not a studentapi database: it has no %s table", table)
		}
	}
	return nil
}

// lockExclusive takes SQLite's exclusive lock on the database at path, if it
// exists, and brings it out of WAL mode, which checkpoints and deletes its
// -wal (a -wal left beside the restored file would be replayed into it). It
// fails with ErrInUse when another connection holds the file open. unlock
// closes the connection, which drops the lock.
func lockExclusive(ctx context.Context, path string) (unlock func(), err error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return func() {}, nil
	}
	// locking_mode=EXCLUSIVE, set before the first read, makes the first
	// read take the file's exclusive lock and keep it; in WAL mode SQLite
	// then needs no -shm either.
	dsn := fmt.Sprintf("file:%s?_busy_timeout=%d&_locking_mode=EXCLUSIVE",
		strings.ReplaceAll(url.PathEscape(path), "%2F", "/"), restoreBusyTimeout.Milliseconds())
	raw, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, err
	}
	raw.SetMaxOpenConns(1)
	var mode string
	err = raw.QueryRowContext(ctx, "PRAGMA journal_mode = DELETE").Scan(&mode)
	var se sqlite3.Error
	if err == nil && mode != "delete" || errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked) {
		raw.Close()
		return nil, ErrInUse
	}
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("lock the database: %w", err)
	}
	return func() { raw.Close() }, nil
}

// tableName is the table GORM keeps model in.
func tableName(model any) (string, error) {
	s, err := schema.Parse(model, &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		return "", fmt.Errorf("table of %T: %w", model, err)
	}
	return s.Table, nil
}

// syncFile flushes the file or directory at path to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
