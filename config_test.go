package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"studentapi/internal/proxies"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"studentapi/internal/throttle"
)

// writeTestConfig writes content to a config file in a fresh temp dir.
func writeTestConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatalf("write config: %v", err)
	}
	return path
}

// configTestEnv lists env as os.Environ does.
func configTestEnv(env map[string]string) []string {
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	return environ
}

func TestLoadConfigMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")

	got, err := LoadConfig(path, false, configTestEnv(nil))
	if err != nil {
		t.Fatalf("LoadConfig(missing, explicit=false) error: %v", err)
	}
	if want := DefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("LoadConfig(missing, explicit=false) = %+v, want defaults %+v", got, want)
	}

	_, err = LoadConfig(path, true, configTestEnv(nil))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadConfig(missing, explicit=true) error = %v, want one wrapping fs.ErrNotExist", err)
	}
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  map[string]string
		want func(c *Config) // changes from DefaultConfig
	}{
		{
			name: "empty file means defaults",
			file: "",
			want: func(c *Config) {},
		},
		{
			name: "comments only means defaults",
			file: "# nothing set\n",
			want: func(c *Config) {},
		},
		{
			name: "file overrides defaults",
			file: `
addr: ":9000"
production: true
log_level: debug
database:
  path: /var/lib/studentapi/db.sqlite
  migrate_on_start: false
  sqlite:
    synchronous: normal
auth:
  keyword: Bearer
  create_token_on_user_create: false
  bcrypt_cost: 4
  secret_key: a file secret of thirty-two bytes or more
  token_ttl: 24h
  token_refresh: true
tls:
  cert_file: cert.pem
  key_file: key.pem
http:
  body_limit: 2048
  read_header_timeout: 1s
  read_timeout: 2m
  write_timeout: 1h30m
  idle_timeout: 500ms
  shutdown_timeout: 3s
  trusted_proxies:
    - 127.0.0.1
    - 10.0.0.0/8
    - "::1"
  allowed_hosts: [api.example.com, .example.org]
`,
			want: func(c *Config) {
				c.Addr = ":9000"
				c.Production = true
				c.LogLevel = "debug"
				c.Database.Path = "/var/lib/studentapi/db.sqlite"
				c.Database.MigrateOnStart = false
				c.Database.SQLite.Synchronous = "normal"
				c.Auth.Keywords = Words{"Bearer"}
				c.Auth.CreateTokenOnUserCreate = false
				c.Auth.BcryptCost = 4
				c.Auth.SecretKey = "a file secret of thirty-two bytes or more"
				c.Auth.TokenTTL = 24 * time.Hour
				c.Auth.TokenRefresh = true
				c.TLS = TLSConfig{CertFile: "cert.pem", KeyFile: "key.pem"}
				c.HTTP.BodyLimit = 2048
				c.HTTP.ReadHeaderTimeout = time.Second
				c.HTTP.ReadTimeout = 2 * time.Minute
				c.HTTP.WriteTimeout = 90 * time.Minute
				c.HTTP.IdleTimeout = 500 * time.Millisecond
				c.HTTP.ShutdownTimeout = 3 * time.Second
				c.HTTP.TrustedProxies = prefixes("127.0.0.1", "10.0.0.0/8", "::1")
				c.HTTP.AllowedHosts = []string{"api.example.com", ".example.org"}
			},
		},
		{
			name: "key without value keeps default",
			file: "addr:\nauth:\n  keyword:\nhttp:\n  trusted_proxies:\n",
			want: func(c *Config) {},
		},
		{
			// strconv's spelling, as before values went through the YAML
			// decoder: 1 is true, a leading zero is still decimal.
			name: "strconv booleans and decimal integers",
			file: "production: 1\nauth:\n  bcrypt_cost: 010\n  secret_key: a file secret of thirty-two bytes or more\nhttp:\n  allowed_hosts: [api.example.com]\n",
			want: func(c *Config) {
				c.Production = true
				c.Auth.BcryptCost = 10
				c.Auth.SecretKey = "a file secret of thirty-two bytes or more"
				c.HTTP.AllowedHosts = []string{"api.example.com"}
			},
		},
		{
			name: "flow list",
			file: `http: {trusted_proxies: ["192.168.0.0/16"]}`,
			want: func(c *Config) { c.HTTP.TrustedProxies = prefixes("192.168.0.0/16") },
		},
		{
			name: "env overrides defaults",
			env: map[string]string{
				"STUDENTAPI_ADDR":                             "0.0.0.0:80",
				"STUDENTAPI_PRODUCTION":                       "true",
				"STUDENTAPI_LOG_LEVEL":                        "warn",
				"STUDENTAPI_DATABASE_DRIVER":                  "sqlite",
				"STUDENTAPI_DATABASE_PATH":                    "env.db",
				"STUDENTAPI_DATABASE_MIGRATE_ON_START":        "0",
				"STUDENTAPI_DATABASE_POOL_MAX_OPEN":           "20",
				"STUDENTAPI_DATABASE_POOL_MAX_IDLE":           "10",
				"STUDENTAPI_DATABASE_POOL_MAX_LIFETIME":       "1h",
				"STUDENTAPI_DATABASE_POOL_MAX_IDLE_TIME":      "1m",
				"STUDENTAPI_DATABASE_SQLITE_SYNCHRONOUS":      "normal",
				"STUDENTAPI_AUTH_KEYWORD":                     "Key, Bearer",
				"STUDENTAPI_AUTH_CREATE_TOKEN_ON_USER_CREATE": "false",
				"STUDENTAPI_AUTH_BCRYPT_COST":                 "5",
				"STUDENTAPI_AUTH_SECRET_KEY":                  "an env secret of thirty-two bytes or more",
				"STUDENTAPI_AUTH_TOKEN_TTL":                   "90m",
				"STUDENTAPI_AUTH_TOKEN_REFRESH":               "true",
				"STUDENTAPI_TLS_CERT_FILE":                    "c.pem",
				"STUDENTAPI_TLS_KEY_FILE":                     "k.pem",
				"STUDENTAPI_HTTP_BODY_LIMIT":                  "10",
				"STUDENTAPI_HTTP_READ_HEADER_TIMEOUT":         "1s",
				"STUDENTAPI_HTTP_READ_TIMEOUT":                "2s",
				"STUDENTAPI_HTTP_WRITE_TIMEOUT":               "3s",
				"STUDENTAPI_HTTP_IDLE_TIMEOUT":                "4s",
				"STUDENTAPI_HTTP_SHUTDOWN_TIMEOUT":            "5s",
				"STUDENTAPI_HTTP_TRUSTED_PROXIES":             " 10.0.0.1 , ,fd00::/8,",
				"STUDENTAPI_HTTP_ALLOWED_HOSTS":               "api.example.com,[::1]",
			},
			want: func(c *Config) {
				c.Addr = "0.0.0.0:80"
				c.Production = true
				c.LogLevel = "warn"
				c.Database.Path = "env.db"
				c.Database.MigrateOnStart = false
				c.Database.Pool = PoolConfig{MaxOpen: 20, MaxIdle: 10, MaxLifetime: time.Hour, MaxIdleTime: time.Minute}
				c.Database.SQLite.Synchronous = "normal"
				c.Auth.Keywords = Words{"Key", "Bearer"}
				c.Auth.CreateTokenOnUserCreate = false
				c.Auth.BcryptCost = 5
				c.Auth.SecretKey = "an env secret of thirty-two bytes or more"
				c.Auth.TokenTTL = 90 * time.Minute
				c.Auth.TokenRefresh = true
				c.TLS = TLSConfig{CertFile: "c.pem", KeyFile: "k.pem"}
				c.HTTP.BodyLimit = 10
				c.HTTP.ReadHeaderTimeout = 1 * time.Second
				c.HTTP.ReadTimeout = 2 * time.Second
				c.HTTP.WriteTimeout = 3 * time.Second
				c.HTTP.IdleTimeout = 4 * time.Second
				c.HTTP.ShutdownTimeout = 5 * time.Second
				c.HTTP.TrustedProxies = prefixes("10.0.0.1", "fd00::/8")
				c.HTTP.AllowedHosts = []string{"api.example.com", "[::1]"}
			},
		},
		{
			name: "env overrides file",
			file: "log_level: debug\nauth:\n  bcrypt_cost: 10\nhttp:\n  trusted_proxies: [10.0.0.1]\n",
			env: map[string]string{
				"STUDENTAPI_LOG_LEVEL":            "error",
				"STUDENTAPI_AUTH_BCRYPT_COST":     "6",
				"STUDENTAPI_HTTP_TRUSTED_PROXIES": "10.0.0.2",
			},
			want: func(c *Config) {
				c.LogLevel = "error"
				c.Auth.BcryptCost = 6
				c.HTTP.TrustedProxies = prefixes("10.0.0.2")
			},
		},
		{
			name: "empty env var is unset",
			file: "log_level: debug\n",
			env:  map[string]string{"STUDENTAPI_LOG_LEVEL": "", "STUDENTAPI_AUTH_BCRYPT_COST": ""},
			want: func(c *Config) { c.LogLevel = "debug" },
		},
		{
			name: "env list of only commas means empty",
			file: "http:\n  trusted_proxies: [10.0.0.1]\n",
			env:  map[string]string{"STUDENTAPI_HTTP_TRUSTED_PROXIES": ",,"},
			want: func(c *Config) { c.HTTP.TrustedProxies = nil },
		},
		{
			name: "the commands' own STUDENTAPI variables are not keys",
			env: map[string]string{
				"STUDENTAPI_PASSWORD":          "hunter2",
				"STUDENTAPI_TEST_BACKEND":      "sqlite",
				"STUDENTAPI_TEST_POSTGRES_DSN": "postgres://u@db/x",
				"STUDENTAPI_REQUIRE_POSTGRES":  "1",
				"STUDENTAPI_REQUIRE_BROWSER":   "1",
				"STUDENTAPI_SCREENSHOTS":       "/tmp/shots",
				"OTHER_VARIABLE":               "x",
			},
			want: func(c *Config) {},
		},
		{
			name: "env text that YAML would read otherwise",
			env:  map[string]string{"STUDENTAPI_DATABASE_PATH": "null", "STUDENTAPI_LOG_FLUSH_INTERVAL": "0", "STUDENTAPI_ADDR": ":8000"},
			want: func(c *Config) { c.Database.Path, c.LogFlushInterval, c.Addr = "null", 0, ":8000" },
		},
		{
			name: "keyword as one word",
			file: "auth:\n  keyword: Bearer\n",
			want: func(c *Config) { c.Auth.Keywords = Words{"Bearer"} },
		},
		{
			name: "keyword as a list",
			file: "auth:\n  keyword: [Token, Bearer]\n",
			want: func(c *Config) { c.Auth.Keywords = Words{"Token", "Bearer"} },
		},
		{
			name: "zero duration",
			file: "log_flush_interval: 0\n",
			want: func(c *Config) { c.LogFlushInterval = 0 },
		},
		{
			name: "rates",
			file: "api:\n  throttle:\n    anon: 100/hour\n    gettoken_username: [10/min]\n",
			env:  map[string]string{"STUDENTAPI_API_THROTTLE_USER": "1000/day"},
			want: func(c *Config) {
				c.API.Throttle.Anon = throttle.Rate{N: 100, Per: time.Hour}
				c.API.Throttle.User = throttle.Rate{N: 1000, Per: 24 * time.Hour}
				c.API.Throttle.GetTokenUsername = []throttle.Rate{{N: 10, Per: time.Minute}}
			},
		},
		{
			name: "empty list",
			file: "api:\n  throttle:\n    gettoken_username: []\n",
			want: func(c *Config) { c.API.Throttle.GetTokenUsername = nil },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTestConfig(t, tt.file)
			got, err := LoadConfig(path, true, configTestEnv(tt.env))
			if err != nil {
				t.Fatalf("LoadConfig error: %v", err)
			}
			want := DefaultConfig()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("LoadConfig =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestLoadConfigErrors(t *testing.T) {
	// $FILE in wantErr stands for the config file's path.
	tests := []struct {
		name    string
		file    string
		env     map[string]string
		wantErr []string
	}{
		// The file.
		{
			name:    "unknown top-level key",
			file:    "addr: \":8000\"\nfoo: 1\n",
			wantErr: []string{`$FILE: unknown key "foo"`, "line 2", "addr, production"},
		},
		{
			name:    "unknown nested key",
			file:    "auth:\n  keywrod: Token\n",
			wantErr: []string{`$FILE: unknown key "auth.keywrod" (line 2); did you mean "auth.keyword"? valid keys under auth: keyword, create_token_on_user_create, bcrypt_cost`},
		},
		{
			name:    "unknown key far from any",
			file:    "database:\n  pool:\n    colour: blue\n",
			wantErr: []string{`$FILE: unknown key "database.pool.colour" (line 3); valid keys under database.pool: max_open, max_idle, max_lifetime, max_idle_time`},
		},
		{
			name:    "unknown key in the wrong section",
			file:    "http:\n  bcrypt_cost: 4\n",
			wantErr: []string{`unknown key "http.bcrypt_cost" (line 2); did you mean "auth.bcrypt_cost"? valid keys under http: body_limit`},
		},
		{
			name:    "key below a leaf",
			file:    "addr:\n  port: 8000\n",
			wantErr: []string{"$FILE: addr: expected a single value, got a mapping"},
		},
		{
			name:    "section given a value",
			file:    "auth: yes\n",
			wantErr: []string{`$FILE: auth: expected a mapping of keys, got the value "yes"`},
		},
		{
			name:    "top level not a mapping",
			file:    "- addr\n",
			wantErr: []string{"$FILE: top level: expected a mapping of keys, got a list"},
		},
		{
			name:    "duplicate key",
			file:    "http:\n  body_limit: 1\n  body_limit: 2\n",
			wantErr: []string{`$FILE: duplicate key "http.body_limit"`, "line 3"},
		},
		{
			name:    "wrong type integer",
			file:    "http:\n  body_limit: lots\n",
			wantErr: []string{`$FILE: http.body_limit: invalid integer "lots" (line 2)`},
		},
		{
			name:    "integer out of range",
			file:    "auth:\n  bcrypt_cost: 99999999999999999999\n",
			wantErr: []string{`$FILE: auth.bcrypt_cost: integer "99999999999999999999" is out of range`},
		},
		{
			name:    "wrong type boolean",
			file:    "production: maybe\n",
			wantErr: []string{`$FILE: production: invalid boolean "maybe"`},
		},
		{
			name:    "bare number duration",
			file:    "http:\n  read_timeout: 5\n",
			wantErr: []string{`$FILE: http.read_timeout: invalid duration "5"`, `"5s"`},
		},
		{
			name:    "list given a value",
			file:    "http:\n  trusted_proxies: 10.0.0.1\n",
			wantErr: []string{"$FILE: http.trusted_proxies: expected a list"},
		},
		{
			name:    "list of mappings",
			file:    "http:\n  trusted_proxies:\n    - ip: 10.0.0.1\n",
			wantErr: []string{"$FILE: http.trusted_proxies: list items must be single values"},
		},
		{
			name:    "yaml syntax error",
			file:    "auth:\n  keyword: [Token\n",
			wantErr: []string{"$FILE: yaml:"},
		},

		// The environment.
		{
			name:    "env bad integer",
			env:     map[string]string{"STUDENTAPI_AUTH_BCRYPT_COST": "abc"},
			wantErr: []string{`STUDENTAPI_AUTH_BCRYPT_COST: invalid integer "abc"`},
		},
		{
			name:    "keyword Basic",
			env:     map[string]string{"STUDENTAPI_AUTH_KEYWORD": "Token,basic"},
			wantErr: []string{`auth.keyword: "basic" is HTTP Basic authentication`},
		},
		{
			name:    "env yes is no boolean",
			env:     map[string]string{"STUDENTAPI_PRODUCTION": "yes"},
			wantErr: []string{`STUDENTAPI_PRODUCTION: invalid boolean "yes"; use true or false`},
		},
		{
			name:    "file on is no boolean",
			file:    "production: on\n",
			wantErr: []string{`production: invalid boolean "on"; use true or false`},
		},
		{
			name:    "file hex is no integer",
			file:    "auth:\n  bcrypt_cost: 0x0c\n",
			wantErr: []string{`auth.bcrypt_cost: invalid integer "0x0c"`},
		},
		{
			name:    "env bad boolean",
			env:     map[string]string{"STUDENTAPI_DATABASE_MIGRATE_ON_START": "sometimes"},
			wantErr: []string{`STUDENTAPI_DATABASE_MIGRATE_ON_START: invalid boolean "sometimes"; use true or false`},
		},
		{
			name:    "env misspelt variable",
			env:     map[string]string{"STUDENTAPI_AUTH_BCRYPT_COTS": "4"},
			wantErr: []string{`unknown environment variable "STUDENTAPI_AUTH_BCRYPT_COTS"; did you mean "STUDENTAPI_AUTH_BCRYPT_COST"?`, "STUDENTAPI_PASSWORD"},
		},
		{
			name:    "env misspelt command variable",
			env:     map[string]string{"STUDENTAPI_PASWORD": "hunter2"},
			wantErr: []string{`unknown environment variable "STUDENTAPI_PASWORD"; did you mean "STUDENTAPI_PASSWORD"?`},
		},
		{
			name:    "env unknown variable, even empty",
			env:     map[string]string{"STUDENTAPI_FOO": ""},
			wantErr: []string{`unknown environment variable "STUDENTAPI_FOO"; config.yaml names each key's variable; the others read are STUDENTAPI_PASSWORD, STUDENTAPI_TEST_BACKEND`},
		},
		{
			name:    "env bad rate",
			env:     map[string]string{"STUDENTAPI_API_THROTTLE_GETTOKEN_USERNAME": "5/minute,5/fortnight"},
			wantErr: []string{`STUDENTAPI_API_THROTTLE_GETTOKEN_USERNAME: rate "5/fortnight": unknown period "fortnight"`},
		},
		{
			name:    "rate not a rate",
			file:    "api:\n  throttle:\n    anon: 100\n",
			wantErr: []string{`$FILE: api.throttle.anon: rate "100": want <number>/<second|minute|hour|day> (line 3)`},
		},
		{
			name:    "empty rate in the login list",
			file:    "api:\n  throttle:\n    gettoken_username: [5/minute, \"\"]\n",
			wantErr: []string{"api.throttle.gettoken_username: holds an empty rate"},
		},
		{
			name:    "keyword list empty",
			env:     map[string]string{"STUDENTAPI_AUTH_KEYWORD": ","},
			wantErr: []string{"auth.keyword: names no scheme"},
		},
		{
			name:    "keyword list with a bad word",
			file:    "auth:\n  keyword: [Token, \"My Token\"]\n",
			wantErr: []string{`auth.keyword: "My Token" is not`},
		},
		{
			name: "every file problem reported at once",
			file: "addr: [1]\nfoo: 1\nhttp:\n  read_timeout: 5\n",
			wantErr: []string{
				"$FILE: addr: expected a single value, got a list (line 1)",
				`$FILE: unknown key "foo" (line 2)`,
				`$FILE: http.read_timeout: invalid duration "5"`,
			},
		},
		{
			name:    "env bare number duration",
			env:     map[string]string{"STUDENTAPI_HTTP_SHUTDOWN_TIMEOUT": "15"},
			wantErr: []string{`STUDENTAPI_HTTP_SHUTDOWN_TIMEOUT: invalid duration "15"`, `"5s"`},
		},

		// Validation, whichever source the value came from.
		{
			name:    "addr without port",
			env:     map[string]string{"STUDENTAPI_ADDR": "localhost"},
			wantErr: []string{`addr: "localhost" is not host:port`, `"127.0.0.1:8000"`},
		},
		{
			name:    "empty addr",
			file:    `addr: ""`,
			wantErr: []string{`addr: "" is not host:port`},
		},
		{
			name:    "log level",
			file:    "log_level: verbose\n",
			wantErr: []string{`log_level: unsupported "verbose" (supported: debug, info, warn, error)`},
		},
		{
			name:    "negative log flush interval",
			env:     map[string]string{"STUDENTAPI_LOG_FLUSH_INTERVAL": "-1ms"},
			wantErr: []string{`log_flush_interval: must be from 0 to 1m, got -1ms`},
		},
		{
			name:    "log flush interval over a minute",
			file:    "log_flush_interval: 2m\n",
			wantErr: []string{`log_flush_interval: must be from 0 to 1m, got 2m0s`},
		},
		{
			name:    "metrics.addr not host:port",
			env:     map[string]string{"STUDENTAPI_METRICS_ADDR": "9100"},
			wantErr: []string{`metrics.addr: "9100" is not host:port`},
		},
		{
			name:    "metrics.addr is addr",
			env:     map[string]string{"STUDENTAPI_METRICS_ADDR": "127.0.0.1:8000"},
			wantErr: []string{`metrics.addr: "127.0.0.1:8000" is addr itself`},
		},
		{
			name:    "gogc too low",
			env:     map[string]string{"STUDENTAPI_RUNTIME_GOGC": "5"},
			wantErr: []string{`runtime.gogc: must be from 10 to 1000, got 5`},
		},
		{
			name:    "gogc too high",
			file:    "runtime:\n  gogc: 5000\n",
			wantErr: []string{`runtime.gogc: must be from 10 to 1000, got 5000`},
		},
		{
			name:    "log level is case sensitive",
			env:     map[string]string{"STUDENTAPI_LOG_LEVEL": "INFO"},
			wantErr: []string{`log_level: unsupported "INFO"`},
		},
		{
			name:    "database driver",
			env:     map[string]string{"STUDENTAPI_DATABASE_DRIVER": "mysql"},
			wantErr: []string{`database.driver: unsupported "mysql" (supported: sqlite, postgres)`},
		},
		{
			name: "postgres without dsn or secret",
			env:  map[string]string{"STUDENTAPI_DATABASE_DRIVER": "postgres"},
			wantErr: []string{
				"database.dsn: must be set with driver postgres",
				"auth.secret_key: must be set with driver postgres, the same on every instance",
			},
		},
		{
			name: "pool sizes",
			env: map[string]string{
				"STUDENTAPI_DATABASE_POOL_MAX_OPEN":      "4",
				"STUDENTAPI_DATABASE_POOL_MAX_IDLE":      "5",
				"STUDENTAPI_DATABASE_POOL_MAX_LIFETIME":  "0s",
				"STUDENTAPI_DATABASE_POOL_MAX_IDLE_TIME": "-1s",
			},
			wantErr: []string{
				"database.pool.max_idle: 5; use 1 to database.pool.max_open (4)",
				"database.pool.max_lifetime: 0s",
				"database.pool.max_idle_time: -1s",
			},
		},
		{
			name:    "negative connection cap",
			env:     map[string]string{"STUDENTAPI_HTTP_MAX_CONNECTIONS": "-1"},
			wantErr: []string{"http.max_connections: must be 0 (derived from the open-file limit) or more, got -1"},
		},
		{
			name:    "negative hash slots",
			env:     map[string]string{"STUDENTAPI_AUTH_MAX_CONCURRENT_HASHES": "-1"},
			wantErr: []string{"auth.max_concurrent_hashes: -1 is out of range; use 1 to 1024, or 0 for max(2, the number of CPUs)"},
		},
		{
			name:    "too many hash slots",
			env:     map[string]string{"STUDENTAPI_AUTH_MAX_CONCURRENT_HASHES": "1025"},
			wantErr: []string{"auth.max_concurrent_hashes: 1025 is out of range"},
		},
		{
			name:    "negative query timeout",
			env:     map[string]string{"STUDENTAPI_DATABASE_QUERY_TIMEOUT": "-1s"},
			wantErr: []string{"database.query_timeout: must be 0 (no limit) or more, got -1s"},
		},
		{
			name:    "dsn without driver postgres",
			env:     map[string]string{"STUDENTAPI_DATABASE_DSN": "postgres://u@db/x"},
			wantErr: []string{`database.dsn: is set but database.driver is "sqlite"`},
		},
		{
			name:    "throttle store",
			env:     map[string]string{"STUDENTAPI_API_THROTTLE_STORE": "redis"},
			wantErr: []string{`api.throttle.store: unsupported "redis"`},
		},
		{
			name: "throttle memory and trust",
			env: map[string]string{
				"STUDENTAPI_API_THROTTLE_MEMORY_MAX_ENTRIES":   "10",
				"STUDENTAPI_API_THROTTLE_TRUSTED_LOGIN_WINDOW": "-1h",
			},
			wantErr: []string{
				"api.throttle.memory_max_entries: must be at least 1000, got 10",
				"api.throttle.trusted_login_window: must be 0 (no exemption) or more, got -1h0m0s",
			},
		},
		{
			name:    "pool without connections",
			env:     map[string]string{"STUDENTAPI_DATABASE_POOL_MAX_OPEN": "0"},
			wantErr: []string{"database.pool.max_open: 0; use at least 1"},
		},
		{
			name:    "database path empty",
			file:    "database:\n  path: \"\"\n",
			wantErr: []string{"database.path: must not be empty"},
		},
		{
			name:    "sqlite synchronous",
			env:     map[string]string{"STUDENTAPI_DATABASE_SQLITE_SYNCHRONOUS": "off"},
			wantErr: []string{`database.sqlite.synchronous: unsupported "off"`, `"full"`, `"normal"`},
		},
		{
			name:    "sqlite max_size negative",
			env:     map[string]string{"STUDENTAPI_DATABASE_SQLITE_MAX_SIZE": "-1"},
			wantErr: []string{"database.sqlite.max_size: -1", "0 for no limit"},
		},
		{
			name:    "auth keyword empty",
			file:    "auth:\n  keyword: \"\"\n",
			wantErr: []string{`auth.keyword: "" is not`},
		},
		{
			name:    "auth keyword with space",
			env:     map[string]string{"STUDENTAPI_AUTH_KEYWORD": "My Token"},
			wantErr: []string{`auth.keyword: "My Token" is not`, "no spaces"},
		},
		{
			name:    "auth keyword not ASCII",
			env:     map[string]string{"STUDENTAPI_AUTH_KEYWORD": "Tökén"},
			wantErr: []string{`auth.keyword: "Tökén" is not`},
		},
		{
			name:    "auth keyword with separator",
			env:     map[string]string{"STUDENTAPI_AUTH_KEYWORD": "Token:"},
			wantErr: []string{`auth.keyword: "Token:" is not`},
		},
		{
			name:    "bcrypt cost too low",
			env:     map[string]string{"STUDENTAPI_AUTH_BCRYPT_COST": "3"},
			wantErr: []string{"auth.bcrypt_cost: 3 is out of range; use 4 to 14"},
		},
		{
			name:    "bcrypt cost too high",
			file:    "auth:\n  bcrypt_cost: 32\n",
			wantErr: []string{"auth.bcrypt_cost: 32 is out of range; use 4 to 14"},
		},
		{
			// A cost the login check would refuse as too costly must not be
			// what new passwords are hashed at.
			name:    "bcrypt cost beyond what a login checks",
			file:    "auth:\n  bcrypt_cost: 15\n",
			wantErr: []string{"auth.bcrypt_cost: 15 is out of range; use 4 to 14"},
		},
		{
			name:    "secret key too short",
			env:     map[string]string{"STUDENTAPI_AUTH_SECRET_KEY": "hunter2"},
			wantErr: []string{"auth.secret_key: is 7 bytes, too short", "at least 32", "openssl rand -hex 32"},
		},
		{
			name:    "secret key of one repeated character",
			env:     map[string]string{"STUDENTAPI_AUTH_SECRET_KEY": strings.Repeat("a", 32)},
			wantErr: []string{"auth.secret_key: is one character repeated", "openssl rand -hex 32"},
		},
		{
			name:    "long secret key of one repeated character",
			file:    "auth:\n  secret_key: " + strings.Repeat("x", 100) + "\n",
			wantErr: []string{"auth.secret_key: is one character repeated"},
		},
		{
			name:    "secret key of a few characters repeated",
			env:     map[string]string{"STUDENTAPI_AUTH_SECRET_KEY": strings.Repeat("abc1", 16)},
			wantErr: []string{"auth.secret_key: has only 4 distinct characters", "want at least 8", "openssl rand -hex 32"},
		},
		{
			name:    "production without a secret key",
			file:    "production: true\n",
			wantErr: []string{"auth.secret_key: must be set in production", "STUDENTAPI_AUTH_SECRET_KEY"},
		},
		{
			name:    "negative token ttl",
			env:     map[string]string{"STUDENTAPI_AUTH_TOKEN_TTL": "-1h"},
			wantErr: []string{"auth.token_ttl: must be 0 (tokens never expire) or more, got -1h0m0s"},
		},
		{
			name:    "token ttl not a duration",
			file:    "auth:\n  token_ttl: 1 day\n",
			wantErr: []string{`$FILE: auth.token_ttl: invalid duration "1 day"`},
		},
		{
			name:    "token refresh without a ttl",
			env:     map[string]string{"STUDENTAPI_AUTH_TOKEN_REFRESH": "true"},
			wantErr: []string{"auth.token_refresh: has no effect without auth.token_ttl"},
		},
		{
			name:    "tls cert without key",
			file:    "tls:\n  cert_file: cert.pem\n",
			wantErr: []string{"tls.key_file: must be set because tls.cert_file is", "gencert"},
		},
		{
			name:    "tls key without cert",
			env:     map[string]string{"STUDENTAPI_TLS_KEY_FILE": "key.pem"},
			wantErr: []string{"tls.cert_file: must be set because tls.key_file is"},
		},
		{
			name:    "body limit zero",
			file:    "http:\n  body_limit: 0\n",
			wantErr: []string{"http.body_limit: must be greater than 0, got 0"},
		},
		{
			name:    "body limit negative",
			env:     map[string]string{"STUDENTAPI_HTTP_BODY_LIMIT": "-1"},
			wantErr: []string{"http.body_limit: must be greater than 0, got -1"},
		},
		{
			name:    "read header timeout zero",
			file:    "http:\n  read_header_timeout: 0s\n",
			wantErr: []string{"http.read_header_timeout: must be greater than 0, got 0s"},
		},
		{
			name:    "read timeout negative",
			env:     map[string]string{"STUDENTAPI_HTTP_READ_TIMEOUT": "-1s"},
			wantErr: []string{"http.read_timeout: must be greater than 0, got -1s"},
		},
		{
			name:    "write timeout zero",
			env:     map[string]string{"STUDENTAPI_HTTP_WRITE_TIMEOUT": "0s"},
			wantErr: []string{"http.write_timeout: must be greater than 0"},
		},
		{
			name:    "idle timeout zero",
			env:     map[string]string{"STUDENTAPI_HTTP_IDLE_TIMEOUT": "0s"},
			wantErr: []string{"http.idle_timeout: must be greater than 0"},
		},
		{
			name:    "shutdown timeout zero",
			env:     map[string]string{"STUDENTAPI_HTTP_SHUTDOWN_TIMEOUT": "0s"},
			wantErr: []string{"http.shutdown_timeout: must be greater than 0"},
		},
		{
			name:    "trusted proxy not an address",
			file:    "http:\n  trusted_proxies: [10.0.0.1, example.com]\n",
			wantErr: []string{`http.trusted_proxies: "example.com" is not an IP address or CIDR`},
		},
		{
			name:    "trusted proxy bad CIDR",
			env:     map[string]string{"STUDENTAPI_HTTP_TRUSTED_PROXIES": "10.0.0.0/33"},
			wantErr: []string{`STUDENTAPI_HTTP_TRUSTED_PROXIES: "10.0.0.0/33" is not an IP address or CIDR`},
		},
		{
			name:    "production without allowed hosts",
			env:     map[string]string{"STUDENTAPI_PRODUCTION": "true", "STUDENTAPI_AUTH_SECRET_KEY": configTestSecret},
			wantErr: []string{"http.allowed_hosts: must be set in production", "STUDENTAPI_HTTP_ALLOWED_HOSTS"},
		},
		{
			name:    "allowed host with a port",
			file:    "http:\n  allowed_hosts: [api.example.com:8000]\n",
			wantErr: []string{`http.allowed_hosts: allowed host "api.example.com:8000": not a host name`},
		},
		{
			name:    "allowed hosts with a wildcard label",
			env:     map[string]string{"STUDENTAPI_HTTP_ALLOWED_HOSTS": "*.example.com"},
			wantErr: []string{`http.allowed_hosts: allowed host "*.example.com": write a domain and its subdomains as ".example.com"`},
		},
		{
			name:    "production refuses plain HTTP on a public address",
			env:     map[string]string{"STUDENTAPI_PRODUCTION": "true", "STUDENTAPI_AUTH_SECRET_KEY": configTestSecret, "STUDENTAPI_ADDR": "0.0.0.0:8000"},
			wantErr: []string{"production: refusing plain HTTP on 0.0.0.0:8000"},
		},
		{
			name:    "throttle rate malformed",
			file:    "api:\n  throttle:\n    gettoken: 5/fortnight\n",
			wantErr: []string{`api.throttle.gettoken: rate "5/fortnight"`},
		},
		{
			name:    "negative page size",
			env:     map[string]string{"STUDENTAPI_API_PAGE_SIZE": "-1"},
			wantErr: []string{"api.page_size: must be 0"},
		},
		{
			name: "every problem reported at once",
			env: map[string]string{
				"STUDENTAPI_LOG_LEVEL":       "loud",
				"STUDENTAPI_HTTP_BODY_LIMIT": "0",
			},
			wantErr: []string{"invalid configuration: ", "log_level: unsupported", "http.body_limit: must be greater than 0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTestConfig(t, tt.file)
			_, err := LoadConfig(path, true, configTestEnv(tt.env))
			if err == nil {
				t.Fatalf("LoadConfig error = nil, want one containing %q", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				want = strings.ReplaceAll(want, "$FILE", path)
				if !strings.Contains(err.Error(), want) {
					t.Errorf("LoadConfig error = %q, want it to contain %q", err, want)
				}
			}
		})
	}
}

// TestCommittedConfig keeps the repository's config.yaml from drifting: it must
// load, equal the defaults, and list and document every key.
func TestCommittedConfig(t *testing.T) {
	const path = "config.yaml"
	got, err := LoadConfig(path, true, configTestEnv(nil))
	if err != nil {
		t.Fatalf("LoadConfig(%q) error: %v", path, err)
	}
	if want := DefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("LoadConfig(%q) =\n%+v\nwant DefaultConfig()\n%+v", path, got, want)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	var listed []string
	collectYAMLLeafKeys(doc.Content[0], "", &listed)
	for _, k := range configKeys().keys {
		if !slices.Contains(listed, k.name) {
			t.Errorf("%s does not list key %q with its default", path, k.name)
		}
		if !strings.Contains(string(data), k.env) {
			t.Errorf("%s does not mention %s for key %q", path, k.env, k.name)
		}
	}
}

// TestREADMEConfigTable keeps the README's table of keys from drifting: it
// lists every key once, with DefaultConfig's value as the table writes it
// (`30m` for 30m0s, "empty", "none" for an empty list).
func TestREADMEConfigTable(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatalf("read README.md: %v", err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Configuration\n")
	if !ok {
		t.Fatal(`README.md has no "## Configuration" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	keys := configKeys()
	defaults := configTestNode(t, DefaultConfig())
	code := regexp.MustCompile("`([^`]*)`")
	seen := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, " | ")
		if !strings.HasPrefix(line, "| `") || len(cells) < 3 {
			continue
		}
		var names, values []string
		for _, m := range code.FindAllStringSubmatch(cells[0], -1) {
			names = append(names, m[1])
		}
		if m := code.FindAllStringSubmatch(cells[1], -1); m != nil {
			for _, v := range m {
				values = append(values, v[1])
			}
		} else {
			values = strings.Split(cells[1], ", ")
		}
		if len(values) == 1 && len(names) > 1 { // "empty" for both
			values = slices.Repeat(values, len(names))
		}
		if len(names) != len(values) {
			t.Errorf("README row %q: %d keys, %d defaults", line, len(names), len(values))
			continue
		}
		for i, name := range names {
			key, ok := keys.find(name)
			if !ok {
				t.Errorf("README lists %q, which is not a key", name)
				continue
			}
			if seen[name] {
				t.Errorf("README lists %q twice", name)
			}
			seen[name] = true
			text := map[string]string{"empty": `""`, "none": "[]"}[values[i]]
			if text == "" {
				text = values[i]
			}
			var value yaml.Node
			if err := yaml.Unmarshal([]byte(text), &value); err != nil {
				t.Errorf("README default of %s, %q: %v", name, values[i], err)
				continue
			}
			var cfg Config
			if err := key.set(&cfg, value.Content[0]); err != nil {
				t.Errorf("README default of %s, %q: %v", name, values[i], err)
				continue
			}
			got, want := configTestValue(t, configTestNode(t, cfg), name), configTestValue(t, defaults, name)
			if got != want {
				t.Errorf("README default of %s is %q (%s), DefaultConfig's is %s", name, values[i], got, want)
			}
		}
	}
	for _, k := range keys.keys {
		if !seen[k.name] {
			t.Errorf("README's configuration table does not list %s", k.name)
		}
	}
}

// configTestNode is cfg as YAML.
func configTestNode(t *testing.T, cfg Config) *yaml.Node {
	t.Helper()
	var n yaml.Node
	if err := n.Encode(cfg); err != nil {
		t.Fatalf("encode: %v", err)
	}
	return &n
}

// configTestValue is the YAML text of key's value in root, as in "30m0s" or
// "[5/minute, 100/hour]".
func configTestValue(t *testing.T, root *yaml.Node, key string) string {
	t.Helper()
	n := root
	for name := range strings.SplitSeq(key, ".") {
		i := 0
		for i < len(n.Content) && n.Content[i].Value != name {
			i += 2
		}
		if i+1 >= len(n.Content) {
			t.Fatalf("no key %s", key)
		}
		n = n.Content[i+1]
	}
	if n.Kind == yaml.SequenceNode {
		var items []string
		for _, item := range n.Content {
			items = append(items, item.Value)
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	return strconv.Quote(n.Value)
}

// collectYAMLLeafKeys appends the dotted key of every non-mapping value under n.
func collectYAMLLeafKeys(n *yaml.Node, prefix string, keys *[]string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := joinConfigKey(prefix, n.Content[i].Value)
		if v := n.Content[i+1]; v.Kind == yaml.MappingNode {
			collectYAMLLeafKeys(v, key, keys)
		} else {
			*keys = append(*keys, key)
		}
	}
}

// TestConfigKeys pins the environment variable names, which are derived
// from the yaml tags and so would change silently with a renamed tag.
func TestConfigKeys(t *testing.T) {
	want := []string{
		"STUDENTAPI_ADDR",
		"STUDENTAPI_PRODUCTION",
		"STUDENTAPI_LOG_LEVEL",
		"STUDENTAPI_LOG_FLUSH_INTERVAL",
		"STUDENTAPI_DATABASE_DRIVER",
		"STUDENTAPI_DATABASE_PATH",
		"STUDENTAPI_DATABASE_DSN",
		"STUDENTAPI_DATABASE_MIGRATE_ON_START",
		"STUDENTAPI_DATABASE_POOL_MAX_OPEN",
		"STUDENTAPI_DATABASE_POOL_MAX_IDLE",
		"STUDENTAPI_DATABASE_POOL_MAX_LIFETIME",
		"STUDENTAPI_DATABASE_POOL_MAX_IDLE_TIME",
		"STUDENTAPI_DATABASE_SQLITE_SYNCHRONOUS",
		"STUDENTAPI_DATABASE_SQLITE_MAX_SIZE",
		"STUDENTAPI_DATABASE_QUERY_TIMEOUT",
		"STUDENTAPI_AUTH_KEYWORD",
		"STUDENTAPI_AUTH_CREATE_TOKEN_ON_USER_CREATE",
		"STUDENTAPI_AUTH_BCRYPT_COST",
		"STUDENTAPI_AUTH_MAX_CONCURRENT_HASHES",
		"STUDENTAPI_AUTH_SECRET_KEY",
		"STUDENTAPI_AUTH_TOKEN_TTL",
		"STUDENTAPI_AUTH_TOKEN_REFRESH",
		"STUDENTAPI_AUTH_PASSWORD_VALIDATORS",
		"STUDENTAPI_TLS_CERT_FILE",
		"STUDENTAPI_TLS_KEY_FILE",
		"STUDENTAPI_HTTP_BODY_LIMIT",
		"STUDENTAPI_HTTP_MAX_CONNECTIONS",
		"STUDENTAPI_HTTP_READ_HEADER_TIMEOUT",
		"STUDENTAPI_HTTP_READ_TIMEOUT",
		"STUDENTAPI_HTTP_WRITE_TIMEOUT",
		"STUDENTAPI_HTTP_IDLE_TIMEOUT",
		"STUDENTAPI_HTTP_SHUTDOWN_TIMEOUT",
		"STUDENTAPI_HTTP_TRUSTED_PROXIES",
		"STUDENTAPI_HTTP_ALLOWED_HOSTS",
		"STUDENTAPI_API_PAGE_SIZE",
		"STUDENTAPI_API_PAGE_SIZE_QUERY_PARAM",
		"STUDENTAPI_API_MAX_PAGE_SIZE",
		"STUDENTAPI_API_SCHEMA",
		"STUDENTAPI_API_THROTTLE_ANON",
		"STUDENTAPI_API_THROTTLE_USER",
		"STUDENTAPI_API_THROTTLE_GETTOKEN",
		"STUDENTAPI_API_THROTTLE_GETTOKEN_USERNAME",
		"STUDENTAPI_API_THROTTLE_STORE",
		"STUDENTAPI_API_THROTTLE_MEMORY_MAX_ENTRIES",
		"STUDENTAPI_API_THROTTLE_TRUSTED_LOGIN_WINDOW",
		"STUDENTAPI_ADMIN_SESSION_TTL",
		"STUDENTAPI_RUNTIME_GOGC",
		"STUDENTAPI_METRICS_ENABLED",
		"STUDENTAPI_METRICS_ADDR",
		"STUDENTAPI_METRICS_ALLOW",
	}
	var got []string
	for _, k := range configKeys().keys {
		got = append(got, k.env)
	}
	if !slices.Equal(got, want) {
		t.Errorf("env names =\n%q\nwant\n%q", got, want)
	}
}

// TestConfigEnvSetsEveryKey sets each key from the environment to its default
// written as text, so a field of a type the decoder does not read fails here.
func TestConfigEnvSetsEveryKey(t *testing.T) {
	defaults := configTestNode(t, DefaultConfig())
	for _, k := range configKeys().keys {
		t.Run(k.env, func(t *testing.T) {
			val := strings.Trim(configTestValue(t, defaults, k.name), `"[]`)
			val = strings.ReplaceAll(val, ", ", ",")
			env := map[string]string{k.env: val}
			if val == "" {
				// Keys that default to empty get a valid value of their own,
				// with any key they must come with.
				extra, ok := emptyDefaultExamples[k.name]
				if !ok {
					t.Fatalf("%s defaults to empty and has no example value here", k.name)
				}
				env = extra
			}
			if _, err := LoadConfig(filepath.Join(t.TempDir(), "none.yaml"), false, configTestEnv(env)); err != nil {
				t.Errorf("LoadConfig with %q error: %v", env, err)
			}
		})
	}
}

// configTestSecret is a valid auth.secret_key.
const configTestSecret = "a config test secret, 32 bytes or more"

// emptyDefaultExamples are valid settings for keys whose default is empty.
var emptyDefaultExamples = map[string]map[string]string{
	"auth.secret_key": {"STUDENTAPI_AUTH_SECRET_KEY": configTestSecret},
	"database.dsn": {
		"STUDENTAPI_DATABASE_DRIVER": "postgres",
		"STUDENTAPI_DATABASE_DSN":    "postgres://u:p@db.internal:5432/studentapi",
		"STUDENTAPI_AUTH_SECRET_KEY": configTestSecret,
	},
	"tls.cert_file":             {"STUDENTAPI_TLS_CERT_FILE": "c.pem", "STUDENTAPI_TLS_KEY_FILE": "k.pem"},
	"tls.key_file":              {"STUDENTAPI_TLS_CERT_FILE": "c.pem", "STUDENTAPI_TLS_KEY_FILE": "k.pem"},
	"http.trusted_proxies":      {"STUDENTAPI_HTTP_TRUSTED_PROXIES": "10.0.0.1,fd00::/8"},
	"metrics.addr":              {"STUDENTAPI_METRICS_ADDR": "127.0.0.1:9100"},
	"metrics.allow":             {"STUDENTAPI_METRICS_ALLOW": "10.0.0.5,192.168.1.0/24"},
	"http.allowed_hosts":        {"STUDENTAPI_HTTP_ALLOWED_HOSTS": "api.example.com,.example.org"},
	"api.page_size_query_param": {"STUDENTAPI_API_PAGE_SIZE_QUERY_PARAM": "page_size"},
	"api.throttle.anon":         {"STUDENTAPI_API_THROTTLE_ANON": "100/hour"},
	"api.throttle.user":         {"STUDENTAPI_API_THROTTLE_USER": "1000/day"},
}

func TestTLSEnabled(t *testing.T) {
	tests := []struct {
		tls  TLSConfig
		want bool
	}{
		{TLSConfig{}, false},
		{TLSConfig{CertFile: "c.pem"}, false},
		{TLSConfig{KeyFile: "k.pem"}, false},
		{TLSConfig{CertFile: "c.pem", KeyFile: "k.pem"}, true},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		c.TLS = tt.tls
		if got := c.TLSEnabled(); got != tt.want {
			t.Errorf("Config{TLS: %+v}.TLSEnabled() = %v, want %v", tt.tls, got, tt.want)
		}
	}
}

// In development an empty http.allowed_hosts is the loopback names; in
// production, and whenever it is set, it is what it says.
func TestAllowedHostsDefault(t *testing.T) {
	tests := []struct {
		production bool
		set        []string
		want       []string
	}{
		{false, nil, []string{".localhost", "127.0.0.1", "[::1]"}},
		{false, []string{"api.example.com"}, []string{"api.example.com"}},
		{true, []string{"api.example.com"}, []string{"api.example.com"}},
		{true, nil, nil},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		c.Production, c.HTTP.AllowedHosts = tt.production, tt.set
		if got := c.AllowedHosts(); !slices.Equal(got, tt.want) {
			t.Errorf("production %v, http.allowed_hosts %q: AllowedHosts() = %q, want %q", tt.production, tt.set, got, tt.want)
		}
	}
}

// Production may serve plain HTTP only on loopback or behind a trusted proxy;
// with TLS anywhere.
func TestProductionPlainHTTPAllowed(t *testing.T) {
	base := map[string]string{"STUDENTAPI_PRODUCTION": "true", "STUDENTAPI_AUTH_SECRET_KEY": configTestSecret, "STUDENTAPI_HTTP_ALLOWED_HOSTS": "api.example.com"}
	for _, extra := range []map[string]string{
		{"STUDENTAPI_ADDR": "127.0.0.1:8000"},
		{"STUDENTAPI_ADDR": "[::1]:8000"},
		{"STUDENTAPI_ADDR": "localhost:8000"},
		{"STUDENTAPI_ADDR": "0.0.0.0:8000", "STUDENTAPI_HTTP_TRUSTED_PROXIES": "10.0.0.5"},
		{"STUDENTAPI_ADDR": "0.0.0.0:8443", "STUDENTAPI_TLS_CERT_FILE": "c.pem", "STUDENTAPI_TLS_KEY_FILE": "k.pem"},
	} {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range extra {
			env[k] = v
		}
		if _, err := LoadConfig(filepath.Join(t.TempDir(), "none.yaml"), false, configTestEnv(env)); err != nil {
			t.Errorf("%v: %v", extra, err)
		}
	}
}

// TestCommandEnvListed keeps commandEnv whole and documented: every
// STUDENTAPI_ name that scripts/ or a Go file outside the config tests uses is
// a key's variable or one of commandEnv, and the README names each of those.
func TestCommandEnvListed(t *testing.T) {
	known := commandEnv()
	for _, k := range configKeys().keys {
		known = append(known, k.env)
	}
	var files []string
	for _, pattern := range []string{"scripts/*.sh", "*.go", "*/*.go", "*/*/*.go"} {
		more, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, more...)
	}
	name := regexp.MustCompile(`STUDENTAPI_[A-Z0-9_]*[A-Z0-9]`)
	for _, f := range files {
		if f == "config_test.go" {
			continue // misspells names on purpose
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range name.FindAllString(string(data), -1) {
			if !slices.Contains(known, n) {
				t.Errorf("%s uses %s, which is neither a config key's variable nor in commandEnv", f, n)
			}
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range commandEnv() {
		if !strings.Contains(string(readme), "`"+n+"`") {
			t.Errorf("README.md does not list %s", n)
		}
	}
}

// A misspelt STUDENTAPI_ variable stops a command before it opens the
// database. (Here, not in cli_test.go: TestCommandEnvListed reads that file.)
func TestMisspeltEnvStopsCommand(t *testing.T) {
	c := newSQLiteCLI(t)
	c.env["STUDENTAPI_AUTH_BCRYPT_COTS"] = "4"
	_, _, err := c.run(t, "", "migrate")
	checkExit(t, err, 1, `unknown environment variable "STUDENTAPI_AUTH_BCRYPT_COTS"; did you mean "STUDENTAPI_AUTH_BCRYPT_COST"?`)
	if _, err := os.Stat(c.env["STUDENTAPI_DATABASE_PATH"]); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("database file exists after a config error (stat error %v)", err)
	}
}

// prefixes are trusted proxies as the config holds them; the addresses are
// the test's own and good.
func prefixes(list ...string) []proxies.Prefix {
	out := make([]proxies.Prefix, len(list))
	for i, s := range list {
		p, err := proxies.ParsePrefix(s)
		if err != nil {
			panic(err)
		}
		out[i] = p
	}
	return out
}

// auth.password_validators is AUTH_PASSWORD_VALIDATORS: names or {name,
// options}, Django's dotted names too; [] turns validation off; a name or an
// option Django does not have is refused with the key named.
func TestPasswordValidatorsConfig(t *testing.T) {
	for _, tt := range []struct {
		name, file string
		env        map[string]string
		want       []PasswordValidatorConfig
		wantErr    string
	}{
		{name: "default", want: defaultPasswordValidators()},
		{name: "mappings with options",
			file: "auth:\n  password_validators:\n    - name: django.contrib.auth.password_validation.MinimumLengthValidator\n      options: {min_length: 12}\n    - NumericPasswordValidator\n",
			want: []PasswordValidatorConfig{{Name: "django.contrib.auth.password_validation.MinimumLengthValidator", Options: map[string]any{"min_length": 12}}, {Name: "NumericPasswordValidator"}}},
		{name: "none", file: "auth:\n  password_validators: []\n", want: nil},
		{name: "env", env: map[string]string{"STUDENTAPI_AUTH_PASSWORD_VALIDATORS": "CommonPasswordValidator, NumericPasswordValidator"},
			want: []PasswordValidatorConfig{{Name: "CommonPasswordValidator"}, {Name: "NumericPasswordValidator"}}},
		{name: "unknown validator", file: "auth:\n  password_validators: [LengthValidator]\n",
			wantErr: `auth.password_validators: unknown validator "LengthValidator"`},
		{name: "unknown option", file: "auth:\n  password_validators:\n    - {name: MinimumLengthValidator, options: {length: 3}}\n",
			wantErr: `auth.password_validators: MinimumLengthValidator: unknown option "length"`},
		{name: "unknown entry key", file: "auth:\n  password_validators:\n    - {NAME: MinimumLengthValidator}\n",
			wantErr: `auth.password_validators: a validator has a name and options, not "NAME"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTestConfig(t, tt.file)
			cfg, err := LoadConfig(path, true, configTestEnv(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadConfig error = %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			if got := cfg.Auth.PasswordValidators; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("password_validators = %+v, want %+v", got, tt.want)
			}
			vs, err := cfg.passwordValidators()
			if err != nil || len(vs) != len(tt.want) {
				t.Errorf("passwordValidators() = %d validators, %v; want %d", len(vs), err, len(tt.want))
			}
		})
	}
}
