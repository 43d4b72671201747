package auth_test

import (
	"path/filepath"
	"testing"

	"studentapi/auth"
	"studentapi/models"
)

// BenchmarkAuthenticate is the work of every authenticated request before its
// view: parse the Authorization header, look the token up by its digest (one
// query, joined with its user), check expiry and activity.
func BenchmarkAuthenticate(b *testing.B) {
	keys, err := auth.NewKeyring([]byte(testSecret))
	if err != nil {
		b.Fatal(err)
	}
	db, err := models.Connect(models.Source{Path: filepath.Join(b.TempDir(), "db.sqlite")}, models.Options{Keys: keys})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(b.Context()); err != nil {
		b.Fatal(err)
	}
	u := &models.User{Username: "bench", IsActive: true}
	if err := db.CreateUser(b.Context(), u); err != nil {
		b.Fatal(err)
	}
	a := auth.New(db, "Token", 4, auth.Options{})
	tok, err := a.TokenFor(b.Context(), u)
	if err != nil {
		b.Fatal(err)
	}
	header := []string{"Token " + tok.Key}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(b.Context(), header); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseHeader is the header parsing alone.
func BenchmarkParseHeader(b *testing.B) {
	header := []string{"Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := auth.ParseHeader(header, "Token"); err != nil {
			b.Fatal(err)
		}
	}
}
