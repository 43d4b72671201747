package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"studentapi/internal/passwords"
	"studentapi/models"
)

// ErrBadCredentials is the one answer for a wrong password, an unknown username
// and an inactive user, so a caller cannot tell which it was.
var ErrBadCredentials = errors.New("unable to log in with provided credentials")

// Authenticator checks credentials and tokens against the database.
type Authenticator struct {
	db         *models.DB
	keywords   []string // the schemes read; the first is the challenge
	bcryptCost int
	opts       Options

	// dummy is a hash checked when the username is unknown, so that a failed
	// login costs one password check whether or not the user exists.
	dummyOnce sync.Once
	dummy     models.User
	dummyErr  error

	// passwordChecks counts the passwords Login has checked (PasswordChecks).
	passwordChecks atomic.Int64

	// hashing holds a token for each password hash being computed: a stored
	// hash may ask for up to a quarter of a GiB (passwords' limits), and a
	// login needs no account, so they run a few at a time, not one per
	// request. hashesRunning counts them (HashesRunning), hashesWaiting
	// the logins waiting for a turn (HashesWaiting).
	hashing       chan struct{}
	hashesRunning atomic.Int64
	hashesWaiting atomic.Int64
}

// Options tune token expiry and the words read before a key. The zero value
// is DRF's behaviour: tokens never expire, and only New's keyword is read.
type Options struct {
	// TTL is how long a token stays good after it was created (or, with
	// Refresh, last refreshed); an older one is refused as ErrInvalidToken and
	// replaced at the next login. 0 means forever.
	TTL time.Duration
	// Refresh makes the TTL sliding: using a token restarts it. The new time is
	// written at most once per RefreshInterval, or half the TTL when that is
	// shorter, not on every request.
	Refresh bool
	// ExtraKeywords are Authorization schemes read as the keyword is (e.g.
	// "Bearer" beside "Token"); the keyword alone is the challenge in
	// WWW-Authenticate.
	ExtraKeywords []string
	// Observe is told how each Authenticate ended, for the server's metrics;
	// nil for no one. It runs on the request's goroutine and must be quick.
	Observe func(Outcome)
	// Log is told what goes wrong beside an answer, which still stands: a
	// password upgrade that could not be written. Nil logs nothing.
	Log *slog.Logger
	// MaxHashes is how many password hashes Login computes at once; more
	// logins wait their turn. 0 means max(2, GOMAXPROCS): hashing is CPU
	// work, and more at once only shares the same cores among more memory.
	MaxHashes int
}

// Outcome is how one authentication ended, as Options.Observe is told:
// a word for a metric's label, never who the caller was.
type Outcome uint8

// The outcomes of Authenticate.
const (
	OutcomeOK       Outcome = iota // a good token
	OutcomeMissing                 // no token offered (anonymous)
	OutcomeInvalid                 // a malformed header or an unknown key
	OutcomeInactive                // a good key of an inactive user
	OutcomeExpired                 // a known key past its TTL
	OutcomeError                   // the database failed
	numOutcomes
)

// Outcomes are every Outcome, for resolving a metric's series once.
func Outcomes() []Outcome {
	out := make([]Outcome, numOutcomes)
	for i := range out {
		out[i] = Outcome(i)
	}
	return out
}

// String is the outcome's label: ok, missing, invalid, inactive, expired or
// error.
func (o Outcome) String() string {
	switch o {
	case OutcomeOK:
		return "ok"
	case OutcomeMissing:
		return "missing"
	case OutcomeInvalid:
		return "invalid"
	case OutcomeInactive:
		return "inactive"
	case OutcomeExpired:
		return "expired"
	}
	return "error"
}

// RefreshInterval is the least time between two writes of a token's refreshed
// time when Options.Refresh is on, for a TTL of two minutes or more. A shorter
// TTL refreshes at half of it: a token in use must refresh before it expires.
const RefreshInterval = time.Minute

// refreshInterval is the least time between two refreshes of a token under
// opts: min(TTL/2, RefreshInterval).
func (o Options) refreshInterval() time.Duration {
	return min(o.TTL/2, RefreshInterval)
}

