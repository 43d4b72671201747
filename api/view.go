package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"studentapi/auth"
)

// handler is a view method: it writes the answer itself, or returns the error
// that errors.go turns into one.
type handler func(c *gin.Context) error

// view is one endpoint judged in DRF's order: content negotiation, then
// authentication and permission, then throttling, then the method, then the
// handler (which does the object lookup and body parsing, in that order).
type view struct {
	name        string // for OPTIONS, as DRF's get_view_name
	description string
	renderers   []renderer
	parses      []string
	protected   bool // IsAuthenticated
	throttles   []throttleRule
	// basic is DRF's BasicAuthentication, on a view that keeps DRF's default
	// authentication classes (/gettoken/); nil for none. It runs after the
	// throttles, not before as in DRF, so that it is no unthrottled way to
	// guess passwords.
	basic   gin.HandlerFunc
	methods map[string]handler
	// actions describes the writable fields for OPTIONS; nil for none.
	actions func(c *gin.Context) (map[string]any, error)
	// around runs first and around the rest of the chain (the login
	// metrics of /gettoken/); nil for none.
	around gin.HandlerFunc
}

// allowed lists the methods in DRF's order, as the Allow header shows them.
func (v *view) allowed() string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if _, ok := v.methods[m]; ok {
			out = append(out, m)
		}
	}
	if _, ok := v.methods[http.MethodGet]; ok {
		out = append(out, http.MethodHead)
	}
	return strings.Join(append(out, http.MethodOptions), ", ")
}

// chain is the view's gin handler chain, after any route-specific middleware.
func (v *view) chain(a *auth.Authenticator) []gin.HandlerFunc {
	allow := v.allowed()
	vary := len(v.renderers) > 1
	served := &browsableView{view: v, keyword: a.Keyword()}
	allowValue, varyValue := []string{allow}, []string{"Accept"}
	headers := func(c *gin.Context) {
		c.Set(viewKey{}, served)
		// Shared values, assigned as Protect's are.
		h := c.Writer.Header()
		h["Allow"] = allowValue
		if vary {
			h["Vary"] = varyValue
		}
	}
	var chain []gin.HandlerFunc
	if v.around != nil {
		chain = append(chain, v.around)
	}
	chain = append(chain, headers, negotiate(v.renderers...))
	if v.protected {
		chain = append(chain, a.Middleware(), auth.Required())
	}
	if len(v.throttles) > 0 {
		chain = append(chain, throttled(v.throttles...))
	}
	if v.basic != nil {
		chain = append(chain, v.basic)
	}
	return append(chain, v.dispatch)
}

func (v *view) dispatch(c *gin.Context) {
	method := c.Request.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	h, ok := v.methods[method]
	if method == http.MethodOptions {
		h, ok = v.options, true
	}
	if !ok {
		abort(c, errMethodNotAllowed(c.Request.Method))
		return
	}
	if err := h(c); err != nil {
		abort(c, err)
	}
}

// fieldInfo is one field in OPTIONS metadata, with DRF's keys in DRF's order.
type fieldInfo struct {
	Type      string `json:"type"`
	Required  bool   `json:"required"`
	ReadOnly  bool   `json:"read_only"`
	Label     string `json:"label"`
	MaxLength int    `json:"max_length,omitempty"`
}

type metadata struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Renders     []string       `json:"renders"`
	Parses      []string       `json:"parses"`
	Actions     map[string]any `json:"actions,omitempty"`
}

func (v *view) options(c *gin.Context) error {
	md := metadata{Name: v.name, Description: v.description, Parses: v.parses}
	for _, r := range v.renderers {
		md.Renders = append(md.Renders, r.mediaType)
	}
	if v.actions != nil {
		actions, err := v.actions(c)
		if err != nil {
			return err
		}
		md.Actions = actions
	}
	writeJSON(c, http.StatusOK, md)
	return nil
}
