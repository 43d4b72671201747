// Package logbuf holds log lines for a moment so that a busy server writes its
// log in a few large writes instead of one system call per line: on the
// service's cheapest requests that call was a tenth of the server's time.
//
// What it costs is the last moment of lines when the process is killed
// outright: up to the delay's worth (serve's log_flush_interval, 100 ms by
// default) of access-log lines. A record at Warn or above is written out at
// once, with everything before it, and Close writes out whatever is held.
package logbuf

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Writer buffers what is written to it and passes it on to out at most delay
// after the first byte it holds, or as soon as it holds size bytes. Each Write
// is passed on whole and in order, so lines from concurrent writers never mix.
type Writer struct {
	mu     sync.Mutex
	out    io.Writer
	buf    []byte
	size   int
	delay  time.Duration
	timer  *time.Timer // the pending write-out; nil while buf is empty
	closed bool
}

// New returns a Writer in front of out. A delay of 0 or less holds nothing:
// each Write is passed on at once.
func New(out io.Writer, delay time.Duration, size int) *Writer {
	return &Writer{out: out, buf: make([]byte, 0, size), size: size, delay: delay}
}

// Write holds p for later. It reports an error only for a write-out it did
// itself because the buffer was full; an error of a delayed write-out drops
// the lines it held, as an unbuffered logger drops a line it cannot write.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.delay <= 0 {
		return w.out.Write(p)
	}
	if len(w.buf)+len(p) > w.size {
		if err := w.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) >= w.size {
			return w.out.Write(p)
		}
	}
	w.buf = append(w.buf, p...)
	if w.timer == nil {
		w.timer = time.AfterFunc(w.delay, func() { _ = w.Flush() })
	}
	return len(p), nil
}

// Flush writes out everything held.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

// Close writes out everything held; later writes go straight through.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	return w.flushLocked()
}

func (w *Writer) flushLocked() error {
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.out.Write(w.buf)
	// Emptied even on error: a writer that failed once must not hold its
	// lines forever, or fail every line after them.
	w.buf = w.buf[:0]
	return err
}

// Handler passes records to next, which writes to w, and writes w out at once
// after a record at level or above, so a warning or an error is never held.
func Handler(next slog.Handler, w *Writer, level slog.Leveler) slog.Handler {
	return &handler{next: next, w: w, level: level}
}

type handler struct {
	next  slog.Handler
	w     *Writer
	level slog.Leveler
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	err := h.next.Handle(ctx, r)
	if r.Level >= h.level.Level() {
		if ferr := h.w.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &handler{next: h.next.WithAttrs(attrs), w: h.w, level: h.level}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(name), w: h.w, level: h.level}
}
