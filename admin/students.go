package admin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"studentapi/internal/fields"
	"studentapi/models"
)

// studentForm holds what was typed, so a refused form comes back as it was.
// Its inputs are the writable fields of models.StudentFields, in their order.
type studentForm struct {
	ID     int64
	Fields []formField
}

// formField is one input of a form and the messages refusing it.
type formField struct {
	Name, Label, Value string
	Numeric            bool
	Errors             []string
}

// newStudentForm is the form of the writable fields of fs, filled from st
// (nil: empty).
func newStudentForm(fs models.Fields, st *models.Student) studentForm {
	var f studentForm
	if st != nil {
		f.ID = st.ID
	}
	for i := range fs.Len() {
		field := fs.At(i)
		if field.ReadOnly {
			continue
		}
		ff := formField{Name: field.Name, Label: field.Label, Numeric: field.Kind == models.KindInteger}
		if st != nil {
			if field.Kind == models.KindText {
				ff.Value = *field.Text(st)
			} else {
				ff.Value = itoa(*field.Int(st))
			}
		}
		f.Fields = append(f.Fields, ff)
	}
	return f
}

// validate applies the form to st through the API's StudentSerializer, so a
// form says what the API would, and reports every failing field.
func (f *studentForm) validate(r *http.Request, st *models.Student) bool {
	// As a QueryDict answers (and the API reads a form), the last of repeated
	// fields counts.
	data := make(map[string]any, len(r.PostForm))
	for k, v := range r.PostForm {
		if len(v) > 0 {
			data[k] = v[len(v)-1]
		}
	}
	for i := range f.Fields {
		f.Fields[i].Value, _ = data[f.Fields[i].Name].(string)
		f.Fields[i].Errors = nil
	}
	err := fields.ValidateStudent(data, st, false)
	var invalid *fields.Errors
	if !errors.As(err, &invalid) {
		return err == nil // it reports nothing but *fields.Errors
	}
	for i := range f.Fields {
		f.Fields[i].Errors = invalid.Messages(f.Fields[i].Name)
	}
	return false
}

type column struct {
	Name, Label string
	Link        string // sorts by this column, or reverses it
	Sorted      string // "asc", "desc" or ""
}

type studentListData struct {
	Q       string
	Columns []column
	Rows    []studentRow
	Pager   pager
}

// studentRow is one student of the list: its values in the columns' order,
// the first of which links to its form.
type studentRow struct {
	models.Student
	Cells []string
}

// studentList answers ?q= (every term in name or city), ?o= (a column, "-"
// for descending) and ?page=.
func (s *site) studentList(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	q := r.URL.Query().Get("q")
	o := r.URL.Query().Get("o")
	terms, ok := s.searchTerms(w, r, v, q)
	if !ok {
		return
	}
	query := models.StudentQuery{Search: terms}
	fs := models.StudentFields()
	col, desc := strings.TrimPrefix(o, "-"), strings.HasPrefix(o, "-")
	sortBy, ok := fs.Lookup(col)
	if !ok { // by the first field, the id
		sortBy, desc = fs.At(0), false
		col = sortBy.Name
	}
	query.Ordering = []models.Order{{Column: sortBy.Column, Desc: desc}}
	count, err := s.DB.CountStudents(ctx, query)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	pg, offset := s.paginate(r, count)
	query.Limit, query.Offset = s.PageSize, offset
	students, err := s.DB.FindStudents(ctx, query)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	d := studentListData{Q: q, Columns: studentColumns(fs, col, desc, q), Rows: studentRows(fs, students), Pager: pg}
	s.render(w, r, http.StatusOK, "students", page{Title: "Students", Nav: "students", User: v.user, CSRF: v.csrf, Data: d})
}

// studentColumns are the columns of fs, the list sorted by the field called
// sorted (descending with desc) and searched for q.
func studentColumns(fs models.Fields, sorted string, desc bool, q string) []column {
	columns := make([]column, fs.Len())
	for i := range fs.Len() {
		f := fs.At(i)
		c := column{Name: f.Name, Label: f.Label}
		next := f.Name
		if f.Name == sorted {
			c.Sorted = "asc"
			if desc {
				c.Sorted = "desc"
			} else {
				next = "-" + f.Name
			}
		}
		c.Link = "?o=" + next
		if q != "" {
			c.Link += "&q=" + url.QueryEscape(q)
		}
		columns[i] = c
	}
	return columns
}

