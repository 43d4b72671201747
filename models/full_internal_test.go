package models

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// Lack of space is told from every other failure on either backend, wrapped
// or not, and marked with ErrFull; anything else passes as it came.
func TestFullClassifier(t *testing.T) {
	tests := []struct {
		name string
		err  error
		full bool
	}{
		{"sqlite full", sqlite3.Error{Code: sqlite3.ErrFull}, true},
		{"sqlite full, wrapped", fmt.Errorf("create student: %w", sqlite3.Error{Code: sqlite3.ErrFull}), true},
		{"sqlite busy", sqlite3.Error{Code: sqlite3.ErrBusy}, false},
		{"sqlite I/O error", sqlite3.Error{Code: sqlite3.ErrIoErr}, false},
		{"postgres disk_full", &pgconn.PgError{Code: "53100"}, true},
		{"postgres disk_full, wrapped", fmt.Errorf("commit: %w", &pgconn.PgError{Code: "53100"}), true},
		{"postgres out_of_memory", &pgconn.PgError{Code: "53200"}, false},
		{"postgres too many connections", &pgconn.PgError{Code: "53300"}, false},
		{"postgres unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"other", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fullness{log: slog.New(slog.DiscardHandler), now: time.Now}
			got := f.failed(tt.err)
			if is := errors.Is(got, ErrFull); is != tt.full {
				t.Errorf("errors.Is(failed(%v), ErrFull) = %v, want %v", tt.err, is, tt.full)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("failed(%v) = %v, which no longer wraps the cause", tt.err, got)
			}
			if f.full.Load() != tt.full {
				t.Errorf("full after %v: %v, want %v", tt.err, f.full.Load(), tt.full)
			}
		})
	}
}

// An episode is one ERROR line however many writes it refuses, and one INFO
// line when a write succeeds after a quiet spell; the lines do not grow with
// what was written.
func TestFullEpisodeLog(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := fullness{log: slog.New(slog.NewTextHandler(&buf, nil)), now: func() time.Time { return now }}
	cause := &pgconn.PgError{Code: "53100", Message: "could not extend file: No space left on device"}
	for range 100 {
		f.failed(cause)
		f.committed() // a row that fit, right after a failure: no end yet
	}
	now = now.Add(fullQuiet)
	for range 100 {
		f.committed()
	}
	if got := strings.Count(buf.String(), "level=ERROR"); got != 1 {
		t.Errorf("%d ERROR lines, want 1:\n%s", got, buf.String())
	}
	if got := strings.Count(buf.String(), "level=INFO"); got != 1 {
		t.Errorf("%d INFO lines, want 1:\n%s", got, buf.String())
	}
	if got := strings.Count(buf.String(), "\n"); got != 2 {
		t.Errorf("%d lines, want 2:\n%s", got, buf.String())
	}
}
