package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync"

	"github.com/gin-gonic/gin"

	"studentapi/models"
)

// ErrBadCredentials is the one answer for a wrong password, an unknown username
// and an inactive user, so a caller cannot tell which it was.
var ErrBadCredentials = errors.New("unable to log in with provided credentials")

// Authenticator checks credentials and tokens against the database.
type Authenticator struct {
	db         *models.DB
	keyword    string
	bcryptCost int

	// dummy is a hash checked when the username is unknown, so that a failed
	// login costs one password check whether or not the user exists.
	dummyOnce sync.Once
	dummy     models.User
	dummyErr  error
}

// New returns an Authenticator that reads the keyword (e.g. "Token") from the
// Authorization header and hashes new passwords at bcryptCost.
func New(db *models.DB, keyword string, bcryptCost int) *Authenticator {
	return &Authenticator{db: db, keyword: keyword, bcryptCost: bcryptCost}
}

// Keyword is the Authorization scheme this Authenticator reads, for the
// WWW-Authenticate challenge.
func (a *Authenticator) Keyword() string { return a.keyword }

// Login returns the active user whose username and password match, or
// ErrBadCredentials.
func (a *Authenticator) Login(ctx context.Context, username, password string) (*models.User, error) {
	u, err := a.db.UserByUsername(ctx, username)
	if errors.Is(err, models.ErrNotFound) {
		if err := a.burnPasswordCheck(password); err != nil {
			return nil, err
		}
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	ok, err := u.CheckPassword(password)
	if err != nil {
		return nil, fmt.Errorf("login %q: %w", username, err)
	}
	if !ok || !u.IsActive {
		return nil, ErrBadCredentials
	}
	return u, nil
}

func (a *Authenticator) burnPasswordCheck(password string) error {
	a.dummyOnce.Do(func() {
		a.dummyErr = a.dummy.SetPassword("not a password anyone has", a.bcryptCost)
	})
	if a.dummyErr != nil {
		return fmt.Errorf("login: %w", a.dummyErr)
	}
	if _, err := a.dummy.CheckPassword(password); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	return nil
}

// TokenFor returns the user's token, creating one if the user has none.
func (a *Authenticator) TokenFor(ctx context.Context, u *models.User) (*models.Token, error) {
	t, _, err := a.db.GetOrCreateToken(ctx, u.ID, GenerateKey)
	if err != nil {
		return nil, fmt.Errorf("token for %q: %w", u.Username, err)
	}
	return t, nil
}

// Authenticate resolves the Authorization header values to a token with its user.
// It returns errAnonymous (see IsAnonymous) when no token is offered, a *Failure
// when one is offered but is not good, and other errors when the database fails.
func (a *Authenticator) Authenticate(ctx context.Context, header []string) (*models.Token, error) {
	key, err := ParseHeader(header, a.keyword)
	if err != nil {
		return nil, err
	}
	if !wellFormedKey(key) {
		return nil, ErrInvalidToken
	}
	t, err := a.db.TokenByKey(ctx, key)
	if errors.Is(err, models.ErrNotFound) {
		return nil, ErrInvalidToken
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	// The lookup was by equality in the database; compare again in constant time
	// so this process never branches on how much of a key matched.
	if subtle.ConstantTimeCompare([]byte(t.Key), []byte(key)) != 1 {
		return nil, ErrInvalidToken
	}
	if !t.User.IsActive {
		return nil, ErrInactive
	}
	return t, nil
}

type callerKey struct{}

type caller struct {
	token *models.Token
	err   error
}

// Middleware identifies the caller from the Authorization header and records the
// outcome for User, Token and Required. It never refuses a request itself, so
// views that allow anyone still work.
func (a *Authenticator) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		t, err := a.Authenticate(c.Request.Context(), c.Request.Header.Values("Authorization"))
		if IsAnonymous(err) {
			err = nil
		}
		c.Set(callerKey{}, &caller{token: t, err: err})
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
