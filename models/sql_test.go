package models_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"studentapi/internal/testdb"
	"studentapi/models"
)

// The hand-written token query reads the token and its user's identity and
// flags as GORM wrote them, on both backends, and leaves the rest (above all
// the password hash) in the database, as TokenByKey documents.
func TestTokenByKeyReadsIdentity(t *testing.T) {
	db, _ := newDB(t)
	login := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	for i, tt := range []struct {
		name                     string
		active, staff, superuser bool
		lastLogin                *time.Time
	}{
		{"active", true, false, false, nil},
		{"staff", true, true, false, &login},
		{"superuser", true, true, true, &login},
		{"inactive", false, false, false, &login},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := &models.User{
				Username: "u" + strings.ReplaceAll(tt.name, " ", "_"), Email: "ü@example.com", Password: "bcrypt_sha256$x",
				IsActive: tt.active, IsStaff: tt.staff, IsSuperuser: tt.superuser,
				DateJoined: time.Date(2023, 1, 2, 3, 4, 5, 6000, time.UTC), LastLogin: tt.lastLogin,
			}
			if err := db.CreateUser(t.Context(), u); err != nil {
				t.Fatal(err)
			}
			k := key(string(rune('p' + i)))
			made, err := db.CreateToken(t.Context(), u.ID, k)
			if err != nil {
				t.Fatal(err)
			}
			got, err := db.TokenByKey(t.Context(), k)
			if err != nil {
				t.Fatalf("TokenByKey: %v", err)
			}
			if got.Digest != made.Digest || got.UserID != u.ID ||
				!got.Created.Equal(made.Created) || !got.Refreshed.Equal(made.Refreshed) || got.Key != k {
				t.Errorf("token = %+v, want %+v", got, made)
			}
			gu := got.User
			if gu == nil {
				t.Fatal("no user loaded")
			}
			if gu.ID != u.ID || gu.Username != u.Username ||
				gu.IsActive != u.IsActive || gu.IsStaff != u.IsStaff || gu.IsSuperuser != u.IsSuperuser {
				t.Errorf("user = %+v, want the identity and flags of %+v", gu, u)
			}
			// Documented as not read: the hash above all stays in the database.
			if gu.Password != "" || gu.Email != "" || !gu.DateJoined.IsZero() || gu.LastLogin != nil || got.Sealed != nil {
				t.Errorf("TokenByKey read more than it says: user %+v, sealed %x", gu, got.Sealed)
			}
		})
	}
}

