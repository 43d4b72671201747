package metrics_test

import (
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"studentapi/internal/metrics"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, err := io.ReadAll(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// A route counts by method and status, an invented method as "other", and a
// status outside the table of common ones all the same; the histogram counts
// every request of the route.
func TestRoute(t *testing.T) {
	m := metrics.New()
	r := m.Route("/things/:pk/")
	r.Observe(http.MethodGet, 200, time.Millisecond)
	r.Observe(http.MethodGet, 200, time.Millisecond)
	r.Observe("BREW", 418, time.Millisecond)
	r.Observe(http.MethodDelete, 204, 2*time.Second)
	got := scrape(t, m)
	for _, want := range []string{
		`http_requests_total{method="GET",route="/things/:pk/",status="200"} 2`,
		`http_requests_total{method="other",route="/things/:pk/",status="418"} 1`,
		`http_requests_total{method="DELETE",route="/things/:pk/",status="204"} 1`,
		`http_request_duration_seconds_count{route="/things/:pk/"} 4`,
		`http_request_duration_seconds_bucket{route="/things/:pk/",le="0.001"} 3`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if strings.Contains(got, "BREW") {
		t.Errorf("scrape holds an invented method")
	}
}

// The pool's statistics are read at each scrape, and commits observed.
func TestPoolAndCommits(t *testing.T) {
	m := metrics.New()
	open := 3
	if err := m.WatchPool(func() sql.DBStats {
		return sql.DBStats{MaxOpenConnections: 8, OpenConnections: open, InUse: 1, Idle: open - 1, WaitCount: 5, WaitDuration: 1500 * time.Millisecond}
	}); err != nil {
		t.Fatal(err)
	}
	m.ObserveCommit(3, 2*time.Millisecond)
	m.ObserveCommit(1, time.Millisecond)
	open = 4
	got := scrape(t, m)
	for _, want := range []string{
		"go_sql_max_open_connections 8\n",
		"go_sql_open_connections 4\n",
		"go_sql_in_use_connections 1\n",
		"go_sql_idle_connections 3\n",
		"go_sql_wait_count_total 5\n",
		"go_sql_wait_duration_seconds_total 1.5\n",
		"studentapi_sqlite_group_commit_rows_sum 4\n",
		"studentapi_sqlite_group_commit_rows_count 2\n",
		"studentapi_sqlite_group_commit_duration_seconds_count 2\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

// BenchmarkRouteObserve is what the router's instrumentation costs a
// request, apart from reading the clock: it must allocate nothing.
func BenchmarkRouteObserve(b *testing.B) {
	r := metrics.New().Route("/studentapi/:pk/")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.Observe(http.MethodGet, 200, 100*time.Microsecond)
		}
	})
}
