package fields

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"unicode"

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

// pythonIntBig is the reference for FuzzPythonInt, written another way than
// PythonInt so that the two do not share a mistake: the groups between
// underscores must each be non-empty runs of decimal digits (an underscore
// byte is never part of a longer UTF-8 sequence, so splitting the bytes splits
// the runes), and the digits, made ASCII, are range-checked through math/big.
func pythonIntBig(s string) (int64, bool) {
	s = strings.TrimFunc(s, unicode.IsSpace)
	sign := ""
	if s != "" && (s[0] == '+' || s[0] == '-') {
		sign, s = s[:1], s[1:]
	}
	ascii := []byte(sign)
	for _, group := range strings.Split(s, "_") {
		if group == "" {
			return 0, false // empty input, or an underscore leading, trailing or doubled
		}
		for _, r := range group {
			d, ok := digitValue(r)
			if !ok {
				return 0, false
			}
			ascii = append(ascii, byte('0'+d))
		}
	}
	n, ok := new(big.Int).SetString(string(ascii), 10)
	if !ok || !n.IsInt64() {
		return 0, false
	}
	return n.Int64(), true
}

// FuzzPythonInt: the allocation-free PythonInt agrees with the math/big
// reference on every input, the 64-bit bounds above all.
func FuzzPythonInt(f *testing.F) {
	for _, s := range []string{
		"0", "-0", "+7", " 12 ", "1_000", "١٢٣", "9223372036854775807", "9223372036854775808",
		"-9223372036854775808", "-9223372036854775809", "18446744073709551616", "00000000000000000000001",
		"_1", "1__2", "１２", "\u00a07", "-", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := PythonInt(s)
		want, wantOK := pythonIntBig(s)
		if got != want || ok != wantOK {
			t.Fatalf("PythonInt(%q) = %d, %v; the math/big reference says %d, %v", s, got, ok, want, wantOK)
		}
	})
}
