package bot

// Calling the company's HTTP tools (declaring them: httptool.go).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/journeystate"
)

// httpToolUserAgent is the User-Agent of every HTTP tool request.
const httpToolUserAgent = "journeybot-tools/1"

// notIdentified is the result of a call that needs an id the customer does not hold verified.
const notIdentified = "this customer is not identified; ask them to sign in, then try again"

// identityLister is the part of journeystate.Store an HTTP tool reads: whose ids it may fill in.
type identityLister interface {
	Identities(ctx context.Context, customerID string) ([]journeystate.Identity, error)
}

// httpTools builds the engine's HTTP tools from cfg (whose Logger is set). A tool that fails Validate, repeats a
// name or lacks its credential is a wiring bug that cmd refuses at start; New must not panic on it, so it is logged
// and left out.
func httpTools(cfg Config) []tool {
	log := cfg.Logger
	client := &http.Client{CheckRedirect: sameOriginRedirect}
	var out []tool
	seen := map[string]bool{}
	for _, decl := range cfg.Tools {
		ht, err := compileHTTPTool(decl)
		switch {
		case err != nil:
			log.Error("http tool left out", "err", err)
			continue
		case seen[decl.Name]:
			log.Error("http tool left out: declared twice", "tool", decl.Name)
			continue
		case decl.AuthEnv != "" && cfg.ToolAuth[decl.Name] == "":
			log.Error("http tool left out: no credential", "tool", decl.Name, "auth_env", decl.AuthEnv)
			continue
		}
		seen[decl.Name] = true
		ht.auth, ht.ids, ht.client = cfg.ToolAuth[decl.Name], cfg.Store, client
		out = append(out, ht)
	}
	return out
}

// errCrossOriginRedirect refuses a redirect to another scheme or host: the credential must not follow it there.
var errCrossOriginRedirect = errors.New("redirect to another host refused")

func sameOriginRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 3 {
		return errors.New("too many redirects")
	}
	if first := via[0].URL; req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
		return errCrossOriginRedirect
	}
	return nil
}

func (t *httpTool) spec() llm.Tool { return t.llmSpec }

// run checks the model's arguments, fills the URL (and the body) with them and with the ids of scope's customer,
// and makes one request within the tool's timeout. Nothing is requested when the arguments are refused or the
// customer lacks an id the call needs.
func (t *httpTool) run(ctx context.Context, scope toolScope, args string) toolResult {
	values, err := t.schema.check(args)
	if err != nil {
		return toolError("arguments refused: " + err.Error())
	}
	ids := customerIDs{ID: scope.Customer.ID}
	if t.needsIDs {
		identities, err := t.ids.Identities(ctx, scope.Customer.ID)
		if err != nil {
			return toolError("could not tell who the customer is; answer without this tool or offer a person")
		}
		ids = verifiedIDs(scope.Customer.ID, identities)
	}
	target, err := t.fillURL(ids, values)
	if err != nil {
		return toolError(err.Error())
	}
	var body io.Reader
	if methodHasBody(t.decl.Method) {
		obj := make(map[string]any, len(values)+1)
		for name, v := range values {
			obj[name] = v.raw
		}
		if !t.decl.Public {
			obj["customer"] = ids
		}
		b, err := json.Marshal(obj)
		if err != nil {
			return toolError("arguments refused: " + err.Error())
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, t.decl.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, t.decl.Method, target, body)
	if err != nil {
		return toolError("the tool's URL is not valid with these arguments")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", httpToolUserAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if t.decl.AuthHeader != "" {
		req.Header.Set(t.decl.AuthHeader, t.auth)
	}
	resp, err := t.client.Do(req)
	if err != nil {
		// The error text stays here: it names the URL, and a transport's error might quote more.
		switch {
		case errors.Is(err, errCrossOriginRedirect):
			return toolError("the API redirected to another host; the redirect was not followed")
		case ctx.Err() != nil:
			return t.timedOut()
		}
		return toolError("the API could not be reached; answer without it or offer a person")
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, int64(t.decl.MaxResponseBytes)+1))
	switch {
	case err != nil && ctx.Err() != nil:
		return t.timedOut()
	case err != nil:
		return toolError("the API's answer broke off; answer without it or offer a person")
	case len(data) > t.decl.MaxResponseBytes:
		return toolError(fmt.Sprintf("response too large: the API answered more than %d bytes", t.decl.MaxResponseBytes))
	}
	return t.result(resp.StatusCode, data)
}

