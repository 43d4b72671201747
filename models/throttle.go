package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"studentapi/throttle"
)

// ThrottleHit is one request a shared rate limit counted (DRF's throttle
// history, kept in the database instead of a cache), so that every instance
// on one database counts against the same limits.
type ThrottleHit struct {
	ID int64 `gorm:"primaryKey"`
	// Digest is a SHA-256 of the limit's key, so that no username or client
	// address is kept in the clear.
	Digest  string    `gorm:"size:64;not null;index:idx_throttle_hits_digest_at,priority:1"`
	At      time.Time `gorm:"not null;index:idx_throttle_hits_digest_at,priority:2"`
	Expires time.Time `gorm:"not null;index"` // At plus the window: past it the row counts for nothing
}

// throttleSweepEvery is how often a process deletes every expired hit, of any
// key; the hits of a key that is used again go at its next request anyway.
const throttleSweepEvery = time.Minute

// Throttles is the database as a throttle.Store: limits that every instance
// on this database counts together.
func (db *DB) Throttles() throttle.Store { return throttleStore{db} }

type throttleStore struct{ db *DB }

func (s throttleStore) Take(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (throttle.Window, error) {
	return s.db.takeThrottle(ctx, key, limit, window, now)
}

// takeThrottle forgets key's hits at or before now-window and, if fewer than
// limit remain, records one at now (see throttle.Store). Concurrent callers on any number of instances
// are serialized per key, so a limit of N lets exactly N through.
func (db *DB) takeThrottle(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (w throttle.Window, err error) {
	sum := sha256.Sum256([]byte(key))
	digest := hex.EncodeToString(sum[:])
	now = now.UTC().Truncate(time.Microsecond)
	err = db.Transaction(ctx, func(tx *DB) error {
		// SQLite's BEGIN IMMEDIATE already serializes writers; PostgreSQL's
		// read committed would let two callers both count N-1 and both insert.
		if tx.gorm.Dialector.Name() == DriverPostgres {
			if err := tx.with(ctx).Exec("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", digest).Error; err != nil {
				return fmt.Errorf("lock: %w", err)
			}
		}
		if err := tx.with(ctx).Where("digest = ? AND at <= ?", digest, now.Add(-window)).Delete(&ThrottleHit{}).Error; err != nil {
			return fmt.Errorf("forget old hits: %w", err)
		}
		var hits []ThrottleHit
		if err := tx.with(ctx).Where("digest = ?", digest).Order("at").Find(&hits).Error; err != nil {
			return fmt.Errorf("read hits: %w", err)
		}
		w.Count = len(hits)
		w.Oldest = now
		if len(hits) > 0 {
			w.Oldest = hits[0].At
		}
		if w.Count >= limit {
			return nil
		}
		if err := tx.with(ctx).Create(&ThrottleHit{Digest: digest, At: now, Expires: now.Add(window)}).Error; err != nil {
			return fmt.Errorf("record hit: %w", err)
		}
		w.Taken = true
		return nil
	})
	if err != nil {
		return throttle.Window{}, fmt.Errorf("throttle: %w", err)
	}
	db.sweepThrottle(ctx, now)
	return w, nil
}

// sweepThrottle deletes the expired hits of every key, at most once per
// throttleSweepEvery per process, so that keys never seen again do not stay.
func (db *DB) sweepThrottle(ctx context.Context, now time.Time) {
	next := db.sweepAt.Load()
	if now.UnixNano() < next || !db.sweepAt.CompareAndSwap(next, now.Add(throttleSweepEvery).UnixNano()) {
		return
	}
	// Best effort: what is not deleted now is deleted at the next sweep, and
	// counts for nothing meanwhile.
	_ = db.with(ctx).Where("expires < ?", now).Delete(&ThrottleHit{}).Error
}
