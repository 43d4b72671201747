package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"studentapi/internal/fields"
	"studentapi/internal/ordered"
	"studentapi/internal/proxies"
	"studentapi/models"
)

// studentEncoder writes students as JSON, the fields models.StudentFields
// declares in their order: what encoding/json would write for a struct of
// them, byte for byte, without its reflection, which was a sixth of the time
// of a list of 100. TestStudentJSON and FuzzStudentJSON hold the two together.
type studentEncoder []jsonField

// jsonField is one field of a studentEncoder.
type jsonField struct {
	key  string // the key with what comes before it: `{"id":` first, `,"name":` after
	kind models.Kind
	int  func(*models.Student) *int64
	text func(*models.Student) *string
}

// students is the API's encoder of a student, built once from the declaration.
var students = newStudentEncoder(models.StudentFields())

func newStudentEncoder(fs models.Fields) studentEncoder {
	e := make(studentEncoder, fs.Len())
	for i := range fs.Len() {
		f := fs.At(i)
		sep := ","
		if i == 0 {
			sep = "{"
		}
		e[i] = jsonField{key: string(appendJSONString([]byte(sep), f.Name)) + ":", kind: f.Kind, int: f.Int, text: f.Text}
	}
	return e
}

// append appends the JSON object of s.
func (e studentEncoder) append(b []byte, s *models.Student) []byte {
	if len(e) == 0 {
		return append(b, "{}"...)
	}
	for i := range e {
		f := &e[i]
		b = append(b, f.key...)
		if f.kind == models.KindText {
			b = appendJSONString(b, *f.text(s))
		} else {
			b = strconv.AppendInt(b, *f.int(s), 10)
		}
	}
	return append(b, '}')
}

// appendList appends the JSON array of list. The list handler streams the
// same bytes row by row (eachStudent).
func (e studentEncoder) appendList(b []byte, list []models.Student) []byte {
	b = append(b, '[')
	for i := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = e.append(b, &list[i])
	}
	return append(b, ']')
}

// appendPage appends DRF's PageNumberPagination body around list: count, the
// links to the next and previous pages (null when there is none), results.
// The list handler streams the same bytes: appendPageHead, the rows, "]}".
func (e studentEncoder) appendPage(b []byte, count int64, next, previous *string, list []models.Student) []byte {
	b = e.appendPageHead(b, count, next, previous)
	b = e.appendList(b, list)
	return append(b, '}')
}

// appendPageHead appends a page's body up to its results' array.
func (e studentEncoder) appendPageHead(b []byte, count int64, next, previous *string) []byte {
	b = append(b, `{"count":`...)
	b = strconv.AppendInt(b, count, 10)
	b = append(b, `,"next":`...)
	b = appendNullableString(b, next)
	b = append(b, `,"previous":`...)
	b = appendNullableString(b, previous)
	return append(b, `,"results":`...)
}

// sizeHint is room for the JSON of n students in one allocation, most times.
func sizeHint(n int) int { return 64*n + 64 }

