package models

import (
	"log"
	"strconv"
	"unicode/utf8"
)

// maxLogged is the most of one statement or error message the query log
// writes, in bytes: enough to tell which statement it was. A search of 20,000
// terms once wrote its 1.5 MB statement on one line.
const maxLogged = 300

// queryLog is where GORM's logger prints (its logger.Writer): every
// statement, GORM's and the hand-written ones of sql.go alike (see DB.trace),
// reaches the log through it. It cuts each text it is given, the statement
// and the error among them, to maxLogged bytes, so that no line grows with
// the input. (Values are never there: the logger's ParameterizedQueries
// leaves them out.)
type queryLog struct{ out *log.Logger }

// Printf prints as log.Printf, each string and error argument cut.
func (l queryLog) Printf(format string, args ...any) {
	for i, a := range args {
		switch v := a.(type) {
		case string:
			args[i] = cut(v, maxLogged)
		case error:
			args[i] = cut(v.Error(), maxLogged)
		}
	}
	l.out.Printf(format, args...)
}

// cut shortens s to at most n bytes, on a character boundary, saying how long
// it was.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "… (" + strconv.Itoa(len(s)) + " bytes)"
}
