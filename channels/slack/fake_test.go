package slack_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goopenai "github.com/sashabaranov/go-openai"
	"github.com/slack-go/slack/slacktest"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/bot/knowledge"
	"github.com/journeybot/journeybot/bot/llm/llmtest"
	"github.com/journeybot/journeybot/bot/llm/offline"
	"github.com/journeybot/journeybot/bot/llm/openai"
	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/channels/slack"
	"github.com/journeybot/journeybot/journeystate"
	"github.com/journeybot/journeybot/journeystate/sqlite"
	"github.com/journeybot/journeybot/prompts"
)

const (
	testSecret = "test-signing-secret"
	botUser    = "UBOT0001"
	botID      = "BBOT0001"
	teamID     = "T0TEAM01"
)

// apiCall is one Web API call the fake Slack received.
type apiCall struct {
	Method, Channel, TS, ThreadTS, Text string
	// Blocks is the posted Block Kit JSON, User the recipient of an ephemeral message.
	Blocks, User string
}

// fakeSlack is slacktest's server with journeybot's own handlers for the methods it calls, recording every call.
type fakeSlack struct {
	srv *slacktest.Server

	mu      sync.Mutex
	calls   []apiCall
	users   map[string]fakeUser // by user id; unknown users get user_not_found
	limited map[string]int      // method -> 429s to answer before succeeding
	nextTS  int
	changed chan struct{}
}

type fakeUser struct {
	Name, Email string
	Confirmed   bool
	NoScope     bool // answer missing_scope, as Slack does without users:read
}

func newFakeSlack(t *testing.T) *fakeSlack {
	t.Helper()
	f := &fakeSlack{users: map[string]fakeUser{}, limited: map[string]int{}, changed: make(chan struct{}, 1)}
	f.srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/auth.test", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"ok":true,"team":"Hearthly","user":"journeybot","team_id":%q,"user_id":%q,"bot_id":%q}`,
				teamID, botUser, botID)
		})
		c.Handle("/chat.postMessage", f.handler("chat.postMessage"))
		c.Handle("/chat.update", f.handler("chat.update"))
		c.Handle("/chat.postEphemeral", f.handler("chat.postEphemeral"))
		c.Handle("/users.info", f.handleUser)
	})
	f.srv.Start()
	t.Cleanup(f.srv.Stop)
	return f
}

func (f *fakeSlack) handler(method string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		if f.limited[method] > 0 {
			f.limited[method]--
			f.mu.Unlock()
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		c := apiCall{Method: method, Channel: r.Form.Get("channel"), TS: r.Form.Get("ts"),
			ThreadTS: r.Form.Get("thread_ts"), Text: r.Form.Get("text"), Blocks: r.Form.Get("blocks"), User: r.Form.Get("user")}
		if method == "chat.postMessage" || method == "chat.postEphemeral" {
			f.nextTS++
			c.TS = fmt.Sprintf("1800000000.%06d", f.nextTS)
		}
		f.calls = append(f.calls, c)
		f.mu.Unlock()
		select {
		case f.changed <- struct{}{}:
		default:
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": c.Channel, "ts": c.TS, "message_ts": c.TS, "text": c.Text})
	}
}

func (f *fakeSlack) handleUser(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	id := r.Form.Get("user")
	f.mu.Lock()
	f.calls = append(f.calls, apiCall{Method: "users.info", Text: id})
	u, ok := f.users[id]
	f.mu.Unlock()
	switch {
	case !ok:
		_, _ = io.WriteString(w, `{"ok":false,"error":"user_not_found"}`)
	case u.NoScope:
		_, _ = io.WriteString(w, `{"ok":false,"error":"missing_scope","needed":"users:read"}`)
	default:
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "user": map[string]any{
			"id": id, "name": strings.ToLower(u.Name), "real_name": u.Name, "is_email_confirmed": u.Confirmed,
			"profile": map[string]any{"real_name": u.Name, "email": u.Email},
		}})
	}
}

func (f *fakeSlack) setUser(id string, u fakeUser) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[id] = u
}

func (f *fakeSlack) rateLimit(method string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limited[method] = n
}

// recorded returns the calls of the given methods so far.
func (f *fakeSlack) recorded(methods ...string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		for _, m := range methods {
			if c.Method == m {
				out = append(out, c)
			}
		}
	}
	return out
}

// waitFor waits until cond holds on the recorded calls, or fails the test after 15 s.
func (f *fakeSlack) waitFor(t *testing.T, what string, cond func([]apiCall) bool) []apiCall {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		calls := f.recorded("chat.postMessage", "chat.update")
		if cond(calls) {
			return calls
		}
		select {
		case <-f.changed:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("waiting for %s: calls so far %+v", what, calls)
		}
	}
}

