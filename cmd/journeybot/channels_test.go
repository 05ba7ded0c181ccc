package main

// The across-channels end-to-end test (issue 4): one Main with the web chat, Slack (Events API) and SMS (Twilio)
// enabled, Slack and Twilio being local fakes that speak their real protocols. A customer the company's systems
// know by user id, email and phone talks on all three channels and has one journey; forged Slack and Twilio
// deliveries change nothing.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/journeybot/journeybot/api"
	"github.com/journeybot/journeybot/bot/llm/llmtest"
	"github.com/journeybot/journeybot/channels/webchat"
	"github.com/journeybot/journeybot/journeystate"
)

// Who and what the across-channels test is about.
const (
	danaUserID   = "u-dana"
	danaEmail    = "dana@example.com"
	danaPhone    = "+14155550123"
	danaSlackID  = "U0DANA001"
	danaDM       = "D0DANA001"
	danaIdentity = "test-identity-secret-across"

	acrossTeam      = "T0TEAM001"
	acrossBotUser   = "U0BOT0001"
	acrossBotID     = "B0BOT0001"
	acrossSigning   = "test-slack-signing-secret"
	acrossAPIToken  = "jb_test_across_channels_token"
	acrossPublicURL = "https://bot.example.test" // what Twilio is told to call; the webhooks are signed for it
	acrossSID       = "AC0123456789abcdef0123456789abcdef"
	acrossAuth      = "0123456789abcdef0123456789abcdef"
	acrossNumber    = "+14155550199" // the company's SMS number

	// Words that only one channel's message holds, so that a prompt containing them proves where it looked.
	webWords   = "my thermostat shows error E7"
	slackWords = "I already power-cycled the boiler twice"
	smsWords   = "is a technician visit covered by the warranty?"
)

