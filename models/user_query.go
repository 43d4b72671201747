package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// UserQuery selects and pages users for the admin site's list.
type UserQuery struct {
	// Search terms: each must occur, ignoring case, in the username or email.
	Search []string
	// Limit 0 means no limit.
	Limit, Offset int
}

func (q UserQuery) where(tx *gorm.DB) *gorm.DB {
	if matchesNothing(q.Search, nil) {
		return tx.Where("1 = 0")
	}
	for _, term := range q.Search {
		pattern := likePattern(term)
		tx = tx.Where(`(LOWER(username) LIKE ? ESCAPE '\' OR LOWER(email) LIKE ? ESCAPE '\')`, pattern, pattern)
	}
	return tx
}

// FindUsers returns the users q selects, by username.
func (db *DB) FindUsers(ctx context.Context, q UserQuery) ([]User, error) {
	tx := q.where(db.with(ctx)).Order("username").Order("id")
	if q.Limit > 0 {
		tx = tx.Limit(q.Limit).Offset(q.Offset)
	}
	out := []User{}
	if err := tx.Find(&out).Error; err != nil {
		return nil, translate(err, "find users")
	}
	return out, nil
}

// CountUsers counts the users q selects, ignoring its paging.
func (db *DB) CountUsers(ctx context.Context, q UserQuery) (int64, error) {
	var n int64
	if err := q.where(db.with(ctx).Model(&User{})).Count(&n).Error; err != nil {
		return 0, translate(err, "count users")
	}
	return n, nil
}

// UserByID finds a user by id.
func (db *DB) UserByID(ctx context.Context, id int64) (*User, error) {
	var u User
	if err := db.with(ctx).Where("id = ?", id).Take(&u).Error; err != nil {
		return nil, translate(err, fmt.Sprintf("user %d", id))
	}
	return &u, nil
}

// TokenQuery selects and pages tokens for the admin site's list (DRF's
// TokenAdmin), newest first.
type TokenQuery struct {
	// Search terms: each must occur, ignoring case, in the owner's username.
	Search []string
	// Limit 0 means no limit.
	Limit, Offset int
}

func (q TokenQuery) where(tx *gorm.DB) *gorm.DB {
	tx = tx.Joins("User")
	if matchesNothing(q.Search, nil) {
		return tx.Where("1 = 0")
	}
	for _, term := range q.Search {
		pattern := likePattern(term)
		tx = tx.Where(`LOWER("User"."username") LIKE ? ESCAPE '\'`, pattern)
	}
	return tx
}

// FindTokens returns the tokens q selects with their users, newest first.
// Each key is opened; a key that cannot be opened (ErrSealBroken) is left
// empty rather than failing the whole list.
func (db *DB) FindTokens(ctx context.Context, q TokenQuery) ([]Token, error) {
	tx := q.where(db.with(ctx)).Order("tokens.created DESC").Order("tokens.user_id DESC")
	if q.Limit > 0 {
		tx = tx.Limit(q.Limit).Offset(q.Offset)
	}
	out := []Token{}
	if err := tx.Find(&out).Error; err != nil {
		return nil, translate(err, "find tokens")
	}
	for i := range out {
		if err := db.unseal(&out[i]); err != nil {
			out[i].Key = ""
		}
	}
	return out, nil
}

// CountTokens counts the tokens q selects, ignoring its paging.
func (db *DB) CountTokens(ctx context.Context, q TokenQuery) (int64, error) {
	var n int64
	if err := q.where(db.with(ctx).Model(&Token{})).Count(&n).Error; err != nil {
		return 0, translate(err, "count tokens")
	}
	return n, nil
}
