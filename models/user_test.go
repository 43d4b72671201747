package models_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"studentapi/models"
)

// receiverLog counts UserCreated events and keeps copies of their users.
type receiverLog struct {
	mu     sync.Mutex
	events []models.UserCreated
}

func (l *receiverLog) receive(_ context.Context, ev models.UserCreated) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, ev)
	return nil
}

func (l *receiverLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.events)
}

func TestCreateUserSendsSignalOnce(t *testing.T) {
	db, _ := newDB(t)
	var log receiverLog
	db.Signals.UserCreated.Connect("count", log.receive)

	u := &models.User{Username: "alice", Email: "alice@example.com", IsActive: true}
	if err := db.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if got := log.count(); got != 1 {
		t.Fatalf("receiver called %d times, want 1", got)
	}
	ev := log.events[0]
	if ev.User != u {
		t.Errorf("event user = %p, want the created user %p", ev.User, u)
	}
	if ev.User.ID == 0 {
		t.Error("event user has no ID")
	}
	if ev.DB == nil {
		t.Error("event has no DB")
	}
	if u.DateJoined.IsZero() {
		t.Error("DateJoined not set")
	}

	stored, err := db.UserByUsername(t.Context(), "alice")
	if err != nil {
		t.Fatalf("UserByUsername: %v", err)
	}
	if stored.ID != u.ID || stored.Email != u.Email || !stored.IsActive {
		t.Errorf("stored user = %+v, want %+v", stored, u)
	}

	newUser(t, db, "bob")
	if got := log.count(); got != 2 {
		t.Errorf("receiver called %d times after a second user, want 2", got)
	}
}

func TestCreateUserFailureSendsNoSignal(t *testing.T) {
	tests := []struct {
		name     string
		username string
		wantErr  error
	}{
		{"duplicate", "alice", models.ErrDuplicate},
		{"empty", "", models.ErrInvalidUsername},
		{"space", "al ice", models.ErrInvalidUsername},
		{"slash", "al/ice", models.ErrInvalidUsername},
		{"too long", strings.Repeat("a", 151), models.ErrInvalidUsername},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := newDB(t)
			newUser(t, db, "alice")
			var log receiverLog
			db.Signals.UserCreated.Connect("count", log.receive)

			err := db.CreateUser(t.Context(), &models.User{Username: tt.username, IsActive: true})
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("CreateUser(%q) = %v, want %v", tt.username, err, tt.wantErr)
			}
			if got := log.count(); got != 0 {
				t.Errorf("receiver called %d times, want 0", got)
			}
		})
	}
}

func TestReceiverErrorRollsBackUser(t *testing.T) {
	db, _ := newDB(t)
	boom := errors.New("boom")
	disconnect := db.Signals.UserCreated.Connect("veto", func(context.Context, models.UserCreated) error {
		return boom
	})

	err := db.CreateUser(t.Context(), &models.User{Username: "alice", IsActive: true})
	if !errors.Is(err, boom) {
		t.Fatalf("CreateUser = %v, want an error wrapping %v", err, boom)
	}
	if _, err := db.UserByUsername(t.Context(), "alice"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("UserByUsername after veto = %v, want %v", err, models.ErrNotFound)
	}

	// Nothing of the first attempt is left: the name is free again.
	disconnect()
	newUser(t, db, "alice")
}

func TestReceiverWritesInCreatingTransaction(t *testing.T) {
	db, _ := newDB(t)
	key := strings.Repeat("ab", 20)
	db.Signals.UserCreated.Connect("token", func(ctx context.Context, ev models.UserCreated) error {
		_, err := ev.DB.CreateToken(ctx, ev.User.ID, key)
		return err
	})
	u := newUser(t, db, "alice")
	tok, err := db.TokenOf(t.Context(), u.ID)
	if err != nil {
		t.Fatalf("TokenOf right after CreateUser: %v", err)
	}
	if tok.Key != key {
		t.Errorf("token key = %q, want %q", tok.Key, key)
	}
}

