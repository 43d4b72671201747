package admin

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"studentapi/auth"
	"studentapi/models"
	"studentapi/throttle"
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

	wait, ok, err := s.allowLogin(r, username)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if !ok {
		secs := throttle.Seconds(wait)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		d.Error = "Too many login attempts. Expected available in " + strconv.Itoa(secs) + " seconds."
		s.render(w, r, http.StatusTooManyRequests, "login", page{Title: "Log in", Data: d})
		return
	}
	u, err := s.Auth.Login(r.Context(), username, r.PostForm.Get("password"))
	if err == nil && !u.IsStaff {
		err = auth.ErrBadCredentials
	}
	if errors.Is(err, auth.ErrBadCredentials) {
		d.Error = msgBadLogin
		s.render(w, r, http.StatusOK, "login", page{Title: "Log in", Data: d})
		return
	}
	if err != nil {
		s.serverError(w, r, err)
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
		d.Error = msgBadLogin
		s.render(w, r, http.StatusOK, "login", page{Title: "Log in", Data: d})
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

// allowLogin records one attempt on the per-IP and per-username limiters
// (with the keys /gettoken/ uses, so that both count against one budget) and
// returns the longest wait when any refuses.
func (s *site) allowLogin(r *http.Request, username string) (wait time.Duration, ok bool, err error) {
	ok = true
	check := func(l *throttle.Limiter, key string) {
		if l == nil || err != nil {
			return
		}
		allowed, w, lerr := l.Allow(r.Context(), key)
		switch {
		case lerr != nil:
			err = lerr
		case !allowed:
			ok = false
			wait = max(wait, w)
		}
	}
	check(s.Login, "gettoken:"+s.ClientIP(r))
	for _, l := range s.LoginUsername {
		check(l, "username:"+username)
	}
	return wait, ok, err
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
