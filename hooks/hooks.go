// Package hooks is a small typed signal registry in the spirit of django.dispatch:
// senders publish an event to a Signal without knowing who listens, and receivers
// connect to it at start-up. It knows nothing of users, tokens or databases, and it
// imports only the standard library so that any package may depend on it.
package hooks

import (
	"context"
	"fmt"
	"sync"
)

// Receiver handles one event. A non-nil error stops the delivery and is returned
// to the sender, which lets a receiver veto what the sender is doing (for example
// by rolling back the transaction it was called in).
type Receiver[T any] func(ctx context.Context, event T) error

// Signal is a list of receivers for events of type T. The zero value is ready to
// use, and a Signal is safe for concurrent use.
type Signal[T any] struct {
	mu        sync.RWMutex
	nextID    uint64
	receivers []entry[T]
}

type entry[T any] struct {
	id   uint64
	name string
	fn   Receiver[T]
}

// Connect adds a receiver, named for error messages, and returns a function that
// disconnects it. Receivers run in the order they were connected.
func (s *Signal[T]) Connect(name string, fn Receiver[T]) (disconnect func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	id := s.nextID
	s.receivers = append(s.receivers, entry[T]{id: id, name: name, fn: fn})
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, e := range s.receivers {
			if e.id == id {
				s.receivers = append(s.receivers[:i:i], s.receivers[i+1:]...)
				return
			}
		}
	}
}

// Send delivers event to every connected receiver in order and stops at the first
// error, which it returns wrapped with the receiver's name.
func (s *Signal[T]) Send(ctx context.Context, event T) error {
	// Copy under the lock so a receiver may connect or disconnect without deadlock.
	s.mu.RLock()
	receivers := make([]entry[T], len(s.receivers))
	copy(receivers, s.receivers)
	s.mu.RUnlock()
	for _, e := range receivers {
		if err := e.fn(ctx, event); err != nil {
			return fmt.Errorf("receiver %q: %w", e.name, err)
		}
	}
	return nil
}

// Len reports how many receivers are connected.
func (s *Signal[T]) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.receivers)
}
