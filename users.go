package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"studentapi/auth"
	"studentapi/internal/passwordvalidation"
	"studentapi/models"
)

// passwordEnv carries the password for --noinput, so it never shows in ps.
const passwordEnv = "STUDENTAPI_PASSWORD"

func createUserCommand(superuser bool) func(*flag.FlagSet, *configFlags) func(context.Context, env, []string) error {
	return func(fs *flag.FlagSet, cf *configFlags) func(context.Context, env, []string) error {
		username := fs.String("username", "", "the new user's username")
		email := fs.String("email", "", "the new user's email address")
		var noInput bool
		fs.BoolVar(&noInput, "noinput", false, "ask nothing: take --username, --email and the password from $"+passwordEnv)
		fs.BoolVar(&noInput, "no-input", false, "same as --noinput")
		name := strings.TrimPrefix(fs.Name(), "studentapi ")
		return func(ctx context.Context, e env, args []string) error {
			if err := exactArgs(name, args); err != nil {
				return err
			}
			if noInput && *username == "" {
				return usagef("%s: --username is required with --noinput", name)
			}
			// The configuration first: the password validators judge what is
			// asked below, before the database is opened.
			cfg, err := cf.load(e)
			if err != nil {
				return err
			}
			validators, err := cfg.passwordValidators()
			if err != nil {
				return err
			}
			p := newPrompter(e)
			var password string
			if noInput {
				password = e.getenv(passwordEnv)
				if password == "" {
					return usagef("%s: set %s to the password when using --noinput", name, passwordEnv)
				}
			} else {
				if *username == "" {
					if *username, err = p.username(); err != nil {
						return err
					}
				}
				if *email == "" {
					if *email, err = p.email(); err != nil {
						return err
					}
				}
			}
			// Checked as CreateUser will store it, before the database is opened.
			*username = models.NormalizeUsername(*username)
			if err := models.ValidateUsername(*username); err != nil {
				return err
			}
			if err := models.ValidateEmail(*email); err != nil {
				return err
			}
			who := passwordvalidation.User{Username: *username, Email: *email}
			if noInput {
				if err := validators.Validate(password, who); err != nil {
					return refusedPassword(err)
				}
			} else if password, err = p.newPassword(validators, who); err != nil {
				return err
			}
			return withConfigDB(ctx, e, cfg, func(db *models.DB) error {
				u := &models.User{
					Username: *username, Email: *email, IsActive: true,
					IsStaff: superuser, IsSuperuser: superuser, DateJoined: time.Now().UTC(),
				}
				if err := u.SetPassword(password, cfg.Auth.BcryptCost); err != nil {
					return err
				}
				if err := db.CreateUser(ctx, u); err != nil {
					if errors.Is(err, models.ErrDuplicate) {
						return fmt.Errorf("that username is already taken: %q", *username)
					}
					return err
				}
				kind := "User"
				if superuser {
					kind = "Superuser"
				}
				fmt.Fprintf(e.stdout, "%s %q created successfully (database %s).\n", kind, u.Username, databaseName(cfg))
				return nil
			})
		}
	}
}

// refusedPassword words the validators' refusal of a password given
// without a prompt, with every message.
func refusedPassword(err error) error {
	return fmt.Errorf("password refused by auth.password_validators: %w", err)
}

func createTokenCommand(fs *flag.FlagSet, cf *configFlags) func(context.Context, env, []string) error {
	var reset bool
	fs.BoolVar(&reset, "r", false, "replace the user's token with a new one")
	fs.BoolVar(&reset, "reset", false, "same as -r")
	return func(ctx context.Context, e env, args []string) error {
		if err := exactArgs("drf_create_token", args, "username"); err != nil {
			return err
		}
		username := args[0]
		return withDB(ctx, e, cf, func(cfg Config, db *models.DB) error {
			u, err := db.UserByUsername(ctx, username)
			if errors.Is(err, models.ErrNotFound) {
				return fmt.Errorf("cannot create the token: user %q does not exist", username)
			}
			if err != nil {
				return err
			}
			var t *models.Token
			if reset {
				key, err := auth.GenerateKey()
				if err != nil {
					return err
				}
				t, err = db.ReplaceToken(ctx, u.ID, key)
				if err != nil {
					return err
				}
			} else {
				// As a login does: a token that expired, or whose key cannot be
				// opened since the secret key changed, is replaced, so the
				// command prints a key that works instead of failing.
				if t, err = newAuthenticator(cfg, db, nil, nil).TokenFor(ctx, u); err != nil {
					return err
				}
			}
			fmt.Fprintf(e.stdout, "Generated token %s for user %s (database %s)\n", t.Key, u.Username, databaseName(cfg))
			return nil
		})
	}
}

