package models

import (
	"context"
	"crypto/subtle"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// Session is a signed-in admin site visitor, as Django's django_session row.
// The row never holds the session id the browser sends: Digest is the
// KeyProtector's keyed hash of it, so whoever reads the table gets nothing to
// put in a cookie. UserTag binds it to UserID as a token row is bound.
type Session struct {
	Digest string `gorm:"primaryKey;size:64"`
	UserID int64  `gorm:"not null;index"`
	// UserTag is KeyProtector.Tag of Digest and UserID, so that a row moved
	// to another user signs nobody in. Null only in rows from before tags,
	// which Migrate deletes.
	UserTag []byte
	User    *User     `gorm:"constraint:OnDelete:CASCADE"`
	Created time.Time `gorm:"not null"`
	Expires time.Time `gorm:"not null;index"`
}

// sessionDigest keeps session digests apart from token digests, which come
// from the same KeyProtector.
func (db *DB) sessionDigest(id string) string { return db.keys.Digest("session\x00" + id) }

// CreateSession stores a session for userID under the random id the caller
// hands to the browser, good for ttl. Expired sessions are swept on the way.
func (db *DB) CreateSession(ctx context.Context, userID int64, id string, ttl time.Duration) (*Session, error) {
	now := db.now()
	if err := db.with(ctx).Where("expires < ?", now).Delete(&Session{}).Error; err != nil {
		return nil, translate(err, "sweep expired sessions")
	}
	digest := db.sessionDigest(id)
	tag := db.keys.Tag(digest, userID)
	s := &Session{Digest: digest, UserID: userID, UserTag: tag[:], Created: now, Expires: now.Add(ttl)}
	if err := db.with(ctx).Omit(clause.Associations).Create(s).Error; err != nil {
		return nil, translate(err, fmt.Sprintf("create session for user %d", userID))
	}
	return s, nil
}

// SessionByID finds an unexpired session by the id the browser sent, with its
// user loaded, if the row is still bound to that user; ErrNotFound otherwise.
func (db *DB) SessionByID(ctx context.Context, id string) (*Session, error) {
	digest := db.sessionDigest(id)
	var s Session
	err := db.with(ctx).Joins("User").
		Where(clause.Eq{Column: clause.Column{Table: clause.CurrentTable, Name: "digest"}, Value: digest}).
		Take(&s).Error
	if err != nil {
		return nil, translate(err, "session")
	}
	tag := db.keys.Tag(digest, s.UserID)
	if subtle.ConstantTimeCompare([]byte(s.Digest), []byte(digest)) != 1 || subtle.ConstantTimeCompare(s.UserTag, tag[:]) != 1 ||
		s.User == nil || !db.now().Before(s.Expires) {
		return nil, fmt.Errorf("session: %w", ErrNotFound)
	}
	return &s, nil
}

// DeleteSession ends the session with the given id (a logout); ending one
// that does not exist is not an error.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	if err := db.with(ctx).Where("digest = ?", db.sessionDigest(id)).Delete(&Session{}).Error; err != nil {
		return translate(err, "delete session")
	}
	return nil
}

// DeleteSessionsOf ends every session of userID, as a password change or a
// deactivation should.
func (db *DB) DeleteSessionsOf(ctx context.Context, userID int64) error {
	if err := db.with(ctx).Where("user_id = ?", userID).Delete(&Session{}).Error; err != nil {
		return translate(err, fmt.Sprintf("delete sessions of user %d", userID))
	}
	return nil
}