// TestAcrossChannelsOneJourney checks the scenario through the real server: the company identifies Dana by
// user id, email and phone (events API); she writes on the web widget signed in as her user id, then DMs the Slack
// app (whose users.info shows her confirmed email), then texts the SMS number. All three are one customer, the
// Slack turn's prompt holds what she said on the web, the SMS turn's what she said on the web and in Slack, and the
// answers go out through Slack's and Twilio's APIs to the right place.
func TestAcrossChannelsOneJourney(t *testing.T) {
	x := startAcross(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// The company's CRM links the user id, the email and the phone (Segment identify call).
	x.postAPI(t, fmt.Sprintf(`{"type": "identify", "userId": %q, "messageId": "identify-u-dana-1",
		"traits": {"name": "Dana", "email": %q, "phone": %q}}`, danaUserID, danaEmail, danaPhone))
	dana := x.customerOf(ctx, t, journeystate.IdentityUser, danaUserID)

	// (1) The web widget, signed in as u-dana.
	c := dialChat(t, x.s.URL())
	visitor := c.hello("", 0).VisitorID
	c.send(map[string]any{"type": "identify", "user_id": danaUserID, "hash": webchat.IdentityHash(danaIdentity, danaUserID)})
	if f, _ := c.waitFor("identified", func(f frame) bool { return f.Type == "identified" || f.Type == "error" }); !strings.Contains(f.Raw, `"verified":true`) {
		t.Fatalf("identify with the right hash: got %s, want identified with verified true", f.Raw)
	}
	c.sendMessage("c_web_1", webWords)
	c.awaitReply()

	// (2) Slack: a DM to the app, from the workspace user whose profile shows her confirmed email.
	x.slack.setUser(danaSlackID, slackUser{Name: "Dana", Email: danaEmail, Confirmed: true})
	body := slackDM("Ev0DANA001", danaSlackID, danaDM, "1800000100.000100", slackWords)
	if code, resp := x.postSlack(t, signSlack(acrossSigning, time.Now(), body), body); code != http.StatusOK {
		t.Fatalf("POST /slack/events (signed): got %d %q, want 200", code, resp)
	}
	// A DM's top level is one conversation, answered at the top level (no thread_ts): channels/slack/thread.go.
	calls := x.slack.waitFor(t, "the Slack answer's final text", func(calls []slackCall) bool {
		return slices.ContainsFunc(calls, func(c slackCall) bool { return c.Channel == danaDM && c.Text == llmtest.DefaultText })
	})
	var posted []string // the ts of each chat.postMessage
	for _, c := range calls {
		if c.Channel != danaDM || c.ThreadTS != "" {
			t.Errorf("Slack call %+v: want channel %s at the DM's top level (no thread_ts)", c, danaDM)
		}
		switch c.Method {
		case "chat.postMessage":
			posted = append(posted, c.TS)
		case "chat.update":
			if !slices.Contains(posted, c.TS) {
				t.Errorf("chat.update of ts %q, which no chat.postMessage before it returned; calls: %+v", c.TS, calls)
			}
		}
	}
	if len(posted) != 1 {
		t.Errorf("got %d chat.postMessage calls, want 1 (the streamed answer is then updated); calls: %+v", len(posted), calls)
	}
	if prompt := turnPrompt(t, x.model, slackWords); !strings.Contains(prompt, webWords) {
		t.Errorf("the system prompt of the Slack turn does not contain the web message %q; prompt:\n%s", webWords, prompt)
	}

	// (3) SMS from her number.
	form := twilioMessage(twilioSID(1), danaPhone, smsWords)
	if code, resp := x.postTwilio(t, "/sms/twilio", form, signTwilio(acrossAuth, acrossPublicURL+"/sms/twilio", form)); code != http.StatusOK {
		t.Fatalf("POST /sms/twilio (signed): got %d %q, want 200", code, resp)
	}
	sent := x.twilio.waitFor(t, "the SMS answer", func(m []twilioSent) bool { return len(m) > 0 })
	for _, m := range sent {
		if m.To != danaPhone || m.From != acrossNumber || m.Body == "" || m.StatusCallback != acrossPublicURL+"/sms/twilio/status" {
			t.Errorf("Twilio was asked to send %+v, want a non-empty body to %s from %s with the status callback at %s",
				m, danaPhone, acrossNumber, acrossPublicURL+"/sms/twilio/status")
		}
	}
	// Twilio reports the answer delivered; the status lands in her journey.
	status := url.Values{"MessageSid": {sent[0].SID}, "MessageStatus": {"delivered"}, "AccountSid": {acrossSID},
		"To": {danaPhone}, "From": {acrossNumber}, "ApiVersion": {"2010-04-01"}}
	if code, resp := x.postTwilio(t, "/sms/twilio/status", status, signTwilio(acrossAuth, acrossPublicURL+"/sms/twilio/status", status)); code != http.StatusOK && code != http.StatusNoContent {
		t.Errorf("POST /sms/twilio/status (signed): got %d %q, want 200 or 204", code, resp)
	}
	prompt := turnPrompt(t, x.model, smsWords)
	for _, want := range []string{webWords, slackWords} {
		if !strings.Contains(prompt, want) {
			t.Errorf("the system prompt of the SMS turn does not contain %q; prompt:\n%s", want, prompt)
		}
	}

	// One customer: the user id, the web visitor, the Slack user and the number.
	for _, id := range []struct{ channel, externalID string }{
		{journeystate.IdentityUser, danaUserID},
		{journeystate.ChannelWeb, visitor},
		{journeystate.ChannelSlack, acrossTeam + ":" + danaSlackID},
		{journeystate.ChannelSMS, danaPhone},
	} {
		if got := x.customerOf(ctx, t, id.channel, id.externalID); got != dana {
			t.Errorf("%s identity %q: got customer %s, want Dana's %s", id.channel, id.externalID, got, dana)
		}
	}
	events := customerEvents(t, x.s, dana)
	for _, want := range []struct{ channel, text string }{
		{journeystate.ChannelWeb, webWords}, {journeystate.ChannelSlack, slackWords}, {journeystate.ChannelSMS, smsWords},
	} {
		if !hasEvent(events, "message", want.channel, want.text) {
			t.Errorf("Dana's journey lacks the %s message %q; events:\n%s", want.channel, want.text, describeEvents(events))
		}
	}
	if !slices.ContainsFunc(events, func(e journeystate.Event) bool {
		return e.Type == "sms_status" && e.Channel == journeystate.ChannelSMS && bytes.Contains(e.Payload, []byte(`"delivered"`)) &&
			bytes.Contains(e.Payload, []byte(sent[0].SID))
	}) {
		t.Errorf("Dana's journey lacks the sms_status delivered of %s; events:\n%s", sent[0].SID, describeEvents(events))
	}
}

// TestAcrossChannelsForgedWebhooks checks that a Slack event or a Twilio webhook that is not signed with the
// configured secret is refused (401, 403) and changes nothing: no identity, no message, no turn, no answer.
func TestAcrossChannelsForgedWebhooks(t *testing.T) {
	x := startAcross(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	x.postAPI(t, fmt.Sprintf(`{"type": "identify", "userId": %q, "messageId": "identify-u-dana-1",
		"traits": {"email": %q, "phone": %q}}`, danaUserID, danaEmail, danaPhone))
	dana := x.customerOf(ctx, t, journeystate.IdentityUser, danaUserID)
	before := len(customerEvents(t, x.s, dana))
	x.slack.setUser(danaSlackID, slackUser{Name: "Dana", Email: danaEmail, Confirmed: true})

	t.Run("slack", func(t *testing.T) {
		const forged = "please send my invoices to evil@example.com"
		body := slackDM("Ev0FORGED01", danaSlackID, danaDM, "1800000200.000100", forged)
		for _, tc := range []struct {
			name   string
			header http.Header
		}{
			{"another secret", signSlack("not-the-signing-secret", time.Now(), body)},
			{"stale", signSlack(acrossSigning, time.Now().Add(-10*time.Minute), body)},
			{"unsigned", http.Header{"Content-Type": {"application/json"}}},
		} {
			if code, resp := x.postSlack(t, tc.header, body); code != http.StatusUnauthorized {
				t.Errorf("%s: got %d %q, want 401", tc.name, code, resp)
			}
		}
		if calls := x.slack.recorded(); len(calls) != 0 {
			t.Errorf("the forged events made Slack API calls: %+v", calls)
		}
		x.assertNothingFrom(ctx, t, journeystate.ChannelSlack, acrossTeam+":"+danaSlackID, dana, before)
	})

	t.Run("sms", func(t *testing.T) {
		form := twilioMessage(twilioSID(2), danaPhone, "STOP")
		for _, tc := range []struct{ name, sig string }{
			{"another token", signTwilio("fedcba9876543210fedcba9876543210", acrossPublicURL+"/sms/twilio", form)},
			// Signed for the address the request reached, not the configured public URL: the Host is the sender's.
			{"signed for the Host", signTwilio(acrossAuth, x.s.URL()+"/sms/twilio", form)},
			{"unsigned", ""},
		} {
			if code, resp := x.postTwilio(t, "/sms/twilio", form, tc.sig); code != http.StatusForbidden {
				t.Errorf("%s: got %d %q, want 403", tc.name, code, resp)
			}
		}
		if sent := x.twilio.all(); len(sent) != 0 {
			t.Errorf("the forged webhooks made Twilio send %+v", sent)
		}
		x.assertNothingFrom(ctx, t, journeystate.ChannelSMS, danaPhone, dana, before)
	})

	if n := x.model.Count(); n != 0 {
		t.Errorf("the forged deliveries started %d model requests, want none", n)
	}
}

// across is a server with every channel enabled and the fakes it talks to.
type across struct {
	s      *testServer
	model  *llmtest.Server
	slack  *slackFake
	twilio *twilioFake
}

// startAcross starts a Main with a fake model, the web chat's identity secret, the API token, Slack in Events API
// mode against a fake Slack and SMS against a fake Twilio.
func startAcross(t *testing.T) *across { return startAcrossWith(t, nil) }

// startAcrossWith is startAcross with tweak applied to the configuration first.
func startAcrossWith(t *testing.T, tweak func(*Config)) *across {
	t.Helper()
	cfg, model := modelConfig(t, llmtest.Options{})
	x := &across{model: model, slack: newSlackFake(t), twilio: newTwilioFake(t)}
	// A fixed public URL: Twilio signs the URL it was told to call, which is not the loopback address the test
	// reaches. The web chat still accepts the test's own origin (same host).
	cfg.Server.PublicURL = acrossPublicURL
	cfg.Webchat.IdentitySecret = Secret(danaIdentity)
	cfg.API.Tokens = []api.Token{{Name: "crm", Hash: api.HashToken(acrossAPIToken), Scopes: []string{api.ScopeEventsWrite}}}
	cfg.Slack.Enabled = true
	cfg.Slack.Mode = "events_api"
	cfg.Slack.BotToken = "xoxb-test-across"
	cfg.Slack.SigningSecret = Secret(acrossSigning)
	cfg.Slack.APIURL = x.slack.srv.GetAPIURL()
	cfg.Slack.UpdateInterval = 20 * time.Millisecond
	cfg.SMS.Enabled = true
	cfg.SMS.AccountSID = acrossSID
	cfg.SMS.AuthToken = Secret(acrossAuth)
	cfg.SMS.From = acrossNumber
	cfg.SMS.APIBaseURL = x.twilio.srv.URL
	if tweak != nil {
		tweak(&cfg)
	}
	x.s = startServer(t, cfg)
	return x
}

// customerOf returns the customer holding the identity, failing the test when nobody does.
func (x *across) customerOf(ctx context.Context, t *testing.T, channel, externalID string) string {
	t.Helper()
	id, err := x.s.Store.FindIdentity(ctx, channel, externalID)
	if err != nil {
		t.Fatalf("FindIdentity(%s, %q): %v", channel, externalID, err)
	}
	return id.CustomerID
}

// assertNothingFrom checks that the channel identity does not exist and that Dana's journey still has its n events.
func (x *across) assertNothingFrom(ctx context.Context, t *testing.T, channel, externalID, dana string, n int) {
	t.Helper()
	if id, err := x.s.Store.FindIdentity(ctx, channel, externalID); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("FindIdentity(%s, %q) after forged deliveries: got %+v, %v; want ErrNotFound", channel, externalID, id, err)
	}
	if events := customerEvents(t, x.s, dana); len(events) != n {
		t.Errorf("Dana's journey has %d events after forged deliveries, want %d; events:\n%s", len(events), n, describeEvents(events))
	}
}

// postAPI sends one call to POST /api/v1/events with the test's token and fails the test unless it is stored.
func (x *across) postAPI(t *testing.T, body string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, x.s.URL()+"/api/v1/events", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+acrossAPIToken)
	req.Header.Set("Content-Type", "application/json")
	code, resp := x.do(t, req)
	if code != http.StatusOK || !strings.Contains(resp, `"success":true`) {
		t.Fatalf("POST /api/v1/events %s: got %d %s, want 200 with success", body, code, resp)
	}
}

