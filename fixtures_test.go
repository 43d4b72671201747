package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"studentapi/models"
)

const (
	cliKeyAlice = "0123456789abcdef0123456789abcdef01234567"
	cliKeyBob   = "89abcdef0123456789abcdef0123456789abcdef"
)

// cliFixture is what `manage.py dumpdata auth.user authtoken.token
// api.student sessions.session` writes for a DRF studentapi. Alice's hash is
// this service's own (bcrypt_sha256 of "alice-password" at cost 4), so her
// login works on any branch; bob's is Django's default hasher.
func cliFixture(t *testing.T) string {
	t.Helper()
	hash, err := hashOf("alice-password")
	if err != nil {
		t.Fatal(err)
	}
	return `[
{"model": "auth.user", "pk": 4, "fields": {"password": "` + hash + `", "last_login": null, "is_superuser": true, "username": "alice", "first_name": "Alice", "last_name": "", "email": "alice@example.com", "is_staff": true, "is_active": true, "date_joined": "2024-01-02T03:04:05.123Z", "groups": [], "user_permissions": []}},
{"model": "auth.user", "pk": 9, "fields": {"password": "pbkdf2_sha256$1000$Kv2AZDdnYTgc4xAenOJ2I8$+Q93GhFvFGPRTgnkH41P7z6H5pP0gJTa2IcdhTD05Is=", "last_login": null, "is_superuser": false, "username": "bob", "first_name": "", "last_name": "", "email": "", "is_staff": false, "is_active": true, "date_joined": "2024-01-03T00:00:00Z", "groups": [], "user_permissions": []}},
{"model": "auth.user", "pk": 12, "fields": {"password": "!unusable", "last_login": null, "is_superuser": false, "username": "carol", "first_name": "", "last_name": "", "email": "", "is_staff": false, "is_active": true, "date_joined": "2024-01-03T00:00:00Z", "groups": [], "user_permissions": []}},
{"model": "authtoken.token", "pk": "` + cliKeyAlice + `", "fields": {"user": 4, "created": "2024-02-03T04:05:06Z"}},
{"model": "authtoken.token", "pk": "` + cliKeyBob + `", "fields": {"user": ["bob"], "created": "2024-02-03T04:05:06Z"}},
{"model": "api.student", "pk": 7, "fields": {"name": "Ann", "roll": 12, "city": "Paris"}},
{"model": "sessions.session", "pk": "abc", "fields": {"session_data": "x", "expire_date": "2024-01-01T00:00:00Z"}}
]`
}

func hashOf(password string) (string, error) { return models.HashPassword(password, 4) }

