package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"studentapi/auth"
	"studentapi/internal/passwordvalidation"
	"studentapi/internal/testdb"
	"studentapi/models"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

// testCLI runs the program against its own config file and database (on the
// test run's backend, see internal/testdb) in a fresh temp dir, with an
// environment that is a map rather than the process's.
type testCLI struct {
	dir    string
	config string
	env    map[string]string
	db     testdb.DB
}

func newTestCLI(t *testing.T) *testCLI {
	t.Helper()
	return newTestCLIOn(t, testdb.New(t))
}

// newSQLiteCLI is newTestCLI on SQLite whatever the run's backend, for what
// only SQLite has: a database file and the secret file generated beside it.
func newSQLiteCLI(t *testing.T) *testCLI {
	t.Helper()
	return newTestCLIOn(t, testdb.DB{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "test.db")})
}

// testSecretKey is the configured secret of the tests on PostgreSQL, where
// one is required.
const testSecretKey = "a secret of the cli tests, 32 bytes or more"

func newTestCLIOn(t *testing.T, db testdb.DB) *testCLI {
	t.Helper()
	dir := t.TempDir()
	config := filepath.Join(dir, "config.yaml")
	// A short shutdown timeout bounds how long a broken serve test can hang.
	// The tests' passwords ("pw") are short: Django's validators, on by
	// default, are off here and turned on by the tests of them.
	if err := os.WriteFile(config, []byte("http:\n  shutdown_timeout: 5s\nauth:\n  password_validators: []\n"), 0o600); err != nil {
		t.Fatalf("write config: %v", err)
	}
	env := db.Env()
	env["STUDENTAPI_AUTH_BCRYPT_COST"] = "4"
	if db.Driver == "postgres" {
		env["STUDENTAPI_AUTH_SECRET_KEY"] = testSecretKey
	}
	return &testCLI{dir: dir, config: config, env: env, db: db}
}

// database is how the commands name c's database (see models.Source.String).
func (c *testCLI) database() string {
	return models.Source{Driver: c.db.Driver, Path: c.db.Path, DSN: c.db.DSN}.String()
}

// withDatabase is s with c.database() for each $DB: every command that
// writes names the database in its last line.
func (c *testCLI) withDatabase(s string) string { return strings.ReplaceAll(s, "$DB", c.database()) }

func (c *testCLI) getenv(key string) string { return c.env[key] }

// environ lists c.env as os.Environ does.
func (c *testCLI) environ() []string { return configTestEnv(c.env) }

// args appends --config, which every command reads after its positional arguments.
func (c *testCLI) args(args ...string) []string {
	return append(slices.Clone(args), "--config", c.config)
}

// run runs one command line with stdin as its input.
func (c *testCLI) run(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), c.args(args...), c.getenv, c.environ, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// mustRun runs one command line and fails the test if it fails.
func (c *testCLI) mustRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, _, err := c.run(t, stdin, args...)
	if err != nil {
		t.Fatalf("run %q: %v", args, err)
	}
	return out
}

// createUser makes a user with --noinput and the given password.
func (c *testCLI) createUser(t *testing.T, command, username, password string) {
	t.Helper()
	c.env[passwordEnv] = password
	defer delete(c.env, passwordEnv)
	c.mustRun(t, "", command, "--noinput", "--username", username, "--email", username+"@example.com")
}

// openDB opens the database the commands use, under the same secret key, to
// look at what they wrote.
func (c *testCLI) openDB(t *testing.T) *models.DB {
	t.Helper()
	cfg, err := LoadConfig(c.config, true, c.environ())
	if err != nil {
		t.Fatalf("load config: %v", err)
	}
	cfg.Auth.CreateTokenOnUserCreate = false // look, do not act
	db, _, err := openDB(cfg, io.Discard, nil)
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close database: %v", err)
		}
	})
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

func mustUser(t *testing.T, db *models.DB, username string) *models.User {
	t.Helper()
	u, err := db.UserByUsername(context.Background(), username)
	if err != nil {
		t.Fatalf("UserByUsername(%q): %v", username, err)
	}
	return u
}

func checkNoUser(t *testing.T, db *models.DB, username string) {
	t.Helper()
	if _, err := db.UserByUsername(context.Background(), username); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("UserByUsername(%q) error = %v, want ErrNotFound", username, err)
	}
}

func mustToken(t *testing.T, db *models.DB, u *models.User) string {
	t.Helper()
	tok, err := db.TokenOf(context.Background(), u.ID)
	if err != nil {
		t.Fatalf("TokenOf(%q): %v", u.Username, err)
	}
	return tok.Key
}

func checkPassword(t *testing.T, u *models.User, password string, want bool) {
	t.Helper()
	got, err := u.CheckPassword(password)
	if err != nil {
		t.Fatalf("CheckPassword: %v", err)
	}
	if got != want {
		t.Errorf("user %q CheckPassword(%q) = %v, want %v", u.Username, password, got, want)
	}
}

// checkExit checks the exit status err leads to and that the line printed for
// it contains wantMsg.
func checkExit(t *testing.T, err error, wantCode int, wantMsg string) {
	t.Helper()
	var stderr bytes.Buffer
	if got := exitCode(err, &stderr); got != wantCode {
		t.Errorf("exitCode(%v) = %d, want %d", err, got, wantCode)
	}
	if !strings.Contains(stderr.String(), wantMsg) {
		t.Errorf("exitCode printed %q, want it to contain %q", stderr.String(), wantMsg)
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantCode   int
		wantStderr string
	}{
		{"success", nil, 0, ""},
		{"help", errHelp, 0, ""},
		{"usage", usagef("deleteuser: want %d argument(s)", 1), 2, "studentapi: deleteuser: want 1 argument(s)\n"},
		{"usage naming its help", withHelp(usagef("deleteuser: bad"), "studentapi help deleteuser"), 2, "studentapi: deleteuser: bad; run 'studentapi help deleteuser'\n"},
		{"wrapped usage", errors.Join(usagef("bad flag")), 2, "studentapi: bad flag\n"},
		{"failure", errors.New("boom"), 1, "studentapi: boom\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if got := exitCode(tt.err, &stderr); got != tt.wantCode {
				t.Errorf("exitCode = %d, want %d", got, tt.wantCode)
			}
			if got := stderr.String(); got != tt.wantStderr {
				t.Errorf("stderr = %q, want %q", got, tt.wantStderr)
			}
		})
	}
}