func TestUsernamesAreCaseSensitive(t *testing.T) {
	db, _ := newDB(t)
	upper := newUser(t, db, "Alice")
	lower := newUser(t, db, "alice")
	if upper.ID == lower.ID {
		t.Fatalf("Alice and alice share ID %d", upper.ID)
	}
	tests := []struct {
		username string
		wantID   int64
		wantErr  error
	}{
		{"Alice", upper.ID, nil},
		{"alice", lower.ID, nil},
		{"ALICE", 0, models.ErrNotFound},
		{"alice ", 0, models.ErrNotFound},
		// An empty name must match nobody, not the first row.
		{"", 0, models.ErrNotFound},
	}
	for _, tt := range tests {
		got, err := db.UserByUsername(t.Context(), tt.username)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("UserByUsername(%q) error = %v, want %v", tt.username, err, tt.wantErr)
			continue
		}
		if err == nil && got.ID != tt.wantID {
			t.Errorf("UserByUsername(%q).ID = %d, want %d", tt.username, got.ID, tt.wantID)
		}
	}
}

// TestCreateUserNormalizesUsername: usernames are stored in NFKC, as Django's
// normalize_username does, so a full-width "ａdmin" cannot sit beside
// "admin"; finding a user stays exact, as in Django.
func TestCreateUserNormalizesUsername(t *testing.T) {
	tests := []struct {
		name, username, stored string
		wantErr                error
	}{
		{"full-width look-alike of an existing user", "\uff41dmin", "", models.ErrDuplicate},
		{"full-width new user", "\uff42ob", "bob", nil},
		{"compatibility ligature", "\ufb01nn", "finn", nil},
		{"already normal", "zoë", "zoë", nil},
		{"decomposed accent composes", "zoe\u0308", "zoë", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := newDB(t)
			newUser(t, db, "admin")
			u := &models.User{Username: tt.username, IsActive: true}
			err := db.CreateUser(t.Context(), u)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("CreateUser(%q) = %v, want %v", tt.username, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if u.Username != tt.stored {
				t.Errorf("CreateUser(%q) made %q, want %q", tt.username, u.Username, tt.stored)
			}
			if _, err := db.UserByUsername(t.Context(), tt.stored); err != nil {
				t.Errorf("UserByUsername(%q): %v", tt.stored, err)
			}
			if tt.username != tt.stored {
				if _, err := db.UserByUsername(t.Context(), tt.username); !errors.Is(err, models.ErrNotFound) {
					t.Errorf("UserByUsername(%q) = %v, want %v: lookup is exact", tt.username, err, models.ErrNotFound)
				}
			}
		})
	}
	if got := models.NormalizeUsername("\uff41dmin"); got != "admin" {
		t.Errorf("NormalizeUsername(full-width admin) = %q, want admin", got)
	}
}

func TestValidateUsername(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"alice", true},
		{"a.b@c+d-e_f", true},
		{"Zoë", true},
		{"用户", true},
		{"42", true},
		{strings.Repeat("é", 150), true},
		{strings.Repeat("é", 151), false},
		{"", false},
		{" ", false},
		{"al ice", false},
		{"tab\t", false},
		{"a/b", false},
		{"a:b", false},
		{"a\u00a0b", false},
	}
	for _, tt := range tests {
		err := models.ValidateUsername(tt.name)
		if got := err == nil; got != tt.ok {
			t.Errorf("ValidateUsername(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, models.ErrInvalidUsername) {
			t.Errorf("ValidateUsername(%q) = %v, want %v", tt.name, err, models.ErrInvalidUsername)
		}
	}
}

