package api

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"

	"studentapi/internal/openapi"
	"studentapi/models"
)

// The OpenAPI document, as drf-spectacular's SpectacularAPIView serves it:
// GET /schema/ (and /openapi.json), JSON by default, YAML with ?format=yaml
// (or drf-spectacular's ?format=openapi) or Accept: application/yaml, OpenAPI 3.0.3 or, with ?version=3.1, 3.1. It
// is described from the route table (routes.go), the views' own rules and
// models' declaration of a student, for the running configuration
// (pagination, keywords), and built once, when the router is: it needs no
// token and touches no database, like /healthz, and so no throttle.

// routeDoc is what the document says of a route beyond what its view says.
type routeDoc struct {
	tag string
	ops []openapi.Operation
	// database is a route without a view that reads the database; a view
	// always does (authentication, throttles, the student table).
	database bool
}

// schemaVersions are the ?version= values and the OpenAPI versions they
// choose; none is the first.
var schemaVersions = map[string]string{"": openapi.V30, "3.0": openapi.V30, "3.0.3": openapi.V30, "3.1": openapi.V31, "3.1.0": openapi.V31}

// schemaRenderers are the document's formats: ?format= chooses among them
// by name, Accept by media type (the first for */*), as a view's renderers.
var schemaRenderers = []renderer{
	{mediaType: "application/vnd.oai.openapi+json", format: "json"},
	{mediaType: "application/json", format: "json"},
	{mediaType: "application/vnd.oai.openapi", format: "yaml"},
	{mediaType: "application/yaml", format: "yaml"},
	{mediaType: "application/x-yaml", format: "yaml"},
	{mediaType: "text/yaml", format: "yaml"},
}

// describe is what the document says of the API, from the route table.
func describe(d Deps) openapi.API {
	a := openapi.API{
		Title:   "studentapi",
		Version: "1.0.0",
		Description: "Students, and the token that reads and writes them: Django REST Framework's " +
			"authtoken and a Student ModelViewSet.",
		Students: models.StudentFields(),
		Search:   searchParam,
		Ordering: orderingParam,
		// The columns models' search reads (student_query.go).
		SearchFields: []string{"name", "city"},
		Filters:      []openapi.Filter{{Name: cityParam, Description: "Only students of this city, exactly."}},
		Tags: []openapi.Tag{
			{Name: "gettoken", Description: "Log in with a username and password for the token every other request sends."},
			{Name: "logout", Description: "Give the token up."},
			{Name: "studentapi", Description: "Students: list, search, create, read, replace, change, delete."},
			{Name: "health", Description: "For load balancers and orchestrators: is the process up, does the database answer."},
		},
		Pagination: openapi.Pagination{PageSize: d.Pagination.PageSize, PageParam: pageParam,
			PageSizeQueryParam: d.Pagination.PageSizeQueryParam, MaxPageSize: d.Pagination.MaxPageSize},
	}
	if d.Auth != nil {
		a.Keywords = d.Auth.Keywords()
	}
	for _, f := range rollFilters {
		a.Filters = append(a.Filters, openapi.Filter{Name: f.param, Number: true, Description: f.description})
	}
	for _, rt := range routes(d, nil, nil, nil) {
		if rt.doc == nil {
			continue
		}
		p := openapi.Path{Path: schemaPath(rt.path), Tag: rt.doc.tag, Operations: rt.doc.ops, Database: rt.doc.database}
		if v := rt.view; v != nil {
			p.Protected, p.Throttled, p.Negotiated, p.Database = v.protected, len(v.throttles) > 0, true, true
			p.Parses = v.parses
		}
		a.Paths = append(a.Paths, p)
	}
	return a
}

// schemaPath is gin's pattern as OpenAPI's template: /studentapi/:pk/ is
// /studentapi/{id}/, the name DRF's router gives the lookup.
func schemaPath(pattern string) string {
	out := []byte{}
	for i := 0; i < len(pattern); i++ {
		if pattern[i] != ':' {
			out = append(out, pattern[i])
			continue
		}
		j := i + 1
		for j < len(pattern) && pattern[j] != '/' {
			j++
		}
		name := pattern[i+1 : j]
		if name == "pk" {
			name = "id"
		}
		out = append(out, "{"+name+"}"...)
		i = j - 1
	}
	return string(out)
}

