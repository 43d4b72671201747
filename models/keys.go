package models

// KeyProtector keeps token keys out of the database. Rows hold only a digest to
// look a key up by, a sealed copy to hand the key back from, and a tag that
// binds the row to its user; none is of use, or can be made, without the
// secret behind the protector. auth.Keyring implements it from the server's
// secret key; this package only consumes it.
type KeyProtector interface {
	// Digest returns the value a key is stored and looked up under: a keyed
	// hash, the same for the same key and secret, never the key itself.
	Digest(key string) string
	// Seal encrypts key for the token row of userID whose digest is digest,
	// binding the result to both so that it cannot be moved to another row.
	Seal(key, digest string, userID int64) ([]byte, error)
	// Open reverses Seal; it fails for another secret, digest or user.
	Open(sealed []byte, digest string, userID int64) (string, error)
	// Tag is a keyed MAC (the size of HMAC-SHA256) over a token row's digest
	// and user, stored in the row and compared on every lookup by key, so
	// that a row moved to another user matches no key. An array, not a
	// slice: checking it on every authenticated request allocates nothing.
	Tag(digest string, userID int64) [32]byte
}
