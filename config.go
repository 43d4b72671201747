package main

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"

	"studentapi/auth"
	"studentapi/internal/hosts"
	"studentapi/internal/passwords"
	"studentapi/internal/passwordvalidation"
	"studentapi/internal/proxies"
	"studentapi/internal/throttle"
	"studentapi/models"
)

// Config is the whole service configuration. The yaml tags are the keys of
// config.yaml, and the only list of them: every key can also be set from the
// environment as STUDENTAPI_ followed by the dotted key in upper case with
// dots as underscores (auth.bcrypt_cost is STUDENTAPI_AUTH_BCRYPT_COST), and
// any other STUDENTAPI_ variable but those of commandEnv is an error.
type Config struct {
	Addr       string `yaml:"addr"`       // listen address, host:port
	Production bool   `yaml:"production"` // production mode
	LogLevel   string `yaml:"log_level"`  // debug, info, warn or error
	// How long a log line may be held to be written with others; 0 writes
	// each line at once.
	LogFlushInterval time.Duration  `yaml:"log_flush_interval"`
	Database         DatabaseConfig `yaml:"database"`
	Auth             AuthConfig     `yaml:"auth"`
	TLS              TLSConfig      `yaml:"tls"`
	HTTP             HTTPConfig     `yaml:"http"`
	API              APIConfig      `yaml:"api"`
	Admin            AdminConfig    `yaml:"admin"`
	Runtime          RuntimeConfig  `yaml:"runtime"`
	Metrics          MetricsConfig  `yaml:"metrics"`
}

// MetricsConfig says where the Prometheus metrics (GET /metrics) are served
// and to whom.
type MetricsConfig struct {
	Enabled bool `yaml:"enabled"` // count requests and serve /metrics; off costs nothing
	// Addr is a listener of their own, host:port; empty serves them on the
	// main listener (addr), and a set one takes them off it.
	Addr string `yaml:"addr"`
	// Allow are the IPs or CIDRs, beside loopback, that may read them;
	// others get 404 as for any unknown path.
	Allow []proxies.Prefix `yaml:"allow"`
}

// RuntimeConfig tunes the Go runtime of serve, as Prometheus's runtime block
// does.
type RuntimeConfig struct {
	// GOGC is the garbage collector's target percentage (Go's GOGC, which
	// wins when set in the environment).
	GOGC int `yaml:"gogc"`
}

// AdminConfig configures the admin site under /admin/.
type AdminConfig struct {
	SessionTTL time.Duration `yaml:"session_ttl"` // how long an admin login lasts
}

// APIConfig holds DRF's REST_FRAMEWORK settings that clients notice:
// pagination and throttle rates.
type APIConfig struct {
	PageSize           int    `yaml:"page_size"`             // 0: no pagination, a plain array
	PageSizeQueryParam string `yaml:"page_size_query_param"` // e.g. "page_size"; empty: clients cannot choose
	MaxPageSize        int    `yaml:"max_page_size"`         // cap on the client's page size; 0: no cap
	// Schema serves the OpenAPI document at /schema/ and /openapi.json;
	// false answers 404 there.
	Schema   bool           `yaml:"schema"`
	Throttle ThrottleConfig `yaml:"throttle"`
}

// ThrottleConfig holds DRF rates ("100/hour"), parsed as they are read; an
// empty one (the zero Rate) turns a throttle off.
type ThrottleConfig struct {
	Anon     throttle.Rate `yaml:"anon"`     // per client IP, for anonymous requests
	User     throttle.Rate `yaml:"user"`     // per user, for authenticated requests
	GetToken throttle.Rate `yaml:"gettoken"` // per client IP, on POST /gettoken/
	// Per username on POST /gettoken/, whatever the client's IP: every rate
	// applies.
	GetTokenUsername []throttle.Rate `yaml:"gettoken_username"`
	// Store keeps the counts: "memory" (per process) or "database" (shared by
	// every instance on the database).
	Store string `yaml:"store"`
	// MemoryMaxEntries caps the memory store: the most requests it remembers
	// (the counts and, apart, the trusted logins), forgetting first those
	// used least recently.
	MemoryMaxEntries int `yaml:"memory_max_entries"`
	// TrustedLoginWindow is how long an address that logged in as a user,
	// and an admin browser's device cookie, are exempt from that username's
	// limit (they get limits of their own); 0: never.
	TrustedLoginWindow time.Duration `yaml:"trusted_login_window"`
}