// New returns an Authenticator that reads the keyword (e.g. "Token") from the
// Authorization header (with any of opts.ExtraKeywords), hashes new passwords
// at bcryptCost, and expires tokens as opts says. Time is read from the
// database's clock (models.Options.Now), the one token times are written with.
func New(db *models.DB, keyword string, bcryptCost int, opts Options) *Authenticator {
	keywords := append([]string{keyword}, opts.ExtraKeywords...)
	maxHashes := opts.MaxHashes
	if maxHashes <= 0 {
		maxHashes = max(2, runtime.GOMAXPROCS(0))
	}
	return &Authenticator{db: db, keywords: keywords, bcryptCost: bcryptCost, opts: opts,
		hashing: make(chan struct{}, maxHashes)}
}

// expired reports whether t is past its TTL at now.
func (a *Authenticator) expired(t *models.Token, now time.Time) bool {
	if a.opts.TTL <= 0 {
		return false
	}
	from := t.Created
	if a.opts.Refresh && t.Refreshed.After(from) {
		from = t.Refreshed
	}
	return from.Add(a.opts.TTL).Before(now)
}

// Keyword is the Authorization scheme this Authenticator names in the
// WWW-Authenticate challenge; it also reads Options.ExtraKeywords.
func (a *Authenticator) Keyword() string { return a.keywords[0] }

// Keywords are every scheme the token is read with, the keyword first.
func (a *Authenticator) Keywords() []string { return slices.Clone(a.keywords) }

