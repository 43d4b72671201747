package api

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/gin-gonic/gin"
)

// A method gin has no tree for (WebDAV's PROPFIND) reaches NoMethod, which
// must answer every path of the route table as the table's own route would
// have: the view's 405 after negotiation and authentication, with the path's
// pk or format read, and 404 for what no view serves.
func TestUnknownMethodOnEveryRoute(t *testing.T) {
	const propfind = "PROPFIND"
	notAllowed := `{"detail":"Method \"PROPFIND\" not allowed."}`
	tests := []scenario{
		{name: "API root", path: "/",
			wantStatus: 405, wantBody: notAllowed, wantHeaders: headers("Allow", "GET, HEAD, OPTIONS")},
		{name: "gettoken", path: "/gettoken/",
			wantStatus: 405, wantBody: notAllowed, wantHeaders: headers("Allow", allowGetToken)},
		{name: "logout anonymous", path: "/logout/",
			wantStatus: 401, wantBody: bodyNotProvided, wantHeaders: headers("Allow", "POST, OPTIONS")},
		{name: "logout", path: "/logout/", token: "alice",
			wantStatus: 405, wantBody: notAllowed, wantHeaders: headers("Allow", "POST, OPTIONS")},
		{name: "list", path: "/studentapi/", token: "alice",
			wantStatus: 405, wantBody: notAllowed, wantHeaders: headers("Allow", allowList)},
		{name: "list with a format", path: "/studentapi.json", token: "alice",
			wantStatus: 405, wantBody: notAllowed, wantHeaders: headers("Allow", allowList)},
		{name: "list with a format and a slash", path: "/studentapi.json/", token: "alice",
			wantStatus: 405, wantBody: notAllowed, wantHeaders: headers("Allow", allowList)},
		{name: "list with an unknown format", path: "/studentapi.xml", token: "alice",
			wantStatus: 404, wantBody: bodyNotFound},
		{name: "list with a malformed format", path: "/studentapi.JSON", token: "alice",
			wantStatus: 404, wantBody: bodyNotFound},
		{name: "detail", path: "/studentapi/1/", token: "alice",
			wantStatus: 405, wantBody: notAllowed, wantHeaders: headers("Allow", allowDetail)},
		{name: "detail of a pk that is no integer", path: "/studentapi/abc/", token: "alice",
			wantStatus: 405, wantBody: notAllowed, wantHeaders: headers("Allow", allowDetail)},
		{name: "detail with a format", path: "/studentapi/1.json", token: "alice",
			wantStatus: 405, wantBody: notAllowed, wantHeaders: headers("Allow", allowDetail)},
		{name: "detail with a format and a slash", path: "/studentapi/1.json/", token: "alice",
			wantStatus: 405, wantBody: notAllowed, wantHeaders: headers("Allow", allowDetail)},
		{name: "detail with an unknown format", path: "/studentapi/1.xml/", token: "alice",
			wantStatus: 404, wantBody: bodyNotFound},
		{name: "detail with a malformed pk", path: "/studentapi/1.JSON/", token: "alice",
			wantStatus: 404, wantBody: bodyNotFound},
		// Only HTTP's own methods are sent on to the slashed path.
		{name: "gettoken without its slash", path: "/gettoken", wantStatus: 404, wantBody: bodyNotFound},
		{name: "logout without its slash", path: "/logout", token: "alice", wantStatus: 404, wantBody: bodyNotFound},
		{name: "list without its slash", path: "/studentapi", token: "alice", wantStatus: 404, wantBody: bodyNotFound},
		{name: "detail without its slash", path: "/studentapi/1", token: "alice", wantStatus: 404, wantBody: bodyNotFound},
		// The routes of GET and HEAD alone: 405, and what they allow.
		{name: "static file", path: "/static/browsable.css", wantStatus: 405, wantBody: notAllowed, wantHeaders: headers("Allow", "GET, HEAD")},
		{name: "static file that does not exist", path: "/static/nothing.css", wantStatus: 405, wantBody: notAllowed, wantHeaders: headers("Allow", "GET, HEAD")},
		{name: "liveness", path: "/healthz", wantStatus: 405, wantBody: notAllowed, wantHeaders: headers("Allow", "GET, HEAD")},
		{name: "readiness", path: "/readyz", wantStatus: 405, wantBody: notAllowed, wantHeaders: headers("Allow", "GET, HEAD")},
		{name: "schema", path: "/schema/", wantStatus: 405, wantBody: notAllowed, wantHeaders: headers("Allow", "GET, HEAD")},
		{name: "schema docs", path: "/schema/docs/", wantStatus: 405, wantBody: notAllowed, wantHeaders: headers("Allow", "GET, HEAD")},
		{name: "unknown path", path: "/nowhere/", token: "alice", wantStatus: 404, wantBody: bodyNotFound},
	}
	for i := range tests {
		tests[i].method = propfind
	}
	// A method gin does have a tree for, on a route of GET and HEAD alone.
	tests = append(tests,
		scenario{name: "POST on the liveness check", method: http.MethodPost, path: "/healthz",
			wantStatus: 405, wantBody: `{"detail":"Method \"POST\" not allowed."}`, wantHeaders: headers("Allow", "GET, HEAD")},
		scenario{name: "OPTIONS on the schema", method: http.MethodOptions, path: "/openapi.json",
			wantStatus: 405, wantBody: `{"detail":"Method \"OPTIONS\" not allowed."}`, wantHeaders: headers("Allow", "GET, HEAD")})
	runScenarios(t, tests)
}

// match reads gin's patterns as gin does.
func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          gin.Params // nil: no match
	}{
		{"/", "/", gin.Params{}},
		{"/", "/x", nil},
		{"/gettoken/", "/gettoken/", gin.Params{}},
		{"/gettoken/", "/gettoken", nil},
		{"/studentapi.:format", "/studentapi.json", gin.Params{{Key: "format", Value: "json"}}},
		{"/studentapi.:format", "/studentapi.json/", nil},
		{"/studentapi.:format", "/studentapi.", nil},
		{"/studentapi.:format/", "/studentapi.json/", gin.Params{{Key: "format", Value: "json"}}},
		{"/studentapi/:pk/", "/studentapi/5/", gin.Params{{Key: "pk", Value: "5"}}},
		{"/studentapi/:pk/", "/studentapi//", nil},
		{"/studentapi/:pk/", "/studentapi/5/6/", nil},
		{"/studentapi/:pk", "/studentapi/5.json", gin.Params{{Key: "pk", Value: "5.json"}}},
		{"/studentapi/:pk", "/studentapi/", nil},
		{"/static/*file", "/static/a/b.css", gin.Params{{Key: "file", Value: "/a/b.css"}}},
	}
	for _, tt := range tests {
		got, ok := match(tt.pattern, tt.path)
		if ok != (tt.want != nil) || (ok && !reflect.DeepEqual(append(gin.Params{}, got...), tt.want)) {
			t.Errorf("match(%q, %q) = %v, %v; want %v", tt.pattern, tt.path, got, ok, tt.want)
		}
	}
}