func TestPasswords(t *testing.T) {
	long := strings.Repeat("x", 72) + "-and-more"
	var u models.User
	if err := u.SetPassword(long, testCost); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	if strings.Contains(u.Password, long[:20]) {
		t.Errorf("stored hash %q contains the password", u.Password)
	}
	tests := []struct {
		name     string
		password string
		want     bool
	}{
		{"same", long, true},
		{"72-byte prefix", long[:72], false},
		{"same prefix, other tail", strings.Repeat("x", 72) + "-and-less", false},
		{"wrong", "wrong", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		got, err := u.CheckPassword(tt.password)
		if err != nil {
			t.Errorf("CheckPassword(%s): %v", tt.name, err)
		}
		if got != tt.want {
			t.Errorf("CheckPassword(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestPasswordHashIsSaltedAndSecret(t *testing.T) {
	const password = "correct horse battery staple"
	var a, b models.User
	if err := a.SetPassword(password, testCost); err != nil {
		t.Fatal(err)
	}
	if err := b.SetPassword(password, testCost); err != nil {
		t.Fatal(err)
	}
	if a.Password == b.Password {
		t.Errorf("two hashes of one password are equal: %q", a.Password)
	}
	for _, u := range []models.User{a, b} {
		if strings.Contains(u.Password, password) {
			t.Errorf("stored hash %q contains the password", u.Password)
		}
		if len(u.Password) > 128 {
			t.Errorf("stored hash is %d bytes, the column holds 128", len(u.Password))
		}
	}
}

func TestCheckPasswordUnusableOrMalformed(t *testing.T) {
	tests := []struct {
		name    string
		stored  string
		wantErr bool
	}{
		{"empty", "", false},
		{"django unusable", "!abcdef", false},
		{"plain text", "secret", false},
		{"malformed bcrypt", "bcrypt_sha256$not-a-hash", true},
		{"unknown algorithm", "md5$salt$5f4dcc3b5aa765d61d8327deb882cf99", false},
		{"pbkdf2 beyond the limits", "pbkdf2_sha256$4000000000$salt$H0qdtUIVdbACiR98MpUIwqlcnQ7+lImonAvom9/ubTY=", true},
	}
	for _, tt := range tests {
		u := models.User{Password: tt.stored}
		ok, err := u.CheckPassword("secret")
		if ok {
			t.Errorf("%s: CheckPassword matched", tt.name)
		}
		if gotErr := err != nil; gotErr != tt.wantErr {
			t.Errorf("%s: CheckPassword error = %v, want error %v", tt.name, err, tt.wantErr)
		}
	}
}

func TestPasswordSurvivesStorage(t *testing.T) {
	db, _ := newDB(t)
	newUser(t, db, "alice")
	u, err := db.UserByUsername(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	for password, want := range map[string]bool{"pw-alice": true, "pw-alicE": false} {
		got, err := u.CheckPassword(password)
		if err != nil || got != want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v, nil", password, got, err, want)
		}
	}
}

// TestChangeUserWritesOnlyItsColumns: each change names its columns, and
// whatever else the row holds, set by someone else since it was read, stays.
func TestChangeUserWritesOnlyItsColumns(t *testing.T) {
	yes, no := true, false
	email := "new@example.com"
	hash, err := models.HashPassword("new password", testCost)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change models.UserChange
		want   func(u *models.User) bool
	}{
		{"email", models.UserChange{Email: &email}, func(u *models.User) bool { return u.Email == email }},
		{"password", models.UserChange{Password: &hash}, func(u *models.User) bool { return u.Password == hash }},
		{"deactivate", models.UserChange{IsActive: &no}, func(u *models.User) bool { return !u.IsActive }},
		{"staff", models.UserChange{IsStaff: &yes}, func(u *models.User) bool { return u.IsStaff }},
		{"superuser", models.UserChange{IsSuperuser: &yes}, func(u *models.User) bool { return u.IsSuperuser }},
		{"nothing", models.UserChange{}, func(*models.User) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := newDB(t)
			stale := newUser(t, db, "alice")
			if err := db.ChangeUser(t.Context(), stale.ID, tt.change); err != nil {
				t.Fatalf("ChangeUser: %v", err)
			}
			got, err := db.UserByID(t.Context(), stale.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want(got) {
				t.Errorf("after ChangeUser(%s): %+v", tt.name, *got)
			}
			// What the change did not name is what was stored before.
			rest := *stale
			rest.Email, rest.Password, rest.IsActive, rest.IsStaff, rest.IsSuperuser = got.Email, got.Password, got.IsActive, got.IsStaff, got.IsSuperuser
			if !got.DateJoined.Equal(rest.DateJoined) || got.Username != rest.Username || got.LastLogin != nil {
				t.Errorf("ChangeUser(%s) touched other columns: %+v", tt.name, *got)
			}
		})
	}

	db, _ := newDB(t)
	if err := db.ChangeUser(t.Context(), 4242, models.UserChange{Email: &email}); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("ChangeUser(missing) = %v, want %v", err, models.ErrNotFound)
	}
}

func TestDeleteUser(t *testing.T) {
	db, path := newDB(t)
	alice := newUser(t, db, "alice")
	bob := newUser(t, db, "bob")
	aliceKey, bobKey := strings.Repeat("a", 40), strings.Repeat("b", 40)
	if _, err := db.CreateToken(t.Context(), alice.ID, aliceKey); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateToken(t.Context(), bob.ID, bobKey); err != nil {
		t.Fatal(err)
	}

	if err := db.DeleteUser(t.Context(), "alice"); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if _, err := db.UserByUsername(t.Context(), "alice"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("user after delete: %v, want %v", err, models.ErrNotFound)
	}
	if _, err := db.TokenByKey(t.Context(), aliceKey); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("token after delete: %v, want %v", err, models.ErrNotFound)
	}
	if got := countRows(t, path, "tokens"); got != 1 {
		t.Errorf("%d token rows, want 1 (bob's)", got)
	}
	if _, err := db.TokenByKey(t.Context(), bobKey); err != nil {
		t.Errorf("bob's token after deleting alice: %v", err)
	}

	for _, name := range []string{"alice", "ALICE", "Bob", ""} {
		if err := db.DeleteUser(t.Context(), name); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("DeleteUser(%q) = %v, want %v", name, err, models.ErrNotFound)
		}
	}
	if _, err := db.UserByUsername(t.Context(), "bob"); err != nil {
		t.Errorf("bob after deleting others: %v", err)
	}
}

