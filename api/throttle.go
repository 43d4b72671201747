package api

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"studentapi/auth"
	"studentapi/internal/proxies"
	"studentapi/internal/throttle"
	"studentapi/models"
)

// Throttles are the rate limits of DRF's AnonRateThrottle, UserRateThrottle and
// a ScopedRateThrottle for /gettoken/. A nil Limiter is no throttle.
type Throttles struct {
	Anon     *throttle.Limiter // anonymous requests, per client IP
	User     *throttle.Limiter // authenticated requests, per user id
	GetToken *throttle.Limiter // POST /gettoken/, per client IP
	// Logins limits the failed /gettoken/ attempts per username (see
	// throttle.Guard), checked after the body is read and before the
	// password is. Nil: no limit per username.
	Logins *throttle.Guard
}

// throttleRule picks the limiter and the key for one request; ok false means
// the rule does not apply to it. The key begins with the rule's scope and a
// colon ("anon:", "user:", "gettoken:"), which the metrics count refusals by.
type throttleRule func(c *gin.Context) (l *throttle.Limiter, key string, ok bool)

// anonOrUser is DRF's default pair: users by id, everyone else by client IP
// (X-Forwarded-For only from trusted proxies).
func anonOrUser(t Throttles, trusted *proxies.Trusted) throttleRule {
	return func(c *gin.Context) (*throttle.Limiter, string, bool) {
		if u := auth.User(c); u != nil {
			return t.User, "user:" + strconv.FormatInt(u.ID, 10), t.User != nil
		}
		return t.Anon, "anon:" + trusted.ClientIP(c.Request), t.Anon != nil
	}
}

// scoped throttles one view by client IP, whoever the caller is.
func scoped(l *throttle.Limiter, scope string, trusted *proxies.Trusted) throttleRule {
	return func(c *gin.Context) (*throttle.Limiter, string, bool) {
		return l, scope + ":" + trusted.ClientIP(c.Request), l != nil
	}
}

// throttled runs after authentication and before the method check, as DRF's
// check_throttles; every rule is checked and the longest wait is reported.
func throttled(rules ...throttleRule) gin.HandlerFunc {
	return func(c *gin.Context) {
		longest, scope := -1, ""
		for _, rule := range rules {
			l, key, ok := rule(c)
			if !ok {
				continue
			}
			allowed, wait, err := l.Allow(c.Request.Context(), key)
			if err != nil && errors.Is(err, models.ErrFull) {
				// No room to count the request (api.throttle.store:
				// database): it goes uncounted rather than refused, so that
				// reads go on, and so do the deletes that free space; a
				// write that needs room fails by itself, with 507. The
				// guard of failed logins (Throttles.Logins), which stops
				// password guessing, still refuses when it cannot count.
				continue
			}
			if err != nil {
				abort(c, err)
				return
			}
			if !allowed {
				if s := throttle.Seconds(wait); s > longest {
					longest = s
					scope, _, _ = strings.Cut(key, ":")
				}
			}
		}
		if longest >= 0 {
			abort(c, &throttledError{seconds: longest, scope: scope})
		}
	}
}
