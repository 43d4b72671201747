// Package admin is the server-rendered admin site under /admin/, the Go
// counterpart of Django's admin for what DRF's token auth and the Student API
// need: tokens (DRF's TokenAdmin), users and students. It is an http.Handler
// with html/template pages and one stylesheet embedded in the binary, no
// script and nothing fetched from elsewhere.
//
// Only active staff users sign in. Sessions live in the database (models.Session,
// which keeps a keyed hash of the session id, never the id), behind an opaque
// random cookie. Every state-changing form carries a per-session CSRF token,
// and http.CrossOriginProtection refuses cross-site POSTs before any handler
// runs, the login form included. All reads and writes go through models and
// auth: the package has no queries of its own.
package admin

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"studentapi/auth"
	"studentapi/internal/fields"
	"studentapi/internal/passwordvalidation"
	"studentapi/internal/proxies"
	"studentapi/internal/requestid"
	"studentapi/internal/throttle"
	"studentapi/models"
)

//go:embed templates/*.html static/admin.css
var files embed.FS

// Prefix is the path the site is served under; mount the handler there.
const Prefix = "/admin/"

// CookieName is the session cookie's name.
const CookieName = "studentapi_admin_session"

// DefaultPageSize is the number of rows on a list page when Deps.PageSize is 0.
const DefaultPageSize = 25

// maxFormBytes bounds a form body; the site's forms are a few fields each.
const maxFormBytes = 64 << 10

// Deps are what the site needs from the program that mounts it.
type Deps struct {
	DB   *models.DB
	Auth *auth.Authenticator
	Log  *slog.Logger // nil discards
	// BcryptCost hashes the passwords the site sets.
	BcryptCost int
	// PasswordValidators judge the passwords the site sets, as Django's
	// AUTH_PASSWORD_VALIDATORS; none accepts any.
	PasswordValidators passwordvalidation.Validators
	// SessionTTL is how long a session lasts after login.
	SessionTTL time.Duration
	// SecureCookie marks the session cookie Secure even on requests that did
	// not arrive over TLS here, for a proxy that terminates TLS in front of
	// the server. Requests over TLS always get a Secure cookie.
	SecureCookie bool
	// Login throttles login attempts per client IP, and Logins the failed
	// ones per username (see throttle.Guard). Passing the /gettoken/ ones
	// makes the API and the site share one budget of attempts. Nil: no
	// throttle.
	Login  *throttle.Limiter
	Logins *throttle.Guard
	// DeviceKey signs the device cookies a successful login sets (see
	// DeviceCookieName), which last DeviceTTL. Empty, or a DeviceTTL of 0:
	// no device cookies.
	DeviceKey []byte
	DeviceTTL time.Duration
	// Proxies are the proxies whose X-Forwarded-For names the client for
	// the per-IP throttle; nil believes none.
	Proxies *proxies.Trusted
	// PageSize is the number of rows on a list page; 0 is DefaultPageSize.
	PageSize int
}

type site struct {
	Deps
	pages map[string]*template.Template
	css   []byte
}

