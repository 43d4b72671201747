package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"studentapi/internal/metrics"
)

// The command writes what the server serves at /schema/ for the same
// configuration, here with pagination and two keywords.
func TestSpectacularIsTheServedDocument(t *testing.T) {
	c := newSQLiteCLI(t)
	c.env["STUDENTAPI_API_PAGE_SIZE"] = "3"
	c.env["STUDENTAPI_AUTH_KEYWORD"] = "Token,Bearer"
	file := filepath.Join(c.dir, "schema.json")
	if out := c.mustRun(t, "", "spectacular", "--format", "json", "--file", file); out != "" {
		t.Errorf("with --file, stdout = %q, want nothing", out)
	}
	written, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}

	cfg, err := LoadConfig(c.config, true, c.environ())
	if err != nil {
		t.Fatal(err)
	}
	db, secret, err := openDB(cfg, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	h, err := newHandler(cfg, db, secret.value, slog.New(slog.DiscardHandler), metrics.New())
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/schema/", nil)
	req.Host = "localhost"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusOK || w.Body.String() != string(written) {
		t.Errorf("GET /schema/ = %d, %d bytes; the command wrote %d bytes, want the same document", w.Code, w.Body.Len(), len(written))
	}
	for _, want := range []string{"PaginatedStudentList", "`Bearer `"} {
		if !strings.Contains(string(written), want) {
			t.Errorf("document has no %q", want)
		}
	}

	yaml := c.mustRun(t, "", "spectacular", "--openapi", "3.1")
	if !strings.HasPrefix(yaml, "openapi: 3.1.0\n") {
		t.Errorf("default format: %.40q, want YAML of 3.1.0", yaml)
	}
	if _, _, err := c.run(t, "", "spectacular", "--format", "xml"); err == nil {
		t.Error("--format xml: no error")
	}
}
