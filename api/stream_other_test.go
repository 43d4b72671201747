//go:build !unix

package api

import "syscall"

// smallReceiveBuffer leaves the buffer as it is where it cannot be set the
// same way; the list the test reads is longer than the sockets hold anyway.
var smallReceiveBuffer func(network, address string, c syscall.RawConn) error