// Login returns the active user whose username and password match, or
// ErrBadCredentials. A stored hash in any of Django's formats is verified,
// and on success one in another format or at another cost than New's is
// replaced with this service's own (models.DB.UpgradePassword), as Django
// upgrades a hash at login; that costs one more hash, once per user. Each
// hash waits for a turn (Options.MaxHashes); a login whose ctx ends while it
// waits returns ctx's error (context.Canceled when the client went away).
func (a *Authenticator) Login(ctx context.Context, username, password string) (*models.User, error) {
	u, err := a.db.UserByUsername(ctx, username)
	if errors.Is(err, models.ErrNotFound) {
		if err := a.burnPasswordCheck(ctx, password); err != nil {
			return nil, err
		}
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	ok, err := a.check(ctx, u, password)
	if err != nil {
		return nil, fmt.Errorf("login %q: %w", username, err)
	}
	if !ok || !u.IsActive {
		return nil, ErrBadCredentials
	}
	// The upgrade is the login's errand, not its condition: the password was
	// right, so a write that cannot happen now (a full disk, a lock held by
	// dumpdata, a slow database, no hash turn before the client left) must not
	// refuse it. The old hash stays and the next login tries again.
	if passwords.MustUpdate(u.Password, a.bcryptCost) {
		if err := a.upgrade(ctx, u, password); err != nil && a.opts.Log != nil {
			a.opts.Log.WarnContext(ctx, "password hash not upgraded; the next login tries again", "user_id", u.ID, "err", err)
		}
	}
	return u, nil
}

// upgrade stores password in this service's own hash, in a turn of its own:
// the turn is held through the write, which is one short UPDATE.
func (a *Authenticator) upgrade(ctx context.Context, u *models.User, password string) error {
	if err := a.beginHash(ctx); err != nil {
		return err
	}
	defer a.endHash()
	return a.db.UpgradePassword(ctx, u, password, a.bcryptCost)
}

// beginHash waits for a turn to compute a password hash, or for ctx to end;
// endHash gives the turn back.
func (a *Authenticator) beginHash(ctx context.Context) error {
	a.hashesWaiting.Add(1)
	defer a.hashesWaiting.Add(-1)
	select {
	case a.hashing <- struct{}{}:
		a.hashesRunning.Add(1)
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for a turn to hash a password: %w", context.Cause(ctx))
	}
}

func (a *Authenticator) endHash() {
	a.hashesRunning.Add(-1)
	<-a.hashing
}

// HashesRunning is how many password hashes Login is computing right now,
// never more than Options.MaxHashes: with PasswordChecks, the load logins put
// on the CPU, for a gauge.
func (a *Authenticator) HashesRunning() int64 { return a.hashesRunning.Load() }

// HashesWaiting is how many password hashes wait for a turn right now: with
// HashesRunning at MaxHashes, logins queue behind one another.
func (a *Authenticator) HashesWaiting() int64 { return a.hashesWaiting.Load() }

// MaxHashes is how many password hashes run at once at most
// (Options.MaxHashes, or its default).
func (a *Authenticator) MaxHashes() int { return cap(a.hashing) }

// check is every password check of Login, counted. A user whose stored hash
// computes nothing (an unusable password, an unknown algorithm) has the
// stand-in checked instead, as Django's verify_password runs its hasher for
// them: the login costs one hash like any other.
func (a *Authenticator) check(ctx context.Context, u *models.User, password string) (bool, error) {
	if !u.PasswordComputes() {
		return false, a.burnPasswordCheck(ctx, password)
	}
	if err := a.beginHash(ctx); err != nil {
		return false, err
	}
	defer a.endHash()
	a.passwordChecks.Add(1)
	return u.CheckPassword(password)
}

// PasswordChecks is how many passwords Login has checked against a hash,
// counting the stand-in hash it checks for an unknown username or a user
// whose hash computes nothing. Each login costs exactly one, whether the
// username exists or not, so that its duration cannot tell which usernames
// are real; the count is the hashing work the Authenticator has done, the one
// cost of a login that matters. (A user whose stored hash is another
// algorithm's costs that algorithm's one computation; the upgrade after a
// successful login hashes once more and is not a check.)
func (a *Authenticator) PasswordChecks() int64 { return a.passwordChecks.Load() }

// burnPasswordCheck checks password against the stand-in hash, in a turn
// like any other check (the first one also makes the stand-in).
func (a *Authenticator) burnPasswordCheck(ctx context.Context, password string) error {
	if err := a.beginHash(ctx); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	defer a.endHash()
	a.dummyOnce.Do(func() {
		a.dummyErr = a.dummy.SetPassword("not a password anyone has", a.bcryptCost)
	})
	if a.dummyErr != nil {
		return fmt.Errorf("login: %w", a.dummyErr)
	}
	a.passwordChecks.Add(1)
	if _, err := a.dummy.CheckPassword(password); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	return nil
}

// TokenFor returns the user's token, creating one if the user has none, and
// replacing one that has expired or whose key cannot be opened any more (the
// secret key changed): a login always ends with a key that works.
func (a *Authenticator) TokenFor(ctx context.Context, u *models.User) (*models.Token, error) {
	now := a.db.Now()
	expired := func(t *models.Token) bool { return a.expired(t, now) }
	t, _, err := a.db.GetOrCreateToken(ctx, u.ID, GenerateKey, expired)
	if err != nil {
		return nil, fmt.Errorf("token for %q: %w", u.Username, err)
	}
	return t, nil
}

// Authenticate resolves the Authorization header values to a token with its user.
// It returns errAnonymous (see IsAnonymous) when no token is offered, a *Failure
// when one is offered but is not good (unknown, expired, or its user inactive),
// and other errors when the database fails. With Options.Refresh it restarts
// the token's TTL, writing at most once per refresh interval.
func (a *Authenticator) Authenticate(ctx context.Context, header []string) (*models.Token, error) {
	t, outcome, err := a.authenticate(ctx, header)
	if a.opts.Observe != nil {
		a.opts.Observe(outcome)
	}
	return t, err
}

// authenticate is Authenticate, with how it ended.
func (a *Authenticator) authenticate(ctx context.Context, header []string) (*models.Token, Outcome, error) {
	key, err := ParseHeader(header, a.keywords...)
	if IsAnonymous(err) {
		return nil, OutcomeMissing, err
	}
	if err != nil {
		return nil, OutcomeInvalid, err
	}
	if !WellFormedKey(key) {
		return nil, OutcomeInvalid, ErrInvalidToken
	}
	// The row is found by the key's HMAC digest, which TokenByKey compares
	// again in constant time; the key itself is never compared or stored.
	t, err := a.db.TokenByKey(ctx, key)
	if errors.Is(err, models.ErrNotFound) {
		return nil, OutcomeInvalid, ErrInvalidToken
	}
	if err != nil {
		return nil, OutcomeError, fmt.Errorf("authenticate: %w", err)
	}
	now := a.db.Now()
	if a.expired(t, now) {
		// The client is told what DRF tells it; only the metric knows why.
		return nil, OutcomeExpired, ErrInvalidToken
	}
	if !t.User.IsActive {
		return nil, OutcomeInactive, ErrInactive
	}
	if err := a.refresh(ctx, t, now); err != nil {
		return nil, OutcomeError, err
	}
	return t, OutcomeOK, nil
}

// refresh moves t's refreshed time to now when sliding expiry is on and the
// last refresh is older than the refresh interval; other requests write
// nothing.
func (a *Authenticator) refresh(ctx context.Context, t *models.Token, now time.Time) error {
	if !a.opts.Refresh || a.opts.TTL <= 0 {
		return nil
	}
	staleBefore := now.Add(-a.opts.refreshInterval())
	if !t.Refreshed.Before(staleBefore) {
		return nil
	}
	touched, err := a.db.TouchToken(ctx, t.UserID, now, staleBefore)
	if errors.Is(err, models.ErrFull) {
		// No room to move the stamp: the token is still good until its
		// unmoved expiry, and a later request moves it once there is room.
		// Refusing would stop reads that work.
		return nil
	}
	if err != nil {
		return fmt.Errorf("authenticate: %w", err)
	}
	if touched {
		t.Refreshed = now
	}
	return nil
}

type callerKey struct{}

type caller struct {
	token *models.Token
	err   error
}

// anonymous is the caller of every request that offers no token; it is never
// written to.
var anonymous = &caller{}

// Middleware identifies the caller from the Authorization header and records the
// outcome for User, Token and Required. It never refuses a request itself, so
// views that allow anyone still work.
func (a *Authenticator) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		t, err := a.Authenticate(c.Request.Context(), c.Request.Header.Values("Authorization"))
		cl := anonymous
		if !IsAnonymous(err) {
			cl = &caller{token: t, err: err}
		}
		c.Set(callerKey{}, cl)
		c.Next()
	}
}