func TestMigrateTwice(t *testing.T) {
	c := newTestCLI(t)
	want := c.withDatabase("Migrated the tables (database $DB).\n")
	for i := range 2 {
		if got := c.mustRun(t, "", "migrate"); got != want {
			t.Errorf("migrate #%d printed %q, want %q", i+1, got, want)
		}
	}
	// The tables work after the second run.
	c.createUser(t, "createuser", "alice", "pw")
	mustUser(t, c.openDB(t), "alice")
}

func TestCreateUserNoInput(t *testing.T) {
	tests := []struct {
		command                  string
		wantStaff                bool
		wantOut                  string
		username, email, options string
	}{
		{"createsuperuser", true, "Superuser \"admin\" created successfully (database $DB).\n", "admin", "admin@example.com", "--noinput"},
		{"createuser", false, "User \"alice\" created successfully (database $DB).\n", "alice", "alice@example.com", "--noinput"},
		{"createuser", false, "User \"bob\" created successfully (database $DB).\n", "bob", "", "--no-input"},
	}
	for _, tt := range tests {
		t.Run(tt.command+" "+tt.username, func(t *testing.T) {
			c := newTestCLI(t)
			c.env[passwordEnv] = "s3cret pass"
			got := c.mustRun(t, "", tt.command, tt.options, "--username", tt.username, "--email", tt.email)
			if want := c.withDatabase(tt.wantOut); got != want {
				t.Errorf("stdout = %q, want %q", got, want)
			}

			db := c.openDB(t)
			u := mustUser(t, db, tt.username)
			if u.Email != tt.email {
				t.Errorf("Email = %q, want %q", u.Email, tt.email)
			}
			if !u.IsActive || u.IsStaff != tt.wantStaff || u.IsSuperuser != tt.wantStaff {
				t.Errorf("IsActive, IsStaff, IsSuperuser = %v, %v, %v; want true, %v, %v",
					u.IsActive, u.IsStaff, u.IsSuperuser, tt.wantStaff, tt.wantStaff)
			}
			if u.DateJoined.IsZero() {
				t.Error("DateJoined is zero")
			}
			checkPassword(t, u, "s3cret pass", true)
			checkPassword(t, u, "wrong", false)
			// The receiver gave the new user a token in the same transaction.
			mustToken(t, db, u)
		})
	}
}

func TestCreateUserNoTokenWhenReceiverOff(t *testing.T) {
	c := newTestCLI(t)
	c.env["STUDENTAPI_AUTH_CREATE_TOKEN_ON_USER_CREATE"] = "false"
	c.createUser(t, "createuser", "alice", "pw")

	db := c.openDB(t)
	u := mustUser(t, db, "alice")
	if _, err := db.TokenOf(context.Background(), u.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("TokenOf(alice) error = %v, want ErrNotFound", err)
	}
}

func TestCreateUserErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		password string // STUDENTAPI_PASSWORD
		wantCode int
		wantMsg  string
		absent   string // a username that must not have been written
	}{
		{
			name:     "no password",
			args:     []string{"createsuperuser", "--noinput", "--username", "alice", "--email", "alice@example.com"},
			wantCode: 2,
			wantMsg:  "set STUDENTAPI_PASSWORD",
			absent:   "alice",
		},
		{
			name:     "no username",
			args:     []string{"createsuperuser", "--noinput", "--email", "alice@example.com"},
			password: "pw",
			wantCode: 2,
			wantMsg:  "--username is required",
		},
		{
			name:     "invalid username",
			args:     []string{"createsuperuser", "--noinput", "--username", "bad name!"},
			password: "pw",
			wantCode: 1,
			wantMsg:  "enter a valid username",
			absent:   "bad name!",
		},
		{
			name:     "invalid email",
			args:     []string{"createuser", "--noinput", "--username", "alice", "--email", "not-an-email"},
			password: "pw",
			wantCode: 1,
			wantMsg:  `enter a valid email address: "not-an-email"`,
			absent:   "alice",
		},
		{
			name:     "email with a display name",
			args:     []string{"createuser", "--noinput", "--username", "alice", "--email", "Alice <alice@example.com>"},
			password: "pw",
			wantCode: 1,
			wantMsg:  "enter a valid email address",
			absent:   "alice",
		},
		{
			name:     "email longer than the column",
			args:     []string{"createuser", "--noinput", "--username", "alice", "--email", strings.Repeat("a", 250) + "@example.com"},
			password: "pw",
			wantCode: 1,
			wantMsg:  "enter a valid email address",
			absent:   "alice",
		},
		{
			name:     "positional argument",
			args:     []string{"createuser", "--noinput", "--username", "alice", "extra"},
			password: "pw",
			wantCode: 2,
			wantMsg:  "createuser: takes no arguments, got 1",
			absent:   "alice",
		},
		{
			name:     "unknown flag",
			args:     []string{"createuser", "--noinput", "--username", "alice", "--staff"},
			password: "pw",
			wantCode: 2,
			wantMsg:  "flag provided but not defined: -staff",
			absent:   "alice",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCLI(t)
			if tt.password != "" {
				c.env[passwordEnv] = tt.password
			}
			out, _, err := c.run(t, "", tt.args...)
			if err == nil {
				t.Fatalf("run %q succeeded, printing %q; want an error", tt.args, out)
			}
			checkExit(t, err, tt.wantCode, tt.wantMsg)
			if tt.absent != "" {
				checkNoUser(t, c.openDB(t), tt.absent)
			}
		})
	}
}

