package hooks_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"studentapi/hooks"
)

func TestSendRunsReceiversInOrder(t *testing.T) {
	var s hooks.Signal[int]
	var got []string
	s.Connect("a", func(_ context.Context, v int) error { got = append(got, fmt.Sprint("a", v)); return nil })
	s.Connect("b", func(_ context.Context, v int) error { got = append(got, fmt.Sprint("b", v)); return nil })
	if err := s.Send(context.Background(), 7); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if want := []string{"a7", "b7"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestSendStopsAtFirstError(t *testing.T) {
	var s hooks.Signal[string]
	boom := errors.New("boom")
	calledAfter := false
	s.Connect("fails", func(context.Context, string) error { return boom })
	s.Connect("after", func(context.Context, string) error { calledAfter = true; return nil })
	err := s.Send(context.Background(), "x")
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want an error wrapping %v", err, boom)
	}
	if want := `receiver "fails": boom`; err.Error() != want {
		t.Errorf("got %q, want %q", err.Error(), want)
	}
	if calledAfter {
		t.Error("receiver after the failing one was called")
	}
}

func TestDisconnect(t *testing.T) {
	var s hooks.Signal[int]
	calls := 0
	off := s.Connect("count", func(context.Context, int) error { calls++; return nil })
	keep := 0
	s.Connect("keep", func(context.Context, int) error { keep++; return nil })
	_ = s.Send(context.Background(), 1)
	off()
	off() // a second call is harmless
	_ = s.Send(context.Background(), 2)
	if calls != 1 || keep != 2 {
		t.Errorf("calls=%d keep=%d, want 1 and 2", calls, keep)
	}
	if s.Len() != 1 {
		t.Errorf("Len = %d, want 1", s.Len())
	}
}

func TestConcurrentUse(t *testing.T) {
	var s hooks.Signal[int]
	var mu sync.Mutex
	total := 0
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			off := s.Connect("r", func(_ context.Context, v int) error { mu.Lock(); total += v; mu.Unlock(); return nil })
			off()
		}()
		go func() { defer wg.Done(); _ = s.Send(context.Background(), 1) }()
	}
	wg.Wait()
	if s.Len() != 0 {
		t.Errorf("Len = %d after all disconnected, want 0", s.Len())
	}
}

func ExampleSignal() {
	var userCreated hooks.Signal[string]
	userCreated.Connect("greeter", func(_ context.Context, name string) error {
		fmt.Println("welcome,", name)
		return nil
	})
	if err := userCreated.Send(context.Background(), "alice"); err != nil {
		fmt.Println("error:", err)
	}
	// Output: welcome, alice
}
