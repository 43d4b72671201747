package throttle

import (
	"context"
	"errors"
	"time"
)

// Marks remembers, for a while, that something happened for a key: that a
// client logged in as a user, say. It keeps only keyed digests in its store.
// A nil *Marks remembers nothing. It is safe for concurrent use.
type Marks struct {
	store  Store
	keys   *digester
	window time.Duration
	now    func() time.Time
}

// NewMarks returns Marks that remember each key for window in store, under
// keys made with secret (at least MinSecretLen bytes; the same for every
// process that shares store). A window <= 0 is nil Marks.
func NewMarks(store Store, secret []byte, window time.Duration, now func() time.Time) (*Marks, error) {
	if window <= 0 {
		return nil, nil
	}
	d, err := newDigester(secret)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Marks{store: store, keys: d, window: window, now: now}, nil
}

// Window is how long a mark lasts; 0 for nil Marks.
func (m *Marks) Window() time.Duration {
	if m == nil {
		return 0
	}
	return m.window
}

// Mark remembers key from now for the window.
func (m *Marks) Mark(ctx context.Context, key string) error {
	if m == nil {
		return nil
	}
	return m.store.Mark(ctx, m.keys.digest("mark", key), m.window, m.now())
}

// Marked reports whether key was marked within the window.
func (m *Marks) Marked(ctx context.Context, key string) (bool, error) {
	if m == nil {
		return false, nil
	}
	return m.store.Marked(ctx, m.keys.digest("mark", key), m.window, m.now())
}

// Guard limits the attempts that fail on a subject (an account), at every
// rate of its limiters, while the attempts that succeed cost nothing: each
// attempt reserves its cost before it is judged, so that parallel attempts
// cannot overrun the budget, and a success gives the reservation back.
//
// A subject's budget is shared by every client, which stops guessing from
// many addresses but would let anyone lock the account's owner out. So a
// client the owner has used is exempt and draws from a budget of its own
// instead, at the same rates: a client that succeeded on the subject within
// the window of the trusted Marks, or one the caller vouches for with a
// device (the id of a device cookie it has verified for the subject, as in
// OWASP's device-cookie scheme). Someone elsewhere can exhaust neither.
//
// A nil *Guard lets every attempt through. It is safe for concurrent use.
type Guard struct {
	limiters []*Limiter
	trusted  *Marks
}

// NewGuard returns a Guard over limiters (nil ones are skipped) that
// remembers successful clients in trusted (nil: no client is trusted).
func NewGuard(limiters []*Limiter, trusted *Marks) *Guard {
	g := &Guard{trusted: trusted}
	for _, l := range limiters {
		if l != nil {
			g.limiters = append(g.limiters, l)
		}
	}
	return g
}

// Attempt is one attempt whose cost a Guard has reserved. An attempt that
// fails needs nothing more: its cost stays counted.
type Attempt struct {
	g        *Guard
	subject  string
	client   string
	reserved []Reservation
}

// Begin reserves the cost of one attempt by client on subject. When any rate
// refuses it, ok is false, nothing is reserved and wait is the longest wait.
func (g *Guard) Begin(ctx context.Context, subject, client, device string) (a *Attempt, ok bool, wait time.Duration, err error) {
	a = &Attempt{g: g, subject: subject, client: client}
	if g == nil {
		return a, true, 0, nil
	}
	// The budgets' keys are spelled so that none can be another's: a NUL
	// ends each part but the last, and no address holds one.
	budget := "subject\x00" + subject
	if device != "" {
		budget = "device\x00" + device
	} else {
		trusted, err := g.trusted.Marked(ctx, trustKey(client, subject))
		if err != nil {
			return nil, false, 0, err
		}
		if trusted {
			budget = "client\x00" + client + "\x00" + subject
		}
	}
	ok = true
	for _, l := range g.limiters {
		r, allowed, w, err := l.Reserve(ctx, budget)
		if err != nil {
			return nil, false, 0, errors.Join(err, a.Cancel(ctx))
		}
		if !allowed {
			ok = false
			wait = max(wait, w)
			continue
		}
		a.reserved = append(a.reserved, r)
	}
	if !ok {
		// A refused attempt is not judged, so it costs nothing either.
		return nil, false, wait, a.Cancel(ctx)
	}
	return a, true, 0, nil
}

// trustKey names the pair of a client and a subject in the trusted Marks.
func trustKey(client, subject string) string { return client + "\x00" + subject }

// Succeeded gives the attempt's cost back and trusts its client for the
// subject from now on, for the trusted Marks' window.
func (a *Attempt) Succeeded(ctx context.Context) error {
	err := a.Cancel(ctx)
	if a.g == nil {
		return err
	}
	return errors.Join(err, a.g.trusted.Mark(ctx, trustKey(a.client, a.subject)))
}

// Cancel gives the attempt's cost back without trusting anyone: for an
// attempt that could not be judged (the database failed, say).
func (a *Attempt) Cancel(ctx context.Context) error {
	var errs []error
	for _, r := range a.reserved {
		errs = append(errs, r.Cancel(ctx))
	}
	a.reserved = nil
	return errors.Join(errs...)
}
