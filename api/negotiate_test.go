package api

import (
	"testing"
)

// CONTRACT section 5, Accept: JSON for application/json, */* or nothing; 406
// before authentication when nothing fits.
func TestAccept(t *testing.T) {
	list := "[" + raviJSON + "," + sonamJSON + "]"
	accept := func(name, path, value string, token string, wantStatus int, wantBody string) scenario {
		return scenario{name: name, path: path, header: []string{"Accept", value}, token: token,
			wantStatus: wantStatus, wantBody: wantBody}
	}
	runScenarios(t, []scenario{
		{name: "no Accept", path: "/studentapi/", token: "alice", wantStatus: 200, wantBody: list,
			wantHeaders: headers("Content-Type", jsonType, "Vary", "Accept")},
		accept("application/json", "/studentapi/", "application/json", "alice", 200, list),
		accept("*/*", "/studentapi/", "*/*", "alice", 200, list),
		accept("application/*", "/studentapi/", "application/*", "alice", 200, list),
		accept("with parameters", "/studentapi/", "application/json; indent=4; charset=utf-8", "alice", 200, list),
		accept("with quality", "/studentapi/", "application/json;q=0.9", "alice", 200, list),
		accept("media types ignore case", "/studentapi/", "Application/JSON", "alice", 200, list),
		accept("a list with JSON in it", "/studentapi/", "application/xml, application/json", "alice", 200, list),
		{name: "a browser gets the browsable API", path: "/studentapi/", token: "alice",
			header:     []string{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
			wantStatus: 200, wantBody: "<!DOCTYPE html>", bodyPrefix: true,
			wantHeaders: headers("Content-Type", "text/html; charset=utf-8", "Vary", "Accept")},
		accept("detail with JSON", "/studentapi/1/", "application/json", "alice", 200, raviJSON),
		accept("xml", "/studentapi/", "application/xml", "alice", 406, bodyNotAcceptable),
		accept("xml anonymous", "/studentapi/", "application/xml", "", 406, bodyNotAcceptable),
		accept("xml anonymous on a detail", "/studentapi/99/", "application/xml", "", 406, bodyNotAcceptable),
		accept("xml on the root", "/", "application/xml", "", 406, bodyNotAcceptable),
		accept("text/plain", "/studentapi/", "text/plain", "", 406, bodyNotAcceptable),
		accept("image/*", "/studentapi/", "image/*", "", 406, bodyNotAcceptable),
		accept("empty Accept", "/studentapi/", "", "", 406, bodyNotAcceptable),
		accept("garbage", "/studentapi/", ";;,,", "", 406, bodyNotAcceptable),
		{name: "JSON with ?format=json", path: "/studentapi/?format=json", header: []string{"Accept", "application/json"},
			token: "alice", wantStatus: 200, wantBody: list},
		{name: "xml with ?format=json", path: "/studentapi/?format=json", header: []string{"Accept", "application/xml"},
			wantStatus: 406, wantBody: bodyNotAcceptable},
		{name: "empty format is no format", path: "/studentapi/?format=", token: "alice", wantStatus: 200, wantBody: list},
		{name: "last format counts", path: "/studentapi/?format=xml&format=json", token: "alice", wantStatus: 200, wantBody: list},
		{name: "last format counts, 404", path: "/studentapi/?format=json&format=xml", token: "alice", wantStatus: 404, wantBody: bodyNotFound},
		{name: "suffix beats the query", path: "/studentapi.json?format=xml", token: "alice", wantStatus: 200, wantBody: list},
		{name: "two Accept headers", path: "/studentapi/", header: []string{"Accept", "application/xml", "Accept", "application/json"},
			token: "alice", wantStatus: 200, wantBody: list},
	})
}

// selectRenderer follows DRF's DefaultContentNegotiation: the most specific
// Accept entries first (type/sub with parameters, type/sub, type/*, */*), and
// within one level the view's renderers in order; quality values are not weighed.
func TestSelectRenderer(t *testing.T) {
	both := []renderer{jsonRenderer, htmlRenderer}
	jsonOnly := []renderer{jsonRenderer}
	none := renderer{}
	tests := []struct {
		name      string
		accept    []string
		renderers []renderer
		want      renderer
		wantOK    bool
	}{
		{"no header is */*", nil, both, jsonRenderer, true},
		{"*/* picks the first", []string{"*/*"}, both, jsonRenderer, true},
		{"json", []string{"application/json"}, both, jsonRenderer, true},
		{"html", []string{"text/html"}, both, htmlRenderer, true},
		{"html from a json-only view", []string{"text/html"}, jsonOnly, none, false},
		{"text/* picks html", []string{"text/*"}, both, htmlRenderer, true},
		{"*/json", []string{"*/json"}, both, jsonRenderer, true},
		{"specific beats wildcard", []string{"*/*, text/html"}, both, htmlRenderer, true},
		{"type/* beats */*", []string{"*/*;q=1, text/*;q=0.1"}, both, htmlRenderer, true},
		{"parameters beat plain", []string{"application/json, text/html; level=1"}, both, htmlRenderer, true},
		{"q alone is not a parameter", []string{"application/json, text/html;q=1"}, both, jsonRenderer, true},
		{"quality not weighed", []string{"text/html;q=0.1, application/json;q=1"}, both, jsonRenderer, true},
		{"same level: renderer order", []string{"text/html, application/json"}, both, jsonRenderer, true},
		{"several header values", []string{"application/xml", "text/html"}, both, htmlRenderer, true},
		{"case-insensitive types", []string{"TEXT/HTML"}, both, htmlRenderer, true},
		{"case-insensitive parameter names", []string{"application/json; Q=0.5, text/html"}, both, jsonRenderer, true},
		{"spaces around entries", []string{"  application/json  ,  text/html "}, jsonOnly, jsonRenderer, true},
		{"xml", []string{"application/xml"}, both, none, false},
		{"subtype prefix is not a match", []string{"application/js"}, both, none, false},
		{"empty header", []string{""}, both, none, false},
		{"no slash", []string{"application"}, both, none, false},
		{"no renderers", []string{"*/*"}, nil, none, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := selectRenderer(tt.accept, tt.renderers)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("selectRenderer(%q) = %v, %v; want %v, %v", tt.accept, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
