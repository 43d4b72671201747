package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"studentapi/auth"
	"studentapi/internal/fields"
	"studentapi/internal/ordered"
	"studentapi/internal/proxies"
	"studentapi/internal/throttle"
	"studentapi/models"
)

// tokenJSON is the answer of /gettoken/, as the classic CustomAuthToken view.
type tokenJSON struct {
	Token  string `json:"token"`
	UserID int64  `json:"user_id"`
	Email  string `json:"email"`
}

// DRF's AuthTokenSerializer: username is trimmed, the password is taken as sent.
// Unlike DRF, a username longer than any account's is a field error, before
// it is looked up or throttled: no client chooses the size of what a login
// keeps.
var (
	usernameField = fields.Char{MaxLength: models.UsernameMaxLength}
	passwordField = fields.Char{NoTrim: true}
)

// obtainTokenActions is the "actions" of OPTIONS /gettoken/:
// AuthTokenSerializer's fields as DRF's SimpleMetadata describes them. DRF's
// serializer declares no max_length on username, so none is shown, though the
// field enforces one.
func obtainTokenActions(*gin.Context) (map[string]any, error) {
	return map[string]any{http.MethodPost: ordered.Object[fieldInfo]{
		{Key: "username", Value: fieldInfo{Type: "string", Required: true, Label: "Username"}},
		{Key: "password", Value: fieldInfo{Type: "string", Required: true, Label: "Password"}},
		{Key: "token", Value: fieldInfo{Type: "string", ReadOnly: true, Label: "Token"}},
	}}, nil
}

// usernameScope is the throttle scope of failed logins per username
// (Throttles.Logins), as the metrics name it.
const usernameScope = "gettoken_username"

// The refusals of a wrong username or password, in the body and in a Basic
// header: one value each, so that the login metrics tell them from other
// 400s and 403s. Never changed after they are made.
var (
	errLoginFailed      = nonFieldError("Unable to log in with provided credentials.")
	errBasicLoginFailed = newDetail(http.StatusForbidden, auth.ErrBasicCredentials.Detail)
)

func obtainToken(a *auth.Authenticator, limits Throttles, trusted *proxies.Trusted) handler {
	return func(c *gin.Context) error {
		data, err := parseBody(c, "username", "password")
		if err != nil {
			return err
		}
		errs := &fields.Errors{}
		creds := [2]string{}
		for i, f := range []struct {
			name  string
			field fields.Char
		}{{"username", usernameField}, {"password", passwordField}} {
			raw, ok := data[f.name]
			if !ok {
				errs.Add(f.name, fields.MsgRequired)
				continue
			}
			v, msgs := f.field.Clean(raw)
			for _, m := range msgs {
				errs.Add(f.name, m)
			}
			creds[i] = v
		}
		if !errs.Empty() {
			return errs
		}
		// A throttled attempt never reaches the password check; a failed one
		// keeps the cost it reserved, anything else gives it back.
		ctx := c.Request.Context()
		attempt, ok, wait, err := limits.Logins.Begin(ctx, creds[0], trusted.ClientIP(c.Request), "")
		if err != nil {
			return err
		}
		if !ok {
			return &throttledError{seconds: throttle.Seconds(wait), scope: usernameScope}
		}
		user, err := a.Login(ctx, creds[0], creds[1])
		if errors.Is(err, auth.ErrBadCredentials) {
			return errLoginFailed
		}
		if err != nil {
			return errors.Join(err, attempt.Cancel(ctx))
		}
		if err := attempt.Succeeded(ctx); err != nil {
			return err
		}
		token, err := a.TokenFor(ctx, user)
		if err != nil {
			return err
		}
		c.Header("Cache-Control", "no-store")
		writeJSON(c, http.StatusOK, tokenJSON{Token: token.Key, UserID: user.ID, Email: user.Email})
		return nil
	}
}

// basicAuthentication is DRF's BasicAuthentication as /gettoken/ meets it
// (ObtainAuthToken keeps DRF's default classes, SessionAuthentication first):
// an Authorization: Basic header whose credentials fail is 403 with the
// failure's detail and no WWW-Authenticate; good credentials change nothing,
// the body alone decides which token is returned; any other header is not
// looked at. Its guesses count against the same per-username budget as the
// body's, so it is no second door for a password guesser.
func basicAuthentication(a *auth.Authenticator, logins *throttle.Guard, trusted *proxies.Trusted) gin.HandlerFunc {
	return func(c *gin.Context) {
		username, password, err := auth.ParseBasic(c.Request.Header.Values("Authorization"))
		if auth.IsAnonymous(err) {
			return
		}
		if f := (*auth.Failure)(nil); errors.As(err, &f) {
			abort(c, newDetail(http.StatusForbidden, f.Detail))
			return
		}
		ctx := c.Request.Context()
		attempt, ok, wait, err := logins.Begin(ctx, username, trusted.ClientIP(c.Request), "")
		if err != nil {
			abort(c, err)
			return
		}
		if !ok {
			abort(c, &throttledError{seconds: throttle.Seconds(wait), scope: usernameScope})
			return
		}
		_, err = a.Login(ctx, username, password)
		switch {
		case errors.Is(err, auth.ErrBadCredentials):
			// Django's ModelBackend refuses an inactive user as it refuses a
			// wrong password, so DRF never reaches "User inactive or deleted."
			abort(c, errBasicLoginFailed)
		case err != nil:
			abort(c, errors.Join(err, attempt.Cancel(ctx)))
		default:
			if err := attempt.Succeeded(ctx); err != nil {
				abort(c, err)
			}
		}
	}
}

// apiRoot links to the list, absolute as DRF's reverse() makes it.
func apiRoot(trusted *proxies.Trusted) handler {
	return func(c *gin.Context) error {
		u := absoluteURL(c, trusted)
		u.Path, u.RawQuery = "/studentapi/", ""
		writeJSON(c, http.StatusOK, map[string]string{"studentapi": u.String()})
		return nil
	}
}