func TestValidateEmail(t *testing.T) {
	tests := []struct {
		email string
		ok    bool
	}{
		{"", true},
		{"alice@example.com", true},
		{strings.Repeat("a", 242) + "@example.com", true}, // 254
		{strings.Repeat("a", 243) + "@example.com", false},
		{"not-an-email", false},
		{"Alice <alice@example.com>", false},
	}
	for _, tt := range tests {
		if err := models.ValidateEmail(tt.email); (err == nil) != tt.ok {
			t.Errorf("ValidateEmail(%d bytes %.20q) = %v, want ok=%v", len(tt.email), tt.email, err, tt.ok)
		}
	}
}

// newSuperuser stores an active superuser, staff as createsuperuser makes it.
func newSuperuser(t *testing.T, db *models.DB, username string, active bool) *models.User {
	t.Helper()
	u := &models.User{Username: username, IsActive: active, IsStaff: true, IsSuperuser: true}
	if err := u.SetPassword("pw-"+username, testCost); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%q): %v", username, err)
	}
	return u
}

// takeAway is each way of leaving a user no longer an active superuser.
var takeAway = []struct {
	name string
	do   func(ctx context.Context, db *models.DB, u *models.User) error
}{
	{"deactivate", func(ctx context.Context, db *models.DB, u *models.User) error {
		no := false
		return db.ChangeUser(ctx, u.ID, models.UserChange{IsActive: &no})
	}},
	{"take staff", func(ctx context.Context, db *models.DB, u *models.User) error {
		no := false
		return db.ChangeUser(ctx, u.ID, models.UserChange{IsStaff: &no})
	}},
	{"take superuser", func(ctx context.Context, db *models.DB, u *models.User) error {
		no := false
		return db.ChangeUser(ctx, u.ID, models.UserChange{IsSuperuser: &no})
	}},
	{"delete", func(ctx context.Context, db *models.DB, u *models.User) error {
		return db.DeleteUser(ctx, u.Username)
	}},
}

// activeSuperusers counts who could still run the admin site.
func activeSuperusers(t *testing.T, db *models.DB) int {
	t.Helper()
	users, err := db.FindUsers(t.Context(), models.UserQuery{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, u := range users {
		if u.IsActive && u.IsStaff && u.IsSuperuser {
			n++
		}
	}
	return n
}

// TestLastSuperuserIsKept: nothing takes away the last active superuser (an
// inactive one does not count), while a second one, or a plain user, may go.
func TestLastSuperuserIsKept(t *testing.T) {
	for _, tt := range takeAway {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := newDB(t)
			root := newSuperuser(t, db, "root", true)
			newSuperuser(t, db, "dormant", false)
			plain := newStaff(t, db, "plain")
			if err := tt.do(t.Context(), db, root); !errors.Is(err, models.ErrLastSuperuser) {
				t.Errorf("%s the last active superuser: error %v, want %v", tt.name, err, models.ErrLastSuperuser)
			}
			if got, err := db.UserByID(t.Context(), root.ID); err != nil || !got.IsActive || !got.IsStaff || !got.IsSuperuser {
				t.Errorf("root after a refused %s: %+v, %v", tt.name, got, err)
			}
			if err := tt.do(t.Context(), db, plain); err != nil {
				t.Errorf("%s a staff user: %v", tt.name, err)
			}
			second := newSuperuser(t, db, "second", true)
			if err := tt.do(t.Context(), db, second); err != nil {
				t.Errorf("%s a second active superuser: %v", tt.name, err)
			}
			if got := activeSuperusers(t, db); got != 1 {
				t.Errorf("%d active superusers, want 1", got)
			}
		})
	}
}

