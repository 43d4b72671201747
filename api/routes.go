// Package api is the HTTP face of the service: NewRouter wires every route of
// the Student API, /gettoken/ and the API root onto gin, judged in DRF's order
// (negotiation, authentication, throttling, method, lookup, parsing,
// validation), and the OpenAPI document that the route table describes
// (schema.go).
//
// What belongs here: routes (this file), views and their request and response
// types, body parsing, errors.go, the one place where an error becomes a
// status and a DRF-shaped body, policy.go, the rules that every request to
// the server (the admin site's too) meets before any route: allowed hosts,
// HTTPS, security headers, the request id; and metrics.go, what the router
// counts (the metrics themselves are internal/metrics'). Queries live in models, identifying callers in
// auth, field coercion with DRF's messages (shared with the admin) in
// internal/fields, and what a student is (its fields, columns and rules) in
// models' declaration of it.
package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"

	"studentapi/auth"
	"studentapi/internal/fields"
	"studentapi/internal/metrics"
	"studentapi/internal/openapi"
	"studentapi/internal/proxies"
	"studentapi/internal/requestid"
	"studentapi/models"
)

// Deps are what the router needs from the rest of the program.
type Deps struct {
	DB        *models.DB
	Auth      *auth.Authenticator
	Log       *slog.Logger
	BodyLimit int64 // bytes a request body may have
	// Proxies are the proxies whose X-Forwarded-* headers are believed; nil
	// believes none.
	Proxies    *proxies.Trusted
	Pagination Pagination
	Throttles  Throttles
	// Metrics count and time every request, logins and throttle refusals;
	// nil counts nothing.
	Metrics *metrics.Metrics
	// HideSchema leaves out the OpenAPI document (/schema/ and
	// /openapi.json answer 404), for api.schema: false.
	HideSchema bool
}

// route is one path of the API and what answers it.
type route struct {
	path string // gin's pattern
	// methods are those the route answers; nil is every method, for a view
	// (whose dispatch answers 405 itself, after negotiation and
	// authentication, as DRF does) and for a redirect to one.
	methods []string
	// before runs ahead of the view: it reads the path's pk or format, or
	// redirects. Nil for none.
	before gin.HandlerFunc
	view   *view
	// handle answers a route without a view.
	handle gin.HandlerFunc
	// doc is what the OpenAPI document says of the route (schema.go); nil
	// for a route it leaves out (redirects, format suffixes, static files,
	// the API root and the schema itself, as drf-spectacular leaves them out).
	doc *routeDoc
}

var getOrHead = []string{http.MethodGet, http.MethodHead}