func TestCreateUserDuplicate(t *testing.T) {
	// The full-width "ａlice" is "alice" once normalised (NFKC, as Django's
	// normalize_username), so it is taken too.
	for _, name := range []string{"alice", "\uff41lice"} {
		t.Run(name, func(t *testing.T) {
			c := newTestCLI(t)
			c.createUser(t, "createuser", "alice", "first")

			c.env[passwordEnv] = "second"
			_, _, err := c.run(t, "", "createsuperuser", "--noinput", "--username", name)
			checkExit(t, err, 1, `that username is already taken: "alice"`)

			// The first user is untouched.
			db := c.openDB(t)
			u := mustUser(t, db, "alice")
			if u.IsSuperuser {
				t.Error("IsSuperuser = true after the refused createsuperuser, want false")
			}
			checkPassword(t, u, "first", true)
			if n, err := db.CountUsers(context.Background(), models.UserQuery{}); err != nil || n != 1 {
				t.Errorf("CountUsers = %d, %v; want 1", n, err)
			}
		})
	}
}

func TestCreateUserNormalizesUsername(t *testing.T) {
	c := newTestCLI(t)
	c.env[passwordEnv] = "pw"
	out := c.mustRun(t, "", "createuser", "--noinput", "--username", "\uff42ob")
	if want := c.withDatabase("User \"bob\" created successfully (database $DB).\n"); out != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
	mustUser(t, c.openDB(t), "bob")
}

func TestCreateSuperuserInteractive(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		stdin     string
		wantOut   string
		wantEmail string
	}{
		{
			name:      "every answer from stdin",
			args:      []string{"createsuperuser"},
			stdin:     "alice\nalice@example.com\npw\npw\n",
			wantOut:   "Username: Email address: Password: Password (again): Superuser \"alice\" created successfully (database $DB).\n",
			wantEmail: "alice@example.com",
		},
		{
			name:      "username and email from flags",
			args:      []string{"createsuperuser", "--username", "alice", "--email", "a@example.com"},
			stdin:     "pw\npw\n",
			wantOut:   "Password: Password (again): Superuser \"alice\" created successfully (database $DB).\n",
			wantEmail: "a@example.com",
		},
		{
			name:      "CRLF line ends and no final newline",
			args:      []string{"createsuperuser"},
			stdin:     "alice\r\n\r\npw\r\npw",
			wantOut:   "Username: Email address: Password: Password (again): Superuser \"alice\" created successfully (database $DB).\n",
			wantEmail: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCLI(t)
			if got, want := c.mustRun(t, tt.stdin, tt.args...), c.withDatabase(tt.wantOut); got != want {
				t.Errorf("stdout = %q, want %q", got, want)
			}
			db := c.openDB(t)
			u := mustUser(t, db, "alice")
			if u.Email != tt.wantEmail {
				t.Errorf("Email = %q, want %q", u.Email, tt.wantEmail)
			}
			if !u.IsStaff || !u.IsSuperuser || !u.IsActive {
				t.Errorf("IsStaff, IsSuperuser, IsActive = %v, %v, %v; want all true", u.IsStaff, u.IsSuperuser, u.IsActive)
			}
			checkPassword(t, u, "pw", true)
			mustToken(t, db, u)
		})
	}
}

// A refused answer is asked again, as Django's createsuperuser does, with
// its error on stderr: here the input then ends, which is the error.
func TestCreateSuperuserInteractiveErrors(t *testing.T) {
	tests := []struct {
		name       string
		stdin      string
		wantStderr string // what was said of the refused answer
		wantMsg    string
	}{
		{"mismatched passwords", "alice\nalice@example.com\npw\nPW\n", "Error: Your passwords didn't match.\n", "read Password: no input"},
		{"blank password", "alice\nalice@example.com\n\n\n", "Error: Blank passwords aren't allowed.\n", "read Password: no input"},
		{"no input", "", "", "read Username: no input"},
		{"input ends before the password", "alice\nalice@example.com\n", "", "read Password: no input"},
		{"input ends before the second password", "alice\nalice@example.com\npw\n", "", "read Password (again): no input"},
		{"invalid username", "bad name!\n", "Error: Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.\n", "read Username: no input"},
		{"invalid email", "alice\nnot an address\n", "Error: Enter a valid email address.\n", "read Email address: no input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCLI(t)
			_, stderr, err := c.run(t, tt.stdin, "createsuperuser")
			if err == nil {
				t.Fatal("createsuperuser succeeded, want an error")
			}
			checkExit(t, err, 1, tt.wantMsg)
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.wantStderr)
			}
			db := c.openDB(t)
			checkNoUser(t, db, "alice")
			checkNoUser(t, db, "bad name!")
		})
	}
}

// A blank username is refused before the email is asked, and asked again;
// spaces are no blank but an invalid username, as in Django.
func TestCreateSuperuserBlankUsername(t *testing.T) {
	c := newTestCLI(t)
	// The database and its secret exist, so that stderr holds only the
	// prompts' errors, not the notice of a generated secret.
	c.mustRun(t, "", "migrate")
	stdout, stderr, err := c.run(t, "\n  \nalice\n\npw\npw\n", "createsuperuser")
	if err != nil {
		t.Fatalf("createsuperuser: %v", err)
	}
	if want := "Error: This field cannot be blank.\nError: Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.\n"; stderr != want {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}
	if want := "Username: Username: Username: Email address: Password: Password (again): "; !strings.HasPrefix(stdout, want) {
		t.Errorf("stdout = %q, want it to begin %q", stdout, want)
	}
	checkPassword(t, mustUser(t, c.openDB(t), "alice"), "pw", true)
}

