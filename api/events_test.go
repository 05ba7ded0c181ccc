package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/journeystate"
)

// decodeResponse reads a response body as JSON into v.
func decodeResponse(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("response %s is not JSON: %v", b, err)
	}
}

func TestEventsAuth(t *testing.T) {
	rec := &fakeRecorder{}
	srv := newTestServer(t, rec)
	body := `{"type":"track","userId":"u1","event":"Order Completed","messageId":"m1"}`
	tests := []struct {
		name       string
		header     string
		wantStatus int
		wantCode   string
	}{
		{"no header", "", http.StatusUnauthorized, codeUnauthorized},
		{"bad token", "Bearer jb_wrong", http.StatusUnauthorized, codeUnauthorized},
		{"token lacking events:write", "Bearer " + tokenAdmin, http.StatusForbidden, codeForbidden},
		{"bearer", "Bearer " + tokenCRM, http.StatusOK, ""},
		{"basic, as Segment sends a write key", "Basic " + base64.StdEncoding.EncodeToString([]byte(tokenCRM+":")), http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/events", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusUnauthorized {
				if got := resp.Header.Values("WWW-Authenticate"); len(got) == 0 || !strings.HasPrefix(got[0], "Bearer") {
					t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", got)
				}
			}
			if tt.wantCode != "" {
				var e errorBody
				decodeResponse(t, resp, &e)
				if e.Code != tt.wantCode || e.Success {
					t.Errorf("body %+v, want code %s", e, tt.wantCode)
				}
			}
		})
	}
	if events, _ := rec.stored(); len(events) != 1 {
		t.Errorf("%d events stored, want 1 (both accepted requests carry message id m1)", len(events))
	}
}

