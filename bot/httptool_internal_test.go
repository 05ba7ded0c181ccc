package bot

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/journeystate"
)

// companyRequest is what the fake company API saw of one request.
type companyRequest struct {
	Method, Path, Query, Auth, Accept, UserAgent, ContentType, Body string
}

// companyAPI is a fake company API that records every request and answers with handle.
type companyAPI struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []companyRequest
}

func newCompanyAPI(t *testing.T, handle http.HandlerFunc) *companyAPI {
	t.Helper()
	api := &companyAPI{}
	api.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		api.mu.Lock()
		api.reqs = append(api.reqs, companyRequest{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
			Auth: r.Header.Get("X-Api-Key"), Accept: r.Header.Get("Accept"), UserAgent: r.Header.Get("User-Agent"),
			ContentType: r.Header.Get("Content-Type"), Body: string(body)})
		api.mu.Unlock()
		handle(w, r)
	}))
	t.Cleanup(api.srv.Close)
	return api
}

func (a *companyAPI) requests() []companyRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]companyRequest(nil), a.reqs...)
}

// fakeIdentities is an identityLister holding each customer's identities.
type fakeIdentities map[string][]journeystate.Identity

func (f fakeIdentities) Identities(_ context.Context, customerID string) ([]journeystate.Identity, error) {
	return f[customerID], nil
}

const testSecret = "k3y-very-secret-value"

// orderTool declares a GET order tool on base; tweak may change the declaration.
func orderTool(base string, tweak func(*HTTPTool)) HTTPTool {
	decl := HTTPTool{
		Name:        "order_status",
		Description: "Look up one of the customer's orders.",
		Parameters: map[string]any{"type": "object", "required": []any{"order_id"},
			"properties": map[string]any{"order_id": map[string]any{"type": "string", "maxLength": 20}}},
		URL:        base + "/customers/{customer.user_id}/orders/{args.order_id}",
		AuthHeader: "X-Api-Key",
		AuthEnv:    "HEARTHLY_API_TOKEN",
	}
	if tweak != nil {
		tweak(&decl)
	}
	return decl
}

func buildHTTPTool(t *testing.T, decl HTTPTool, ids identityLister) *httpTool {
	t.Helper()
	ht, err := compileHTTPTool(decl)
	if err != nil {
		t.Fatal(err)
	}
	ht.auth, ht.ids, ht.client = testSecret, ids, &http.Client{CheckRedirect: sameOriginRedirect}
	return ht
}

var ada = toolScope{Customer: journeystate.Customer{ID: "cust-ada"}}

func verified(kind, id string) journeystate.Identity {
	return journeystate.Identity{Channel: kind, ExternalID: id, CustomerID: ada.Customer.ID, Level: journeystate.LevelVerified}
}

