package models_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"studentapi/models"
)

// Someone who can write the database but not the secret moves the session
// row of a cookie they hold to another user (a superuser, say): the cookie
// then signs in nobody, and other sessions go on.
func TestSessionRowBoundToItsUser(t *testing.T) {
	db, path := newDB(t)
	admin, mallory := newStaff(t, db, "admin"), newStaff(t, db, "mallory")
	for id, u := range map[string]*models.User{"admin-session": admin, "mallory-session": mallory} {
		if _, err := db.CreateSession(t.Context(), u, id, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if err := rawDB(t, path).Exec("UPDATE sessions SET user_id = ? WHERE user_id = ?", admin.ID, mallory.ID).Error; err != nil {
		t.Fatal(err)
	}
	if s, err := db.SessionByID(t.Context(), "mallory-session"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("SessionByID(mallory's cookie, row moved to admin) = %+v, %v; want %v", s, err, models.ErrNotFound)
	}
	if s, err := db.SessionByID(t.Context(), "admin-session"); err != nil || s.UserID != admin.ID {
		t.Errorf("SessionByID(admin's own cookie) = %+v, %v; want admin's session", s, err)
	}
}

// Sessions from before tags sign nobody in, and Migrate deletes them.
func TestMigrateDeletesUntaggedSessions(t *testing.T) {
	db, path := newDB(t)
	admin := newStaff(t, db, "admin")
	if _, err := db.CreateSession(t.Context(), admin, "old-session", time.Hour); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, path)
	if err := raw.Exec("UPDATE sessions SET user_tag = NULL").Error; err != nil {
		t.Fatal(err)
	}
	if s, err := db.SessionByID(t.Context(), "old-session"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("SessionByID(untagged) = %+v, %v; want %v", s, err, models.ErrNotFound)
	}
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := raw.Table("sessions").Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d sessions after migrating, want the untagged one deleted", n)
	}
}

// newStaff creates an active staff user whose password is "pw-" + username.
func newStaff(t *testing.T, db *models.DB, username string) *models.User {
	t.Helper()
	u := &models.User{Username: username, IsActive: true, IsStaff: true}
	if err := u.SetPassword("pw-"+username, testCost); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%q): %v", username, err)
	}
	return u
}

// sessionLive reports whether the session id is in the table.
func sessionLive(t *testing.T, db *models.DB, id string) bool {
	t.Helper()
	_, err := db.SessionByID(t.Context(), id)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// TestChangeUserEndsSessions: what a session stands on (the password, being
// active staff) going away deletes the user's sessions, and only the user's.
func TestChangeUserEndsSessions(t *testing.T) {
	yes, no := true, false
	email := "new@example.com"
	hash, err := models.HashPassword("new password", testCost)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		change   models.UserChange
		wantLive bool
	}{
		{"password", models.UserChange{Password: &hash}, false},
		{"deactivate", models.UserChange{IsActive: &no}, false},
		{"staff taken", models.UserChange{IsStaff: &no}, false},
		{"email", models.UserChange{Email: &email}, true},
		{"activate", models.UserChange{IsActive: &yes}, true},
		{"superuser taken", models.UserChange{IsSuperuser: &no}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := newDB(t)
			alice, bob := newStaff(t, db, "alice"), newStaff(t, db, "bob")
			for _, u := range []*models.User{alice, bob} {
				if _, err := db.CreateSession(t.Context(), u, "session of "+u.Username, time.Hour); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.ChangeUser(t.Context(), alice.ID, tt.change); err != nil {
				t.Fatal(err)
			}
			if got := sessionLive(t, db, "session of alice"); got != tt.wantLive {
				t.Errorf("alice's session live = %v, want %v", got, tt.wantLive)
			}
			if !sessionLive(t, db, "session of bob") {
				t.Error("bob's session ended with a change to alice")
			}
		})
	}
}

