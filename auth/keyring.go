package auth

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"
)

// MinSecretLen is the shortest secret NewKeyring accepts, in bytes.
const MinSecretLen = 32

// ErrShortSecret is returned by NewKeyring for a secret under MinSecretLen bytes.
var ErrShortSecret = fmt.Errorf("secret key must be at least %d bytes", MinSecretLen)

// The HKDF info strings: each names what its subkey is for, so the two subkeys
// are independent although they come from one secret. Changing one changes
// every digest or seal, as changing the secret does.
const (
	digestInfo = "studentapi token digest v1"
	sealInfo   = "studentapi token seal v1"
	tagInfo    = "studentapi token user tag v1"
)

// Keyring protects token keys at rest under the server's secret key; it is the
// models.KeyProtector the service runs with. Digests are HMAC-SHA256 under one
// subkey, so someone who can read (or write) the database but lacks the secret
// can neither recover a key nor make one that matches a row. Sealed copies are
// XChaCha20-Poly1305 under another subkey, with a random 24-byte nonce in front
// and the row's digest and user as associated data, so a sealed copy opens only
// in the row it was made for. Tags are HMAC-SHA256 under a third subkey over a
// row's digest and user, checked on every lookup by key, so a row moved to
// another user matches no key. A Keyring is safe for concurrent use.
type Keyring struct {
	mac  []byte
	aead cipher.AEAD
	// macs holds HMAC states keyed with mac, each used by one Digest at a
	// time and reset before it goes back: every authenticated request makes a
	// digest, and a new HMAC allocates two hash states to key.
	macs sync.Pool
	// taggers holds *tagger for Tag, for the same reason.
	taggers sync.Pool
}

// tagger is an HMAC state keyed for tags, with room for its input and its
// sum, so that a Tag, made on every authenticated request, allocates nothing.
type tagger struct {
	mac hash.Hash
	in  []byte
	sum []byte
}

// NewKeyring derives a Keyring from secret, which must be at least
// MinSecretLen bytes (e.g. 32 random bytes, or 64 hex digits of them).
func NewKeyring(secret []byte) (*Keyring, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("keyring: %w, got %d", ErrShortSecret, len(secret))
	}
	mac, err := deriveKey(secret, digestInfo, 32)
	if err != nil {
		return nil, err
	}
	sealKey, err := deriveKey(secret, sealInfo, chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(sealKey)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	tagKey, err := deriveKey(secret, tagInfo, 32)
	if err != nil {
		return nil, err
	}
	k := &Keyring{mac: mac, aead: aead}
	k.macs.New = func() any { return hmac.New(sha256.New, k.mac) }
	k.taggers.New = func() any {
		return &tagger{mac: hmac.New(sha256.New, tagKey), in: make([]byte, 0, 2*sha256.Size+8), sum: make([]byte, 0, sha256.Size)}
	}
	return k, nil
}

func deriveKey(secret []byte, info string, n int) ([]byte, error) {
	out := make([]byte, n)
	if _, err := io.ReadFull(hkdf.New(sha256.New, secret, nil, []byte(info)), out); err != nil {
		return nil, fmt.Errorf("keyring: derive %q: %w", info, err)
	}
	return out, nil
}

// Digest returns the lower-case hex HMAC-SHA256 of key: what a token row is
// stored and looked up under.
func (k *Keyring) Digest(key string) string {
	m := k.macs.Get().(hash.Hash)
	m.Reset()
	io.WriteString(m, key)
	var sum [sha256.Size]byte
	digest := hex.EncodeToString(m.Sum(sum[:0]))
	k.macs.Put(m)
	return digest
}

// Tag returns the HMAC-SHA256, under the tag subkey, of digest followed by
// userID as 8 big-endian bytes: what binds a token row to its user. (The
// user id is always the last 8 bytes, so no two pairs share an input.)
func (k *Keyring) Tag(digest string, userID int64) [sha256.Size]byte {
	t := k.taggers.Get().(*tagger)
	t.mac.Reset()
	t.in = binary.BigEndian.AppendUint64(append(t.in[:0], digest...), uint64(userID))
	t.mac.Write(t.in)
	t.sum = t.mac.Sum(t.sum[:0])
	var tag [sha256.Size]byte
	copy(tag[:], t.sum)
	k.taggers.Put(t)
	return tag
}

// associatedData binds a sealed copy to its row.
func associatedData(digest string, userID int64) []byte {
	ad := make([]byte, 0, len(digest)+8)
	ad = append(ad, digest...)
	return binary.BigEndian.AppendUint64(ad, uint64(userID))
}

// Seal encrypts key for the row of userID whose digest is digest.
func (k *Keyring) Seal(key, digest string, userID int64) ([]byte, error) {
	n := k.aead.NonceSize()
	nonce := make([]byte, n, n+len(key)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	return k.aead.Seal(nonce, nonce, []byte(key), associatedData(digest, userID)), nil
}

// errSealTooShort is a sealed copy that cannot even hold a nonce and a tag.
var errSealTooShort = errors.New("sealed key too short")

// Open decrypts a sealed copy made by Seal for the same row under the same
// secret, and fails for anything else.
func (k *Keyring) Open(sealed []byte, digest string, userID int64) (string, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n+k.aead.Overhead() {
		return "", errSealTooShort
	}
	key, err := k.aead.Open(nil, sealed[:n], sealed[n:], associatedData(digest, userID))
	if err != nil {
		return "", fmt.Errorf("open sealed key: %w", err)
	}
	return string(key), nil
}

// More HKDF info strings, for the secret's uses beside token storage (see
// digestInfo and sealInfo): each subkey is independent of the others.
const (
	throttleInfo = "studentapi throttle digest v1"
	deviceInfo   = "studentapi admin device cookie v1"
)

// ThrottleKey derives from secret the key the throttle makes its digests of
// usernames and client addresses under (package throttle), so that the
// throttle's store names no one to whoever lacks the secret, and every
// instance with the secret counts under the same digests.
func ThrottleKey(secret []byte) ([]byte, error) { return subkey(secret, throttleInfo) }

// DeviceCookieKey derives from secret the key that signs the admin site's
// device cookies.
func DeviceCookieKey(secret []byte) ([]byte, error) { return subkey(secret, deviceInfo) }

func subkey(secret []byte, info string) ([]byte, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("keyring: %w, got %d", ErrShortSecret, len(secret))
	}
	return deriveKey(secret, info, 32)
}
