package bot

// The company's own tools: HTTP APIs declared in config.yaml that the model may call, each call scoped to the
// customer of the turn (calling them: httptool_call.go).

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/journeybot/journeybot/bot/llm"
)

// Limits of the company's HTTP tools.
const (
	defaultHTTPToolTimeout       = toolTimeout
	defaultHTTPToolResponseBytes = 16 << 10
	maxHTTPToolResponseBytes     = 1 << 20
	// maxToolArgsBytes bounds the arguments the model may send to an HTTP tool.
	maxToolArgsBytes = 8 << 10
	// defaultMaxArgChars bounds a string argument whose schema sets no maxLength.
	defaultMaxArgChars = maxToolQueryChars
)

// HTTPTool declares one of the company's own HTTP APIs as a tool the model may call. cmd decodes the tools: list of
// config.yaml into it; check each with Validate (ValidateHTTPTools checks a list) before passing them in
// Config.Tools.
//
// The server, never the model, says whose data a call reads: the URL's {customer.*} placeholders are filled from
// the current customer's verified identities, and the schema may not declare an argument that names a customer.
// A call for a customer who lacks an id the URL needs is answered "not identified" without any request. So that a
// declaration cannot forget to scope its calls, the URL must hold a {customer.*} placeholder unless the tool is
// Public.
//
// GET and DELETE send no body: the arguments reach the API only through {args.NAME} placeholders, so every
// declared argument must appear in the URL. POST, PUT and PATCH send the validated arguments as a JSON object with
// one more key, "customer", that the server fills: {"id": journeybot's customer id, "user_id", "email", "phone"},
// each of the last three present only when the customer holds it verified (none for a Public tool). An API that
// scopes a write by one of them should also put it in the URL, so that a call for a customer without it is never
// made.
type HTTPTool struct {
	// Name is what the model calls: lower_snake_case, at most 64 characters, not a built-in tool's name.
	Name string `yaml:"name" koanf:"name"`
	// Description tells the model what the tool does and when to use it.
	Description string `yaml:"description" koanf:"description"`
	// Parameters is the JSON schema of the arguments: an object schema whose properties have a type among string,
	// number, integer, boolean (and, for a body, object and array). additionalProperties may only be false, which
	// is also the default. nil means no arguments.
	Parameters map[string]any `yaml:"parameters" koanf:"parameters"`
	// Method is GET (the default), POST, PUT, PATCH or DELETE.
	Method string `yaml:"method" koanf:"method"`
	// URL is the absolute http(s) URL template. Placeholders: {customer.id} (journeybot's id of the customer),
	// {customer.user_id} (the company's user id), {customer.email}, {customer.phone}, and {args.NAME} for a
	// required top-level string, number, integer or boolean argument. Values are path-escaped before the "?" and
	// query-escaped after it; the scheme and host take none.
	URL string `yaml:"url" koanf:"url"`
	// AuthHeader is the header that carries the credential, e.g. "Authorization"; set with AuthEnv or not at all.
	AuthHeader string `yaml:"auth_header" koanf:"auth_header"`
	// AuthEnv names the environment variable holding AuthHeader's value (e.g. "Bearer …"). cmd reads it and passes
	// the value in Config.ToolAuth; it never reaches a prompt, an event or a log.
	AuthEnv string `yaml:"auth_env" koanf:"auth_env"`
	// Timeout bounds one call; default and at most 5 s.
	Timeout time.Duration `yaml:"timeout" koanf:"timeout"`
	// MaxResponseBytes bounds the response body; default 16 KiB, at most 1 MiB. A larger body is an error result.
	MaxResponseBytes int `yaml:"max_response_bytes" koanf:"max_response_bytes"`
	// Public says that the API serves no customer's data (a product catalogue, store hours): its URL holds no
	// {customer.*} placeholder and its body no "customer".
	Public bool `yaml:"public" koanf:"public"`
}

// Validate reports what is wrong with t, naming the tool, or nil when the engine can run it: a bad or built-in
// name, a schema that is not an object schema, an argument named like a customer id, a URL that is not an
// absolute http(s) URL, an unknown placeholder or one naming an undeclared argument, a URL without a {customer.*}
// placeholder (unless Public) or with one (if Public), a bad method, auth set by half, or limits out of range.
func (t HTTPTool) Validate() error {
	_, err := compileHTTPTool(t)
	return err
}

