package api

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"studentapi/models"
)

// jsonTrickyStrings are texts whose JSON needs escapes of every kind
// encoding/json makes, and some that need none.
var jsonTrickyStrings = []string{
	"", "Ravi", "Zoë", "東京", `quote " inside`, `back\slash`, "tab\tnew\nline\rret",
	"\x00\x01\x1f\x7f", "\b\f", "<script>&amp;</script>", "line\u2028para\u2029sep",
	"bad \xff utf-8 \xc3", "emoji 🎓", "trailing space ", "a/b",
}

// withMotto is the declaration of a student with one more field, motto, as a
// maintainer would add it to models.StudentFields. For want of a field of its
// own in Student, motto keeps its value in City: these tests are about where
// a declared field appears, not where it is stored.
func withMotto() models.Fields {
	motto := models.Field{Name: "motto", Column: "motto", Label: "Motto", Kind: models.KindText, MaxLength: 20,
		Text: func(s *models.Student) *string { return &s.City }}
	return models.NewFields(append(models.StudentFields().List(), motto)...)
}

// referenceStudent is s as encoding/json writes a struct of the fields fs
// declares, in their order, with their JSON names: the value the encoder is
// held to, built from the declaration by reflection so that it lists no
// field by hand.
func referenceStudent(fs models.Fields, s *models.Student) any {
	var sf []reflect.StructField
	for i := range fs.Len() {
		f := fs.At(i)
		typ := reflect.TypeFor[int64]()
		if f.Kind == models.KindText {
			typ = reflect.TypeFor[string]()
		}
		sf = append(sf, reflect.StructField{Name: fmt.Sprintf("F%d", i), Type: typ, Tag: reflect.StructTag(`json:"` + f.Name + `"`)})
	}
	v := reflect.New(reflect.StructOf(sf)).Elem()
	for i := range fs.Len() {
		f := fs.At(i)
		if f.Kind == models.KindText {
			v.Field(i).SetString(*f.Text(s))
		} else {
			v.Field(i).SetInt(*f.Int(s))
		}
	}
	return v.Interface()
}

// referencePage is DRF's page around list, as encoding/json writes it.
func referencePage(fs models.Fields, count int64, next, previous *string, list []models.Student) any {
	results := make([]any, len(list))
	for i := range list {
		results[i] = referenceStudent(fs, &list[i])
	}
	return struct {
		Count    int64   `json:"count"`
		Next     *string `json:"next"`
		Previous *string `json:"previous"`
		Results  []any   `json:"results"`
	}{count, next, previous, results}
}

// The student JSON is byte for byte what encoding/json writes for a struct of
// the declared fields, for one student, a list and a page.
func TestStudentJSON(t *testing.T) {
	fs := models.StudentFields()
	var all []models.Student
	for i, name := range jsonTrickyStrings {
		for _, city := range []string{"Pune", jsonTrickyStrings[len(jsonTrickyStrings)-1-i]} {
			s := models.Student{ID: int64(i + 1), Name: name, Roll: int64(i * 7), City: city}
			checkStudentJSON(t, students, fs, &s)
			all = append(all, s)
		}
	}
	for _, n := range []int64{0, -1, math.MaxInt64, math.MinInt64} {
		checkStudentJSON(t, students, fs, &models.Student{ID: n, Name: "n", Roll: n, City: "c"})
	}
	link := "http://example.com/studentapi/?page=2&search=<a>"
	for _, list := range [][]models.Student{{}, all[:1], all} {
		results := make([]any, len(list))
		for i := range list {
			results[i] = referenceStudent(fs, &list[i])
		}
		want, err := marshal(results)
		if err != nil {
			t.Fatal(err)
		}
		if got := students.appendList(nil, list); string(got) != string(want) {
			t.Errorf("list of %d:\n got %s\nwant %s", len(list), got, want)
		}
		for _, links := range [][2]*string{{nil, nil}, {&link, nil}, {nil, &link}, {&link, &link}} {
			want, err := marshal(referencePage(fs, int64(len(list))*3, links[0], links[1], list))
			if err != nil {
				t.Fatal(err)
			}
			if got := students.appendPage(nil, int64(len(list))*3, links[0], links[1], list); string(got) != string(want) {
				t.Errorf("page of %d:\n got %s\nwant %s", len(list), got, want)
			}
		}
	}
}

func checkStudentJSON(t *testing.T, e studentEncoder, fs models.Fields, s *models.Student) {
	t.Helper()
	want, err := marshal(referenceStudent(fs, s))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.append(nil, s); string(got) != string(want) {
		t.Errorf("%+v:\n got %s\nwant %s", s, got, want)
	}
}

func FuzzStudentJSON(f *testing.F) {
	for i, s := range jsonTrickyStrings {
		f.Add(int64(i), s, int64(-i), jsonTrickyStrings[len(jsonTrickyStrings)-1-i])
	}
	f.Fuzz(func(t *testing.T, id int64, name string, roll int64, city string) {
		checkStudentJSON(t, students, models.StudentFields(), &models.Student{ID: id, Name: name, Roll: roll, City: city})
	})
}

// A field added to the declaration appears in the JSON of a student, a list
// and a page, in OPTIONS with its rules, and in the browsable API's forms: the
// API lists no field by hand.
func TestStudentFieldDerived(t *testing.T) {
	fs := withMotto()
	s := &models.Student{ID: 7, Name: "Ravi", Roll: 10, City: "Be kind"}
	e := newStudentEncoder(fs)
	checkStudentJSON(t, e, fs, s)
	const wantOne = `{"id":7,"name":"Ravi","roll":10,"city":"Be kind","motto":"Be kind"}`
	if got := string(e.append(nil, s)); got != wantOne {
		t.Errorf("student: %s, want %s", got, wantOne)
	}
	if got, want := string(e.appendPage(nil, 1, nil, nil, []models.Student{*s})), `{"count":1,"next":null,"previous":null,"results":[`+wantOne+`]}`; got != want {
		t.Errorf("page: %s, want %s", got, want)
	}

	actions, err := marshal(describeFields(fs, http.MethodPost))
	if err != nil {
		t.Fatal(err)
	}
	const wantMotto = `"motto":{"type":"string","required":true,"read_only":false,"label":"Motto","max_length":20}}}`
	if !strings.HasSuffix(string(actions), wantMotto) {
		t.Errorf("OPTIONS actions: %s, want them to end with %s", actions, wantMotto)
	}

	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	v := &view{actions: func(*gin.Context) (map[string]any, error) { return describeFields(fs, http.MethodPut), nil }}
	forms := browsableForms(c, v, e.append(nil, s))
	var names []string
	for _, form := range forms {
		for _, field := range form.Fields {
			names = append(names, field.Name+"="+field.Value)
		}
	}
	if got, want := strings.Join(names, " "), "name=Ravi roll=10 city=Be kind motto=Be kind"; got != want {
		t.Errorf("browsable form fields: %s, want %s", got, want)
	}
}
