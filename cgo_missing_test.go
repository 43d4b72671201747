package main_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The SQLite driver is cgo. A build without cgo (CGO_ENABLED=0, or no C compiler,
// which makes the go command turn cgo off by itself) must fail with a first error
// that says so, not with the driver's "undefined: sqlite3.Error" (models/cgo_missing.go).
func TestBuildWithoutCgoSaysWhatToDo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the program without cgo; skipped with -short")
	}
	cmd := exec.Command("go", "build", "-o", os.DevNull, ".")
	// GOFLAGS cleared: a -race there would fail first, for another reason.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("CGO_ENABLED=0 go build succeeded; want it to fail (the SQLite driver needs cgo)\n%s", out)
	}
	if _, ok := err.(*exec.ExitError); !ok {
		t.Fatalf("go build: %v", err)
	}
	// The first line is the package header ("# studentapi/models"); the next is
	// the first error, the one a reader sees.
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	const want = "undefined: SQLite_needs_cgo__install_gcc_and_build_with_CGO_ENABLED_1"
	if len(lines) < 2 || !strings.HasSuffix(lines[1], want) {
		t.Errorf("CGO_ENABLED=0 go build: first error is not the cgo message\ngot:\n%s\nwant line 2 ending in %q", out, want)
	}
}
