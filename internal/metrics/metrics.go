// Package metrics holds the service's Prometheus metrics, on a registry of
// their own (no global default registry), and serves them in the text
// exposition format.
//
// It knows nothing of gin, auth or the database layer: the router observes
// requests through Route, package main connects the authenticator's and the
// group-commit writer's observers to it. No label ever holds what a client
// chose: routes are templates ("/studentapi/:pk/"), methods a fixed set
// (anything else is "other"), statuses numbers, and outcomes and scopes fixed
// words; never a path, username, key, IP or id.
package metrics

import (
	"database/sql"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the service's metrics and their registry.
type Metrics struct {
	reg *prometheus.Registry

	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	inFlight      prometheus.Gauge
	logins        *prometheus.CounterVec
	auths         *prometheus.CounterVec
	throttled     *prometheus.CounterVec
	commitRows    prometheus.Histogram
	commitSeconds prometheus.Histogram
}

// Unmatched is the route label of a request that no route matched: its path
// is never a label.
const Unmatched = "unmatched"

// New returns the metrics on a new registry, with Go's runtime and the
// process's collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests answered, by route template, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route template.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "studentapi_logins_total",
			Help: "POST /gettoken/ attempts, by outcome (success, bad_credentials, throttled, invalid, error).",
		}, []string{"outcome"}),
		auths: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "studentapi_authentications_total",
			Help: "Token authentications, by outcome (ok, missing, invalid, inactive, expired, error).",
		}, []string{"outcome"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "studentapi_throttled_total",
			Help: "Requests refused by a throttle (429), by scope.",
		}, []string{"scope"}),
		commitRows: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "studentapi_sqlite_group_commit_rows",
			Help:    "Rows in each SQLite group commit (student creates sharing one transaction).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
		}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "studentapi_sqlite_group_commit_duration_seconds",
			Help:    "Time of each SQLite group commit, BEGIN to COMMIT.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration, m.inFlight, m.logins, m.auths, m.throttled,
		m.commitRows, m.commitSeconds,
	)
	return m
}

// Handler serves the metrics in Prometheus' exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Gatherer is the registry, for tests and for serving elsewhere.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// WatchPool adds the database pool's statistics, read from stats at each
// scrape: open, in use and idle connections, waits for one and their time.
func (m *Metrics) WatchPool(stats func() sql.DBStats) error {
	return m.reg.Register(poolCollector{stats})
}

// WatchPasswordHashes adds the password hashes of logins, read at each
// scrape: how many run, how many wait for a turn, and how many may run at
// once. Logins that wait while every slot is busy are the sign of a
// password-guessing flood or of too few slots for the traffic.
func (m *Metrics) WatchPasswordHashes(running, waiting func() int64, slots int) error {
	gauges := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "studentapi_password_hashes_running",
			Help: "Password hashes being computed for logins right now.",
		}, func() float64 { return float64(running()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "studentapi_password_hashes_waiting",
			Help: "Logins waiting for a turn to compute a password hash.",
		}, func() float64 { return float64(waiting()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "studentapi_password_hash_slots",
			Help: "Password hashes that may be computed at once (auth.max_concurrent_hashes).",
		}, func() float64 { return float64(slots) }),
	}
	for _, g := range gauges {
		if err := m.reg.Register(g); err != nil {
			return fmt.Errorf("watch password hashes: %w", err)
		}
	}
	return nil
}

// ObserveCommit records one group commit of rows rows that took took; it is
// the group-commit writer's observer.
func (m *Metrics) ObserveCommit(rows int, took time.Duration) {
	m.commitRows.Observe(float64(rows))
	m.commitSeconds.Observe(took.Seconds())
}

// Login is the counter of logins with outcome, to be resolved once and
// incremented per attempt.
func (m *Metrics) Login(outcome string) prometheus.Counter {
	return m.logins.WithLabelValues(outcome)
}

// Authentication is the counter of authentications with outcome.
func (m *Metrics) Authentication(outcome string) prometheus.Counter {
	return m.auths.WithLabelValues(outcome)
}

// Throttled is the counter of refusals by the throttle of scope.
func (m *Metrics) Throttled(scope string) prometheus.Counter {
	return m.throttled.WithLabelValues(scope)
}

// InFlight is the gauge of requests being served.
func (m *Metrics) InFlight() prometheus.Gauge { return m.inFlight }