// routes is every route of the API: gin's trees and NoMethod both read it.
// assets answers the browsable API's files, schema the OpenAPI document and
// docs its reference page; a nil schema leaves the document's routes out.
func routes(d Deps, assets, schema, docs gin.HandlerFunc) []route {
	students := studentHandlers{db: d.DB, pages: d.Pagination, proxies: d.Proxies, names: studentFieldNames()}
	userThrottles := anonOrUser(d.Throttles, d.Proxies)
	root := &view{
		name:        "Api Root",
		description: "The default basic root view for DefaultRouter",
		renderers:   []renderer{jsonRenderer, htmlRenderer},
		parses:      parsedMediaTypes,
		throttles:   []throttleRule{userThrottles},
		methods:     map[string]handler{http.MethodGet: apiRoot(d.Proxies)},
	}
	getToken := &view{
		name:      "Custom Auth Token",
		renderers: []renderer{jsonRenderer},
		parses:    []string{"application/x-www-form-urlencoded", "multipart/form-data", "application/json"},
		throttles: []throttleRule{scoped(d.Throttles.GetToken, "gettoken", d.Proxies)},
		methods:   map[string]handler{http.MethodPost: obtainToken(d.Auth, d.Throttles, d.Proxies)},
		basic:     basicAuthentication(d.Auth, d.Throttles.Logins, d.Proxies),
		actions:   obtainTokenActions,
		around:    countLogins(d.Metrics),
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
	table := []route{
		{path: "/", view: root},
		{path: "/gettoken/", view: getToken, doc: &routeDoc{tag: "gettoken", ops: []openapi.Operation{
			{Method: http.MethodPost, ID: "gettoken_create", Summary: "Log in: the user's token, made on first use.",
				Request: openapi.CredentialsBody, Answer: openapi.TokenAnswer},
		}}},
		{path: "/gettoken", handle: appendSlash},
		{path: "/logout/", view: logoutView, doc: &routeDoc{tag: "logout", ops: []openapi.Operation{
			{Method: http.MethodPost, ID: "logout_create", Summary: "Log out: delete the caller's token.", Answer: openapi.NoContent},
		}}},
		{path: "/logout", handle: appendSlash},
		{path: "/studentapi/", view: list, doc: &routeDoc{tag: "studentapi", ops: []openapi.Operation{
			{Method: http.MethodGet, ID: "studentapi_list", Summary: "List students.", Answer: openapi.StudentsAnswer},
			{Method: http.MethodPost, ID: "studentapi_create", Summary: "Create a student.",
				Request: openapi.StudentBody, Answer: openapi.StudentAnswer},
		}}},
		{path: "/studentapi", handle: appendSlash},
		{path: "/studentapi.:format", before: formatSuffix, view: list},
		{path: "/studentapi.:format/", before: formatSuffix, view: list},
		{path: "/studentapi/:pk/", before: detailPK(true), view: detail, doc: &routeDoc{tag: "studentapi", ops: []openapi.Operation{
			{Method: http.MethodGet, ID: "studentapi_retrieve", Summary: "One student.", Answer: openapi.StudentAnswer},
			{Method: http.MethodPut, ID: "studentapi_update", Summary: "Replace a student.",
				Request: openapi.StudentBody, Answer: openapi.StudentAnswer},
			{Method: http.MethodPatch, ID: "studentapi_partial_update", Summary: "Change some fields of a student.",
				Request: openapi.PatchedStudentBody, Answer: openapi.StudentAnswer},
			{Method: http.MethodDelete, ID: "studentapi_destroy", Summary: "Delete a student.", Answer: openapi.NoContent},
		}}},
		{path: "/studentapi/:pk", before: detailPK(false), view: detail},
		// The browsable API's script and stylesheet (browsable.go).
		{path: "/static/*file", methods: getOrHead, handle: assets},
		{path: "/healthz", methods: getOrHead, handle: healthz, doc: &routeDoc{tag: "health", ops: []openapi.Operation{
			{Method: http.MethodGet, ID: "healthz_retrieve", Summary: "Liveness: the process serves.", Answer: openapi.HealthAnswer},
		}}},
		{path: "/readyz", methods: getOrHead, handle: readyz(d.DB), doc: &routeDoc{tag: "health", database: true, ops: []openapi.Operation{
			{Method: http.MethodGet, ID: "readyz_retrieve", Summary: "Readiness: the database answers.", Answer: openapi.HealthAnswer},
		}}},
	}
	if schema != nil {
		// The OpenAPI document (schema.go), at drf-spectacular's path and
		// the name most tools look for.
		table = append(table,
			route{path: "/schema/", methods: getOrHead, handle: schema},
			route{path: "/schema", handle: appendSlash},
			route{path: "/openapi.json", methods: getOrHead, handle: schema},
			route{path: "/schema/docs/", methods: getOrHead, handle: docs},
			route{path: "/schema/docs", handle: appendSlash},
		)
	}
	return table
}

// NewRouter returns the API's router: every route of the table above, with
// the 405 of an unknown method taken from the same table. The server's whole
// handler (the admin site beside it, the policy around both) is package
// main's newHandler.
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
	assets, err := browsableAssets()
	if err != nil {
		return nil, err
	}
	var schema, docs gin.HandlerFunc
	if !d.HideSchema {
		if schema, err = schemaHandler(d); err != nil {
			return nil, err
		}
		if docs, err = schemaDocs(); err != nil {
			return nil, err
		}
	}
	// Every line logged while serving a request names it (package
	// requestid; Protect gives the request its id).
	log := slog.New(requestid.Handler(d.Log.Handler()))
	table := routes(d, assets, schema, docs)
	// The security headers, the HTTPS rule, the allowed hosts and the request
	// id are Protect's, around the whole server, the admin site included.
	if d.Metrics != nil {
		// Outermost, to time and count what recovery makes of a panic too.
		paths := make([]string, len(table))
		for i, rt := range table {
			paths[i] = rt.path
		}
		r.Use(instrument(d.Metrics, paths))
	}
	r.Use(recovery(log), accessLog(log), errorResponder(log, d.Auth.Keyword(), d.Metrics),
		limitBody(d.BodyLimit))

	// Each chain is built once, here; a view's is shared by its routes.
	views := map[*view][]gin.HandlerFunc{}
	var anyMethod []builtRoute
	var fixed []fixedRoute
	for _, rt := range table {
		var chain []gin.HandlerFunc
		if rt.before != nil {
			chain = append(chain, rt.before)
		}
		switch {
		case rt.view != nil:
			if views[rt.view] == nil {
				views[rt.view] = rt.view.chain(d.Auth)
			}
			chain = append(chain, views[rt.view]...)
		default:
			chain = append(chain, rt.handle)
		}
		if rt.methods == nil {
			r.Any(rt.path, chain...)
			anyMethod = append(anyMethod, builtRoute{path: rt.path, chain: chain})
		} else {
			fixed = append(fixed, fixedRoute{path: rt.path, allow: strings.Join(rt.methods, ", ")})
		}
		for _, m := range rt.methods {
			r.Handle(m, rt.path, chain...)
		}
	}
	r.NoRoute(func(c *gin.Context) { abort(c, errNotFound) })
	// A method gin has no tree for (PROPFIND, say) on a known path: the
	// route's own chain, whose view answers 405 after negotiation and
	// authentication.
	r.NoMethod(func(c *gin.Context) {
		for _, rt := range anyMethod {
			params, ok := match(rt.path, c.Request.URL.Path)
			if !ok {
				continue
			}
			c.Params = params
			// Run as gin would: a handler's c.Next() finds nothing after
			// NoMethod, so the loop goes on to the next one.
			for _, h := range rt.chain {
				if h(c); c.IsAborted() {
					return
				}
			}
			return
		}
		// A route of a few methods (the health checks, the schema, static
		// files) answers any other with 405 and what it allows, as HTTP
		// asks, not 404.
		for _, rt := range fixed {
			if _, ok := match(rt.path, c.Request.URL.Path); ok {
				c.Header("Allow", rt.allow)
				abort(c, errMethodNotAllowed(c.Request.Method))
				return
			}
		}
		abort(c, errNotFound)
	})
	return r, nil
}

