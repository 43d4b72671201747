// Package openapitest holds a handler to the OpenAPI document it serves:
// wrapped by Validating, every answer to a request the document describes
// is checked against it (status, headers, body), so a test suite that drives
// the handler proves the document true of every answer it sees.
package openapitest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Validator checks answers against one document.
type Validator struct {
	doc    *openapi3.T
	router routers.Router
	// Checked counts the answers checked, so a test can tell that the
	// wrapper saw what it should have.
	Checked atomic.Int64
}

// Load reads an OpenAPI 3.0 document, which must itself be valid.
func Load(doc []byte) (*Validator, error) {
	loader := openapi3.NewLoader()
	t, err := loader.LoadFromData(doc)
	if err != nil {
		return nil, fmt.Errorf("openapitest: load document: %w", err)
	}
	if err := t.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapitest: document is not valid: %w", err)
	}
	r, err := gorillamux.NewRouter(t)
	if err != nil {
		return nil, fmt.Errorf("openapitest: route document: %w", err)
	}
	return &Validator{doc: t, router: r}, nil
}

// Validating wraps h so that every answer is checked against the document
// h serves at schemaPath; a mismatch fails t.
func Validating(t testing.TB, h http.Handler, schemaPath string) (http.Handler, *Validator) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, schemaPath, nil)
	if err != nil {
		t.Fatalf("openapitest: %v", err)
	}
	req.Host, req.RemoteAddr = "localhost", "127.0.0.1:1234"
	w := &recorder{header: http.Header{}}
	h.ServeHTTP(w, req)
	if w.status != http.StatusOK {
		t.Fatalf("openapitest: GET %s: %d %s", schemaPath, w.status, w.body.String())
	}
	v, err := Load(w.body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return v.Wrap(t, h), v
}

// Wrap is h with every answer checked against v's document. Answers to
// requests the document does not describe (HEAD, OPTIONS, a path with a
// format suffix or without its slash, an unknown path), and the browsable
// API's HTML pages (for browsers, not clients, as drf-spectacular leaves
// them out), are not checked.
func (v *Validator) Wrap(t testing.TB, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route, params, findErr := v.router.FindRoute(r)
		// The request as it came: the handler reads its body.
		probe := r.Clone(r.Context())
		probe.Body = http.NoBody
		tee := &tee{ResponseWriter: w}
		if _, ok := w.(http.Hijacker); ok {
			// A writer that can be hijacked stays one; only then, since
			// gin counts a failed Hijack as an answer written.
			h.ServeHTTP(hijacker{tee}, r)
		} else {
			h.ServeHTTP(tee, r)
		}
		status := tee.status
		if status == 0 {
			status = http.StatusOK
		}
		if tee.hijacked || strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			return
		}
		if findErr != nil {
			// A method the path does not take: its 405 is the document's
			// shared answer, checked on its own.
			if errors.Is(findErr, routers.ErrMethodNotAllowed) && status == http.StatusMethodNotAllowed {
				if err := v.CheckShared("MethodNotAllowed", canonical(w.Header()), tee.body.Bytes()); err != nil {
					t.Errorf("openapitest: %s %s answered 405 unlike the document's MethodNotAllowed: %v", r.Method, r.URL, err)
				}
			}
			return
		}
		if err := v.Check(probe, route, params, status, canonical(w.Header()), tee.body.Bytes()); err != nil {
			t.Errorf("openapitest: %s %s answered %d, which the document does not describe: %v\nbody: %.300s",
				r.Method, r.URL, status, err, tee.body.String())
		}
	})
}

// canonical is h with its keys in Go's canonical form, which kin-openapi's
// lookups (Header.Get) expect: the server sets some as the wire spells them
// (WWW-Authenticate), and HTTP field names are case-insensitive.
func canonical(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, v := range h {
		ck := http.CanonicalHeaderKey(k)
		out[ck] = append(out[ck], v...)
	}
	return out
}

// Check validates one answer to req, which the document routes to route.
func (v *Validator) Check(req *http.Request, route *routers.Route, params map[string]string, status int, header http.Header, body []byte) error {
	v.Checked.Add(1)
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route, Options: opts,
		},
		Status:  status,
		Header:  header,
		Options: opts,
	}
	in.SetBodyBytes(body)
	err := openapi3filter.ValidateResponse(req.Context(), in)
	if err == nil && len(body) > 0 && status != http.StatusNotModified {
		// kin-openapi takes a body the operation declares no content for;
		// an undeclared body is as much an undocumented answer as a status.
		resp := route.Operation.Responses.Status(status)
		if resp == nil || resp.Value == nil || len(resp.Value.Content) == 0 {
			err = errors.New("a body where the document declares none")
		}
	}
	return err
}

// CheckShared validates an answer against the document's named response
// (components/responses): its required headers and its JSON body.
func (v *Validator) CheckShared(name string, header http.Header, body []byte) error {
	v.Checked.Add(1)
	ref := v.doc.Components.Responses[name]
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("no response %q in the document", name)
	}
	for h, hr := range ref.Value.Headers {
		if hr.Value.Required && header.Get(h) == "" {
			return fmt.Errorf("header %s missing", h)
		}
	}
	mt := ref.Value.Content.Get(header.Get("Content-Type"))
	if mt == nil {
		return fmt.Errorf("content type %q not documented", header.Get("Content-Type"))
	}
	var value any
	if err := json.Unmarshal(body, &value); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	return mt.Schema.Value.VisitJSON(value)
}

// tee writes through to the client and keeps a copy of the answer.
type tee struct {
	http.ResponseWriter
	status   int
	body     bytes.Buffer
	hijacked bool
}

func (t *tee) WriteHeader(status int) {
	if t.status == 0 {
		t.status = status
	}
	t.ResponseWriter.WriteHeader(status)
}

func (t *tee) Write(p []byte) (int, error) {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	t.body.Write(p)
	return t.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController and gin reach the connection.
func (t *tee) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// Flush passes a flush on.
func (t *tee) Flush() {
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// hijacker is a tee over a writer that can be hijacked.
type hijacker struct{ *tee }

// Hijack passes the connection on; its answer is not the handler's to check.
func (h hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h.hijacked = true
	return h.ResponseWriter.(http.Hijacker).Hijack()
}

// recorder is the least of a ResponseWriter, for fetching the document.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(s int) {
	if r.status == 0 {
		r.status = s
	}
}
func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(p)
}
