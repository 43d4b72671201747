package main

import (
	"net/http"
	"time"

	"studentapi/auth"
	"studentapi/internal/hosts"
	"studentapi/internal/metrics"
	"studentapi/internal/proxies"
)

// metricsPath is where the Prometheus metrics are served, on either listener.
const metricsPath = "/metrics"

// newMetrics returns the server's metrics when metrics.enabled, else nil,
// which every part takes as "count nothing".
func newMetrics(cfg Config) *metrics.Metrics {
	if !cfg.Metrics.Enabled {
		return nil
	}
	return metrics.New()
}

// observeAuthentications is the authenticator's observer for m: each
// outcome's counter resolved once, so that a request costs one atomic add.
// Nil m observes nothing.
func observeAuthentications(m *metrics.Metrics) func(auth.Outcome) {
	if m == nil {
		return nil
	}
	outcomes := auth.Outcomes()
	counters := make([]interface{ Inc() }, len(outcomes))
	for _, o := range outcomes {
		counters[o] = m.Authentication(o.String())
	}
	return func(o auth.Outcome) { counters[o].Inc() }
}

// observeCommits is the group-commit writer's observer for m; nil for none.
func observeCommits(m *metrics.Metrics) func(int, time.Duration) {
	if m == nil {
		return nil
	}
	return m.ObserveCommit
}

// metricsGate lets through to the metrics only the clients metrics.allow
// names, and loopback; it reports false for any other.
//
// The client is named as everywhere else (package proxies): straight from a
// trusted proxy, by the nearest untrusted address in X-Forwarded-For, so that
// a proxy on this machine does not make every client look like loopback. A
// request that carries forwarding headers but did not come from a trusted
// proxy came through a proxy we know nothing of, whose client could be
// anyone: it is refused, even from loopback.
type metricsGate struct {
	trusted *proxies.Trusted // http.trusted_proxies
	allow   *proxies.Trusted // metrics.allow: not proxies, but a set of addresses all the same
}

func newMetricsGate(cfg Config, trusted *proxies.Trusted) metricsGate {
	return metricsGate{trusted: trusted, allow: proxies.New(cfg.Metrics.Allow)}
}

func (g metricsGate) allows(r *http.Request) bool {
	if !g.trusted.FromProxy(r) && (r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "") {
		return false
	}
	ip := g.trusted.ClientIP(r)
	return hosts.Loopback(ip) || g.allow.Contains(ip)
}

// withMetrics serves m at /metrics to the clients g allows and hands every
// other request, refused ones included, to next: a refused client gets what
// any unknown path gets (404, {"detail": "Not found."}), and learns nothing.
func withMetrics(next http.Handler, m http.Handler, g metricsGate) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == metricsPath && g.allows(r) {
			m.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// metricsServer is the handler of metrics.addr: /metrics to the clients g
// allows, 404 in DRF's form for anything else.
func metricsServer(m http.Handler, g metricsGate) http.Handler {
	notFound := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"detail":"Not found."}`)) // a client gone is nothing to report
	})
	return withMetrics(notFound, m, g)
}
