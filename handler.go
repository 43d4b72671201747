package main

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"studentapi/admin"
	"studentapi/api"
	"studentapi/internal/proxies"
	"studentapi/models"
)

// newHandler returns the whole server's handler, as serve serves it and as
// the tests that need the server without its socket build it. Its parts, by
// path:
//
//   - /admin/ (admin.Prefix): the admin site, its pages in admin/routes.go;
//     /admin itself redirects there.
//   - everything else: the API's router, whose one route table
//     (api/routes.go) holds the API (/, /gettoken/, /logout/, /studentapi/),
//     the health checks (/healthz, /readyz) and the browsable API's static
//     files (/static/).
//
// api.Protect wraps both: one policy (allowed hosts, HTTPS, security
// headers) for every route. secret is the server's secret key, from which
// the throttles and the admin's device cookies derive their keys.
func newHandler(cfg Config, db *models.DB, secret []byte, log *slog.Logger) (http.Handler, error) {
	// gin's debug mode prints every route at start-up and warns about itself.
	gin.SetMode(gin.ReleaseMode)
	// Parsed once: the API, the admin site and the policy must agree on who
	// the client is and how it reached us.
	trusted, err := proxies.Parse(cfg.HTTP.TrustedProxies)
	if err != nil {
		return nil, err
	}
	authn := newAuthenticator(cfg, db)
	limits, err := newLimits(cfg, db, secret)
	if err != nil {
		return nil, err
	}
	router, err := api.NewRouter(api.Deps{
		DB:        db,
		Auth:      authn,
		Log:       log,
		BodyLimit: cfg.HTTP.BodyLimit,
		Proxies:   trusted,
		Pagination: api.Pagination{
			PageSize:           cfg.API.PageSize,
			PageSizeQueryParam: cfg.API.PageSizeQueryParam,
			MaxPageSize:        cfg.API.MaxPageSize,
		},
		Throttles: limits.Throttles,
	})
	if err != nil {
		return nil, err
	}
	adminSite, err := admin.New(admin.Deps{
		DB:           db,
		Auth:         authn,
		Log:          log,
		BcryptCost:   cfg.Auth.BcryptCost,
		SessionTTL:   cfg.Admin.SessionTTL,
		SecureCookie: cfg.Production && len(cfg.HTTP.TrustedProxies) > 0,
		Login:        limits.GetToken,
		Logins:       limits.Logins,
		DeviceKey:    limits.deviceKey,
		DeviceTTL:    cfg.API.Throttle.TrustedLoginWindow,
		// The admin names clients as the API does, for the login throttle they share.
		Proxies: trusted,
	})
	if err != nil {
		return nil, err
	}
	return api.Protect(withAdmin(router, adminSite), api.Policy{
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