// withValidators turns Django's default password validators on for c, as
// they are without a config file.
func withValidators(c *testCLI) {
	c.env["STUDENTAPI_AUTH_PASSWORD_VALIDATORS"] = strings.Join(passwordvalidation.DefaultNames(), ",")
}

// Issue 16 item 5: createsuperuser and createuser ask again for a password
// the validators refuse, after Django's messages and its offer to bypass
// them; y keeps the refused password.
func TestCreateUserPasswordValidation(t *testing.T) {
	const bypass = "Bypass password validation and create user anyway? [y/N]: "
	for _, tt := range []struct {
		name, command, stdin string
		wantStderr           string
		wantBypassAsked      int
		wantPassword         string
	}{
		{"refused twice, then good", "createsuperuser",
			"alice\nalice@example.com\nalice\nalice\nN\nshort\nshort\n\nx7Gq!pZr2long\nx7Gq!pZr2long\n",
			"The password is too similar to the username.\nThis password is too short. It must contain at least 8 characters.\nThis password is too common.\n" +
				"This password is too short. It must contain at least 8 characters.\n", 2, "x7Gq!pZr2long"},
		{"bypassed", "createuser", "alice\n\n12345678\n12345678\ny\n",
			"This password is too common.\nThis password is entirely numeric.\n", 1, "12345678"},
		{"mismatch, then similar to the email, then bypassed with Y", "createuser",
			"alice\nwonderland@example.org\nabc\nabd\nwonderland\nwonderland\nY\n",
			"Error: Your passwords didn't match.\nThe password is too similar to the email address.\nThis password is too common.\n", 1, "wonderland"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCLI(t)
			withValidators(c)
			// The database and its secret file exist, so stderr is the prompts' alone.
			c.mustRun(t, "", "migrate")
			stdout, stderr, err := c.run(t, tt.stdin, tt.command)
			if err != nil {
				t.Fatalf("%s: %v (stderr %q)", tt.command, err, stderr)
			}
			if stderr != tt.wantStderr {
				t.Errorf("stderr = %q, want %q", stderr, tt.wantStderr)
			}
			if got := strings.Count(stdout, bypass); got != tt.wantBypassAsked {
				t.Errorf("asked to bypass %d times, want %d; stdout %q", got, tt.wantBypassAsked, stdout)
			}
			checkPassword(t, mustUser(t, c.openDB(t), "alice"), tt.wantPassword, true)
		})
	}
}

// Without a prompt, a refused password fails the command with every
// message, and nothing is written.
func TestPasswordValidationNoInput(t *testing.T) {
	for _, tt := range []struct {
		name     string
		args     []string
		password string
		wantMsg  string
	}{
		{"createsuperuser", []string{"createsuperuser", "--noinput", "--username", "alice", "--email", "alice@example.com"}, "alice",
			"password refused by auth.password_validators: The password is too similar to the username. This password is too short. It must contain at least 8 characters."},
		{"createuser", []string{"createuser", "--noinput", "--username", "alice"}, "password",
			"This password is too common."},
		{"changepassword", []string{"changepassword", "bob", "--noinput"}, "98765432",
			"This password is entirely numeric."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCLI(t)
			c.createUser(t, "createuser", "bob", "old pw")
			withValidators(c)
			c.env[passwordEnv] = tt.password
			_, _, err := c.run(t, "", tt.args...)
			checkExit(t, err, 1, tt.wantMsg)
			db := c.openDB(t)
			checkNoUser(t, db, "alice")
			checkPassword(t, mustUser(t, db, "bob"), "old pw", true)
		})
	}
}

// changepassword asks three times, as Django's does, with no way around
// the validators.
func TestChangePasswordValidation(t *testing.T) {
	c := newTestCLI(t)
	c.createUser(t, "createuser", "alice", "old pw")
	withValidators(c)
	stdout, stderr, err := c.run(t, "alice\nalice\nx\ny\n123\n123\n", "changepassword", "alice")
	checkExit(t, err, 1, `aborting password change for user "alice" after 3 attempts`)
	if want := "The password is too similar to the username.\nThis password is too short. It must contain at least 8 characters.\nThis password is too common.\n" +
		"This password is too short. It must contain at least 8 characters.\nThis password is too common.\nThis password is entirely numeric.\n"; stderr != want {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}
	if !strings.Contains(stdout, "Passwords do not match. Please try again.\n") {
		t.Errorf("stdout = %q, want the mismatch said", stdout)
	}
	checkPassword(t, mustUser(t, c.openDB(t), "alice"), "old pw", true)

	c.mustRun(t, "alice\nalice\nx7Gq!pZr2long\nx7Gq!pZr2long\n", "changepassword", "alice")
	checkPassword(t, mustUser(t, c.openDB(t), "alice"), "x7Gq!pZr2long", true)
}

var generatedToken = regexp.MustCompile(`^Generated token ([0-9a-f]{40}) for user alice \(database (.+)\)\n$`)

// createToken runs drf_create_token with args and returns the key it printed.
func createToken(t *testing.T, c *testCLI, args ...string) string {
	t.Helper()
	out := c.mustRun(t, "", append([]string{"drf_create_token"}, args...)...)
	m := generatedToken.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("drf_create_token %q printed %q, want it to match %s", args, out, generatedToken)
	}
	if m[2] != c.database() {
		t.Errorf("drf_create_token %q names database %q, want %q", args, m[2], c.database())
	}
	return m[1]
}