// studentRows are the rows of students in the columns of fs.
func studentRows(fs models.Fields, students []models.Student) []studentRow {
	rows := make([]studentRow, len(students))
	for i := range students {
		st := &students[i]
		rows[i] = studentRow{Student: *st, Cells: make([]string, fs.Len())}
		for j := range fs.Len() {
			if f := fs.At(j); f.Kind == models.KindText {
				rows[i].Cells[j] = *f.Text(st)
			} else {
				rows[i].Cells[j] = itoa(*f.Int(st))
			}
		}
	}
	return rows
}

func (s *site) renderStudentForm(w http.ResponseWriter, r *http.Request, v *visit, status int, f studentForm) {
	title := "Change student"
	if f.ID == 0 {
		title = "Add student"
	}
	s.render(w, r, status, "student_form", page{Title: title, Nav: "students", User: v.user, CSRF: v.csrf, Data: f})
}

func (s *site) studentAddForm(w http.ResponseWriter, r *http.Request, v *visit) {
	s.renderStudentForm(w, r, v, http.StatusOK, newStudentForm(models.StudentFields(), nil))
}

func (s *site) studentAdd(w http.ResponseWriter, r *http.Request, v *visit) {
	f := newStudentForm(models.StudentFields(), nil)
	var st models.Student
	if !f.validate(r, &st) {
		s.renderStudentForm(w, r, v, http.StatusBadRequest, f)
		return
	}
	if err := s.DB.CreateStudent(r.Context(), &st); err != nil {
		s.serverError(w, r, err)
		return
	}
	redirectFlash(w, r, "/admin/students/", "created")
}

// student loads the student of /admin/students/{id}/…; ok false has answered.
func (s *site) student(w http.ResponseWriter, r *http.Request, v *visit) (*models.Student, bool) {
	return loadByID(s, w, r, v, s.DB.Student)
}

func (s *site) studentEditForm(w http.ResponseWriter, r *http.Request, v *visit) {
	st, ok := s.student(w, r, v)
	if !ok {
		return
	}
	s.renderStudentForm(w, r, v, http.StatusOK, newStudentForm(models.StudentFields(), st))
}

func (s *site) studentEdit(w http.ResponseWriter, r *http.Request, v *visit) {
	st, ok := s.student(w, r, v)
	if !ok {
		return
	}
	f := newStudentForm(models.StudentFields(), st)
	if !f.validate(r, st) {
		s.renderStudentForm(w, r, v, http.StatusBadRequest, f)
		return
	}
	err := s.DB.UpdateStudent(r.Context(), st)
	if errors.Is(err, models.ErrNotFound) {
		s.notFound(w, r, v)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	redirectFlash(w, r, "/admin/students/", "saved")
}

func (s *site) studentDeleteForm(w http.ResponseWriter, r *http.Request, v *visit) {
	st, ok := s.student(w, r, v)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "confirm", page{Title: "Delete student", Nav: "students", User: v.user, CSRF: v.csrf, Data: confirmData{
		Question: fmt.Sprintf("Delete the student %s (roll %d, %s)?", st.Name, st.Roll, st.City),
		Detail:   "This cannot be undone.",
		Button:   "Yes, delete",
		Back:     "/admin/students/" + itoa(st.ID) + "/",
		Danger:   true,
	}})
}

func (s *site) studentDelete(w http.ResponseWriter, r *http.Request, v *visit) {
	st, ok := s.student(w, r, v)
	if !ok {
		return
	}
	if err := s.DB.DeleteStudent(r.Context(), st.ID); err != nil && !errors.Is(err, models.ErrNotFound) {
		s.serverError(w, r, err)
		return
	}
	redirectFlash(w, r, "/admin/students/", "deleted")
}
