package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The admin's searches have the API's bounds (issue 13, item 6): a staff
// user's search box must not cost more than the API's ?search= may.
func TestSearchIsBounded(t *testing.T) {
	f := newFixture(t, nil)
	f.user("boss", true, true, true)
	c, _ := f.login("boss")
	tooMany := strings.TrimSpace(strings.Repeat("a ", 11))
	tests := []struct {
		name, q    string
		wantStatus int
		wantText   string
	}{
		{"ten terms", strings.TrimSpace(strings.Repeat("a ", 10)), http.StatusOK, ""},
		{"eleven terms", tooMany, http.StatusBadRequest, "Ensure this field has no more than 10 terms."},
		{"commas separate terms", strings.Repeat("a,", 11), http.StatusBadRequest, "Ensure this field has no more than 10 terms."},
		{"twenty thousand terms", strings.Repeat("ab ", 20000), http.StatusBadRequest, "Ensure this field has no more than 10 terms."},
		{"a term of 101 characters", strings.Repeat("é", 101), http.StatusBadRequest, "Ensure each term has no more than 100 characters."},
	}
	for _, list := range []string{"/admin/students/", "/admin/users/", "/admin/tokens/"} {
		for _, tt := range tests {
			w := f.do("GET", list+"?"+url.Values{"q": {tt.q}}.Encode(), nil, c, nil)
			if w.Code != tt.wantStatus || !strings.Contains(w.Body.String(), tt.wantText) {
				t.Errorf("%s with %s: got %d %.300s, want %d with %q", list, tt.name, w.Code, w.Body, tt.wantStatus, tt.wantText)
			}
		}
	}
}
