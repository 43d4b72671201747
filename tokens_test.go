package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"studentapi/auth"
)

// secretFile is where the commands keep the generated secret key of c's database.
func (c *testCLI) secretFile() string {
	return c.env["STUDENTAPI_DATABASE_PATH"] + secretFileSuffix
}

func TestSecretFileCreatedOnceAndReused(t *testing.T) {
	c := newSQLiteCLI(t)
	if _, err := os.Stat(c.secretFile()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("secret file before any command: %v, want none", err)
	}
	c.mustRun(t, "", "migrate")
	info, err := os.Stat(c.secretFile())
	if err != nil {
		t.Fatalf("secret file after migrate: %v", err)
	}
	if runtime.GOOS != "windows" {
		if got := info.Mode().Perm(); got != 0o600 {
			t.Errorf("secret file mode = %04o, want 0600", got)
		}
	}
	first, err := os.ReadFile(c.secretFile())
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}\n$`).Match(first) {
		t.Errorf("secret file holds %q, want 64 hex digits and a newline", first)
	}

	c.createUser(t, "createuser", "alice", "pw")
	key := createToken(t, c, "alice")
	if again := createToken(t, c, "alice"); again != key {
		t.Errorf("drf_create_token in a later run = %s, want %s: the secret was not reused", again, key)
	}
	if after, err := os.ReadFile(c.secretFile()); err != nil || string(after) != string(first) {
		t.Errorf("secret file after more commands = %q, %v; want it unchanged", after, err)
	}
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".secret-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}

	// The file's contents work as auth.secret_key, so the same tokens go on working.
	c.env["STUDENTAPI_AUTH_SECRET_KEY"] = strings.TrimSpace(string(first))
	if got := createToken(t, c, "alice"); got != key {
		t.Errorf("drf_create_token with the file's secret configured = %s, want %s", got, key)
	}
}

func TestSecretFileProblems(t *testing.T) {
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		wantMsg string
	}{
		{"readable by others", strings.Repeat("ab", 32), 0o644, "readable by others (mode 0644); run chmod 600"},
		{"too short", "abc\n", 0o600, "holds 3 bytes, want at least 32; delete it"},
		{"one character repeated", strings.Repeat("a", 64) + "\n", 0o600, "its secret is one character repeated; delete it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.mode&0o077 != 0 && runtime.GOOS == "windows" {
				t.Skip("no Unix permissions")
			}
			c := newSQLiteCLI(t)
			if err := os.WriteFile(c.secretFile(), []byte(tt.content), tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(c.secretFile(), tt.mode); err != nil { // whatever the umask
				t.Fatal(err)
			}
			_, _, err := c.run(t, "", "migrate")
			checkExit(t, err, 1, tt.wantMsg)
			if !strings.Contains(err.Error(), c.secretFile()) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestConfiguredSecretNeedsNoFile(t *testing.T) {
	c := newSQLiteCLI(t)
	c.env["STUDENTAPI_AUTH_SECRET_KEY"] = "a configured secret of 32 bytes or more"
	c.createUser(t, "createuser", "alice", "pw")
	createToken(t, c, "alice")
	if _, err := os.Stat(c.secretFile()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("secret file with auth.secret_key set: %v, want none", err)
	}

	// Not even in production, where the file is never a fallback.
	c.env["STUDENTAPI_PRODUCTION"] = "true"
	c.env["STUDENTAPI_HTTP_ALLOWED_HOSTS"] = "api.example.com"
	createToken(t, c, "alice")
	delete(c.env, "STUDENTAPI_AUTH_SECRET_KEY")
	_, _, err := c.run(t, "", "drf_create_token", "alice")
	checkExit(t, err, 1, "auth.secret_key: must be set in production")
	if _, err := os.Stat(c.secretFile()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("secret file in production: %v, want none", err)
	}
}

func TestSecretKeyNeverEchoed(t *testing.T) {
	const secret = "hunter2-secret"
	_, err := LoadConfig(filepath.Join(t.TempDir(), "none.yaml"), false, configTestEnv(map[string]string{"STUDENTAPI_AUTH_SECRET_KEY": secret}))
	if err == nil {
		t.Fatal("LoadConfig accepted a 14-byte secret")
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("LoadConfig error %q repeats the secret", err)
	}
}

func TestCreateTokenAfterSecretChange(t *testing.T) {
	for _, change := range []struct {
		name string
		do   func(t *testing.T, c *testCLI)
	}{
		{"configured secret", func(t *testing.T, c *testCLI) {
			c.env["STUDENTAPI_AUTH_SECRET_KEY"] = "a new secret key of 32 bytes or more"
		}},
		{"secret file lost", func(t *testing.T, c *testCLI) {
			if err := os.Remove(c.secretFile()); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(change.name, func(t *testing.T) {
			c := newSQLiteCLI(t)
			c.createUser(t, "createuser", "alice", "pw")
			old := createToken(t, c, "alice")

			change.do(t, c)
			key := createToken(t, c, "alice") // fails the test if the command fails
			if key == old {
				t.Fatalf("drf_create_token under a new secret printed the old key %s", old)
			}
			if again := createToken(t, c, "alice"); again != key {
				t.Errorf("second drf_create_token = %s, want %s", again, key)
			}
			db := c.openDB(t)
			a := auth.New(db, "Token", 4, auth.Options{})
			if _, err := a.Authenticate(context.Background(), []string{"Token " + old}); !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("Authenticate(old key) = %v, want %v", err, auth.ErrInvalidToken)
			}
			if tok, err := a.Authenticate(context.Background(), []string{"Token " + key}); err != nil || tok.User.Username != "alice" {
				t.Errorf("Authenticate(new key) = %v, %v; want alice", tok, err)
			}
		})
	}
}

func TestServeReportsSecretFile(t *testing.T) {
	c := newSQLiteCLI(t)
	s := startServer(t, c)
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	generated := regexp.MustCompile(`level=WARN msg="generated a secret key[^"]*" file=` + regexp.QuoteMeta(c.secretFile()) + `\n`)
	if got := s.stderr.String(); len(generated.FindAllString(got, -1)) != 1 {
		t.Errorf("serve's stderr does not say once that it generated %s:\n%s", c.secretFile(), got)
	}

	s = startServer(t, c)
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	using := regexp.MustCompile(`level=WARN msg="using the secret key[^"]*" file=` + regexp.QuoteMeta(c.secretFile()) + `\n`)
	if got := s.stderr.String(); len(using.FindAllString(got, -1)) != 1 || strings.Contains(got, "generated") {
		t.Errorf("serve's stderr does not say once that it uses %s:\n%s", c.secretFile(), got)
	}

	c.env["STUDENTAPI_AUTH_SECRET_KEY"] = "a configured secret of 32 bytes or more"
	s = startServer(t, c)
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if got := s.stderr.String(); strings.Contains(got, "secret key") {
		t.Errorf("serve with auth.secret_key set talks of a secret file:\n%s", got)
	}
}