// DatabaseConfig says which database to open and whether to migrate it.
type DatabaseConfig struct {
	Driver         string       `yaml:"driver"`           // "sqlite" or "postgres"
	Path           string       `yaml:"path"`             // SQLite database file
	DSN            string       `yaml:"dsn"`              // PostgreSQL connection string; holds a password, so never printed
	MigrateOnStart bool         `yaml:"migrate_on_start"` // apply migrations when serving
	Pool           PoolConfig   `yaml:"pool"`
	SQLite         SQLiteConfig `yaml:"sqlite"`
	// QueryTimeout cuts off any statement that runs longer (its request is
	// answered 503); 0 is no limit. Migrations have none.
	QueryTimeout time.Duration `yaml:"query_timeout"`
}

// PoolConfig sizes the connection pool of either driver: models.Pool with
// the keys of config.yaml. The two convert into each other, so a field added
// to one and not the other stops the build.
type PoolConfig struct {
	MaxOpen     int           `yaml:"max_open"`      // connections at once, busy or idle
	MaxIdle     int           `yaml:"max_idle"`      // idle connections kept
	MaxLifetime time.Duration `yaml:"max_lifetime"`  // replace a connection after this long
	MaxIdleTime time.Duration `yaml:"max_idle_time"` // close an idle connection after this long
}

// SQLiteConfig tunes the SQLite driver.
type SQLiteConfig struct {
	// Synchronous is the durability of an answered write: "full" survives a
	// power cut, "normal" a crash of the process only.
	Synchronous string `yaml:"synchronous"`
	// MaxSize is the most bytes the database file may hold (a quota, SQLite's
	// max_page_count), 0 for no limit; past it writes answer 507 as on a
	// full disk.
	MaxSize int64 `yaml:"max_size"`
}

// AuthConfig configures token authentication and password hashing.
type AuthConfig struct {
	// Keywords are the Authorization schemes a key may follow ("Token",
	// "Bearer"); the first is the challenge in WWW-Authenticate.
	Keywords                Words `yaml:"keyword"`
	CreateTokenOnUserCreate bool  `yaml:"create_token_on_user_create"` // give every new user a token
	BcryptCost              int   `yaml:"bcrypt_cost"`                 // bcrypt work factor
	// MaxConcurrentHashes is how many password hashes logins compute at
	// once (more wait their turn); 0: max(2, the CPUs Go uses).
	MaxConcurrentHashes int           `yaml:"max_concurrent_hashes"`
	SecretKey           string        `yaml:"secret_key"`    // token digests and seals derive from it; empty: <database.path>.secret in development
	TokenTTL            time.Duration `yaml:"token_ttl"`     // 0: tokens never expire
	TokenRefresh        bool          `yaml:"token_refresh"` // sliding expiry: each use restarts the TTL
	// PasswordValidators judge every password the commands and the admin
	// set, as Django's AUTH_PASSWORD_VALIDATORS does; [] turns them off.
	PasswordValidators []PasswordValidatorConfig `yaml:"password_validators"`
}

// PasswordValidatorConfig is one entry of auth.password_validators, Django's
// {"NAME": ..., "OPTIONS": {...}} (see passwordvalidation.New). In YAML a
// bare name stands for an entry without options.
type PasswordValidatorConfig struct {
	Name    string         `yaml:"name"`
	Options map[string]any `yaml:"options,omitempty"`
}

// UnmarshalYAML reads a name, or a mapping of name and options.
func (p *PasswordValidatorConfig) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*p = PasswordValidatorConfig{Name: n.Value}
		return nil
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i].Value; k != "name" && k != "options" {
				return fmt.Errorf("a validator has a name and options, not %q", k)
			}
		}
		type plain PasswordValidatorConfig // without this method
		return n.Decode((*plain)(p))
	}
	return errors.New("a validator is a name, or a mapping of name and options")
}

