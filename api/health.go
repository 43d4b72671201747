package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"studentapi/models"
)

// healthz answers while the process serves; it touches nothing else.
func healthz(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	writeJSON(c, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only while the database answers, so a load balancer
// stops sending traffic to an instance that cannot serve it. It says nothing
// about why: the cause goes to the log.
func readyz(db *models.DB) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			abort(c, errUnavailable(err))
			return
		}
		writeJSON(c, http.StatusOK, map[string]string{"status": "ok"})
	}
}
