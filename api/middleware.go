package api

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
)

// accessLog logs one line a request. It never logs headers, the query string, a
// body, or the path as sent: a client may paste its key anywhere, so the line
// names the route ("/studentapi/:pk/") and only a numeric id.
//
// The record goes straight to the handler, as slog's own Logger methods would
// send it but without the caller's program counter (no handler here asks for
// the source) and without boxing each attribute: on the 401 path this line was
// a tenth of the server's time.
//
// The line is written in a defer, so that an answer cut short (a streamed
// list that broke after its first byte, whose connection errorResponder cuts
// with a panic) has its line too, marked cut=true.
func accessLog(log *slog.Logger) gin.HandlerFunc {
	h := log.Handler()
	return func(c *gin.Context) {
		defer logRequest(h, c, time.Now())
		c.Next()
	}
}

// logRequest writes accessLog's line for c, begun at start.
func logRequest(h slog.Handler, c *gin.Context, start time.Time) {
	ctx := c.Request.Context()
	if !h.Enabled(ctx, slog.LevelInfo) {
		return
	}
	route := c.FullPath()
	if route == "" {
		route = "(no route)"
	}
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
	r.AddAttrs(
		slog.String("method", c.Request.Method),
		slog.String("route", route),
		slog.Int("status", c.Writer.Status()),
		slog.String("duration", time.Since(start).Round(time.Microsecond).String()),
	)
	if id, ok := pathPK(c); ok {
		r.AddAttrs(slog.Int64("id", id))
	}
	if _, cut := c.Get(cutKey{}); cut {
		r.AddAttrs(slog.Bool("cut", true))
	}
	_ = h.Handle(ctx, r) // as slog.Logger does: a line that cannot be written is dropped
}

// cutKey marks, in a request's context, an answer cut short after its first
// byte (see errorResponder).
type cutKey struct{}

// recovery turns a panic into DRF-shaped 500 and logs it, both with the
// request's id, as gin's
// CustomRecovery would, except for http.ErrAbortHandler, which it lets through
// (gin's swallows it, and the answer would end as if whole): net/http then
// cuts the connection, as an answer cut short after its first byte needs.
// A write to a client gone (broken pipe, reset) is nothing to log or answer.
func recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok {
				if errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
					_ = c.Error(err) // the client is gone; nothing to report
					c.Abort()
					return
				}
			}
			log.ErrorContext(c.Request.Context(), "panic", "method", c.Request.Method, "route", c.FullPath(), "panic", fmt.Sprint(v))
			writeServerError(c)
			c.Abort()
		}()
		c.Next()
	}
}

// limitBody caps how much of a body any handler can read; reading past the cap
// fails with *http.MaxBytesError, which errors.go answers with 413. A body
// whose Content-Length is already past it fails so at its first read,
// without a byte read, as Django refuses one by its CONTENT_LENGTH: net/http
// sends "100 Continue" to a client that asks for it only once the body is
// read, so such a client is told 413 instead of being invited to send
// megabytes, and one that declares more than it sends is not waited for.
// Either way the refusal comes where the handler reads the body, after
// whatever comes first (401, 404, 405), as in DRF.
//
// The capped body goes on a copy of the request: net/http judges by the
// body of the request it made whether the client still waits for "100
// Continue" (then it closes the connection after the answer) or has sent a
// body to discard. Replaced there, an unread body looked like one to
// discard, and the server waited for megabytes it had not asked for.
func limitBody(limit int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		var body io.ReadCloser
		switch {
		case c.Request.ContentLength > limit:
			body = refusedBody{limit}
		// net/http gives a request without a body http.NoBody, which has
		// nothing to cap; the reader would only cost an allocation.
		case c.Request.Body != http.NoBody:
			body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		}
		if body != nil {
			r := *c.Request
			r.Body = body
			c.Request = &r
		}
		c.Next()
	}
}

// refusedBody stands for a body declared longer than the limit; the server
// still holds (and closes) the real one.
type refusedBody struct{ limit int64 }

func (b refusedBody) Read([]byte) (int, error) { return 0, &http.MaxBytesError{Limit: b.limit} }

func (refusedBody) Close() error { return nil }
