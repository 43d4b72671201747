package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"

	"studentapi/auth"
	"studentapi/internal/logbuf"
)

// secretFileSuffix names the file, beside the database, that keeps the secret
// key generated for development when auth.secret_key is not set.
const secretFileSuffix = ".secret"

// secretKey is the server's secret key and where it came from.
type secretKey struct {
	value   []byte
	file    string // the file it was read from or generated into; "" when configured
	created bool   // the file was generated just now
}

// loadSecretKey returns auth.secret_key when it is set (Validate has checked
// its length). Otherwise, outside production, it reads <database.path>.secret,
// generating it first if it does not exist: 32 random bytes as 64 hex digits,
// mode 0600. The file's contents work as auth.secret_key too, so a development
// database can move to a configured secret without losing its tokens.
func loadSecretKey(cfg Config) (secretKey, error) {
	if cfg.Auth.SecretKey != "" {
		return secretKey{value: []byte(cfg.Auth.SecretKey)}, nil
	}
	if cfg.Production {
		return secretKey{}, errors.New("auth.secret_key: must be set in production; set STUDENTAPI_AUTH_SECRET_KEY")
	}
	path := cfg.Database.Path + secretFileSuffix
	value, err := readSecretFile(path)
	if err == nil {
		return secretKey{value: value, file: path}, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return secretKey{}, err
	}
	value, err = createSecretFile(path)
	if errors.Is(err, fs.ErrExist) {
		// Another command generated it first; both must use the same one.
		value, err = readSecretFile(path)
		return secretKey{value: value, file: path}, err
	}
	if err != nil {
		return secretKey{}, err
	}
	return secretKey{value: value, file: path, created: true}, nil
}

// readSecretFile reads a secret file, refusing one that others may read.
func readSecretFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("secret key file %s: readable by others (mode %04o); run chmod 600 %s", path, perm, path)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	value := bytes.TrimSpace(data)
	if len(value) < auth.MinSecretLen {
		return nil, fmt.Errorf("secret key file %s: holds %d bytes, want at least %d; delete it to generate a new one (every token is then reissued at its user's next login)",
			path, len(value), auth.MinSecretLen)
	}
	if weak := weakSecretKey(value); weak != "" {
		return nil, fmt.Errorf("secret key file %s: its secret %s; delete it to generate a new one (every token is then reissued at its user's next login)",
			path, weak)
	}
	return value, nil
}

// createSecretFile writes a new random secret to path, failing with an error
// wrapping fs.ErrExist if the file exists. The secret is written to a
// temporary file first and linked into place, so that nobody ever reads a
// half-written one.
func createSecretFile(path string) ([]byte, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generate secret key: %w", err)
	}
	value := []byte(hex.EncodeToString(raw))

	tmp, err := os.CreateTemp(filepath.Dir(path), ".secret-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("generate secret key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(append(value, '\n'))
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return nil, fmt.Errorf("generate secret key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("generate secret key file: %w (or set auth.secret_key)", err)
	}
	return value, nil
}

// report says, in one log line, which file the secret came from; nothing when
// it was configured.
func (s secretKey) report(log *slog.Logger) {
	switch {
	case s.file == "":
	case s.created:
		log.Warn("generated a secret key for tokens; keep the file with the database, and set auth.secret_key in production",
			"file", s.file)
	default:
		log.Warn("using the secret key for tokens from its file; set auth.secret_key in production",
			"file", s.file)
	}
}

// reportCreated is report for a command other than serve, on its stderr: a
// command that generated the file says so in serve's line, since every
// token made from then on needs that file (loaddata's imported keys too),
// and a file generated unannounced is one nobody knows to keep. A file it
// only read is no news, and a configured secret none.
func (s secretKey) reportCreated(stderr io.Writer, logLevel string) {
	if !s.created {
		return
	}
	s.report(newLogger(logbuf.New(stderr, 0, 0), logLevel))
}
