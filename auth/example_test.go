package auth_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/gin-gonic/gin"

	"studentapi/auth"
	"studentapi/models"
)

func ExampleParseHeader() {
	key, err := auth.ParseHeader([]string{"Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"}, "Token")
	fmt.Println(key, err)

	// Another scheme is not an error: the caller is simply anonymous.
	_, err = auth.ParseHeader([]string{"Basic dXNlcjpwYXNz"}, "Token")
	fmt.Println(auth.IsAnonymous(err))

	// A malformed token header is a failure with DRF's message.
	_, err = auth.ParseHeader([]string{"Token abc def"}, "Token")
	fmt.Println(err)
	// Output:
	// 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b <nil>
	// true
	// authentication failed: Invalid token header. Token string should not contain spaces.
}

func ExampleGenerateKey() {
	key, err := auth.GenerateKey()
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	// The key is random; its shape is not.
	_, err = hex.DecodeString(key)
	fmt.Println(len(key), err == nil && key == strings.ToLower(key))
	// Output: 40 true
}

// A Keyring keeps keys out of the database: a row holds the key's digest, to
// find it by, and a sealed copy that opens only under the same secret, for the
// same row.
func ExampleNewKeyring() {
	keys, err := auth.NewKeyring([]byte("the server's secret key, 32 bytes or more"))
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	const key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
	const userID = 1
	digest := keys.Digest(key)
	sealed, err := keys.Seal(key, digest, userID)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	opened, err := keys.Open(sealed, digest, userID)
	fmt.Println(len(digest), opened == key, err)

	_, err = keys.Open(sealed, digest, userID+1) // moved to another user's row
	fmt.Println(err != nil)

	_, err = auth.NewKeyring([]byte("short"))
	fmt.Println(err)
	// Output:
	// 64 true <nil>
	// true
	// keyring: secret key must be at least 32 bytes, got 5
}

// The middleware identifies every caller; Required refuses the anonymous ones
// on the routes that need a user, leaving the answer to the router's error writer.
func ExampleRequired() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "auth-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	keys, err := auth.NewKeyring([]byte("the server's secret key, 32 bytes or more"))
	if err != nil {
		log.Fatal(err)
	}
	db, err := models.Connect(models.Source{Path: filepath.Join(dir, "db.sqlite")}, models.Options{Keys: keys})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	auth.ConnectTokenReceiver(db.Signals) // every new user gets a token
	alice := &models.User{Username: "alice", IsActive: true}
	if err := db.CreateUser(ctx, alice); err != nil {
		log.Fatal(err)
	}
	tok, err := db.TokenOf(ctx, alice.ID)
	if err != nil {
		log.Fatal(err)
	}

	a := auth.New(db, "Token", 12, auth.Options{})
	r := gin.New()
	r.Use(func(c *gin.Context) { // stands in for the router's error writer
		c.Next()
		if err := c.Errors.Last(); err != nil {
			c.String(http.StatusUnauthorized, "%v", err.Err)
		}
	})
	r.Use(a.Middleware())
	r.GET("/me", auth.Required(), func(c *gin.Context) {
		c.String(http.StatusOK, "hello, %s", auth.User(c).Username)
	})

	for _, header := range []string{"", "Token " + tok.Key} {
		req := httptest.NewRequest(http.MethodGet, "/me", nil)
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Body)
	}
	// Output:
	// 401 authentication failed: Authentication credentials were not provided.
	// 200 hello, alice
}