// New returns the admin site's handler, to be mounted at Prefix.
func New(d Deps) (http.Handler, error) {
	if d.DB == nil || d.Auth == nil {
		return nil, errors.New("admin: DB and Auth are required")
	}
	if d.SessionTTL <= 0 {
		return nil, errors.New("admin: SessionTTL must be positive")
	}
	if d.PageSize <= 0 {
		d.PageSize = DefaultPageSize
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	s := &site{Deps: d, pages: map[string]*template.Template{}}
	css, err := files.ReadFile("static/admin.css")
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	s.css = css
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	for _, name := range names {
		base := strings.TrimPrefix(name, "templates/")
		if base == "base.html" || base == "pager.html" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(files, "templates/base.html", "templates/pager.html", name)
		if err != nil {
			return nil, fmt.Errorf("admin: %w", err)
		}
		s.pages[strings.TrimSuffix(base, ".html")] = t
	}
	return siteHeaders(http.NewCrossOriginProtection().Handler(s.routes())), nil
}

var funcs = template.FuncMap{
	"date": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
}

// siteHeaders sets what the site's answers need beyond the security headers
// the server sets on every answer (api.Protect: no framing, no sniffing, no
// referrer beyond the site, HSTS), and only that: no script at all, and no
// caching of pages that show keys.
func siteHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// visit is the signed-in staff user of one request.
type visit struct {
	user      *models.User
	sessionID string
	csrf      string
}

// csrfToken derives the session's CSRF token from its id: nothing to store,
// and knowing the token tells nothing about the id.
func csrfToken(sessionID string) string {
	sum := sha256.Sum256([]byte("studentapi admin csrf\x00" + sessionID))
	return hex.EncodeToString(sum[:])
}

// msgSessionEnded answers a form posted without a live staff session.
const msgSessionEnded = "Your session has ended. Log in again."

// staffHandler is a handler for signed-in staff.
type staffHandler func(w http.ResponseWriter, r *http.Request, v *visit)

// staff lets in requests with a live session of an active staff user and,
// for anything but GET and HEAD, the session's CSRF token; others go to the
// login page, or get 403.
func (s *site) staff(h staffHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := s.visitor(r)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if v == nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/admin/login/?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.render(w, r, http.StatusForbidden, "error", page{Title: "Forbidden", Data: msgSessionEnded})
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if err := r.ParseForm(); err != nil {
				s.render(w, r, http.StatusBadRequest, "error", page{Title: "Bad request", User: v.user, Data: "The form could not be read."})
				return
			}
			if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(v.csrf)) != 1 {
				s.render(w, r, http.StatusForbidden, "error", page{Title: "Forbidden", User: v.user, CSRF: v.csrf, Data: "CSRF verification failed. Request aborted."})
				return
			}
		}
		h(w, r, v)
	})
}

// visitor reads the session cookie; nil without a live staff session.
func (s *site) visitor(r *http.Request) (*visit, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return nil, nil
	}
	sess, err := s.DB.SessionByID(r.Context(), c.Value)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !sess.User.IsActive || !sess.User.IsStaff {
		return nil, nil
	}
	return &visit{user: sess.User, sessionID: c.Value, csrf: csrfToken(c.Value)}, nil
}

// startSession signs u in through create (DB.LogIn or DB.CreateSession): a
// fresh random id in the cookie, its hash in the table.
func (s *site) startSession(ctx context.Context, w http.ResponseWriter, r *http.Request, u *models.User,
	create func(context.Context, *models.User, string, time.Duration) (*models.Session, error)) error {
	id, err := newSessionID()
	if err != nil {
		return err
	}
	sess, err := create(ctx, u, id, s.SessionTTL)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, r, id, sess)
	return nil
}

// newSessionID is 256 random bits, what the browser holds.
func newSessionID() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("session id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// setSessionCookie hands the browser the id of sess.
func (s *site) setSessionCookie(w http.ResponseWriter, r *http.Request, id string, sess *models.Session) {
	http.SetCookie(w, s.cookie(r, CookieName, id, sess.Expires, int(s.SessionTTL/time.Second)))
}

func (s *site) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, s.cookie(r, CookieName, "", time.Time{}, -1))
}

// cookie is one of the site's cookies (the session's, the device's): on
// /admin/ only, out of scripts' reach, not sent on cross-site requests, and
// Secure over TLS or wherever SecureCookie says the client is on HTTPS.
func (s *site) cookie(r *http.Request, name, value string, expires time.Time, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: Prefix, Expires: expires, MaxAge: maxAge,
		HttpOnly: true, Secure: r.TLS != nil || s.SecureCookie, SameSite: http.SameSiteLaxMode,
	}
}

// page is what every template gets.
type page struct {
	Title string
	Nav   string       // the active section: tokens, users, students
	User  *models.User // the signed-in user; nil on the login page
	CSRF  string
	Flash string
	Data  any
}

