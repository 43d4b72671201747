package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/term"

	"studentapi/internal/fixtures"
	"studentapi/internal/passwords"
	"studentapi/models"
)

// loaddataCommand reads Django fixtures (manage.py dumpdata) into the
// database, in one transaction (see internal/fixtures).
func loaddataCommand(fs *flag.FlagSet, cf *configFlags) func(context.Context, env, []string) error {
	studentModel := fs.String("student-model", "", "the label of the Django project's Student model (api.student), needed when a fixture has two *.student models")
	unusable := fs.Bool("unusable-unknown-hashes", false, "import users whose password hash has an unknown algorithm with an unusable password, instead of refusing the fixture")
	return func(ctx context.Context, e env, args []string) error {
		if len(args) == 0 {
			return usagef("loaddata: want at least one fixture file (- for standard input)")
		}
		var sources []fixtures.Source
		for _, name := range args {
			if name == "-" {
				sources = append(sources, fixtures.Source{Name: "<stdin>", R: e.stdin})
				continue
			}
			f, err := os.Open(name)
			if err != nil {
				return fmt.Errorf("loaddata: %w", err)
			}
			defer f.Close()
			sources = append(sources, fixtures.Source{Name: name, R: f})
		}
		return withDB(ctx, e, cf, func(cfg Config, db *models.DB) error {
			opts := fixtures.Options{
				StudentModel:          strings.ToLower(*studentModel),
				KnownHash:             passwords.Known,
				UnusableUnknownHashes: *unusable,
				Progress:              progressLine(e.stderr),
			}
			rep, err := fixtures.Load(ctx, db, sources, opts)
			if err != nil {
				return fmt.Errorf("loaddata: nothing was loaded: %w", err)
			}
			for _, model := range sortedKeys(rep.Ignored) {
				fmt.Fprintf(e.stderr, "ignored fields of %s: %s\n", model, strings.Join(rep.Ignored[model], ", "))
			}
			for _, model := range sortedKeys(rep.Skipped) {
				fmt.Fprintf(e.stderr, "skipped %d record(s) of %s\n", rep.Skipped[model], model)
			}
			if rep.NUnusable > 0 {
				names := strings.Join(rep.Unusable, ", ")
				if rep.NUnusable > int64(len(rep.Unusable)) {
					names += fmt.Sprintf(" and %d more", rep.NUnusable-int64(len(rep.Unusable)))
				}
				fmt.Fprintf(e.stderr, "%d user(s) had a password hash of an unknown algorithm and now have an unusable password (set one with changepassword): %s\n", rep.NUnusable, names)
			}
			students := ""
			if rep.StudentModel != "" {
				students = " (" + rep.StudentModel + ")"
			}
			fmt.Fprintf(e.stdout, "Installed %d user(s), %d token(s) and %d student(s)%s from %d fixture(s) (database %s).\n",
				rep.Users, rep.Tokens, rep.Students, students, len(sources), databaseName(cfg))
			return nil
		})
	}
}

// progressLine returns the Progress of a load that rewrites one line of a
// terminal, or nil when w is not one: a log file gets only the summary.
func progressLine(w io.Writer) func(int64, bool) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	shown := false
	return func(n int64, done bool) {
		switch {
		case !shown && done:
			return // a small load ends before a line is worth it
		case done:
			fmt.Fprintf(w, "\rloading: %d records read\n", n)
		default:
			shown = true
			fmt.Fprintf(w, "\rloading: %d records read", n)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// credentialsWarning is what dumpdata says on stderr every time.
const credentialsWarning = "dumpdata: the fixture holds live credentials (every token key in the clear, every password hash): keep it private and delete it once loaded"

// dumpdataCommand writes the users, tokens and students as a Django
// fixture for manage.py loaddata.
func dumpdataCommand(fs *flag.FlagSet, cf *configFlags) func(context.Context, env, []string) error {
	output := fs.String("output", "", "write the fixture to this file (mode 0600) instead of standard output")
	fs.StringVar(output, "o", "", "same as --output")
	natural := fs.Bool("natural-foreign", false, `write a token's user as ["username"], as Django's dumpdata --natural-foreign`)
	studentModel := fs.String("student-model", fixtures.DefaultStudentModel, "the label of the Django project's Student model")
	force := fs.Bool("force", false, "replace the --output file if it exists")
	return func(ctx context.Context, e env, args []string) error {
		if err := exactArgs("dumpdata", args); err != nil {
			return err
		}
		if *studentModel == "" || !strings.Contains(*studentModel, ".") {
			return usagef("dumpdata: --student-model: want app_label.model, e.g. %s", fixtures.DefaultStudentModel)
		}
		if _, err := os.Lstat(*output); err == nil && !*force && *output != "-" {
			return fmt.Errorf("dumpdata: %s exists; remove it or pass --force", *output)
		}
		return withDB(ctx, e, cf, func(cfg Config, db *models.DB) error {
			opts := fixtures.DumpOptions{StudentModel: strings.ToLower(*studentModel), NaturalForeign: *natural}
			fmt.Fprintln(e.stderr, credentialsWarning)
			if *output == "" || *output == "-" {
				rep, err := fixtures.Dump(ctx, db, e.stdout, opts)
				if err != nil {
					return err
				}
				dumped(e.stderr, rep, "standard output")
				return nil
			}
			rep, err := dumpToFile(ctx, db, *output, *force, opts)
			if err != nil {
				return err
			}
			dumped(e.stderr, rep, *output)
			return nil
		})
	}
}

// dumpToFile writes the fixture to a new file beside path, mode 0600 from
// the start, and puts it in place only once complete: a failed dump leaves
// no half fixture, and an existing file is replaced only with force.
func dumpToFile(ctx context.Context, db *models.DB, path string, force bool, opts fixtures.DumpOptions) (fixtures.DumpReport, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp") // mode 0600
	if err != nil {
		return fixtures.DumpReport{}, fmt.Errorf("dumpdata: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone by then once linked or renamed
	rep, err := fixtures.Dump(ctx, db, tmp, opts)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return rep, err
	}
	if force {
		err = os.Rename(tmp.Name(), path)
	} else {
		// A link fails if path appeared meanwhile, where a rename would
		// replace it.
		err = os.Link(tmp.Name(), path)
		if errors.Is(err, fs.ErrExist) {
			err = fmt.Errorf("%s exists; remove it or pass --force", path)
		}
	}
	if err != nil {
		return rep, fmt.Errorf("dumpdata: %w", err)
	}
	return rep, nil
}

func dumped(w io.Writer, rep fixtures.DumpReport, where string) {
	fmt.Fprintf(w, "Dumped %d user(s), %d token(s) and %d student(s) to %s.\n", rep.Users, rep.Tokens, rep.Students, where)
	if rep.Unreadable > 0 {
		fmt.Fprintf(w, "dumpdata: left out %d token(s) whose key cannot be opened with this secret key (was auth.secret_key changed?); they authenticate nobody\n", rep.Unreadable)
	}
}
