package api

import (
	"net/http"
	"testing"
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
		// The routes of GET and HEAD alone.
		{name: "static file", path: "/static/browsable.css", wantStatus: 404, wantBody: bodyNotFound},
		{name: "liveness", path: "/healthz", wantStatus: 404, wantBody: bodyNotFound},
		{name: "readiness", path: "/readyz", wantStatus: 404, wantBody: bodyNotFound},
		{name: "unknown path", path: "/nowhere/", token: "alice", wantStatus: 404, wantBody: bodyNotFound},
	}
	for i := range tests {
		tests[i].method = propfind
	}
	// A method gin does have a tree for, on a route of GET and HEAD alone.
	tests = append(tests, scenario{name: "POST on the liveness check", method: http.MethodPost, path: "/healthz",
		wantStatus: 404, wantBody: bodyNotFound})
	runScenarios(t, tests)
}
