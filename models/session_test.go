package models_test

import (
	"errors"
	"testing"
	"time"

	"studentapi/models"
)

// Someone who can write the database but not the secret moves the session
// row of a cookie they hold to another user (a superuser, say): the cookie
// then signs in nobody, and other sessions go on.
func TestSessionRowBoundToItsUser(t *testing.T) {
	db, path := newDB(t)
	admin, mallory := newUser(t, db, "admin"), newUser(t, db, "mallory")
	for id, u := range map[string]*models.User{"admin-session": admin, "mallory-session": mallory} {
		if _, err := db.CreateSession(t.Context(), u.ID, id, time.Hour); err != nil {
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
	admin := newUser(t, db, "admin")
	if _, err := db.CreateSession(t.Context(), admin.ID, "old-session", time.Hour); err != nil {
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
