package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"studentapi/auth"
	"studentapi/internal/fields"
	"studentapi/internal/metrics"
	"studentapi/internal/requestid"
	"studentapi/models"
)

// This file is the one place where errors become HTTP statuses and DRF-shaped
// bodies. Handlers and middleware record an error with c.Error and stop; the
// errorResponder below writes the answer.

// detailError is a request-level error: {"detail": "..."} with a status.
type detailError struct {
	status int
	detail string
}

func (e *detailError) Error() string { return fmt.Sprintf("%d: %s", e.status, e.detail) }

func newDetail(status int, detail string) error { return &detailError{status: status, detail: detail} }

var (
	errNotFound      = newDetail(http.StatusNotFound, "Not found.")
	errNotAcceptable = newDetail(http.StatusNotAcceptable, "Could not satisfy the request Accept header.")
	errTooLarge      = newDetail(http.StatusRequestEntityTooLarge, "Request body too large.")
	// errPreconditionFailed is a write whose If-Match names no current
	// representation of the row (conditional.go); DRF has no such answer, so
	// its body is in DRF's shape.
	errPreconditionFailed = newDetail(http.StatusPreconditionFailed, "Precondition failed.")
	// errFull is a write refused for want of space (models.ErrFull): 507,
	// WebDAV's Insufficient Storage, which says what is wrong where a 503
	// would send clients and load balancers to retry at once. Reads go on,
	// and the write may be tried again once an operator frees space.
	errFull = newDetail(http.StatusInsufficientStorage, "Insufficient storage: the database is full; try again later.")
)

func errMethodNotAllowed(method string) error {
	return newDetail(http.StatusMethodNotAllowed, fmt.Sprintf("Method %q not allowed.", method))
}

func errUnsupportedMediaType(contentType string) error {
	// Quoted as DRF quotes it, without escaping: %q would add backslashes.
	return newDetail(http.StatusUnsupportedMediaType, `Unsupported media type "`+contentType+`" in request.`)
}

func errParse(detail string) error { return newDetail(http.StatusBadRequest, detail) }

// unavailableError is a database that does not answer, or not within the
// query timeout: 503 with Retry-After, so clients and load balancers try again
// instead of treating it as a bug.
type unavailableError struct{ cause error }

func (e *unavailableError) Error() string { return "service unavailable: " + e.cause.Error() }
func (e *unavailableError) Unwrap() error { return e.cause }

func errUnavailable(cause error) error { return &unavailableError{cause: cause} }

// throttledError is DRF's Throttled: 429 with Retry-After in whole seconds.
// scope names the throttle that refused, for the metrics: "anon", "user",
// "gettoken" or "gettoken_username", never whom it counted.
type throttledError struct {
	seconds int
	scope   string
}

func (e *throttledError) Error() string { return fmt.Sprintf("throttled for %ds", e.seconds) }

func (e *throttledError) detail() string {
	unit := "seconds"
	if e.seconds == 1 {
		unit = "second"
	}
	return fmt.Sprintf("Request was throttled. Expected available in %d %s.", e.seconds, unit)
}

func nonFieldError(msg string) error {
	e := &fields.Errors{}
	e.Add("non_field_errors", msg)
	return e
}

// errorResponder writes the response for the last error a handler recorded, if
// the handler wrote nothing itself.
func errorResponder(log *slog.Logger, keyword string, m *metrics.Metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if len(c.Errors) == 0 {
			return
		}
		err := c.Errors.Last().Err
		if c.Writer.Written() {
			// Too late for a status: an answer cut short after its first
			// byte (a streamed list) breaks the connection, so that the
			// client cannot take what it got for the whole. recovery lets
			// the panic through to net/http, which cuts without a trace.
			var broken *brokenStream
			if errors.As(err, &broken) {
				if !broken.clientGone {
					log.ErrorContext(c.Request.Context(), "answer cut short", "method", c.Request.Method, "route", c.FullPath(), "err", broken.err)
				}
				c.Set(cutKey{}, true) // for the access log and the metrics
				panic(http.ErrAbortHandler)
			}
			return
		}
		writeError(c, log, keyword, err)
		// Looked for only in a 429, not in every refusal (a 401 is a hot path).
		if m != nil && c.Writer.Status() == http.StatusTooManyRequests {
			countThrottled(m, err)
		}
	}
}

