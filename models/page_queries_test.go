package models_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"studentapi/internal/testdb"
	"studentapi/models"
)

// A page costs two statements, a COUNT and a SELECT with LIMIT, never a load
// of the whole table; and the query log never holds a bound value.
func TestPageIsTwoQueries(t *testing.T) {
	var log bytes.Buffer
	db := openDBWith(t, testdb.New(t), models.Options{Keys: testKeys{secret: testSecret}, Log: &log, LogQueries: true})
	ctx := context.Background()
	for i := 0; i < 50; i++ {
		if err := db.CreateStudent(ctx, &models.Student{Name: fmt.Sprint("s", i), Roll: int64(i % 7), City: "Pune"}); err != nil {
			t.Fatal(err)
		}
	}
	log.Reset()
	q := models.StudentQuery{Search: []string{"zz-secret-term"}, Ordering: []models.Order{{Column: "roll"}}, Limit: 10, Offset: 20}
	if _, err := db.CountStudents(ctx, q); err != nil {
		t.Fatal(err)
	}
	q.Search = nil
	page, err := db.FindStudents(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 10 {
		t.Fatalf("page of %d rows, want 10", len(page))
	}
	var statements []string
	for _, line := range strings.Split(log.String(), "\n") {
		if strings.Contains(line, "SELECT") {
			statements = append(statements, line)
		}
	}
	if len(statements) != 2 {
		t.Fatalf("%d SELECT statements, want 2:\n%s", len(statements), log.String())
	}
	if !strings.Contains(statements[0], "count(*)") {
		t.Errorf("first statement is not a COUNT: %s", statements[0])
	}
	if !strings.Contains(statements[1], "LIMIT") {
		t.Errorf("page statement has no LIMIT: %s", statements[1])
	}
	if strings.Contains(log.String(), "zz-secret-term") {
		t.Errorf("the query log holds a bound value:\n%s", log.String())
	}
}
