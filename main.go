// Command studentapi serves a Student API behind DRF-style token authentication,
// and manages its users and tokens from the command line.
//
// Usage: studentapi [command] [flags]; with no command it serves. Run
// "studentapi --help" (or "help") for the list of commands, and
// "studentapi help <command>" for one command's flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Environ, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode prints err as the one line a failed command leaves, and picks the
// exit status: 0 for success and for --help, 2 for usage errors, 1 otherwise.
// A usage error's line names the help command that shows the usage, rather
// than print it: the problem stays the line to read.
func exitCode(err error, stderr io.Writer) int {
	var usage *usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.As(err, &usage) && usage.help != "":
		fmt.Fprintf(stderr, "studentapi: %v; run '%s'\n", err, usage.help)
		return 2
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "studentapi: %v\n", err)
		return 2
	default:
		fmt.Fprintf(stderr, "studentapi: %v\n", err)
		return 1
	}
}
