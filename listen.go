package main

import (
	"fmt"
	"log/slog"
	"math"
	"net"

	"studentapi/internal/connlimit"
)

// listen opens the server's socket with at most http.max_connections client
// connections at once (package connlimit): at the cap, the connection idle
// longest is closed to make room for a new client. Clients holding thousands
// of idle keep-alive connections once used up the process's open files, and
// every new client timed out ("too many open files").
func listen(cfg Config, log *slog.Logger) (*connlimit.Listener, error) {
	files, err := raiseFileLimit()
	if err != nil {
		log.Warn("open file limit not raised", "soft", files.soft, "hard", files.hard, "err", err)
	}
	max := cfg.HTTP.MaxConnections
	if max == 0 {
		max = defaultMaxConnections(files.soft, cfg.Database.Pool.MaxOpen)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	log.Info("connection limit", "max_connections", max, "open_files_soft", files.soft, "open_files_hard", files.hard)
	return connlimit.New(ln, max), nil
}

// fileLimit is the process's limit on open files (RLIMIT_NOFILE); zero where
// the system has none to report.
type fileLimit struct{ soft, hard uint64 }

// fileReserve is what of the open-file limit is kept for other than client
// connections: the database (a pooled SQLite connection holds the file, its
// write-ahead log and its shared memory, and the writer of group commits has
// one more connection; a PostgreSQL one is a socket), the log, and the files
// read now and then (certificates, the secret).
func fileReserve(poolMaxOpen int) int { return 3*(poolMaxOpen+1) + 64 }

// fallbackMaxConnections is http.max_connections where the system reports no
// open-file limit.
const fallbackMaxConnections = 10000

// defaultMaxConnections is http.max_connections when it is 0: the soft limit
// on open files less fileReserve, and never under half the limit.
func defaultMaxConnections(soft uint64, poolMaxOpen int) int {
	if soft == 0 {
		return fallbackMaxConnections
	}
	limit := int(min(soft, math.MaxInt32)) // an unlimited soft limit is RLIM_INFINITY
	return max(limit-fileReserve(poolMaxOpen), limit/2, 1)
}
