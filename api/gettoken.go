package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"studentapi/auth"
	"studentapi/internal/fields"
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
	return map[string]any{http.MethodPost: object[fieldInfo]{
		{"username", fieldInfo{Type: "string", Required: true, Label: "Username"}},
		{"password", fieldInfo{Type: "string", Required: true, Label: "Password"}},
		{"token", fieldInfo{Type: "string", ReadOnly: true, Label: "Token"}},
	}}, nil
}

func obtainToken(a *auth.Authenticator, limits Throttles, trusted *proxies.Trusted) handler {
	return func(c *gin.Context) error {
		data, err := parseBody(c)
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
			return &throttledError{seconds: throttle.Seconds(wait)}
		}
		user, err := a.Login(ctx, creds[0], creds[1])
		if errors.Is(err, auth.ErrBadCredentials) {
			return nonFieldError("Unable to log in with provided credentials.")
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

// apiRoot links to the list, absolute as DRF's reverse() makes it.
func apiRoot(trusted *proxies.Trusted) handler {
	return func(c *gin.Context) error {
		u := absoluteURL(c, trusted)
		u.Path, u.RawQuery = "/studentapi/", ""
		writeJSON(c, http.StatusOK, map[string]string{"studentapi": u.String()})
		return nil
	}
}
