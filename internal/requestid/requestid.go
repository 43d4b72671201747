// Package requestid names each request so that one request can be followed
// through the logs: the id travels in the request's context, every answer
// carries it in the X-Request-ID header, and Handler adds it to every log
// record written with that context.
//
// A client (or a proxy in front) may choose the id: one it sends is kept
// when it is sane (Sane), so that a proxy's id and ours are the same;
// anything else is replaced with a new random one, so that no client can put
// a line break, a control character or a megabyte into a log line through
// it.
package requestid

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
)

// Header is the header that carries the id, both ways.
const Header = "X-Request-ID"

// MaxLen is the longest id kept from a client.
const MaxLen = 128

// Sane reports whether id, as a client sent it, is kept: 1 to MaxLen visible
// ASCII characters (0x21 to 0x7E), so no space, control character or
// non-ASCII byte.
func Sane(id string) bool {
	if id == "" || len(id) > MaxLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// New returns a new random id: 128 bits in 32 hex digits, one allocation.
// An id must be unique, not secret (a client may choose its own), so the bits
// come from math/rand/v2's generator, ChaCha8 seeded by the runtime from the
// system's entropy: as unlikely to repeat as crypto/rand's, without its
// system call on every request the server answers.
func New() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	var h [32]byte
	hex.Encode(h[:], b[:])
	return string(h[:])
}

// From returns the id a client sent when it is sane, else a new one.
func From(sent string) string {
	if Sane(sent) {
		return sent
	}
	return New()
}

type key struct{}

// withID is a context carrying an id. It is context.WithValue's valueCtx
// with the id in a one-element array, so that the header's value can share
// its allocation, and Value answers the context itself, where boxing the
// string would allocate at every lookup.
type withID struct {
	context.Context
	id [1]string
}

func (c *withID) Value(k any) any {
	if k == (key{}) {
		return c
	}
	return c.Context.Value(k)
}

// With returns ctx carrying id, and id as a header's value ([]string{id}),
// made in one allocation: a request's id costs it no more.
func With(ctx context.Context, id string) (context.Context, []string) {
	c := &withID{Context: ctx, id: [1]string{id}}
	return c, c.id[:]
}

// Of is the id ctx carries, or "" for none.
func Of(ctx context.Context) string {
	if c, ok := ctx.Value(key{}).(*withID); ok {
		return c.id[0]
	}
	return ""
}

// Attr is the name of the attribute Handler adds.
const Attr = "request_id"

// Handler wraps h so that every record written with a context that carries
// an id gets it as the request_id attribute: a logger call made while serving
// a request (with its context) names that request without passing the id
// along. Wrapping a handler twice adds the id once.
func Handler(h slog.Handler) slog.Handler {
	if _, ok := h.(handler); ok {
		return h
	}
	return handler{h}
}

type handler struct{ next slog.Handler }

func (h handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	if id := Of(ctx); id != "" {
		r.AddAttrs(slog.String(Attr, id))
	}
	return h.next.Handle(ctx, r)
}

func (h handler) WithAttrs(as []slog.Attr) slog.Handler { return handler{h.next.WithAttrs(as)} }

func (h handler) WithGroup(name string) slog.Handler { return handler{h.next.WithGroup(name)} }
