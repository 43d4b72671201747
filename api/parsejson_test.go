package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// parseJSONTree is how parseJSON worked before it stopped building the whole
// tree: one json.Decoder value, then Python's "Extra data". It stays here as
// the reference for what parseJSON must accept, refuse and keep; both word
// a refusal with describeJSONError, which TestJSONErrorsInDRFsWords holds to
// DRF's own words.
func parseJSONTree(body []byte, names []string) (requestData, error) {
	given, body, err := jsonText(body)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errParse("JSON parse error - " + describeJSONError(given, err))
	}
	if rest := bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return nil, errParse("JSON parse error - " + describeJSONError(given, errors.New("extra data")))
	}
	obj, ok := v.(map[string]any)
	switch {
	case v == nil:
		return nil, nonFieldError("No data provided")
	case !ok:
		typ, _ := json.Marshal(v)
		return nil, nonFieldError(fmt.Sprintf("Invalid data. Expected a dictionary, but got %s.", pythonTypeName(typ)))
	}
	data := requestData{}
	for _, name := range names {
		switch x, ok := obj[name]; x.(type) {
		case []any:
			data[name] = []any{}
		case map[string]any:
			data[name] = map[string]any{}
		default:
			if ok {
				data[name] = x
			}
		}
	}
	return data, nil
}

// jsonCorpus is bodies that exercise every branch of parsing: each one, each
// of its prefixes and each with one byte changed are compared.
var jsonCorpus = []string{
	`{"name":"Ravi","roll":10,"city":"Ranchi"}`,
	` {"name" : [1, {"a": [true, false, null]}, "x"] , "roll": -1.5e3 ,"city":{}} `,
	`{"n\u0061me":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00","name":"last","roll":"7"}`,
	`{"name":"\ud800x","city":"\udc00\ud800","roll":"\ud83d"}`,
	"{\n\"name\":\t1,\r\n\"roll\":[[[]]]}\n",
	`[{"name":"a"}, 1]`,
	`"str"`, `12`, `-0.5`, `1e5`, `true`, `false`, `null`, `{}`, `[]`,
	`{"name":{"name":"inner"},"roll":[{"roll":1}]}`,
	`{"name":"x"} {}`, `1 2`, `{"\u006e\u0061\u006d\u0065":"escaped key"}`,
}

// TestParseJSONAnswersAsTheTree: parseJSON answers every body as decoding the
// whole tree did, errors and their positions included, with lists and
// objects as empty placeholders.
func TestParseJSONAnswersAsTheTree(t *testing.T) {
	names := []string{"name", "roll", "city"}
	check := func(body []byte) {
		t.Helper()
		got, gotErr := parseJSON(body, names)
		want, wantErr := parseJSONTree(body, names)
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotErr, wantErr) {
			t.Errorf("parseJSON(%q) = %#v, %v; want %#v, %v", body, got, gotErr, want, wantErr)
		}
	}
	for _, doc := range jsonCorpus {
		for i := 0; i <= len(doc); i++ {
			check([]byte(doc[:i]))
			check([]byte(doc[:i] + " "))
		}
		for i := range len(doc) {
			for _, c := range []byte(" \"\\{}[],:0a-.eEu\nnt") {
				b := []byte(doc)
				b[i] = c
				check(b)
			}
		}
	}
}

// FuzzParseJSON: parseJSON answers any body as decoding the whole tree did.
func FuzzParseJSON(f *testing.F) {
	for _, doc := range jsonCorpus {
		f.Add([]byte(doc))
	}
	names := []string{"name", "roll", "city"}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, gotErr := parseJSON(body, names)
		want, wantErr := parseJSONTree(body, names)
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotErr, wantErr) {
			t.Errorf("parseJSON(%q) = %#v, %v; want %#v, %v", body, got, gotErr, want, wantErr)
		}
	})
}

// TestAppendUnquoted: a key with escapes is matched by what it decodes to,
// as encoding/json decodes it.
func TestAppendUnquoted(t *testing.T) {
	for _, s := range []string{
		`plain`, `\"\\\/\b\f\n\r\t`, `\u0061\u00e9\u20ac`, `\ud83d\ude00`, `\ud83dx`, `\ud83d\u0041`,
		`\ude00\ud83d`, `\ud83d`, `a\ud83d\ud83d\ude00b`, strings.Repeat(`\u0041`, 3),
	} {
		var want string
		if err := json.Unmarshal([]byte(`"`+s+`"`), &want); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if got := string(appendUnquoted(nil, []byte(s))); got != want {
			t.Errorf("appendUnquoted(%s) = %q, want %q", s, got, want)
		}
	}
}