// methods are the method labels; any other method is "other", so that a
// client cannot add series by inventing methods.
var methods = [...]string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, "other",
}

func methodIndex(method string) int {
	switch method {
	case http.MethodGet:
		return 0
	case http.MethodHead:
		return 1
	case http.MethodPost:
		return 2
	case http.MethodPut:
		return 3
	case http.MethodPatch:
		return 4
	case http.MethodDelete:
		return 5
	case http.MethodOptions:
		return 6
	}
	return len(methods) - 1
}

// statuses are the statuses the service answers, each with a slot in a
// Route's table; another one takes the slower way through the vector.
var statuses = [...]int{200, 201, 204, 301, 304, 308, 400, 401, 403, 404, 405, 406, 412, 413, 415, 428, 429, 500, 503}

func statusIndex(status int) int {
	for i, s := range statuses {
		if s == status {
			return i
		}
	}
	return -1
}

// Route is the metrics of one route template, resolved when the router is
// built so that a request costs no label lookup: the latency histogram is
// resolved at once, each method and status's counter at its first request
// (a series appears only once something was answered with it).
type Route struct {
	m        *Metrics
	name     string
	duration prometheus.Observer
	counters [len(methods)][len(statuses)]atomic.Pointer[counter]
}

type counter struct{ prometheus.Counter }

// Route returns the metrics of the route template name (gin's pattern, or
// Unmatched); call it once per route, when the router is built.
func (m *Metrics) Route(name string) *Route {
	return &Route{m: m, name: name, duration: m.duration.WithLabelValues(name)}
}

// Observe records one request answered with status after took.
func (r *Route) Observe(method string, status int, took time.Duration) {
	r.duration.Observe(took.Seconds())
	mi, si := methodIndex(method), statusIndex(status)
	if si < 0 {
		r.m.requests.WithLabelValues(r.name, methods[mi], strconv.Itoa(status)).Inc()
		return
	}
	slot := &r.counters[mi][si]
	c := slot.Load()
	if c == nil {
		// Two first requests may both resolve it: the vector answers both
		// with the same counter.
		c = &counter{r.m.requests.WithLabelValues(r.name, methods[mi], strconv.Itoa(status))}
		slot.Store(c)
	}
	c.Inc()
}

// poolCollector reads a database pool's statistics at each scrape, under
// the names of client_golang's collectors.NewDBStatsCollector (which needs
// the *sql.DB itself, which the database layer keeps to itself).
type poolCollector struct{ stats func() sql.DBStats }

var (
	poolMaxOpen      = prometheus.NewDesc("go_sql_max_open_connections", "Maximum number of open connections to the database.", nil, nil)
	poolOpen         = prometheus.NewDesc("go_sql_open_connections", "The number of established connections both in use and idle.", nil, nil)
	poolInUse        = prometheus.NewDesc("go_sql_in_use_connections", "The number of connections currently in use.", nil, nil)
	poolIdle         = prometheus.NewDesc("go_sql_idle_connections", "The number of idle connections.", nil, nil)
	poolWaitCount    = prometheus.NewDesc("go_sql_wait_count_total", "The total number of connections waited for.", nil, nil)
	poolWaitDuration = prometheus.NewDesc("go_sql_wait_duration_seconds_total", "The total time blocked waiting for a new connection.", nil, nil)
)

func (poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolMaxOpen, poolOpen, poolInUse, poolIdle, poolWaitCount, poolWaitDuration} {
		ch <- d
	}
}

func (p poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := p.stats()
	ch <- prometheus.MustNewConstMetric(poolMaxOpen, prometheus.GaugeValue, float64(s.MaxOpenConnections))
	ch <- prometheus.MustNewConstMetric(poolOpen, prometheus.GaugeValue, float64(s.OpenConnections))
	ch <- prometheus.MustNewConstMetric(poolInUse, prometheus.GaugeValue, float64(s.InUse))
	ch <- prometheus.MustNewConstMetric(poolIdle, prometheus.GaugeValue, float64(s.Idle))
	ch <- prometheus.MustNewConstMetric(poolWaitCount, prometheus.CounterValue, float64(s.WaitCount))
	ch <- prometheus.MustNewConstMetric(poolWaitDuration, prometheus.CounterValue, s.WaitDuration.Seconds())
}
