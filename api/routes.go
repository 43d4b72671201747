// Package api is the HTTP face of the service: NewRouter wires every route of
// the Student API, /gettoken/ and the API root onto gin, judged in DRF's order
// (negotiation, authentication, method, lookup, parsing, validation).
//
// What belongs here: routes (this file), views and their request and response
// types, body parsing, errors.go, the one place where an error becomes a
// status and a DRF-shaped body, and policy.go, the rules that every request to
// the server (the admin site's too) meets before any route: allowed hosts,
// HTTPS, security headers. Queries live in models, identifying callers in
// auth, field coercion with DRF's messages (shared with the admin) in fields.
package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"

	"studentapi/auth"
	"studentapi/internal/proxies"
	"studentapi/models"
)

// Deps are what the router needs from the rest of the program.
type Deps struct {
	DB             *models.DB
	Auth           *auth.Authenticator
	Log            *slog.Logger
	BodyLimit      int64    // bytes a request body may have
	TrustedProxies []string // IPs or CIDRs whose X-Forwarded-* headers are believed; none by default
	Pagination     Pagination
	Throttles      Throttles
}

// Keys of values that route middleware leaves for views.
const (
	formatParamKey = "api.format"
	pkParamKey     = "api.pk"
)

// NewRouter returns the service's HTTP handler.
func NewRouter(d Deps) (*gin.Engine, error) {
	r := gin.New()
	// Trailing slashes are this package's business: DRF answers 301 only for
	// safe methods and we answer 308 for the rest, which gin cannot tell apart.
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleMethodNotAllowed = true
	// Forwarding headers are judged by package proxies alone; gin believes none.
	if err := r.SetTrustedProxies(nil); err != nil {
		return nil, fmt.Errorf("trusted proxies: %w", err)
	}
	trusted, err := proxies.Parse(d.TrustedProxies)
	if err != nil {
		return nil, err
	}
	assets, err := browsableAssets()
	if err != nil {
		return nil, err
	}
	// The security headers, the HTTPS rule and the allowed hosts are Protect's,
	// around the whole server, the admin site included.
	r.Use(recovery(d.Log), accessLog(d.Log), errorResponder(d.Log, d.Auth.Keyword()),
		limitBody(d.BodyLimit))
	students := studentHandlers{db: d.DB, pages: d.Pagination, proxies: trusted}
	userThrottles := anonOrUser(d.Throttles, trusted)
	root := &view{
		name:        "Api Root",
		description: "The default basic root view for DefaultRouter",
		renderers:   []renderer{jsonRenderer, htmlRenderer},
		parses:      parsedMediaTypes,
		throttles:   []throttleRule{userThrottles},
		methods:     map[string]handler{http.MethodGet: apiRoot(trusted)},
	}
	getToken := &view{
		name:      "Custom Auth Token",
		renderers: []renderer{jsonRenderer},
		parses:    []string{"application/x-www-form-urlencoded", "multipart/form-data", "application/json"},
		throttles: []throttleRule{scoped(d.Throttles.GetToken, "gettoken", trusted)},
		methods:   map[string]handler{http.MethodPost: obtainToken(d.Auth, d.Throttles, trusted)},
	}
	logoutView := &view{
		name:      "Logout",
		renderers: []renderer{jsonRenderer},
		parses:    parsedMediaTypes,
		protected: true,
		throttles: []throttleRule{userThrottles},
		methods:   map[string]handler{http.MethodPost: logout(d.DB)},
	}
	list := &view{
		name:      "Student Model List",
		renderers: []renderer{jsonRenderer, htmlRenderer},
		parses:    parsedMediaTypes,
		protected: true,
		throttles: []throttleRule{userThrottles},
		methods: map[string]handler{
			http.MethodGet:  students.list,
			http.MethodPost: students.create,
		},
		actions: students.listActions,
	}
	detail := &view{
		name:      "Student Model Instance",
		renderers: []renderer{jsonRenderer, htmlRenderer},
		parses:    parsedMediaTypes,
		protected: true,
		throttles: []throttleRule{userThrottles},
		methods: map[string]handler{
			http.MethodGet:    students.retrieve,
			http.MethodPut:    students.update(false),
			http.MethodPatch:  students.update(true),
			http.MethodDelete: students.destroy,
		},
		actions: students.detailActions,
	}

	a := d.Auth
	r.Any("/", root.chain(a)...)
	r.Any("/gettoken/", getToken.chain(a)...)
	r.Any("/gettoken", appendSlash)
	r.Any("/logout/", logoutView.chain(a)...)
	r.Any("/logout", appendSlash)
	r.Any("/studentapi/", list.chain(a)...)
	r.Any("/studentapi", appendSlash)
	r.Any("/studentapi.:format", append([]gin.HandlerFunc{formatSuffix}, list.chain(a)...)...)
	r.Any("/studentapi.:format/", append([]gin.HandlerFunc{formatSuffix}, list.chain(a)...)...)
	r.Any("/studentapi/:pk/", append([]gin.HandlerFunc{detailPK(true)}, detail.chain(a)...)...)
	r.Any("/studentapi/:pk", append([]gin.HandlerFunc{detailPK(false)}, detail.chain(a)...)...)
	// The browsable API's script and stylesheet (browsable.go).
	r.GET("/static/*file", assets)
	r.HEAD("/static/*file", assets)

	r.GET("/healthz", healthz)
	r.HEAD("/healthz", healthz)
	r.GET("/readyz", readyz(d.DB))
	r.HEAD("/readyz", readyz(d.DB))

	r.NoRoute(func(c *gin.Context) { abort(c, errNotFound) })
	// A method gin has no tree for (PROPFIND, say) on a known path: run the
	// view, whose dispatch answers 405 after negotiation and authentication.
	r.NoMethod(func(c *gin.Context) {
		switch v := viewFor(c, root, getToken, logoutView, list, detail); v {
		case nil:
			abort(c, errNotFound)
		default:
			for _, h := range v.chain(a) {
				if h(c); c.IsAborted() {
					return
				}
			}
		}
	})
	return r, nil
}

