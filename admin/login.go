package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"studentapi/auth"
	"studentapi/internal/throttle"
	"studentapi/models"
)

// msgBadLogin is the one answer for a wrong password, an unknown user, an
// inactive one and one who is not staff (Django admin's words).
const msgBadLogin = "Please enter the correct username and password for a staff account. Note that both fields may be case-sensitive."

type loginData struct {
	Username string
	Next     string
	Error    string
}

// safeNext keeps a post-login redirect inside the site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return Prefix
	}
	return next
}

func (s *site) loginForm(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	v, err := s.visitor(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if v != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", page{Title: "Log in", Data: loginData{Next: next}})
}

func (s *site) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.render(w, r, http.StatusBadRequest, "error", page{Title: "Bad request", Data: "The form could not be read."})
		return
	}
	username := r.PostForm.Get("username")
	d := loginData{Username: username, Next: safeNext(r.PostForm.Get("next"))}
	ctx := r.Context()
	ip := s.Proxies.ClientIP(r)

	// The limit per address first, with the key /gettoken/ uses, so that
	// both count against one budget.
	if s.Login != nil {
		ok, wait, err := s.Login.Allow(ctx, "gettoken:"+ip)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if !ok {
			s.tooManyLogins(w, r, d, wait)
			return
		}
	}
	// Django's form refuses a username longer than any account's before
	// anything is done with it, here the throttle's count.
	if n := utf8.RuneCountInString(username); n > models.UsernameMaxLength {
		d.Username = ""
		d.Error = fmt.Sprintf("Ensure this value has at most %d characters (it has %d).", models.UsernameMaxLength, n)
		s.render(w, r, http.StatusOK, "login", page{Title: "Log in", Data: d})
		return
	}
	// A throttled attempt never reaches the password check; a failed one
	// keeps the cost it reserved, anything else gives it back.
	attempt, ok, wait, err := s.Logins.Begin(ctx, username, ip, s.device(r, username))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if !ok {
		s.tooManyLogins(w, r, d, wait)
		return
	}
	u, err := s.Auth.Login(ctx, username, r.PostForm.Get("password"))
	if err == nil && !u.IsStaff {
		err = auth.ErrBadCredentials
	}
	if errors.Is(err, auth.ErrBadCredentials) {
		s.badLogin(w, r, d)
		return
	}
	if err != nil {
		s.serverError(w, r, errors.Join(err, attempt.Cancel(ctx)))
		return
	}
	// A new id at every login, and the old session gone: no fixation.
	if c, err := r.Cookie(CookieName); err == nil && c.Value != "" {
		if err := s.DB.DeleteSession(r.Context(), c.Value); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	// LogIn writes last_login alone, and only while u is still what was
	// checked: a reset, deactivation or demotion since refuses the login.
	err = s.startSession(r.Context(), w, r, u, s.DB.LogIn)
	if errors.Is(err, models.ErrUserChanged) {
		s.badLogin(w, r, d)
		return
	}
	if err != nil {
		s.serverError(w, r, errors.Join(err, attempt.Cancel(ctx)))
		return
	}
	// Only a login that signed in is a success: one refused above because
	// the user changed keeps the cost it reserved and earns no trust.
	if err := attempt.Succeeded(ctx); err != nil {
		s.serverError(w, r, err)
		return
	}
	if err := s.setDevice(w, r, username); err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

// badLogin answers a refused login: the form again, with the one message.
func (s *site) badLogin(w http.ResponseWriter, r *http.Request, d loginData) {
	d.Error = msgBadLogin
	s.render(w, r, http.StatusOK, "login", page{Title: "Log in", Data: d})
}

// tooManyLogins answers a throttled login: the form again, with the wait.
func (s *site) tooManyLogins(w http.ResponseWriter, r *http.Request, d loginData, wait time.Duration) {
	secs := throttle.Seconds(wait)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	d.Error = "Too many login attempts. Expected available in " + strconv.Itoa(secs) + " seconds."
	s.render(w, r, http.StatusTooManyRequests, "login", page{Title: "Log in", Data: d})
}

func (s *site) logout(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := s.DB.DeleteSession(r.Context(), v.sessionID); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.clearCookie(w, r)
	redirectFlash(w, r, "/admin/login/", "logged-out")
}

func (s *site) stylesheet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(s.css)
}

type indexData struct {
	Tokens, Users, Students int64
}

func (s *site) index(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	var d indexData
	var err error
	if d.Tokens, err = s.DB.CountTokens(ctx, models.TokenQuery{}); err == nil {
		if d.Users, err = s.DB.CountUsers(ctx, models.UserQuery{}); err == nil {
			d.Students, err = s.DB.CountStudents(ctx, models.StudentQuery{})
		}
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "index", page{Title: "Site administration", User: v.user, CSRF: v.csrf, Data: d})
}