// countThrottled counts a 429 under the scope of the throttle that refused.
// Apart from errorResponder so that the target errors.As takes, which
// escapes, is allocated only for a 429.
func countThrottled(m *metrics.Metrics, err error) {
	var slowDown *throttledError
	if errors.As(err, &slowDown) {
		m.Throttled(slowDown.scope).Inc()
	}
}

func writeError(c *gin.Context, log *slog.Logger, keyword string, err error) {
	// The answers of every refused request, for errors that wrap nothing:
	// what the errors.As chain below would find for them, without its
	// allocations.
	switch e := err.(type) {
	case *auth.Failure:
		writeUnauthorized(c, keyword, e)
		return
	case *detailError:
		writeDetail(c, e.status, e.detail)
		return
	}
	var (
		detail   *detailError
		invalid  *fields.Errors
		failure  *auth.Failure
		tooBig   *http.MaxBytesError
		slowDown *throttledError
	)
	var down *unavailableError
	switch {
	case errors.As(err, &down):
		msg := "database unavailable"
		if models.IsTimeout(down.cause) {
			msg = "database query timed out" // database.query_timeout
		}
		log.WarnContext(c.Request.Context(), msg, "route", c.FullPath(), "err", down.cause)
		c.Header("Retry-After", "5")
		writeDetail(c, http.StatusServiceUnavailable, "Service temporarily unavailable.")
	case errors.As(err, &slowDown):
		c.Header("Retry-After", strconv.Itoa(slowDown.seconds))
		writeDetail(c, http.StatusTooManyRequests, slowDown.detail())
	case errors.As(err, &failure):
		writeUnauthorized(c, keyword, failure)
	case errors.As(err, &detail):
		writeDetail(c, detail.status, detail.detail)
	case errors.As(err, &invalid):
		writeJSON(c, http.StatusBadRequest, invalid)
	case errors.As(err, &tooBig):
		writeDetail(c, http.StatusRequestEntityTooLarge, errTooLarge.(*detailError).detail)
	case errors.Is(err, models.ErrNotFound):
		writeDetail(c, http.StatusNotFound, "Not found.")
	case errors.Is(err, models.ErrChanged): // a conditional write lost to another
		writeError(c, log, keyword, errPreconditionFailed)
	case errors.Is(err, errMalformedBody):
		log.WarnContext(c.Request.Context(), "malformed request body", "method", c.Request.Method, "route", c.FullPath(), "err", err)
		// The stream after broken framing cannot be read as a next request.
		c.Header("Connection", "close")
		writeDetail(c, http.StatusBadRequest, "Malformed request.")
	case errors.Is(err, models.ErrFull):
		// Logged by models once an episode, not here once a request.
		writeDetail(c, http.StatusInsufficientStorage, errFull.(*detailError).detail)
	case errors.Is(err, errCutOff):
		log.WarnContext(c.Request.Context(), "request body cut off", "method", c.Request.Method, "route", c.FullPath(), "err", err)
		dropConnection(c)
	case models.IsUnavailable(err):
		writeError(c, log, keyword, errUnavailable(err))
	case errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil:
		// The client went away while its request waited (for a turn to
		// hash a password, say): nothing is broken, and no one reads this.
		c.Header("Retry-After", "5")
		writeDetail(c, http.StatusServiceUnavailable, "Service temporarily unavailable.")
	default:
		// The cause goes to the log, never to the client; it never holds a
		// secret, since no error in this service wraps a key or a password.
		// The log line and the answer carry the same request id, for a user
		// to quote.
		log.ErrorContext(c.Request.Context(), "internal error", "method", c.Request.Method, "route", c.FullPath(), "err", err)
		writeServerError(c)
	}
}