func TestLoaddata(t *testing.T) {
	c := newTestCLI(t)
	file := filepath.Join(c.dir, "fixture.json")
	if err := os.WriteFile(file, []byte(cliFixture(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := c.run(t, "", "loaddata", file)
	if err != nil {
		t.Fatalf("loaddata: %v\n%s", err, stderr)
	}
	if want := c.withDatabase("Installed 3 user(s), 2 token(s) and 1 student(s) (api.student) from 1 fixture(s) (database $DB).\n"); out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
	for _, want := range []string{"ignored fields of auth.user: first_name, groups, last_name, user_permissions\n", "skipped 1 record(s) of sessions.session\n"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	if strings.Count(stderr, "ignored fields of auth.user") != 1 {
		t.Errorf("ignored fields reported more than once:\n%s", stderr)
	}

	// Every key authenticates as its user, as the server checks it; the
	// token receiver (on by default) gave nobody a second one.
	db := c.openDB(t)
	cfg, err := LoadConfig(c.config, true, c.environ())
	if err != nil {
		t.Fatal(err)
	}
	a := newAuthenticator(cfg, db, nil, nil)
	for key, user := range map[string]string{cliKeyAlice: "alice", cliKeyBob: "bob"} {
		tok, err := a.Authenticate(context.Background(), []string{"Token " + key})
		if err != nil || tok.User.Username != user {
			t.Errorf("Authenticate(%s) = %+v, %v; want %s", key, tok, err, user)
		}
	}
	if _, err := db.TokenOf(context.Background(), 12); err == nil {
		t.Error("carol has a token: the import let the user hook mint one")
	}
	alice := mustUser(t, db, "alice")
	checkPassword(t, alice, "alice-password", true)

	// The same fixture again, from standard input: harmless.
	if _, stderr, err := c.run(t, cliFixture(t), "loaddata", "-"); err != nil {
		t.Fatalf("loaddata -: %v\n%s", err, stderr)
	}
	if got := mustToken(t, db, alice); got != cliKeyAlice {
		t.Errorf("alice's key after a second load %s, want %s", got, cliKeyAlice)
	}
}

func TestLoaddataServes(t *testing.T) {
	c := newTestCLI(t)
	if _, stderr, err := c.run(t, cliFixture(t), "loaddata", "-"); err != nil {
		t.Fatalf("loaddata: %v\n%s", err, stderr)
	}
	s := startServer(t, c)
	client := &http.Client{}
	resp, body := do(t, client, http.MethodGet, s.url+"/studentapi/7/", "", http.Header{"Authorization": {"Token " + cliKeyAlice}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"name":"Ann"`) {
		t.Errorf("GET /studentapi/7/ with alice's old key: %d %s", resp.StatusCode, body)
	}
	// Her password logs in and gets the same key back.
	resp, body = do(t, client, http.MethodPost, s.url+"/gettoken/", `{"username":"alice","password":"alice-password"}`, http.Header{"Content-Type": {"application/json"}})
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, `{"token":"`+cliKeyAlice+`"`) {
		t.Errorf("POST /gettoken/: %d %s, want alice's old key", resp.StatusCode, body)
	}
	// New rows get ids past the fixture's.
	resp, body = do(t, client, http.MethodPost, s.url+"/studentapi/", `{"name":"New","roll":1,"city":"X"}`,
		http.Header{"Authorization": {"Token " + cliKeyAlice}, "Content-Type": {"application/json"}})
	if resp.StatusCode != http.StatusCreated || !strings.Contains(body, `"id":8,`) {
		t.Errorf("POST /studentapi/ after the load: %d %s, want id 8", resp.StatusCode, body)
	}
}

func TestLoaddataRefuses(t *testing.T) {
	c := newTestCLI(t)
	file := filepath.Join(c.dir, "bad.json")
	bad := `[{"model": "api.student", "pk": 8, "fields": {"name": "X", "roll": "twelve", "city": "Y"}}]`
	if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.run(t, "", "loaddata", file)
	checkExit(t, err, 1, "loaddata: nothing was loaded: fixture "+file+": api.student pk 8: field roll: want an integer (database "+c.database()+")")

	// A token's pk is its key: what loaddata prints names the record
	// without it.
	token := `[{"model": "authtoken.token", "pk": "` + cliKeyAlice + `", "fields": {"user": 404, "created": "2024-01-01T00:00:00Z"}}]`
	_, _, err = c.run(t, token, "loaddata", "-")
	checkExit(t, err, 1, "fixture <stdin>: authtoken.token record 1 (user 404): field user: no such user")
	if err != nil && strings.Contains(err.Error(), cliKeyAlice[:8]) {
		t.Errorf("loaddata's error %q shows the key", err)
	}

	unknown := `[{"model": "auth.user", "pk": 20, "fields": {"password": "md5$salt$abc", "username": "old", "date_joined": "2024-01-01T00:00:00Z"}}]`
	_, _, err = c.run(t, unknown, "loaddata", "-")
	checkExit(t, err, 1, "1 user(s) have a password hashed with an algorithm this service cannot check: old (md5)")
	checkNoUser(t, c.openDB(t), "old")

	_, stderr, err := c.run(t, unknown, "loaddata", "--unusable-unknown-hashes", "-")
	if err != nil {
		t.Fatalf("loaddata --unusable-unknown-hashes: %v", err)
	}
	if !strings.Contains(stderr, "1 user(s) had a password hash of an unknown algorithm and now have an unusable password (set one with changepassword): old\n") {
		t.Errorf("stderr %q does not name the user", stderr)
	}

	_, _, err = c.run(t, "", "loaddata")
	checkExit(t, err, 2, "loaddata: want at least one fixture file")
}

func TestDumpdata(t *testing.T) {
	c := newTestCLI(t)
	if _, stderr, err := c.run(t, cliFixture(t), "loaddata", "-"); err != nil {
		t.Fatalf("loaddata: %v\n%s", err, stderr)
	}
	file := filepath.Join(c.dir, "out.json")
	_, stderr, err := c.run(t, "", "dumpdata", "--output", file, "--natural-foreign")
	if err != nil {
		t.Fatalf("dumpdata: %v", err)
	}
	for _, want := range []string{credentialsWarning + "\n", "Dumped 3 user(s), 2 token(s) and 1 student(s) to " + file + ".\n"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600: the file holds live keys", fi.Mode().Perm())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"pk":"` + cliKeyAlice + `"`, `"user":["bob"]`, `"model":"api.student","pk":7`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("fixture lacks %s:\n%s", want, b)
		}
	}

	// An existing file is kept unless --force.
	_, _, err = c.run(t, "", "dumpdata", "--output", file)
	checkExit(t, err, 1, "dumpdata: "+file+" exists; remove it or pass --force")
	if _, stderr, err := c.run(t, "", "dumpdata", "--output", file, "--force", "--student-model", "school.student"); err != nil {
		t.Fatalf("dumpdata --force: %v\n%s", err, stderr)
	}
	if b, _ := os.ReadFile(file); !strings.Contains(string(b), `"model":"school.student"`) || !strings.Contains(string(b), `"user":4`) {
		t.Errorf("--force did not replace the file:\n%s", b)
	}
	if entries, _ := os.ReadDir(c.dir); len(entries) != 2 { // config.yaml and out.json
		t.Errorf("dumpdata left files behind: %v", entries)
	}

	// To standard output, it loads back into another database.
	out, _, err := c.run(t, "", "dumpdata")
	if err != nil {
		t.Fatal(err)
	}
	other := newTestCLI(t)
	if _, stderr, err := other.run(t, out, "loaddata", "-"); err != nil {
		t.Fatalf("loaddata of dumpdata's output: %v\n%s", err, stderr)
	}
	if got := mustToken(t, other.openDB(t), mustUser(t, other.openDB(t), "bob")); got != cliKeyBob {
		t.Errorf("bob's key after dumpdata | loaddata: %s, want %s", got, cliKeyBob)
	}
}