func (t *httpTool) timedOut() toolResult {
	return toolError(fmt.Sprintf("the API did not answer within %v; answer without it or offer a person", t.decl.Timeout))
}

// result is the model's view of a response: {"status": ..., "body": ...}, the body as JSON when it is JSON and as
// a string otherwise; a status other than 2xx is a failed result with an "error" too. The credential is cut out of
// the body, should the API echo it.
func (t *httpTool) result(status int, data []byte) toolResult {
	data = t.redact(data)
	body := json.RawMessage(data)
	if !json.Valid(data) {
		body, _ = json.Marshal(strings.ToValidUTF8(string(data), "\uFFFD"))
	}
	out := struct {
		Error  string          `json:"error,omitempty"`
		Status int             `json:"status"`
		Body   json.RawMessage `json:"body"`
	}{Status: status, Body: body}
	ok := status >= 200 && status < 300
	if !ok {
		out.Error = fmt.Sprintf("the API answered %d %s", status, http.StatusText(status))
	}
	content, err := json.Marshal(out)
	if err != nil {
		return toolError("the API's answer could not be read")
	}
	return toolResult{content: string(content), failed: !ok}
}

// redact replaces the credential, and the token after its scheme ("Bearer …"), in data.
func (t *httpTool) redact(data []byte) []byte {
	if t.auth == "" {
		return data
	}
	secrets := []string{t.auth}
	if _, token, ok := strings.Cut(t.auth, " "); ok && len(token) >= 8 {
		secrets = append(secrets, token)
	}
	for _, s := range secrets {
		data = bytes.ReplaceAll(data, []byte(s), []byte("[redacted]"))
	}
	return data
}

// customerIDs are the ids a call may use of its customer; the JSON form is the body's "customer" object.
type customerIDs struct {
	ID     string `json:"id"`
	UserID string `json:"user_id,omitempty"`
	Email  string `json:"email,omitempty"`
	Phone  string `json:"phone,omitempty"`
}

// verifiedIDs picks the customer's verified user id, email and phone (the oldest of each kind): a claimed or
// anonymous identity must never unlock data, since anyone can claim an address.
func verifiedIDs(customerID string, identities []journeystate.Identity) customerIDs {
	ids := customerIDs{ID: customerID}
	for _, id := range identities {
		if id.Level != journeystate.LevelVerified || id.CustomerID != customerID || id.ExternalID == "" {
			continue
		}
		var slot *string
		switch id.Channel {
		case journeystate.IdentityUser:
			slot = &ids.UserID
		case journeystate.IdentityEmail:
			slot = &ids.Email
		case journeystate.IdentityPhone:
			slot = &ids.Phone
		default:
			continue
		}
		if *slot == "" {
			*slot = id.ExternalID
		}
	}
	return ids
}

func (c customerIDs) get(placeholder string) string {
	switch placeholder {
	case "customer.id":
		return c.ID
	case "customer.user_id":
		return c.UserID
	case "customer.email":
		return c.Email
	case "customer.phone":
		return c.Phone
	}
	return ""
}