// fixture is a real engine (SQLite in a temp dir, the offline responder, the shipped knowledge) behind the Slack
// adapter, talking to a fake Slack.
type fixture struct {
	store   *sqlite.Store
	engine  *bot.Engine
	slack   *fakeSlack
	adapter *slack.Adapter
	server  *httptest.Server
	model   *llmtest.Server
}

type fixtureOptions struct {
	model    *llmtest.Options // nil: the offline responder answers
	appToken string
}

func newFixture(t *testing.T, fo fixtureOptions) *fixture {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "journeybot.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := knowledge.Sync(ctx, store, "../../knowledge", "", false); err != nil {
		t.Fatal(err)
	}
	renderer, err := prompts.New("")
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := bot.Config{
		Store:        store,
		Offline:      offline.New(store, offline.Options{Company: "Hearthly", Assistant: "Ember"}),
		Prompts:      renderer,
		Company:      prompts.Company{Name: "Hearthly"},
		TurnDeadline: 5 * time.Second, HistoryMessages: 20, KnowledgePassages: 3, TimelineTokens: 2000,
		Logger: logger,
	}
	f := &fixture{store: store, slack: newFakeSlack(t)}
	if fo.model != nil {
		f.model = llmtest.NewServer(t, *fo.model)
		cfg.Model = openai.New(openai.Config{APIKey: "test-key", BaseURL: f.model.URL(), Model: "fake", MaxRetries: 1,
			RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: 20 * time.Millisecond})
	}
	f.engine = bot.New(cfg)
	f.adapter, err = slack.New(ctx, f.engine, slack.Options{
		BotToken: "xoxb-test", SigningSecret: testSecret, AppToken: fo.appToken, APIURL: f.slack.srv.GetAPIURL(),
		UpdateInterval: 20 * time.Millisecond, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.engine.Register(f.adapter)
	mux := http.NewServeMux()
	f.adapter.Routes(mux)
	f.server = httptest.NewServer(mux)
	t.Cleanup(func() {
		f.server.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := f.engine.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		store.Close()
	})
	return f
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// sign returns Slack's signature headers for body at the given time.
func sign(secret string, at time.Time, body []byte) http.Header {
	stamp := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", stamp, body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", stamp)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	h.Set("Content-Type", "application/json")
	return h
}

// post sends body to /slack/events with the given headers and returns the status and body.
func (f *fixture) post(t *testing.T, h http.Header, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.server.URL+"/slack/events", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// send posts a signed event now.
func (f *fixture) send(t *testing.T, body []byte) (int, string) {
	t.Helper()
	return f.post(t, sign(testSecret, time.Now(), body), body)
}

// messages returns the stored messages of the Slack user's latest conversation on the thread.
func (f *fixture) messages(t *testing.T, user, thread string) []journeystate.Message {
	t.Helper()
	_, msgs, err := f.engine.History(context.Background(), journeystate.ChannelSlack, teamID+":"+user, thread, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// dm is an Events API delivery of a DM to the app.
func dm(eventID, user, channel, ts, threadTS, text string) []byte {
	inner := map[string]any{"type": "message", "channel_type": "im", "channel": channel, "user": user, "ts": ts,
		"text": text, "client_msg_id": "c-" + ts, "team": teamID}
	if threadTS != "" {
		inner["thread_ts"] = threadTS
	}
	return envelope(eventID, inner)
}

// mention is an Events API delivery of an app_mention in a channel.
func mention(eventID, user, channel, ts, threadTS, text string) []byte {
	inner := map[string]any{"type": "app_mention", "channel": channel, "user": user, "ts": ts,
		"text": "<@" + botUser + "> " + text, "team": teamID}
	if threadTS != "" {
		inner["thread_ts"] = threadTS
	}
	return envelope(eventID, inner)
}

func envelope(eventID string, inner map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"token": "legacy", "team_id": teamID, "api_app_id": "A0APP001",
		"type": "event_callback", "event_id": eventID, "event_time": 1800000000, "event": inner})
	if err != nil {
		panic(err)
	}
	return b
}

func channelsInbound(visitor, id, text string) channels.Inbound {
	return channels.Inbound{Channel: journeystate.ChannelWeb, UserID: visitor, ThreadID: visitor,
		Level: journeystate.LevelAnonymous, ClientMsgID: id, Text: text}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: timed out", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// answeredN waits until the thread holds n stored messages, the last one the bot's.
func (f *fixture) answeredN(t *testing.T, user, thread string, n int) []journeystate.Message {
	t.Helper()
	var msgs []journeystate.Message
	waitUntil(t, "the reply", func() bool {
		msgs = f.messages(t, user, thread)
		return len(msgs) >= n && msgs[len(msgs)-1].Author == journeystate.ActorBot
	})
	return msgs
}

func promptText(req goopenai.ChatCompletionRequest) string {
	var b strings.Builder
	for _, m := range req.Messages {
		b.WriteString(m.Content)
		b.WriteString("\n")
	}
	return b.String()
}