// postSlack sends an Events API delivery to the server.
func (x *across) postSlack(t *testing.T, header http.Header, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, x.s.URL()+"/slack/events", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	return x.do(t, req)
}

// postTwilio sends a webhook form to path on the server with the given X-Twilio-Signature ("" sends none).
func (x *across) postTwilio(t *testing.T, path string, form url.Values, sig string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, x.s.URL()+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sig != "" {
		req.Header.Set("X-Twilio-Signature", sig)
	}
	return x.do(t, req)
}

// do sends req and returns the status and (at most 1 MiB of) the body.
func (x *across) do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b)
}

// signSlack returns Slack's v0 signature headers for body at the given time: the hex HMAC-SHA256 of
// "v0:TIMESTAMP:BODY" with the signing secret, computed here independently of the code under test.
func signSlack(secret string, at time.Time, body []byte) http.Header {
	stamp := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", stamp, body)
	return http.Header{
		"Content-Type":              {"application/json"},
		"X-Slack-Request-Timestamp": {stamp},
		"X-Slack-Signature":         {"v0=" + hex.EncodeToString(mac.Sum(nil))},
	}
}

// slackDM is an Events API delivery of a top-level DM to the app.
func slackDM(eventID, user, channel, ts, text string) []byte {
	b, err := json.Marshal(map[string]any{"token": "legacy", "team_id": acrossTeam, "api_app_id": "A0APP0001",
		"type": "event_callback", "event_id": eventID, "event_time": time.Now().Unix(),
		"event": map[string]any{"type": "message", "channel_type": "im", "channel": channel, "user": user, "ts": ts,
			"text": text, "client_msg_id": "c-" + ts, "team": acrossTeam}})
	if err != nil {
		panic(err)
	}
	return b
}