// ValidateHTTPTools validates each tool and refuses two with one name; all problems are reported together.
func ValidateHTTPTools(tools []HTTPTool) error {
	var errs []error
	seen := map[string]bool{}
	for _, t := range tools {
		if err := t.Validate(); err != nil {
			errs = append(errs, err)
		}
		if seen[t.Name] {
			errs = append(errs, fmt.Errorf("tool %q: declared twice", t.Name))
		}
		seen[t.Name] = true
	}
	return errors.Join(errs...)
}

// builtinToolName reports whether name is taken by one of the engine's own tools, today's or the ones planned.
func builtinToolName(name string) bool {
	switch name {
	case searchKnowledgeSpec.Name, "set_journey_stage", "remember_fact", "handoff_to_agent":
		return true
	}
	return false
}

// customerLikeName reports whether an argument name asks for whose data a call reads: the server says that.
func customerLikeName(name string) bool {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	switch b.String() {
	case "customer", "customerid", "user", "userid", "email", "emailaddress", "phone", "phonenumber":
		return true
	}
	return false
}

// propertySchema is what a call checks of one top-level argument.
type propertySchema struct {
	Type      string
	MaxLength int // runes; strings only
	Enum      []string
}

// argsSchema is the compiled object schema of a tool's arguments.
type argsSchema struct {
	properties map[string]propertySchema
	required   []string
}

// urlPart is a piece of a URL template: literal text, or a placeholder (customer.* or args.*) to fill.
type urlPart struct {
	literal     string
	placeholder string
	inQuery     bool
}

// httpTool is a compiled HTTPTool, ready to call.
type httpTool struct {
	decl     HTTPTool // defaults filled in
	llmSpec  llm.Tool
	schema   argsSchema
	url      []urlPart
	needsIDs bool // the URL or the body needs the customer's identities
	auth     string
	ids      identityLister
	client   *http.Client
}

func compileHTTPTool(t HTTPTool) (*httpTool, error) {
	ht, err := compile(t)
	if err != nil {
		return nil, fmt.Errorf("tool %q: %w", t.Name, err)
	}
	return ht, nil
}

func compile(t HTTPTool) (*httpTool, error) {
	if !validToolName(t.Name) {
		return nil, errors.New("name must be lower_snake_case: a letter, then letters, digits or _, at most 64")
	}
	if builtinToolName(t.Name) {
		return nil, errors.New("name is a built-in tool's")
	}
	if strings.TrimSpace(t.Description) == "" {
		return nil, errors.New("description is required: it tells the model when to call the tool")
	}
	t.Method = strings.ToUpper(t.Method)
	switch t.Method {
	case "":
		t.Method = http.MethodGet
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return nil, fmt.Errorf("method %q: must be GET, POST, PUT, PATCH or DELETE", t.Method)
	}
	switch {
	case t.Timeout < 0 || t.Timeout > toolTimeout:
		return nil, fmt.Errorf("timeout %v: must be between 0 (the default, %v) and %v", t.Timeout,
			defaultHTTPToolTimeout, toolTimeout)
	case t.Timeout == 0:
		t.Timeout = defaultHTTPToolTimeout
	}
	switch {
	case t.MaxResponseBytes < 0 || t.MaxResponseBytes > maxHTTPToolResponseBytes:
		return nil, fmt.Errorf("max_response_bytes %d: must be between 0 (the default, %d) and %d", t.MaxResponseBytes,
			defaultHTTPToolResponseBytes, maxHTTPToolResponseBytes)
	case t.MaxResponseBytes == 0:
		t.MaxResponseBytes = defaultHTTPToolResponseBytes
	}
	if err := checkAuth(t.AuthHeader, t.AuthEnv); err != nil {
		return nil, err
	}
	params, schema, err := compileSchema(t.Parameters)
	if err != nil {
		return nil, fmt.Errorf("parameters: %w", err)
	}
	parts, err := parseURLTemplate(t.URL, schema)
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	hasBody := methodHasBody(t.Method)
	scoped, needsIDs := false, hasBody && !t.Public
	for _, p := range parts {
		scoped = scoped || strings.HasPrefix(p.placeholder, "customer.")
		needsIDs = needsIDs || strings.HasPrefix(p.placeholder, "customer.") && p.placeholder != "customer.id"
	}
	switch {
	case !scoped && !t.Public:
		return nil, fmt.Errorf("url %q: names no {customer.*}, so nothing limits a call to the current customer's "+
			"data; set public: true for an API that serves no customer's data", t.URL)
	case scoped && t.Public:
		return nil, fmt.Errorf("url %q: a public tool is given no customer ids; drop public or the {customer.*}", t.URL)
	}
	if !hasBody {
		for _, name := range slices.Sorted(maps.Keys(schema.properties)) {
			if !slices.ContainsFunc(parts, func(p urlPart) bool { return p.placeholder == "args."+name }) {
				return nil, fmt.Errorf("parameter %q: a %s sends no body, so it must appear in the url as {args.%s}",
					name, t.Method, name)
			}
		}
	}
	return &httpTool{
		decl:     t,
		llmSpec:  llm.Tool{Name: t.Name, Description: t.Description, Parameters: params},
		schema:   schema,
		url:      parts,
		needsIDs: needsIDs,
	}, nil
}

