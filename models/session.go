package models

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
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

// ErrUserChanged means a user is no longer what the caller checked: its
// password, or its being active staff, changed since it was read.
var ErrUserChanged = errors.New("the user changed since it was read")

// CreateSession signs u in to the admin site: it stores a session under the
// random id the caller hands to the browser, good for ttl, but only while u's
// row still holds the password hash u carries and u is active staff, and
// returns ErrUserChanged otherwise. The statement that checks this holds the
// row until the session is stored, so a change that ends sessions (see
// ChangeUser) either comes first, and is seen here, or waits and then
// deletes the new session: a password check that raced a reset, a
// deactivation or a demotion leaves no session behind. Expired sessions are
// swept on the way.
func (db *DB) CreateSession(ctx context.Context, u *User, id string, ttl time.Duration) (*Session, error) {
	return db.createSession(ctx, u, id, ttl, gorm.Expr("last_login"))
}

// LogIn is CreateSession for a login: it also sets u's last_login, and only
// that column (Django's update_last_login).
func (db *DB) LogIn(ctx context.Context, u *User, id string, ttl time.Duration) (*Session, error) {
	now := db.now()
	s, err := db.createSession(ctx, u, id, ttl, now)
	if err != nil {
		return nil, err
	}
	u.LastLogin = &now
	return s, nil
}

// createSession is CreateSession, setting last_login to lastLogin.
func (db *DB) createSession(ctx context.Context, u *User, id string, ttl time.Duration, lastLogin any) (*Session, error) {
	var s *Session
	err := db.Transaction(ctx, func(tx *DB) error {
		res := tx.with(ctx).Model(&User{}).
			Where("id = ? AND password = ? AND is_active = ? AND is_staff = ?", u.ID, u.Password, true, true).
			Update("last_login", lastLogin)
		if res.Error != nil {
			return translate(res.Error, fmt.Sprintf("check user %d for a session", u.ID))
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("session for user %d: %w", u.ID, ErrUserChanged)
		}
		now := tx.now()
		if err := tx.with(ctx).Where("expires < ?", now).Delete(&Session{}).Error; err != nil {
			return translate(err, "sweep expired sessions")
		}
		digest := tx.sessionDigest(id)
		tag := tx.keys.Tag(digest, u.ID)
		s = &Session{Digest: digest, UserID: u.ID, UserTag: tag[:], Created: now, Expires: now.Add(ttl)}
		if err := tx.with(ctx).Omit(clause.Associations).Create(s).Error; err != nil {
			return translate(err, fmt.Sprintf("create session for user %d", u.ID))
		}
		return nil
	})
	if err != nil {
		return nil, err
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

// deleteSessionsOf ends every session of userID. Only ChangeUser and
// DeleteUser call it, after taking the user's row, so that a concurrent
// login cannot slip a session in behind it (see CreateSession).
func (db *DB) deleteSessionsOf(ctx context.Context, userID int64) error {
	if err := db.with(ctx).Where("user_id = ?", userID).Delete(&Session{}).Error; err != nil {
		return translate(err, fmt.Sprintf("delete sessions of user %d", userID))
	}
	return nil
}

// deleteOrphanedSessions deletes the sessions of users who may not sign in
// (inactive, or not staff), which earlier versions left behind when
// they deactivated or demoted a user, and which re-activating would have
// brought back.
func (db *DB) deleteOrphanedSessions(ctx context.Context) error {
	barred := db.with(ctx).Model(&User{}).Select("id").Where("is_active = ? OR is_staff = ?", false, false)
	if err := db.with(ctx).Where("user_id IN (?)", barred).Delete(&Session{}).Error; err != nil {
		return translate(err, "delete sessions of users who may not sign in")
	}
	return nil
}
