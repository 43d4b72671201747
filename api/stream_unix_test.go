//go:build unix

package api

import "syscall"

// smallReceiveBuffer sets a socket's receive buffer to a few KiB before it
// connects, so that the window the server may fill stays small.
func smallReceiveBuffer(_, _ string, c syscall.RawConn) error {
	var err error
	if cerr := c.Control(func(fd uintptr) {
		err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
	}); cerr != nil {
		return cerr
	}
	return err
}
