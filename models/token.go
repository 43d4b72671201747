package models

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// Token is a user's API key, as DRF's authtoken.Token: one per user. The row
// never holds the key: Digest finds it, Sealed gives it back, UserTag binds it
// to UserID (see KeyProtector).
type Token struct {
	Digest string `gorm:"primaryKey;size:64"`
	Sealed []byte `gorm:"not null"`
	UserID int64  `gorm:"not null;uniqueIndex"`
	// UserTag is KeyProtector.Tag of Digest and UserID, so that a row whose
	// user_id was changed behind the service's back matches no key. Null only
	// in rows from before tags, until Migrate tags them.
	UserTag   []byte
	User      *User     `gorm:"constraint:OnDelete:CASCADE"`
	Created   time.Time `gorm:"not null"`
	Refreshed time.Time `gorm:"not null"` // last sliding refresh; Created until the first
	// Key is the key itself, filled when the token is created, found by key or
	// opened; it is never stored.
	Key string `gorm:"-"`
}

// newToken makes the row for key without writing it.
func (db *DB) newToken(userID int64, key string) (*Token, error) {
	digest := db.keys.Digest(key)
	sealed, err := db.keys.Seal(key, digest, userID)
	if err != nil {
		return nil, fmt.Errorf("seal token of user %d: %w", userID, err)
	}
	tag := db.keys.Tag(digest, userID)
	now := db.now()
	return &Token{Digest: digest, Sealed: sealed, UserID: userID, UserTag: tag[:], Created: now, Refreshed: now, Key: key}, nil
}

// errNotBound is a token row whose tag is not that of its digest and user:
// moved to another user, or written without the secret.
var errNotBound = errors.New("token row not bound to its user")

// unseal fills t.Key from its sealed copy, once its tag says the row is its
// user's (a row TokenByKey would refuse is no token to hand out).
func (db *DB) unseal(t *Token) error {
	if tag := db.keys.Tag(t.Digest, t.UserID); subtle.ConstantTimeCompare(t.UserTag, tag[:]) != 1 {
		return fmt.Errorf("token of user %d: %w: %w", t.UserID, ErrSealBroken, errNotBound)
	}
	key, err := db.keys.Open(t.Sealed, t.Digest, t.UserID)
	if err != nil {
		return fmt.Errorf("token of user %d: %w: %w", t.UserID, ErrSealBroken, err)
	}
	t.Key = key
	return nil
}

// CreateToken inserts a token for userID with the given key.
func (db *DB) CreateToken(ctx context.Context, userID int64, key string) (*Token, error) {
	t, err := db.newToken(userID, key)
	if err != nil {
		return nil, err
	}
	if err := db.with(ctx).Omit(clause.Associations).Create(t).Error; err != nil {
		return nil, translate(err, fmt.Sprintf("create token for user %d", userID))
	}
	return t, nil
}

// tokenByDigest is the query of TokenByKey: the token with who its user is
// and what the user may do, which must exist (a token whose user row is gone
// counts as no token). The digest is compared with CAST($1 AS TEXT), not a
// bare $1: given a bare parameter in a join, SQLite 3.54's planner marks it as
// a value the plan may depend on, and every binding then re-prepares the
// statement, which cost more than the lookup itself (see
// TestTokenQueryIsPreparedOnce).
const tokenByDigest = "SELECT t.digest, t.user_id, t.user_tag, t.created, t.refreshed, " +
	"u.username, u.is_active, u.is_staff, u.is_superuser " +
	"FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.digest = CAST($1 AS TEXT)"

