package api

// Cost bounded per request (issue 13, item 6): input that once made a query
// or a parse cost far more than its size is refused, or handled, before
// anything expensive runs.

import (
	"net/url"
	"strings"
	"testing"
)

func searchPath(path string, terms ...string) string {
	return path + "?" + url.Values{"search": {strings.Join(terms, " ")}}.Encode()
}

func repeatTerms(term string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = term
	}
	return out
}

const (
	bodyTooManyTerms = `{"search":["Ensure this field has no more than 10 terms."]}`
	bodyTermTooLong  = `{"search":["Ensure each term has no more than 100 characters."]}`
)

// costCase is a GET whose answer is checked; failures name the case, never
// the path, which may be tens of kilobytes.
type costCase struct {
	name, path string
	token      string
	wantStatus int
	wantBody   string
}

func runCostCases(t *testing.T, e *env, cases []costCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			w := e.serve(scenario{path: tt.path, token: tt.token}.request(e))
			if w.Code != tt.wantStatus || w.Body.String() != tt.wantBody {
				t.Errorf("got %d %.300s, want %d %s", w.Code, w.Body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func TestSearchIsBounded(t *testing.T) {
	e := newEnv(t)
	runCostCases(t, e, []costCase{
		{name: "ten terms are searched", path: searchPath("/studentapi/", repeatTerms("r", 10)...), token: "alice",
			wantStatus: 200, wantBody: "[" + raviJSON + "]"},
		{name: "eleven terms are refused", path: searchPath("/studentapi/", repeatTerms("a", 11)...), token: "alice",
			wantStatus: 400, wantBody: bodyTooManyTerms},
		{name: "twenty thousand terms are refused", path: searchPath("/studentapi/", repeatTerms("ab", 20000)...), token: "alice",
			wantStatus: 400, wantBody: bodyTooManyTerms},
		{name: "commas separate terms too", path: "/studentapi/?search=" + strings.Repeat("a,", 11), token: "alice",
			wantStatus: 400, wantBody: bodyTooManyTerms},
		{name: "a term of 100 characters is searched", path: searchPath("/studentapi/", strings.Repeat("é", 100)), token: "alice",
			wantStatus: 200, wantBody: "[]"},
		{name: "a term of 101 characters is refused", path: searchPath("/studentapi/", strings.Repeat("é", 101)), token: "alice",
			wantStatus: 400, wantBody: bodyTermTooLong},
		{name: "a term of 50,000 bytes is refused", path: searchPath("/studentapi/", strings.Repeat("x", 50000)), token: "alice",
			wantStatus: 400, wantBody: bodyTermTooLong},
		{name: "both limits at once", path: searchPath("/studentapi/", append(repeatTerms("a", 11), strings.Repeat("x", 101))...), token: "alice",
			wantStatus: 400, wantBody: `{"search":["Ensure this field has no more than 10 terms.","Ensure each term has no more than 100 characters."]}`},
		{name: "the detail endpoint applies the same limits", path: searchPath("/studentapi/1/", repeatTerms("a", 11)...), token: "alice",
			wantStatus: 400, wantBody: bodyTooManyTerms},
		{name: "a detail within the limits", path: searchPath("/studentapi/1/", "ra", "an"), token: "alice",
			wantStatus: 200, wantBody: raviJSON},
		{name: "the limits come after authentication", path: searchPath("/studentapi/", repeatTerms("a", 11)...),
			wantStatus: 401, wantBody: bodyNotProvided},
	})
}
