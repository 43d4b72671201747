package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"studentapi/models"
)

// parseFuzzBody runs parseBody on one request outside any router.
func parseFuzzBody(contentType string, body []byte) (requestData, error) {
	gin.SetMode(gin.TestMode)
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodPost, "/studentapi/", bytes.NewReader(body))
	c.Request.Header.Set("Content-Type", contentType)
	c.Request.Body = http.MaxBytesReader(nil, c.Request.Body, 1<<16)
	return parseBody(c)
}

// answerable reports whether err becomes a 4xx in the contract's format.
func answerable(err error) bool {
	var (
		detail *detailError
		fields *fieldErrors
		tooBig *http.MaxBytesError
	)
	switch {
	case errors.As(err, &detail):
		return detail.status >= 400 && detail.status < 500
	case errors.As(err, &fields), errors.As(err, &tooBig):
		return true
	}
	return false
}

// FuzzParseBody: JSON, form and multipart bodies never panic, and every
// failure is a 4xx in the contract's format (never a 500).
func FuzzParseBody(f *testing.F) {
	f.Add("application/json", []byte(`{"name":"Ravi","roll":10,"city":"Ranchi"}`))
	f.Add("application/json", []byte(`[1,2]`))
	f.Add("application/json", []byte(`{"name":"\ud800"}`))
	f.Add("application/json", []byte(`{"a":{"b":[[[[]]]]}}`))
	f.Add("application/x-www-form-urlencoded", []byte("name=a&name=b&roll=%zz"))
	f.Add("multipart/form-data; boundary=X", []byte("--X\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nRavi\r\n--X--\r\n"))
	f.Add("text/plain", []byte("hello"))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		data, err := parseFuzzBody(contentType, body)
		if err != nil {
			if !answerable(err) {
				t.Fatalf("parseBody(%q, %q) = %v: not a contract 4xx", contentType, body, err)
			}
			return
		}
		if data == nil {
			t.Fatal("nil data without error")
		}
	})
}

// FuzzValidateStudent: whatever JSON object arrives, validation either
// reports field errors or yields a student whose strings are trimmed, at most
// 100 characters, and free of NUL; it never panics.
func FuzzValidateStudent(f *testing.F) {
	f.Add([]byte(`{"name":" Ravi ","roll":"10.0","city":"Ranchi"}`), false)
	f.Add([]byte(`{"name":123,"roll":1e3,"city":null}`), false)
	f.Add([]byte(`{"roll":"+5"}`), true)
	f.Add([]byte(`{"name":[],"roll":true,"city":{}}`), false)
	f.Add([]byte(`{"roll":123456789012345678901234567890}`), true)
	f.Fuzz(func(t *testing.T, body []byte, partial bool) {
		data, err := parseJSON(body)
		if err != nil {
			if !answerable(err) {
				t.Fatalf("parseJSON(%q) = %v: not a contract 4xx", body, err)
			}
			return
		}
		var s models.Student
		if err := validateStudent(data, &s, partial); err != nil {
			var fields *fieldErrors
			if !errors.As(err, &fields) {
				t.Fatalf("validateStudent = %v, want field errors", err)
			}
			if _, err := json.Marshal(fields); err != nil {
				t.Fatalf("field errors do not encode: %v", err)
			}
			return
		}
		for _, v := range []string{s.Name, s.City} {
			if len([]rune(v)) > 100 || bytes.ContainsRune([]byte(v), 0) || v != pythonStrip(v) {
				t.Fatalf("accepted %q from %q", v, body)
			}
		}
	})
}
