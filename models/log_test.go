package models_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"studentapi/internal/testdb"
	"studentapi/models"
)

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// maxLogLine is the longest line the query log may write, whatever the
// statement: a cut statement, its error and GORM's prefix.
const maxLogLine = 1024

// terms are n distinct search terms that name themselves, so that a value
// in the log would show.
func terms(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("zz-term-%d", i)
	}
	return out
}

// No line of the query log grows with the statement, and none holds a value
// (issue 13, item 6): a search of 20,000 terms once failed with its 1.5 MB
// statement written on one line.
func TestLogLinesAreBounded(t *testing.T) {
	huge := terms(40000) // 80,000 parameters: more than either backend takes
	tests := []struct {
		name    string
		debug   bool // log_level: debug, which logs every statement
		query   func(ctx context.Context, db *models.DB) error
		wantErr bool
	}{
		{"a hand-written statement that fails", false, func(ctx context.Context, db *models.DB) error {
			_, err := db.FindStudents(ctx, models.StudentQuery{Search: huge})
			return err
		}, true},
		// GORM takes minutes to build a statement of 40,000 conditions; one of
		// 2,000 fails as well when its context has ended.
		{"a GORM statement that fails", false, func(ctx context.Context, db *models.DB) error {
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			_, err := db.CountUsers(ctx, models.UserQuery{Search: terms(2000)})
			return err
		}, true},
		{"a long hand-written statement at debug", true, func(ctx context.Context, db *models.DB) error {
			_, err := db.FindStudents(ctx, models.StudentQuery{Search: terms(300)})
			return err
		}, false},
		{"a long GORM statement at debug", true, func(ctx context.Context, db *models.DB) error {
			_, err := db.FindUsers(ctx, models.UserQuery{Search: terms(300)})
			return err
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log syncBuffer
			db := openDBWith(t, testdb.New(t), models.Options{Keys: testKeys{secret: testSecret}, Log: &log, LogQueries: tt.debug})
			err := tt.query(t.Context(), db)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want one: %v", err, tt.wantErr)
			}
			text := log.String()
			if !strings.Contains(text, "SELECT") {
				t.Fatalf("the statement was not logged:\n%.2000s", text)
			}
			for i, line := range strings.Split(text, "\n") {
				if len(line) > maxLogLine {
					t.Errorf("line %d of the log has %d bytes, want at most %d: %.300s…", i+1, len(line), maxLogLine, line)
				}
			}
			if strings.Contains(text, "zz-term-") {
				t.Errorf("the log holds a search term:\n%.2000s", text)
			}
		})
	}
}
