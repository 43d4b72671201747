package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// User is an account that can log in and own a token, as Django's auth.User.
type User struct {
	ID          int64      `gorm:"primaryKey"`
	Username    string     `gorm:"size:150;not null;uniqueIndex"`
	Email       string     `gorm:"size:254;not null"`
	Password    string     `gorm:"size:128;not null"`
	IsActive    bool       `gorm:"not null"`
	IsStaff     bool       `gorm:"not null"`
	IsSuperuser bool       `gorm:"not null"`
	DateJoined  time.Time  `gorm:"not null"`
	LastLogin   *time.Time ``
}

// passwordPrefix marks hashes made by SetPassword: bcrypt over the hex SHA-256 of
// the password (Django's bcrypt_sha256), because bcrypt alone reads only the first
// 72 bytes and would let any longer password match its prefix.
const passwordPrefix = "bcrypt_sha256$"

// UsernameMaxLength is Django's max_length for a username, in characters
// (code points): no account has a longer one, so a longer username can be
// refused before it is looked up, or used at all.
const UsernameMaxLength = 150

// ErrInvalidUsername is returned for a username Django would refuse.
var ErrInvalidUsername = errors.New("enter a valid username: at most 150 characters, only letters, numbers and @/./+/-/_")

var usernameRE = regexp.MustCompile(`^[\p{L}\p{N}_.@+-]+$`)

// ValidateUsername applies Django's UnicodeUsernameValidator and length limit.
func ValidateUsername(name string) error {
	if name == "" || utf8.RuneCountInString(name) > UsernameMaxLength || !usernameRE.MatchString(name) {
		return fmt.Errorf("username %q: %w", name, ErrInvalidUsername)
	}
	return nil
}

func prehash(password string) []byte {
	sum := sha256.Sum256([]byte(password))
	return []byte(hex.EncodeToString(sum[:]))
}

// SetPassword stores a salted bcrypt hash of password at the given cost.
func (u *User) SetPassword(password string, cost int) error {
	hash, err := bcrypt.GenerateFromPassword(prehash(password), cost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	u.Password = passwordPrefix + string(hash)
	return nil
}

// CheckPassword reports whether password matches the stored hash. A user without
// a usable hash matches nothing; a malformed hash is an error.
func (u *User) CheckPassword(password string) (bool, error) {
	hash, ok := strings.CutPrefix(u.Password, passwordPrefix)
	if !ok {
		return false, nil
	}
	err := bcrypt.CompareHashAndPassword([]byte(hash), prehash(password))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		return false, fmt.Errorf("check password: %w", err)
	}
}

// AfterCreate sends Signals.UserCreated inside the transaction that inserted u.
func (u *User) AfterCreate(tx *gorm.DB) error {
	db := handleOf(tx)
	if db == nil {
		return nil
	}
	// A new session on the same connection: the create statement must not leak
	// its clauses into what receivers run.
	txDB := db.on(tx.Session(&gorm.Session{NewDB: true}))
	if err := db.Signals.UserCreated.Send(tx.Statement.Context, UserCreated{User: u, DB: txDB}); err != nil {
		return fmt.Errorf("user created signal: %w", err)
	}
	return nil
}

// CreateUser inserts u; the UserCreated receivers run in the same transaction.
func (db *DB) CreateUser(ctx context.Context, u *User) error {
	if err := ValidateUsername(u.Username); err != nil {
		return err
	}
	if u.DateJoined.IsZero() {
		u.DateJoined = db.now()
	}
	return translate(db.with(ctx).Create(u).Error, fmt.Sprintf("create user %q", u.Username))
}

// UserByUsername finds a user by exact, case-sensitive username.
func (db *DB) UserByUsername(ctx context.Context, username string) (*User, error) {
	if !storable(username) {
		return nil, fmt.Errorf("user %q: %w", username, ErrNotFound)
	}
	var u User
	// Not Where(&User{...}): GORM drops zero fields from struct conditions, so ""
	// would match the first user.
	err := db.with(ctx).Where("username = ?", username).Take(&u).Error
	if err != nil {
		return nil, translate(err, fmt.Sprintf("user %q", username))
	}
	return &u, nil
}

// UpdateUser writes every column of u.
func (db *DB) UpdateUser(ctx context.Context, u *User) error {
	res := db.with(ctx).Select("*").Omit("id", "date_joined").Updates(u)
	if res.Error != nil {
		return translate(res.Error, fmt.Sprintf("update user %q", u.Username))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("update user %q: %w", u.Username, ErrNotFound)
	}
	return nil
}

// DeleteUser removes a user and its token in one transaction.
func (db *DB) DeleteUser(ctx context.Context, username string) error {
	return db.Transaction(ctx, func(tx *DB) error {
		u, err := tx.UserByUsername(ctx, username)
		if err != nil {
			return err
		}
		if err := tx.with(ctx).Where("user_id = ?", u.ID).Delete(&Token{}).Error; err != nil {
			return translate(err, fmt.Sprintf("delete token of %q", username))
		}
		if err := tx.with(ctx).Delete(u).Error; err != nil {
			return translate(err, fmt.Sprintf("delete user %q", username))
		}
		return nil
	})
}
