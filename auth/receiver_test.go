package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"studentapi/auth"
	"studentapi/models"
)

// keysSeen is a receiver, connected after the token receiver, that counts
// events and records the key each new user has inside the creating transaction.
type keysSeen struct {
	mu   sync.Mutex
	keys map[int64]string
	n    int
}

func (k *keysSeen) receive(ctx context.Context, ev models.UserCreated) error {
	tok, err := ev.DB.TokenOf(ctx, ev.User.ID)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.n++
	if err == nil {
		if k.keys == nil {
			k.keys = make(map[int64]string)
		}
		k.keys[ev.User.ID] = tok.Key
	}
	return nil
}

func (k *keysSeen) count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.n
}

func TestConnectTokenReceiver(t *testing.T) {
	db := newDB(t)
	a := auth.New(db, "Token", testCost, auth.Options{})
	disconnect := auth.ConnectTokenReceiver(db.Signals)
	var seen keysSeen
	db.Signals.UserCreated.Connect("seen", seen.receive)

	distinct := make(map[string]bool)
	for i, name := range []string{"alice", "bob", "carol"} {
		u := newUser(t, db, name, true)
		if got := seen.count(); got != i+1 {
			t.Fatalf("after %d users the receivers ran %d times", i+1, got)
		}
		tok, err := db.TokenOf(t.Context(), u.ID)
		if err != nil {
			t.Fatalf("TokenOf(%q) right after CreateUser: %v", name, err)
		}
		if tok.Key != seen.keys[u.ID] {
			t.Errorf("%s: stored key %q, key inside the transaction %q", name, tok.Key, seen.keys[u.ID])
		}
		if len(tok.Key) != 40 || !isLowerHex(tok.Key) {
			t.Errorf("%s: key %q is not 40 lower-case hex digits", name, tok.Key)
		}
		if distinct[tok.Key] {
			t.Errorf("%s: key %q already given to another user", name, tok.Key)
		}
		distinct[tok.Key] = true
		got, err := a.Authenticate(t.Context(), header(tok.Key))
		if err != nil || got.UserID != u.ID {
			t.Errorf("%s: Authenticate = %v, %v; want user %d", name, got, err, u.ID)
		}
		// Logging in returns the token the receiver made, not a second one.
		if key := tokenFor(t, a, u); key != tok.Key {
			t.Errorf("%s: TokenFor = %q, want %q", name, key, tok.Key)
		}
	}

	disconnect()
	disconnect() // harmless
	dave := newUser(t, db, "dave", true)
	if _, err := db.TokenOf(t.Context(), dave.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("TokenOf after disconnect = %v, want %v", err, models.ErrNotFound)
	}
	if got := seen.count(); got != 4 {
		t.Errorf("other receiver ran %d times, want 4", got)
	}
}

func TestTokenReceiverRollsBackWithUser(t *testing.T) {
	boom := errors.New("boom")
	preKey := strings.Repeat("0", 40)
	tests := []struct {
		name    string
		connect func(s *models.Signals, captured *string) (disconnect func())
		wantErr error
	}{
		{
			name: "a later receiver fails",
			connect: func(s *models.Signals, captured *string) func() {
				off1 := auth.ConnectTokenReceiver(s)
				off2 := s.UserCreated.Connect("capture and fail", func(ctx context.Context, ev models.UserCreated) error {
					tok, err := ev.DB.TokenOf(ctx, ev.User.ID)
					if err != nil {
						return err
					}
					*captured = tok.Key
					return boom
				})
				return func() { off1(); off2() }
			},
			wantErr: boom,
		},
		{
			name: "the token insert fails",
			connect: func(s *models.Signals, captured *string) func() {
				// Take the user's one token slot first, so the receiver's insert fails.
				off1 := s.UserCreated.Connect("pre-insert", func(ctx context.Context, ev models.UserCreated) error {
					*captured = preKey
					_, err := ev.DB.CreateToken(ctx, ev.User.ID, preKey)
					return err
				})
				off2 := auth.ConnectTokenReceiver(s)
				return func() { off1(); off2() }
			},
			wantErr: models.ErrDuplicate,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newDB(t)
			var captured string
			disconnect := tt.connect(db.Signals, &captured)

			u := &models.User{Username: "alice", IsActive: true}
			err := db.CreateUser(t.Context(), u)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("CreateUser = %v, want an error wrapping %v", err, tt.wantErr)
			}
			if captured == "" {
				t.Fatal("no token was written inside the transaction")
			}
			if _, err := db.UserByUsername(t.Context(), "alice"); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("user after rollback: %v, want %v", err, models.ErrNotFound)
			}
			if _, err := db.TokenByKey(t.Context(), captured); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("token after rollback: %v, want %v", err, models.ErrNotFound)
			}
			if _, err := db.TokenOf(t.Context(), u.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("token of the rolled-back user id: %v, want %v", err, models.ErrNotFound)
			}

			// With only the token receiver, the same user now gets exactly one token.
			disconnect()
			auth.ConnectTokenReceiver(db.Signals)
			again := newUser(t, db, "alice", true)
			tok, err := db.TokenOf(t.Context(), again.ID)
			if err != nil {
				t.Fatalf("TokenOf after retry: %v", err)
			}
			if tok.Key == captured {
				t.Errorf("retry reused the rolled-back key %q", captured)
			}
		})
	}
}
