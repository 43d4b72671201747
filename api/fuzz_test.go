package api

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"studentapi/internal/fields"
)

// parseFuzzBody runs parseBody on one request outside any router.
func parseFuzzBody(contentType string, body []byte) (requestData, error) {
	gin.SetMode(gin.TestMode)
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodPost, "/studentapi/", bytes.NewReader(body))
	c.Request.Header.Set("Content-Type", contentType)
	c.Request.Body = http.MaxBytesReader(nil, c.Request.Body, 1<<16)
	return parseBody(c, "name", "roll", "city", "username", "password")
}

// answerable reports whether err becomes a 4xx in the contract's format.
func answerable(err error) bool {
	var (
		detail  *detailError
		invalid *fields.Errors
		tooBig  *http.MaxBytesError
	)
	switch {
	case errors.As(err, &detail):
		return detail.status >= 400 && detail.status < 500
	case errors.As(err, &invalid), errors.As(err, &tooBig):
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