// passwordValidators builds the validators auth.password_validators names.
func (c Config) passwordValidators() (passwordvalidation.Validators, error) {
	vs := make(passwordvalidation.Validators, 0, len(c.Auth.PasswordValidators))
	for _, p := range c.Auth.PasswordValidators {
		v, err := passwordvalidation.New(p.Name, p.Options)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, nil
}

// TLSConfig names the certificate and key to serve HTTPS with; both or neither.
type TLSConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// HTTPConfig holds the HTTP server's limits and timeouts.
type HTTPConfig struct {
	BodyLimit         int64            `yaml:"body_limit"`      // bytes
	MaxConnections    int              `yaml:"max_connections"` // client connections open at once; 0: from the open-file limit
	ReadHeaderTimeout time.Duration    `yaml:"read_header_timeout"`
	ReadTimeout       time.Duration    `yaml:"read_timeout"`
	WriteTimeout      time.Duration    `yaml:"write_timeout"`
	IdleTimeout       time.Duration    `yaml:"idle_timeout"`
	ShutdownTimeout   time.Duration    `yaml:"shutdown_timeout"`
	TrustedProxies    []proxies.Prefix `yaml:"trusted_proxies"` // IPs or CIDRs, checked as they are read; empty trusts no proxy
	// AllowedHosts are the hosts the server answers for, as Django's
	// ALLOWED_HOSTS ("api.example.com", ".example.com", "*"); others get 400.
	// Required in production; empty in development is Config.AllowedHosts'
	// loopback list.
	AllowedHosts []string `yaml:"allowed_hosts"`
}

// Words is a list that YAML may also give as a single word (keyword: Token
// is keyword: [Token]).
type Words []string

// UnmarshalYAML reads one word or a list of them.
func (w *Words) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*w = Words{n.Value}
		return nil
	}
	return n.Decode((*[]string)(w))
}

// configMinSecretKeyDistinct is the fewest distinct bytes a secret key may
// hold. Random hex holds about 16, random base64 more; a key below it is a
// pattern or a placeholder ("aaaa...", "abcabc..."), however long, and an
// attacker's first guesses.
const configMinSecretKeyDistinct = 8

// weakSecretKey says what makes key too predictable to be a secret, or ""
// when nothing does. It never quotes the key.
func weakSecretKey(key []byte) string {
	var seen [256]bool
	distinct := 0
	for _, b := range key {
		if !seen[b] {
			seen[b] = true
			distinct++
		}
	}
	switch {
	case distinct == 1:
		return "is one character repeated"
	case distinct < configMinSecretKeyDistinct:
		return fmt.Sprintf("has only %d distinct characters, want at least %d", distinct, configMinSecretKeyDistinct)
	}
	return ""
}

// DefaultConfig returns the configuration used for every key that neither the
// config file nor the environment sets. The committed config.yaml and the
// README's table spell out the same values; a test keeps the three equal.
func DefaultConfig() Config {
	return Config{
		Addr:             "127.0.0.1:8000",
		Production:       false,
		LogLevel:         "info",
		LogFlushInterval: 100 * time.Millisecond,
		Database: DatabaseConfig{
			Driver:         "sqlite",
			Path:           "studentapi.db",
			MigrateOnStart: true,
			Pool:           PoolConfig(models.DefaultPool),
			SQLite:         SQLiteConfig{Synchronous: "full"},
			QueryTimeout:   5 * time.Second,
		},
		Auth: AuthConfig{
			Keywords:                Words{"Token"},
			CreateTokenOnUserCreate: true,
			BcryptCost:              12,
			PasswordValidators:      defaultPasswordValidators(),
		},
		HTTP: HTTPConfig{
			BodyLimit:         1 << 20,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       120 * time.Second,
			ShutdownTimeout:   15 * time.Second,
		},
		API: APIConfig{
			Schema: true,
			Throttle: ThrottleConfig{
				GetToken:           throttle.Rate{N: 5, Per: time.Minute},
				GetTokenUsername:   []throttle.Rate{{N: 5, Per: time.Minute}, {N: 100, Per: time.Hour}},
				Store:              "memory",
				MemoryMaxEntries:   throttle.DefaultMaxEntries,
				TrustedLoginWindow: 30 * 24 * time.Hour,
			},
		},
		Admin:   AdminConfig{SessionTTL: 14 * 24 * time.Hour},
		Runtime: RuntimeConfig{GOGC: 150},
		Metrics: MetricsConfig{Enabled: true},
	}
}

// defaultPasswordValidators are those of a new Django project.
func defaultPasswordValidators() []PasswordValidatorConfig {
	var ps []PasswordValidatorConfig
	for _, name := range passwordvalidation.DefaultNames() {
		ps = append(ps, PasswordValidatorConfig{Name: name})
	}
	return ps
}

