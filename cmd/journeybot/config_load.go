package main

// Loading the configuration from config.yaml and the environment.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	yamlv3 "go.yaml.in/yaml/v3"

	"github.com/journeybot/journeybot/bot"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"
)

// Environment variables LoadConfig reads besides the keys' own.
const (
	envPrefix = "JOURNEYBOT_"
	// configPathEnv names the config file; main reads it, so LoadConfig skips it rather than refusing it.
	configPathEnv = "JOURNEYBOT_CONFIG"
)

// LoadConfig returns DefaultConfig overridden, in this order, by the YAML file at path (skipped when path is empty),
// by OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_MODEL, and by JOURNEYBOT_* variables, all taken from environ
// ("NAME=value" entries, as os.Environ returns). Empty OPENAI_* variables count as unset, as in OpenAI's SDKs.
//
// It refuses, naming the key or variable and where it came from: a missing or unparsable file, unknown keys, unknown
// JOURNEYBOT_* variables and values of the wrong type or out of range. All such problems are reported together.
func LoadConfig(path string, environ []string) (Config, error) {
	cfg := DefaultConfig()
	known := map[string]field{}
	envKeys := map[string]string{} // variable -> key
	for _, f := range configFields() {
		known[f.key] = f
		envKeys[f.env] = f.key
	}
	// The variables OpenAI's SDKs, Twilio's and Slack's read; JOURNEYBOT_* variables override them.
	openAIEnv := map[string]string{
		"OPENAI_API_KEY":       "model.api_key",
		"OPENAI_BASE_URL":      "model.base_url",
		"OPENAI_MODEL":         "model.name",
		"TWILIO_ACCOUNT_SID":   "sms.account_sid",
		"TWILIO_AUTH_TOKEN":    "sms.auth_token",
		"SLACK_BOT_TOKEN":      "slack.bot_token",
		"SLACK_SIGNING_SECRET": "slack.signing_secret",
		"SLACK_APP_TOKEN":      "slack.app_token",
	}
	origin := map[string]string{} // key -> where its value came from, for errors
	var errs []error

	if path != "" {
		k := koanf.New(".")
		if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
			if _, ok := errors.AsType[*fs.PathError](err); ok {
				return Config{}, fmt.Errorf("read config: %w", err) // the error names the file
			}
			return Config{}, fmt.Errorf("%s: %w", path, err)
		}
		values := k.All()
		for _, f := range known {
			if !f.structured || !k.Exists(f.key) {
				continue
			}
			dropSubtree(values, f.key)
			if err := setStructured(&cfg, f, k.Get(f.key)); err != nil {
				errs = append(errs, fmt.Errorf("%s: %s: %w", path, f.key, err))
				continue
			}
			origin[f.key] = path
		}
		errs = append(errs, apply(&cfg, known, values, func(string) string { return path }, origin)...)
	}

	openAI, err := loadEnv(environ, "", func(name, value string) (string, any) {
		if value == "" {
			return "", nil
		}
		return openAIEnv[name], value
	})
	if err != nil {
		return Config{}, err
	}
	errs = append(errs, apply(&cfg, known, openAI, func(key string) string {
		for name, k := range openAIEnv {
			if k == key {
				return name
			}
		}
		return "environment"
	}, origin)...)

	ours, err := loadEnv(environ, envPrefix, func(name, value string) (string, any) {
		key, ok := envKeys[name]
		switch {
		case name == configPathEnv:
			return "", nil
		case !ok:
			errs = append(errs, fmt.Errorf("environment: unknown variable %s%s", name, suggest(name, maps.Keys(envKeys))))
			return "", nil
		case known[key].structured:
			return key, structuredText(value)
		case known[key].typ == reflect.TypeFor[[]string]():
			return key, splitList(value)
		}
		return key, value
	})
	if err != nil {
		return Config{}, err
	}
	errs = append(errs, apply(&cfg, known, ours, func(key string) string { return known[key].env }, origin)...)

	errs = append(errs, cfg.validate(origin)...)
	cfg.ToolAuth, err = toolAuth(cfg.Tools, environ)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return cfg, nil
}

