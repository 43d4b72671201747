package main

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LoadConfig starts from DefaultConfig, applies the YAML file at path, then the
// STUDENTAPI_* variables of environ (as os.Environ lists them) that are not
// empty, and validates the result. A missing file means defaults unless
// explicit is true, i.e. the user named the file; then it is an error.
// Command-line flags come last and are the caller's to apply: call Validate
// again after applying them.
func LoadConfig(path string, explicit bool, environ []string) (Config, error) {
	cfg := DefaultConfig()
	keys := configKeys()

	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := keys.applyFile(&cfg, path, data); err != nil {
			return Config{}, err
		}
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		// The default config.yaml is optional: defaults and environment suffice.
	default:
		return Config{}, fmt.Errorf("read config file: %w", err)
	}

	if err := keys.applyEnv(&cfg, environ); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("invalid configuration: %w", err)
	}
	return cfg, nil
}

// configEnvPrefix starts the environment variable of every config key.
const configEnvPrefix = "STUDENTAPI_"

// commandEnv lists the STUDENTAPI_ variables that are not config keys: read
// by a command, or by the tests and scripts/. Any other STUDENTAPI_ variable
// that names no key is refused, as a misspelt key in config.yaml is. The
// README's Configuration section lists them too.
func commandEnv() []string {
	return []string{
		passwordEnv,                    // createsuperuser, createuser and changepassword with --noinput
		"STUDENTAPI_TEST_BACKEND",      // tests: sqlite or postgres
		"STUDENTAPI_TEST_POSTGRES_DSN", // tests: the PostgreSQL server to test against
		"STUDENTAPI_REQUIRE_POSTGRES",  // tests: fail rather than skip without PostgreSQL
		"STUDENTAPI_REQUIRE_BROWSER",   // tests: fail rather than skip without Chromium
		"STUDENTAPI_SCREENSHOTS",       // tests: where the browser tests save screenshots
	}
}

// configKey is one leaf key of Config.
type configKey struct {
	name string // dotted, e.g. "auth.bcrypt_cost"
	env  string // e.g. "STUDENTAPI_AUTH_BCRYPT_COST"
	list bool   // a list: comma-separated in the environment
	// mappingItems: the list's items may be mappings, which their type reads
	// (and refuses) itself; any other list takes single values only.
	mappingItems bool
	// tag is the YAML tag of the key's default: "!!str" for a string,
	// duration or rate (read as text whatever it looks like), "!!bool" and
	// "!!int" for the scalars whose spelling strconv decides (as before the
	// YAML decoder read them: "1" is true, "yes" is no boolean, "010" is ten).
	tag string
}

// configSchema is Config's keys, read off the YAML encoding of DefaultConfig
// so that the yaml tags stay their only list.
type configSchema struct {
	keys     []configKey         // in the order of Config's fields
	sections map[string][]string // the names directly under each section; "" is the top level
}

// configKeys reads Config's schema. A key whose default is text (a string,
// a duration, a rate) is read as text: "0" is a duration, "8000" a string.
func configKeys() configSchema {
	var root yaml.Node
	if err := root.Encode(DefaultConfig()); err != nil {
		panic(fmt.Sprintf("encode DefaultConfig: %v", err)) // a bug every test would hit
	}
	s := configSchema{sections: map[string][]string{}}
	var walk func(n *yaml.Node, section string)
	walk = func(n *yaml.Node, section string) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			name, v := joinConfigKey(section, n.Content[i].Value), n.Content[i+1]
			s.sections[section] = append(s.sections[section], n.Content[i].Value)
			if v.Kind == yaml.MappingNode {
				walk(v, name)
				continue
			}
			env := configEnvPrefix + strings.ToUpper(strings.ReplaceAll(name, ".", "_"))
			// A list whose default items are mappings (auth.password_validators)
			// has an item type that reads mappings itself.
			mappings := v.Kind == yaml.SequenceNode && len(v.Content) > 0 && v.Content[0].Kind == yaml.MappingNode
			s.keys = append(s.keys, configKey{name: name, env: env, list: v.Kind == yaml.SequenceNode, mappingItems: mappings, tag: v.ShortTag()})
		}
	}
	walk(&root, "")
	return s
}