// TLSEnabled reports whether the server should serve HTTPS.
func (c Config) TLSEnabled() bool {
	return c.TLS.CertFile != "" && c.TLS.KeyFile != ""
}

// AllowedHosts is http.allowed_hosts or, when that is empty outside
// production, what Django allows with DEBUG on: localhost, the names under it,
// and the loopback addresses, which is where a development server is reached.
func (c Config) AllowedHosts() []string {
	if len(c.HTTP.AllowedHosts) == 0 && !c.Production {
		return []string{".localhost", "127.0.0.1", "[::1]"}
	}
	return c.HTTP.AllowedHosts
}

// Validate reports every problem with c at once (joined with errors.Join),
// each naming its key and saying how to fix it.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}

	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad(`addr: %q is not host:port (%w); use e.g. "127.0.0.1:8000", or ":8000" for all interfaces`, c.Addr, err)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		bad("log_level: unsupported %q (supported: debug, info, warn, error)", c.LogLevel)
	}
	if c.LogFlushInterval < 0 || c.LogFlushInterval > time.Minute {
		bad(`log_flush_interval: must be from 0 to 1m, got %s; use a Go duration, e.g. "100ms", or 0 to write each line at once`, c.LogFlushInterval)
	}

	switch c.Database.Driver {
	case "sqlite":
		if c.Database.Path == "" {
			bad(`database.path: must not be empty; set the database file, e.g. "studentapi.db"`)
		}
		// Several instances each quietly on a file of their own would look
		// like one service and lose writes to each other.
		if c.Database.DSN != "" {
			bad(`database.dsn: is set but database.driver is "sqlite"; set database.driver: postgres (STUDENTAPI_DATABASE_DRIVER=postgres) to use it, or unset the DSN`)
		}
	case "postgres":
		if c.Database.DSN == "" {
			bad(`database.dsn: must be set with driver postgres; set STUDENTAPI_DATABASE_DSN, e.g. "postgres://studentapi@db.internal:5432/studentapi?sslmode=verify-full"`)
		}
		// Every instance must derive the same keys, so the secret cannot be a
		// file generated beside a database that is not on this machine.
		if c.Auth.SecretKey == "" {
			bad("auth.secret_key: must be set with driver postgres, the same on every instance; set STUDENTAPI_AUTH_SECRET_KEY to at least %d random bytes, e.g. the output of `openssl rand -hex 32`", auth.MinSecretLen)
		}
	default:
		bad("database.driver: unsupported %q (supported: sqlite, postgres)", c.Database.Driver)
	}
	if c.Database.QueryTimeout < 0 {
		bad(`database.query_timeout: must be 0 (no limit) or more, got %s; use a Go duration, e.g. "5s"`, c.Database.QueryTimeout)
	}
	p := c.Database.Pool
	if p.MaxOpen < 1 {
		bad("database.pool.max_open: %d; use at least 1 (%d by default)", p.MaxOpen, models.DefaultPool.MaxOpen)
	}
	if p.MaxIdle < 1 || (p.MaxOpen >= 1 && p.MaxIdle > p.MaxOpen) {
		bad("database.pool.max_idle: %d; use 1 to database.pool.max_open (%d)", p.MaxIdle, p.MaxOpen)
	}
	if p.MaxLifetime <= 0 {
		bad("database.pool.max_lifetime: %s; use a positive duration, e.g. 30m", p.MaxLifetime)
	}
	if p.MaxIdleTime <= 0 {
		bad("database.pool.max_idle_time: %s; use a positive duration, e.g. 5m", p.MaxIdleTime)
	}
	if !slices.Contains([]string{"full", "normal"}, c.Database.SQLite.Synchronous) {
		bad(`database.sqlite.synchronous: unsupported %q; use "full" (answered writes survive a power cut) or "normal" (they survive a crash of the process)`, c.Database.SQLite.Synchronous)
	}
	if c.Database.SQLite.MaxSize < 0 {
		bad("database.sqlite.max_size: %d; use a number of bytes, or 0 for no limit", c.Database.SQLite.MaxSize)
	}

	if len(c.Auth.Keywords) == 0 {
		bad(`auth.keyword: names no scheme; use e.g. Token, or [Token, Bearer] in config.yaml (Token,Bearer in STUDENTAPI_AUTH_KEYWORD) to read both`)
	}
	for _, k := range c.Auth.Keywords {
		if strings.EqualFold(k, "basic") {
			// /gettoken/ reads Basic credentials as DRF does; a token
			// scheme of the same name would claim the same header.
			bad("auth.keyword: %q is HTTP Basic authentication, which /gettoken/ reads as DRF does; use another word, e.g. \"Token\"", k)
		}
		if !validAuthKeyword(k) {
			bad("auth.keyword: %q is not a single HTTP auth scheme word (ASCII letters, digits and !#$%%&'*+-.^_`|~, no spaces); use e.g. \"Token\", or [Token, Bearer] in config.yaml (Token,Bearer in STUDENTAPI_AUTH_KEYWORD) to read both", k)
		}
	}
	// Up to the cost a stored hash may have (passwords.MaxBcryptCost), not
	// bcrypt's 31: the hashes this service writes must pass its own check.
	if c.Auth.BcryptCost < bcrypt.MinCost || c.Auth.BcryptCost > passwords.MaxBcryptCost {
		bad("auth.bcrypt_cost: %d is out of range; use %d to %d (%d by default, for production)",
			c.Auth.BcryptCost, bcrypt.MinCost, passwords.MaxBcryptCost, DefaultConfig().Auth.BcryptCost)
	}
	// Never echo the secret itself: this message goes to logs and terminals.
	switch n := len(c.Auth.SecretKey); {
	case n == 0 && c.Production:
		bad("auth.secret_key: must be set in production; set STUDENTAPI_AUTH_SECRET_KEY to at least %d random bytes, e.g. the output of `openssl rand -hex 32`", auth.MinSecretLen)
	case n > 0 && n < auth.MinSecretLen:
		bad("auth.secret_key: is %d bytes, too short to protect tokens; use at least %d, e.g. the output of `openssl rand -hex 32`", n, auth.MinSecretLen)
	case n > 0 && weakSecretKey([]byte(c.Auth.SecretKey)) != "":
		bad("auth.secret_key: %s, too predictable to protect tokens; use random bytes, e.g. the output of `openssl rand -hex 32`", weakSecretKey([]byte(c.Auth.SecretKey)))
	}
	if c.Auth.MaxConcurrentHashes < 0 || c.Auth.MaxConcurrentHashes > maxConcurrentHashes {
		bad("auth.max_concurrent_hashes: %d is out of range; use 1 to %d, or 0 for max(2, the number of CPUs)", c.Auth.MaxConcurrentHashes, maxConcurrentHashes)
	}
	if c.Auth.TokenTTL < 0 {
		bad(`auth.token_ttl: must be 0 (tokens never expire) or more, got %s; use a Go duration, e.g. "24h"`, c.Auth.TokenTTL)
	}
	if _, err := c.passwordValidators(); err != nil {
		bad("auth.password_validators: %w", err)
	}
	if c.Auth.TokenRefresh && c.Auth.TokenTTL == 0 {
		bad(`auth.token_refresh: has no effect without auth.token_ttl; set a TTL, e.g. "24h", or turn the refresh off`)
	}

	switch {
	case c.TLS.CertFile != "" && c.TLS.KeyFile == "":
		bad("tls.key_file: must be set because tls.cert_file is; set both or neither (`studentapi gencert` writes a pair)")
	case c.TLS.CertFile == "" && c.TLS.KeyFile != "":
		bad("tls.cert_file: must be set because tls.key_file is; set both or neither (`studentapi gencert` writes a pair)")
	}

	if c.HTTP.BodyLimit <= 0 {
		bad("http.body_limit: must be greater than 0, got %d; use a size in bytes, e.g. 1048576 for 1 MiB", c.HTTP.BodyLimit)
	}
	if c.HTTP.MaxConnections < 0 {
		bad("http.max_connections: must be 0 (derived from the open-file limit) or more, got %d", c.HTTP.MaxConnections)
	}
	for _, t := range []struct {
		key string
		d   time.Duration
	}{
		{"http.read_header_timeout", c.HTTP.ReadHeaderTimeout},
		{"http.read_timeout", c.HTTP.ReadTimeout},
		{"http.write_timeout", c.HTTP.WriteTimeout},
		{"http.idle_timeout", c.HTTP.IdleTimeout},
		{"http.shutdown_timeout", c.HTTP.ShutdownTimeout},
	} {
		if t.d <= 0 {
			bad(`%s: must be greater than 0, got %s; use a Go duration, e.g. "10s"`, t.key, t.d)
		}
	}
	// Without the list, links and redirects would name whatever host a client
	// sent; in development the loopback names stand in for it.
	if c.Production && len(c.HTTP.AllowedHosts) == 0 {
		bad(`http.allowed_hosts: must be set in production to the host names clients use, e.g. ["api.example.com"] (STUDENTAPI_HTTP_ALLOWED_HOSTS=api.example.com); ".example.com" allows the domain and its subdomains, "*" any host`)
	}
	if _, err := hosts.Parse(c.HTTP.AllowedHosts); err != nil {
		bad("http.allowed_hosts: %w", err)
	}

	// Token auth sends bearer secrets: production serves them over TLS, its own
	// or a trusted proxy's, or only to this machine.
	if host, _, err := net.SplitHostPort(c.Addr); err == nil && c.Production && !c.TLSEnabled() &&
		len(c.HTTP.TrustedProxies) == 0 && !hosts.Loopback(host) {
		bad("production: refusing plain HTTP on %s; set tls.cert_file and tls.key_file, listen on a loopback address, or set http.trusted_proxies to the proxy that terminates TLS", c.Addr)
	}

	if c.Admin.SessionTTL <= 0 {
		bad(`admin.session_ttl: must be greater than 0, got %s; use a Go duration, e.g. "336h" (two weeks)`, c.Admin.SessionTTL)
	}
	if c.Runtime.GOGC < 10 || c.Runtime.GOGC > 1000 {
		bad("runtime.gogc: must be from 10 to 1000, got %d; 100 is Go's default, higher uses more memory and less CPU", c.Runtime.GOGC)
	}
	if c.Metrics.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Metrics.Addr); err != nil {
			bad(`metrics.addr: %q is not host:port (%w); use e.g. "127.0.0.1:9100", or leave it empty to serve /metrics on addr`, c.Metrics.Addr, err)
		} else if c.Metrics.Addr == c.Addr {
			bad(`metrics.addr: %q is addr itself; leave it empty to serve /metrics there, or use another port`, c.Metrics.Addr)
		}
	}
	if c.API.PageSize < 0 {
		bad("api.page_size: must be 0 (no pagination) or more, got %d", c.API.PageSize)
	}
	if c.API.MaxPageSize < 0 {
		bad("api.max_page_size: must be 0 (no cap) or more, got %d", c.API.MaxPageSize)
	}
	// The rates parsed as they were read; only an empty one in the list,
	// which would throttle nothing, is left to refuse.
	if slices.ContainsFunc(c.API.Throttle.GetTokenUsername, throttle.Rate.Off) {
		bad(`api.throttle.gettoken_username: holds an empty rate; use a list such as ["5/minute", "100/hour"], or [] for none`)
	}
	if !slices.Contains([]string{"memory", "database"}, c.API.Throttle.Store) {
		bad(`api.throttle.store: unsupported %q; use "memory" (each process counts on its own) or "database" (every instance counts together)`, c.API.Throttle.Store)
	}
	if c.API.Throttle.MemoryMaxEntries < 1000 {
		bad("api.throttle.memory_max_entries: must be at least 1000, got %d; the default, %d, is some 20 MB at most", c.API.Throttle.MemoryMaxEntries, throttle.DefaultMaxEntries)
	}
	if c.API.Throttle.TrustedLoginWindow < 0 {
		bad(`api.throttle.trusted_login_window: must be 0 (no exemption) or more, got %s; use a Go duration, e.g. "720h" (30 days)`, c.API.Throttle.TrustedLoginWindow)
	}

	return errors.Join(errs...)
}

// validAuthKeyword reports whether s can be the scheme word of an
// Authorization header: a non-empty RFC 9110 token, which is printable ASCII
// without spaces or separators.
func validAuthKeyword(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// maxConcurrentHashes bounds auth.max_concurrent_hashes: each slot may hold a
// hash of up to a quarter of a GiB (passwords' limits), so more than this
// many is a typo, not a machine.
const maxConcurrentHashes = 1024