// toolAuth reads, from environ, the auth header value of every tool that names an auth_env variable; an unset or
// empty variable is an error naming the tool and the variable.
func toolAuth(tools []bot.HTTPTool, environ []string) (map[string]Secret, error) {
	var out map[string]Secret
	var errs []error
	for _, t := range tools {
		if t.AuthEnv == "" {
			continue
		}
		value := ""
		for _, kv := range environ {
			if name, v, ok := strings.Cut(kv, "="); ok && name == t.AuthEnv {
				value = v
			}
		}
		if value == "" {
			errs = append(errs, fmt.Errorf("tools: tool %q: its auth_env variable %s is not set", t.Name, t.AuthEnv))
			continue
		}
		if out == nil {
			out = map[string]Secret{}
		}
		out[t.Name] = Secret(value)
	}
	return out, errors.Join(errs...)
}

// envTransform maps an environment variable to a config key and value; key "" skips the variable.
type envTransform = func(name, value string) (key string, v any)

// loadEnv reads the variables of environ that start with prefix through transform into a flat map of key to value.
func loadEnv(environ []string, prefix string, transform envTransform) (map[string]any, error) {
	k := koanf.New(".")
	p := env.Provider(".", env.Opt{
		Prefix:        prefix,
		EnvironFunc:   func() []string { return environ },
		TransformFunc: transform,
	})
	if err := k.Load(p, nil); err != nil {
		return nil, fmt.Errorf("read environment: %w", err)
	}
	return k.All(), nil
}