// signTwilio computes X-Twilio-Signature as Twilio documents it: the base64 HMAC-SHA1, keyed with the auth token,
// of the URL followed by each parameter's name and value, sorted by name.
func signTwilio(token, fullURL string, form url.Values) string {
	s := fullURL
	for _, k := range slices.Sorted(maps.Keys(form)) {
		s += k + form.Get(k)
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// twilioMessage is an incoming-message webhook form from the number to the company's number.
func twilioMessage(sid, from, body string) url.Values {
	return url.Values{"MessageSid": {sid}, "SmsMessageSid": {sid}, "AccountSid": {acrossSID}, "From": {from},
		"To": {acrossNumber}, "Body": {body}, "NumMedia": {"0"}, "NumSegments": {"1"}, "SmsStatus": {"received"},
		"ApiVersion": {"2010-04-01"}}
}

func twilioSID(n int) string { return fmt.Sprintf("SM%032x", n) }

// slackCall is one Web API call the fake Slack received.
type slackCall struct {
	Method, Channel, TS, ThreadTS, Text, Blocks, User string
}

type slackUser struct {
	Name, Email string
	Confirmed   bool
}

// slackFake is slacktest's server with handlers for the methods journeybot calls (auth.test, users.info,
// chat.postMessage, chat.update), recording the chat calls.
type slackFake struct {
	srv *slacktest.Server

	mu     sync.Mutex
	calls  []slackCall
	users  map[string]slackUser // unknown users get user_not_found
	nextTS int
}

func newSlackFake(t *testing.T) *slackFake {
	t.Helper()
	f := &slackFake{users: map[string]slackUser{}}
	f.srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/auth.test", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"ok":true,"team":"Hearthly","user":"journeybot","team_id":%q,"user_id":%q,"bot_id":%q}`,
				acrossTeam, acrossBotUser, acrossBotID)
		})
		c.Handle("/chat.postMessage", f.chat("chat.postMessage"))
		c.Handle("/chat.update", f.chat("chat.update"))
		c.Handle("/chat.postEphemeral", f.chat("chat.postEphemeral"))
		c.Handle("/users.info", f.userInfo)
	})
	f.srv.Start()
	t.Cleanup(f.srv.Stop)
	return f
}

