package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"studentapi/internal/fields"
	"studentapi/internal/metrics"
)

// instrument counts and times every request the router answers, by route
// template (never the path as sent: a path may hold an id or a pasted key),
// method and status. The routes' series are resolved here, once; a request
// costs a map lookup by gin's route pattern and a few atomic adds, and no
// allocation. A request no route matched is counted as metrics.Unmatched.
func instrument(m *metrics.Metrics, paths []string) gin.HandlerFunc {
	byRoute := make(map[string]*metrics.Route, len(paths))
	for _, p := range paths {
		byRoute[p] = m.Route(p)
	}
	unmatched := m.Route(metrics.Unmatched)
	inFlight := m.InFlight()
	return func(c *gin.Context) {
		inFlight.Inc()
		// Deferred, so that an answer cut short after its first byte (a
		// panic errorResponder lets through to net/http) is counted too,
		// under the status it was sent with.
		defer observe(c, byRoute, unmatched, inFlight, time.Now())
		c.Next()
	}
}

// observe counts and times the request c, begun at start, and ends it in
// the in-flight gauge.
func observe(c *gin.Context, byRoute map[string]*metrics.Route, unmatched *metrics.Route, inFlight interface{ Dec() }, start time.Time) {
	inFlight.Dec()
	r := byRoute[c.FullPath()]
	if r == nil {
		r = unmatched
	}
	r.Observe(c.Request.Method, c.Writer.Status(), time.Since(start))
}

// Login outcomes, as the metrics label them.
const (
	loginSuccess = iota
	loginBadCredentials
	loginThrottled
	loginInvalid // a body or header refused before the password was checked
	loginError   // the server failed
	numLoginOutcomes
)

var loginOutcomeNames = [numLoginOutcomes]string{"success", "bad_credentials", "throttled", "invalid", "error"}

// countLogins wraps /gettoken/'s view and counts each POST by how it ended;
// other methods (OPTIONS, a 405) are no login. Nil m counts nothing.
func countLogins(m *metrics.Metrics) gin.HandlerFunc {
	if m == nil {
		return nil
	}
	var counters [numLoginOutcomes]interface{ Inc() }
	for i, name := range loginOutcomeNames {
		counters[i] = m.Login(name)
	}
	return func(c *gin.Context) {
		c.Next()
		if c.Request.Method == http.MethodPost {
			counters[loginOutcome(c)].Inc()
		}
	}
}

// loginOutcome reads how a login ended from the error it left for errors.go,
// or from the answer when it left none.
func loginOutcome(c *gin.Context) int {
	if len(c.Errors) == 0 {
		if c.Writer.Status() < http.StatusBadRequest {
			return loginSuccess
		}
		return loginError
	}
	err := c.Errors.Last().Err
	var (
		slowDown *throttledError
		detail   *detailError
		invalid  *fields.Errors
	)
	switch {
	case err == errLoginFailed || err == errBasicLoginFailed:
		return loginBadCredentials
	case errors.As(err, &slowDown):
		return loginThrottled
	case errors.As(err, &invalid), errors.As(err, &detail) && detail.status < http.StatusInternalServerError,
		errors.As(err, new(*http.MaxBytesError)):
		return loginInvalid
	}
	return loginError
}