func (s *site) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	t, ok := s.pages[name]
	if !ok {
		s.serverError(w, r, fmt.Errorf("admin: no template %q", name))
		return
	}
	if p.Flash == "" {
		p.Flash = flashes[r.URL.Query().Get("flash")]
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "base", p); err != nil {
		s.serverError(w, r, fmt.Errorf("admin: render %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// flashes are the messages a redirect can ask the next page to show; only
// these, so a link cannot put words on the page.
var flashes = map[string]string{
	"created":    "Created.",
	"saved":      "Saved.",
	"deleted":    "Deleted.",
	"password":   "Password changed.",
	"logged-out": "You are logged out.",
}

func redirectFlash(w http.ResponseWriter, r *http.Request, path, flash string) {
	http.Redirect(w, r, path+"?flash="+flash, http.StatusSeeOther)
}

// serverError logs err with the route's pattern (which names the method),
// never the raw path: as the API's access log, the log says which page, not
// what a client typed.
func (s *site) serverError(w http.ResponseWriter, r *http.Request, err error) {
	if models.IsUnavailable(err) {
		// Passing, like the API's 503: the page works again once the database does.
		s.Log.WarnContext(r.Context(), "admin: database unavailable", "route", r.Pattern, "err", err)
		w.Header().Set("Retry-After", "5")
		http.Error(w, "Service temporarily unavailable. Try again in a few seconds.", http.StatusServiceUnavailable)
		return
	}
	if errors.Is(err, models.ErrFull) {
		// Logged by models once an episode, not here once a request.
		http.Error(w, "Insufficient storage: the database is full; try again later.", http.StatusInsufficientStorage)
		return
	}
	s.Log.ErrorContext(r.Context(), "admin", "route", r.Pattern, "err", err)
	msg := "Server error."
	// The id is the one the log line carries (api.Protect sets it), so a
	// user who quotes it leads an operator to the error.
	if id := requestid.Of(r.Context()); id != "" {
		msg += " Request id: " + id + " (quote it when you report this)."
	}
	http.Error(w, msg, http.StatusInternalServerError)
}

func (s *site) notFound(w http.ResponseWriter, r *http.Request, v *visit) {
	p := page{Title: "Not found", Data: "There is nothing here."}
	if v != nil {
		p.User, p.CSRF = v.user, v.csrf
	}
	s.render(w, r, http.StatusNotFound, "error", p)
}

func (s *site) forbidden(w http.ResponseWriter, r *http.Request, v *visit, msg string) {
	s.render(w, r, http.StatusForbidden, "error", page{Title: "Forbidden", User: v.user, CSRF: v.csrf, Data: msg})
}

// pathID reads a numeric path value; ok false has answered 404.
func (s *site) pathID(w http.ResponseWriter, r *http.Request, v *visit) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.notFound(w, r, v)
		return 0, false
	}
	return id, true
}

// pager is one page of a list.
type pager struct {
	Page, Pages int
	Count       int64
	Prev, Next  string // links, empty at the ends
}

// paginate reads ?page= (clamped to the pages there are) and returns the
// offset of the page's first row.
func (s *site) paginate(r *http.Request, count int64) (pager, int) {
	pages := int((count + int64(s.PageSize) - 1) / int64(s.PageSize))
	pages = max(pages, 1)
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 {
		n = 1
	}
	n = min(n, pages)
	p := pager{Page: n, Pages: pages, Count: count}
	link := func(to int) string {
		q := r.URL.Query()
		q.Del("flash")
		q.Set("page", strconv.Itoa(to))
		return r.URL.Path + "?" + q.Encode()
	}
	if n > 1 {
		p.Prev = link(n - 1)
	}
	if n < pages {
		p.Next = link(n + 1)
	}
	return p, (n - 1) * s.PageSize
}

// searchTerms splits a search box on spaces and commas, as the API's search,
// within the API's bounds (fields.SearchErrors); beyond them it has answered
// 400 and ok is false.
func (s *site) searchTerms(w http.ResponseWriter, r *http.Request, v *visit, q string) (terms []string, ok bool) {
	terms = strings.FieldsFunc(q, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	if msgs := fields.SearchErrors(terms); len(msgs) > 0 {
		s.render(w, r, http.StatusBadRequest, "error", page{Title: "Search refused", User: v.user, CSRF: v.csrf,
			Data: "Search: " + strings.Join(msgs, " ")})
		return nil, false
	}
	return terms, true
}

// fieldErrors are messages shown beside the fields they belong to.
type fieldErrors map[string][]string

func (e fieldErrors) add(field, msg string) { e[field] = append(e[field], msg) }

// loadByID loads the object whose id is in the path with get; when it cannot
// (bad id, no such object, database error) it has answered and ok is false.
func loadByID[T any](s *site, w http.ResponseWriter, r *http.Request, v *visit, get func(context.Context, int64) (T, error)) (obj T, ok bool) {
	id, ok := s.pathID(w, r, v)
	if !ok {
		return obj, false
	}
	obj, err := get(r.Context(), id)
	if errors.Is(err, models.ErrNotFound) {
		s.notFound(w, r, v)
		return obj, false
	}
	if err != nil {
		s.serverError(w, r, err)
		return obj, false
	}
	return obj, true
}
