package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"studentapi/auth"
	"studentapi/models"
)

// logout deletes the caller's token, so the key is refused from then on; the
// next /gettoken/ issues a new one. DRF's authtoken has no such endpoint.
func logout(db *models.DB) handler {
	return func(c *gin.Context) error {
		t := auth.Token(c)
		if t == nil {
			return auth.ErrNotAuthenticated
		}
		// A concurrent logout may have removed it already: the answer is the same.
		if err := db.DeleteToken(c.Request.Context(), t.UserID); err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		c.Header("Cache-Control", "no-store")
		c.Status(http.StatusNoContent)
		c.Writer.WriteHeaderNow()
		return nil
	}
}
