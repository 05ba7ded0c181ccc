package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/journeystate"
)

// fakeRecorder is a Recorder and Merger whose methods call their Fn fields. A nil TrackFn or IdentifyFn keeps the
// calls in memory, deduplicating events by key as the engine does.
type fakeRecorder struct {
	TrackFn    func(ctx context.Context, ev bot.BusinessEvent) (bot.TrackResult, error)
	IdentifyFn func(ctx context.Context, t bot.Traits) (journeystate.IdentifyResult, error)
	MergesFn   func(ctx context.Context, customerID string) ([]journeystate.Merge, error)
	UnmergeFn  func(ctx context.Context, mergeID string, actor journeystate.Actor, cause string) (journeystate.Customer, journeystate.Customer, error)

	mu       sync.Mutex
	events   []bot.BusinessEvent // stored, in order
	traits   []bot.Traits
	keys     map[string]bool
	attempts int // Track and Identify calls, stored or not
}

func (f *fakeRecorder) Track(ctx context.Context, ev bot.BusinessEvent) (bot.TrackResult, error) {
	f.mu.Lock()
	f.attempts++
	f.mu.Unlock()
	if f.TrackFn != nil {
		return f.TrackFn(ctx, ev)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := customerID(ev.Customer)
	if ev.Key != "" && f.keys[ev.Key] {
		return bot.TrackResult{CustomerID: id, Duplicate: true, Stage: "awareness"}, nil
	}
	if f.keys == nil {
		f.keys = make(map[string]bool)
	}
	if ev.Key != "" {
		f.keys[ev.Key] = true
	}
	f.events = append(f.events, ev)
	return bot.TrackResult{CustomerID: id, Stage: "awareness"}, nil
}

func (f *fakeRecorder) Identify(ctx context.Context, t bot.Traits) (journeystate.IdentifyResult, error) {
	f.mu.Lock()
	f.attempts++
	f.mu.Unlock()
	if f.IdentifyFn != nil {
		return f.IdentifyFn(ctx, t)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.traits = append(f.traits, t)
	return journeystate.IdentifyResult{Customer: journeystate.Customer{ID: customerID(t.Customer), Stage: "awareness"}}, nil
}

func (f *fakeRecorder) Merges(ctx context.Context, customerID string) ([]journeystate.Merge, error) {
	return f.MergesFn(ctx, customerID)
}

func (f *fakeRecorder) Unmerge(ctx context.Context, mergeID string, actor journeystate.Actor, cause string) (journeystate.Customer, journeystate.Customer, error) {
	return f.UnmergeFn(ctx, mergeID, actor, cause)
}

func (f *fakeRecorder) stored() ([]bot.BusinessEvent, []bot.Traits) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bot.BusinessEvent(nil), f.events...), append([]bot.Traits(nil), f.traits...)
}

func customerID(ref bot.CustomerRef) string {
	for _, s := range []string{ref.UserID, ref.Email, ref.Phone, ref.AnonymousID} {
		if s != "" {
			return "cust-" + s
		}
	}
	return ""
}

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Test tokens: their hashes go into the configuration.
const (
	tokenCRM    = "jb_crmtoken"    // events:write
	tokenAdmin  = "jb_admintoken"  // customers:read, customers:write
	tokenReader = "jb_readertoken" // customers:read
)

func testTokens() []Token {
	return []Token{
		{Name: "crm", Hash: HashToken(tokenCRM), Scopes: []string{ScopeEventsWrite}},
		{Name: "admin", Hash: HashToken(tokenAdmin), Scopes: []string{ScopeCustomersRead, ScopeCustomersWrite}},
		{Name: "reader", Hash: HashToken(tokenReader), Scopes: []string{ScopeCustomersRead}},
	}
}

// newTestServer serves a Handler over rec (also its Merger) with the test tokens and clock.
func newTestServer(t *testing.T, rec *fakeRecorder) *httptest.Server {
	t.Helper()
	h, err := New(rec, Options{Tokens: testTokens(), Merges: rec, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Routes(mux)
	return newServer(t, mux)
}

func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// post sends body to path with a bearer token (none when token is "") as JSON.
func post(t *testing.T, srv *httptest.Server, path, token, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}
