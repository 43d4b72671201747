package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"studentapi/auth"
	"studentapi/internal/groupcommit"
	"studentapi/internal/logbuf"
	"studentapi/internal/requestid"
	"studentapi/models"
)

// errHelp is returned after --help printed the usage: not a failure.
var errHelp = errors.New("help requested")

// usageError is a command line that does not parse.
type usageError struct {
	msg string
	// help is the command that shows the usage ("studentapi help serve"),
	// named after msg on the one line a usage error prints; run sets it.
	help string
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

// withHelp names, in err if it is a usage error that names none yet, the
// help command to run; other errors pass through.
func withHelp(err error, help string) error {
	var usage *usageError
	if errors.As(err, &usage) && usage.help == "" {
		usage.help = help
	}
	return err
}

// env is what every command gets from run: the process's environment (or a
// test's), read one variable at a time or listed whole.
type env struct {
	getenv  func(string) string
	environ func() []string // "KEY=value" lines, as os.Environ
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
}

// command is one subcommand: its flags are defined by setup on a fresh FlagSet,
// which also returns the function that runs it with the positional arguments.
type command struct {
	name    string
	args    string // positional arguments, for the usage line
	summary string
	setup   func(fs *flag.FlagSet, cfg *configFlags) func(ctx context.Context, e env, args []string) error
}

// configFlags are the flags every command shares.
type configFlags struct {
	path     string
	explicit bool // --config was given, so the file must exist
}

func commands() []command {
	return []command{
		{"serve", "", "serve the API (the default command)", serveCommand},
		{"migrate", "", "create or update the database tables", migrateCommand},
		{"createsuperuser", "", "create a user with every permission", createUserCommand(true)},
		{"createuser", "", "create an ordinary user", createUserCommand(false)},
		{"drf_create_token", "<username>", "print the user's token, creating it if needed (-r replaces it)", createTokenCommand},
		{"changepassword", "<username>", "set a user's password", changePasswordCommand},
		{"activate", "<username>", "let a user log in and use its token again", setActiveCommand(true)},
		{"deactivate", "<username>", "refuse a user's logins and token", setActiveCommand(false)},
		{"deleteuser", "<username>", "delete a user, its token and its admin sessions", deleteUserCommand},
		{"backup", "<file>", "copy the SQLite database into a new file, also while a server writes to it", backupCommand},
		{"restore", "<file>", "replace the SQLite database with a backup (stop every server first)", restoreCommand},
		{"loaddata", "<file>...", "load Django fixtures (manage.py dumpdata's JSON; - for stdin): users, tokens, students", loaddataCommand},
		{"dumpdata", "", "write the users, tokens and students as a fixture for Django's manage.py loaddata", dumpdataCommand},
		{"gencert", "", "write a self-signed TLS certificate and key for localhost", gencertCommand},
		{"spectacular", "", "write the OpenAPI document of the API, as served at /schema/", spectacularCommand},
	}
}

// run is the whole program: main only supplies the process's environment.
func run(ctx context.Context, args []string, getenv func(string) string, environ func() []string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, environ: environ, stdin: stdin, stdout: stdout, stderr: stderr}
	name := "serve"
	switch {
	case len(args) == 0:
	case args[0] == "--help" || args[0] == "-help" || args[0] == "-h":
		printCommands(stdout)
		return errHelp
	case !strings.HasPrefix(args[0], "-"):
		name, args = args[0], args[1:]
	}
	if name == "help" {
		switch len(args) {
		case 0:
			printCommands(stdout)
			return nil
		case 1:
			return run(ctx, []string{args[0], "--help"}, getenv, environ, stdin, stdout, stderr)
		}
		return withHelp(usagef("help: want at most one command, got %d", len(args)), "studentapi help")
	}
	for _, cmd := range commands() {
		if cmd.name != name {
			continue
		}
		help := "studentapi help " + cmd.name
		fs := flag.NewFlagSet("studentapi "+cmd.name, flag.ContinueOnError)
		// The flag package prints the usage itself, on -h as on a bad flag: hold
		// it, for stdout on -h; a bad flag is the one line exitCode prints.
		var parseOut bytes.Buffer
		fs.SetOutput(&parseOut)
		cfg := &configFlags{}
		fs.StringVar(&cfg.path, "config", "config.yaml", "path of the config file")
		exec := cmd.setup(fs, cfg)
		fs.Usage = func() {
			fmt.Fprintf(fs.Output(), "usage: studentapi %s\n\n%s.\n\nflags:\n", strings.TrimSpace(cmd.name+" [flags] "+cmd.args), cmd.summary)
			fs.PrintDefaults()
		}
		positional, err := parseInterspersed(fs, args)
		if errors.Is(err, flag.ErrHelp) {
			parseOut.WriteTo(stdout)
			return errHelp
		}
		if err != nil {
			return withHelp(usagef("%s: %v", cmd.name, err), help)
		}
		fs.Visit(func(f *flag.Flag) { cfg.explicit = cfg.explicit || f.Name == "config" })
		return withHelp(exec(ctx, e, positional), help)
	}
	return withHelp(usagef("unknown command %q", name), "studentapi help")
}

