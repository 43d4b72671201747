package models

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// KeyProtector keeps token keys out of the database. Rows hold only a digest to
// look a key up by and a sealed copy to hand the key back from; neither is of
// use without the secret behind the protector. auth.Keyring implements it from
// the server's secret key; this package only consumes it.
type KeyProtector interface {
	// Digest returns the value a key is stored and looked up under: a keyed
	// hash, the same for the same key and secret, never the key itself.
	Digest(key string) string
	// Seal encrypts key for the token row of userID whose digest is digest,
	// binding the result to both so that it cannot be moved to another row.
	Seal(key, digest string, userID int64) ([]byte, error)
	// Open reverses Seal; it fails for another secret, digest or user.
	Open(sealed []byte, digest string, userID int64) (string, error)
}

// ephemeralKeys is the KeyProtector of a handle opened without Options.Keys:
// HMAC-SHA256 digests and XChaCha20-Poly1305 seals under random keys that die
// with the handle. It keeps the database free of usable keys even then.
type ephemeralKeys struct {
	mac  []byte
	aead cipher.AEAD
}

func newEphemeralKeys() (*ephemeralKeys, error) {
	mac := make([]byte, 32)
	seal := make([]byte, chacha20poly1305.KeySize)
	if _, err := rand.Read(mac); err != nil {
		return nil, fmt.Errorf("ephemeral token keys: %w", err)
	}
	if _, err := rand.Read(seal); err != nil {
		return nil, fmt.Errorf("ephemeral token keys: %w", err)
	}
	aead, err := chacha20poly1305.NewX(seal)
	if err != nil {
		return nil, fmt.Errorf("ephemeral token keys: %w", err)
	}
	return &ephemeralKeys{mac: mac, aead: aead}, nil
}

func (k *ephemeralKeys) Digest(key string) string {
	m := hmac.New(sha256.New, k.mac)
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil))
}

func ephemeralAD(digest string, userID int64) []byte {
	return binary.BigEndian.AppendUint64([]byte(digest), uint64(userID))
}

func (k *ephemeralKeys) Seal(key, digest string, userID int64) ([]byte, error) {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(key)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return k.aead.Seal(nonce, nonce, []byte(key), ephemeralAD(digest, userID)), nil
}

func (k *ephemeralKeys) Open(sealed []byte, digest string, userID int64) (string, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n+k.aead.Overhead() {
		return "", errors.New("sealed key too short")
	}
	key, err := k.aead.Open(nil, sealed[:n], sealed[n:], ephemeralAD(digest, userID))
	if err != nil {
		return "", fmt.Errorf("open sealed key: %w", err)
	}
	return string(key), nil
}