func joinConfigKey(section, name string) string {
	if section == "" {
		return name
	}
	return section + "." + name
}

// find returns the key whose dotted name or variable is name.
func (s configSchema) find(name string) (configKey, bool) {
	i := slices.IndexFunc(s.keys, func(k configKey) bool { return k.name == name || k.env == name })
	if i < 0 {
		return configKey{}, false
	}
	return s.keys[i], true
}

// applyFile decodes a config file onto cfg one key at a time, refusing keys
// that Config does not have, so that every error names its key and line.
// The values are the YAML decoder's to read; what is ours is the walk over
// the keys. yaml's own strict mode (Decoder.KnownFields) does not serve: it
// names an unknown key by Go type ("field keywrod not found in type
// main.AuthConfig"), with no dotted key to suggest a spelling for; an error
// from a value's UnmarshalText carries no line; and a key left empty would
// empty a list instead of keeping its default.
func (s configSchema) applyFile(cfg *Config, path string, data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil // empty, or comments only
	}
	var names []string // for suggestions
	for _, k := range s.keys {
		names = append(names, k.name)
	}
	var errs []error
	var walk func(n *yaml.Node, section string)
	walk = func(n *yaml.Node, section string) {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if n.ShortTag() == "!!null" {
			return // a section with nothing under it
		}
		if n.Kind != yaml.MappingNode {
			errs = append(errs, fmt.Errorf("%s: %s: expected a mapping of keys, got %s (line %d)", path, cmp.Or(section, "top level"), yamlKindName(n), n.Line))
			return
		}
		seen := make(map[string]bool, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			name := joinConfigKey(section, k.Value)
			key, isKey := s.find(name)
			_, isSection := s.sections[name]
			switch {
			case seen[name]:
				errs = append(errs, fmt.Errorf("%s: duplicate key %q (line %d); keep only one", path, name, k.Line))
			case isKey:
				if err := key.set(cfg, v); err != nil {
					errs = append(errs, fmt.Errorf("%s: %s: %w (line %d)", path, name, err, v.Line))
				}
			case isSection:
				walk(v, name)
			default:
				where := "at the top level"
				if section != "" {
					where = "under " + section
				}
				errs = append(errs, fmt.Errorf("%s: unknown key %q (line %d)%s valid keys %s: %s",
					path, name, k.Line, didYouMean(name, names, ""), where, strings.Join(s.sections[section], ", ")))
			}
			seen[name] = true
		}
	}
	walk(doc.Content[0], "")
	return errors.Join(errs...)
}

// applyEnv sets every key whose variable environ holds and is not empty,
// through the same decoder as the file: lists are comma-separated. A
// STUDENTAPI_ variable that names no key and is not in commandEnv is an
// error, as an unknown key in the file is.
func (s configSchema) applyEnv(cfg *Config, environ []string) error {
	others := commandEnv()
	known := slices.Clone(others) // every variable read, for suggestions
	for _, k := range s.keys {
		known = append(known, k.env)
	}
	var errs []error
	for _, kv := range environ {
		name, val, _ := strings.Cut(kv, "=")
		key, ok := s.find(name)
		switch {
		case !strings.HasPrefix(name, configEnvPrefix) || slices.Contains(others, name):
			continue
		case !ok:
			errs = append(errs, fmt.Errorf("unknown environment variable %q%s config.yaml names each key's variable; the others read are %s",
				name, didYouMean(name, known, configEnvPrefix), strings.Join(others, ", ")))
			continue
		case val == "":
			continue // empty is unset
		}
		n := &yaml.Node{Kind: yaml.ScalarNode, Value: val}
		if key.tag == "!!str" {
			n.Tag = "!!str" // "null" is a string here, not "unset"
		}
		if key.list {
			n = &yaml.Node{Kind: yaml.SequenceNode}
			for item := range strings.SplitSeq(val, ",") {
				if item = strings.TrimSpace(item); item != "" {
					n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: item})
				}
			}
		}
		if err := key.set(cfg, n); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// set decodes n onto the key's field of cfg with the YAML decoder, the one
