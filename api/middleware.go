package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/gin-gonic/gin"

	"studentapi/proxies"

	"studentapi/fields"
)

// accessLog logs one line a request. It never logs headers, the query string, a
// body, or the path as sent: a client may paste its key anywhere, so the line
// names the route ("/studentapi/:pk/") and only a numeric id.
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "(no route)"
		}
		attrs := []any{
			"method", c.Request.Method,
			"route", route,
			"status", c.Writer.Status(),
			"duration", time.Since(start).Round(time.Microsecond).String(),
		}
		if id, ok := fields.PythonInt(c.GetString(pkParamKey)); ok {
			attrs = append(attrs, "id", id)
		}
		log.Info("request", attrs...)
	}
}

// recovery turns a panic into DRF-shaped 500 and logs it.
func recovery(log *slog.Logger) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, v any) {
		log.Error("panic", "method", c.Request.Method, "route", c.FullPath(), "panic", fmt.Sprint(v))
		writeJSON(c, http.StatusInternalServerError, map[string]string{"detail": "Internal server error."})
		c.Abort()
	})
}

var errHTTPSRequired = newDetail(http.StatusForbidden,
	"HTTPS is required. Plain HTTP is accepted only through the trusted proxy, with X-Forwarded-Proto: https.")

// security sets what Django's SecurityMiddleware sets by default, plus HSTS on
// every answer that went over TLS (here or at a trusted proxy). With
// requireHTTPS (production without TLS of its own) it refuses a plain-HTTP
// request, unless it comes straight from this machine's loopback.
func security(trusted *proxies.Trusted, requireHTTPS bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		viaProxy := trusted.FromProxy(c.Request)
		secure := c.Request.TLS != nil || (viaProxy && c.GetHeader("X-Forwarded-Proto") == "https")
		if secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if requireHTTPS && !secure && (viaProxy || !isLoopback(c.RemoteIP())) {
			abort(c, errHTTPSRequired)
			return
		}
		c.Next()
	}
}

func isLoopback(ip string) bool {
	a, err := netip.ParseAddr(ip)
	return err == nil && a.Unmap().IsLoopback()
}

// limitBody caps how much of a body any handler can read; reading past the cap
// fails with *http.MaxBytesError, which errors.go answers with 413.
func limitBody(limit int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		c.Next()
	}
}