func TestHTTPToolCall(t *testing.T) {
	other := newCompanyAPI(t, func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"leaked":true}`) })
	identified := fakeIdentities{ada.Customer.ID: {
		{Channel: journeystate.ChannelWeb, ExternalID: "v_1", CustomerID: ada.Customer.ID, Level: journeystate.LevelAnonymous},
		verified(journeystate.IdentityUser, "u/ada 1"),
		verified(journeystate.IdentityEmail, "ada@example.com"),
	}}
	for _, tc := range []struct {
		name   string
		handle http.HandlerFunc
		tweak  func(*HTTPTool)
		ids    fakeIdentities // nil: identified
		args   string
		want   string // the result's content, compared as JSON
		failed bool
		// wantReqs are the requests the company API got, with the headers every request carries left out.
		wantReqs []companyRequest
	}{
		{
			name:     "the current customer's order",
			handle:   func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"order":"A-1","state":"shipped"}`) },
			args:     `{"order_id":"A-1"}`,
			want:     `{"status":200,"body":{"order":"A-1","state":"shipped"}}`,
			wantReqs: []companyRequest{{Method: "GET", Path: "/customers/u%2Fada%201/orders/A-1"}},
		},
		{
			name: "a customer id among the arguments is refused",
			args: `{"order_id":"A-2","customer_id":"u-bob"}`,
			want: `{"error":"arguments refused: \"customer_id\" is not an argument: the server fills in whose data this ` +
				`is, always the current customer's"}`,
			failed: true,
		},
		{
			name:   "an undeclared argument is refused",
			args:   `{"order_id":"A-2","verbose":true}`,
			want:   `{"error":"arguments refused: unknown argument \"verbose\"; this tool takes only order_id"}`,
			failed: true,
		},
		{
			name:   "a path in an argument is refused",
			args:   `{"order_id":"../u-bob/A-2"}`,
			want:   `{"error":"arguments refused: order_id must not be empty, . or .., nor hold / or \\"}`,
			failed: true,
		},
		{
			name:   "a dot segment in an argument is refused",
			args:   `{"order_id":".."}`,
			want:   `{"error":"arguments refused: order_id must not be empty, . or .., nor hold / or \\"}`,
			failed: true,
		},
		{
			name: "a claimed user id does not identify",
			ids: fakeIdentities{ada.Customer.ID: {{Channel: journeystate.IdentityUser, ExternalID: "u-bob",
				CustomerID: ada.Customer.ID, Level: journeystate.LevelClaimed}}},
			args:   `{"order_id":"A-1"}`,
			want:   `{"error":"` + notIdentified + `"}`,
			failed: true,
		},
		{
			name:   "an anonymous visitor is not identified",
			ids:    fakeIdentities{},
			args:   `{"order_id":"A-1"}`,
			want:   `{"error":"` + notIdentified + `"}`,
			failed: true,
		},
		{
			name: "another customer's verified id is not used",
			ids: fakeIdentities{ada.Customer.ID: {{Channel: journeystate.IdentityUser, ExternalID: "u-bob",
				CustomerID: "cust-bob", Level: journeystate.LevelVerified}}},
			args:   `{"order_id":"A-1"}`,
			want:   `{"error":"` + notIdentified + `"}`,
			failed: true,
		},
		{
			name: "an error status",
			handle: func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusNotFound)
				io.WriteString(w, `{"message":"no such order"}`)
			},
			args:     `{"order_id":"A-9"}`,
			want:     `{"error":"the API answered 404 Not Found","status":404,"body":{"message":"no such order"}}`,
			failed:   true,
			wantReqs: []companyRequest{{Method: "GET", Path: "/customers/u%2Fada%201/orders/A-9"}},
		},
		{
			name:     "a text answer",
			handle:   func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "shipped \"today\"") },
			args:     `{"order_id":"A-1"}`,
			want:     `{"status":200,"body":"shipped \"today\""}`,
			wantReqs: []companyRequest{{Method: "GET", Path: "/customers/u%2Fada%201/orders/A-1"}},
		},
		{
			name:     "too large an answer",
			handle:   func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `"`+strings.Repeat("x", 64)+`"`) },
			tweak:    func(d *HTTPTool) { d.MaxResponseBytes = 64 },
			args:     `{"order_id":"A-1"}`,
			want:     `{"error":"response too large: the API answered more than 64 bytes"}`,
			failed:   true,
			wantReqs: []companyRequest{{Method: "GET", Path: "/customers/u%2Fada%201/orders/A-1"}},
		},
		{
			name:     "an answer of exactly the limit",
			handle:   func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `"`+strings.Repeat("x", 62)+`"`) },
			tweak:    func(d *HTTPTool) { d.MaxResponseBytes = 64 },
			args:     `{"order_id":"A-1"}`,
			want:     `{"status":200,"body":"` + strings.Repeat("x", 62) + `"}`,
			wantReqs: []companyRequest{{Method: "GET", Path: "/customers/u%2Fada%201/orders/A-1"}},
		},
		{
			name: "a redirect to another host is not followed",
			handle: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.srv.URL+"/steal", http.StatusFound)
			},
			args:     `{"order_id":"A-1"}`,
			want:     `{"error":"the API redirected to another host; the redirect was not followed"}`,
			failed:   true,
			wantReqs: []companyRequest{{Method: "GET", Path: "/customers/u%2Fada%201/orders/A-1"}},
		},
		{
			name: "a redirect on the same host is followed",
			handle: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/moved" {
					io.WriteString(w, `{"ok":true}`)
					return
				}
				http.Redirect(w, r, "/moved", http.StatusFound)
			},
			args: `{"order_id":"A-1"}`,
			want: `{"status":200,"body":{"ok":true}}`,
			wantReqs: []companyRequest{{Method: "GET", Path: "/customers/u%2Fada%201/orders/A-1"},
				{Method: "GET", Path: "/moved"}},
		},
		{
			name: "an echoed credential is cut out",
			handle: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"you_sent":"`+r.Header.Get("X-Api-Key")+`"}`)
			},
			args:     `{"order_id":"A-1"}`,
			want:     `{"status":200,"body":{"you_sent":"[redacted]"}}`,
			wantReqs: []companyRequest{{Method: "GET", Path: "/customers/u%2Fada%201/orders/A-1"}},
		},
		{
			name:   "query values are query-escaped",
			handle: func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `[]`) },
			tweak: func(d *HTTPTool) {
				d.URL = strings.Replace(d.URL, "/orders/{args.order_id}", "/orders?q={args.order_id}&email={customer.email}", 1)
			},
			args:     `{"order_id":"a b&c=/"}`,
			want:     `{"status":200,"body":[]}`,
			wantReqs: []companyRequest{{Method: "GET", Path: "/customers/u%2Fada%201/orders", Query: "q=a+b%26c%3D%2F&email=ada%40example.com"}},
		},
		{
			name:   "a body carries the arguments and the customer the server filled in",
			handle: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusCreated) },
			tweak: func(d *HTTPTool) {
				d.Method = "post"
				d.URL = strings.Replace(d.URL, "/orders/{args.order_id}", "/returns", 1)
				d.Parameters["properties"].(map[string]any)["reason"] = map[string]any{"type": "string", "enum": []any{"damaged", "late"}}
				d.Parameters["properties"].(map[string]any)["items"] = map[string]any{"type": "integer"}
			},
			args: `{"order_id":"A-1","reason":"late","items":2}`,
			want: `{"status":201,"body":""}`,
			wantReqs: []companyRequest{{Method: "POST", Path: "/customers/u%2Fada%201/returns", ContentType: "application/json",
				Body: `{"customer":{"id":"cust-ada","user_id":"u/ada 1","email":"ada@example.com"},"items":2,"order_id":"A-1","reason":"late"}`}},
		},
		{
			name:   "a public tool's body carries no customer",
			handle: func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"in_stock":true}`) },
			tweak: func(d *HTTPTool) {
				d.Name, d.Method, d.Public = "stock", "POST", true
				d.URL = strings.Replace(d.URL, "/customers/{customer.user_id}/orders/{args.order_id}", "/stock", 1)
			},
			ids:  fakeIdentities{}, // an anonymous visitor may ask
			args: `{"order_id":"A-1"}`,
			want: `{"status":200,"body":{"in_stock":true}}`,
			wantReqs: []companyRequest{{Method: "POST", Path: "/stock", ContentType: "application/json",
				Body: `{"order_id":"A-1"}`}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			handle := tc.handle
			if handle == nil {
				handle = func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"leaked":true}`) }
			}
			api := newCompanyAPI(t, handle)
			ids := tc.ids
			if ids == nil {
				ids = identified
			}
			decl := orderTool(api.srv.URL, tc.tweak)
			res := buildHTTPTool(t, decl, ids).run(context.Background(), ada, tc.args)
			if diff := cmp.Diff(decodeJSON(t, tc.want), decodeJSON(t, res.content)); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if res.failed != tc.failed {
				t.Errorf("got failed %v, want %v", res.failed, tc.failed)
			}
			got := api.requests()
			for i, r := range got {
				if r.Auth != testSecret || r.Accept != "application/json" || r.UserAgent != httpToolUserAgent {
					t.Errorf("request %d carried auth %q, accept %q, user agent %q", i, r.Auth, r.Accept, r.UserAgent)
				}
				got[i].Auth, got[i].Accept, got[i].UserAgent = "", "", ""
			}
			if diff := cmp.Diff(tc.wantReqs, got); diff != "" {
				t.Errorf("requests to the company API (-want +got):\n%s", diff)
			}
			if n := len(other.requests()); n != 0 {
				t.Errorf("the other host got %d requests", n)
			}
		})
	}
}

func llmToolCall(name, args string) llm.ToolCall {
	return llm.ToolCall{ID: "call-1", Name: name, Arguments: args}
}

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, s)
	}
	return v
}

func TestHTTPToolTimeout(t *testing.T) {
	release := make(chan struct{})
	api := newCompanyAPI(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release) // before the server's Close, which waits for the handler
	ht := buildHTTPTool(t, orderTool(api.srv.URL, func(d *HTTPTool) { d.Timeout = 200 * time.Millisecond }),
		fakeIdentities{ada.Customer.ID: {verified(journeystate.IdentityUser, "u-ada")}})
	tb := newToolbox(ht)
	res := tb.run(context.Background(), ada, llmToolCall("order_status", `{"order_id":"A-1"}`))
	if want := `{"error":"the API did not answer within 200ms; answer without it or offer a person"}`; res.content != want {
		t.Errorf("got %s, want %s", res.content, want)
	}
	// Bounded by the tool loop's own timeout, not by the 200 ms: a loaded machine may be slow.
	if !res.failed || res.took >= toolTimeout {
		t.Errorf("got failed %v after %v, want a failure within %v", res.failed, res.took, toolTimeout)
	}
}

func TestHTTPToolArguments(t *testing.T) {
	decl := HTTPTool{Name: "t", Description: "d", Method: "POST", URL: "https://api.example/x", Public: true,
		Parameters: map[string]any{"type": "object", "required": []any{"s"}, "properties": map[string]any{
			"s": map[string]any{"type": "string", "maxLength": 3},
			"n": map[string]any{"type": "number"},
			"i": map[string]any{"type": "integer"},
			"b": map[string]any{"type": "boolean"},
			"o": map[string]any{"type": "object"},
			"a": map[string]any{"type": "array"},
			"e": map[string]any{"type": "string", "enum": []any{"x", "y"}},
		}}}
	ht, err := compileHTTPTool(decl)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, args, wantErr string
	}{
		{"all kinds", `{"s":"abc","n":-1.5e2,"i":3,"b":true,"o":{"k":1},"a":[1]}`, ""},
		{"null is absent", `{"s":"abc","n":null}`, ""},
		{"required missing", `{"n":1}`, "s is required"},
		{"required null", `{"s":null}`, "s is required"},
		{"not an object", `["s"]`, "must be one JSON object"},
		{"empty", ``, "s is required"},
		{"trailing data", `{"s":"a"} {"s":"b"}`, "must be one JSON object"},
		{"broken", `{"s":`, "must be one JSON object"},
		{"string too long in runes", `{"s":"éééé"}`, "s: longer than 3 characters"},
		{"string of 3 runes", `{"s":"ééé"}`, ""},
		{"number as string", `{"s":"a","n":"1"}`, "n: must be a number"},
		{"fraction for integer", `{"s":"a","i":1.5}`, "i: must be an integer"},
		{"integral float for integer", `{"s":"a","i":2.0}`, ""},
		{"boolean as string", `{"s":"a","b":"true"}`, "b: must be true or false"},
		{"array for object", `{"s":"a","o":[]}`, "o: must be an object"},
		{"object for array", `{"s":"a","a":{}}`, "a: must be an array"},
		{"in the enum", `{"s":"a","e":"y"}`, ""},
		{"outside the enum", `{"s":"a","e":"z"}`, "e: must be one of x, y"},
		{"a customer id nested in an object", `{"s":"a","o":{"filter":{"Email":"victim@example.com"}}}`,
			`o: holds "Email": whose data a call reads is not the model's to say`},
		{"a customer id in an array", `{"s":"a","a":[{"user_id":"u-bob"}]}`, `a: holds "user_id": whose data a call reads is not the model's to say`},
		{"nested too deep", `{"s":"a","a":` + strings.Repeat("[", 10) + strings.Repeat("]", 10) + `}`, "a: is nested deeper than 8 levels"},
		{"too long arguments", `{"s":"` + strings.Repeat("a", maxToolArgsBytes) + `"}`, "longer than 8192 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ht.schema.check(tc.args)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Errorf("got error %q, want %q", got, tc.wantErr)
			}
		})
	}
}
