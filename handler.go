package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"studentapi/admin"
	"studentapi/api"
	"studentapi/auth"
	"studentapi/internal/metrics"
	"studentapi/internal/proxies"
	"studentapi/internal/throttle"
	"studentapi/models"
)

// newHandler returns the whole server's handler, as serve serves it and as
// the tests that need the server without its socket build it. Its parts, by
// path:
//
//   - /admin/ (admin.Prefix): the admin site, its pages in admin/routes.go;
//     /admin itself redirects there.
//   - /metrics: the Prometheus metrics m, to loopback and the clients
//     metrics.allow names (metricsGate), unless metrics.addr serves them
//     apart or m is nil (metrics.enabled false); anyone else gets the API's
//     404.
//   - everything else: the API's router, whose one route table
//     (api/routes.go) holds the API (/, /gettoken/, /logout/, /studentapi/),
//     the health checks (/healthz, /readyz), the OpenAPI document and its
//     page (/schema/, /openapi.json, /schema/docs/) and the browsable API's
//     static files (/static/).
//
// api.Protect wraps them all: one policy (allowed hosts, HTTPS, security
// headers, the request id) for every route. secret is the server's secret
// key, from which the throttles and the admin's device cookies derive their
// keys.
func newHandler(cfg Config, db *models.DB, secret []byte, log *slog.Logger, m *metrics.Metrics) (http.Handler, error) {
	// gin's debug mode prints every route at start-up and warns about itself.
	gin.SetMode(gin.ReleaseMode)
	// One set for all three parts: the API, the admin site and the policy
	// must agree on who the client is and how it reached us. The config
	// read the addresses; nothing parses them again.
	trusted := proxies.New(cfg.HTTP.TrustedProxies)
	authn := newAuthenticator(cfg, db, observeAuthentications(m), log)
	if m != nil {
		if err := m.WatchPasswordHashes(authn.HashesRunning, authn.HashesWaiting, authn.MaxHashes()); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	limits, err := newLimits(cfg, db, secret)
	if err != nil {
		return nil, err
	}
	router, err := api.NewRouter(api.Deps{
		DB:         db,
		Auth:       authn,
		Log:        log,
		BodyLimit:  cfg.HTTP.BodyLimit,
		Proxies:    trusted,
		Pagination: pagination(cfg),
		Throttles:  limits.Throttles,
		HideSchema: !cfg.API.Schema,
		Metrics:    m,
	})
	if err != nil {
		return nil, err
	}
	validators, err := cfg.passwordValidators()
	if err != nil {
		return nil, err
	}
	adminSite, err := admin.New(admin.Deps{
		DB:                 db,
		Auth:               authn,
		Log:                log,
		BcryptCost:         cfg.Auth.BcryptCost,
		PasswordValidators: validators,
		SessionTTL:         cfg.Admin.SessionTTL,
		SecureCookie:       cfg.Production && len(cfg.HTTP.TrustedProxies) > 0,
		Login:              limits.GetToken,
		Logins:             limits.Logins,
		DeviceKey:          limits.deviceKey,
		DeviceTTL:          cfg.API.Throttle.TrustedLoginWindow,
		// The admin names clients as the API does, for the login throttle they share.
		Proxies: trusted,
	})
	if err != nil {
		return nil, err
	}
	var served http.Handler = withAdmin(router, adminSite)
	if m != nil && cfg.Metrics.Addr == "" {
		served = withMetrics(served, m.Handler(), newMetricsGate(cfg, trusted))
	}
	return api.Protect(served, api.Policy{
		Proxies:      trusted,
		AllowedHosts: cfg.AllowedHosts(),
		RequireHTTPS: cfg.Production && !cfg.TLSEnabled(),
		Log:          log,
	})
}

// withAdmin sends /admin/... to the admin site and everything else to the API
// router, untouched (no path cleaning on the way, unlike a ServeMux).
func withAdmin(api, site http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == strings.TrimSuffix(admin.Prefix, "/"):
			http.Redirect(w, r, admin.Prefix, http.StatusMovedPermanently)
		case strings.HasPrefix(r.URL.Path, admin.Prefix):
			site.ServeHTTP(w, r)
		default:
			api.ServeHTTP(w, r)
		}
	})
}

// limits are the throttles of the API and the admin site, and the key of the
// admin's device cookies.
type limits struct {
	api.Throttles
	deviceKey []byte
}

// newLimits builds the configured throttles: one set of login limits, so
// that /gettoken/ and the admin login share one budget, all keyed under a
// subkey of the secret (every instance on a shared store must agree on it).
func newLimits(cfg Config, db *models.DB, secret []byte) (limits, error) {
	tc := cfg.API.Throttle
	throttleKey, err := auth.ThrottleKey(secret)
	if err != nil {
		return limits{}, fmt.Errorf("auth.secret_key: %w", err)
	}
	deviceKey, err := auth.DeviceCookieKey(secret)
	if err != nil {
		return limits{}, fmt.Errorf("auth.secret_key: %w", err)
	}
	// In memory, the marks of trusted logins have a store of their own, so
	// that a flood of either cannot push the other out.
	var counts, marks throttle.Store = throttle.NewMemory(tc.MemoryMaxEntries), throttle.NewMemory(tc.MemoryMaxEntries)
	if tc.Store == "database" {
		counts, marks = db.Throttles(), db.Throttles()
	}
	newLimiter := func(r throttle.Rate) (*throttle.Limiter, error) {
		if r.Off() {
			return nil, nil
		}
		return throttle.NewWithStore(r, counts, throttleKey, nil)
	}
	var l limits
	l.deviceKey = deviceKey
	for _, p := range []struct {
		rate throttle.Rate
		dst  **throttle.Limiter
	}{{tc.Anon, &l.Anon}, {tc.User, &l.User}, {tc.GetToken, &l.GetToken}} {
		if *p.dst, err = newLimiter(p.rate); err != nil {
			return limits{}, err
		}
	}
	var failures []*throttle.Limiter
	for _, rate := range tc.GetTokenUsername {
		f, err := newLimiter(rate)
		if err != nil {
			return limits{}, err
		}
		failures = append(failures, f)
	}
	trusted, err := throttle.NewMarks(marks, throttleKey, tc.TrustedLoginWindow, nil)
	if err != nil {
		return limits{}, err
	}
	l.Logins = throttle.NewGuard(failures, trusted)
	return l, nil
}

// pagination is the API's, as configured: the router's and the OpenAPI
// document's (the spectacular command).
func pagination(cfg Config) api.Pagination {
	return api.Pagination{
		PageSize:           cfg.API.PageSize,
		PageSizeQueryParam: cfg.API.PageSizeQueryParam,
		MaxPageSize:        cfg.API.MaxPageSize,
	}
}
