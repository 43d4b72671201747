package api

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// A multipart body gives the view its named fields' values, the last of a
// repeated one; a file named as a field is that field's value, before or
// after a plain value (DRF's request.data appends files), and refused as no
// string; past 1000 parts the body is refused.
func TestMultipartFields(t *testing.T) {
	e := newEnv(t)
	post := func(build func(w *multipart.Writer)) *httptest.ResponseRecorder {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		build(w)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/studentapi/", &b)
		req.Header.Set("Content-Type", w.FormDataContentType())
		req.Header.Set("Authorization", e.keyword+" "+e.keys["alice"])
		return e.serve(req)
	}
	field := func(w *multipart.Writer, name, value string) {
		if err := w.WriteField(name, value); err != nil {
			t.Fatal(err)
		}
	}
	w := post(func(w *multipart.Writer) {
		field(w, "name", "First")
		fw, err := w.CreateFormFile("city", "city.txt")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte("Pune"))
		field(w, "roll", "7")
		field(w, "name", "Last")
		field(w, "unread", "x")
	})
	if want := `{"city":["Not a valid string."]}`; w.Code != http.StatusBadRequest || w.Body.String() != want {
		t.Errorf("a file for a field: %d %s, want 400 %s", w.Code, w.Body, want)
	}
	w = post(func(w *multipart.Writer) {
		field(w, "name", "First")
		field(w, "name", "Last")
		field(w, "roll", "7")
		field(w, "city", "Pune")
	})
	if w.Code != http.StatusCreated || !bytes.Contains(w.Body.Bytes(), []byte(`"name":"Last","roll":7,"city":"Pune"`)) {
		t.Errorf("repeated name: %d %s, want 201 with the last", w.Code, w.Body)
	}
	w = post(func(w *multipart.Writer) {
		for i := range maxParts + 1 {
			field(w, "f"+strconv.Itoa(i), "1")
		}
	})
	if want := `{"detail":"Multipart form parse error - multipart: message too large"}`; w.Code != http.StatusBadRequest || w.Body.String() != want {
		t.Errorf("1001 parts: %d %s, want 400 %s", w.Code, w.Body, want)
	}
}
