package requestid_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"studentapi/internal/requestid"
)

func TestFrom(t *testing.T) {
	for _, tt := range []struct {
		name, sent string
		kept       bool
	}{
		{"visible ASCII", "abc-123_XYZ.~!", true},
		{"one character", "x", true},
		{"128 characters", strings.Repeat("a", 128), true},
		{"empty", "", false},
		{"129 characters", strings.Repeat("a", 129), false},
		{"space", "abc def", false},
		{"tab", "abc\tdef", false},
		{"newline", "abc\ndef", false},
		{"DEL", "abc\x7f", false},
		{"NUL", "abc\x00", false},
		{"non-ASCII", "abcé", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := requestid.From(tt.sent)
			if tt.kept && got != tt.sent {
				t.Errorf("From(%q) = %q, want it kept", tt.sent, got)
			}
			if !tt.kept && (got == tt.sent || !requestid.Sane(got) || len(got) != 32) {
				t.Errorf("From(%q) = %q, want a new id of 32 visible characters", tt.sent, got)
			}
		})
	}
	if a, b := requestid.New(), requestid.New(); a == b {
		t.Errorf("New() twice = %q, %q, want two ids", a, b)
	}
}

// A record written with a request's context carries its id, once however
// often the handler was wrapped; one without carries none.
func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(requestid.Handler(requestid.Handler(slog.NewTextHandler(&buf, nil))))
	ctx, _ := requestid.With(context.Background(), "req-42")
	log.InfoContext(ctx, "served", "status", 200)
	log.Info("no request")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), buf.String())
	}
	if got := strings.Count(lines[0], "request_id=req-42"); got != 1 {
		t.Errorf("line with a context has request_id %d times, want once: %s", got, lines[0])
	}
	if strings.Contains(lines[1], "request_id") {
		t.Errorf("line without a request has a request_id: %s", lines[1])
	}
	if got := requestid.Of(context.Background()); got != "" {
		t.Errorf("Of(empty context) = %q, want \"\"", got)
	}
}

// The context answers its id, and the header value is the same id; other
// keys reach the parent context.
func TestWith(t *testing.T) {
	type other struct{}
	parent := context.WithValue(context.Background(), other{}, "kept")
	ctx, header := requestid.With(parent, "abc")
	if got := requestid.Of(ctx); got != "abc" {
		t.Errorf("Of = %q, want abc", got)
	}
	if len(header) != 1 || header[0] != "abc" {
		t.Errorf("header value %q, want [abc]", header)
	}
	if got := ctx.Value(other{}); got != "kept" {
		t.Errorf("parent's value %v, want kept", got)
	}
}
