package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/gin-gonic/gin"

	"studentapi/admin"
	"studentapi/api"
	"studentapi/auth"
	"studentapi/logbuf"
	"studentapi/models"
	"studentapi/proxies"
	"studentapi/throttle"
)

func serveCommand(fs *flag.FlagSet, cf *configFlags) func(context.Context, env, []string) error {
	addr := fs.String("addr", "", "listen address host:port (default from config: 127.0.0.1:8000)")
	noMigrate := fs.Bool("no-migrate", false, "do not migrate the database at start")
	return func(ctx context.Context, e env, args []string) error {
		if err := exactArgs("serve", args); err != nil {
			return err
		}
		cfg, err := cf.load(e.getenv)
		if err != nil {
			return err
		}
		if *addr != "" {
			cfg.Addr = *addr
			if err := cfg.Validate(); err != nil {
				return err
			}
		}
		if *noMigrate {
			cfg.Database.MigrateOnStart = false
		}
		return serve(ctx, cfg, e)
	}
}

func migrateCommand(fs *flag.FlagSet, cf *configFlags) func(context.Context, env, []string) error {
	return func(ctx context.Context, e env, args []string) error {
		if err := exactArgs("migrate", args); err != nil {
			return err
		}
		return withDB(ctx, e, cf, func(cfg Config, _ *models.DB) error {
			fmt.Fprintf(e.stdout, "Migrated %s\n", dbSource(cfg))
			return nil
		})
	}
}

// serve runs the HTTP server until ctx is cancelled (SIGINT or SIGTERM), then
// lets in-flight requests finish within the shutdown timeout.
func serve(ctx context.Context, cfg Config, e env) error {
	// Log lines are written in batches (package logbuf): one write per line was a
	// tenth of the time of the cheapest requests. Warnings and errors are
	// written at once, and the deferred Close writes out the rest.
	logw := logbuf.New(e.stderr, cfg.LogFlushInterval, logBufferSize)
	defer logw.Close()
	log := newLogger(logw, cfg.LogLevel)
	defer setGOGC(cfg.Runtime.GOGC, e.getenv)()
	db, secret, err := openDB(cfg, logw)
	if err != nil {
		return err
	}
	defer db.Close()
	secret.report(log)
	if cfg.Database.MigrateOnStart {
		if err := db.Migrate(ctx); err != nil {
			return err
		}
	}

	gin.SetMode(gin.ReleaseMode)
	authn := auth.NewWithOptions(db, cfg.Auth.Keyword, cfg.Auth.BcryptCost, authOptions(cfg))
	// One set of login limiters: /gettoken/ and the admin login share the budget.
	store := throttle.NewMemory()
	if cfg.API.Throttle.Store == "database" {
		store = db.Throttles()
	}
	newLimiter := func(rate string) *throttle.Limiter {
		// Config.Validate has checked the rate; an empty one is no limiter.
		r, err := throttle.ParseRate(rate)
		if err != nil || r.Off() {
			return nil
		}
		return throttle.NewWithStore(r, store, nil)
	}
	loginLimiter := newLimiter(cfg.API.Throttle.GetToken)
	var usernameLimiters []*throttle.Limiter
	for _, rate := range cfg.API.Throttle.GetTokenUsername {
		usernameLimiters = append(usernameLimiters, newLimiter(rate))
	}
	router, err := api.NewRouter(api.Deps{
		DB:             db,
		Auth:           authn,
		Log:            log,
		BodyLimit:      cfg.HTTP.BodyLimit,
		TrustedProxies: cfg.HTTP.TrustedProxies,
		RequireHTTPS:   cfg.Production && !cfg.TLSEnabled(),
		Pagination: api.Pagination{
			PageSize:           cfg.API.PageSize,
			PageSizeQueryParam: cfg.API.PageSizeQueryParam,
			MaxPageSize:        cfg.API.MaxPageSize,
		},
		Throttles: api.Throttles{
			Anon:             newLimiter(cfg.API.Throttle.Anon),
			User:             newLimiter(cfg.API.Throttle.User),
			GetToken:         loginLimiter,
			GetTokenUsername: usernameLimiters,
		},
	})
	if err != nil {
		return err
	}
	// The admin names clients as the API does, for the login throttle they share.
	trusted, err := proxies.Parse(cfg.HTTP.TrustedProxies)
	if err != nil {
		return err
	}
	adminSite, err := admin.New(admin.Deps{
		DB:            db,
		Auth:          authn,
		Log:           log,
		BcryptCost:    cfg.Auth.BcryptCost,
		SessionTTL:    cfg.Admin.SessionTTL,
		SecureCookie:  cfg.Production && len(cfg.HTTP.TrustedProxies) > 0,
		Login:         loginLimiter,
		LoginUsername: usernameLimiters,
		ClientIP:      trusted.ClientIP,
	})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           withAdmin(router, adminSite),
		ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		WriteTimeout:      cfg.HTTP.WriteTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	scheme := "http"
	if cfg.TLSEnabled() {
		// Load the pair before listening so a bad file stops start-up at once.
		cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
		if err != nil {
			return fmt.Errorf("tls.cert_file/tls.key_file: %w", err)
		}
		scheme = "https"
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	ln, err := listen(cfg, log)
	if err != nil {
		return err
	}
	srv.ConnState = ln.ConnState
	fmt.Fprintf(e.stdout, "Serving on %s://%s/ (database %s)\n", scheme, ln.Addr(), dbSource(cfg))

	served := make(chan error, 1)
	go func() {
		if cfg.TLSEnabled() {
			served <- srv.ServeTLS(ln, "", "")
		} else {
			served <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.HTTP.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.HTTP.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// setGOGC sets the collector's target percentage for the server's lifetime,
// unless the GOGC environment variable has set it already, and returns what
// puts the previous one back. A small heap collected often cost the hot
// endpoints a tenth of their rate at Go's default (docs/PERFORMANCE.md).
func setGOGC(percent int, getenv func(string) string) (restore func()) {
	if getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(percent)
	return func() { debug.SetGCPercent(old) }
}

// withAdmin sends /admin/... to the admin site and everything else to the API
// router, untouched (no path cleaning on the way, unlike a ServeMux).
func withAdmin(api, site http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == strings.TrimSuffix(admin.Prefix, "/"):
			http.Redirect(w, r, admin.Prefix, http.StatusMovedPermanently)
		case strings.HasPrefix(r.URL.Path, admin.Prefix):
			site.ServeHTTP(w, r)
		default:
			api.ServeHTTP(w, r)
		}
	})
}