// TestConcurrentDemotionsKeepASuperuser: two admins taking away the last two
// active superusers at the same moment cannot both succeed, whichever way
// each does it: the count and the change are one transaction, the rows
// counted locked until it ends.
func TestConcurrentDemotionsKeepASuperuser(t *testing.T) {
	for _, a := range takeAway {
		for _, b := range takeAway {
			t.Run(a.name+" and "+b.name, func(t *testing.T) {
				db, _ := newDB(t)
				alice, bob := newSuperuser(t, db, "alice", true), newSuperuser(t, db, "bob", true)
				start := make(chan struct{})
				errs := make([]error, 2)
				var wg sync.WaitGroup
				for i, act := range []func() error{
					func() error { return a.do(t.Context(), db, alice) },
					func() error { return b.do(t.Context(), db, bob) },
				} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						errs[i] = act()
					}()
				}
				close(start)
				wg.Wait()
				refused := 0
				for _, err := range errs {
					switch {
					case errors.Is(err, models.ErrLastSuperuser):
						refused++
					case err != nil:
						t.Errorf("unexpected error: %v", err)
					}
				}
				if refused != 1 {
					t.Errorf("%d of the two refused (errors %v), want 1", refused, errs)
				}
				if got := activeSuperusers(t, db); got != 1 {
					t.Errorf("%d active superusers left, want 1", got)
				}
			})
		}
	}
}

// djangoPBKDF2 is Django 3.2's PBKDF2PasswordHasher hash (1000 iterations)
// of "pw-carol".
const djangoPBKDF2 = "pbkdf2_sha256$1000$EulGBPVOY7LhqWqYdXWIvx$H0qdtUIVdbACiR98MpUIwqlcnQ7+lImonAvom9/ubTY="

// UpgradePassword rewrites a Django hash in this service's format, once, and
// only while the row still holds the hash that was checked: a password
// change made meanwhile wins.
func TestUpgradePassword(t *testing.T) {
	db, _ := newDB(t)
	u := &models.User{Username: "carol", IsActive: true, Password: djangoPBKDF2}
	if err := db.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	if ok, err := u.CheckPassword("pw-carol"); !ok || err != nil {
		t.Fatalf("CheckPassword(Django's hash) = %v, %v; want true, nil", ok, err)
	}
	stale := *u
	if err := db.UpgradePassword(t.Context(), u, "pw-carol", testCost); err != nil {
		t.Fatal(err)
	}
	stored, err := db.UserByUsername(t.Context(), "carol")
	if err != nil {
		t.Fatal(err)
	}
	if stored.Password == djangoPBKDF2 || stored.Password != u.Password {
		t.Errorf("stored %q, u holds %q; want both the new hash", stored.Password, u.Password)
	}
	if ok, err := stored.CheckPassword("pw-carol"); !ok || err != nil {
		t.Errorf("CheckPassword(upgraded) = %v, %v; want true, nil", ok, err)
	}
	// Up to date now: nothing is written again.
	before := u.Password
	if err := db.UpgradePassword(t.Context(), u, "pw-carol", testCost); err != nil || u.Password != before {
		t.Errorf("second UpgradePassword: %v, hash %q, want no change from %q", err, u.Password, before)
	}

	// A login that checked the old hash, racing a password change.
	changed, err := models.HashPassword("changed", testCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ChangeUser(t.Context(), u.ID, models.UserChange{Password: &changed}); err != nil {
		t.Fatal(err)
	}
	if err := db.UpgradePassword(t.Context(), &stale, "pw-carol", testCost); err != nil {
		t.Fatal(err)
	}
	if stale.Password != djangoPBKDF2 {
		t.Errorf("a refused upgrade left u holding %q, want its old hash", stale.Password)
	}
	stored, err = db.UserByUsername(t.Context(), "carol")
	if err != nil {
		t.Fatal(err)
	}
	if stored.Password != changed {
		t.Errorf("after a stale upgrade the stored hash is %q, want the changed one %q", stored.Password, changed)
	}
}