func TestCreateTokenGetOrCreate(t *testing.T) {
	c := newTestCLI(t)
	c.createUser(t, "createuser", "alice", "pw")
	db := c.openDB(t)
	hookKey := mustToken(t, db, mustUser(t, db, "alice"))

	for i := range 2 {
		if got := createToken(t, c, "alice"); got != hookKey {
			t.Errorf("drf_create_token alice #%d = %s, want the token the receiver made, %s", i+1, got, hookKey)
		}
	}
}

func TestCreateTokenReset(t *testing.T) {
	for _, args := range [][]string{{"alice", "-r"}, {"--reset", "alice"}, {"-reset", "alice"}, {"alice", "--r"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			c := newTestCLI(t)
			c.createUser(t, "createuser", "alice", "pw")
			old := createToken(t, c, "alice")

			key := createToken(t, c, args...)
			if key == old {
				t.Fatalf("drf_create_token %q printed the old key %s, want a new one", args, old)
			}
			db := c.openDB(t)
			if got := mustToken(t, db, mustUser(t, db, "alice")); got != key {
				t.Errorf("stored token = %s, want the printed %s", got, key)
			}
			a := auth.New(db, "Token", 4, auth.Options{})
			if _, err := a.Authenticate(context.Background(), []string{"Token " + old}); !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("Authenticate(old key) error = %v, want ErrInvalidToken", err)
			}
			tok, err := a.Authenticate(context.Background(), []string{"Token " + key})
			if err != nil {
				t.Fatalf("Authenticate(new key): %v", err)
			}
			if tok.User.Username != "alice" {
				t.Errorf("new key authenticates %q, want alice", tok.User.Username)
			}
			// Without -r the new key is what it keeps giving.
			if got := createToken(t, c, "alice"); got != key {
				t.Errorf("drf_create_token alice after reset = %s, want %s", got, key)
			}
		})
	}
}

func TestCreateTokenForUserWithoutOne(t *testing.T) {
	for _, args := range [][]string{{"alice"}, {"alice", "-r"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			c := newTestCLI(t)
			c.env["STUDENTAPI_AUTH_CREATE_TOKEN_ON_USER_CREATE"] = "false"
			c.createUser(t, "createuser", "alice", "pw")

			key := createToken(t, c, args...)
			db := c.openDB(t)
			if got := mustToken(t, db, mustUser(t, db, "alice")); got != key {
				t.Errorf("stored token = %s, want the printed %s", got, key)
			}
		})
	}
}

// TestUnknownUser runs every command that names a user with one that does not exist.
func TestUnknownUser(t *testing.T) {
	for _, args := range [][]string{
		{"drf_create_token", "nobody"},
		{"drf_create_token", "nobody", "-r"},
		{"changepassword", "nobody", "--noinput"},
		{"changepassword", "nobody"},
		{"activate", "nobody"},
		{"deactivate", "nobody"},
		{"deleteuser", "nobody"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			c := newTestCLI(t)
			c.createUser(t, "createuser", "alice", "pw")
			c.env[passwordEnv] = "pw2"
			out, _, err := c.run(t, "pw2\npw2\n", args...)
			if err == nil {
				t.Fatalf("run %q succeeded, printing %q; want an error", args, out)
			}
			// Named with its database: run from the wrong directory, the
			// command opened another (new, empty) one.
			checkExit(t, err, 1, `user "nobody" does not exist (database `+c.database()+`)`)
		})
	}
}

// TestUserCommandArguments checks that every command taking a username wants exactly one.
func TestUserCommandArguments(t *testing.T) {
	for _, cmd := range []string{"drf_create_token", "changepassword", "activate", "deactivate", "deleteuser"} {
		for _, args := range [][]string{{}, {"alice", "bob"}} {
			t.Run(cmd+" "+strings.Join(args, " "), func(t *testing.T) {
				c := newTestCLI(t)
				c.createUser(t, "createuser", "alice", "pw")
				_, _, err := c.run(t, "", append([]string{cmd}, args...)...)
				checkExit(t, err, 2, fmt.Sprintf("%s: want 1 argument(s) (username), got %d", cmd, len(args)))
				// Nothing happened to alice.
				u := mustUser(t, c.openDB(t), "alice")
				if !u.IsActive {
					t.Error("alice was deactivated")
				}
			})
		}
	}
}

func TestChangePassword(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		password string // STUDENTAPI_PASSWORD
		stdin    string
		wantOut  string
	}{
		{
			name:    "interactive",
			args:    []string{"changepassword", "alice"},
			stdin:   "new pw\nnew pw\n",
			wantOut: "Changing password for user \"alice\"\nPassword: Password (again): Password changed successfully for user \"alice\" (database $DB)\n",
		},
		{
			name:     "noinput",
			args:     []string{"changepassword", "--noinput", "alice"},
			password: "new pw",
			wantOut:  "Password changed successfully for user \"alice\" (database $DB)\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCLI(t)
			c.createUser(t, "createuser", "alice", "old pw")
			db := c.openDB(t)
			before := mustToken(t, db, mustUser(t, db, "alice"))
			if tt.password != "" {
				c.env[passwordEnv] = tt.password
			}
			if got, want := c.mustRun(t, tt.stdin, tt.args...), c.withDatabase(tt.wantOut); got != want {
				t.Errorf("stdout = %q, want %q", got, want)
			}
			u := mustUser(t, db, "alice")
			checkPassword(t, u, "new pw", true)
			checkPassword(t, u, "old pw", false)
			if !u.IsActive || u.Email != "alice@example.com" {
				t.Errorf("IsActive, Email = %v, %q; want true, alice@example.com", u.IsActive, u.Email)
			}
			// A new password is not a new token (Django keeps authtoken rows).
			if got := mustToken(t, db, u); got != before {
				t.Errorf("token = %s after changepassword, want unchanged %s", got, before)
			}
		})
	}
}

func TestChangePasswordErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		wantMsg  string
	}{
		{"mismatched", []string{"changepassword", "alice"}, "new\nNEW\n", 1, "read Password: no input"},
		{"mismatched three times", []string{"changepassword", "alice"}, "new\nNEW\nnew\nNEW\nnew\nNEW\n", 1, `aborting password change for user "alice" after 3 attempts`},
		{"blank", []string{"changepassword", "alice"}, "\n\n\n\n\n\n", 1, `aborting password change for user "alice" after 3 attempts`},
		{"no input", []string{"changepassword", "alice"}, "", 1, "read Password: no input"},
		{"noinput without password", []string{"changepassword", "alice", "--noinput"}, "", 2, "set STUDENTAPI_PASSWORD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCLI(t)
			c.createUser(t, "createuser", "alice", "old pw")
			_, _, err := c.run(t, tt.stdin, tt.args...)
			checkExit(t, err, tt.wantCode, tt.wantMsg)
			checkPassword(t, mustUser(t, c.openDB(t), "alice"), "old pw", true)
		})
	}
}

// readHook runs fn once, before the first read of r: a command that reads
// the user and then prompts gets fn's change in between.
type readHook struct {
	r    io.Reader
	once sync.Once
	fn   func()
}

func (h *readHook) Read(p []byte) (int, error) {
	h.once.Do(h.fn)
	return h.r.Read(p)
}

// TestChangePasswordRacingDeactivation is issue 13 item 3 on the CLI:
// changepassword reads the user, then waits for the new password; an
// account deactivated in that time must stay deactivated.
func TestChangePasswordRacingDeactivation(t *testing.T) {
	c := newTestCLI(t)
	c.createUser(t, "createuser", "alice", "old pw")
	stdin := &readHook{r: strings.NewReader("new pw\nnew pw\n"), fn: func() { c.mustRun(t, "", "deactivate", "alice") }}
	var out bytes.Buffer
	if err := run(context.Background(), c.args("changepassword", "alice"), c.getenv, c.environ, stdin, &out, io.Discard); err != nil {
		t.Fatalf("changepassword: %v", err)
	}
	u := mustUser(t, c.openDB(t), "alice")
	if u.IsActive {
		t.Error("alice is active again: changepassword wrote back the row it read before the deactivation")
	}
	checkPassword(t, u, "new pw", true)
}

// TestUserCommandsEndSessions is issue 13 item 4 on the CLI: a new password,
// a deactivation (even undone) and a deletion end the user's admin sessions,
// by deleting them; other commands leave them alone.
func TestUserCommandsEndSessions(t *testing.T) {
	tests := []struct {
		name     string
		commands [][]string
		stdin    string
		wantLive bool
	}{
		{"changepassword", [][]string{{"changepassword", "--noinput", "alice"}}, "", false},
		{"changepassword interactive", [][]string{{"changepassword", "alice"}}, "new pw\nnew pw\n", false},
		{"deactivate", [][]string{{"deactivate", "alice"}}, "", false},
		{"deactivate then activate", [][]string{{"deactivate", "alice"}, {"activate", "alice"}}, "", false},
		{"deleteuser", [][]string{{"deleteuser", "alice"}}, "", false},
		{"activate an active user", [][]string{{"activate", "alice"}}, "", true},
		{"drf_create_token -r", [][]string{{"drf_create_token", "-r", "alice"}}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCLI(t)
			c.createUser(t, "createsuperuser", "alice", "old pw")
			// Not the last superuser, which nothing may deactivate or delete.
			c.createUser(t, "createsuperuser", "root", "pw")
			db := c.openDB(t)
			ctx := context.Background()
			const sessionID = "a session id of alice's in the admin"
			if _, err := db.CreateSession(ctx, mustUser(t, db, "alice"), sessionID, time.Hour); err != nil {
				t.Fatal(err)
			}
			c.env[passwordEnv] = "new pw"
			for _, args := range tt.commands {
				c.mustRun(t, tt.stdin, args...)
			}
			_, err := db.SessionByID(ctx, sessionID)
			if err != nil && !errors.Is(err, models.ErrNotFound) {
				t.Fatal(err)
			}
			if live := err == nil; live != tt.wantLive {
				t.Errorf("alice's session exists: %v, want %v", live, tt.wantLive)
			}
		})
	}
}

func TestActivateDeactivate(t *testing.T) {
	c := newTestCLI(t)
	c.createUser(t, "createuser", "alice", "pw")
	db := c.openDB(t)
	key := mustToken(t, db, mustUser(t, db, "alice"))
	a := auth.New(db, "Token", 4, auth.Options{})

	steps := []struct {
		command, wantOut string
		wantActive       bool
		wantAuthErr      error
	}{
		{"deactivate", "User \"alice\" deactivated (database $DB).\n", false, auth.ErrInactive},
		{"deactivate", "User \"alice\" deactivated (database $DB).\n", false, auth.ErrInactive},
		{"activate", "User \"alice\" activated (database $DB).\n", true, nil},
	}
	for _, s := range steps {
		if got, want := c.mustRun(t, "", s.command, "alice"), c.withDatabase(s.wantOut); got != want {
			t.Errorf("%s: stdout = %q, want %q", s.command, got, want)
		}
		u := mustUser(t, db, "alice")
		if u.IsActive != s.wantActive {
			t.Errorf("after %s: IsActive = %v, want %v", s.command, u.IsActive, s.wantActive)
		}
		checkPassword(t, u, "pw", true)
		if _, err := a.Authenticate(context.Background(), []string{"Token " + key}); !errors.Is(err, s.wantAuthErr) {
			t.Errorf("after %s: Authenticate error = %v, want %v", s.command, err, s.wantAuthErr)
		}
	}
}