// parser of values from the file and from the environment alike: durations
// as time.ParseDuration reads them, rates as throttle.ParseRate, numbers and
// booleans as YAML does. A null (a key with nothing after the colon) keeps
// the default, as an empty variable does; an empty list is nil, as in
// DefaultConfig.
func (k configKey) set(cfg *Config, n *yaml.Node) error {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind == yaml.SequenceNode {
		// An item that is not a scalar would decode into a Prefix or a Rate
		// as its zero value, without a word.
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode && !(k.mappingItems && item.Kind == yaml.MappingNode) {
				return errors.New("list items must be single values")
			}
		}
	}
	switch {
	case n.Kind == yaml.SequenceNode && len(n.Content) == 0:
		n = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	case n.Kind == yaml.ScalarNode && k.tag == "!!str":
		// YAML would read 0 as a number, which a duration refuses although
		// time.ParseDuration takes it.
		n = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: n.Value, Line: n.Line}
	case n.Kind == yaml.ScalarNode && k.tag == "!!bool":
		b, err := strconv.ParseBool(n.Value)
		if err != nil {
			return fmt.Errorf("invalid boolean %q; use true or false", n.Value)
		}
		n = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b), Line: n.Line}
	case n.Kind == yaml.ScalarNode && k.tag == "!!int":
		i, err := strconv.ParseInt(n.Value, 10, 64)
		if errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("integer %q is out of range", n.Value)
		}
		if err != nil {
			return fmt.Errorf("invalid integer %q", n.Value)
		}
		n = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(i, 10), Line: n.Line}
	}
	// The value, under one mapping per section of its key: {auth: {bcrypt_cost: n}}.
	doc := n
	parts := strings.Split(k.name, ".")
	for i := len(parts) - 1; i >= 0; i-- {
		name := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: parts[i]}
		doc = &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{name, doc}}
	}
	var typeErr *yaml.TypeError
	if err := doc.Decode(cfg); errors.As(err, &typeErr) {
		return k.explain(n, typeErr)
	} else if err != nil {
		return err
	}
	return nil
}

// explain words the decoder's complaint about n ("line 2: cannot unmarshal
// !!str `lots` into int64") as what the key wants; the caller adds the key
// and the line.
func (k configKey) explain(n *yaml.Node, err *yaml.TypeError) error {
	msg, into := err.Errors[0], "" // into: the Go type it wanted
	if i := strings.LastIndex(msg, " into "); i >= 0 {
		into = msg[i+len(" into "):]
	}
	switch {
	case k.list && n.Kind != yaml.SequenceNode:
		return fmt.Errorf(`expected a list, got %s; write [] or one "- item" per line`, yamlKindName(n))
	case n.Kind != yaml.ScalarNode:
		return fmt.Errorf("expected a single value, got %s", yamlKindName(n))
	case into == "time.Duration":
		return fmt.Errorf(`invalid duration %q; use a Go duration such as "5s" or "2m"`, n.Value)
	case strings.HasPrefix(into, "int"):
		// set has read it as a 64-bit integer; the field is narrower.
		return fmt.Errorf("integer %q is out of range", n.Value)
	}
	_, msg, _ = strings.Cut(msg, ": ") // the caller names the line
	return errors.New(msg)
}

func yamlKindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the value %q", n.Value)
	default:
		return "nothing"
	}
}

// didYouMean suggests the one of names nearest to name, when one is near
// enough to be a typo of it: `; did you mean "x"?`, or ";" when none is.
// Names are compared without prefix, which they all share.
func didYouMean(name string, names []string, prefix string) string {
	best, bestDist := "", (len(name)-len(prefix))/3+1
	for _, n := range names {
		d := editDistance(strings.ToLower(name[len(prefix):]), strings.ToLower(strings.TrimPrefix(n, prefix)))
		if d < bestDist {
			best, bestDist = n, d
		}
	}
	if best == "" {
		return ";"
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
