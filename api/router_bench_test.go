package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"studentapi/auth"
	"studentapi/internal/metrics"
	"studentapi/models"
)

// The request paths of scripts/bench.sh, through the real router on a real
// SQLite file (synchronous=FULL), access log on: what a CPU or allocation
// profile of these shows is where a served request spends its time, minus the
// network. Run with e.g.
//
//	go test -run '^$' -bench Router -cpuprofile cpu.out ./api

// benchRouter is a router over a fresh database holding a user with a token
// and 100 students; it returns the router, the token key and a student's id.
func benchRouter(b *testing.B) (http.Handler, string, int64) {
	b.Helper()
	ctx := context.Background()
	keys, err := auth.NewKeyring([]byte("a test secret of at least thirty-two bytes"))
	if err != nil {
		b.Fatal(err)
	}
	db, err := models.Connect(models.Source{Path: filepath.Join(b.TempDir(), "bench.db")}, models.Options{Keys: keys})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	u := &models.User{Username: "bench", IsActive: true}
	if err := db.CreateUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	// Metrics on, as metrics.enabled is by default: the router counts every
	// request and the authenticator reports every outcome.
	m := metrics.New()
	a := auth.New(db, "Token", 4, auth.Options{Observe: func(o auth.Outcome) { m.Authentication(o.String()).Inc() }})
	tok, err := a.TokenFor(ctx, u)
	if err != nil {
		b.Fatal(err)
	}
	var first int64
	for i := range 100 {
		s := &models.Student{Name: fmt.Sprintf("Student %d", i+1), Roll: int64(i + 1), City: fmt.Sprintf("City %d", (i+1)%7)}
		if err := db.CreateStudent(ctx, s); err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			first = s.ID
		}
	}
	// The server's logger: a text line per request, here to nowhere.
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r, err := NewRouter(Deps{DB: db, Auth: a, Log: log, BodyLimit: 1 << 20, Metrics: m})
	if err != nil {
		b.Fatal(err)
	}
	return r, tok.Key, first
}

// benchRequests sends the request newReq makes on every iteration, from
// parallel goroutines as wrk's connections do, and checks its status.
func benchRequests(b *testing.B, h http.Handler, want int, newReq func() *http.Request) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, newReq())
			if w.Code != want {
				b.Errorf("status %d, want %d: %s", w.Code, want, w.Body)
				return
			}
		}
	})
}

// BenchmarkRouterDetail is an authenticated GET /studentapi/<id>/.
func BenchmarkRouterDetail(b *testing.B) {
	h, key, id := benchRouter(b)
	path := fmt.Sprintf("/studentapi/%d/", id)
	benchRequests(b, h, http.StatusOK, func() *http.Request {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Token "+key)
		return req
	})
}

// BenchmarkRouterNotFound is an authenticated GET of a student that does not
// exist: 404, {"detail": "Not found."}.
func BenchmarkRouterNotFound(b *testing.B) {
	h, key, _ := benchRouter(b)
	benchRequests(b, h, http.StatusNotFound, func() *http.Request {
		req := httptest.NewRequest(http.MethodGet, "/studentapi/999999/", nil)
		req.Header.Set("Authorization", "Token "+key)
		return req
	})
}

// BenchmarkRouterList is an authenticated GET /studentapi/ of 100 rows.
func BenchmarkRouterList(b *testing.B) {
	h, key, _ := benchRouter(b)
	benchRequests(b, h, http.StatusOK, func() *http.Request {
		req := httptest.NewRequest(http.MethodGet, "/studentapi/", nil)
		req.Header.Set("Authorization", "Token "+key)
		return req
	})
}

// BenchmarkRouterAnonymous is GET /studentapi/ without credentials: 401.
func BenchmarkRouterAnonymous(b *testing.B) {
	h, _, _ := benchRouter(b)
	benchRequests(b, h, http.StatusUnauthorized, func() *http.Request {
		return httptest.NewRequest(http.MethodGet, "/studentapi/", nil)
	})
}

// BenchmarkRouterCreate is an authenticated POST /studentapi/: one durable
// insert per request, from 8 goroutines per CPU (16 on two cores, as wrk's 16
// connections), so that concurrent creates can share commits.
func BenchmarkRouterCreate(b *testing.B) {
	h, key, _ := benchRouter(b)
	b.SetParallelism(8)
	const body = `{"name":"Bench","roll":7,"city":"Pune"}`
	benchRequests(b, h, http.StatusCreated, func() *http.Request {
		req := httptest.NewRequest(http.MethodPost, "/studentapi/", strings.NewReader(body))
		req.Header.Set("Authorization", "Token "+key)
		req.Header.Set("Content-Type", "application/json")
		return req
	})
}
