//go:build !cgo

package models

// The SQLite driver (github.com/mattn/go-sqlite3) is C, built with cgo. Without cgo
// (no C compiler, or CGO_ENABLED=0) the build would fail with "undefined:
// sqlite3.Error", naming neither; this file, compiled only then, makes the first
// error say what to do instead. The identifier is undefined on purpose: its name is
// the message. The README's first section says the same.
var _ = SQLite_needs_cgo__install_gcc_and_build_with_CGO_ENABLED_1
