package models_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"studentapi/internal/testdb"
	"studentapi/models"
)

// benchStudents opens a database holding n students.
func benchStudents(b *testing.B, n int) *models.DB {
	b.Helper()
	db, err := models.Connect(models.Source{Path: filepath.Join(b.TempDir(), "db.sqlite")}, models.Options{Keys: testKeys{secret: testSecret}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Migrate(b.Context()); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		s := &models.Student{Name: fmt.Sprintf("Student %d", i), Roll: int64(i), City: "Pune"}
		if err := db.CreateStudent(b.Context(), s); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

// BenchmarkFindStudents100 is the query of GET /studentapi/ over 100 rows.
func BenchmarkFindStudents100(b *testing.B) {
	db := benchStudents(b, 100)
	b.ReportAllocs()
	for b.Loop() {
		got, err := db.FindStudents(b.Context(), models.StudentQuery{})
		if err != nil || len(got) != 100 {
			b.Fatalf("FindStudents: %d rows, %v", len(got), err)
		}
	}
}

// BenchmarkStudentByID is the lookup of GET /studentapi/<id>/.
func BenchmarkStudentByID(b *testing.B) {
	db := benchStudents(b, 100)
	id := int64(50)
	b.ReportAllocs()
	for b.Loop() {
		got, err := db.FindStudents(b.Context(), models.StudentQuery{ID: &id})
		if err != nil || len(got) != 1 {
			b.Fatalf("FindStudents: %d rows, %v", len(got), err)
		}
	}
}

// BenchmarkCreateStudent is one committed insert (synchronous=FULL).
func BenchmarkCreateStudent(b *testing.B) {
	db := benchStudents(b, 0)
	b.ReportAllocs()
	for b.Loop() {
		if err := db.CreateStudent(b.Context(), &models.Student{Name: "Bench", Roll: 1, City: "Pune"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateStudentPostgres is one committed insert on PostgreSQL
// (skipped without a server, see testdb.Postgres): a round trip in
// autocommit where GORM's Create took three.
func BenchmarkCreateStudentPostgres(b *testing.B) {
	src := testdb.Postgres(b)
	db, err := models.Connect(source(src), models.Options{Keys: testKeys{secret: testSecret}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Migrate(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := db.CreateStudent(b.Context(), &models.Student{Name: "Bench", Roll: 1, City: "Pune"}); err != nil {
			b.Fatal(err)
		}
	}
}
