package fields

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"studentapi/models"
)

// decodeObject decodes body as DRF's JSON parser hands data to a serializer:
// numbers kept as written, and only an object counts.
func decodeObject(body []byte) (map[string]any, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var data map[string]any
	if err := dec.Decode(&data); err != nil || data == nil {
		return nil, false
	}
	return data, true
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
		data, ok := decodeObject(body)
		if !ok {
			return // not an object: the parser's business (api's FuzzParseBody)
		}
		var s models.Student
		if err := ValidateStudent(data, &s, partial); err != nil {
			var fields *Errors
			if !errors.As(err, &fields) {
				t.Fatalf("ValidateStudent = %v, want field errors", err)
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
