package api

import (
	"fmt"
	"testing"

	"studentapi/models"
)

// BenchmarkStudentListJSON encodes a list of 100 students as GET /studentapi/
// writes it.
func BenchmarkStudentListJSON(b *testing.B) {
	list := hundredStudents()
	b.ReportAllocs()
	for b.Loop() {
		benchSink = students.appendList(make([]byte, 0, sizeHint(len(list))), list)
	}
}

// BenchmarkStudentJSON encodes one student as the detail endpoint does.
func BenchmarkStudentJSON(b *testing.B) {
	s := &models.Student{ID: 1, Name: "Ravi", Roll: 10, City: "Ranchi"}
	b.ReportAllocs()
	for b.Loop() {
		benchSink = students.append(make([]byte, 0, sizeHint(1)), s)
	}
}

// hundredStudents is the list the list benchmarks encode.
func hundredStudents() []models.Student {
	students := make([]models.Student, 100)
	for i := range students {
		students[i] = models.Student{ID: int64(i + 1), Name: fmt.Sprintf("Student %d", i), Roll: int64(i), City: "Pune"}
	}
	return students
}

// benchSink keeps the encoded bytes alive, as a handler's answer is.
var benchSink []byte

// BenchmarkEntityTag is the ETag of a list of 100 students, what every GET of
// the list pays on top of encoding it.
func BenchmarkEntityTag(b *testing.B) {
	body := students.appendList(nil, hundredStudents())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		tagSink = entityTag(body)
	}
}

var tagSink string