// splitList splits a comma-separated list, dropping blank items.
func splitList(s string) []any {
	out := []any{}
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// field is one key of Config: where it lives in the struct and what it holds.
type field struct {
	key   string // "bot.turn_deadline"
	env   string // "JOURNEYBOT_BOT_TURN_DEADLINE"
	index []int  // for reflect.Value.FieldByIndex
	typ   reflect.Type
	// structured fields (tag config:"yaml") hold a whole YAML subtree (the journey map, a list of tools), decoded
	// with the yaml tags of their type; their variable holds the subtree as YAML or JSON text.
	structured bool
}

// structuredText is an environment variable's value for a structured field, kept apart from plain text so that
// apply decodes it as YAML.
type structuredText string

// dropSubtree deletes key and every key under it from values: a structured field's subtree is decoded whole.
func dropSubtree(values map[string]any, key string) {
	for k := range values {
		if k == key || strings.HasPrefix(k, key+".") {
			delete(values, k)
		}
	}
}

// yamlLine matches the position yaml.v3 puts in its errors; it is dropped because the subtree is decoded again
// from a re-encoded copy, whose lines are not the file's.
var yamlLine = regexp.MustCompile(`line \d+: `)

// setStructured decodes raw (a YAML subtree as koanf read it, or structuredText from the environment) into the
// structured field f of cfg, refusing keys its type does not have.
func setStructured(cfg *Config, f field, raw any) error {
	var text []byte
	if st, ok := raw.(structuredText); ok {
		text = []byte(st)
	} else {
		var err error
		if text, err = yamlv3.Marshal(raw); err != nil {
			return fmt.Errorf("cannot be read: %w", err)
		}
	}
	dst := reflect.New(f.typ)
	dec := yamlv3.NewDecoder(bytes.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(dst.Interface()); err != nil && !errors.Is(err, io.EOF) {
		msg := yamlLine.ReplaceAllString(err.Error(), "")
		msg = strings.ReplaceAll(msg, "yaml: unmarshal errors:\n  ", "")
		return errors.New(strings.ReplaceAll(msg, "\n  ", "; "))
	}
	reflect.ValueOf(cfg).Elem().FieldByIndex(f.index).Set(dst.Elem())
	return nil
}

// configFields lists Config's keys in declaration order, walking its koanf tags.
func configFields() []field {
	var out []field
	var walk func(t reflect.Type, prefix string, index []int)
	walk = func(t reflect.Type, prefix string, index []int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			if sf.Tag.Get("koanf") == "-" {
				continue
			}
			key := prefix + sf.Tag.Get("koanf")
			idx := append(slices.Clone(index), i)
			structured := sf.Tag.Get("config") == "yaml"
			if sf.Type.Kind() == reflect.Struct && !structured {
				walk(sf.Type, key+".", idx)
				continue
			}
			env := envPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
			out = append(out, field{key: key, env: env, index: idx, typ: sf.Type, structured: structured})
		}
	}
	walk(reflect.TypeFor[Config](), "", nil)
	return out
}

// apply sets the fields of cfg named by the flat keys of values, in key order, recording where each came from. It
// returns an error for each unknown key and each value that does not convert.
func apply(cfg *Config, known map[string]field, values map[string]any, from func(key string) string,
	origin map[string]string) []error {
	var errs []error
	v := reflect.ValueOf(cfg).Elem()
	for _, key := range slices.Sorted(maps.Keys(values)) {
		raw := values[key]
		f, ok := known[key]
		if !ok {
			if isSection(key, known) {
				if m, isMap := raw.(map[string]any); raw == nil || isMap && len(m) == 0 {
					continue // an empty section, e.g. "prompts:" with every key commented out
				}
				errs = append(errs, fmt.Errorf("%s: %s: must be a section of keys, got %s", from(key), key, shown(raw)))
				continue
			}
			errs = append(errs, fmt.Errorf("%s: unknown key %q%s", from(key), key, suggest(key, maps.Keys(known))))
			continue
		}
		var err error
		if f.structured {
			err = setStructured(cfg, f, raw)
		} else {
			err = set(v.FieldByIndex(f.index), raw)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", from(key), key, err))
			continue
		}
		origin[key] = from(key)
	}
	return errs
}

// isSection reports whether key is the parent of known keys, e.g. "server".
func isSection(key string, known map[string]field) bool {
	for k := range known {
		if strings.HasPrefix(k, key+".") {
			return true
		}
	}
	return false
}

// set converts raw, a value from YAML (string, number, list, nil) or the environment (string, []any), into dst.
func set(dst reflect.Value, raw any) error {
	switch dst.Type() {
	case reflect.TypeFor[time.Duration]():
		s, ok := raw.(string)
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if !ok || err != nil {
			return fmt.Errorf("must be a duration like %q, got %s", dst.Interface().(time.Duration).String(), shown(raw))
		}
		dst.SetInt(int64(d))
	case reflect.TypeFor[[]string]():
		items, ok := raw.([]any)
		if raw != nil && !ok {
			return fmt.Errorf("must be a list of text, got %s", shown(raw))
		}
		list := []string{}
		for _, item := range items {
			s, ok := item.(string)
			if !ok {
				return fmt.Errorf("must be a list of text, got an item %s", shown(item))
			}
			list = append(list, s)
		}
		dst.Set(reflect.ValueOf(list))
	default:
		return setScalar(dst, raw)
	}
	return nil
}

// setScalar sets a string, int or float field.
func setScalar(dst reflect.Value, raw any) error {
	s, isString := raw.(string)
	switch dst.Kind() {
	case reflect.Bool:
		b, ok := raw.(bool)
		if isString {
			v, err := strconv.ParseBool(strings.TrimSpace(s))
			b, ok = v, err == nil
		}
		if !ok {
			return fmt.Errorf("must be true or false, got %s", shown(raw))
		}
		dst.SetBool(b)
	case reflect.String:
		if raw != nil && !isString {
			return fmt.Errorf("must be text, got %s (put it in quotes)", shown(raw))
		}
		dst.SetString(s)
	case reflect.Int:
		n, ok := raw.(int)
		if isString {
			i, err := strconv.Atoi(strings.TrimSpace(s))
			n, ok = i, err == nil
		}
		if !ok {
			return fmt.Errorf("must be a whole number, got %s", shown(raw))
		}
		dst.SetInt(int64(n))
	case reflect.Float32, reflect.Float64:
		var x float64
		var err error
		switch r := raw.(type) {
		case int:
			x = float64(r)
		case float64:
			x = r
		case string:
			x, err = strconv.ParseFloat(strings.TrimSpace(r), 64)
		default:
			err = errors.ErrUnsupported
		}
		if err != nil {
			return fmt.Errorf("must be a number, got %s", shown(raw))
		}
		dst.SetFloat(x)
	default:
		panic(fmt.Sprintf("config: no conversion to %s", dst.Type())) // a new field type needs a case above
	}
	return nil
}

// shown renders a bad value for an error message, quoted and cut short.
func shown(raw any) string {
	switch r := raw.(type) {
	case nil:
		return "nothing"
	case string:
		if len(r) > 40 {
			r = r[:40] + "..."
		}
		return strconv.Quote(r)
	case map[string]any:
		return "a section of keys"
	case []any:
		return "a list"
	}
	return fmt.Sprint(raw)
}

// suggest returns ` (did you mean "X"?)` for the one of names closest to name, when one is close enough to be a
// typo; "" otherwise.
func suggest(name string, names iter.Seq[string]) string {
	best, bestDist := "", 4
	for n := range names {
		if d := editDistance(name, n); d < bestDist || d == bestDist && n < best {
			best, bestDist = n, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
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