func TestDeleteUser(t *testing.T) {
	c := newTestCLI(t)
	c.createUser(t, "createuser", "alice", "pw")
	c.createUser(t, "createuser", "bob", "pw")
	db := c.openDB(t)
	aliceKey := mustToken(t, db, mustUser(t, db, "alice"))
	bobKey := mustToken(t, db, mustUser(t, db, "bob"))

	if got, want := c.mustRun(t, "", "deleteuser", "alice"), c.withDatabase("User \"alice\", its token and its admin sessions deleted (database $DB).\n"); got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	checkNoUser(t, db, "alice")
	if _, err := db.TokenByKey(context.Background(), aliceKey); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("TokenByKey(alice's key) error = %v, want ErrNotFound", err)
	}
	if _, err := db.TokenByKey(context.Background(), bobKey); err != nil {
		t.Errorf("TokenByKey(bob's key): %v; deleting alice must leave bob alone", err)
	}

	_, _, err := c.run(t, "", "deleteuser", "alice")
	checkExit(t, err, 1, `user "alice" does not exist`)
}

// TestLastSuperuserKept: deactivate and deleteuser refuse the last active
// superuser with a one-line error and exit 1, changing nothing; with a second
// one they go through.
func TestLastSuperuserKept(t *testing.T) {
	for _, tt := range []struct{ command, verb string }{{"deactivate", "deactivate"}, {"deleteuser", "delete"}} {
		t.Run(tt.command, func(t *testing.T) {
			c := newTestCLI(t)
			c.createUser(t, "createsuperuser", "alice", "pw")
			c.createUser(t, "createuser", "bob", "pw") // staff or not, bob does not count
			out, _, err := c.run(t, "", tt.command, "alice")
			checkExit(t, err, 1, `cannot `+tt.verb+` "alice": it is the last active superuser (create another with createsuperuser first)`)
			if out != "" {
				t.Errorf("refused %s printed %q on stdout", tt.command, out)
			}
			db := c.openDB(t)
			if u := mustUser(t, db, "alice"); !u.IsActive || !u.IsSuperuser {
				t.Errorf("alice after a refused %s: active %v superuser %v", tt.command, u.IsActive, u.IsSuperuser)
			}
			c.createUser(t, "createsuperuser", "root", "pw")
			c.mustRun(t, "", tt.command, "alice")
		})
	}
}

func TestHelp(t *testing.T) {
	for _, cmd := range commands() {
		for _, help := range []string{"--help", "-h"} {
			t.Run(cmd.name+" "+help, func(t *testing.T) {
				c := newTestCLI(t)
				out, stderr, err := c.run(t, "", cmd.name, help)
				if !errors.Is(err, errHelp) {
					t.Fatalf("error = %v, want errHelp", err)
				}
				checkExit(t, err, 0, "")
				if want := "usage: studentapi " + cmd.name + " [flags]"; !strings.HasPrefix(out, want) {
					t.Errorf("stdout = %q, want it to start with %q", out, want)
				}
				if !strings.Contains(out, "-config") {
					t.Errorf("stdout = %q, want it to list -config", out)
				}
				if stderr != "" {
					t.Errorf("stderr = %q, want nothing", stderr)
				}
			})
		}
	}

	t.Run("flags without a command are serve's", func(t *testing.T) {
		var out bytes.Buffer
		err := run(context.Background(), []string{"--no-migrate", "--help"}, func(string) string { return "" }, func() []string { return nil }, strings.NewReader(""), &out, &bytes.Buffer{})
		if !errors.Is(err, errHelp) {
			t.Fatalf("error = %v, want errHelp", err)
		}
		if want := "usage: studentapi serve "; !strings.HasPrefix(out.String(), want) {
			t.Errorf("stdout = %q, want it to start with %q", out.String(), want)
		}
	})
}

// --help, -h and help list the commands, each summary in one column.
func TestHelpCommand(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"-help"}, {"help"}} {
		t.Run(args[0], func(t *testing.T) {
			var out, stderr bytes.Buffer
			err := run(context.Background(), args, func(string) string { return "" }, func() []string { return nil }, strings.NewReader(""), &out, &stderr)
			checkExit(t, err, 0, "")
			lines := strings.Split(out.String(), "\n")
			column := -1
			for _, cmd := range commands() {
				i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(strings.TrimSpace(l), cmd.name+" ") })
				if i < 0 {
					t.Errorf("%s does not list %s:\n%s", args[0], cmd.name, out.String())
					continue
				}
				at := strings.Index(lines[i], cmd.summary)
				switch {
				case at < 0:
					t.Errorf("help line %q does not carry the summary %q", lines[i], cmd.summary)
				case column < 0:
					column = at
				case at != column:
					t.Errorf("help line %q: summary at column %d, want %d as the line above", lines[i], at, column)
				}
			}
			if stderr.Len() != 0 {
				t.Errorf("stderr = %q, want nothing", stderr.String())
			}
		})
	}
}

// help CMD is CMD --help.
func TestHelpForCommand(t *testing.T) {
	for _, cmd := range commands() {
		var out, stderr bytes.Buffer
		err := run(context.Background(), []string{"help", cmd.name}, func(string) string { return "" }, func() []string { return nil }, strings.NewReader(""), &out, &stderr)
		checkExit(t, err, 0, "")
		if want := "usage: studentapi " + cmd.name + " [flags]"; !strings.HasPrefix(out.String(), want) {
			t.Errorf("help %s: stdout = %q, want it to start with %q", cmd.name, out.String(), want)
		}
		if stderr.Len() != 0 {
			t.Errorf("help %s: stderr = %q, want nothing", cmd.name, stderr.String())
		}
	}
	for _, args := range [][]string{{"help", "nosuch"}, {"help", "serve", "migrate"}} {
		err := run(context.Background(), args, func(string) string { return "" }, func() []string { return nil }, strings.NewReader(""), io.Discard, io.Discard)
		checkExit(t, err, 2, "")
	}
}