func changePasswordCommand(fs *flag.FlagSet, cf *configFlags) func(context.Context, env, []string) error {
	// --no-input as createsuperuser's alias (Django's changepassword has
	// neither): every command that takes --noinput takes both spellings.
	var noInput bool
	fs.BoolVar(&noInput, "noinput", false, "take the new password from $"+passwordEnv)
	fs.BoolVar(&noInput, "no-input", false, "same as --noinput")
	return func(ctx context.Context, e env, args []string) error {
		if err := exactArgs("changepassword", args, "username"); err != nil {
			return err
		}
		return withDB(ctx, e, cf, func(cfg Config, db *models.DB) error {
			u, err := findUser(ctx, db, args[0])
			if err != nil {
				return err
			}
			validators, err := cfg.passwordValidators()
			if err != nil {
				return err
			}
			who := passwordvalidation.User{Username: u.Username, Email: u.Email}
			var password string
			if noInput {
				if password = e.getenv(passwordEnv); password == "" {
					return usagef("changepassword: set %s to the password when using --noinput", passwordEnv)
				}
				if err := validators.Validate(password, who); err != nil {
					return refusedPassword(err)
				}
			} else {
				fmt.Fprintf(e.stdout, "Changing password for user %q\n", u.Username)
				if password, err = newPrompter(e).changedPassword(validators, who); err != nil {
					return err
				}
			}
			hash, err := models.HashPassword(password, cfg.Auth.BcryptCost)
			if err != nil {
				return err
			}
			// The password alone, whatever else changed while we asked; it
			// ends the user's admin sessions.
			if err := db.ChangeUser(ctx, u.ID, models.UserChange{Password: &hash}); err != nil {
				return userGone(err, u.Username)
			}
			fmt.Fprintf(e.stdout, "Password changed successfully for user %q (database %s)\n", u.Username, databaseName(cfg))
			return nil
		})
	}
}

func setActiveCommand(active bool) func(*flag.FlagSet, *configFlags) func(context.Context, env, []string) error {
	return func(fs *flag.FlagSet, cf *configFlags) func(context.Context, env, []string) error {
		name := strings.TrimPrefix(fs.Name(), "studentapi ")
		return func(ctx context.Context, e env, args []string) error {
			if err := exactArgs(name, args, "username"); err != nil {
				return err
			}
			return withDB(ctx, e, cf, func(cfg Config, db *models.DB) error {
				u, err := findUser(ctx, db, args[0])
				if err != nil {
					return err
				}
				// Deactivating ends the user's admin sessions.
				if err := db.ChangeUser(ctx, u.ID, models.UserChange{IsActive: &active}); err != nil {
					return lastSuperuser(userGone(err, u.Username), "deactivate", u.Username)
				}
				state := "deactivated"
				if active {
					state = "activated"
				}
				fmt.Fprintf(e.stdout, "User %q %s (database %s).\n", u.Username, state, databaseName(cfg))
				return nil
			})
		}
	}
}

func deleteUserCommand(fs *flag.FlagSet, cf *configFlags) func(context.Context, env, []string) error {
	return func(ctx context.Context, e env, args []string) error {
		if err := exactArgs("deleteuser", args, "username"); err != nil {
			return err
		}
		return withDB(ctx, e, cf, func(cfg Config, db *models.DB) error {
			if err := db.DeleteUser(ctx, args[0]); err != nil {
				if errors.Is(err, models.ErrNotFound) {
					return fmt.Errorf("user %q does not exist", args[0])
				}
				return lastSuperuser(err, "delete", args[0])
			}
			fmt.Fprintf(e.stdout, "User %q, its token and its admin sessions deleted (database %s).\n", args[0], databaseName(cfg))
			return nil
		})
	}
}

func findUser(ctx context.Context, db *models.DB, username string) (*models.User, error) {
	u, err := db.UserByUsername(ctx, username)
	if err != nil {
		return nil, userGone(err, username)
	}
	return u, nil
}

// userGone words ErrNotFound from a write to a user found a moment before
// (deleted meanwhile) as findUser does.
func userGone(err error, username string) error {
	if errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("user %q does not exist", username)
	}
	return err
}

// lastSuperuser words models.ErrLastSuperuser from a command that would
// have left nobody to run the admin site, saying what to do instead; other
// errors pass through.
func lastSuperuser(err error, verb, username string) error {
	if errors.Is(err, models.ErrLastSuperuser) {
		return fmt.Errorf("cannot %s %q: it is the last active superuser (create another with createsuperuser first)", verb, username)
	}
	return err
}

