package models

import (
	"context"
	"fmt"
	"time"

	"studentapi/internal/throttle"
)

// ThrottleHit is one request a shared rate limit counted (DRF's throttle
// history, kept in the database instead of a cache), or one mark of
// throttle.Marks, so that every instance on one database counts against the
// same limits.
type ThrottleHit struct {
	ID int64 `gorm:"primaryKey"`
	// Digest is the throttle's key for the limit: HMAC-SHA256 under a key
	// derived from the server's secret, so that no username or client address
	// is kept, in the clear or in any form that a guess can be checked against.
	Digest  string    `gorm:"size:64;not null;index:idx_throttle_hits_digest_at,priority:1"`
	At      time.Time `gorm:"not null;index:idx_throttle_hits_digest_at,priority:2"`
	Expires time.Time `gorm:"not null;index"` // At plus the window: past it the row counts for nothing
}

// throttleSweepEvery is how often a process deletes every expired hit, of any
// key; the hits of a key that is used again go at its next request anyway.
// With it the table does not grow without bound: a key holds no more than
// its limit (a mark, one hit), and a key never seen again goes within a
// minute of its window's end.
const throttleSweepEvery = time.Minute

// Throttles is the database as a throttle.Store: limits that every instance
// on this database counts together.
func (db *DB) Throttles() throttle.Store { return throttleStore{db} }

type throttleStore struct{ db *DB }

func (s throttleStore) Take(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (throttle.Window, error) {
	return s.db.takeThrottle(ctx, key, limit, window, now)
}

func (s throttleStore) Refund(ctx context.Context, key string, at time.Time) error {
	return s.db.refundThrottle(ctx, key, at)
}

func (s throttleStore) Mark(ctx context.Context, key string, window time.Duration, now time.Time) error {
	return s.db.markThrottle(ctx, key, window, now)
}

func (s throttleStore) Marked(ctx context.Context, key string, window time.Duration, now time.Time) (bool, error) {
	return s.db.throttleMarked(ctx, key, window, now)
}

// throttleKey checks that key is a digest, as throttle.Store promises: the
// column holds no more, and nothing a client sent belongs in it.
func throttleKey(key string) error {
	if len(key) != throttle.DigestLen {
		return fmt.Errorf("throttle: key of %d bytes, want a %d-byte digest", len(key), throttle.DigestLen)
	}
	return nil
}

// throttleTx runs fn in a transaction that holds key's lock: SQLite's BEGIN
// IMMEDIATE already serializes writers; PostgreSQL's read committed would let
// two callers both count N-1 and both insert, so they take an advisory lock on
// the key.
func (db *DB) throttleTx(ctx context.Context, key string, fn func(tx *DB) error) error {
	if err := throttleKey(key); err != nil {
		return err
	}
	err := db.Transaction(ctx, func(tx *DB) error {
		if tx.gorm.Dialector.Name() == DriverPostgres {
			if err := tx.with(ctx).Exec("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", key).Error; err != nil {
				return fmt.Errorf("lock: %w", err)
			}
		}
		return fn(tx)
	})
	if err != nil {
		return fmt.Errorf("throttle: %w", err)
	}
	return nil
}

// takeThrottle forgets key's hits at or before now-window and, if fewer than
// limit remain, records one at now (see throttle.Store). Concurrent callers on any number of instances
// are serialized per key, so a limit of N lets exactly N through.
func (db *DB) takeThrottle(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (w throttle.Window, err error) {
	now = now.UTC().Truncate(time.Microsecond)
	err = db.throttleTx(ctx, key, func(tx *DB) error {
		if err := tx.with(ctx).Where("digest = ? AND at <= ?", key, now.Add(-window)).Delete(&ThrottleHit{}).Error; err != nil {
			return fmt.Errorf("forget old hits: %w", err)
		}
		var hits []ThrottleHit
		if err := tx.with(ctx).Where("digest = ?", key).Order("at").Find(&hits).Error; err != nil {
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
		if err := tx.with(ctx).Create(&ThrottleHit{Digest: key, At: now, Expires: now.Add(window)}).Error; err != nil {
			return fmt.Errorf("record hit: %w", err)
		}
		w.Taken = true
		return nil
	})
	if err != nil {
		return throttle.Window{}, err
	}
	db.sweepThrottle(ctx, now)
	return w, nil
}

// refundThrottle deletes one of key's hits at at, under the key's lock so
// that two refunds of hits at one instant delete two.
func (db *DB) refundThrottle(ctx context.Context, key string, at time.Time) error {
	at = at.UTC().Truncate(time.Microsecond)
	return db.throttleTx(ctx, key, func(tx *DB) error {
		var hit ThrottleHit
		err := tx.with(ctx).Where("digest = ? AND at = ?", key, at).Limit(1).Find(&hit).Error
		if err != nil {
			return fmt.Errorf("find hit: %w", err)
		}
		if hit.ID == 0 {
			return nil // forgotten already
		}
		if err := tx.with(ctx).Delete(&ThrottleHit{}, hit.ID).Error; err != nil {
			return fmt.Errorf("refund hit: %w", err)
		}
		return nil
	})
}

// markThrottle replaces key's hits with one at now, kept for window.
func (db *DB) markThrottle(ctx context.Context, key string, window time.Duration, now time.Time) error {
	now = now.UTC().Truncate(time.Microsecond)
	err := db.throttleTx(ctx, key, func(tx *DB) error {
		if err := tx.with(ctx).Where("digest = ?", key).Delete(&ThrottleHit{}).Error; err != nil {
			return fmt.Errorf("forget mark: %w", err)
		}
		if err := tx.with(ctx).Create(&ThrottleHit{Digest: key, At: now, Expires: now.Add(window)}).Error; err != nil {
			return fmt.Errorf("mark: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	db.sweepThrottle(ctx, now)
	return nil
}

// throttleMarked reports whether key has a hit after now-window.
func (db *DB) throttleMarked(ctx context.Context, key string, window time.Duration, now time.Time) (bool, error) {
	if err := throttleKey(key); err != nil {
		return false, err
	}
	now = now.UTC().Truncate(time.Microsecond)
	var ids []int64
	err := db.with(ctx).Model(&ThrottleHit{}).Where("digest = ? AND at > ?", key, now.Add(-window)).Limit(1).Pluck("id", &ids).Error
	if err != nil {
		return false, fmt.Errorf("throttle: read mark: %w", err)
	}
	return len(ids) > 0, nil
}

// sweepThrottle deletes the expired hits of every key, at most once per
// throttleSweepEvery per process, so that keys never seen again do not stay.
func (db *DB) sweepThrottle(ctx context.Context, now time.Time) {
	next := db.throttleSweepAt.Load()
	if now.UnixNano() < next || !db.throttleSweepAt.CompareAndSwap(next, now.Add(throttleSweepEvery).UnixNano()) {
		return
	}
	// Best effort: what is not deleted now is deleted at the next sweep, and
	// counts for nothing meanwhile.
	_ = db.with(ctx).Where("expires < ?", now).Delete(&ThrottleHit{}).Error
}
