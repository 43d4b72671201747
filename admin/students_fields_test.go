package admin

import (
	"bytes"
	"html/template"
	"strings"
	"testing"

	"studentapi/models"
)

// withMotto is the declaration of a student with one more field, motto, as a
// maintainer would add it to models.StudentFields. For want of a field of its
// own in Student, motto keeps its value in City: this test is about where a
// declared field appears, not where it is stored.
func withMotto() models.Fields {
	motto := models.Field{Name: "motto", Column: "motto", Label: "Motto", Kind: models.KindText, MaxLength: 20,
		Text: func(s *models.Student) *string { return &s.City }}
	return models.NewFields(append(models.StudentFields().List(), motto)...)
}

// renderPage renders the admin template name around data.
func renderPage(t *testing.T, name string, data any) string {
	t.Helper()
	tpl, err := template.New(name+".html").Funcs(funcs).ParseFS(files, "templates/base.html", "templates/pager.html", "templates/"+name+".html")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := tpl.ExecuteTemplate(&b, "base", page{Data: data}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// A field added to the declaration has its input in the student form, filled
// from the student, and its column, sortable, in the list: the admin lists no
// field by hand.
func TestStudentFieldDerived(t *testing.T) {
	fs := withMotto()
	st := &models.Student{ID: 3, Name: "Ravi", Roll: 10, City: "Be kind"}

	form := renderPage(t, "student_form", newStudentForm(fs, st))
	for _, want := range []string{
		`<label for="motto">Motto</label>`,
		`<input id="motto" name="motto" value="Be kind">`,
		`<input id="roll" name="roll" value="10" inputmode="numeric">`,
	} {
		if !strings.Contains(form, want) {
			t.Errorf("student form lacks %s:\n%s", want, form)
		}
	}
	if strings.Contains(form, `name="id"`) {
		t.Errorf("student form has an input for the read-only id:\n%s", form)
	}

	list := renderPage(t, "students", studentListData{
		Columns: studentColumns(fs, "motto", true, ""),
		Rows:    studentRows(fs, []models.Student{*st}),
	})
	for _, want := range []string{
		`<th class="sorted-desc" aria-sort="descending"><a href="?o=motto" id="sort-motto">Motto</a></th>`,
		"<td><a href=\"/admin/students/3/\">3</a></td>\n  <td>Ravi</td>\n  <td>10</td>\n  <td>Be kind</td>\n  <td>Be kind</td>\n</tr>",
	} {
		if !strings.Contains(list, want) {
			t.Errorf("student list lacks %s:\n%s", want, list)
		}
	}
	empty := renderPage(t, "students", studentListData{Columns: studentColumns(fs, "id", false, "")})
	if want := `<td colspan="5">No students.</td>`; !strings.Contains(empty, want) {
		t.Errorf("empty student list lacks %s:\n%s", want, empty)
	}
}