func TestEventsSingleCalls(t *testing.T) {
	tests := []struct {
		name       string
		path, body string
		wantEvents []bot.BusinessEvent
		wantTraits []bot.Traits
		want       []result
	}{
		{
			name: "track",
			path: "/api/v1/events",
			body: `{"type":"track","userId":"u1","event":"Order Completed","properties":{"total":129.95,"sku":"T2"},
				"timestamp":"2026-02-28T10:00:00.5+01:00","messageId":"m1"}`,
			wantEvents: []bot.BusinessEvent{{
				Name: "order_completed", Customer: bot.CustomerRef{UserID: "u1"},
				Properties: map[string]any{"total": json.Number("129.95"), "sku": "T2"},
				Time:       time.Date(2026, 2, 28, 9, 0, 0, 500_000_000, time.UTC), Key: "segment:crm:m1", Source: "api:crm",
			}},
			want: []result{{Index: 0, Status: statusStored, CustomerID: "cust-u1", Stage: "awareness"}},
		},
		{
			name: "track by context.traits email, numeric user id elsewhere absent",
			path: "/api/v1/events",
			body: `{"type":"track","event":"viewedPricing","context":{"traits":{"email":"Ada@Example.COM"}},"messageId":"m2"}`,
			wantEvents: []bot.BusinessEvent{{
				Name: "viewed_pricing", Customer: bot.CustomerRef{Email: "ada@example.com"}, Key: "segment:crm:m2", Source: "api:crm",
			}},
			want: []result{{Index: 0, Status: statusStored, CustomerID: "cust-ada@example.com", Stage: "awareness"}},
		},
		{
			name: "identify",
			path: "/api/v1/events",
			body: `{"type":"identify","userId":42,"anonymousId":"a-1","traits":{"firstName":"Ada","lastName":"Lovelace",
				"email":"ada@example.com","phone":"+1 415 555 0100","plan":"pro","seats":3,"address":{"city":"London"}},"messageId":"m3"}`,
			wantTraits: []bot.Traits{{
				Customer: bot.CustomerRef{UserID: "42", AnonymousID: "a-1", Email: "ada@example.com", Phone: "+14155550100"},
				Name:     "Ada Lovelace", Email: "ada@example.com", Phone: "+14155550100",
				Other: map[string]string{"firstName": "Ada", "lastName": "Lovelace", "plan": "pro", "seats": "3", "address": `{"city":"London"}`},
				Key:   "segment:crm:m3", Source: "api:crm",
			}},
			want: []result{{Index: 0, Status: statusStored, CustomerID: "cust-42", Stage: "awareness"}},
		},
		{
			name: "page",
			path: "/api/v1/events",
			body: `{"type":"page","anonymousId":"a-1","name":"Pricing","category":"Docs","properties":{"url":"https://example.com/pricing"}}`,
			wantEvents: []bot.BusinessEvent{{
				Name: "page_viewed", Customer: bot.CustomerRef{AnonymousID: "a-1"},
				Properties: map[string]any{"url": "https://example.com/pricing", "name": "Pricing", "category": "Docs"}, Source: "api:crm",
			}},
			want: []result{{Index: 0, Status: statusStored, CustomerID: "cust-a-1", Stage: "awareness"}},
		},
		{
			name:       "screen on its alias, without type",
			path:       "/api/v1/screen",
			body:       `{"userId":"u1","name":"Settings"}`,
			wantEvents: []bot.BusinessEvent{{Name: "screen_viewed", Customer: bot.CustomerRef{UserID: "u1"}, Properties: map[string]any{"name": "Settings"}, Source: "api:crm"}},
			want:       []result{{Index: 0, Status: statusStored, CustomerID: "cust-u1", Stage: "awareness"}},
		},
		{
			name: "originalTimestamp corrected by sentAt for clock skew",
			path: "/api/v1/track",
			// The sender's clock is 10 minutes fast: it sent the call 2 s after the event.
			body: `{"userId":"u1","event":"signup","originalTimestamp":"2026-03-01T12:09:58Z","sentAt":"2026-03-01T12:10:00Z"}`,
			wantEvents: []bot.BusinessEvent{{Name: "signup", Customer: bot.CustomerRef{UserID: "u1"},
				Time: testNow.Add(-2 * time.Second), Source: "api:crm"}},
			want: []result{{Index: 0, Status: statusStored, CustomerID: "cust-u1", Stage: "awareness"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &fakeRecorder{}
			resp := post(t, newTestServer(t, rec), tt.path, tokenCRM, tt.body)
			var got eventsBody
			decodeResponse(t, resp, &got)
			if resp.StatusCode != http.StatusOK || !got.Success {
				t.Fatalf("status %d, body %+v", resp.StatusCode, got)
			}
			if diff := cmp.Diff(tt.want, got.Results); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			events, traits := rec.stored()
			if diff := cmp.Diff(tt.wantEvents, events); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantTraits, traits); diff != "" {
				t.Errorf("traits (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEventsBatchAndIdempotency(t *testing.T) {
	rec := &fakeRecorder{}
	srv := newTestServer(t, rec)
	body := `{"batch":[
		{"type":"identify","userId":"u1","traits":{"email":"ada@example.com"},"messageId":"b1"},
		{"type":"track","userId":"u1","event":"Order Completed","messageId":"b2"},
		{"type":"page","userId":"u1","name":"Pricing","messageId":"b3"},
		{"type":"track","userId":"u1","event":"no id"}
	]}`
	wantFirst := []result{
		{Index: 0, Status: statusStored, CustomerID: "cust-u1", Stage: "awareness"},
		{Index: 1, Status: statusStored, CustomerID: "cust-u1", Stage: "awareness"},
		{Index: 2, Status: statusStored, CustomerID: "cust-u1", Stage: "awareness"},
		{Index: 3, Status: statusStored, CustomerID: "cust-u1", Stage: "awareness"},
	}
	// The same batch again: the track and page calls with a message id are duplicates; the call without one is
	// stored again (documented), identify is idempotent by nature.
	wantAgain := []result{
		{Index: 0, Status: statusStored, CustomerID: "cust-u1", Stage: "awareness"},
		{Index: 1, Status: statusDuplicate, CustomerID: "cust-u1", Stage: "awareness"},
		{Index: 2, Status: statusDuplicate, CustomerID: "cust-u1", Stage: "awareness"},
		{Index: 3, Status: statusStored, CustomerID: "cust-u1", Stage: "awareness"},
	}
	for i, want := range [][]result{wantFirst, wantAgain} {
		var got eventsBody
		resp := post(t, srv, "/api/v1/batch", tokenCRM, body)
		decodeResponse(t, resp, &got)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("post %d: status %d", i+1, resp.StatusCode)
		}
		if diff := cmp.Diff(want, got.Results); diff != "" {
			t.Errorf("post %d: results (-want +got):\n%s", i+1, diff)
		}
	}
	events, _ := rec.stored()
	var names []string
	for _, ev := range events {
		names = append(names, ev.Name+"/"+ev.Key)
	}
	want := []string{"order_completed/segment:crm:b2", "page_viewed/segment:crm:b3", "no_id/", "no_id/"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("stored events (-want +got):\n%s", diff)
	}
}

// TestEventsKeysPerSender: two senders using the same message id are two events.
func TestEventsKeysPerSender(t *testing.T) {
	rec := &fakeRecorder{}
	h, err := New(rec, Options{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return testNow }, Tokens: []Token{
		{Name: "crm", Hash: HashToken(tokenCRM), Scopes: []string{ScopeEventsWrite}},
		{Name: "shop", Hash: HashToken("jb_shop"), Scopes: []string{ScopeEventsWrite}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Routes(mux)
	srv := newServer(t, mux)
	body := `{"type":"track","userId":"u1","event":"signup","messageId":"1"}`
	for _, tok := range []string{tokenCRM, "jb_shop", tokenCRM} {
		post(t, srv, "/api/v1/events", tok, body)
	}
	events, _ := rec.stored()
	var keys []string
	for _, ev := range events {
		keys = append(keys, ev.Key)
	}
	if diff := cmp.Diff([]string{"segment:crm:1", "segment:shop:1"}, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
}

func TestEventsRefused(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 20) + "1" + strings.Repeat("}", 20)
	var batch101 strings.Builder
	batch101.WriteString(`{"batch":[`)
	for i := range 101 {
		if i > 0 {
			batch101.WriteString(",")
		}
		fmt.Fprintf(&batch101, `{"type":"track","userId":"u","event":"e%d"}`, i)
	}
	batch101.WriteString("]}")
	tests := []struct {
		name        string
		contentType string
		body        string
		wantStatus  int
		wantCode    string
		wantErrors  []FieldError
	}{
		{name: "not JSON", body: `{"type":`, wantStatus: 400, wantCode: codeBadRequest},
		{name: "array at the top", body: `[{"type":"track"}]`, wantStatus: 400, wantCode: codeBadRequest},
		{name: "a string at the top", body: `"track"`, wantStatus: 400, wantCode: codeBadRequest},
		{name: "null", body: `null`, wantStatus: 400, wantCode: codeBadRequest},
		{name: "empty body", body: ``, wantStatus: 400, wantCode: codeBadRequest},
		{name: "10 MB body", body: `{"type":"track","userId":"u","event":"x","properties":{"p":"` + strings.Repeat("x", 10<<20) + `"}}`,
			wantStatus: 413, wantCode: codeTooLarge},
		{name: "not JSON content type", contentType: "application/x-www-form-urlencoded", body: `{}`, wantStatus: 415, wantCode: codeMediaType},
		{name: "nested too deep for JSON", body: strings.Repeat("[", 100_000), wantStatus: 400, wantCode: codeBadRequest},
		{name: "batch of 101", body: batch101.String(), wantStatus: 400, wantCode: codeBadRequest},
		{name: "batch not an array", body: `{"batch":{"type":"track"}}`, wantStatus: 400, wantCode: codeBadRequest},
		{name: "no type", body: `{"userId":"u","event":"x"}`, wantStatus: 400, wantCode: codeInvalid,
			wantErrors: []FieldError{{Field: "type", Message: "type is required: track, identify, page or screen"}}},
		{name: "unknown type", body: `{"type":"group","userId":"u"}`, wantStatus: 400, wantCode: codeInvalid,
			wantErrors: []FieldError{{Field: "type", Message: `type must be track, identify, page or screen, not "group"`}}},
		{name: "type not a string", body: `{"type":1,"userId":"u","event":"x"}`, wantStatus: 400, wantCode: codeInvalid,
			wantErrors: []FieldError{{Field: "type", Message: "type must be a string"}}},
		{name: "no customer", body: `{"type":"track","event":"x"}`, wantStatus: 400, wantCode: codeInvalid,
			wantErrors: []FieldError{{Field: "userId", Message: "userId or anonymousId is required (or an email or phone in traits or context.traits)"}}},
		{name: "every problem of one call", body: `{"type":"track","userId":["u"],"event":"","properties":[1],
			"timestamp":"yesterday","messageId":"` + strings.Repeat("m", 201) + `","context":{"traits":{"email":"not an address"}}}`,
			wantStatus: 400, wantCode: codeInvalid,
			wantErrors: []FieldError{
				{Field: "userId", Message: "userId must be a string"},
				{Field: "messageId", Message: "messageId must be at most 200 characters"},
				{Field: "timestamp", Message: "timestamp must be an ISO 8601 date and time with a zone, such as 2026-03-01T12:00:00Z"},
				{Field: "event", Message: "event is required"},
				{Field: "properties", Message: "properties must be an object"},
				{Field: "context.traits.email", Message: "context.traits.email is not an email address"},
			}},
		{name: "event too long", body: `{"type":"track","userId":"u","event":"` + strings.Repeat("é", 201) + `"}`, wantStatus: 400, wantCode: codeInvalid,
			wantErrors: []FieldError{{Field: "event", Message: "event must be at most 200 characters"}}},
		{name: "control character in event", body: `{"type":"track","userId":"u","event":"order\u0000placed"}`, wantStatus: 400, wantCode: codeInvalid,
			wantErrors: []FieldError{{Field: "event", Message: "event must not contain control characters"}}},
		{name: "event of symbols only", body: `{"type":"track","userId":"u","event":"🎉 !!"}`, wantStatus: 400, wantCode: codeInvalid,
			wantErrors: []FieldError{{Field: "event", Message: "event must contain a letter or a digit"}}},
		{name: "reserved event", body: `{"type":"track","userId":"u","event":"Stage Changed"}`, wantStatus: 400, wantCode: codeInvalid,
			wantErrors: []FieldError{{Field: "event", Message: `event "stage_changed" is reserved for journeybot's own log`}}},
		{name: "properties nested too deep", body: `{"type":"track","userId":"u","event":"x","properties":` + deep + `}`, wantStatus: 400, wantCode: codeInvalid,
			wantErrors: []FieldError{{Field: "properties", Message: "properties must not nest objects or arrays more than 8 deep"}}},
		{name: "call over 32 KiB", body: `{"type":"track","userId":"u","event":"x","properties":{"p":"` + strings.Repeat("x", 33<<10) + `"}}`,
			wantStatus: 400, wantCode: codeInvalid, wantErrors: []FieldError{{Message: "a call is at most 32 KiB"}}},
		{name: "timestamp two days ahead", body: `{"type":"track","userId":"u","event":"x","timestamp":"2026-03-03T12:00:00Z"}`, wantStatus: 400, wantCode: codeInvalid,
			wantErrors: []FieldError{{Field: "timestamp", Message: "timestamp is more than a day in the future"}}},
		{name: "timestamp without zone", body: `{"type":"track","userId":"u","event":"x","timestamp":"2026-03-01T10:00:00"}`, wantStatus: 400, wantCode: codeInvalid,
			wantErrors: []FieldError{{Field: "timestamp", Message: "timestamp must be an ISO 8601 date and time with a zone, such as 2026-03-01T12:00:00Z"}}},
		{name: "timestamp a number", body: `{"type":"track","userId":"u","event":"x","timestamp":1700000000}`, wantStatus: 400, wantCode: codeInvalid,
			wantErrors: []FieldError{{Field: "timestamp", Message: "timestamp must be an ISO 8601 date and time string"}}},
		{name: "traits not an object", body: `{"type":"identify","userId":"u","traits":"pro"}`, wantStatus: 400, wantCode: codeInvalid,
			wantErrors: []FieldError{{Field: "traits", Message: "traits must be an object"}}},
		{name: "bad phone in traits", body: `{"type":"identify","userId":"u","traits":{"phone":"12"}}`, wantStatus: 400, wantCode: codeInvalid,
			wantErrors: []FieldError{{Field: "traits.phone", Message: "traits.phone is not a valid phone number (give it in E.164, +14155550100)"}}},
		{name: "user id with a newline", body: `{"type":"track","userId":"u\n1","event":"x"}`, wantStatus: 400, wantCode: codeInvalid,
			wantErrors: []FieldError{{Field: "userId", Message: "userId must not contain control characters"}}},
		{name: "one bad call in a batch", body: `{"batch":[
			{"type":"track","userId":"u","event":"fine"},
			{"type":"track","userId":"u"},
			{"type":"track","anonymousId":"a","event":"also fine"},
			"not a call"]}`, wantStatus: 400, wantCode: codeInvalid,
			wantErrors: []FieldError{
				{Index: 1, Field: "event", Message: "event is required"},
				{Index: 3, Message: "a call must be a JSON object"},
			}},
		{name: "batch call without type", body: `{"batch":[{"userId":"u","event":"x"}]}`, wantStatus: 400, wantCode: codeInvalid,
			wantErrors: []FieldError{{Field: "type", Message: "type is required: track, identify, page or screen"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &fakeRecorder{}
			srv := newTestServer(t, rec)
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/events", strings.NewReader(tt.body))
			ct := tt.contentType
			if ct == "" {
				ct = "application/json; charset=utf-8"
			}
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Authorization", "Bearer "+tokenCRM)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got errorBody
			decodeResponse(t, resp, &got)
			if resp.StatusCode != tt.wantStatus || got.Code != tt.wantCode || got.Success {
				t.Errorf("status %d, code %q; want %d, %q (message %q)", resp.StatusCode, got.Code, tt.wantStatus, tt.wantCode, got.Message)
			}
			if diff := cmp.Diff(tt.wantErrors, got.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if rec.attempts != 0 {
				t.Errorf("%d calls reached the recorder, want none", rec.attempts)
			}
		})
	}
}

func TestEventsStoreFailureMidBatch(t *testing.T) {
	body := `{"batch":[
		{"type":"track","userId":"u","event":"a","messageId":"1"},
		{"type":"track","userId":"u","event":"b","messageId":"2"},
		{"type":"track","userId":"u","event":"c","messageId":"3"},
		{"type":"track","userId":"u","event":"d","messageId":"4"}]}`
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
		wantErrors []FieldError
	}{
		{"store error", errors.New("disk I/O error at /var/lib/journeybot/secret.db"), 500, codeInternal, nil},
		{"shutting down", bot.ErrShuttingDown, 503, codeUnavailable, nil},
		{"bad reference", fmt.Errorf("track: %w", bot.ErrBadReference), 400, codeInvalid,
			[]FieldError{{Index: 2, Field: "userId", Message: "the customer reference names nobody or holds a bad email address or phone number"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inner := &fakeRecorder{}
			rec := &fakeRecorder{TrackFn: func(ctx context.Context, ev bot.BusinessEvent) (bot.TrackResult, error) {
				if ev.Name == "c" {
					return bot.TrackResult{}, tt.err
				}
				return inner.Track(ctx, ev)
			}}
			resp := post(t, newTestServer(t, rec), "/api/v1/events", tokenCRM, body)
			var got errorBody
			decodeResponse(t, resp, &got)
			if resp.StatusCode != tt.wantStatus || got.Code != tt.wantCode {
				t.Errorf("status %d, code %q; want %d, %q", resp.StatusCode, got.Code, tt.wantStatus, tt.wantCode)
			}
			want := []result{
				{Index: 0, Status: statusStored, CustomerID: "cust-u", Stage: "awareness"},
				{Index: 1, Status: statusStored, CustomerID: "cust-u", Stage: "awareness"},
				{Index: 2, Status: statusFailed},
				{Index: 3, Status: statusNotStored},
			}
			if diff := cmp.Diff(want, got.Results); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErrors, got.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if !strings.Contains(got.Message, "call 2 was not stored") || strings.Contains(got.Message, "secret.db") {
				t.Errorf("message %q: want it to name call 2, and no internal detail", got.Message)
			}
			if events, _ := inner.stored(); len(events) != 2 {
				t.Errorf("%d events stored, want 2", len(events))
			}
		})
	}
}

func TestMerges(t *testing.T) {
	merge := journeystate.Merge{
		ID: "mg1", SurvivorID: "c1", AbsorbedID: "c2",
		Claim:    journeystate.IdentityClaim{Channel: "email", ExternalID: "ada@example.com", Level: journeystate.LevelVerified},
		Evidence: "identify call from crm", Actor: journeystate.ActorSystem, CreatedAt: testNow,
	}
	var gotCause string
	rec := &fakeRecorder{
		MergesFn: func(ctx context.Context, id string) ([]journeystate.Merge, error) {
			switch id {
			case "c1":
				return []journeystate.Merge{merge}, nil
			case "c3":
				return nil, nil
			}
			return nil, fmt.Errorf("customer %s: %w", id, journeystate.ErrNotFound)
		},
		UnmergeFn: func(ctx context.Context, id string, actor journeystate.Actor, cause string) (journeystate.Customer, journeystate.Customer, error) {
			switch id {
			case "mg1":
				gotCause = cause
				return journeystate.Customer{ID: "c1"}, journeystate.Customer{ID: "c2"}, nil
			case "mg-undone":
				return journeystate.Customer{}, journeystate.Customer{}, fmt.Errorf("merge %s: already undone: %w", id, journeystate.ErrConflict)
			}
			return journeystate.Customer{}, journeystate.Customer{}, fmt.Errorf("merge %s: %w", id, journeystate.ErrNotFound)
		},
	}
	srv := newTestServer(t, rec)

	get := func(path, token string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	t.Run("list", func(t *testing.T) {
		resp := get("/api/v1/customers/c1/merges", tokenReader)
		var got map[string]any
		decodeResponse(t, resp, &got)
		want := map[string]any{"success": true, "merges": []any{map[string]any{
			"id": "mg1", "survivor_id": "c1", "absorbed_id": "c2",
			"identity": map[string]any{"channel": "email", "external_id": "ada@example.com", "level": "verified"},
			"evidence": "identify call from crm", "actor": "system", "created_at": "2026-03-01T12:00:00Z",
		}}}
		if diff := cmp.Diff(want, got); resp.StatusCode != 200 || diff != "" {
			t.Errorf("status %d, body (-want +got):\n%s", resp.StatusCode, diff)
		}
	})
	t.Run("empty list is an array", func(t *testing.T) {
		resp := get("/api/v1/customers/c3/merges", tokenReader)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || strings.TrimSpace(string(b)) != `{"success":true,"merges":[]}` {
			t.Errorf("status %d, body %s", resp.StatusCode, b)
		}
	})
	tests := []struct {
		name, method, path, token, body string
		wantStatus                      int
		wantCode                        string
	}{
		{"list, unknown customer", "GET", "/api/v1/customers/nobody/merges", tokenReader, "", 404, codeNotFound},
		{"list without customers:read", "GET", "/api/v1/customers/c1/merges", tokenCRM, "", 403, codeForbidden},
		{"list without a token", "GET", "/api/v1/customers/c1/merges", "", "", 401, codeUnauthorized},
		{"undo without customers:write", "POST", "/api/v1/merges/mg1/undo", tokenReader, "", 403, codeForbidden},
		{"undo an unknown merge", "POST", "/api/v1/merges/nope/undo", tokenAdmin, "", 404, codeNotFound},
		{"undo twice", "POST", "/api/v1/merges/mg-undone/undo", tokenAdmin, "", 409, codeConflict},
		{"undo with a bad body", "POST", "/api/v1/merges/mg1/undo", tokenAdmin, `{"reason":`, 400, codeBadRequest},
		{"undo with a reason too long", "POST", "/api/v1/merges/mg1/undo", tokenAdmin, `{"reason":"` + strings.Repeat("r", 501) + `"}`, 400, codeInvalid},
		{"undo with a body over 4 KiB", "POST", "/api/v1/merges/mg1/undo", tokenAdmin, `{"reason":"` + strings.Repeat("r", 5000) + `"}`, 413, codeTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got errorBody
			decodeResponse(t, resp, &got)
			if resp.StatusCode != tt.wantStatus || got.Code != tt.wantCode {
				t.Errorf("status %d, code %q; want %d, %q", resp.StatusCode, got.Code, tt.wantStatus, tt.wantCode)
			}
		})
	}
	t.Run("undo", func(t *testing.T) {
		gotCause = ""
		resp := post(t, srv, "/api/v1/merges/mg1/undo", tokenAdmin, `{"reason":"two people sharing a family email"}`)
		var got undoBody
		decodeResponse(t, resp, &got)
		if diff := cmp.Diff(undoBody{Success: true, SurvivorID: "c1", RestoredID: "c2"}, got); resp.StatusCode != 200 || diff != "" {
			t.Errorf("status %d, body (-want +got):\n%s", resp.StatusCode, diff)
		}
		if want := "api:admin: two people sharing a family email"; gotCause != want {
			t.Errorf("cause %q, want %q", gotCause, want)
		}
	})
	t.Run("undo without a body", func(t *testing.T) {
		gotCause = ""
		resp := post(t, srv, "/api/v1/merges/mg1/undo", tokenAdmin, "")
		if resp.StatusCode != 200 || gotCause != "api:admin" {
			t.Errorf("status %d, cause %q; want 200, api:admin", resp.StatusCode, gotCause)
		}
	})
}
