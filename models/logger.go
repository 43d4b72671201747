package models

import (
	"log"

	"studentapi/internal/logbuf"
)

// queryLog is where GORM's logger prints (its logger.Writer): every
// statement, GORM's and the hand-written ones of sql.go alike (see DB.trace),
// reaches the log through it. It cuts each text it is given, the statement
// and the error among them, to logbuf.MaxValue bytes, so that no line grows with
// the input. (Values are never there: the logger's ParameterizedQueries
// leaves them out.)
type queryLog struct{ out *log.Logger }

// Printf prints as log.Printf, each string and error argument cut. A
// statement refused for want of space is left out: fullness logs such an
// episode once (full.go), where a line a statement would fill what is left
// of the disk.
func (l queryLog) Printf(format string, args ...any) {
	for i, a := range args {
		switch v := a.(type) {
		case string:
			args[i] = logbuf.Cut(v, logbuf.MaxValue)
		case error:
			if isFullCause(v) {
				return
			}
			args[i] = logbuf.Cut(v.Error(), logbuf.MaxValue)
		}
	}
	l.out.Printf(format, args...)
}
