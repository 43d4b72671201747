package passwordvalidation_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"studentapi/internal/passwordvalidation"
)

// defaults are the four validators with Django's default options.
func defaults(t *testing.T) passwordvalidation.Validators {
	t.Helper()
	var vs passwordvalidation.Validators
	for _, name := range passwordvalidation.DefaultNames() {
		v, err := passwordvalidation.New(name, nil)
		if err != nil {
			t.Fatalf("New(%q): %v", name, err)
		}
		vs = append(vs, v)
	}
	return vs
}

func messages(err error) []string {
	var e *passwordvalidation.Error
	if errors.As(err, &e) {
		return e.Messages
	}
	if err != nil {
		return []string{"not an *Error: " + err.Error()}
	}
	return []string{}
}

// The verdicts of Django's own validate_password (testdata/django_verdicts.py
// made them), message for message and in order.
func TestDjangoVerdicts(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "django_verdicts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var verdicts struct {
		Cases []struct {
			Username, Email, Password string
			Messages                  []string
		}
	}
	if err := json.Unmarshal(data, &verdicts); err != nil {
		t.Fatal(err)
	}
	if len(verdicts.Cases) < 100 {
		t.Fatalf("%d cases, want the whole file", len(verdicts.Cases))
	}
	vs := defaults(t)
	for _, c := range verdicts.Cases {
		got := messages(vs.Validate(c.Password, passwordvalidation.User{Username: c.Username, Email: c.Email}))
		if !reflect.DeepEqual(got, c.Messages) {
			t.Errorf("user %q <%s>, password %q: got %q, want %q", c.Username, c.Email, c.Password, got, c.Messages)
		}
	}
}

// Django's own tests' examples for each validator.
func TestValidators(t *testing.T) {
	similarity, err := passwordvalidation.New("django.contrib.auth.password_validation.UserAttributeSimilarityValidator", nil)
	if err != nil {
		t.Fatal(err)
	}
	strict, err := passwordvalidation.New("UserAttributeSimilarityValidator", map[string]any{"user_attributes": []any{"username"}, "max_similarity": 1})
	if err != nil {
		t.Fatal(err)
	}
	long, err := passwordvalidation.New("MinimumLengthValidator", map[string]any{"min_length": 1})
	if err != nil {
		t.Fatal(err)
	}
	common, err := passwordvalidation.New("CommonPasswordValidator", nil)
	if err != nil {
		t.Fatal(err)
	}
	numeric, err := passwordvalidation.New("NumericPasswordValidator", nil)
	if err != nil {
		t.Fatal(err)
	}
	testclient := passwordvalidation.User{Username: "testclient", Email: "testclient@example.com"}
	for _, tt := range []struct {
		name     string
		v        passwordvalidation.Validator
		password string
		user     passwordvalidation.User
		want     string
	}{
		{"similar to the username", similarity, "testclient", testclient, "The password is too similar to the username."},
		{"similar to the email's domain", similarity, "example.com", testclient, "The password is too similar to the email address."},
		{"not similar", similarity, "xyzzy-plugh-42", testclient, ""},
		{"max_similarity 1 needs all the letters", strict, "clienttest", testclient, "The password is too similar to the username."},
		{"max_similarity 1, one letter off", strict, "testclien", testclient, ""},
		{"email not compared when left out", strict, "example.com", testclient, ""},
		{"one character", long, "", testclient, "This password is too short. It must contain at least 1 character."},
		{"common", common, "password", testclient, "This password is too common."},
		{"common, case and spaces ignored", common, " PassWord\t", testclient, "This password is too common."},
		{"not common", common, "x7Gq!pZr2", testclient, ""},
		{"numeric", numeric, "42424242", testclient, "This password is entirely numeric."},
		{"superscripts are digits to Python", numeric, "²³", testclient, "This password is entirely numeric."},
		{"not only digits", numeric, "4242424a", testclient, ""},
		{"empty is not numeric", numeric, "", testclient, ""},
	} {
		got := ""
		if err := tt.v.Validate(tt.password, tt.user); err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s: Validate(%q) = %q, want %q", tt.name, tt.password, got, tt.want)
		}
	}
}

// Options are Django's; anything else is refused with a message naming it.
func TestNewRefuses(t *testing.T) {
	for _, tt := range []struct {
		name    string
		options map[string]any
		want    string
	}{
		{"LengthValidator", nil, `unknown validator "LengthValidator"`},
		{"MinimumLengthValidator", map[string]any{"length": 3}, `unknown option "length"`},
		{"MinimumLengthValidator", map[string]any{"min_length": "3"}, "min_length must be an integer"},
		{"NumericPasswordValidator", map[string]any{"x": 1}, "takes no options"},
		{"UserAttributeSimilarityValidator", map[string]any{"max_similarity": 0.05}, "at least 0.1"},
		{"CommonPasswordValidator", map[string]any{"password_list_path": "/nonexistent"}, "no such file"},
	} {
		_, err := passwordvalidation.New(tt.name, tt.options)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%q, %v) = %v, want an error with %q", tt.name, tt.options, err, tt.want)
		}
	}
}

// password_list_path reads a plain list as well as a gzipped one.
func TestCommonPasswordFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(path, []byte("hunter2\n  swordfish  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := passwordvalidation.New("CommonPasswordValidator", map[string]any{"password_list_path": path})
	if err != nil {
		t.Fatal(err)
	}
	for password, want := range map[string]bool{"hunter2": true, "SWORDFISH": true, "password": false} {
		if got := v.Validate(password, passwordvalidation.User{}) != nil; got != want {
			t.Errorf("%q refused = %v, want %v", password, got, want)
		}
	}
}

// An empty list accepts anything, as an empty AUTH_PASSWORD_VALIDATORS does.
func TestNoValidators(t *testing.T) {
	if err := (passwordvalidation.Validators{}).Validate("1", passwordvalidation.User{Username: "1"}); err != nil {
		t.Errorf("empty list refused: %v", err)
	}
}

// The defaults are handed out as new slices, and a validator keeps its own
// copy of its attributes: what one caller does with its slice changes no
// other caller's and no validator's verdict.
func TestDefaultsAreNotShared(t *testing.T) {
	names := passwordvalidation.DefaultNames()
	names[0] = "changed"
	if got := passwordvalidation.DefaultNames()[0]; got != "UserAttributeSimilarityValidator" {
		t.Errorf("DefaultNames()[0] after a caller changed its copy = %q", got)
	}
	attrs := passwordvalidation.DefaultUserAttributes()
	attrs[0] = "email"
	if got := passwordvalidation.DefaultUserAttributes(); !reflect.DeepEqual(got, []string{"username", "email"}) {
		t.Errorf("DefaultUserAttributes() after a caller changed its copy = %q", got)
	}

	own := []string{"username"}
	v, err := passwordvalidation.NewUserAttributeSimilarity(own, 0.7)
	if err != nil {
		t.Fatal(err)
	}
	own[0] = "email"
	u := passwordvalidation.User{Username: "marguerite", Email: "x@example.com"}
	if err := v.Validate("marguerite", u); err == nil {
		t.Errorf("Validate(the username) = nil after the caller changed its attribute slice; the validator must keep its own")
	}
}
