package api

import (
	"math"
	"testing"

	"studentapi/auth"
	"studentapi/models"
)

// jsonTrickyStrings are texts whose JSON needs escapes of every kind
// encoding/json makes, and some that need none.
var jsonTrickyStrings = []string{
	"", "Ravi", "Zoë", "東京", `quote " inside`, `back\slash`, "tab\tnew\nline\rret",
	"\x00\x01\x1f\x7f", "\b\f", "<script>&amp;</script>", "line\u2028para\u2029sep",
	"bad \xff utf-8 \xc3", "emoji 🎓", "trailing space ", "a/b",
}

// The hand-written student JSON is byte for byte what marshal writes for
// studentJSON and for a list of them.
func TestStudentJSONByHand(t *testing.T) {
	var all []models.Student
	for i, name := range jsonTrickyStrings {
		for _, city := range []string{"Pune", jsonTrickyStrings[len(jsonTrickyStrings)-1-i]} {
			s := models.Student{ID: int64(i + 1), Name: name, Roll: int64(i * 7), City: city}
			checkStudentJSON(t, &s)
			all = append(all, s)
		}
	}
	for _, n := range []int64{0, -1, math.MaxInt64, math.MinInt64} {
		checkStudentJSON(t, &models.Student{ID: n, Name: "n", Roll: n, City: "c"})
	}
	for _, list := range [][]models.Student{nil, all[:1], all} {
		want, err := marshal(toStudentsJSON(list))
		if err != nil {
			t.Fatal(err)
		}
		if got := appendStudents(nil, list); string(got) != string(want) {
			t.Errorf("list of %d:\n got %s\nwant %s", len(list), got, want)
		}
	}
}

// TestDetailJSONByHand: {"detail": ...} appended by hand is what encoding/json
// writes for DRF's error body, for every detail the service sends and for the
// strings that need escaping.
func TestDetailJSONByHand(t *testing.T) {
	type detailBody struct {
		Detail string `json:"detail"`
	}
	details := append([]string{
		auth.ErrNotAuthenticated.Detail, auth.ErrInvalidToken.Detail, "Not found.",
		"Request was throttled. Expected available in 5 seconds.", "",
	}, jsonTrickyStrings...)
	for _, d := range details {
		want, err := marshal(detailBody{d})
		if err != nil {
			t.Fatal(err)
		}
		if got := appendDetail(nil, d); string(got) != string(want) {
			t.Errorf("detail %q:\n got %s\nwant %s", d, got, want)
		}
	}
}

func checkStudentJSON(t *testing.T, s *models.Student) {
	t.Helper()
	want, err := marshal(toStudentJSON(s))
	if err != nil {
		t.Fatal(err)
	}
	if got := appendStudent(nil, s); string(got) != string(want) {
		t.Errorf("%+v:\n got %s\nwant %s", s, got, want)
	}
}

func FuzzStudentJSON(f *testing.F) {
	for i, s := range jsonTrickyStrings {
		f.Add(int64(i), s, int64(-i), jsonTrickyStrings[len(jsonTrickyStrings)-1-i])
	}
	f.Fuzz(func(t *testing.T, id int64, name string, roll int64, city string) {
		checkStudentJSON(t, &models.Student{ID: id, Name: name, Roll: roll, City: city})
	})
}
