package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
)

// Lists stream. The list of students, paginated or not, is written row by row
// as the database returns it, so that a list of any length costs the server
// the memory of a few rows, and its first byte leaves as soon as the first
// rows are read. It reconciles with conditional requests this way:
//
//   - An answer is encoded into a buffer first. If it is whole before the
//     buffer reaches streamBound (64 KiB, about a thousand students), it is
//     answered as any other: Content-Length, a strong ETag of its bytes and 304
//     for If-None-Match. A list of 100 costs what it did.
//   - Once the buffer outgrows streamBound, the headers leave without an ETag
//     (RFC 9110 8.8.3 lets a representation have none) and without
//     Content-Length, and the rest follows in chunks of about streamBound as it
//     is read, each flushed. A tag of the bytes could only be known after the
//     last byte, too late for a header; a trailer would be ignored by caches
//     and clients alike. So a big list is never answered 304: a client that
//     wants one asks for pages small enough to be tagged.
//   - Once a byte has left, the status cannot change: a database error then
//     cuts the connection (errorResponder panics with http.ErrAbortHandler) so
//     that the client sees a broken transfer, never a well-formed but short
//     JSON array; it is logged at ERROR. A write that fails (the client went
//     away, or stopped reading until http.write_timeout) stops the reading at
//     once, closing the rows, so no client holds a database connection past
//     the server's write timeout.
//   - A browser's page (Accept: text/html) pretty-prints the JSON, which takes
//     many times its size in memory; it shows at most browsableBound of it and
//     says that the list goes on (see listWriter.spill).

// streamBound is how much of an answer is held before it is streamed: enough
// for a page of a thousand students to keep its ETag, small enough that many
// streams at once cost little.
const streamBound = 64 << 10

// browsableBound is how much of a list a browser's page shows: some four
// thousand students, more than a reader scrolls through.
const browsableBound = 256 << 10

// errShown stops the reading of a list once the browser's page has all it
// will show, or once a HEAD has had its headers.
var errShown = errors.New("list: shown all it will")

// brokenStream is the error of a list cut short after its first byte left:
// errorResponder cuts the connection. clientGone says the client caused it
// (a write failed, or it went away), which is nothing to log at ERROR.
type brokenStream struct {
	err        error
	clientGone bool
}

func (b *brokenStream) Error() string { return fmt.Sprintf("list cut short: %v", b.err) }
func (b *brokenStream) Unwrap() error { return b.err }

// writeFailure marks an error of writing to the client.
type writeFailure struct{ err error }

func (w writeFailure) Error() string { return "write: " + w.err.Error() }
func (w writeFailure) Unwrap() error { return w.err }

// listWriter writes a JSON list answer, buffered or streamed (see above).
// The caller appends to buf and calls spill after each row.
type listWriter struct {
	c         *gin.Context
	buf       []byte
	tail      string // what closes the JSON: "]" for a list, "]}" for a page
	html      bool   // a browser's page
	streaming bool   // the headers have left
	cut       bool   // the page shows only the start of the list
}

func newListWriter(c *gin.Context, sizeHint int, tail string) *listWriter {
	r, _ := c.Get(renderedKey{})
	return &listWriter{c: c, buf: make([]byte, 0, min(sizeHint, streamBound+streamBound/4)), tail: tail, html: r == &htmlRenderer}
}

// spill sends what buf holds once it has outgrown streamBound, starting the
// stream the first time. For a browser's page it instead ends the reading
// (errShown) once the page has browsableBound of the list.
func (w *listWriter) spill() error {
	switch {
	case w.html:
		if len(w.buf) < browsableBound {
			return nil
		}
		w.cut = true
		return errShown
	case len(w.buf) < streamBound:
		return nil
	case !w.streaming:
		if failsIfMatch(w.c) {
			return errPreconditionFailed // before the first byte: a plain 412
		}
		w.streaming = true
		h := w.c.Writer.Header()
		if len(h["Content-Type"]) == 0 {
			h["Content-Type"] = jsonContentType
		}
		w.c.Status(http.StatusOK)
		w.c.Writer.WriteHeaderNow()
		if w.c.Request.Method == http.MethodHead {
			return errShown // net/http would only discard the body
		}
	}
	return w.send()
}

// send writes and flushes what buf holds.
func (w *listWriter) send() error {
	if _, err := w.c.Writer.Write(w.buf); err != nil {
		return writeFailure{err}
	}
	w.c.Writer.Flush()
	w.buf = w.buf[:0]
	return nil
}

// finish ends the answer once every row is in buf, or the reading stopped
// with err: an answer that never outgrew streamBound goes out whole with its
// ETag; a stream gets its last bytes; an error before the first byte is
// answered as any other, one after it cuts the stream (brokenStream).
func (w *listWriter) finish(err error) error {
	switch {
	case errors.Is(err, errShown):
		if w.streaming {
			return nil // a HEAD
		}
	case err != nil && w.streaming:
		var wf writeFailure
		gone := errors.As(err, &wf) || w.c.Request.Context().Err() != nil
		return &brokenStream{err: err, clientGone: gone}
	case err != nil:
		return err
	}
	w.buf = append(w.buf, w.tail...)
	switch {
	case w.streaming:
		if err := w.send(); err != nil {
			return &brokenStream{err: err, clientGone: true}
		}
	case w.cut:
		writeBrowsableCut(w.c, http.StatusOK, w.buf, fmt.Sprintf(
			"… The list goes on: this page shows its first %d KiB. Ask for JSON (Accept: application/json) for all of it, or narrow it with filters or pages.",
			browsableBound>>10))
	default:
		return writeRepresentation(w.c, w.buf)
	}
	return nil
}
