package logbuf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// sink is an io.Writer that records each write it gets.
type sink struct {
	mu     sync.Mutex
	writes []string
	fail   int // fail this many writes before succeeding
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		return 0, errors.New("disk full")
	}
	s.writes = append(s.writes, string(p))
	return len(p), nil
}

func (s *sink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.writes, "")
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.writes)
}

func TestHeldUntilFlush(t *testing.T) {
	out := &sink{}
	w := New(out, time.Hour, 1024)
	for i := range 3 {
		fmt.Fprintf(w, "line %d\n", i)
	}
	if got := out.String(); got != "" {
		t.Fatalf("written before Flush: %q", got)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "line 0\nline 1\nline 2\n"; got != want {
		t.Errorf("after Flush: %q, want %q", got, want)
	}
	if got := out.count(); got != 1 {
		t.Errorf("%d writes, want the three lines in one", got)
	}
}

func TestWrittenOutAfterDelay(t *testing.T) {
	out := &sink{}
	w := New(out, 10*time.Millisecond, 1024)
	fmt.Fprint(w, "a\n")
	deadline := time.Now().Add(5 * time.Second)
	for out.String() == "" && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := out.String(); got != "a\n" {
		t.Fatalf("after the delay: %q, want %q", got, "a\n")
	}
	// A second line starts a new delay rather than waiting for a Flush.
	fmt.Fprint(w, "b\n")
	for out.count() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := out.String(); got != "a\nb\n" {
		t.Errorf("after the second delay: %q", got)
	}
}

func TestFullBufferWrittenAtOnce(t *testing.T) {
	out := &sink{}
	w := New(out, time.Hour, 8)
	fmt.Fprint(w, "12345\n")
	fmt.Fprint(w, "6789\n") // does not fit beside the first: the first goes out
	if got := out.String(); got != "12345\n" {
		t.Fatalf("after overflowing: %q, want the first line only", got)
	}
	fmt.Fprint(w, "a line longer than the buffer\n") // held lines first, then this one
	if got, want := out.String(), "12345\n6789\na line longer than the buffer\n"; got != want {
		t.Errorf("after a long line: %q, want %q", got, want)
	}
}

func TestCloseWritesOutAndStopsHolding(t *testing.T) {
	out := &sink{}
	w := New(out, time.Hour, 1024)
	fmt.Fprint(w, "held\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "held\n" {
		t.Fatalf("after Close: %q", got)
	}
	fmt.Fprint(w, "late\n")
	if got := out.String(); got != "held\nlate\n" {
		t.Errorf("a write after Close was held: %q", got)
	}
}

func TestFailedWriteDropsOnlyItsLines(t *testing.T) {
	out := &sink{fail: 1}
	w := New(out, time.Hour, 1024)
	fmt.Fprint(w, "lost\n")
	if err := w.Flush(); err == nil {
		t.Fatal("Flush hid the failed write")
	}
	fmt.Fprint(w, "kept\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "kept\n" {
		t.Errorf("after a failed write: %q, want only the later line", got)
	}
}

func TestConcurrentLinesStayWhole(t *testing.T) {
	out := &sink{}
	w := New(out, time.Millisecond, 256)
	const writers, lines = 8, 500
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(w, "writer=%d line=%d end\n", g, i)
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("%d lines, want %d", len(got), writers*lines)
	}
	next := make([]int, writers)
	for _, l := range got {
		var g, i int
		if _, err := fmt.Sscanf(l, "writer=%d line=%d end", &g, &i); err != nil || g < 0 || g >= writers {
			t.Fatalf("mangled line %q", l)
		}
		if i != next[g] {
			t.Fatalf("writer %d: line %d after %d", g, i, next[g]-1)
		}
		next[g]++
	}
}

func TestHandlerWritesWarningsAtOnce(t *testing.T) {
	out := &sink{}
	w := New(out, time.Hour, 4096)
	log := slog.New(Handler(slog.NewTextHandler(w, nil), w, slog.LevelWarn)).With("app", "test")
	log.Info("request", "status", 200)
	if got := out.String(); got != "" {
		t.Fatalf("an info line was not held: %q", got)
	}
	log.WithGroup("db").Warn("database unavailable")
	got := out.String()
	if !strings.Contains(got, "msg=request") || !strings.Contains(got, "msg=\"database unavailable\"") {
		t.Fatalf("a warning did not write out itself and what came before: %q", got)
	}
	if strings.Index(got, "msg=request") > strings.Index(got, "database unavailable") {
		t.Errorf("lines out of order: %q", got)
	}
	if !strings.Contains(got, "app=test") {
		t.Errorf("attributes lost through the handler: %q", got)
	}
	if !log.Enabled(context.Background(), slog.LevelInfo) || log.Enabled(context.Background(), slog.LevelDebug) {
		t.Error("Enabled does not follow the wrapped handler's level")
	}
}

func BenchmarkWrite(b *testing.B) {
	var discard bytes.Buffer
	w := New(&discard, time.Millisecond, 64<<10)
	line := []byte("time=2026-11-29T08:00:00Z level=INFO msg=request method=GET route=/studentapi/ status=401\n")
	b.ReportAllocs()
	for b.Loop() {
		w.Write(line)
		if discard.Len() > 1<<20 {
			w.mu.Lock()
			discard.Reset()
			w.mu.Unlock()
		}
	}
}

func TestNoDelayHoldsNothing(t *testing.T) {
	out := &sink{}
	w := New(out, 0, 1024)
	fmt.Fprint(w, "a\n")
	if got := out.String(); got != "a\n" {
		t.Errorf("with no delay: %q written, want the line at once", got)
	}
}