func callerOf(c *gin.Context) *caller {
	if v, ok := c.Get(callerKey{}); ok {
		if cl, ok := v.(*caller); ok {
			return cl
		}
	}
	return &caller{}
}

// User is the authenticated user of the request (DRF's request.user), or nil.
// It holds who the user is and what it may do (see models.DB.TokenByKey), not
// its email, password hash or dates.
func User(c *gin.Context) *models.User {
	if t := Token(c); t != nil {
		return t.User
	}
	return nil
}

// Token is the token the request authenticated with (DRF's request.auth), or nil.
func Token(c *gin.Context) *models.Token {
	return callerOf(c).token
}

// Check reports why the request is not authenticated: nil when it is,
// ErrNotAuthenticated when no token was offered, the *Failure for a bad token, or
// the database error that prevented the check.
func Check(c *gin.Context) error {
	cl := callerOf(c)
	switch {
	case cl.err != nil:
		return cl.err
	case cl.token == nil:
		return ErrNotAuthenticated
	}
	return nil
}

// Required refuses unauthenticated requests by recording the reason with c.Error
// and aborting, leaving the response to the router's one error writer.
func Required() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := Check(c); err != nil {
			_ = c.Error(err)
			c.Abort()
			return
		}
		c.Next()
	}
}

// ConnectTokenReceiver gives every new user a token, inside the transaction that
// creates the user (DRF's post_save receiver in the authtoken docs). It returns
// the function that disconnects it.
func ConnectTokenReceiver(s *models.Signals) (disconnect func()) {
	return s.UserCreated.Connect("auth.create_token", func(ctx context.Context, ev models.UserCreated) error {
		key, err := GenerateKey()
		if err != nil {
			return err
		}
		if _, err := ev.DB.CreateToken(ctx, ev.User.ID, key); err != nil {
			return err
		}
		return nil
	})
}
