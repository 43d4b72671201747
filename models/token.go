package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// Token is a user's API key, as DRF's authtoken.Token: one per user.
type Token struct {
	Key     string    `gorm:"primaryKey;size:40"`
	UserID  int64     `gorm:"not null;uniqueIndex"`
	User    *User     `gorm:"constraint:OnDelete:CASCADE"`
	Created time.Time `gorm:"not null"`
}

// CreateToken inserts a token for userID with the given key.
func (db *DB) CreateToken(ctx context.Context, userID int64, key string) (*Token, error) {
	t := &Token{Key: key, UserID: userID, Created: time.Now().UTC()}
	if err := db.with(ctx).Omit(clause.Associations).Create(t).Error; err != nil {
		return nil, translate(err, fmt.Sprintf("create token for user %d", userID))
	}
	return t, nil
}

// TokenByKey finds a token with its user loaded, in one query.
func (db *DB) TokenByKey(ctx context.Context, key string) (*Token, error) {
	var t Token
	err := db.with(ctx).Joins("User").
		Where(clause.Eq{Column: clause.Column{Table: clause.CurrentTable, Name: "key"}, Value: key}).
		Take(&t).Error
	if err != nil {
		return nil, translate(err, "token")
	}
	if t.User == nil {
		// A token whose user row is gone counts as no token.
		return nil, fmt.Errorf("token: %w", ErrNotFound)
	}
	return &t, nil
}

// TokenOf returns the token of userID.
func (db *DB) TokenOf(ctx context.Context, userID int64) (*Token, error) {
	var t Token
	// Not Where(&Token{...}): GORM drops zero fields from struct conditions, so
	// user 0 would get the first token.
	if err := db.with(ctx).Where("user_id = ?", userID).Take(&t).Error; err != nil {
		return nil, translate(err, fmt.Sprintf("token of user %d", userID))
	}
	return &t, nil
}

// GetOrCreateToken returns the token of userID, creating it with newKey when the
// user has none. Concurrent callers for one user all get the same row: the insert
// yields to an existing one (ON CONFLICT DO NOTHING) and everyone reads the winner.
func (db *DB) GetOrCreateToken(ctx context.Context, userID int64, newKey func() (string, error)) (t *Token, created bool, err error) {
	if t, err := db.TokenOf(ctx, userID); err == nil {
		return t, false, nil
	} else if !isNotFound(err) {
		return nil, false, err
	}
	key, err := newKey()
	if err != nil {
		return nil, false, fmt.Errorf("token for user %d: %w", userID, err)
	}
	candidate := &Token{Key: key, UserID: userID, Created: time.Now().UTC()}
	res := db.with(ctx).Omit(clause.Associations).
		Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "user_id"}}, DoNothing: true}).
		Create(candidate)
	if res.Error != nil {
		return nil, false, translate(res.Error, fmt.Sprintf("create token for user %d", userID))
	}
	if res.RowsAffected == 1 {
		return candidate, true, nil
	}
	t, err = db.TokenOf(ctx, userID)
	return t, false, err
}

// ReplaceToken deletes the token of userID, if any, and creates one with key, in
// one transaction, so the old key stops working the moment the new one exists.
func (db *DB) ReplaceToken(ctx context.Context, userID int64, key string) (*Token, error) {
	var t *Token
	err := db.Transaction(ctx, func(tx *DB) error {
		if err := tx.with(ctx).Where("user_id = ?", userID).Delete(&Token{}).Error; err != nil {
			return translate(err, fmt.Sprintf("delete token of user %d", userID))
		}
		var err error
		t, err = tx.CreateToken(ctx, userID, key)
		return err
	})
	return t, err
}