// prompter asks questions on stdout and reads answers from stdin: passwords
// without echo on a terminal, plain lines otherwise (so scripts can pipe them).
type prompter struct {
	e  env
	in *bufio.Reader
}

func newPrompter(e env) *prompter { return &prompter{e: e, in: bufio.NewReader(e.stdin)} }

func (p *prompter) line(prompt string) (string, error) {
	fmt.Fprint(p.e.stdout, prompt)
	s, err := p.in.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && s != "") {
		return "", fmt.Errorf("read %s: no input", strings.TrimSuffix(strings.TrimSpace(prompt), ":"))
	}
	return strings.TrimRight(s, "\r\n"), nil
}

func (p *prompter) secret(prompt string) (string, error) {
	if f, ok := p.e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(p.e.stdout, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(p.e.stdout)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(b), nil
	}
	return p.line(prompt)
}

// username asks until the answer is a username, refusing a blank one
// before anything else is asked, as Django's createsuperuser does.
func (p *prompter) username() (string, error) {
	for {
		name, err := p.line("Username: ")
		if err != nil {
			return "", err
		}
		name = models.NormalizeUsername(name)
		switch {
		case name == "":
			fmt.Fprintln(p.e.stderr, "Error: This field cannot be blank.")
		case models.ValidateUsername(name) != nil:
			fmt.Fprintln(p.e.stderr, "Error: Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.")
		default:
			return name, nil
		}
	}
}

// email asks until the answer is an email address or blank (the address is
// optional, as in Django).
func (p *prompter) email() (string, error) {
	for {
		email, err := p.line("Email address: ")
		if err != nil {
			return "", err
		}
		if models.ValidateEmail(email) == nil {
			return email, nil
		}
		fmt.Fprintln(p.e.stderr, "Error: Enter a valid email address.")
	}
}

// twice asks for a password and its confirmation.
func (p *prompter) twice() (first, second string, err error) {
	if first, err = p.secret("Password: "); err != nil {
		return "", "", err
	}
	if second, err = p.secret("Password (again): "); err != nil {
		return "", "", err
	}
	return first, second, nil
}

// newPassword asks for a new user's password until it is given twice alike,
// is not blank, and passes the validators, or the answer to Django's
// "Bypass password validation" question is y: createsuperuser's loop.
func (p *prompter) newPassword(validators passwordvalidation.Validators, u passwordvalidation.User) (string, error) {
	for {
		first, second, err := p.twice()
		if err != nil {
			return "", err
		}
		switch {
		case first != second:
			fmt.Fprintln(p.e.stderr, "Error: Your passwords didn't match.")
			continue
		case strings.TrimSpace(first) == "":
			fmt.Fprintln(p.e.stderr, "Error: Blank passwords aren't allowed.")
			continue
		}
		var refused *passwordvalidation.Error
		if err := validators.Validate(first, u); errors.As(err, &refused) {
			fmt.Fprintln(p.e.stderr, strings.Join(refused.Messages, "\n"))
			answer, err := p.line("Bypass password validation and create user anyway? [y/N]: ")
			if err != nil {
				return "", err
			}
			if strings.ToLower(answer) != "y" {
				continue
			}
		} else if err != nil {
			return "", err
		}
		return first, nil
	}
}

// changePasswordTries is how many times changepassword asks, as Django's
// MAX_TRIES.
const changePasswordTries = 3

// changedPassword asks for a user's new password as Django's changepassword
// does: up to three times, each mismatch or refusal counting, with no way
// to bypass the validators.
func (p *prompter) changedPassword(validators passwordvalidation.Validators, u passwordvalidation.User) (string, error) {
	for range changePasswordTries {
		first, second, err := p.twice()
		if err != nil {
			return "", err
		}
		if first != second {
			fmt.Fprintln(p.e.stdout, "Passwords do not match. Please try again.")
			continue
		}
		var refused *passwordvalidation.Error
		if err := validators.Validate(first, u); errors.As(err, &refused) {
			fmt.Fprintln(p.e.stderr, strings.Join(refused.Messages, "\n"))
			continue
		} else if err != nil {
			return "", err
		}
		if first == "" {
			// Django would set an empty password; this service refuses one.
			fmt.Fprintln(p.e.stderr, "Error: Blank passwords aren't allowed.")
			continue
		}
		return first, nil
	}
	return "", fmt.Errorf("aborting password change for user %q after %d attempts", u.Username, changePasswordTries)
}
