package auth_test

import (
	"testing"
	"time"

	"studentapi/auth"
)

// Options.Observe is told how every Authenticate ended, each failure apart,
// though the client sees an expired token as an invalid one.
func TestObserveOutcome(t *testing.T) {
	db := newDB(t)
	var got []auth.Outcome
	a := auth.New(db, "Token", testCost, auth.Options{Observe: func(o auth.Outcome) { got = append(got, o) }})
	good := tokenFor(t, a, newUser(t, db, "alice", true))
	inactive := tokenFor(t, a, newUser(t, db, "bob", false))
	expiring := auth.New(db, "Token", testCost, auth.Options{TTL: time.Nanosecond, Observe: func(o auth.Outcome) { got = append(got, o) }})
	time.Sleep(time.Millisecond) // past the TTL, at the clock's microsecond resolution
	for _, tt := range []struct {
		name   string
		a      *auth.Authenticator
		header []string
		want   auth.Outcome
	}{
		{"good token", a, header(good), auth.OutcomeOK},
		{"no header", a, nil, auth.OutcomeMissing},
		{"another scheme", a, []string{"Bearer " + good}, auth.OutcomeMissing},
		{"keyword alone", a, []string{"Token"}, auth.OutcomeInvalid},
		{"spaces in the key", a, []string{"Token a b"}, auth.OutcomeInvalid},
		{"malformed key", a, header("not-a-key"), auth.OutcomeInvalid},
		{"unknown key", a, header("0123456789abcdef0123456789abcdef01234567"), auth.OutcomeInvalid},
		{"inactive user", a, header(inactive), auth.OutcomeInactive},
		{"expired token", expiring, header(good), auth.OutcomeExpired},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got = got[:0]
			_, _ = tt.a.Authenticate(t.Context(), tt.header) // the outcome is what is tested
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("observed %v, want [%v]", got, tt.want)
			}
		})
	}
	db.Close()
	got = got[:0]
	if _, err := a.Authenticate(t.Context(), header(good)); err == nil {
		t.Fatal("Authenticate on a closed database: no error")
	}
	if len(got) != 1 || got[0] != auth.OutcomeError {
		t.Errorf("closed database: observed %v, want [error]", got)
	}
}

// Each outcome has its own label.
func TestOutcomeString(t *testing.T) {
	seen := map[string]bool{}
	for _, o := range auth.Outcomes() {
		s := o.String()
		if s == "" || seen[s] {
			t.Errorf("Outcome(%d).String() = %q, empty or repeated", o, s)
		}
		seen[s] = true
	}
	if want := 6; len(seen) != want {
		t.Errorf("%d outcomes, want %d", len(seen), want)
	}
}
