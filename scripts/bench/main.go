// Command bench holds the helpers of scripts/bench.sh:
//
//	bench ceiling -addr ADDR -dir DIR   serve the recorded answers from memory
//	bench startup BINARY ARGS...        time from exec to the first answer
//	bench bcrypt -cost N -d 5s          raw bcrypt compare rate on every core
//
// The ceiling is what a bare net/http server does with the same bytes: no
// routing framework, no database, no authentication. The service's rates are
// reported as fractions of it.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bench ceiling|startup|bcrypt ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "ceiling":
		err = ceiling(os.Args[2:])
	case "startup":
		err = startup(os.Args[2:])
	case "bcrypt":
		err = bcryptRate(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// answer is one recorded response.
type answer struct {
	status int
	body   []byte
	header http.Header
}

// ceiling serves, from memory, the answers bench.sh recorded from the real
// service: DIR/NAME.headers (status line and headers, as curl -D writes them)
// and DIR/NAME.body, for NAME one of detail, list, anon, create, token. Every
// recorded header is sent again except Date, which net/http writes itself, so
// both servers put the same bytes on the wire.
func ceiling(args []string) error {
	fs := flag.NewFlagSet("ceiling", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	dir := fs.String("dir", ".", "directory of recorded answers")
	fs.Parse(args)
	answers := map[string]answer{}
	for _, name := range []string{"detail", "list", "anon", "create", "token"} {
		body, err := os.ReadFile(filepath.Join(*dir, name+".body"))
		if err != nil {
			return err
		}
		head, err := os.ReadFile(filepath.Join(*dir, name+".headers"))
		if err != nil {
			return err
		}
		a, err := parseHead(head)
		if err != nil {
			return fmt.Errorf("%s.headers: %w", name, err)
		}
		a.body = body
		answers[name] = a
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var name string
		switch {
		case r.URL.Path == "/gettoken/":
			name = "token"
		case r.Header.Get("Authorization") == "":
			name = "anon"
		case r.Method == http.MethodPost:
			name = "create"
		case r.URL.Path == "/studentapi/":
			name = "list"
		default:
			name = "detail"
		}
		a := answers[name]
		for k, v := range a.header {
			w.Header()[k] = v
		}
		w.WriteHeader(a.status)
		w.Write(a.body)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Printf("Serving on http://%s/\n", ln.Addr())
	return http.Serve(ln, handler)
}

// parseHead reads a status line and headers as curl -D records them.
func parseHead(head []byte) (answer, error) {
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(head)), nil)
	if err != nil {
		return answer{}, err
	}
	// Only the head was recorded; the body is in its own file, and its
	// recorded Content-Length is kept: without it net/http would send a body
	// over 2 KB (the list) chunked, which the service does not.
	resp.Body.Close()
	resp.Header.Del("Date")
	return answer{status: resp.StatusCode, header: resp.Header}, nil
}

// startup runs the command (which must listen on STARTUP_ADDR) and prints the
// milliseconds from exec to its first HTTP answer on GET /, then stops it.
func startup(args []string) error {
	addr := os.Getenv("STARTUP_ADDR")
	if len(args) == 0 || addr == "" {
		return fmt.Errorf("usage: STARTUP_ADDR=host:port bench startup BINARY ARGS...")
	}
	cmd := exec.Command(args[0], args[1:]...)
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	for time.Since(start) < 10*time.Second {
		resp, err := client.Get("http://" + addr + "/")
		if err == nil {
			resp.Body.Close()
			fmt.Printf("%.1f\n", float64(time.Since(start).Microseconds())/1000)
			return nil
		}
		time.Sleep(200 * time.Microsecond)
	}
	return fmt.Errorf("no answer on %s within 10s", addr)
}

// bcryptRate compares a password against a hash of the given cost on every
// core for the duration and prints the rate per second: the ceiling of
// POST /gettoken/, whose work is this comparison.
func bcryptRate(args []string) error {
	fs := flag.NewFlagSet("bcrypt", flag.ExitOnError)
	cost := fs.Int("cost", 12, "bcrypt cost")
	d := fs.Duration("d", 5*time.Second, "duration")
	fs.Parse(args)
	sum := sha256.Sum256([]byte("bench-pass"))
	pw := []byte(hex.EncodeToString(sum[:]))
	hash, err := bcrypt.GenerateFromPassword(pw, *cost)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *d)
	defer cancel()
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for ctx.Err() == nil {
				if err := bcrypt.CompareHashAndPassword(hash, pw); err == nil {
					n.Add(1)
				}
			}
		})
	}
	wg.Wait()
	fmt.Printf("%.2f\n", float64(n.Load())/time.Since(start).Seconds())
	return nil
}
