package models

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"studentapi/internal/passwords"
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

// UsernameMaxLength is Django's max_length for a username, in characters
// (code points): no account has a longer one, so a longer username can be
// refused before it is looked up, or used at all.
const UsernameMaxLength = 150

// ErrInvalidUsername is returned for a username Django would refuse.
var ErrInvalidUsername = errors.New("enter a valid username: at most 150 characters, only letters, numbers and @/./+/-/_")

var usernameRE = regexp.MustCompile(`^[\p{L}\p{N}_.@+-]+$`)

// NormalizeUsername is the form a username is stored in: NFKC, as Django's
// AbstractBaseUser.normalize_username, so that a look-alike made of
// compatibility characters (a full-width "ａdmin") is the same name as the
// plain one and collides with it. Every way of creating a user goes through
// CreateUser, which applies it; finding a user stays exact, as in Django.
func NormalizeUsername(name string) string { return norm.NFKC.String(name) }

// ValidateUsername applies Django's UnicodeUsernameValidator and length limit.
func ValidateUsername(name string) error {
	if name == "" || utf8.RuneCountInString(name) > UsernameMaxLength || !usernameRE.MatchString(name) {
		return fmt.Errorf("username %q: %w", name, ErrInvalidUsername)
	}
	return nil
}

// EmailMaxLength is the email column's size, Django's EmailField
// max_length: ValidateEmail and the fixture loader both hold to it.
const EmailMaxLength = 254

// ValidateEmail accepts an empty address (the email is optional, as in
// Django) or one address without a display name that fits the column.
func ValidateEmail(email string) error {
	if email == "" {
		return nil
	}
	if len(email) > EmailMaxLength {
		return fmt.Errorf("enter a valid email address of at most %d characters", EmailMaxLength)
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return fmt.Errorf("enter a valid email address: %q", email)
	}
	return nil
}

// HashPassword returns what the password column holds for password: this
// service's own hash (see passwords.Hash), Django's bcrypt_sha256 at the
// given cost.
func HashPassword(password string, cost int) (string, error) {
	return passwords.Hash(password, cost)
}

// SetPassword sets u.Password to HashPassword(password, cost), for a user
// about to be created; a stored user's password is changed with ChangeUser.
func (u *User) SetPassword(password string, cost int) error {
	hash, err := HashPassword(password, cost)
	if err != nil {
		return err
	}
	u.Password = hash
	return nil
}

// CheckPassword reports whether password matches the stored hash, in any of
// Django's formats (see package passwords), so that users moved over from
// Django keep their passwords. An unusable password ("!…") and an algorithm
// this service does not know match nothing, as in Django's check_password;
// a malformed hash, or one beyond the cost limits, is an error.
func (u *User) CheckPassword(password string) (bool, error) {
	ok, err := passwords.Check(u.Password, password)
	if errors.Is(err, passwords.ErrUnknownAlgorithm) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check password of user %d: %w", u.ID, err)
	}
	return ok, nil
}

// PasswordComputes reports whether CheckPassword computes a hash for u. It
// does not for an unusable password or an unknown algorithm, which match
// nothing at once; a login that must cost one hash computation whatever the
// user checks a stand-in instead.
func (u *User) PasswordComputes() bool {
	_, known := passwords.Algorithm(u.Password)
	return known
}

// AfterCreate sends Signals.UserCreated inside the transaction that inserted u.
// DB.Import inserts users with SQL, not Create, so it does not run: a
// fixture brings its users' tokens itself.
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

