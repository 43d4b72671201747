package logbuf

import (
	"log/slog"
	"strconv"
	"unicode/utf8"
)

// MaxValue is the most of one value a log line carries, in bytes: enough to
// tell what it was. Clients choose much of what is logged (a method, a path,
// an error quoting a statement), so without a bound a line grows with what
// they send; a search of 20,000 terms once wrote a 1.5 MB line.
const MaxValue = 300

// Cut shortens s to at most n bytes, on a character boundary, saying how long
// it was.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "… (" + strconv.Itoa(len(s)) + " bytes)"
}

// BoundAttr is a slog.HandlerOptions.ReplaceAttr that cuts every string and
// error value to MaxValue bytes, whoever logs it.
func BoundAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); len(s) > MaxValue {
			a.Value = slog.StringValue(Cut(s, MaxValue))
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			if s := err.Error(); len(s) > MaxValue {
				a.Value = slog.StringValue(Cut(s, MaxValue))
			}
		}
	}
	return a
}
