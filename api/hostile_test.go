package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Hostile and odd bodies (CONTRACT section 8, issue 3 point 8): each gets a 4xx
// in the contract's format and writes nothing.
func TestHostileBodies(t *testing.T) {
	e := newListEnv(t, nil)
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	tests := []struct {
		name, contentType, body string
		wantStatus              int
		wantBody                string // exact, or a prefix when it ends in "*"
	}{
		{"lone high surrogate", "application/json", `{"name":"a\ud800b","roll":1,"city":"x"}`, 400,
			`{"name":["Surrogate characters are not allowed: U+D800."]}`},
		{"lone low surrogate", "application/json", `{"name":"a","roll":1,"city":"\uDC00"}`, 400,
			`{"city":["Surrogate characters are not allowed: U+DC00."]}`},
		{"reversed pair is two lone surrogates", "application/json", `{"name":"\udc00\ud800","roll":1,"city":"x"}`, 400,
			`{"name":["Surrogate characters are not allowed: U+DC00."]}`},
		{"escaped backslash is not an escape", "application/json", `{"name":"a\\ud800","roll":1,"city":"x"}`, 201,
			`{"id":6,"name":"a\\ud800","roll":1,"city":"x"}`},
		{"proper pair accepted", "application/json", `{"name":"\ud83d\ude00","roll":1,"city":"x"}`, 201,
			`{"id":7,"name":"😀","roll":1,"city":"x"}`},
		{"NUL byte", "application/json", `{"name":"a\u0000b","roll":1,"city":"x"}`, 400,
			`{"name":["Null characters are not allowed."]}`},
		{"NUL and too long together", "application/json", `{"name":"` + strings.Repeat("x", 101) + `\u0000","roll":1,"city":"x"}`, 400,
			`{"name":["Ensure this field has no more than 100 characters.","Null characters are not allowed."]}`},
		{"nesting bounded", "application/json", deep, 400, `{"detail":"JSON parse error - nesting deeper than 64 levels*`},
		{"nesting inside a field", "application/json", `{"name":` + deep + `}`, 400, `{"detail":"JSON parse error - nesting deeper than 64 levels*`},
		{"brackets inside strings do not count", "application/json", `{"name":"` + strings.Repeat("[", 90) + `","roll":1,"city":"x"}`, 201, `{"id":8,*`},
		{"invalid UTF-8 in a form is replaced", "application/x-www-form-urlencoded", "name=a%ffb&roll=1&city=x", 201,
			`{"id":9,"name":"a` + "\uFFFD" + `b","roll":1,"city":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/studentapi/", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.contentType)
			req.Header.Set("Authorization", "Token "+e.token)
			w := httptest.NewRecorder()
			e.router.ServeHTTP(w, req)
			got := w.Body.String()
			match := got == tt.wantBody
			if prefix, ok := strings.CutSuffix(tt.wantBody, "*"); ok {
				match = strings.HasPrefix(got, prefix)
			}
			if w.Code != tt.wantStatus || !match {
				t.Errorf("got %d %s, want %d %s", w.Code, got, tt.wantStatus, tt.wantBody)
			}
		})
	}
}