// fixedRoute is a route of the methods in allow only, for NoMethod.
type fixedRoute struct {
	path, allow string
}

// builtRoute is a route of every method with its handler chain, for NoMethod.
type builtRoute struct {
	path  string
	chain []gin.HandlerFunc
}

// match reports whether gin's pattern matches path, with the values of its
// :params (a part of one segment, not empty) and *catch-all, as gin reads
// them. The routes' patterns never overlap (gin refuses those that would),
// so the first route that matches is the one gin would have chosen.
func match(pattern, path string) (gin.Params, bool) {
	var params gin.Params
	for pattern != "" {
		switch pattern[0] {
		case ':':
			name, rest := pattern[1:], ""
			if i := strings.IndexByte(name, '/'); i >= 0 {
				name, rest = name[:i], name[i:]
			}
			end := strings.IndexByte(path, '/')
			if end < 0 {
				end = len(path)
			}
			if end == 0 {
				return nil, false
			}
			params = append(params, gin.Param{Key: name, Value: path[:end]})
			pattern, path = rest, path[end:]
		case '*':
			// gin's catch-all keeps the slash before it.
			return append(params, gin.Param{Key: pattern[1:], Value: "/" + path}), true
		default:
			if path == "" || path[0] != pattern[0] {
				return nil, false
			}
			pattern, path = pattern[1:], path[1:]
		}
	}
	return params, path == ""
}

var (
	plainPK  = regexp.MustCompile(`^[^/.]+$`)
	suffixPK = regexp.MustCompile(`^([^/.]+)\.([a-z0-9]+)$`)
	format   = regexp.MustCompile(`^[a-z0-9]+$`)
)

// Keys of the values that a route reads from its path for the view.
type (
	pkKey     struct{} // the student id, an int64
	formatKey struct{} // the format suffix, a string
)

// setPK keeps the path's pk for the view, parsed once. A pk that is no
// integer of 64 bits (fields.PythonInt) names no student: it is not kept,
// and the lookup answers 404 as DRF's get_object_or_404, after
// authentication and the method check, in DRF's order.
func setPK(c *gin.Context, pk string) {
	if id, ok := fields.PythonInt(pk); ok {
		c.Set(pkKey{}, id)
	}
}

// pathPK is the student id in a detail route's path; ok is false when the
// path names none.
func pathPK(c *gin.Context) (id int64, ok bool) {
	v, _ := c.Get(pkKey{})
	id, ok = v.(int64)
	return id, ok
}

// pathFormat is the format suffix of the path (".json"), without the dot;
// empty for none.
func pathFormat(c *gin.Context) string {
	v, _ := c.Get(formatKey{})
	f, _ := v.(string)
	return f
}

// detailPK reads /studentapi/<pk>/ and /studentapi/<pk>.<format>, where the
// slash after a format suffix is optional, as in DRF's format_suffix_patterns.
func detailPK(slashed bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		pk := c.Param("pk")
		if m := suffixPK.FindStringSubmatch(pk); m != nil {
			setPK(c, m[1])
			c.Set(formatKey{}, m[2])
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
		setPK(c, pk)
	}
}

func formatSuffix(c *gin.Context) {
	f := c.Param("format")
	if !format.MatchString(f) {
		abort(c, errNotFound)
		return
	}
	c.Set(formatKey{}, f)
}

// appendSlash redirects to the path with a slash, as Django's APPEND_SLASH, but
// with 308 for methods with a body so that a client keeps the method and body.
// A method that is not HTTP's own (WebDAV's PROPFIND, say) is one no route
// has: 404, rather than a redirect to a 405.
func appendSlash(c *gin.Context) {
	var status int
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		status = http.StatusMovedPermanently
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodConnect, http.MethodTrace:
		status = http.StatusPermanentRedirect
	default:
		abort(c, errNotFound)
		return
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