// TokenByKey finds a token by its key, with its user, in one query. The
// query looks up the key's digest, so whatever its timing reveals is about
// digests, from which no key can be worked out without the secret. It runs on
// every authenticated request, and always reads the row: there is no cache, so
// a token deleted or replaced, by any instance, fails on the next request. A
// row whose tag is not that of its digest and user (moved to another user, or
// untagged) is no token.
//
// The user holds what identifying and permitting a request needs: ID,
// Username, IsActive, IsStaff and IsSuperuser. Its Email, Password, DateJoined
// and LastLogin are left zero, and the token's Sealed is not read (Key is the
// key given): every column costs every request (leaving these out made
// authentication a quarter faster), and the password hash has no business
// travelling with each request. UserByID loads the whole user.
func (db *DB) TokenByKey(ctx context.Context, key string) (*Token, error) {
	digest := db.keys.Digest(key)
	// One variable for everything the scan fills, captured by the closure:
	// each captured variable would be an allocation of its own.
	var row struct {
		t     Token
		u     User
		tag   sql.RawBytes // the driver's bytes, valid only until the next row
		bound bool
		found bool
	}
	t, u := &row.t, &row.u
	err := db.readRows(ctx, query{text: tokenByDigest, args: []any{digest}}, func(rows *sql.Rows) error {
		err := rows.Scan(&t.Digest, &t.UserID, &row.tag, &t.Created, &t.Refreshed,
			&u.Username, &u.IsActive, &u.IsStaff, &u.IsSuperuser)
		u.ID = t.UserID
		row.found = true
		tag := db.keys.Tag(digest, t.UserID)
		row.bound = subtle.ConstantTimeCompare(row.tag, tag[:]) == 1
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	// The database found the row by equality; compare again in constant time so
	// this process never branches on how much of a digest matched.
	if !row.found || !row.bound || subtle.ConstantTimeCompare([]byte(t.Digest), []byte(digest)) != 1 {
		return nil, fmt.Errorf("token: %w", ErrNotFound)
	}
	t.User = u
	t.Key = key
	return t, nil
}

// tokenRow reads the token row of userID without opening it.
func (db *DB) tokenRow(ctx context.Context, userID int64) (*Token, error) {
	var t Token
	// Not Where(&Token{...}): GORM drops zero fields from struct conditions, so
	// user 0 would get the first token.
	if err := db.with(ctx).Where("user_id = ?", userID).Take(&t).Error; err != nil {
		return nil, translate(err, fmt.Sprintf("token of user %d", userID))
	}
	return &t, nil
}

// TokenOf returns the token of userID with its key opened. A token whose key
// cannot be opened is an error wrapping ErrSealBroken; GetOrCreateToken and
// ReplaceToken replace such a token.
func (db *DB) TokenOf(ctx context.Context, userID int64) (*Token, error) {
	t, err := db.tokenRow(ctx, userID)
	if err != nil {
		return nil, err
	}
	if err := db.unseal(t); err != nil {
		return nil, err
	}
	return t, nil
}

// getOrCreateAttempts bounds how often GetOrCreateToken starts over when the
// token another caller just wrote is itself unusable, which takes a second
// process with another secret.
const getOrCreateAttempts = 3

// GetOrCreateToken returns the token of userID, creating it with newKey when
// the user has none, its key cannot be opened (ErrSealBroken), or expired
// (nil: never) says it has expired. Concurrent callers for one user all get the
// same row: the insert yields to an existing one (ON CONFLICT DO NOTHING), a
// replacement deletes only the unusable row it saw, and everyone who lost reads
// the winner.
func (db *DB) GetOrCreateToken(ctx context.Context, userID int64, newKey func() (string, error), expired func(*Token) bool) (t *Token, created bool, err error) {
	for range getOrCreateAttempts {
		stale := "" // digest of the unusable row to replace
		row, err := db.tokenRow(ctx, userID)
		switch {
		case isNotFound(err):
		case err != nil:
			return nil, false, err
		default:
			err := db.unseal(row)
			if err == nil && (expired == nil || !expired(row)) {
				return row, false, nil
			}
			if err != nil && !errors.Is(err, ErrSealBroken) {
				return nil, false, err
			}
			stale = row.Digest
		}

		key, err := newKey()
		if err != nil {
			return nil, false, fmt.Errorf("token for user %d: %w", userID, err)
		}
		candidate, err := db.newToken(userID, key)
		if err != nil {
			return nil, false, err
		}
		inserted, err := db.insertToken(ctx, candidate, stale)
		if err != nil {
			return nil, false, err
		}
		if inserted {
			return candidate, true, nil
		}
	}
	return nil, false, fmt.Errorf("token for user %d: still unusable after %d attempts: %w", userID, getOrCreateAttempts, ErrSealBroken)
}

// insertToken deletes the row with digest stale, if any, and inserts t unless
// the user has a token by then; it reports whether t was inserted.
func (db *DB) insertToken(ctx context.Context, t *Token, stale string) (bool, error) {
	var inserted bool
	err := db.Transaction(ctx, func(tx *DB) error {
		if stale != "" {
			err := tx.with(ctx).Where("user_id = ? AND digest = ?", t.UserID, stale).Delete(&Token{}).Error
			if err != nil {
				return translate(err, fmt.Sprintf("replace token of user %d", t.UserID))
			}
		}
		res := tx.with(ctx).Omit(clause.Associations).
			Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "user_id"}}, DoNothing: true}).
			Create(t)
		if res.Error != nil {
			return translate(res.Error, fmt.Sprintf("create token for user %d", t.UserID))
		}
		inserted = res.RowsAffected == 1
		return nil
	})
	return inserted, err
}

