package sms_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/bot/knowledge"
	"github.com/journeybot/journeybot/bot/llm/offline"
	"github.com/journeybot/journeybot/channels/sms"
	"github.com/journeybot/journeybot/journeystate/sqlite"
	"github.com/journeybot/journeybot/prompts"
)

const (
	accountSID = "AC0123456789abcdef0123456789abcdef"
	authToken  = "0123456789abcdef0123456789abcdef"
	publicURL  = "https://bot.example.test"
	ourNumber  = "+14155550199"
	customer   = "+14155550100"
)

// sent is one message the fake Twilio was asked to send.
type sent struct {
	To, From, Body, StatusCallback string
}

// fakeTwilio speaks Twilio's Messages REST API: a form POST with basic auth to
// /2010-04-01/Accounts/{AccountSid}/Messages.json, answered 201 with the message's JSON, or with Twilio's error
// JSON when refuse is set.
type fakeTwilio struct {
	srv    *httptest.Server
	mu     sync.Mutex
	sent   []sent
	notify chan sent
	refuse int // a Twilio error code to answer with, 0 for none
}

func newFakeTwilio(t *testing.T) *fakeTwilio {
	t.Helper()
	f := &fakeTwilio{notify: make(chan sent, 100)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{sid}/Messages.json", func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != accountSID || pass != authToken || r.PathValue("sid") != accountSID {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}`)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		m := sent{To: r.PostForm.Get("To"), From: r.PostForm.Get("From"), Body: r.PostForm.Get("Body"),
			StatusCallback: r.PostForm.Get("StatusCallback")}
		f.mu.Lock()
		refuse := f.refuse
		if refuse == 0 {
			f.sent = append(f.sent, m)
		}
		n := len(f.sent)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if refuse != 0 {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"code": %d, "message": "Attempt to send to unsubscribed recipient", "status": 400}`, refuse)
			return
		}
		f.notify <- m
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{
			"sid": fmt.Sprintf("SM%032x", n), "account_sid": accountSID, "to": m.To, "from": m.From, "body": m.Body,
			"status": "queued", "num_segments": "1", "direction": "outbound-api", "api_version": "2010-04-01",
		})
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeTwilio) all() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sent(nil), f.sent...)
}

// next waits for the next message sent.
func (f *fakeTwilio) next(t *testing.T) sent {
	t.Helper()
	select {
	case m := <-f.notify:
		return m
	case <-time.After(15 * time.Second):
		t.Fatal("nothing sent within 15 s")
		return sent{}
	}
}

// none checks that nothing more is sent for a while.
func (f *fakeTwilio) none(t *testing.T, wait time.Duration) {
	t.Helper()
	select {
	case m := <-f.notify:
		t.Fatalf("unexpected message sent: %+v", m)
	case <-time.After(wait):
	}
}

// harness is a real engine on SQLite with the offline responder, the SMS channel on a mux, and the fake Twilio.
type harness struct {
	store   *sqlite.Store
	engine  *bot.Engine
	channel *sms.Channel
	mux     *http.ServeMux
	twilio  *fakeTwilio
	reg     *prometheus.Registry
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func newHarness(t *testing.T, tweak func(*sms.Options)) *harness {
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
	log := slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	engine := bot.New(bot.Config{
		Store:        store,
		Offline:      offline.New(store, offline.Options{Company: "Hearthly", Assistant: "Ember"}),
		Prompts:      renderer,
		Company:      prompts.Company{Name: "Hearthly"},
		TurnDeadline: 5 * time.Second,
		Logger:       log,
	})
	h := &harness{store: store, engine: engine, mux: http.NewServeMux(), twilio: newFakeTwilio(t),
		reg: prometheus.NewRegistry()}
	opts := sms.Options{
		AccountSID: accountSID, AuthToken: authToken, PublicURL: publicURL, APIBaseURL: h.twilio.srv.URL,
		HelpText: "Hearthly: help at hearthly.example/help. Reply STOP to opt out.", Logger: log, Registerer: h.reg,
	}
	if tweak != nil {
		tweak(&opts)
	}
	h.channel, err = sms.New(engine, opts)
	if err != nil {
		t.Fatal(err)
	}
	engine.Register(h.channel)
	h.channel.Routes(h.mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := engine.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		store.Close()
	})
	return h
}

// sign computes X-Twilio-Signature the way Twilio documents it, independently of the code under test: HMAC-SHA1
// of the URL followed by each parameter's name and value, sorted by name, in base64.
func sign(token, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := fullURL
	for _, k := range keys {
		s += k + form.Get(k)
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// post sends a webhook signed for publicURL+path, as Twilio does, to the channel through an internal address;
// sig "" signs it correctly, anything else is sent as the signature.
func (h *harness) post(t *testing.T, path string, form url.Values, sig string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	body := form.Encode()
	if sig == "" {
		sig = sign(authToken, publicURL+path, form)
	}
	r := httptest.NewRequest("POST", "http://10.1.2.3:8080"+path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-Twilio-Signature", sig)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.mux.ServeHTTP(w, r)
	return w
}

// message is an incoming-message webhook form.
func message(sid, from, body string) url.Values {
	return url.Values{"MessageSid": {sid}, "SmsMessageSid": {sid}, "AccountSid": {accountSID}, "From": {from},
		"To": {ourNumber}, "Body": {body}, "NumMedia": {"0"}, "NumSegments": {"1"}, "SmsStatus": {"received"},
		"ApiVersion": {"2010-04-01"}}
}

func sid(n int) string { return fmt.Sprintf("SM%032x", n) }