// challengeHeader is the 401 challenge's name as DRF and its clients' logs
// spell it on the wire. Go's canonical form is "Www-Authenticate"; net/http
// writes a header map's keys as they are, so setChallenge stores it under
// this exact key and nothing else may set the canonical one (the answer
// would carry both lines). Header.Get canonicalizes, so read it with
// headerValue.
const challengeHeader = "WWW-Authenticate"

// setChallenge sets the challenge to keyword, the one place that does.
func setChallenge(h http.Header, keyword string) {
	h[challengeHeader] = []string{keyword}
}

// headerValue is h's first value for name spelled exactly so, or under its
// canonical form when there is none (challengeHeader is the one name set
// otherwise).
func headerValue(h http.Header, name string) string {
	if v := h[name]; len(v) > 0 {
		return v[0]
	}
	return h.Get(name)
}

// writeUnauthorized is 401 with the challenge DRF's TokenAuthentication sends.
func writeUnauthorized(c *gin.Context, keyword string, f *auth.Failure) {
	setChallenge(c.Writer.Header(), keyword)
	writeDetail(c, http.StatusUnauthorized, f.Detail)
}

// dropConnection closes the connection without an answer, for a request whose
// body was cut off: nobody is waiting for one, and a 500 would blame the
// server. Where the connection cannot be taken over (HTTP/2), it answers DRF's
// ParseError instead.
func dropConnection(c *gin.Context) {
	if w, ok := c.Writer.(interface{ Unwrap() http.ResponseWriter }); ok {
		if _, ok := w.Unwrap().(http.Hijacker); ok {
			if conn, _, err := c.Writer.Hijack(); err == nil {
				_ = conn.Close() // the client is gone or stalled; nothing to report
				return
			}
		}
	}
	writeDetail(c, http.StatusBadRequest, "Malformed request.")
}

// marshal encodes v as DRF's JSONRenderer does: compact, and without escaping
// <, > and & as HTML.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode json: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// detailBody is DRF's body for most refusals.
type detailBody struct {
	Detail string `json:"detail"`
}

// serverErrorBody is the body of a 500: DRF's detail, and the request's id
// (package requestid) when it has one, so that a user can quote it and an
// operator find the logged cause.
type serverErrorBody struct {
	Detail    string `json:"detail"`
	RequestID string `json:"request_id,omitempty"`
}

// writeServerError answers 500 without saying why.
func writeServerError(c *gin.Context) {
	writeJSON(c, http.StatusInternalServerError, serverErrorBody{"Internal server error.", requestid.Of(c.Request.Context())})
}

// writeDetail answers {"detail": detail}.
func writeDetail(c *gin.Context, status int, detail string) {
	writeJSON(c, status, detailBody{detail})
}

func writeJSON(c *gin.Context, status int, v any) {
	body, err := marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"detail":"Internal server error."}`)
	}
	writeBody(c, status, body)
}

// writeBody answers with body, JSON already encoded: as it is, or in the
// browsable page for a browser.
func writeBody(c *gin.Context, status int, body []byte) {
	if r, _ := c.Get(renderedKey{}); r == &htmlRenderer {
		writeBrowsable(c, status, body) // a browser: the same JSON in a page
		return
	}
	// Assigned as Protect's headers are, where c.Data would set it.
	if h := c.Writer.Header(); len(h["Content-Type"]) == 0 {
		h["Content-Type"] = jsonContentType
	}
	c.Data(status, "application/json", body)
}

var jsonContentType = []string{"application/json"}

// writeRefusal answers a request that Protect turns away before any route,
// outside gin: the body and type writeDetail gives the API's JSON clients.
func writeRefusal(w http.ResponseWriter, e *detailError) {
	body, err := marshal(detailBody{e.detail})
	if err != nil { // a string always encodes; never taken
		body = []byte(`{"detail":""}`)
	}
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(e.status)
	_, _ = w.Write(body) // a client gone is nothing to report
}
