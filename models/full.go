package models

import (
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
	"gorm.io/gorm"
)

// ErrFull means the database has no room for a write: the file system that
// holds a SQLite database is full, or the file reached Source.MaxSize
// (SQLite's SQLITE_FULL), or a PostgreSQL server is out of disk (SQLSTATE
// 53100, disk_full). Nothing of the refused write is kept, nothing committed
// before is touched, reads go on working, and writes work again by
// themselves once space is freed: no restart. The API answers it with 507.
var ErrFull = errors.New("database full")

// isFullCause reports whether err is a driver's "no space" error. Only
// disk_full on PostgreSQL: out_of_memory (53200) is not a lack of disk, and
// freeing disk does not cure it.
func isFullCause(err error) bool {
	var liteErr sqlite3.Error
	if errors.As(err, &liteErr) {
		return liteErr.Code == sqlite3.ErrFull
	}
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "53100"
}

// fullQuiet is how long writes must go without a failure for want of space
// before a success ends an episode. Near the limit some writes still fit
// (a smaller row, a page another's rollback freed) while most do not; without
// it each of those would end the episode and the next failure start one, a
// pair of lines a request.
const fullQuiet = 5 * time.Second

// fullness is whether writes are failing for want of space, so that an
// episode is logged once when it starts (at ERROR) and once when it ends (at
// INFO), however many requests it refuses: a full disk under load would
// otherwise fill what is left of it with the same line. (The query log leaves
// out such failures for the same reason: see queryLog.)
type fullness struct {
	full     atomic.Bool
	lastFull atomic.Int64 // the last failure for want of space, in Unix nanoseconds
	log      *slog.Logger
	now      func() time.Time
}

// failed returns err, marked with ErrFull when it is a lack of space; the
// first such error of an episode is logged. Errors of every other kind pass
// as they are.
func (f *fullness) failed(err error) error {
	if err == nil || !isFullCause(err) {
		return err
	}
	if !errors.Is(err, ErrFull) {
		err = fmt.Errorf("%w: %w", ErrFull, err)
	}
	f.lastFull.Store(f.now().UnixNano())
	if f.full.CompareAndSwap(false, true) {
		// err is a driver's message and what was being written; bounded
		// like every value in the log.
		f.log.Error("database full: writes are refused (507) until space is freed; reads go on", "err", err)
	}
	return err
}

// committed notes a write that reached the database, which ends an episode
// once no write has failed for want of space for fullQuiet: the space it
// needed was there. One atomic load when nothing is full.
func (f *fullness) committed() {
	if !f.full.Load() || f.now().UnixNano()-f.lastFull.Load() < int64(fullQuiet) {
		return
	}
	if f.full.CompareAndSwap(true, false) {
		f.log.Info("database writes succeed again: space was freed")
	}
}

// wrote is failed for err, and committed when err is nil and the write
// committed as it ran (outside a transaction, whose COMMIT may yet fail for
// want of space: Transaction notes that one).
func (db *DB) wrote(err error) error {
	if err != nil {
		return db.full.failed(err)
	}
	if _, root := db.gorm.Statement.ConnPool.(*sql.DB); root {
		db.full.committed()
	} else {
		db.txWrites.Add(1)
	}
	return nil
}

// registerFullness marks with ErrFull every GORM write that fails for want
// of space, and notes those that succeed (see DB.wrote), whichever query
// made them: no caller has to remember to.
func registerFullness(g *gorm.DB, c *core) error {
	after := func(tx *gorm.DB) {
		if tx.Error != nil {
			tx.Error = c.full.failed(tx.Error)
			return
		}
		if tx.Statement.RowsAffected > 0 {
			(&DB{gorm: tx, core: c}).wrote(nil)
		}
	}
	failedOnly := func(tx *gorm.DB) { tx.Error = c.full.failed(tx.Error) }
	cb := g.Callback()
	for _, err := range []error{
		cb.Create().After("*").Register("studentapi:full", after),
		cb.Update().After("*").Register("studentapi:full", after),
		cb.Delete().After("*").Register("studentapi:full", after),
		// Raw is Exec: a lock, a pragma, a VACUUM INTO a backup; none of
		// them proves there is room in the database.
		cb.Raw().After("*").Register("studentapi:full", failedOnly),
	} {
		if err != nil {
			return fmt.Errorf("register full-database check: %w", err)
		}
	}
	return nil
}
