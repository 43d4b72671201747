package auth_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"studentapi/auth"
)

// slowPBKDF2 is a well-formed pbkdf2_sha256 hash of iterations rounds that no
// password matches: checking it costs the rounds and fails.
func slowPBKDF2(iterations int) string {
	return fmt.Sprintf("pbkdf2_sha256$%d$somesalt$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", iterations)
}

// Logins beyond Options.MaxHashes wait their turn: however many arrive at
// once, no more than MaxHashes password hashes are computed at a time, the
// stand-in check of an unknown username included, and every login still
// gets its answer.
func TestLoginHashesAFewAtATime(t *testing.T) {
	const maxHashes, logins = 2, 8
	db := newDB(t)
	a := auth.New(db, "Token", testCost, auth.Options{MaxHashes: maxHashes})
	newUserWithHash(t, db, "slow", slowPBKDF2(100_000))
	newUserWithHash(t, db, "unusable", "!unusable")

	var most int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			most = max(most, a.HashesRunning())
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Microsecond):
			}
		}
	}()
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range logins {
		username := []string{"slow", "slow", "slow", "nobody", "unusable"}[i%5]
		wg.Go(func() {
			<-start
			if _, err := a.Login(t.Context(), username, "wrong"); !errors.Is(err, auth.ErrBadCredentials) {
				t.Errorf("Login(%q) = %v, want ErrBadCredentials", username, err)
			}
		})
	}
	close(start)
	wg.Wait()
	close(stop)
	<-sampled

	if most > maxHashes {
		t.Errorf("%d hashes ran at once, want at most %d", most, maxHashes)
	}
	// Each check of the slow hash takes tens of milliseconds: the sampler
	// sees the turns all taken, or the logins did not run concurrently and
	// the test proved nothing.
	if most < maxHashes {
		t.Errorf("at most %d hashes seen at once, want %d: the logins did not overlap", most, maxHashes)
	}
	if got := a.PasswordChecks(); got != logins {
		t.Errorf("PasswordChecks = %d, want %d", got, logins)
	}
	if got := a.HashesRunning(); got != 0 {
		t.Errorf("HashesRunning after every login = %d, want 0", got)
	}
}

// A login waiting for a turn gives up when its context ends (the client went
// away), with the context's error, having computed nothing.
func TestLoginStopsWaitingForATurn(t *testing.T) {
	db := newDB(t)
	a := auth.New(db, "Token", testCost, auth.Options{MaxHashes: 1})
	newUserWithHash(t, db, "slow", slowPBKDF2(2_000_000))

	done := make(chan error, 1)
	go func() {
		_, err := a.Login(context.WithoutCancel(t.Context()), "slow", "wrong")
		done <- err
	}()
	for a.HashesRunning() == 0 {
		time.Sleep(100 * time.Microsecond)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := a.Login(ctx, "nobody", "wrong")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Login while the one turn is taken = %v, want context.DeadlineExceeded", err)
	}
	if got := a.PasswordChecks(); got != 1 {
		t.Errorf("PasswordChecks while the first login holds the turn = %d, want 1 (the waiting login computed)", got)
	}
	if err := <-done; !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("first Login = %v, want ErrBadCredentials", err)
	}
}
