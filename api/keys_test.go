package api

import (
	"testing"

	"studentapi/auth"
)

// testKeyring protects token keys in tests as the server's secret does.
func testKeyring(t *testing.T) *auth.Keyring {
	t.Helper()
	k, err := auth.NewKeyring([]byte("a test secret of at least thirty-two bytes"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
