package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"studentapi/internal/testdb"
	"studentapi/models"
)

func seedStudents(t *testing.T, db *models.DB, rows ...models.Student) {
	t.Helper()
	for i := range rows {
		if err := db.CreateStudent(context.Background(), &rows[i]); err != nil {
			t.Fatalf("CreateStudent: %v", err)
		}
	}
}

func names(ss []models.Student) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ","
		}
		out += s.Name
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func TestFindStudents(t *testing.T) {
	db, _ := newDB(t)
	ctx := context.Background()
	seedStudents(t, db,
		models.Student{Name: "Ravi", Roll: 10, City: "Ranchi"},
		models.Student{Name: "Sonam", Roll: 7, City: "Pune"},
		models.Student{Name: "Ranjit", Roll: 12, City: "Chennai"},
		models.Student{Name: "100% Amit", Roll: 3, City: "Delhi"},
		models.Student{Name: "a_b", Roll: 3, City: "Goa"},
		models.Student{Name: "Robert'); DROP TABLE students;--", Roll: 1, City: "Bobby"},
	)
	tests := []struct {
		name string
		q    models.StudentQuery
		want string
	}{
		{"all by id", models.StudentQuery{}, "Ravi,Sonam,Ranjit,100% Amit,a_b,Robert'); DROP TABLE students;--"},
		{"search any field, case-insensitive", models.StudentQuery{Search: []string{"RAN"}}, "Ravi,Ranjit"},
		{"every term must match", models.StudentQuery{Search: []string{"ran", "ch"}}, "Ravi,Ranjit"},
		{"terms across fields", models.StudentQuery{Search: []string{"son", "pune"}}, "Sonam"},
		{"percent is literal", models.StudentQuery{Search: []string{"%"}}, "100% Amit"},
		{"underscore is literal", models.StudentQuery{Search: []string{"_"}}, "a_b"},
		{"quotes are data", models.StudentQuery{Search: []string{"'); drop"}}, "Robert'); DROP TABLE students;--"},
		{"city exact", models.StudentQuery{City: ptr("Pune")}, "Sonam"},
		{"city is case-sensitive", models.StudentQuery{City: ptr("pune")}, ""},
		{"roll exact", models.StudentQuery{Roll: ptr(int64(3))}, "100% Amit,a_b"},
		{"roll range", models.StudentQuery{RollMin: ptr(int64(7)), RollMax: ptr(int64(10))}, "Ravi,Sonam"},
		{"empty", models.StudentQuery{Empty: true}, ""},
		{"order by roll then name desc", models.StudentQuery{Ordering: []models.Order{{Column: "roll"}, {Column: "name", Desc: true}}},
			"Robert'); DROP TABLE students;--,a_b,100% Amit,Sonam,Ravi,Ranjit"},
		{"ties broken by id", models.StudentQuery{Ordering: []models.Order{{Column: "roll"}}, Limit: 2, Offset: 1}, "100% Amit,a_b"},
		{"page", models.StudentQuery{Limit: 2, Offset: 2}, "Ranjit,100% Amit"},
		{"filters compose with search and order", models.StudentQuery{Search: []string{"r"}, RollMin: ptr(int64(5)), Ordering: []models.Order{{Column: "roll", Desc: true}}}, "Ranjit,Ravi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.FindStudents(ctx, tt.q)
			if err != nil {
				t.Fatalf("FindStudents: %v", err)
			}
			if names(got) != tt.want {
				t.Errorf("got %q, want %q", names(got), tt.want)
			}
			n, err := db.CountStudents(ctx, tt.q)
			if err != nil {
				t.Fatalf("CountStudents: %v", err)
			}
			if tt.q.Limit == 0 && int(n) != len(got) {
				t.Errorf("count %d, want %d", n, len(got))
			}
		})
	}
	if _, err := db.FindStudents(ctx, models.StudentQuery{Ordering: []models.Order{{Column: "name; DROP TABLE students"}}}); err == nil {
		t.Error("ordering by an unknown column was accepted")
	}
	if n, _ := db.CountStudents(ctx, models.StudentQuery{}); n != 6 {
		t.Errorf("table has %d rows after the queries, want 6", n)
	}
}

// EachStudent yields what FindStudents returns, in order; an error of the
// caller's stops the reading at once, comes back as is, and leaves no
// connection busy (the pool has one: a query after it would wait forever).
func TestEachStudent(t *testing.T) {
	one := source(testdb.New(t))
	one.Pool = models.Pool{MaxOpen: 1, MaxIdle: 1}
	db, err := models.Connect(one, models.Options{Keys: testKeys{secret: testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	seedStudents(t, db,
		models.Student{Name: "Ravi", Roll: 10, City: "Ranchi"},
		models.Student{Name: "Sonam", Roll: 7, City: "Pune"},
		models.Student{Name: "Ranjit", Roll: 12, City: "Chennai"},
	)
	q := models.StudentQuery{Ordering: []models.Order{{Column: "roll"}}}
	want, err := db.FindStudents(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var got []models.Student
	if err := db.EachStudent(ctx, q, func(s *models.Student) error { got = append(got, *s); return nil }); err != nil {
		t.Fatal(err)
	}
	if names(got) != names(want) || len(got) != len(want) || got[0] != want[0] {
		t.Errorf("EachStudent: %s, want FindStudents' %s", names(got), names(want))
	}

	stop := errors.New("client gone")
	calls := 0
	err = db.EachStudent(ctx, q, func(*models.Student) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("EachStudent stopped by its caller: %v after %d calls, want %v after 1", err, calls, stop)
	}
	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := db.CountStudents(wait, models.StudentQuery{}); err != nil {
		t.Errorf("a query after a stopped EachStudent: %v, want the connection free", err)
	}

	if err := db.EachStudent(ctx, models.StudentQuery{Ordering: []models.Order{{Column: "password"}}}, func(*models.Student) error { return nil }); err == nil {
		t.Error("EachStudent ordered by an undeclared column: no error")
	}
}