// fillURL fills the URL template. A customer id the URL needs and the customer lacks is notIdentified; an argument
// that would change the path's shape is refused.
func (t *httpTool) fillURL(ids customerIDs, values map[string]argValue) (string, error) {
	var b strings.Builder
	for _, p := range t.url {
		if p.placeholder == "" {
			b.WriteString(p.literal)
			continue
		}
		var v string
		if arg, ok := strings.CutPrefix(p.placeholder, "args."); ok {
			v = values[arg].text
			if !p.inQuery && (v == "" || v == "." || v == ".." || strings.ContainsAny(v, `/\`)) {
				return "", fmt.Errorf("arguments refused: %s must not be empty, . or .., nor hold / or \\", arg)
			}
		} else if v = ids.get(p.placeholder); v == "" {
			return "", errors.New(notIdentified)
		}
		if p.inQuery {
			b.WriteString(url.QueryEscape(v))
		} else {
			b.WriteString(url.PathEscape(v))
		}
	}
	return b.String(), nil
}

// argValue is one checked argument: its JSON text, and its text in a URL (scalars only).
type argValue struct {
	raw  json.RawMessage
	text string
}

// check parses the model's arguments and checks them against the schema: a JSON object of declared properties
// only, the required ones present, each of its declared type, strings within their maxLength and enum. A null
// counts as absent.
func (s argsSchema) check(args string) (map[string]argValue, error) {
	if len(args) > maxToolArgsBytes {
		return nil, fmt.Errorf("longer than %d bytes", maxToolArgsBytes)
	}
	if strings.TrimSpace(args) == "" {
		args = "{}"
	}
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(args))
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, errors.New("must be one JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("must be one JSON object")
	}
	out := make(map[string]argValue, len(obj))
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		prop, ok := s.properties[name]
		switch {
		case !ok && customerLikeName(name):
			return nil, fmt.Errorf("%q is not an argument: the server fills in whose data this is, always the "+
				"current customer's", name)
		case !ok:
			return nil, fmt.Errorf("unknown argument %q; this tool takes only %s", name, s.names())
		}
		raw := bytes.TrimSpace(obj[name])
		if string(raw) == "null" {
			continue
		}
		v, err := prop.check(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = v
	}
	for _, name := range s.required {
		if _, ok := out[name]; !ok {
			return nil, fmt.Errorf("%s is required", name)
		}
	}
	return out, nil
}

func (s argsSchema) names() string {
	if len(s.properties) == 0 {
		return "no arguments"
	}
	return strings.Join(slices.Sorted(maps.Keys(s.properties)), ", ")
}

func (p propertySchema) check(raw json.RawMessage) (argValue, error) {
	v := argValue{raw: raw, text: string(raw)}
	kind := raw[0]
	switch p.Type {
	case "string":
		var s string
		if kind != '"' || json.Unmarshal(raw, &s) != nil {
			return v, errors.New("must be a string")
		}
		if n := utf8.RuneCountInString(s); n > p.MaxLength {
			return v, fmt.Errorf("longer than %d characters", p.MaxLength)
		}
		if len(p.Enum) > 0 && !slices.Contains(p.Enum, s) {
			return v, fmt.Errorf("must be one of %s", strings.Join(p.Enum, ", "))
		}
		v.text = s
	case "number", "integer":
		f, err := strconv.ParseFloat(string(raw), 64)
		if kind != '-' && (kind < '0' || kind > '9') || err != nil || math.IsInf(f, 0) {
			return v, fmt.Errorf("must be a %s", p.Type)
		}
		if p.Type == "integer" && f != math.Trunc(f) {
			return v, errors.New("must be an integer")
		}
	case "boolean":
		if string(raw) != "true" && string(raw) != "false" {
			return v, errors.New("must be true or false")
		}
	case "object":
		if kind != '{' {
			return v, errors.New("must be an object")
		}
		return v, noCustomerKeys(raw)
	case "array":
		if kind != '[' {
			return v, errors.New("must be an array")
		}
		return v, noCustomerKeys(raw)
	}
	return v, nil
}

// noCustomerKeys refuses a nested argument that names whose data to read at any depth ({"filter": {"email": ...}}):
// that is journeybot's to fill in from the turn's customer, never the model's.
func noCustomerKeys(raw json.RawMessage) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return errors.New("is not valid JSON")
	}
	var walk func(v any, depth int) error
	walk = func(v any, depth int) error {
		if depth > maxArgDepth {
			return fmt.Errorf("is nested deeper than %d levels", maxArgDepth)
		}
		switch x := v.(type) {
		case map[string]any:
			for k, item := range x {
				if customerLikeName(k) {
					return fmt.Errorf("holds %q: whose data a call reads is not the model's to say", k)
				}
				if err := walk(item, depth+1); err != nil {
					return err
				}
			}
		case []any:
			for _, item := range x {
				if err := walk(item, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(v, 0)
}

// maxArgDepth bounds the nesting of an object or array argument.
const maxArgDepth = 8