// Inside a transaction the hand-written queries run on its connection, and so
// see its uncommitted rows; outside, nobody does until it commits.
func TestQueriesInTransaction(t *testing.T) {
	db, _ := newDB(t)
	seedStudents(t, db, models.Student{Name: "Ravi", Roll: 1, City: "Pune"})
	errRollback := errors.New("roll back")
	err := db.Transaction(t.Context(), func(tx *models.DB) error {
		if err := tx.CreateStudent(t.Context(), &models.Student{Name: "Sonam", Roll: 2, City: "Pune"}); err != nil {
			return err
		}
		inside, err := tx.FindStudents(t.Context(), models.StudentQuery{})
		if err != nil {
			return err
		}
		if got := names(inside); got != "Ravi,Sonam" {
			t.Errorf("inside the transaction: %s, want Ravi,Sonam", got)
		}
		if n, err := tx.CountStudents(t.Context(), models.StudentQuery{}); err != nil || n != 2 {
			t.Errorf("count inside = %d, %v; want 2", n, err)
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Transaction = %v", err)
	}
	after, err := db.FindStudents(t.Context(), models.StudentQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(after); got != "Ravi" {
		t.Errorf("after the rollback: %s, want Ravi", got)
	}
}

// A query whose caller has gone stops between rows with the caller's error,
// though SQLite's driver runs it on a context that cannot be cancelled.
func TestFindStudentsCancelled(t *testing.T) {
	db, _ := newDB(t)
	seedStudents(t, db, models.Student{Name: "Ravi", Roll: 1, City: "Pune"}, models.Student{Name: "Sonam", Roll: 2, City: "Pune"})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, q := range []models.StudentQuery{{}, {Search: []string{"a"}}} {
		if got, err := db.FindStudents(ctx, q); !errors.Is(err, context.Canceled) {
			t.Errorf("FindStudents(%+v) with a cancelled context = %v, %v; want %v", q, got, err, context.Canceled)
		}
	}
}

// More shapes of student query than are kept prepared still answer, and the
// same as when they were prepared.
func TestManyQueryShapes(t *testing.T) {
	db, _ := newDB(t)
	seedStudents(t, db, models.Student{Name: "Ravi", Roll: 1, City: "Pune"}, models.Student{Name: "Sonam", Roll: 2, City: "Ranchi"})
	for round := range 2 {
		for n := 1; n <= 80; n++ {
			terms := make([]string, n)
			for i := range terms {
				terms[i] = "a"
			}
			got, err := db.FindStudents(t.Context(), models.StudentQuery{Search: terms})
			if err != nil {
				t.Fatalf("round %d, %d terms: %v", round, n, err)
			}
			if want := "Ravi,Sonam"; names(got) != want {
				t.Fatalf("round %d, %d terms: %s, want %s", round, n, names(got), want)
			}
		}
	}
}

// Every hand-written statement goes to the query log with log_level debug,
// never with its arguments.
func TestHandWrittenQueriesLogged(t *testing.T) {
	var log bytes.Buffer
	db := openDBWith(t, testdb.New(t), models.Options{Keys: testKeys{secret: testSecret}, Log: &log, LogQueries: true})
	u := newUser(t, db, "alice")
	if _, err := db.CreateToken(t.Context(), u.ID, key("q")); err != nil {
		t.Fatal(err)
	}
	seedStudents(t, db, models.Student{Name: "Ravi", Roll: 1, City: "Pune"})
	log.Reset()
	if _, err := db.TokenByKey(t.Context(), key("q")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FindStudents(t.Context(), models.StudentQuery{Search: []string{"zz-secret-term"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateStudent(t.Context(), &models.Student{Name: "zz-secret-name", Roll: 1, City: "Pune"}); err != nil {
		t.Fatal(err)
	}
	text := log.String()
	for _, want := range []string{"FROM tokens", "FROM students", "INSERT INTO"} {
		if !strings.Contains(text, want) {
			t.Errorf("the query log has no %q:\n%s", want, text)
		}
	}
	keys := testKeys{secret: testSecret}
	for _, secret := range []string{key("q"), keys.Digest(key("q")), "zz-secret-term", "zz-secret-name"} {
		if strings.Contains(text, secret) {
			t.Errorf("the query log holds %q:\n%s", secret, text)
		}
	}
}

// The lookup the API makes for /studentapi/<id>/ answers the row, or none.
func TestStudentByIDQuery(t *testing.T) {
	db, _ := newDB(t)
	seedStudents(t, db, models.Student{Name: "Ravi", Roll: 1, City: "Pune"}, models.Student{Name: "Sonam", Roll: 2, City: "Ranchi"})
	all, err := db.FindStudents(t.Context(), models.StudentQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range all {
		got, err := db.FindStudents(t.Context(), models.StudentQuery{ID: &want.ID})
		if err != nil || !reflect.DeepEqual(got, []models.Student{want}) {
			t.Errorf("by id %d = %+v, %v; want %+v", want.ID, got, err, want)
		}
	}
	missing := all[len(all)-1].ID + 1
	if got, err := db.FindStudents(t.Context(), models.StudentQuery{ID: &missing}); err != nil || len(got) != 0 {
		t.Errorf("by missing id = %+v, %v; want none", got, err)
	}
	if _, err := db.Student(t.Context(), missing); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("Student(%d) = %v, want %v", missing, err, models.ErrNotFound)
	}
}
