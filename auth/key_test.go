package auth_test

import (
	"testing"

	"studentapi/auth"
)

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func TestGenerateKey(t *testing.T) {
	const n = 1000
	seen := make(map[string]bool, n)
	for range n {
		key, err := auth.GenerateKey()
		if err != nil {
			t.Fatalf("GenerateKey: %v", err)
		}
		if len(key) != 40 || !isLowerHex(key) {
			t.Fatalf("GenerateKey = %q, want 40 lower-case hex digits", key)
		}
		if seen[key] {
			t.Fatalf("GenerateKey repeated %q", key)
		}
		seen[key] = true
	}
}
