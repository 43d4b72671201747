package api

import (
	"strings"

	"github.com/gin-gonic/gin"
)

// renderer is one output format a view offers, as a DRF renderer class.
type renderer struct {
	mediaType string // e.g. "application/json"
	format    string // the ?format= and .suffix name, e.g. "json"
}

var (
	jsonRenderer = renderer{mediaType: "application/json", format: "json"}
	// htmlRenderer is DRF's browsable API: writeJSON puts the JSON answer in
	// an HTML page (browsable.go).
	htmlRenderer = renderer{mediaType: "text/html", format: "api"}
)

// renderedKey holds the *renderer negotiate chose.
type renderedKey struct{}

// ref points at the package's copy of r, so that keeping it in a request
// allocates nothing.
func (r renderer) ref() *renderer {
	if r == htmlRenderer {
		return &htmlRenderer
	}
	return &jsonRenderer
}

// ofFormat is the renderers of format, a format suffix or ?format= (all of
// them for ""), and false when none is: an unknown format is 404 in DRF.
func ofFormat(renderers []renderer, format string) ([]renderer, bool) {
	if format == "" {
		return renderers, true
	}
	var of []renderer
	for _, r := range renderers {
		if r.format == format {
			of = append(of, r)
		}
	}
	return of, len(of) > 0
}

// negotiate chooses the renderer as DRF's DefaultContentNegotiation does, before
// authentication: a format suffix or ?format= narrows the renderers (an unknown
// format is 404), then the Accept header picks among them (none acceptable: 406).
func negotiate(renderers ...renderer) gin.HandlerFunc {
	return func(c *gin.Context) {
		format := pathFormat(c)
		if format == "" {
			format = lastValue(queryParams(c), "format")
		}
		candidates, ok := ofFormat(renderers, format)
		if !ok {
			abort(c, errNotFound)
			return
		}
		r, ok := selectRenderer(c.Request.Header.Values("Accept"), candidates)
		if !ok {
			abort(c, errNotAcceptable)
			return
		}
		c.Set(renderedKey{}, r.ref())
		c.Next()
	}
}

// acceptedType is one entry of an Accept header.
type acceptedType struct {
	main, sub string
	params    map[string]string
}

// precedence orders entries as DRF does: specific with parameters, specific,
// type/*, then */*. Quality values are not weighed, as in DRF.
func (a acceptedType) precedence() int {
	switch {
	case a.main == "*":
		return 0
	case a.sub == "*":
		return 1
	case len(a.params) == 0:
		return 2
	}
	return 3
}

func (a acceptedType) matches(mediaType string) bool {
	main, sub, _ := strings.Cut(mediaType, "/")
	if a.sub != "*" && a.sub != sub {
		return false
	}
	return a.main == "*" || a.main == main
}

// acceptAnything is a missing Accept header, which DRF reads as */*. It is
// only ever read.
var acceptAnything = []acceptedType{{main: "*", sub: "*"}}

func parseAccept(values []string) []acceptedType {
	if len(values) == 0 {
		return acceptAnything
	}
	var out []acceptedType
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			// Media types and parameter names ignore case, as Django's
			// parse_header lower-cases them for DRF's _MediaType.
			full, rest, _ := strings.Cut(part, ";")
			var params map[string]string // made for the first parameter
			for p := range strings.SplitSeq(rest, ";") {
				k, val, ok := strings.Cut(p, "=")
				if k = strings.ToLower(strings.TrimSpace(k)); ok && k != "" && k != "q" {
					if params == nil {
						params = map[string]string{}
					}
					params[k] = strings.Trim(strings.TrimSpace(val), `"`)
				}
			}
			main, sub, _ := strings.Cut(strings.ToLower(strings.TrimSpace(full)), "/")
			out = append(out, acceptedType{main: main, sub: sub, params: params})
		}
	}
	return out
}

func selectRenderer(accept []string, renderers []renderer) (renderer, bool) {
	accepted := parseAccept(accept)
	for prec := 3; prec >= 0; prec-- {
		for _, r := range renderers {
			for _, a := range accepted {
				if a.precedence() == prec && a.matches(r.mediaType) {
					return r, true
				}
			}
		}
	}
	return renderer{}, false
}

// abort records err for the error writer and stops the chain.
func abort(c *gin.Context, err error) {
	_ = c.Error(err)
	c.Abort()
}
