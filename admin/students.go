package admin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"studentapi/internal/fields"
	"studentapi/models"
)

// studentForm holds what was typed, so a refused form comes back as it was.
type studentForm struct {
	ID     int64
	Name   string
	Roll   string
	City   string
	Errors fieldErrors
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
	f.Name, _ = data["name"].(string)
	f.Roll, _ = data["roll"].(string)
	f.City, _ = data["city"].(string)
	f.Errors = fieldErrors{}
	err := fields.ValidateStudent(data, st, false)
	var invalid *fields.Errors
	if !errors.As(err, &invalid) {
		return err == nil // it reports nothing but *fields.Errors
	}
	for _, field := range fields.StudentFields() {
		if msgs := invalid.Messages(field.Name); msgs != nil {
			f.Errors[field.Name] = msgs
		}
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
	Rows    []models.Student
	Pager   pager
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
	col, desc := strings.TrimPrefix(o, "-"), strings.HasPrefix(o, "-")
	if !slices.Contains(models.StudentColumns, col) {
		col, desc, o = "id", false, ""
	}
	query.Ordering = []models.Order{{Column: col, Desc: desc}}
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
	d := studentListData{Q: q, Rows: students, Pager: pg}
	for _, c := range []struct{ name, label string }{{"id", "ID"}, {"name", "Name"}, {"roll", "Roll"}, {"city", "City"}} {
		next, sorted := c.name, ""
		if c.name == col {
			sorted = "asc"
			if desc {
				sorted = "desc"
			} else {
				next = "-" + c.name
			}
		}
		link := "?o=" + next
		if q != "" {
			link += "&q=" + url.QueryEscape(q)
		}
		d.Columns = append(d.Columns, column{Name: c.name, Label: c.label, Link: link, Sorted: sorted})
	}
	s.render(w, r, http.StatusOK, "students", page{Title: "Students", Nav: "students", User: v.user, CSRF: v.csrf, Data: d})
}

func (s *site) renderStudentForm(w http.ResponseWriter, r *http.Request, v *visit, status int, f studentForm) {
	title := "Change student"
	if f.ID == 0 {
		title = "Add student"
	}
	s.render(w, r, status, "student_form", page{Title: title, Nav: "students", User: v.user, CSRF: v.csrf, Data: f})
}

func (s *site) studentAddForm(w http.ResponseWriter, r *http.Request, v *visit) {
	s.renderStudentForm(w, r, v, http.StatusOK, studentForm{})
}

func (s *site) studentAdd(w http.ResponseWriter, r *http.Request, v *visit) {
	var f studentForm
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
	s.renderStudentForm(w, r, v, http.StatusOK, studentForm{ID: st.ID, Name: st.Name, Roll: itoa(st.Roll), City: st.City})
}

func (s *site) studentEdit(w http.ResponseWriter, r *http.Request, v *visit) {
	st, ok := s.student(w, r, v)
	if !ok {
		return
	}
	f := studentForm{ID: st.ID}
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