// Schema is the OpenAPI document that the router NewRouter(d) builds serves:
// version "3.0" or "3.1" ("" is 3.0), format "json" or "yaml". d needs only
// what the document follows: Auth (its keywords) and Pagination; nothing is
// opened or called. For the spectacular command.
func Schema(d Deps, version, format string) ([]byte, error) {
	v, ok := schemaVersions[version]
	if !ok {
		return nil, fmt.Errorf("openapi version %q: want 3.0 or 3.1", version)
	}
	doc, err := openapi.Document(describe(d), v)
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	switch format {
	case "json":
		return doc.JSON()
	case "yaml":
		return doc.YAML()
	}
	return nil, fmt.Errorf("openapi format %q: want json or yaml", format)
}

// schemaBody is the document in one version and format, with its tag,
// rendered once, on its first request.
type schemaBody struct {
	once   sync.Once
	render func() ([]byte, error)
	body   []byte
	etag   string
	err    error
}

func (b *schemaBody) get() (*schemaBody, error) {
	b.once.Do(func() {
		if b.body, b.err = b.render(); b.err == nil {
			b.etag = entityTag(b.body)
		}
	})
	return b, b.err
}

// schemaHandler answers the document in each version and format. Both
// versions are built here, so that a document that cannot be built stops the
// server from starting; each is rendered on its first request, as rendering
// (YAML's above all) takes megabytes the server would otherwise hold from
// its start for a page few ask for.
func schemaHandler(d Deps) (gin.HandlerFunc, error) {
	api := describe(d)
	bodies := map[[2]string]*schemaBody{}
	for _, version := range []string{openapi.V30, openapi.V31} {
		doc, err := openapi.Document(api, version)
		if err != nil {
			return nil, fmt.Errorf("openapi document: %w", err)
		}
		bodies[[2]string{version, "json"}] = &schemaBody{render: doc.JSON}
		bodies[[2]string{version, "yaml"}] = &schemaBody{render: doc.YAML}
	}
	vary := []string{"Accept"}
	return func(c *gin.Context) {
		params := c.Request.URL.Query()
		version, ok := schemaVersions[lastValue(params, "version")]
		if !ok {
			abort(c, errNotFound)
			return
		}
		format := lastValue(params, "format")
		if format == "openapi" {
			// drf-spectacular's name for its YAML renderers: a client moved
			// from DRF keeps its URL.
			format = "yaml"
		}
		candidates, ok := ofFormat(schemaRenderers, format)
		if !ok {
			abort(c, errNotFound)
			return
		}
		h := c.Writer.Header()
		h["Vary"] = vary
		r, ok := selectRenderer(c.Request.Header.Values("Accept"), candidates)
		if !ok {
			abort(c, errNotAcceptable)
			return
		}
		b, err := bodies[[2]string{version, r.format}].get()
		if err != nil {
			abort(c, fmt.Errorf("openapi document: %w", err))
			return
		}
		h["Etag"] = []string{b.etag}
		if inm := c.Request.Header["If-None-Match"]; len(inm) > 0 && tagListMatches(inm, b.etag, true) {
			c.Status(http.StatusNotModified)
			c.Writer.WriteHeaderNow()
			return
		}
		c.Data(http.StatusOK, r.mediaType, b.body)
	}, nil
}

// schemaDocs is the document's reference page, /schema/docs/: Swagger UI,
// vendored from npm's swagger-ui-dist into static/swagger-ui/ (VERSION and
// LICENSE there; scripts/swagger-ui.sh refreshes it) and served with the
// browsable API's files, under the browsable API's Content-Security-Policy:
// the page loads only this server's script, stylesheet and document.
func schemaDocs() (gin.HandlerFunc, error) {
	page, err := browsableFiles.ReadFile("templates/schemadocs.html")
	if err != nil {
		return nil, fmt.Errorf("schema docs page: %w", err)
	}
	return func(c *gin.Context) {
		c.Header("Content-Security-Policy", browsableCSP)
		c.Data(http.StatusOK, "text/html; charset=utf-8", page)
	}, nil
}