// CreateUser inserts u, its username normalised by NormalizeUsername first;
// the UserCreated receivers run in the same transaction.
func (db *DB) CreateUser(ctx context.Context, u *User) error {
	u.Username = NormalizeUsername(u.Username)
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

// UserChange is what ChangeUser writes: each field that is not nil names one
// column, and the others keep whatever the database holds, not what the
// caller read earlier.
type UserChange struct {
	Email *string
	// Password is a hash from HashPassword, never a password.
	Password    *string
	IsActive    *bool
	IsStaff     *bool
	IsSuperuser *bool
}

func (c UserChange) columns() map[string]any {
	cols := map[string]any{}
	if c.Email != nil {
		cols["email"] = *c.Email
	}
	if c.Password != nil {
		cols["password"] = *c.Password
	}
	if c.IsActive != nil {
		cols["is_active"] = *c.IsActive
	}
	if c.IsStaff != nil {
		cols["is_staff"] = *c.IsStaff
	}
	if c.IsSuperuser != nil {
		cols["is_superuser"] = *c.IsSuperuser
	}
	return cols
}

// endsSessions reports whether c takes away what an admin session stands on:
// the password it was opened with, or being active staff.
func (c UserChange) endsSessions() bool {
	return c.Password != nil || (c.IsActive != nil && !*c.IsActive) || (c.IsStaff != nil && !*c.IsStaff)
}

// takesSuperuser reports whether c could leave its user no longer an active
// superuser: deactivated, or stripped of its staff or superuser flag.
func (c UserChange) takesSuperuser() bool {
	return (c.IsActive != nil && !*c.IsActive) || (c.IsStaff != nil && !*c.IsStaff) || (c.IsSuperuser != nil && !*c.IsSuperuser)
}

// ChangeUser writes the columns c names of user id, in a statement that names
// only them. Nothing writes back a whole row read earlier, so no change undoes
// another made meanwhile: a login's last_login, an admin's deactivation, a
// password reset. A new password, a deactivation or the loss of staff status
// also ends the user's admin sessions, in the same transaction and after the
// row is written: a login creating a session takes the row first (see
// CreateSession), so it either sees this change or has its session deleted
// by it. A change that would leave no active superuser fails with
// ErrLastSuperuser and writes nothing (see keepSuperuser). ErrNotFound if
// there is no such user; an empty change writes nothing and checks nothing.
func (db *DB) ChangeUser(ctx context.Context, id int64, c UserChange) error {
	cols := c.columns()
	if len(cols) == 0 {
		return nil
	}
	return db.Transaction(ctx, func(tx *DB) error {
		if c.takesSuperuser() {
			if err := tx.keepSuperuser(ctx, id); err != nil {
				return fmt.Errorf("change user %d: %w", id, err)
			}
		}
		res := tx.with(ctx).Model(&User{}).Where("id = ?", id).Updates(cols)
		if res.Error != nil {
			return translate(res.Error, fmt.Sprintf("change user %d", id))
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("change user %d: %w", id, ErrNotFound)
		}
		if c.endsSessions() {
			return tx.deleteSessionsOf(ctx, id)
		}
		return nil
	})
}

// UpgradePassword stores u's password again in this service's own format at
// cost, after a login proved password against u's stored hash, if that hash
// is in another format or at another cost (Django's check_password does the
// same through its setter). The password is the same, so unlike a change
// (ChangeUser) it ends no session and touches no token: one UPDATE of the
// password column. It writes only while the row still holds the hash that was
// checked, never undoing a change made meanwhile; then it writes nothing and
// u keeps the hash it had. On success u holds the new hash.
func (db *DB) UpgradePassword(ctx context.Context, u *User, password string, cost int) error {
	if !passwords.MustUpdate(u.Password, cost) {
		return nil
	}
	hash, err := passwords.Hash(password, cost)
	if err != nil {
		return fmt.Errorf("upgrade password of user %d: %w", u.ID, err)
	}
	res := db.with(ctx).Model(&User{}).Where("id = ? AND password = ?", u.ID, u.Password).Update("password", hash)
	if res.Error != nil {
		return translate(res.Error, fmt.Sprintf("upgrade password of user %d", u.ID))
	}
	if res.RowsAffected == 1 {
		u.Password = hash
	}
	return nil
}

// DeleteUser removes a user with its token and its admin sessions, in one
// transaction; ErrLastSuperuser, deleting nothing, if it is the last active
// superuser (see keepSuperuser).
func (db *DB) DeleteUser(ctx context.Context, username string) error {
	return db.Transaction(ctx, func(tx *DB) error {
		u, err := tx.UserByUsername(ctx, username)
		if err != nil {
			return err
		}
		// Before lockUser: keepSuperuser takes the superusers' rows in id
		// order, and taking u's first could deadlock with another deletion.
		if err := tx.keepSuperuser(ctx, u.ID); err != nil {
			return fmt.Errorf("delete user %q: %w", username, err)
		}
		// Take the row before the sessions go, as ChangeUser does, so that
		// none a concurrent login creates survives (see CreateSession).
		if err := tx.lockUser(ctx, u.ID); err != nil {
			return err
		}
		if err := tx.with(ctx).Where("user_id = ?", u.ID).Delete(&Token{}).Error; err != nil {
			return translate(err, fmt.Sprintf("delete token of %q", username))
		}
		if err := tx.deleteSessionsOf(ctx, u.ID); err != nil {
			return err
		}
		if err := tx.with(ctx).Delete(u).Error; err != nil {
			return translate(err, fmt.Sprintf("delete user %q", username))
		}
		return nil
	})
}

// lockUser holds the write lock on user id's row until the transaction ends,
// with an UPDATE that changes nothing: SQLite has no SELECT … FOR UPDATE (its
// immediate transactions lock the whole database anyway). ErrNotFound if
// there is no such user.
func (db *DB) lockUser(ctx context.Context, id int64) error {
	res := db.with(ctx).Model(&User{}).Where("id = ?", id).Update("last_login", gorm.Expr("last_login"))
	if res.Error != nil {
		return translate(res.Error, fmt.Sprintf("lock user %d", id))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("lock user %d: %w", id, ErrNotFound)
	}
	return nil
}

// ErrLastSuperuser refuses a change or deletion that would leave no active
// superuser (active, staff and superuser), so nobody could run the admin site
// or grant the flags again.
var ErrLastSuperuser = errors.New("it is the last active superuser")

// keepSuperuser returns ErrLastSuperuser if user id is the only active
// superuser, for a transaction about to take that away. The count and the
// change must be one: two admins demoting the last two superusers at once
// must not both see the other one still there. So the rows counted are
// locked until the transaction ends: on PostgreSQL with SELECT … FOR UPDATE,
// in id order so that two such transactions cannot deadlock, the second
// waiting for the first and then counting again what it committed; on SQLite
// the transaction began IMMEDIATE and holds the only write lock already (the
// driver drops the FOR UPDATE).
func (db *DB) keepSuperuser(ctx context.Context, id int64) error {
	var ids []int64
	err := db.with(ctx).Model(&User{}).Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).
		Where("is_active = ? AND is_staff = ? AND is_superuser = ?", true, true, true).
		Order("id").Pluck("id", &ids).Error
	if err != nil {
		return translate(err, "lock the active superusers")
	}
	if len(ids) == 1 && ids[0] == id {
		return ErrLastSuperuser
	}
	return nil
}
