package admin_test

import (
	"database/sql"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"studentapi/internal/requestid"
	"studentapi/models"
)

// A page that fails for a reason other than the database being away or full
// is a 500 that names the request's id, as the API's 500s do, so that a user
// can quote it and an operator find the log line.
func TestServerErrorNamesTheRequestID(t *testing.T) {
	f := newFixture(t, nil)
	f.user("root", true, true, true)
	cookie, _ := f.login("root")
	var raw *sql.DB
	var err error
	if f.src.Driver == models.DriverPostgres {
		raw, err = sql.Open("pgx", f.src.DSN)
	} else {
		raw, err = sql.Open("sqlite3", models.SQLiteDSN(f.src.Path))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec("DROP TABLE students"); err != nil {
		t.Fatal(err)
	}
	ctx, _ := requestid.With(t.Context(), "quote-me-42")
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/admin/students/", nil)
	r.AddCookie(cookie)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), "quote-me-42") {
		t.Errorf("got %d %q, want 500 naming the request id", w.Code, w.Body)
	}
}
