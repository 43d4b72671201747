package admin

import (
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"studentapi/models"
)

// The messages of the API's StudentSerializer (DRF's CharField and
// IntegerField), word for word, so a form says what the API would.
const (
	msgBlank      = "This field may not be blank."
	msgNullChars  = "Null characters are not allowed."
	msgInvalidInt = "A valid integer is required."
	msgIntTooLong = "String value too large."
	maxNameLen    = 100
	maxIntStrLen  = 1000
)

func msgMaxLength(n int) string {
	return fmt.Sprintf("Ensure this field has no more than %d characters.", n)
}

// cleanChar is a form value through DRF's CharField(max_length=n): trimmed,
// not blank, not too long, no NUL.
func cleanChar(raw []string, n int) (string, []string) {
	if len(raw) == 0 {
		return "", []string{msgRequired}
	}
	s := strings.TrimFunc(raw[0], func(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) })
	if s == "" {
		return "", []string{msgBlank}
	}
	var errs []string
	if utf8.RuneCountInString(s) > n {
		errs = append(errs, msgMaxLength(n))
	}
	if strings.ContainsRune(s, 0) {
		errs = append(errs, msgNullChars)
	}
	return s, errs
}

// trailingZeros is DRF's re_decimal: "10.0" and "10." count as 10.
var trailingZeros = regexp.MustCompile(`\.0*\s*$`)

// cleanInt is a form value through DRF's IntegerField: Python's int() after
// dropping a ".0" tail; digits of any script count.
func cleanInt(raw []string) (int64, []string) {
	if len(raw) == 0 {
		return 0, []string{msgRequired}
	}
	s := raw[0]
	if utf8.RuneCountInString(s) > maxIntStrLen {
		return 0, []string{msgIntTooLong}
	}
	s = strings.TrimFunc(trailingZeros.ReplaceAllString(s, ""), unicode.IsSpace)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	if s == "" || strings.HasPrefix(s, "_") || strings.HasSuffix(s, "_") || strings.Contains(s, "__") {
		return 0, []string{msgInvalidInt}
	}
	var digits strings.Builder
	if neg {
		digits.WriteByte('-')
	}
	for _, r := range strings.ReplaceAll(s, "_", "") {
		if !unicode.IsDigit(r) {
			return 0, []string{msgInvalidInt}
		}
		zero := r
		for unicode.IsDigit(zero - 1) {
			zero--
		}
		digits.WriteByte(byte('0' + (r-zero)%10))
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	if !ok || !n.IsInt64() {
		return 0, []string{msgInvalidInt}
	}
	return n.Int64(), nil
}

// studentForm holds what was typed, so a refused form comes back as it was.
type studentForm struct {
	ID     int64
	Name   string
	Roll   string
	City   string
	Errors fieldErrors
}

// validate applies the form to st, reporting every failing field.
func (f *studentForm) validate(r *http.Request, st *models.Student) bool {
	f.Errors = fieldErrors{}
	f.Name, f.Roll, f.City = r.PostForm.Get("name"), r.PostForm.Get("roll"), r.PostForm.Get("city")
	if v, errs := cleanChar(r.PostForm["name"], maxNameLen); errs == nil {
		st.Name = v
	} else {
		f.Errors["name"] = errs
	}
	if v, errs := cleanInt(r.PostForm["roll"]); errs == nil {
		st.Roll = v
	} else {
		f.Errors["roll"] = errs
	}
	if v, errs := cleanChar(r.PostForm["city"], maxNameLen); errs == nil {
		st.City = v
	} else {
		f.Errors["city"] = errs
	}
	return len(f.Errors) == 0
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
	query := models.StudentQuery{Search: searchTerms(q)}
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
	id, ok := s.pathID(w, r, v)
	if !ok {
		return nil, false
	}
	st, err := s.DB.Student(r.Context(), id)
	if errors.Is(err, models.ErrNotFound) {
		s.notFound(w, r, v)
		return nil, false
	}
	if err != nil {
		s.serverError(w, r, err)
		return nil, false
	}
	return st, true
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