var (
	plainPK  = regexp.MustCompile(`^[^/.]+$`)
	suffixPK = regexp.MustCompile(`^([^/.]+)\.([a-z0-9]+)$`)
	format   = regexp.MustCompile(`^[a-z0-9]+$`)
)

// detailPK reads /studentapi/<pk>/ and /studentapi/<pk>.<format>, where the
// slash after a format suffix is optional, as in DRF's format_suffix_patterns.
func detailPK(slashed bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		pk := c.Param("pk")
		if m := suffixPK.FindStringSubmatch(pk); m != nil {
			c.Set(pkParamKey, m[1])
			c.Set(formatParamKey, m[2])
			return
		}
		if !plainPK.MatchString(pk) {
			abort(c, errNotFound)
			return
		}
		if !slashed {
			appendSlash(c)
			return
		}
		c.Set(pkParamKey, pk)
	}
}

func formatSuffix(c *gin.Context) {
	f := c.Param("format")
	if !format.MatchString(f) {
		abort(c, errNotFound)
		return
	}
	c.Set(formatParamKey, f)
}

// appendSlash redirects to the path with a slash, as Django's APPEND_SLASH, but
// with 308 for methods with a body so that a client keeps the method and body.
func appendSlash(c *gin.Context) {
	status := http.StatusMovedPermanently
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		status = http.StatusPermanentRedirect
	}
	loc := c.Request.URL.EscapedPath() + "/"
	if q := c.Request.URL.RawQuery; q != "" {
		loc += "?" + q
	}
	c.Header("Location", loc)
	c.Status(status)
	c.Writer.WriteHeaderNow()
	c.Abort()
}

// viewFor finds the view of a path for NoMethod, where gin gives no params.
func viewFor(c *gin.Context, root, getToken, logoutView, list, detail *view) *view {
	path := c.Request.URL.Path
	switch {
	case path == "/":
		return root
	case path == "/gettoken/":
		return getToken
	case path == "/logout/":
		return logoutView
	case path == "/studentapi/":
		return list
	}
	if rest, ok := strings.CutPrefix(path, "/studentapi/"); ok {
		rest = strings.TrimSuffix(rest, "/")
		if m := suffixPK.FindStringSubmatch(rest); m != nil {
			c.Set(pkParamKey, m[1])
			c.Set(formatParamKey, m[2])
			return detail
		}
		if plainPK.MatchString(rest) && path[len(path)-1] == '/' {
			c.Set(pkParamKey, rest)
			return detail
		}
		return nil
	}
	if rest, ok := strings.CutPrefix(path, "/studentapi."); ok {
		if f := strings.TrimSuffix(rest, "/"); format.MatchString(f) {
			c.Set(formatParamKey, f)
			return list
		}
	}
	return nil
}