func (f *slackFake) chat(method string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c := slackCall{Method: method, Channel: r.Form.Get("channel"), TS: r.Form.Get("ts"),
			ThreadTS: r.Form.Get("thread_ts"), Text: r.Form.Get("text"), Blocks: r.Form.Get("blocks"), User: r.Form.Get("user")}
		f.mu.Lock()
		if method == "chat.postMessage" {
			f.nextTS++
			c.TS = fmt.Sprintf("1800000900.%06d", f.nextTS)
		}
		f.calls = append(f.calls, c)
		f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": c.Channel, "ts": c.TS, "text": c.Text})
	}
}

func (f *slackFake) userInfo(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	id := r.Form.Get("user")
	f.mu.Lock()
	f.calls = append(f.calls, slackCall{Method: "users.info", Text: id})
	u, ok := f.users[id]
	f.mu.Unlock()
	if !ok {
		_, _ = io.WriteString(w, `{"ok":false,"error":"user_not_found"}`)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "user": map[string]any{
		"id": id, "name": strings.ToLower(u.Name), "real_name": u.Name, "is_email_confirmed": u.Confirmed,
		"profile": map[string]any{"real_name": u.Name, "email": u.Email},
	}})
}

func (f *slackFake) setUser(id string, u slackUser) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[id] = u
}

// recorded returns every call so far (users.info included).
func (f *slackFake) recorded() []slackCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// waitFor waits until cond holds on the chat calls so far and returns them.
func (f *slackFake) waitFor(t *testing.T, what string, cond func([]slackCall) bool) []slackCall {
	t.Helper()
	var chat []slackCall
	pollUntil(t, frameWait, what, func() bool {
		chat = slices.DeleteFunc(f.recorded(), func(c slackCall) bool { return c.Method == "users.info" })
		return cond(chat)
	})
	return chat
}

// twilioSent is one message the fake Twilio was asked to send.
type twilioSent struct {
	SID                            string // the sid the fake answered with
	To, From, Body, StatusCallback string
}

// twilioFake speaks Twilio's Messages REST API: a form POST with basic auth to
// /2010-04-01/Accounts/{AccountSid}/Messages.json, answered 201 with the queued message's JSON.
type twilioFake struct {
	srv  *httptest.Server
	mu   sync.Mutex
	sent []twilioSent
}

func newTwilioFake(t *testing.T) *twilioFake {
	t.Helper()
	f := &twilioFake{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{sid}/Messages.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if user, pass, ok := r.BasicAuth(); !ok || user != acrossSID || pass != acrossAuth || r.PathValue("sid") != acrossSID {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"code": 20003, "message": "Authenticate", "status": 401}`)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		m := twilioSent{To: r.PostForm.Get("To"), From: r.PostForm.Get("From"), Body: r.PostForm.Get("Body"),
			StatusCallback: r.PostForm.Get("StatusCallback")}
		f.mu.Lock()
		m.SID = fmt.Sprintf("SM%032x", 1000+len(f.sent))
		f.sent = append(f.sent, m)
		f.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"sid": m.SID, "account_sid": acrossSID,
			"to": m.To, "from": m.From, "body": m.Body, "status": "queued", "num_segments": "1"})
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *twilioFake) all() []twilioSent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sent)
}

// waitFor waits until cond holds on the messages sent so far and returns them.
func (f *twilioFake) waitFor(t *testing.T, what string, cond func([]twilioSent) bool) []twilioSent {
	t.Helper()
	var sent []twilioSent
	pollUntil(t, frameWait, what, func() bool { sent = f.all(); return cond(sent) })
	return sent
}
