package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"studentapi/models"
)

// A staff user moved over from Django signs in to the admin with the
// password it had there: the login upgrades the hash first, and the session
// it opens stands on the upgraded one (a session is only opened while the
// row holds the hash the login checked).
func TestAdminLoginWithDjangoHash(t *testing.T) {
	f := newFixture(t, nil)
	// Django 3.2's PBKDF2PasswordHasher (1000 iterations) of the tests' password.
	const djangoHash = "pbkdf2_sha256$1000$3BFWmsEoSzs1f9eiIdmzKP$vwAsdvtWFJt/2qEGbhJ9rqhRuj8wm5Rri9YFBU7OgeY="
	u := &models.User{Username: "django", IsActive: true, IsStaff: true, IsSuperuser: true, Password: djangoHash}
	if err := f.db.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	c, _ := f.login("django")
	if w := f.do("GET", "/admin/", nil, c, nil); w.Code != http.StatusOK {
		t.Errorf("GET /admin/ after the login: %d, want 200", w.Code)
	}
	got, err := f.db.UserByUsername(context.Background(), "django")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.Password, "bcrypt_sha256$$2a$04$") {
		t.Errorf("stored hash after the admin login = %q, want bcrypt_sha256 at cost 4", got.Password)
	}
}