// methodHasBody reports whether an HTTP tool sends its arguments as a JSON body.
func methodHasBody(method string) bool {
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch
}

func validToolName(name string) bool {
	if name == "" || len(name) > 64 || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func checkAuth(header, env string) error {
	if (header == "") != (env == "") {
		return errors.New("auth_header and auth_env go together: set both or neither")
	}
	if header == "" {
		return nil
	}
	for _, r := range header {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum && !strings.ContainsRune("!#$%&'*+-.^_`|~", r) { // RFC 9110 token characters
			return fmt.Errorf("auth_header %q: not a header name", header)
		}
	}
	switch http.CanonicalHeaderKey(header) {
	case "Host", "Content-Type", "Content-Length", "Transfer-Encoding", "Connection", "Accept", "User-Agent":
		return fmt.Errorf("auth_header %q: the server sets that header itself", header)
	}
	for _, r := range env {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return fmt.Errorf("auth_env %q: must be an environment variable name in capitals, digits and _", env)
		}
	}
	return nil
}

// compileSchema checks the arguments' schema and returns it as JSON for the model (with additionalProperties
// false made explicit) and compiled for checking calls.
func compileSchema(params map[string]any) (json.RawMessage, argsSchema, error) {
	if params == nil {
		params = map[string]any{"type": "object", "properties": map[string]any{}}
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return nil, argsSchema{}, fmt.Errorf("not representable as JSON: %w", err)
	}
	var top struct {
		Type                 any                        `json:"type"`
		Properties           map[string]json.RawMessage `json:"properties"`
		Required             []string                   `json:"required"`
		AdditionalProperties *bool                      `json:"additionalProperties"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, argsSchema{}, fmt.Errorf("not an object schema: %w", err)
	}
	if top.Type != "object" {
		return nil, argsSchema{}, fmt.Errorf(`type must be "object", got %v`, top.Type)
	}
	if top.AdditionalProperties != nil && *top.AdditionalProperties {
		return nil, argsSchema{}, errors.New("additionalProperties must be false: the model may send only the " +
			"declared arguments")
	}
	if path := customerLikeProperty(params, ""); path != "" {
		return nil, argsSchema{}, fmt.Errorf("property %q names a customer: the server fills in whose data a call "+
			"reads, never the model", path)
	}
	schema := argsSchema{properties: map[string]propertySchema{}}
	for name, rawProp := range top.Properties {
		var p struct {
			Type      any   `json:"type"`
			MaxLength *int  `json:"maxLength"`
			Enum      []any `json:"enum"`
		}
		if err := json.Unmarshal(rawProp, &p); err != nil {
			return nil, argsSchema{}, fmt.Errorf("property %q: %w", name, err)
		}
		typ, _ := p.Type.(string)
		switch typ {
		case "string", "number", "integer", "boolean", "object", "array":
		default:
			return nil, argsSchema{}, fmt.Errorf("property %q: type must be one of string, number, integer, "+
				"boolean, object, array, got %v", name, p.Type)
		}
		prop := propertySchema{Type: typ, MaxLength: defaultMaxArgChars}
		if p.MaxLength != nil {
			if *p.MaxLength < 0 {
				return nil, argsSchema{}, fmt.Errorf("property %q: maxLength must not be negative", name)
			}
			prop.MaxLength = *p.MaxLength
		}
		for _, v := range p.Enum {
			s, ok := v.(string)
			if typ != "string" || !ok {
				return nil, argsSchema{}, fmt.Errorf("property %q: enum is supported for strings only", name)
			}
			prop.Enum = append(prop.Enum, s)
		}
		schema.properties[name] = prop
	}
	for _, name := range top.Required {
		if _, ok := schema.properties[name]; !ok {
			return nil, argsSchema{}, fmt.Errorf("required %q is not a property", name)
		}
	}
	schema.required = top.Required
	if top.AdditionalProperties == nil {
		withFalse := maps.Clone(params)
		withFalse["additionalProperties"] = false
		if raw, err = json.Marshal(withFalse); err != nil {
			return nil, argsSchema{}, fmt.Errorf("not representable as JSON: %w", err)
		}
	}
	return raw, schema, nil
}

// customerLikeProperty returns the path of the first property, at any depth of the schema, whose name asks for a
// customer, or "".
func customerLikeProperty(schema any, path string) string {
	switch s := schema.(type) {
	case map[string]any:
		if props, ok := s["properties"].(map[string]any); ok {
			for _, name := range slices.Sorted(maps.Keys(props)) {
				if customerLikeName(name) {
					return path + name
				}
				if found := customerLikeProperty(props[name], path+name+"."); found != "" {
					return found
				}
			}
		}
		for _, key := range []string{"items", "anyOf", "oneOf", "allOf"} {
			if found := customerLikeProperty(s[key], path); found != "" {
				return found
			}
		}
	case []any:
		for _, item := range s {
			if found := customerLikeProperty(item, path); found != "" {
				return found
			}
		}
	}
	return ""
}

// Placeholders a URL template may hold besides {args.NAME}.
var customerPlaceholders = [...]string{"customer.id", "customer.user_id", "customer.email", "customer.phone"}

// parseURLTemplate splits a URL template into literals and placeholders, and checks that it is an absolute http(s)
// URL with a literal scheme and host, without a fragment, whose {args.NAME} are required scalar arguments.
func parseURLTemplate(tmpl string, schema argsSchema) ([]urlPart, error) {
	u, err := url.Parse(strings.NewReplacer("{", "x", "}", "x").Replace(tmpl))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q: must be an absolute http or https URL", tmpl)
	}
	if u.Fragment != "" || strings.Contains(tmpl, "#") {
		return nil, fmt.Errorf("%q: must not have a fragment", tmpl)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%q: credentials go in auth_header and auth_env, not in the URL", tmpl)
	}
	authorityEnd := len(u.Scheme + "://" + u.Host)
	if i := strings.IndexByte(tmpl, '{'); i >= 0 && i < authorityEnd {
		return nil, fmt.Errorf("%q: the scheme and host must be literal, without placeholders", tmpl)
	}
	var parts []urlPart
	inQuery := false
	for rest := tmpl; rest != ""; {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			open = len(rest)
		}
		if lit := rest[:open]; lit != "" {
			if strings.ContainsRune(lit, '}') {
				return nil, fmt.Errorf("%q: a } without its {", tmpl)
			}
			parts = append(parts, urlPart{literal: lit})
			inQuery = inQuery || strings.ContainsRune(lit, '?')
		}
		rest = rest[open:]
		if rest == "" {
			break
		}
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			return nil, fmt.Errorf("%q: a { without its }", tmpl)
		}
		name := rest[1:end]
		rest = rest[end+1:]
		if arg, ok := strings.CutPrefix(name, "args."); ok {
			prop, declared := schema.properties[arg]
			switch {
			case !declared:
				return nil, fmt.Errorf("{%s}: %q is not a declared parameter", name, arg)
			case prop.Type == "object" || prop.Type == "array":
				return nil, fmt.Errorf("{%s}: only a string, number, integer or boolean goes in a URL", name)
			case !slices.Contains(schema.required, arg):
				return nil, fmt.Errorf("{%s}: %q must be required, since the URL needs it", name, arg)
			}
		} else if !slices.Contains(customerPlaceholders[:], name) {
			return nil, fmt.Errorf("unknown placeholder {%s}: use {args.NAME} or one of {%s}", name,
				strings.Join(customerPlaceholders[:], "}, {"))
		}
		parts = append(parts, urlPart{placeholder: name, inQuery: inQuery})
	}
	return parts, nil
}