// ReplaceToken gives userID a token with key in place of any it had, in one
// statement (an upsert on user_id), so the old key stops working the moment the
// new one exists, and concurrent replacements, from any number of instances,
// leave exactly one token: the last one's. The old row goes whatever state it
// is in: expired, or its seal broken.
func (db *DB) ReplaceToken(ctx context.Context, userID int64, key string) (*Token, error) {
	t, err := db.newToken(userID, key)
	if err != nil {
		return nil, err
	}
	err = db.with(ctx).Omit(clause.Associations).
		Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "user_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"digest", "sealed", "user_tag", "created", "refreshed"}),
		}).
		Create(t).Error
	if err != nil {
		return nil, translate(err, fmt.Sprintf("replace token of user %d", userID))
	}
	return t, nil
}

// DeleteToken removes the token of userID (a logout); ErrNotFound if there was none.
func (db *DB) DeleteToken(ctx context.Context, userID int64) error {
	res := db.with(ctx).Where("user_id = ?", userID).Delete(&Token{})
	if res.Error != nil {
		return translate(res.Error, fmt.Sprintf("delete token of user %d", userID))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("delete token of user %d: %w", userID, ErrNotFound)
	}
	return nil
}

// TouchToken sets the refreshed time of userID's token to at, unless it was
// refreshed at or after staleBefore; it reports whether it wrote. The condition
// is part of the UPDATE, so callers racing on one stale token write once
// between them.
func (db *DB) TouchToken(ctx context.Context, userID int64, at, staleBefore time.Time) (bool, error) {
	// UTC on both sides: SQLite compares the stored timestamps as text.
	res := db.with(ctx).Model(&Token{}).
		Where("user_id = ? AND refreshed < ?", userID, staleBefore.UTC()).
		Update("refreshed", at.UTC())
	if res.Error != nil {
		return false, translate(res.Error, fmt.Sprintf("refresh token of user %d", userID))
	}
	return res.RowsAffected == 1, nil
}

// tagTokens tags the token rows from before tags. The rows are not taken on
// trust: the sealed copy of a row is bound to the digest and user it was made
// for, so a row is tagged only when its copy opens for the user_id it has
// now. One moved to another user before the upgrade (or written without the
// secret) stays untagged, which TokenByKey refuses and the user's next login
// replaces. Each row is updated only while still untagged, so instances
// migrating at once agree.
func (db *DB) tagTokens(ctx context.Context) error {
	var untagged []Token
	err := db.with(ctx).Select("digest", "sealed", "user_id").Where("user_tag IS NULL").Find(&untagged).Error
	if err != nil {
		return translate(err, "find untagged tokens")
	}
	return db.Transaction(ctx, func(tx *DB) error {
		for _, t := range untagged {
			if _, err := tx.keys.Open(t.Sealed, t.Digest, t.UserID); err != nil {
				continue // not this user's row, or not under this secret
			}
			tag := tx.keys.Tag(t.Digest, t.UserID)
			err := tx.with(ctx).Model(&Token{}).
				Where("digest = ? AND user_id = ? AND user_tag IS NULL", t.Digest, t.UserID).
				Update("user_tag", tag[:]).Error
			if err != nil {
				return translate(err, fmt.Sprintf("tag token of user %d", t.UserID))
			}
		}
		return nil
	})
}
