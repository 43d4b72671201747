package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"studentapi/internal/fields"
	"studentapi/internal/proxies"
	"studentapi/models"
)

// studentJSON is a student on the wire.
type studentJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Roll int64  `json:"roll"`
	City string `json:"city"`
}

func toStudentJSON(s *models.Student) studentJSON {
	return studentJSON{ID: s.ID, Name: s.Name, Roll: s.Roll, City: s.City}
}

// appendStudent appends s as marshal writes its studentJSON, byte for byte,
// without encoding/json's reflection, which was a sixth of the time of a list
// of 100. TestStudentJSONByHand and FuzzStudentJSON hold the two together.
func appendStudent(b []byte, s *models.Student) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, s.ID, 10)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, s.Name)
	b = append(b, `,"roll":`...)
	b = strconv.AppendInt(b, s.Roll, 10)
	b = append(b, `,"city":`...)
	b = appendJSONString(b, s.City)
	return append(b, '}')
}

// appendStudents appends the JSON array of students.
func appendStudents(b []byte, students []models.Student) []byte {
	b = append(b, '[')
	for i := range students {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendStudent(b, &students[i])
	}
	return append(b, ']')
}

// appendJSONString appends s as a JSON string. Printable ASCII other than the
// quote and the backslash stands for itself; a string with anything else goes
// through marshal, so that every escape is encoding/json's own.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			quoted, err := marshal(s)
			if err != nil { // a string always encodes; never taken
				quoted = []byte(`""`)
			}
			return append(b, quoted...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// describeField is f in OPTIONS metadata.
func describeField(f fields.StudentField) fieldInfo {
	fi := fieldInfo{Type: "integer", Required: !f.ReadOnly, ReadOnly: f.ReadOnly, Label: f.Label}
	if f.Char != nil {
		fi.Type, fi.MaxLength = "string", f.Char.MaxLength
	}
	return fi
}

// studentActions is the "actions" object of OPTIONS for one method.
func studentActions(method string) map[string]any {
	all := fields.StudentFields()
	described := make(object[fieldInfo], 0, len(all))
	for _, f := range all {
		described = append(described, member[fieldInfo]{f.Name, describeField(f)})
	}
	return map[string]any{method: described}
}

type studentHandlers struct {
	db      *models.DB
	pages   Pagination
	proxies *proxies.Trusted
}

// studentPage is DRF's PageNumberPagination body.
type studentPage struct {
	Count    int64         `json:"count"`
	Next     *string       `json:"next"`
	Previous *string       `json:"previous"`
	Results  []studentJSON `json:"results"`
}

func toStudentsJSON(students []models.Student) []studentJSON {
	out := make([]studentJSON, len(students))
	for i := range students {
		out[i] = toStudentJSON(&students[i])
	}
	return out
}

// list filters, searches and orders, then answers one page, or the plain array
// when pagination is off. A page costs a count and a LIMIT query, never the
// whole table.
func (h studentHandlers) list(c *gin.Context) error {
	params := queryParams(c)
	q, err := studentQuery(params)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	if h.pages.PageSize <= 0 {
		students, err := h.db.FindStudents(ctx, q)
		if err != nil {
			return err
		}
		writeBody(c, http.StatusOK, appendStudents(make([]byte, 0, 64*len(students)+2), students))
		return nil
	}
	count, err := h.db.CountStudents(ctx, q)
	if err != nil {
		return err
	}
	req := h.pages.request(params)
	number, err := req.number(count)
	if err != nil {
		return err
	}
	q.Limit, q.Offset = req.size, int((number-1)*int64(req.size))
	students, err := h.db.FindStudents(ctx, q)
	if err != nil {
		return err
	}
	next, previous := pageLinks(c, h.proxies, number, count, req.size)
	writeJSON(c, http.StatusOK, studentPage{Count: count, Next: next, Previous: previous, Results: toStudentsJSON(students)})
	return nil
}

func (h studentHandlers) create(c *gin.Context) error {
	data, err := parseBody(c)
	if err != nil {
		return err
	}
	var s models.Student
	if err := fields.ValidateStudent(data, &s, false); err != nil {
		return err
	}
	if err := h.db.CreateStudent(c.Request.Context(), &s); err != nil {
		return err
	}
	writeBody(c, http.StatusCreated, appendStudent(make([]byte, 0, 128), &s))
	return nil
}

// lookup finds the student named by the URL. An id that is not an integer, or
// not one in 64 bits, is simply not found, as get_object_or_404 has it. As in
// DRF's get_object, the list's filters apply too: /studentapi/5/?city=Pune is
// 404 unless student 5 lives in Pune.
func (h studentHandlers) lookup(c *gin.Context) (*models.Student, error) {
	id, ok := pathPK(c)
	if !ok {
		return nil, errNotFound
	}
	q, err := studentQuery(queryParams(c))
	if err != nil {
		return nil, err
	}
	q.ID = &id
	found, err := h.db.FindStudents(c.Request.Context(), q)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, errNotFound
	}
	return &found[0], nil
}

func (h studentHandlers) retrieve(c *gin.Context) error {
	s, err := h.lookup(c)
	if err != nil {
		return err
	}
	writeBody(c, http.StatusOK, appendStudent(make([]byte, 0, 128), s))
	return nil
}

func (h studentHandlers) update(partial bool) handler {
	return func(c *gin.Context) error {
		s, err := h.lookup(c)
		if err != nil {
			return err
		}
		data, err := parseBody(c)
		if err != nil {
			return err
		}
		if err := fields.ValidateStudent(data, s, partial); err != nil {
			return err
		}
		if err := h.db.UpdateStudent(c.Request.Context(), s); err != nil {
			return err
		}
		writeBody(c, http.StatusOK, appendStudent(make([]byte, 0, 128), s))
		return nil
	}
}

func (h studentHandlers) destroy(c *gin.Context) error {
	s, err := h.lookup(c)
	if err != nil {
		return err
	}
	if err := h.db.DeleteStudent(c.Request.Context(), s.ID); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	c.Writer.WriteHeaderNow()
	return nil
}

// detailActions offers PUT only for a student that exists, as DRF's
// SimpleMetadata drops the action when get_object fails.
func (h studentHandlers) detailActions(c *gin.Context) (map[string]any, error) {
	if _, err := h.lookup(c); err != nil {
		var detail *detailError
		var invalid *fields.Errors
		if errors.As(err, &detail) || errors.As(err, &invalid) || errors.Is(err, models.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	return studentActions(http.MethodPut), nil
}

func (h studentHandlers) listActions(*gin.Context) (map[string]any, error) {
	return studentActions(http.MethodPost), nil
}