// Bad input prints one line, the problem and the help command to run, and
// exits 2; the usage itself is help's to print.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // all exitCode prints; run itself prints nothing
	}{
		{"unknown command", []string{"frobnicate"}, `studentapi: unknown command "frobnicate"; run 'studentapi help'`},
		{"help for an unknown command", []string{"help", "frobnicate"}, `studentapi: unknown command "frobnicate"; run 'studentapi help'`},
		{"help for two commands", []string{"help", "serve", "migrate"}, "studentapi: help: want at most one command, got 2; run 'studentapi help'"},
		{"unknown flag", []string{"migrate", "--bogus"}, "studentapi: migrate: flag provided but not defined: -bogus; run 'studentapi help migrate'"},
		{"unknown flag and an argument", []string{"activate", "--bogus", "x"}, "studentapi: activate: flag provided but not defined: -bogus; run 'studentapi help activate'"},
		{"unknown flag without command", []string{"--bogus"}, "studentapi: serve: flag provided but not defined: -bogus; run 'studentapi help serve'"},
		{"flag without value", []string{"migrate", "--config"}, "studentapi: migrate: flag needs an argument: -config; run 'studentapi help migrate'"},
		{"migrate with argument", []string{"migrate", "now"}, "studentapi: migrate: takes no arguments, got 1; run 'studentapi help migrate'"},
		{"serve with argument", []string{"serve", "extra"}, "studentapi: serve: takes no arguments, got 1; run 'studentapi help serve'"},
		{"missing argument", []string{"deleteuser"}, "studentapi: deleteuser: want 1 argument(s) (username), got 0; run 'studentapi help deleteuser'"},
		{"bad boolean", []string{"drf_create_token", "alice", "--reset=maybe"}, `studentapi: drf_create_token: invalid boolean value "maybe" for -reset: parse error; run 'studentapi help drf_create_token'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCLI(t)
			var out, stderr bytes.Buffer
			// Without --config: a flag after a bad one is not read.
			err := run(context.Background(), tt.args, c.getenv, c.environ, strings.NewReader(""), &out, &stderr)
			var line bytes.Buffer
			if code := exitCode(err, &line); code != 2 {
				t.Errorf("exit code = %d, want 2", code)
			}
			if got := stderr.String() + line.String(); got != tt.want+"\n" {
				t.Errorf("printed %q, want the one line %q", got, tt.want+"\n")
			}
			if out.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", out.String())
			}
		})
	}
}

func TestConfigFlag(t *testing.T) {
	t.Run("missing file", func(t *testing.T) {
		c := newSQLiteCLI(t)
		var stdout bytes.Buffer
		err := run(context.Background(), []string{"migrate", "--config", "/nonexistent.yaml"}, c.getenv, c.environ, strings.NewReader(""), &stdout, &bytes.Buffer{})
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error = %v, want one wrapping fs.ErrNotExist", err)
		}
		checkExit(t, err, 1, "/nonexistent.yaml")
		if _, err := os.Stat(c.env["STUDENTAPI_DATABASE_PATH"]); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("database file exists after a config error (stat error %v)", err)
		}
	})

	t.Run("invalid file", func(t *testing.T) {
		c := newTestCLI(t)
		if err := os.WriteFile(c.config, []byte("auth:\n  bcrypt_costs: 4\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err := c.run(t, "", "migrate")
		checkExit(t, err, 1, `unknown key "auth.bcrypt_costs"`)
	})

	t.Run("file read", func(t *testing.T) {
		c := newSQLiteCLI(t)
		path := filepath.Join(c.dir, "from-file.db")
		delete(c.env, "STUDENTAPI_DATABASE_PATH")
		if err := os.WriteFile(c.config, []byte("database:\n  path: "+path+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if got, want := c.mustRun(t, "", "migrate"), "Migrated the tables (database "+path+").\n"; got != want {
			t.Errorf("stdout = %q, want %q", got, want)
		}
	})

	t.Run("environment beats file", func(t *testing.T) {
		c := newSQLiteCLI(t)
		if err := os.WriteFile(c.config, []byte("database:\n  path: /nonexistent/dir/file.db\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if got, want := c.mustRun(t, "", "migrate"), "Migrated the tables (database "+c.env["STUDENTAPI_DATABASE_PATH"]+").\n"; got != want {
			t.Errorf("stdout = %q, want %q", got, want)
		}
	})

	t.Run("invalid environment", func(t *testing.T) {
		c := newTestCLI(t)
		c.env["STUDENTAPI_AUTH_BCRYPT_COST"] = "3"
		_, _, err := c.run(t, "", "migrate")
		checkExit(t, err, 1, "auth.bcrypt_cost: 3 is out of range")
	})
}

// TestConfigFlagDefaultName checks that the default file may be missing, but
// not once it is named on the command line, even by its default name.
func TestConfigFlagDefaultName(t *testing.T) {
	c := newTestCLI(t)
	t.Chdir(t.TempDir())
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate"}, c.getenv, c.environ, strings.NewReader(""), &out, &bytes.Buffer{}); err != nil {
		t.Errorf("migrate without config.yaml: %v", err)
	}
	err := run(context.Background(), []string{"migrate", "--config", "config.yaml"}, c.getenv, c.environ, strings.NewReader(""), &out, &bytes.Buffer{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("migrate --config config.yaml without the file: error = %v, want one wrapping fs.ErrNotExist", err)
	}
}