// parseInterspersed lets flags come after positional arguments, as in
// "drf_create_token alice -r", which the flag package alone would not read.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// printCommands is the answer to --help, -h and help: every command with its
// summary, in two aligned columns.
func printCommands(w io.Writer) {
	fmt.Fprint(w, "usage: studentapi [command] [flags] [arguments]\n\n"+
		"With no command, studentapi serves. Every command takes --config path and\n"+
		"--help; \"studentapi help <command>\" shows a command's flags.\n\ncommands:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	tw.Flush()
}

// exactArgs checks the number of positional arguments.
func exactArgs(cmd string, args []string, names ...string) error {
	switch {
	case len(args) == len(names):
		return nil
	case len(names) == 0:
		return usagef("%s: takes no arguments, got %d", cmd, len(args))
	}
	return usagef("%s: want %d argument(s) (%s), got %d", cmd, len(names), strings.Join(names, " "), len(args))
}

// load reads the config file named by --config (or the default one) and the
// environment.
func (f *configFlags) load(e env) (Config, error) {
	return LoadConfig(f.path, f.explicit, e.environ())
}

// newLogger writes text lines at the configured level, held briefly by w.
func newLogger(w *logbuf.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	// Every value is cut to logbuf.MaxValue bytes: no line grows with what a
	// client sent. A line written with a request's context names the request
	// (package requestid).
	text := slog.NewTextHandler(w, &slog.HandlerOptions{Level: l, ReplaceAttr: logbuf.BoundAttr})
	return slog.New(requestid.Handler(logbuf.Handler(text, w, slog.LevelWarn)))
}

// logBufferSize is how much serve's log holds before writing, whatever
// log_flush_interval says: 64 KiB is some 600 access-log lines.
const logBufferSize = 64 << 10

// openDB opens the configured database with the keyring made from the secret
// key (see loadSecretKey), which every command needs to read or write tokens,
// and wires the token receiver when the config asks for it, so every command
// that creates a user gives it a token. It returns where the secret came from
// for serve to report. onCommit, for serve's metrics, is told of each SQLite
// group commit; nil for none.
func openDB(cfg Config, logw io.Writer, onCommit groupcommit.Observer) (*models.DB, secretKey, error) {
	secret, err := loadSecretKey(cfg)
	if err != nil {
		return nil, secretKey{}, err
	}
	keys, err := auth.NewKeyring(secret.value)
	if err != nil {
		return nil, secretKey{}, fmt.Errorf("auth.secret_key: %w", err)
	}
	db, err := models.Connect(dbSource(cfg), models.Options{Keys: keys, Log: logw, LogQueries: cfg.LogLevel == "debug", QueryTimeout: cfg.Database.QueryTimeout, OnCommit: onCommit})
	if err != nil {
		return nil, secretKey{}, err
	}
	if cfg.Auth.CreateTokenOnUserCreate {
		auth.ConnectTokenReceiver(db.Signals)
	}
	return db, secret, nil
}

// dbSource is the database section of cfg as models takes it.
func dbSource(cfg Config) models.Source {
	d := cfg.Database
	return models.Source{
		Driver:      d.Driver,
		Path:        d.Path,
		DSN:         d.DSN,
		Synchronous: d.SQLite.Synchronous,
		MaxSize:     d.SQLite.MaxSize,
		Pool:        models.Pool(d.Pool),
	}
}

// databaseName names cfg's database in the line a command prints when it
// is done: the SQLite file as an absolute path, since a relative one is
// another file in another directory, or the DSN without its password.
func databaseName(cfg Config) string {
	src := dbSource(cfg)
	if src.Driver != models.DriverPostgres {
		if abs, err := filepath.Abs(src.Path); err == nil {
			src.Path = abs
		}
	}
	return src.String()
}

// newAuthenticator reads tokens after the configured keywords and expires
// them as configured, for serve and for the commands that hand out tokens
// alike; observe (the server's metrics) is told how each authentication
// ended, and may be nil.
func newAuthenticator(cfg Config, db *models.DB, observe func(auth.Outcome), log *slog.Logger) *auth.Authenticator {
	kw := cfg.Auth.Keywords // Validate has checked there is one
	return auth.New(db, kw[0], cfg.Auth.BcryptCost, auth.Options{
		TTL: cfg.Auth.TokenTTL, Refresh: cfg.Auth.TokenRefresh, ExtraKeywords: kw[1:],
		Observe: observe, Log: log, MaxHashes: cfg.Auth.MaxConcurrentHashes,
	})
}

// withDB loads the config, opens and migrates the database, runs fn, and closes it.
func withDB(ctx context.Context, e env, cf *configFlags, fn func(cfg Config, db *models.DB) error) error {
	cfg, err := cf.load(e)
	if err != nil {
		return err
	}
	return withConfigDB(ctx, e, cfg, func(db *models.DB) error { return fn(cfg, db) })
}

// withConfigDB is withDB for a command that loaded cfg itself, to use it
// before the database is opened.
func withConfigDB(ctx context.Context, e env, cfg Config, fn func(db *models.DB) error) error {
	// Commands report their own errors in one line; the query log would repeat them.
	db, secret, err := openDB(cfg, io.Discard, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	secret.reportCreated(e.stderr, cfg.LogLevel)
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	return inDatabase(fn(db), cfg)
}

// inDatabase names cfg's database in a command's error, once the database
// is open: a command run from another directory opens (and creates) another
// database, and naming it makes "user does not exist" tell why. Usage
// errors are about the command line, not the database, and stay as they are.
func inDatabase(err error, cfg Config) error {
	var usage *usageError
	if err == nil || errors.As(err, &usage) {
		return err
	}
	return fmt.Errorf("%w (database %s)", err, databaseName(cfg))
}
