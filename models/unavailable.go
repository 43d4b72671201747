package models

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// IsUnavailable reports whether err means the database cannot answer right now
// (its server is down, restarting, unreachable or out of connections; a SQLite
// file stayed locked past the busy timeout; a statement ran past the query
// timeout, see IsTimeout) rather than that the request was wrong or the
// service is broken. Such a request may succeed when retried: the API answers
// it with 503 and Retry-After, and the pool reconnects by itself once the
// server is back.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if IsTimeout(err) {
		return true
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var connect *pgconn.ConnectError
	if errors.As(err, &connect) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"): // connection exception
			return true
		case pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03": // shutting down, crashed, starting up
			return true
		case pgErr.Code == "53300": // too many connections
			return true
		}
		return false
	}
	var liteErr sqlite3.Error
	if errors.As(err, &liteErr) {
		return liteErr.Code == sqlite3.ErrBusy || liteErr.Code == sqlite3.ErrLocked
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	// pgx's errors from before a query reached the server (a connection found
	// closed, say).
	return pgconn.SafeToRetry(err)
}

// IsTimeout reports whether err is a statement cut off by Options.QueryTimeout:
// by this package on SQLite, by the server's statement_timeout on PostgreSQL
// (query_canceled, which a cancel request from an administrator also gives).
func IsTimeout(err error) bool {
	if errors.Is(err, ErrQueryTimeout) {
		return true
	}
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "57014"
}
