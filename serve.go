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

	"studentapi/internal/logbuf"
	"studentapi/internal/metrics"
	"studentapi/internal/proxies"
	"studentapi/models"
)

func serveCommand(fs *flag.FlagSet, cf *configFlags) func(context.Context, env, []string) error {
	addr := fs.String("addr", "", "listen address host:port (default from config: 127.0.0.1:8000)")
	noMigrate := fs.Bool("no-migrate", false, "do not migrate the database at start")
	return func(ctx context.Context, e env, args []string) error {
		if err := exactArgs("serve", args); err != nil {
			return err
		}
		cfg, err := cf.load(e)
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
			fmt.Fprintf(e.stdout, "Migrated the tables (database %s).\n", databaseName(cfg))
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

	// The certificate, then the socket, then the database: a bad file or a
	// busy port stops start-up before the database is opened, let alone
	// migrated (a second server on the same port once migrated first).
	var tlsConfig *tls.Config
	scheme := "http"
	if cfg.TLSEnabled() {
		cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
		if err != nil {
			return fmt.Errorf("tls.cert_file/tls.key_file: %w", err)
		}
		scheme = "https"
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12, CipherSuites: tls12CipherSuites(), Certificates: []tls.Certificate{cert}}
	}
	ln, err := listen(cfg, log)
	if err != nil {
		return err
	}
	// Until the server takes it over, a failed start closes it; after, a
	// second Close is harmless.
	defer ln.Close()
	m := newMetrics(cfg)
	var metricsLn net.Listener
	if m != nil && cfg.Metrics.Addr != "" {
		if metricsLn, err = net.Listen("tcp", cfg.Metrics.Addr); err != nil {
			return fmt.Errorf("metrics.addr: listen on %s: %w", cfg.Metrics.Addr, err)
		}
		defer metricsLn.Close()
	}

	// The database tells the metrics of its commits.
	db, secret, err := openDB(cfg, logw, observeCommits(m))
	if err != nil {
		return err
	}
	defer db.Close()
	if m != nil {
		if err := m.WatchPool(db.PoolStats); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	secret.report(log)
	if cfg.Database.MigrateOnStart {
		if err := db.Migrate(ctx); err != nil {
			return err
		}
	}
	handler, err := newHandler(cfg, db, secret.value, log, m)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		WriteTimeout:      cfg.HTTP.WriteTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ConnState:         ln.ConnState,
	}
	fmt.Fprintf(e.stdout, "Serving on %s://%s/ (database %s)\n", scheme, ln.Addr(), databaseName(cfg))

	served := make(chan error, 2)
	go func() {
		if tlsConfig != nil {
			served <- srv.ServeTLS(ln, "", "")
		} else {
			served <- srv.Serve(ln)
		}
	}()
	servers := []*http.Server{srv}
	if metricsLn != nil {
		servers = append(servers, serveMetrics(ctx, cfg, m, log, metricsLn, served))
		fmt.Fprintf(e.stdout, "Serving metrics on http://%s%s\n", metricsLn.Addr(), metricsPath)
	}
	select {
	case err := <-served:
		for _, s := range servers {
			_ = s.Close() // the failure of the one is what is reported
		}
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.HTTP.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.HTTP.ShutdownTimeout)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(shutdownCtx); err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
	}
	for range servers {
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
	}
	return nil
}

// serveMetrics serves m alone on ln (metrics.addr), plain HTTP (Prometheus
// scrapes from inside the network; metrics.allow says from where), and
// sends the end of serving to served.
func serveMetrics(ctx context.Context, cfg Config, m *metrics.Metrics, log *slog.Logger, ln net.Listener, served chan<- error) *http.Server {
	srv := &http.Server{
		Handler:           metricsServer(m.Handler(), newMetricsGate(cfg, proxies.New(cfg.HTTP.TrustedProxies))),
		ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		WriteTimeout:      cfg.HTTP.WriteTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		MaxHeaderBytes:    8 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	go func() { served <- srv.Serve(ln) }()
	return srv
}

// tls12CipherSuites are the suites offered to TLS 1.2 clients: forward
// secret (ECDHE) and authenticated encryption (AES-GCM, ChaCha20-Poly1305)
// only, no CBC, for either kind of certificate key. TLS 1.3's suites are all
// AEAD and not configurable.
func tls12CipherSuites() []uint16 {
	return []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	}
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