// A command that generates the secret file says so, in serve's line, on
// stderr: tokens made from then on (loaddata's too) need the file, so it must
// not appear unannounced. A command that only reads it says nothing.
func TestCommandsReportGeneratedSecretFile(t *testing.T) {
	for _, args := range [][]string{
		{"migrate"},
		{"createuser", "--noinput", "--username", "alice"}, // opens the database its own way
	} {
		t.Run(args[0], func(t *testing.T) {
			c := newSQLiteCLI(t)
			c.env[passwordEnv] = "pw"
			_, stderr, err := c.run(t, "", args...)
			if err != nil {
				t.Fatalf("%s: %v", args[0], err)
			}
			generated := regexp.MustCompile(`^time=\S+ level=WARN msg="generated a secret key[^"]*" file=` + regexp.QuoteMeta(c.secretFile()) + `\n$`)
			if !generated.MatchString(stderr) {
				t.Errorf("%s's stderr = %q, want the one line saying it generated %s", args[0], stderr, c.secretFile())
			}
			if _, stderr, err := c.run(t, "", "migrate"); err != nil || stderr != "" {
				t.Errorf("migrate with the file there: stderr %q, error %v; want nothing", stderr, err)
			}
		})
	}
}

// TestServeTokenTTL runs the server with a TTL so short that every token has
// expired by its first use: the expired key is refused with DRF's 401, and
// each login issues a new one.
func TestServeTokenTTL(t *testing.T) {
	c := newTestCLI(t)
	c.env["STUDENTAPI_AUTH_TOKEN_TTL"] = "1ns"
	c.createUser(t, "createuser", "alice", "pw")
	s := startServer(t, c)
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	first := getToken(t, client, s.url, "alice", "pw")
	resp, body := do(t, client, http.MethodGet, s.url+"/studentapi/", "", http.Header{"Authorization": {"Token " + first}})
	checkStatus(t, resp, body, http.StatusUnauthorized)
	if want := `{"detail":"Invalid token."}`; body != want {
		t.Errorf("expired key: body = %s, want %s", body, want)
	}
	if got := resp.Header.Get("WWW-Authenticate"); got != "Token" {
		t.Errorf("expired key: WWW-Authenticate = %q, want Token", got)
	}
	if second := getToken(t, client, s.url, "alice", "pw"); second == first {
		t.Errorf("login after expiry gave the expired key %s again", first)
	}
	if a, b := createToken(t, c, "alice"), createToken(t, c, "alice"); a == b {
		t.Errorf("drf_create_token printed the expired key %s again", a)
	}
}