// TestCreateSessionChecksTheUser: a session is created only for the user as
// the caller checked it, still active staff with the same password.
func TestCreateSessionChecksTheUser(t *testing.T) {
	no := false
	hash, err := models.HashPassword("reset", testCost)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		change  *models.UserChange // made after the caller read the user
		staff   bool
		wantErr error
	}{
		{"unchanged", nil, true, nil},
		{"not staff", nil, false, models.ErrUserChanged},
		{"password reset since", &models.UserChange{Password: &hash}, true, models.ErrUserChanged},
		{"deactivated since", &models.UserChange{IsActive: &no}, true, models.ErrUserChanged},
		{"demoted since", &models.UserChange{IsStaff: &no}, true, models.ErrUserChanged},
	}
	for _, tt := range tests {
		for _, login := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s login=%v", tt.name, login), func(t *testing.T) {
				db, _ := newDB(t)
				u := newStaff(t, db, "alice")
				if !tt.staff {
					u = newUser(t, db, "plain")
				}
				read, err := db.UserByID(t.Context(), u.ID)
				if err != nil {
					t.Fatal(err)
				}
				if tt.change != nil {
					if err := db.ChangeUser(t.Context(), u.ID, *tt.change); err != nil {
						t.Fatal(err)
					}
				}
				create := db.CreateSession
				if login {
					create = db.LogIn
				}
				_, err = create(t.Context(), read, "an id", time.Hour)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
				if got, want := sessionLive(t, db, "an id"), tt.wantErr == nil; got != want {
					t.Errorf("session live = %v, want %v", got, want)
				}
				after, err := db.UserByID(t.Context(), u.ID)
				if err != nil {
					t.Fatal(err)
				}
				if wantLast := login && tt.wantErr == nil; (after.LastLogin != nil) != wantLast {
					t.Errorf("last_login = %v, want set %v", after.LastLogin, wantLast)
				}
				if login && tt.wantErr == nil && (read.LastLogin == nil || !read.LastLogin.Equal(*after.LastLogin)) {
					t.Errorf("LogIn left u.LastLogin = %v, stored %v", read.LastLogin, after.LastLogin)
				}
			})
		}
	}
}

// TestLoginRacingAChangeLeavesNoSession runs a login (LogIn, after the
// password check read the user) against a change that ends sessions, in
// parallel, many times: whichever lands first, the change stays and no
// session of the changed user is left.
func TestLoginRacingAChangeLeavesNoSession(t *testing.T) {
	no := false
	hash, err := models.HashPassword("reset", testCost)
	if err != nil {
		t.Fatal(err)
	}
	changes := map[string]models.UserChange{
		"deactivation":   {IsActive: &no},
		"password reset": {Password: &hash},
		"demotion":       {IsStaff: &no},
	}
	db, _ := newDB(t)
	for name, change := range changes {
		for round := range 20 {
			u := newStaff(t, db, fmt.Sprintf("racer%d-%s", round, name[:4]))
			read, err := db.UserByID(t.Context(), u.ID)
			if err != nil {
				t.Fatal(err)
			}
			id := fmt.Sprintf("session %d of %s", round, name)
			var wg sync.WaitGroup
			var loginErr, changeErr error
			wg.Go(func() { _, loginErr = db.LogIn(t.Context(), read, id, time.Hour) })
			wg.Go(func() { changeErr = db.ChangeUser(t.Context(), u.ID, change) })
			wg.Wait()
			if changeErr != nil {
				t.Fatalf("%s: %v", name, changeErr)
			}
			if loginErr != nil && !errors.Is(loginErr, models.ErrUserChanged) {
				t.Fatalf("%s: login: %v", name, loginErr)
			}
			if sessionLive(t, db, id) {
				t.Errorf("%s round %d: the racing login's session survived the change", name, round)
			}
			got, err := db.UserByID(t.Context(), u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.IsActive != (change.IsActive == nil) || got.IsStaff != (change.IsStaff == nil) ||
				(change.Password != nil && got.Password != hash) {
				t.Errorf("%s round %d: the change was undone: active %v staff %v", name, round, got.IsActive, got.IsStaff)
			}
		}
	}
}

func TestDeleteUserEndsSessions(t *testing.T) {
	db, _ := newDB(t)
	alice, bob := newStaff(t, db, "alice"), newStaff(t, db, "bob")
	for _, u := range []*models.User{alice, bob} {
		if _, err := db.CreateSession(t.Context(), u, "session of "+u.Username, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.DeleteUser(t.Context(), "alice"); err != nil {
		t.Fatal(err)
	}
	if sessionLive(t, db, "session of alice") {
		t.Error("alice's session outlived her")
	}
	if !sessionLive(t, db, "session of bob") {
		t.Error("bob's session went with alice")
	}
}

// TestMigrateEndsSessionsOfBarredUsers: sessions that earlier versions left
// to users they deactivated or demoted are deleted at the next start, so
// that re-activating the user does not bring them back.
func TestMigrateEndsSessionsOfBarredUsers(t *testing.T) {
	db, src := newDB(t)
	for _, name := range []string{"active", "inactive", "demoted"} {
		u := newStaff(t, db, name)
		if _, err := db.CreateSession(t.Context(), u, "session of "+name, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	// As an earlier version deactivated and demoted: the flag alone.
	raw := rawDB(t, src)
	for name, column := range map[string]string{"inactive": "is_active", "demoted": "is_staff"} {
		if err := raw.Exec("UPDATE users SET "+column+" = ? WHERE username = ?", false, name).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"active": true, "inactive": false, "demoted": false} {
		if got := sessionLive(t, db, "session of "+name); got != want {
			t.Errorf("session of %s live = %v, want %v", name, got, want)
		}
	}
}