// appendNullableString appends s as a JSON string, or null for nil.
func appendNullableString(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendJSONString(b, *s)
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
func describeField(f models.Field) fieldInfo {
	fi := fieldInfo{Type: "integer", Required: !f.ReadOnly, ReadOnly: f.ReadOnly, Label: f.Label}
	if f.Kind == models.KindText {
		fi.Type, fi.MaxLength = "string", f.MaxLength
	}
	return fi
}

// describeFields is the "actions" object of OPTIONS for one method over fs.
func describeFields(fs models.Fields, method string) map[string]any {
	described := make(ordered.Object[fieldInfo], 0, fs.Len())
	for i := range fs.Len() {
		f := fs.At(i)
		described = append(described, ordered.Member[fieldInfo]{Key: f.Name, Value: describeField(f)})
	}
	return map[string]any{method: described}
}

// studentActions is the "actions" object of OPTIONS for one method.
func studentActions(method string) map[string]any {
	return describeFields(models.StudentFields(), method)
}

type studentHandlers struct {
	db      *models.DB
	pages   Pagination
	proxies *proxies.Trusted
	// names are the body fields a write reads: the names of
	// models.StudentFields (see studentFieldNames).
	names []string
}

// studentFieldNames is the names of models.StudentFields, the only fields of
// a body that fields.ValidateStudent reads, made once for every write.
func studentFieldNames() []string {
	fs := models.StudentFields()
	names := make([]string, fs.Len())
	for i := range names {
		names[i] = fs.At(i).Name
	}
	return names
}

// list filters, searches and orders, then answers one page, or the plain array
// when pagination is off. A page costs a count and a LIMIT query, never the
// whole table. Either is written as its rows are read (see stream.go).
func (h studentHandlers) list(c *gin.Context) error {
	params := queryParams(c)
	q, err := studentQuery(params)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	if h.pages.PageSize <= 0 {
		w := newListWriter(c, sizeHint(100), "]")
		w.buf = append(w.buf, '[')
		return w.finish(h.eachStudent(ctx, q, w))
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
	next, previous := pageLinks(c, h.proxies, number, count, req.size)
	rows := int(min(int64(req.size), max(0, count-int64(q.Offset)), streamBound)) // the buffer holds no more
	w := newListWriter(c, sizeHint(rows)+len(`{"count":,"next":,"previous":,"results":[]}`)+64, "]}")
	w.buf = students.appendPageHead(w.buf, count, next, previous)
	w.buf = append(w.buf, '[')
	return w.finish(h.eachStudent(ctx, q, w))
}

// eachStudent appends the students q selects to w, comma-separated, spilling
// as w fills.
func (h studentHandlers) eachStudent(ctx context.Context, q models.StudentQuery, w *listWriter) error {
	first := true
	return h.db.EachStudent(ctx, q, func(s *models.Student) error {
		if !first {
			w.buf = append(w.buf, ',')
		}
		first = false
		w.buf = students.append(w.buf, s)
		return w.spill()
	})
}

func (h studentHandlers) create(c *gin.Context) error {
	data, err := parseBody(c, h.names...)
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
	writeBody(c, http.StatusCreated, students.append(make([]byte, 0, sizeHint(1)), &s))
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
	return writeRepresentation(c, students.append(make([]byte, 0, sizeHint(1)), s))
}

// lookupToWrite is lookup for a PUT, PATCH or DELETE: with If-Match, a row
// that is not there is 412, not 404 (RFC 9110 13.1.1: no current
// representation matches).
func (h studentHandlers) lookupToWrite(c *gin.Context, ifMatch []string) (*models.Student, error) {
	s, err := h.lookup(c)
	if err == errNotFound && len(ifMatch) > 0 {
		return nil, errPreconditionFailed
	}
	return s, err
}

// rejudgeLimit bounds how often a conditional write is judged again against
// a row that changed between its read and its write. Each time, another
// write has succeeded, so a client loses only to as many writers as there
// are: 16 concurrent conditional writers of one row all get their answer.
const rejudgeLimit = 16

func (h studentHandlers) update(partial bool) handler {
	return func(c *gin.Context) error {
		ifMatch := c.Request.Header["If-Match"]
		var data requestData
		for attempt := 0; ; attempt++ {
			s, err := h.lookupToWrite(c, ifMatch)
			if err != nil {
				return err
			}
			read := *s
			if attempt == 0 { // the body is read once, after the lookup, as in DRF
				if data, err = parseBody(c, h.names...); err != nil {
					return err
				}
			}
			if err := fields.ValidateStudent(data, s, partial); err != nil {
				return err
			}
			// Judged after validation, as DRF judges the body before it
			// writes; the write itself checks again that the row is still
			// as read.
			was, err := precondition(c.Request.Header, &read)
			if err != nil {
				return err
			}
			// A PUT replaces the row; a PATCH writes only the fields its body
			// names, so that concurrent PATCHes of different fields all hold,
			// and answers the row as its write left it, others' changes
			// included.
			ctx := c.Request.Context()
			switch {
			case partial && was != nil:
				err = h.db.UpdateStudentFieldsIf(ctx, s, fields.Named(data), was)
			case partial:
				err = h.db.UpdateStudentFields(ctx, s, fields.Named(data))
			case was != nil:
				err = h.db.UpdateStudentIf(ctx, s, was)
			default:
				err = h.db.UpdateStudent(ctx, s)
			}
			if changedSinceRead(err, attempt) {
				continue
			}
			if err != nil {
				return writeFailed(err, ifMatch)
			}
			body := students.append(make([]byte, 0, sizeHint(1)), s)
			setTag(c, body) // the new tag, for the client's next conditional write
			writeBody(c, http.StatusOK, body)
			return nil
		}
	}
}

func (h studentHandlers) destroy(c *gin.Context) error {
	ifMatch := c.Request.Header["If-Match"]
	for attempt := 0; ; attempt++ {
		s, err := h.lookupToWrite(c, ifMatch)
		if err != nil {
			return err
		}
		was, err := precondition(c.Request.Header, s)
		if err != nil {
			return err
		}
		if was != nil {
			err = h.db.DeleteStudentIf(c.Request.Context(), was)
		} else {
			err = h.db.DeleteStudent(c.Request.Context(), s.ID)
		}
		if changedSinceRead(err, attempt) {
			continue
		}
		if err != nil {
			return writeFailed(err, ifMatch)
		}
		c.Status(http.StatusNoContent)
		c.Writer.WriteHeaderNow()
		return nil
	}
}

// changedSinceRead reports whether a conditional write failed because the
// row changed after it was read and judged, and may be judged again: the
// new row may pass the conditions (If-None-Match naming a tag it does not
// have) or fail them (412 then, judged on the row as it is, or 404 if it
// is gone). Past rejudgeLimit, the write is 412.
func changedSinceRead(err error, attempt int) bool {
	return errors.Is(err, models.ErrChanged) && attempt < rejudgeLimit
}

func writeFailed(err error, ifMatch []string) error {
	if len(ifMatch) > 0 && errors.Is(err, models.ErrNotFound) {
		return errPreconditionFailed
	}
	return err
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
