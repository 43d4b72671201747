package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"studentapi/api"
)

// spectacularCommand writes the OpenAPI document, as drf-spectacular's
// management command does: the one /schema/ serves for the same
// configuration (keywords, pagination), without a database or a server.
func spectacularCommand(fs *flag.FlagSet, cf *configFlags) func(context.Context, env, []string) error {
	var file, format, version string
	fs.StringVar(&file, "file", "", "write the document to this file instead of stdout")
	fs.StringVar(&format, "format", "yaml", "json or yaml")
	fs.StringVar(&version, "openapi", "3.0", "OpenAPI version: 3.0 (3.0.3) or 3.1")
	return func(ctx context.Context, e env, args []string) error {
		if err := exactArgs("spectacular", args); err != nil {
			return err
		}
		if format != "json" && format != "yaml" {
			return usagef("spectacular: --format %q: want json or yaml", format)
		}
		if version != "3.0" && version != "3.1" {
			return usagef("spectacular: --openapi %q: want 3.0 or 3.1", version)
		}
		cfg, err := cf.load(e)
		if err != nil {
			return err
		}
		doc, err := api.Schema(api.Deps{Auth: newAuthenticator(cfg, nil, nil, nil), Pagination: pagination(cfg)}, version, format)
		if err != nil {
			return err
		}
		if file == "" {
			_, err = e.stdout.Write(doc)
			return err
		}
		if err := os.WriteFile(file, doc, 0o644); err != nil {
			return fmt.Errorf("spectacular: %w", err)
		}
		return nil
	}
}
