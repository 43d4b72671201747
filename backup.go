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

	"studentapi/models"
)

// backupCommand copies the SQLite database, while a server may be serving
// from it, into a new file (see models.DB.Backup).
func backupCommand(_ *flag.FlagSet, cf *configFlags) func(context.Context, env, []string) error {
	return func(ctx context.Context, e env, args []string) error {
		if err := exactArgs("backup", args, "FILE"); err != nil {
			return err
		}
		cfg, err := cf.load(e)
		if err != nil {
			return err
		}
		if err := sqliteOnly(cfg, "backup"); err != nil {
			return err
		}
		// Opening a missing database would create an empty one, and back
		// that up: a typo in database.path would pass unnoticed.
		if _, err := os.Stat(cfg.Database.Path); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("backup: there is no database at %s (is database.path right?)", databaseName(cfg))
		}
		to, err := filepath.Abs(args[0])
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		// No Migrate: a backup reads, and must not change the tables under a
		// server of another version.
		db, secret, err := openDB(cfg, io.Discard, nil)
		if err != nil {
			return err
		}
		defer db.Close()
		secret.reportCreated(e.stderr, cfg.LogLevel)
		if err := db.Backup(ctx, to); err != nil {
			return inDatabase(err, cfg)
		}
		fmt.Fprintf(e.stdout, "Backed up to %s (database %s).\n", to, databaseName(cfg))
		return nil
	}
}

// restoreCommand replaces the SQLite database with a backup, once no server
// uses it (see models.Restore).
func restoreCommand(_ *flag.FlagSet, cf *configFlags) func(context.Context, env, []string) error {
	return func(ctx context.Context, e env, args []string) error {
		if err := exactArgs("restore", args, "FILE"); err != nil {
			return err
		}
		cfg, err := cf.load(e)
		if err != nil {
			return err
		}
		if err := sqliteOnly(cfg, "restore"); err != nil {
			return err
		}
		from, err := filepath.Abs(args[0])
		if err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		name := databaseName(cfg)
		err = models.Restore(ctx, dbSource(cfg), from)
		if errors.Is(err, models.ErrInUse) {
			return fmt.Errorf("restore: a server (or another program) is using %s; stop it first: restore asked SQLite for the database's exclusive lock, which any process that has the database open refuses", name)
		}
		if err != nil {
			return inDatabase(err, cfg)
		}
		fmt.Fprintf(e.stdout, "Restored %s (database %s).\n", from, name)
		return nil
	}
}

// sqliteOnly refuses backup and restore on PostgreSQL, whose own tools do
// them, naming the tools.
func sqliteOnly(cfg Config, cmd string) error {
	if cfg.Database.Driver != models.DriverPostgres {
		return nil
	}
	return fmt.Errorf("%s: %w (database %s)", cmd, models.ErrPostgresBackup, databaseName(cfg))
}
