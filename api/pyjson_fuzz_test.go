package api

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// pythonJSONError never panics, and agrees with encoding/json on what is
// JSON: a valid body has no error, and every invalid one has Python's
// (TestJSONErrorsInDRFsWords holds its words to DRF's).
func FuzzPythonJSONError(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[1,]`, `{"a":"\ud800\u12"}`, "\"\xed\xbb", `{"a":NaN}`, `"\u00e9`, `1e`, `{"é":1,x}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		msg, refused := pythonJSONError(body)
		if !utf8.Valid(body) {
			return // decodedText decides first, and may hold a tail back
		}
		if valid := json.Valid(body); valid == refused {
			t.Errorf("%q: encoding/json says valid %v, pythonJSONError refused %v (%q)", body, valid, refused, msg)
		}
	})
}
