package slack_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/channels/slack"
	"github.com/journeybot/journeybot/journeystate"
)

var _ slack.Desk = (*bot.Engine)(nil)

const (
	billingAgents = "C0AGENTS1" // the billing team's agent channel
	defaultAgents = "C0AGENTS0" // AgentChannel
	agentUser     = "UAGENT01"
)

// fakeEngine is an Engine that records what it is handed as a customer's.
type fakeEngine struct {
	mu       sync.Mutex
	received []channels.Inbound
}

func (e *fakeEngine) Receive(_ context.Context, in channels.Inbound) (bot.Receipt, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.received = append(e.received, in)
	return bot.Receipt{}, nil
}

func (e *fakeEngine) IdentifyUser(context.Context, string, string, bot.Identification) (journeystate.IdentifyResult, error) {
	return journeystate.IdentifyResult{}, nil
}

func (e *fakeEngine) RecordChannelEvent(context.Context, bot.ChannelEvent) (bool, error) {
	return false, nil
}

func (e *fakeEngine) History(context.Context, string, string, string, int64, int) (journeystate.Conversation, []journeystate.Message, error) {
	return journeystate.Conversation{}, nil, nil
}

func (e *fakeEngine) receivedCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.received)
}

// deskCall is one call the fake Desk received.
type deskCall struct {
	Method, ConvID          string
	Agent                   channels.Agent
	ClientID, Text, Outcome string
}

// fakeDesk records the actions and hands out one subscription, fed by publish.
type fakeDesk struct {
	mu      sync.Mutex
	calls   []deskCall
	err     error // returned by every action when set
	updates chan channels.Update
	stopped chan struct{}
	once    sync.Once
}

func newFakeDesk() *fakeDesk {
	return &fakeDesk{updates: make(chan channels.Update, 16), stopped: make(chan struct{})}
}

func (d *fakeDesk) record(c deskCall) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, c)
	return d.err
}

func (d *fakeDesk) Take(_ context.Context, convID string, agent channels.Agent) (journeystate.Conversation, error) {
	return journeystate.Conversation{ID: convID}, d.record(deskCall{Method: "Take", ConvID: convID, Agent: agent})
}

func (d *fakeDesk) HandBack(_ context.Context, convID string, agent channels.Agent) (journeystate.Conversation, error) {
	return journeystate.Conversation{ID: convID}, d.record(deskCall{Method: "HandBack", ConvID: convID, Agent: agent})
}

func (d *fakeDesk) Close(_ context.Context, convID string, agent channels.Agent, outcome string) (journeystate.Conversation, error) {
	return journeystate.Conversation{ID: convID}, d.record(deskCall{Method: "Close", ConvID: convID, Agent: agent, Outcome: outcome})
}

func (d *fakeDesk) Reply(_ context.Context, convID string, agent channels.Agent, clientID, text string) (journeystate.Message, error) {
	return journeystate.Message{ConversationID: convID, Text: text},
		d.record(deskCall{Method: "Reply", ConvID: convID, Agent: agent, ClientID: clientID, Text: text})
}

func (d *fakeDesk) Subscribe(int) (<-chan channels.Update, func()) {
	return d.updates, func() { d.once.Do(func() { close(d.stopped) }) }
}

func (d *fakeDesk) setErr(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.err = err
}

func (d *fakeDesk) recorded() []deskCall {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]deskCall(nil), d.calls...)
}

// fakeLinks keeps links and hand-off packets in maps, with the store's contract.
type fakeLinks struct {
	mu       sync.Mutex
	byExt    map[string]string
	byConv   map[string]string
	handoffs map[string]journeystate.Handoff // by conversation id
}

func newFakeLinks() *fakeLinks {
	return &fakeLinks{byExt: map[string]string{}, byConv: map[string]string{}, handoffs: map[string]journeystate.Handoff{}}
}

// storeHandoff keeps h as its conversation's newest hand-off, as SetOwner does.
func (l *fakeLinks) storeHandoff(h journeystate.Handoff) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.handoffs[h.ConversationID] = h
}

func (l *fakeLinks) LatestHandoff(_ context.Context, conv string) (journeystate.Handoff, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h, ok := l.handoffs[conv]; ok {
		return h, nil
	}
	return journeystate.Handoff{}, journeystate.ErrNotFound
}

func (l *fakeLinks) LinkConversation(_ context.Context, kind, ext, conv string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if got, ok := l.byExt[kind+"/"+ext]; ok && got != conv {
		return journeystate.ErrConflict
	}
	l.byExt[kind+"/"+ext], l.byConv[kind+"/"+conv] = conv, ext
	return nil
}

func (l *fakeLinks) LinkedConversation(_ context.Context, kind, ext string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if conv, ok := l.byExt[kind+"/"+ext]; ok {
		return conv, nil
	}
	return "", journeystate.ErrNotFound
}

func (l *fakeLinks) ConversationLink(_ context.Context, kind, conv string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ext, ok := l.byConv[kind+"/"+conv]; ok {
		return ext, nil
	}
	return "", journeystate.ErrNotFound
}

// deskFixture is the adapter with agent channels, a fake Desk and fake links, running its agent threads.
type deskFixture struct {
	slack   *fakeSlack
	engine  *fakeEngine
	desk    *fakeDesk
	links   *fakeLinks
	adapter *slack.Adapter
	server  *httptest.Server
}

func newDeskFixture(t *testing.T, appToken string) *deskFixture {
	t.Helper()
	d := &deskFixture{slack: newFakeSlack(t), engine: &fakeEngine{}, desk: newFakeDesk(), links: newFakeLinks()}
	d.slack.setUser(agentUser, fakeUser{Name: "Sam Agent"})
	var err error
	d.adapter, err = slack.New(context.Background(), d.engine, slack.Options{
		BotToken: "xoxb-test", SigningSecret: testSecret, AppToken: appToken, APIURL: d.slack.srv.GetAPIURL(),
		Logger:        slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		AgentChannels: map[string]string{"billing": billingAgents}, AgentChannel: defaultAgents,
		Desk: d.desk, Links: d.links,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	d.adapter.Routes(mux)
	d.server = httptest.NewServer(mux)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.adapter.RunAgentThreads(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("RunAgentThreads: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("RunAgentThreads did not return after its context ended")
		}
		select {
		case <-d.desk.stopped:
		default:
			t.Error("RunAgentThreads did not end its subscription")
		}
		d.server.Close()
	})
	return d
}

// posts waits until cond holds on the chat.postMessage and chat.postEphemeral calls, and returns them.
func (d *deskFixture) posts(t *testing.T, what string, cond func([]apiCall) bool) []apiCall {
	t.Helper()
	var calls []apiCall
	waitUntil(t, what, func() bool {
		calls = d.slack.recorded("chat.postMessage", "chat.postEphemeral")
		return cond(calls)
	})
	return calls
}

func (d *deskFixture) deskCalls(t *testing.T, what string, n int) []deskCall {
	t.Helper()
	var calls []deskCall
	waitUntil(t, what, func() bool {
		calls = d.desk.recorded()
		return len(calls) >= n
	})
	return calls
}

func packet(convID, team string) journeystate.Handoff {
	at := time.Date(2027, 3, 4, 9, 30, 0, 0, time.UTC)
	return journeystate.Handoff{ID: "h-" + convID, ConversationID: convID, CustomerID: "cust1", Channel: journeystate.ChannelWeb,
		Summary: "Wants a refund for order 1234.", SummarySource: journeystate.SummaryExtractive, Intent: "refund",
		Sentiment: journeystate.SentimentNegative, Stage: "customer", Profile: journeystate.Profile{Name: "Ada Lovelace", Email: "ada@example.com"},
		Timeline: []journeystate.HandoffEntry{{Time: at, Channel: journeystate.ChannelWeb, Kind: "message", Author: journeystate.ActorCustomer, Text: "I want my money back"}},
		Tried:    []journeystate.HandoffAttempt{{Time: at, Kind: journeystate.AttemptAnswer, Source: "offline", Text: "Refunds take 5 days."}},
		Reason:   "asked for a refund over 500", Trigger: journeystate.TriggerCustomerRequest, Urgency: journeystate.UrgencyHigh,
		Confidence: 1, WaitingSince: at, Team: team, CreatedAt: at}
}

// handOff publishes conv's hand-off and waits for its packet in channel; it returns the packet's post.
func (d *deskFixture) handOff(t *testing.T, conv journeystate.Conversation, h journeystate.Handoff, channel string) apiCall {
	t.Helper()
	n := len(d.slack.recorded("chat.postMessage"))
	d.links.storeHandoff(h)
	d.desk.updates <- channels.Update{Kind: channels.UpdateOwner, Conversation: conv, Handoff: &h,
		Change: journeystate.OwnerChange{From: journeystate.OwnerBot, Owner: journeystate.OwnerQueue, Actor: journeystate.ActorCustomer, Cause: h.Trigger}}
	calls := d.posts(t, "the packet", func(c []apiCall) bool { return len(d.slack.recorded("chat.postMessage")) > n })
	p := calls[len(calls)-1]
	if p.Channel != channel || p.ThreadTS != "" {
		t.Fatalf("packet posted in %s (thread %q), want the top level of %s", p.Channel, p.ThreadTS, channel)
	}
	waitUntil(t, "the link", func() bool {
		got, err := d.links.LinkedConversation(context.Background(), slack.LinkAgentThread, channel+":"+p.TS)
		return err == nil && got == conv.ID
	})
	return p
}

// block is the part of a Block Kit block the tests read.
type block struct {
	Type    string       `json:"type"`
	BlockID string       `json:"block_id"`
	Text    *textObject  `json:"text"`
	Fields  []textObject `json:"fields"`
	// Elements are buttons (their text an object) or, in a context block, text objects (their text a string).
	Elements []struct {
		Type     string          `json:"type"`
		ActionID string          `json:"action_id"`
		Value    string          `json:"value"`
		Text     json.RawMessage `json:"text"`
		Options  []struct {
			Value string `json:"value"`
		} `json:"options"`
		Confirm json.RawMessage `json:"confirm"`
	} `json:"elements"`
}

type textObject struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

func parseBlocks(t *testing.T, raw string) []block {
	t.Helper()
	var blocks []block
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		t.Fatalf("blocks %q: %v", raw, err)
	}
	return blocks
}

// texts returns every text object of the blocks.
func texts(blocks []block) []textObject {
	var out []textObject
	for _, b := range blocks {
		if b.Text != nil {
			out = append(out, *b.Text)
		}
		out = append(out, b.Fields...)
		for _, e := range b.Elements {
			var label textObject
			var plain string
			switch {
			case json.Unmarshal(e.Text, &plain) == nil:
				out = append(out, textObject{Type: e.Type, Text: plain})
			case json.Unmarshal(e.Text, &label) == nil:
				out = append(out, label)
			}
		}
	}
	return out
}

func TestHandoffPacketIsPostedWithButtonsAndLinked(t *testing.T) {
	tests := []struct {
		name, team, channel string
	}{
		{name: "team with an agent channel", team: "billing", channel: billingAgents},
		{name: "team without one goes to the default", team: "sales", channel: defaultAgents},
		{name: "no team goes to the default", team: "", channel: defaultAgents},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDeskFixture(t, "")
			conv := journeystate.Conversation{ID: "conv1", Channel: journeystate.ChannelWeb, Owner: journeystate.OwnerQueue, Team: tt.team}
			p := d.handOff(t, conv, packet("conv1", tt.team), tt.channel)
			blocks := parseBlocks(t, p.Blocks)
			if blocks[0].Type != "header" || blocks[0].Text.Text != "Hand-off: Ada Lovelace on web chat" {
				t.Errorf("first block %+v, want the header", blocks[0])
			}
			buttons := map[string]string{}
			for _, b := range blocks {
				for _, e := range b.Elements {
					if e.Type == "button" {
						buttons[e.ActionID] = e.Value
					}
				}
			}
			want := map[string]string{"jb_take": "conv1"} // a queued conversation can only be taken
			if fmt.Sprint(buttons) != fmt.Sprint(want) {
				t.Errorf("buttons %v, want %v", buttons, want)
			}
			all := fmt.Sprint(texts(blocks))
			for _, s := range []string{"Waiting in the " + cmp.Or(tt.team, "support") + " queue", "asked for a refund over 500", "Wants a refund for order 1234.", "ada@example.com",
				"I want my money back", "Refunds take 5 days.", "Urgency: high", "Intent: refund", "Stage: customer",
				"Sentiment: negative", "<!date^"} {
				if !strings.Contains(all, s) {
					t.Errorf("packet lacks %q: %s", s, all)
				}
			}
			if p.Text == "" {
				t.Error("no fallback text")
			}
		})
	}
}

func TestNoAgentChannelNoPacket(t *testing.T) {
	s := newFakeSlack(t)
	desk := newFakeDesk()
	a, err := slack.New(context.Background(), &fakeEngine{}, slack.Options{BotToken: "xoxb-test", APIURL: s.srv.GetAPIURL(),
		AgentChannels: map[string]string{"billing": billingAgents}, Desk: desk, Links: newFakeLinks()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.RunAgentThreads(ctx) }()
	sales, billing := packet("conv2", "sales"), packet("conv3", "billing")
	desk.updates <- channels.Update{Kind: channels.UpdateOwner, Conversation: journeystate.Conversation{ID: "conv2", Team: "sales"}, Handoff: &sales}
	desk.updates <- channels.Update{Kind: channels.UpdateOwner, Conversation: journeystate.Conversation{ID: "conv3", Team: "billing"}, Handoff: &billing}
	waitUntil(t, "billing's packet", func() bool { return len(s.recorded("chat.postMessage")) > 0 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Updates are taken in order: the sales packet came first, so had it been posted it would be here.
	if posts := s.recorded("chat.postMessage"); len(posts) != 1 || posts[0].Channel != billingAgents {
		t.Errorf("posts %+v, want billing's packet only (sales has no channel and there is no default)", posts)
	}
}

func TestPacketNeutralisesHostileText(t *testing.T) {
	d := newDeskFixture(t, "")
	hostile := "<!channel> <@U123> *bold* <https://evil.example|your bank> &amp;"
	h := packet("conv1", "billing")
	h.Profile.Name, h.Reason, h.Summary, h.Intent = hostile, hostile, hostile, hostile
	h.Timeline[0].Text, h.Tried[0].Text = hostile, hostile
	p := d.handOff(t, journeystate.Conversation{ID: "conv1", Channel: journeystate.ChannelSMS}, h, billingAgents)
	blocks := parseBlocks(t, p.Blocks)
	shown := 0
	for _, o := range texts(blocks) {
		switch o.Type {
		case "plain_text":
			if strings.Contains(o.Text, "<!channel>") {
				shown++ // shown as it is written, where Slack gives it no meaning
			}
		case "mrkdwn":
			for _, bad := range []string{"<!channel>", "<@U123>", "*bold*", "evil.example"} {
				if strings.Contains(o.Text, bad) {
					t.Errorf("mrkdwn text %q holds %q", o.Text, bad)
				}
			}
		default:
			t.Errorf("text object of type %q", o.Type)
		}
	}
	if shown < 5 {
		t.Errorf("the hostile text is shown in %d plain_text objects, want it in the header, reason, summary, intent, timeline and tried", shown)
	}
	for _, bad := range []string{"<!channel>", "<@U123>", "<https://"} {
		if strings.Contains(p.Text, bad) {
			t.Errorf("fallback text %q holds %q", p.Text, bad)
		}
	}
}

func TestPacketKeepsWithinBlockKitLimits(t *testing.T) {
	d := newDeskFixture(t, "")
	h := packet("conv1", "billing")
	long := strings.Repeat("refund 🙂 ", 3000) // emoji count twice in Slack's limits
	h.Profile.Name, h.Reason, h.Summary, h.Stage, h.Intent = long, long, long, long, long
	h.Traits = map[string]string{}
	for i := range 40 {
		h.Traits[fmt.Sprintf("trait%02d", i)] = long
		h.Timeline = append(h.Timeline, journeystate.HandoffEntry{Time: h.CreatedAt, Kind: "message", Author: journeystate.ActorCustomer, Text: long})
		h.Tried = append(h.Tried, journeystate.HandoffAttempt{Time: h.CreatedAt, Kind: journeystate.AttemptTool, Tool: long, Result: long})
	}
	p := d.handOff(t, journeystate.Conversation{ID: "conv1"}, h, billingAgents)
	blocks := parseBlocks(t, p.Blocks)
	if len(blocks) > 50 {
		t.Errorf("%d blocks, want at most 50", len(blocks))
	}
	units := func(s string) int {
		n := 0
		for _, r := range s {
			n++
			if r > 0xFFFF {
				n++
			}
		}
		return n
	}
	for i, b := range blocks {
		limit := 3000
		if b.Type == "header" {
			limit = 150
		}
		if b.Text != nil && units(b.Text.Text) > limit {
			t.Errorf("block %d (%s): text of %d characters, want at most %d", i, b.Type, units(b.Text.Text), limit)
		}
		if len(b.Fields) > 10 {
			t.Errorf("block %d: %d fields, want at most 10", i, len(b.Fields))
		}
		for _, f := range b.Fields {
			if units(f.Text) > 2000 {
				t.Errorf("block %d: field of %d characters, want at most 2000", i, units(f.Text))
			}
		}
	}
	if last := blocks[len(blocks)-2]; last.Type != "actions" {
		t.Errorf("the buttons were cut: next to last block is %q", last.Type)
	}
}

// interactionPayload is a block_actions payload as Slack sends it for a click on the packet p.
func interactionPayload(t *testing.T, action, value, user, team string, p apiCall) string {
	t.Helper()
	var blocks any
	if err := json.Unmarshal([]byte(p.Blocks), &blocks); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]any{
		"type": "block_actions", "token": "legacy", "api_app_id": "A0APP001", "trigger_id": "1.2.3",
		"team":         map[string]any{"id": team, "domain": "hearthly"},
		"user":         map[string]any{"id": user, "username": "sam", "name": "sam", "team_id": team},
		"container":    map[string]any{"type": "message", "message_ts": p.TS, "channel_id": p.Channel, "is_ephemeral": false},
		"channel":      map[string]any{"id": p.Channel, "name": "billing-desk"},
		"message":      map[string]any{"type": "message", "ts": p.TS, "text": p.Text, "user": botUser, "bot_id": botID, "blocks": blocks},
		"response_url": "https://hooks.slack.com/actions/T0TEAM01/1/x",
		"actions": []any{map[string]any{"type": "button", "action_id": action, "block_id": "jb_actions", "value": value,
			"text": map[string]any{"type": "plain_text", "text": "Take"}, "action_ts": "1800000100.000001"}},
		"state": map[string]any{"values": map[string]any{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func formBody(payload string) []byte { return []byte(url.Values{"payload": {payload}}.Encode()) }

// interact posts body to /slack/interactive with the headers and returns the status.
func (d *deskFixture) interact(t *testing.T, h http.Header, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, d.server.URL+"/slack/interactive", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (d *deskFixture) click(t *testing.T, payload string) int {
	t.Helper()
	body := formBody(payload)
	return d.interact(t, sign(testSecret, time.Now(), body), body)
}

func TestButtonsActThroughTheDesk(t *testing.T) {
	tests := []struct {
		action, method, outcome, said string
	}{
		{action: "jb_take", method: "Take", said: "Sam Agent took this conversation"},
		{action: "jb_handback", method: "HandBack", said: "Sam Agent handed it back to the bot"},
		{action: "jb_close", method: "Close", outcome: journeystate.OutcomeResolved, said: "Sam Agent closed it: resolved"},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			d := newDeskFixture(t, "")
			p := d.handOff(t, journeystate.Conversation{ID: "conv1", Team: "billing"}, packet("conv1", "billing"), billingAgents)
			if status := d.click(t, interactionPayload(t, tt.action, "conv1", agentUser, teamID, p)); status != http.StatusOK {
				t.Fatalf("status %d, want 200", status)
			}
			calls := d.deskCalls(t, "the desk call", 1)
			want := deskCall{Method: tt.method, ConvID: "conv1", Agent: channels.Agent{ID: "slack:" + agentUser, Name: "Sam Agent"}, Outcome: tt.outcome}
			if len(calls) != 1 || calls[0] != want {
				t.Errorf("desk calls %+v, want %+v", calls, want)
			}
			posts := d.posts(t, "the outcome in the thread", func(c []apiCall) bool { return len(c) >= 2 })
			if got := posts[1]; got.Method != "chat.postMessage" || got.Channel != billingAgents || got.ThreadTS != p.TS || !strings.Contains(got.Blocks, tt.said) {
				t.Errorf("post %+v, want %q in the packet's thread", got, tt.said)
			}
			if d.engine.receivedCount() != 0 {
				t.Error("a click reached the engine as a customer message")
			}
		})
	}
}

func TestConflictIsToldToTheClickerOnly(t *testing.T) {
	d := newDeskFixture(t, "")
	p := d.handOff(t, journeystate.Conversation{ID: "conv1", Team: "billing"}, packet("conv1", "billing"), billingAgents)
	d.desk.setErr(fmt.Errorf("take: %w", &journeystate.TransitionError{From: journeystate.OwnerAgent, FromAgentID: "slack:UOTHER01",
		To: journeystate.OwnerAgent, AgentID: "slack:" + agentUser, Actor: journeystate.ActorAgent, Reason: "no longer owned by queue"}))
	if status := d.click(t, interactionPayload(t, "jb_take", "conv1", agentUser, teamID, p)); status != http.StatusOK {
		t.Fatalf("status %d, want 200", status)
	}
	posts := d.posts(t, "the ephemeral", func(c []apiCall) bool { return len(c) >= 2 })
	got := posts[1]
	if got.Method != "chat.postEphemeral" || got.User != agentUser || got.Channel != billingAgents || got.ThreadTS != p.TS ||
		!strings.Contains(got.Text, "Someone else took this conversation") {
		t.Errorf("post %+v, want an ephemeral to %s saying someone else took it", got, agentUser)
	}
	time.Sleep(100 * time.Millisecond) // room for a wrong thread post to show itself
	if n := len(d.slack.recorded("chat.postMessage")); n != 1 {
		t.Errorf("%d chat.postMessage calls, want only the packet", n)
	}
}

func TestBadInteractionsAreRefusedAndDoNothing(t *testing.T) {
	d := newDeskFixture(t, "")
	p := d.handOff(t, journeystate.Conversation{ID: "conv1", Team: "billing"}, packet("conv1", "billing"), billingAgents)
	good := formBody(interactionPayload(t, "jb_take", "conv1", agentUser, teamID, p))
	now := time.Now()
	signed := func(b []byte) (http.Header, []byte) { return sign(testSecret, now, b), b }
	tests := []struct {
		name   string
		header http.Header
		body   []byte
		want   int
	}{
		{name: "no signature", header: http.Header{}, body: good, want: http.StatusUnauthorized},
		{name: "wrong secret", header: sign("not-the-secret", now, good), body: good, want: http.StatusUnauthorized},
		{name: "stale timestamp", header: sign(testSecret, now.Add(-6*time.Minute), good), body: good, want: http.StatusUnauthorized},
		{name: "body changed after signing", header: sign(testSecret, now, good),
			body: formBody(interactionPayload(t, "jb_close", "conv1", agentUser, teamID, p)), want: http.StatusUnauthorized},
		{name: "no payload", want: http.StatusBadRequest},
		{name: "payload not JSON", want: http.StatusBadRequest},
		{name: "form that is not one", want: http.StatusBadRequest},
		{name: "user id that would forge a key", want: http.StatusBadRequest},
		{name: "message ts that is not one", want: http.StatusBadRequest},
		{name: "close with an outcome that is not one", want: http.StatusBadRequest},
		{name: "close with no outcome", want: http.StatusBadRequest},
		{name: "close select outside a packet's block", want: http.StatusBadRequest},
		{name: "too large", want: http.StatusRequestEntityTooLarge},
		{name: "unknown action id", want: http.StatusOK},
		{name: "another interaction type", want: http.StatusOK},
	}
	bodies := map[string][]byte{
		"no payload":                            []byte("foo=bar"),
		"payload not JSON":                      formBody("{not json"),
		"form that is not one":                  []byte("payload=%zz"),
		"user id that would forge a key":        formBody(interactionPayload(t, "jb_take", "conv1", "U1:T2", teamID, p)),
		"message ts that is not one":            formBody(interactionPayload(t, "jb_take", "conv1", agentUser, teamID, apiCall{Channel: p.Channel, TS: "now", Blocks: p.Blocks})),
		"too large":                             formBody(strings.Repeat("x", 1<<20)),
		"close with an outcome that is not one": formBody(closePayload(t, "deleted", "jb_actions:conv1", p)),
		"close with no outcome":                 formBody(closePayload(t, "", "jb_actions:conv1", p)),
		"close select outside a packet's block": formBody(closePayload(t, "spam", "conv1", p)),
		"unknown action id":                     formBody(interactionPayload(t, "jb_delete_everything", "conv1", agentUser, teamID, p)),
		"another interaction type":              formBody(`{"type":"view_submission","user":{"id":"` + agentUser + `"}}`),
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, body := tt.header, tt.body
			if body == nil {
				h, body = signed(bodies[tt.name])
			}
			if status := d.interact(t, h, body); status != tt.want {
				t.Errorf("status %d, want %d", status, tt.want)
			}
		})
	}
	// A good click after them all: once it is worked, anything the others set off would have been too.
	if status := d.click(t, string(must(url.ParseQuery(string(good)))["payload"][0])); status != http.StatusOK {
		t.Fatalf("good click: status %d", status)
	}
	d.posts(t, "the good click's outcome", func(c []apiCall) bool { return len(c) >= 2 })
	if calls := d.desk.recorded(); len(calls) != 1 || calls[0].Method != "Take" {
		t.Errorf("desk calls %+v, want the good click's Take only", calls)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestClicksOutsideTheirThreadOrWorkspaceDoNothing(t *testing.T) {
	d := newDeskFixture(t, "")
	p := d.handOff(t, journeystate.Conversation{ID: "conv1", Team: "billing"}, packet("conv1", "billing"), billingAgents)
	tests := []struct {
		name, payload, told string
	}{
		{name: "a button naming another conversation than its thread's", told: "not a hand-off",
			payload: interactionPayload(t, "jb_take", "conv-other", agentUser, teamID, p)},
		{name: "a Slack Connect guest", told: "Only members of this workspace",
			payload: interactionPayload(t, "jb_take", "conv1", "UGUEST01", "T0OTHER1", p)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := len(d.slack.recorded("chat.postEphemeral"))
			if status := d.click(t, tt.payload); status != http.StatusOK {
				t.Fatalf("status %d, want 200", status)
			}
			waitUntil(t, "the ephemeral", func() bool { return len(d.slack.recorded("chat.postEphemeral")) > n })
			if got := d.slack.recorded("chat.postEphemeral")[n]; !strings.Contains(got.Text, tt.told) {
				t.Errorf("told %q, want %q", got.Text, tt.told)
			}
			if calls := d.desk.recorded(); len(calls) != 0 {
				t.Errorf("desk calls %+v, want none", calls)
			}
		})
	}
}

// agentMessage is a message event in a channel, by the agent user unless user says otherwise.
func agentMessage(eventID, channel, ts, threadTS, text string) []byte {
	inner := map[string]any{"type": "message", "channel_type": "channel", "channel": channel, "user": agentUser, "ts": ts,
		"text": text, "team": teamID}
	if threadTS != "" {
		inner["thread_ts"] = threadTS
	}
	return envelope(eventID, inner)
}

func (d *deskFixture) send(t *testing.T, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, d.server.URL+"/slack/events", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = sign(testSecret, time.Now(), body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestRepliesInAgentThreadsGoThroughTheDesk(t *testing.T) {
	d := newDeskFixture(t, "")
	p := d.handOff(t, journeystate.Conversation{ID: "conv1", Team: "billing"}, packet("conv1", "billing"), billingAgents)
	reply := agentMessage("EvA1", billingAgents, "1800000200.000001", p.TS, "Hi Ada, I am refunding it now &amp; will confirm.")
	for range 2 { // Slack's retry
		if status := d.send(t, reply); status != http.StatusOK {
			t.Fatalf("status %d, want 200", status)
		}
	}
	// The same message's app_mention event.
	mention := envelope("EvA2", map[string]any{"type": "app_mention", "channel": billingAgents, "user": agentUser,
		"ts": "1800000200.000001", "thread_ts": p.TS, "text": "<@" + botUser + "> Hi Ada, I am refunding it now &amp; will confirm.", "team": teamID})
	if status := d.send(t, mention); status != http.StatusOK {
		t.Fatalf("status %d, want 200", status)
	}
	ignored := [][]byte{
		agentMessage("EvA3", billingAgents, "1800000201.000001", "", "lunch anyone?"),                 // chatter at the top level
		agentMessage("EvA4", billingAgents, "1800000202.000001", "1800000000.000009", "not a packet"), // an unlinked thread
		envelope("EvA5", map[string]any{"type": "app_mention", "channel": billingAgents, "user": agentUser, // a mention at the top level
			"ts": "1800000203.000001", "text": "<@" + botUser + "> hello", "team": teamID}),
		envelope("EvA6", map[string]any{"type": "message", "channel": billingAgents, "user": "UGUEST01", "user_team": "T0OTHER1", // a guest
			"ts": "1800000204.000001", "thread_ts": p.TS, "text": "I am an agent too", "team": "T0OTHER1"}),
	}
	for _, body := range ignored {
		if status := d.send(t, body); status != http.StatusOK {
			t.Fatalf("status %d, want 200", status)
		}
	}
	calls := d.desk.recorded()
	want := deskCall{Method: "Reply", ConvID: "conv1", Agent: channels.Agent{ID: "slack:" + agentUser, Name: "Sam Agent"},
		ClientID: "slack:" + billingAgents + ":1800000200.000001", Text: "Hi Ada, I am refunding it now & will confirm."}
	if len(calls) != 1 || calls[0] != want {
		t.Errorf("desk calls %+v, want one %+v", calls, want)
	}
	if n := d.engine.receivedCount(); n != 0 {
		t.Errorf("the engine got %d customer messages from the agent channel, want none", n)
	}
	// A message in a customer's channel still is one: the agent channels change nothing else.
	if status := d.send(t, mention2("EvC1", "C0SHARED1")); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	if n := d.engine.receivedCount(); n != 1 {
		t.Errorf("the engine got %d customer messages, want the shared channel's one", n)
	}
}

func mention2(eventID, channel string) []byte {
	return mention(eventID, "UCUST002", channel, "1800000300.000001", "", "What does the warranty cover?")
}

func TestRefusedReplyIsToldToItsAuthor(t *testing.T) {
	d := newDeskFixture(t, "")
	p := d.handOff(t, journeystate.Conversation{ID: "conv1", Team: "billing"}, packet("conv1", "billing"), billingAgents)
	d.desk.setErr(errors.New("the agent does not own the conversation"))
	if status := d.send(t, agentMessage("EvR1", billingAgents, "1800000200.000001", p.TS, "hello")); status != http.StatusOK {
		t.Fatalf("status %d, want 200", status)
	}
	posts := d.posts(t, "the note", func(c []apiCall) bool { return len(c) >= 2 })
	if got := posts[1]; got.Method != "chat.postEphemeral" || got.User != agentUser || got.ThreadTS != p.TS ||
		!strings.Contains(got.Text, "take the conversation first") {
		t.Errorf("post %+v, want an ephemeral to the author saying to take the conversation first", got)
	}
}

func TestUpdatesArePostedInTheAgentThread(t *testing.T) {
	d := newDeskFixture(t, "")
	conv := journeystate.Conversation{ID: "conv1", Team: "billing", Owner: journeystate.OwnerAgent, AgentID: "u-console"}
	p := d.handOff(t, conv, packet("conv1", "billing"), billingAgents)
	console := channels.Agent{ID: "u-console", Name: "Kim Console"}
	slackAgent := channels.Agent{ID: "slack:" + agentUser, Name: "Sam Agent"}
	msg := func(author journeystate.Actor, text, agentID, clientID string) channels.Update {
		return channels.Update{Kind: channels.UpdateMessage, Conversation: conv, Message: journeystate.Message{ConversationID: "conv1",
			Author: author, Text: text, ClientID: clientID, Meta: journeystate.MessageMeta{AgentID: agentID, AgentName: "Name Of " + agentID}}}
	}
	owner := func(by channels.Agent, change journeystate.OwnerChange) channels.Update {
		return channels.Update{Kind: channels.UpdateOwner, Conversation: conv, Agent: by, Change: change}
	}
	updates := []channels.Update{
		msg(journeystate.ActorCustomer, "<!channel> where is my *refund*?", "", "w-1"),
		msg(journeystate.ActorBot, "An agent will be with you shortly.", "", "reply:1"),
		msg(journeystate.ActorAgent, "from Slack, here", "slack:"+agentUser, "slack:"+billingAgents+":1800000200.000001"),
		msg(journeystate.ActorSystem, "Sam joined", "", "n-1"),
		owner(slackAgent, journeystate.OwnerChange{From: journeystate.OwnerQueue, Owner: journeystate.OwnerAgent, AgentID: slackAgent.ID, Actor: journeystate.ActorAgent, Cause: "take"}),
		owner(console, journeystate.OwnerChange{From: journeystate.OwnerQueue, Owner: journeystate.OwnerAgent, AgentID: console.ID, Actor: journeystate.ActorAgent, Cause: "take"}),
		msg(journeystate.ActorAgent, "from the console", "u-console", "c-1"),
		owner(console, journeystate.OwnerChange{From: journeystate.OwnerAgent, FromAgentID: console.ID, Owner: journeystate.OwnerClosed, Actor: journeystate.ActorAgent, Cause: "resolved"}),
		{Kind: channels.UpdateTyping, Conversation: conv, Agent: console, Typing: true},
		msg(journeystate.ActorCustomer, "other conversation", "", "w-2"),
	}
	updates[len(updates)-1].Conversation.ID = "conv-unlinked"
	for _, u := range updates {
		d.desk.updates <- u
	}
	// A last one to wait for: every update before it has been taken by then.
	d.desk.updates <- msg(journeystate.ActorCustomer, "last", "", "w-3")
	posts := d.posts(t, "the last update", func(c []apiCall) bool {
		return len(c) > 0 && strings.Contains(c[len(c)-1].Blocks, "Customer: last")
	})
	var got []string
	for _, c := range posts[1:] {
		if c.Channel != billingAgents || c.ThreadTS != p.TS {
			t.Errorf("post %+v outside the packet's thread", c)
		}
		var shown []string
		for _, o := range texts(parseBlocks(t, c.Blocks)) {
			if o.Type != "plain_text" {
				t.Errorf("thread line in a %s object: %q", o.Type, o.Text)
			}
			shown = append(shown, o.Text)
		}
		got = append(got, strings.Join(shown, ""))
	}
	want := []string{
		"Customer: <!channel> where is my *refund*?",
		"Bot: An agent will be with you shortly.",
		"Taken by Kim Console",
		"Name Of u-console: from the console",
		"Closed: resolved",
		"Customer: last",
	}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("thread lines\n got %q\nwant %q", got, want)
	}
	for _, c := range posts[1:] {
		if strings.Contains(c.Text, "<!channel>") {
			t.Errorf("fallback text %q holds a live mention", c.Text)
		}
	}
}

func TestSocketModeClicksAreAcknowledgedAndWorked(t *testing.T) {
	d := newDeskFixture(t, "xapp-test")
	var mu sync.Mutex
	acks := map[string]int{}
	go func() {
		for frame := range d.slack.srv.SeenFeed {
			var ack struct {
				EnvelopeID string `json:"envelope_id"`
			}
			if json.Unmarshal([]byte(frame), &ack) == nil && ack.EnvelopeID != "" {
				mu.Lock()
				acks[ack.EnvelopeID]++
				mu.Unlock()
			}
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.adapter.RunSocketMode(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	p := d.handOff(t, journeystate.Conversation{ID: "conv1", Team: "billing"}, packet("conv1", "billing"), billingAgents)
	payload := interactionPayload(t, "jb_take", "conv1", agentUser, teamID, p)
	d.slack.srv.SendToWebsocket(fmt.Sprintf(`{"type":"interactive","envelope_id":"env-click","payload":%s,"accepts_response_payload":false}`, payload))
	calls := d.deskCalls(t, "the take", 1)
	if calls[0].Method != "Take" || calls[0].Agent.ID != "slack:"+agentUser {
		t.Errorf("desk calls %+v, want a Take by slack:%s", calls, agentUser)
	}
	waitUntil(t, "the ack", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return acks["env-click"] == 1
	})
}

// closePayload is a block_actions payload as Slack sends it for a choice of outcome in the Close select of p, whose
// actions block has blockID.
func closePayload(t *testing.T, outcome, blockID string, p apiCall) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(interactionPayload(t, "jb_close", "", agentUser, teamID, p)), &m); err != nil {
		t.Fatal(err)
	}
	m["actions"] = []any{map[string]any{"type": "static_select", "action_id": "jb_close", "block_id": blockID,
		"selected_option": map[string]any{"text": map[string]any{"type": "plain_text", "text": outcome}, "value": outcome},
		"placeholder":     map[string]any{"type": "plain_text", "text": "Close as…"}, "action_ts": "1800000100.000001"}}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// updatesOf waits until the fake Slack has n chat.update calls and returns them.
func (d *deskFixture) updatesOf(t *testing.T, what string, n int) []apiCall {
	t.Helper()
	var calls []apiCall
	waitUntil(t, what, func() bool {
		calls = d.slack.recorded("chat.update")
		return len(calls) >= n
	})
	return calls
}

// elements returns the packet's interactive elements as "type:action_id", and the Close select's option values.
func elements(blocks []block) (elems, outcomes []string) {
	for _, b := range blocks {
		if b.Type != "actions" {
			continue
		}
		for _, e := range b.Elements {
			elems = append(elems, e.Type+":"+e.ActionID)
			for _, o := range e.Options {
				outcomes = append(outcomes, o.Value)
			}
		}
	}
	return elems, outcomes
}

func TestPacketIsRedrawnOnEveryOwnerChange(t *testing.T) {
	since := time.Date(2027, 3, 4, 10, 42, 0, 0, time.UTC)
	console := channels.Agent{ID: "u-console", Name: "Sam Rivera"}
	slackAgent := channels.Agent{ID: "slack:" + agentUser, Name: "Sam Agent"}
	allOutcomes := []string{"resolved", "unresolved", "follow_up", "spam", "abandoned"}
	tests := []struct {
		name     string
		by       channels.Agent
		conv     journeystate.Conversation
		change   journeystate.OwnerChange
		line     string // the owner line, its text objects joined
		elems    []string
		outcomes []string
	}{
		{name: "back in the queue", by: console,
			conv:   journeystate.Conversation{Owner: journeystate.OwnerQueue, Team: "support", OwnerSince: since},
			change: journeystate.OwnerChange{From: journeystate.OwnerAgent, FromAgentID: console.ID, Owner: journeystate.OwnerQueue, Actor: journeystate.ActorAgent, Cause: "transfer"},
			line:   "Waiting in the support queue", elems: []string{"button:jb_take"}},
		{name: "taken in the console", by: console,
			conv:   journeystate.Conversation{Owner: journeystate.OwnerAgent, AgentID: console.ID, Team: "billing", OwnerSince: since},
			change: journeystate.OwnerChange{From: journeystate.OwnerQueue, Owner: journeystate.OwnerAgent, AgentID: console.ID, Actor: journeystate.ActorAgent, Cause: "take"},
			line:   "With Sam Rivera|since <!date^" + fmt.Sprint(since.Unix()) + "^{time}|10:42 UTC>",
			elems:  []string{"button:jb_handback", "static_select:jb_close"}, outcomes: allOutcomes},
		{name: "taken in Slack", by: slackAgent,
			conv:   journeystate.Conversation{Owner: journeystate.OwnerAgent, AgentID: slackAgent.ID, Team: "billing"},
			change: journeystate.OwnerChange{From: journeystate.OwnerQueue, Owner: journeystate.OwnerAgent, AgentID: slackAgent.ID, Actor: journeystate.ActorAgent, Cause: "take"},
			line:   "With Sam Agent", elems: []string{"button:jb_handback", "static_select:jb_close"}, outcomes: allOutcomes},
		{name: "handed back by the dispatcher",
			conv:   journeystate.Conversation{Owner: journeystate.OwnerBot, OwnerSince: since},
			change: journeystate.OwnerChange{From: journeystate.OwnerQueue, Owner: journeystate.OwnerBot, Actor: journeystate.ActorSystem, Cause: "after hours"},
			line:   "Back with the assistant", elems: []string{"button:jb_take"}},
		{name: "closed", by: console,
			conv:   journeystate.Conversation{Owner: journeystate.OwnerClosed, OwnerSince: since},
			change: journeystate.OwnerChange{From: journeystate.OwnerAgent, FromAgentID: console.ID, Owner: journeystate.OwnerClosed, Actor: journeystate.ActorAgent, Cause: "resolved"},
			line:   "Closed: resolved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDeskFixture(t, "")
			p := d.handOff(t, journeystate.Conversation{ID: "conv1", Team: "billing", Owner: journeystate.OwnerQueue}, packet("conv1", "billing"), billingAgents)
			conv := tt.conv
			conv.ID = "conv1"
			d.desk.updates <- channels.Update{Kind: channels.UpdateOwner, Conversation: conv, Agent: tt.by, Change: tt.change}
			got := d.updatesOf(t, "the packet's update", 1)[0]
			if got.Channel != billingAgents || got.TS != p.TS {
				t.Fatalf("chat.update of %s %s, want the packet %s %s", got.Channel, got.TS, billingAgents, p.TS)
			}
			if got.Text == "" {
				t.Error("no fallback text")
			}
			blocks := parseBlocks(t, got.Blocks)
			if blocks[0].Type != "header" || blocks[0].Text.Text != "Hand-off: Ada Lovelace on web chat" ||
				!strings.Contains(fmt.Sprint(texts(blocks)), "Wants a refund for order 1234.") {
				t.Errorf("the update lost the packet: %s", got.Blocks)
			}
			var line []string
			for _, b := range blocks {
				if b.BlockID == "jb_owner" {
					for _, o := range texts([]block{b}) {
						line = append(line, o.Text)
					}
				}
			}
			if got := strings.Join(line, "|"); got != tt.line {
				t.Errorf("owner line %q, want %q", got, tt.line)
			}
			elems, outcomes := elements(blocks)
			if fmt.Sprint(elems) != fmt.Sprint(tt.elems) || fmt.Sprint(outcomes) != fmt.Sprint(tt.outcomes) {
				t.Errorf("elements %v with outcomes %v, want %v with %v", elems, outcomes, tt.elems, tt.outcomes)
			}
			for _, b := range blocks {
				for _, e := range b.Elements {
					if e.Type == "static_select" && (len(e.Confirm) == 0 || b.BlockID != "jb_actions:conv1") {
						t.Errorf("Close select in block %q, confirm %s: want block jb_actions:conv1 and a confirm dialog", b.BlockID, e.Confirm)
					}
				}
			}
		})
	}
}

func TestOwnerChangeOfAnUnlinkedConversationUpdatesNothing(t *testing.T) {
	d := newDeskFixture(t, "")
	p := d.handOff(t, journeystate.Conversation{ID: "conv1", Team: "billing", Owner: journeystate.OwnerQueue}, packet("conv1", "billing"), billingAgents)
	closed := func(id string) channels.Update {
		return channels.Update{Kind: channels.UpdateOwner, Conversation: journeystate.Conversation{ID: id, Owner: journeystate.OwnerClosed},
			Change: journeystate.OwnerChange{From: journeystate.OwnerQueue, Owner: journeystate.OwnerClosed, Actor: journeystate.ActorSystem, Cause: "abandoned"}}
	}
	d.desk.updates <- closed("conv-unlinked")
	// Packets are drawn in the order their changes came: once conv1's is, the unlinked one's has had its turn.
	d.desk.updates <- closed("conv1")
	d.updatesOf(t, "conv1's update", 1)
	time.Sleep(50 * time.Millisecond) // room for a wrong update to show itself
	if calls := d.slack.recorded("chat.update"); len(calls) != 1 || calls[0].TS != p.TS {
		t.Errorf("chat.update calls %+v, want conv1's packet only", calls)
	}
}

func TestCloseSelectClosesWithItsOutcome(t *testing.T) {
	d := newDeskFixture(t, "")
	p := d.handOff(t, journeystate.Conversation{ID: "conv1", Team: "billing"}, packet("conv1", "billing"), billingAgents)
	if status := d.click(t, closePayload(t, "follow_up", "jb_actions:conv1", p)); status != http.StatusOK {
		t.Fatalf("status %d, want 200", status)
	}
	calls := d.deskCalls(t, "the close", 1)
	want := deskCall{Method: "Close", ConvID: "conv1", Agent: channels.Agent{ID: "slack:" + agentUser, Name: "Sam Agent"}, Outcome: "follow_up"}
	if len(calls) != 1 || calls[0] != want {
		t.Errorf("desk calls %+v, want %+v", calls, want)
	}
	posts := d.posts(t, "the outcome in the thread", func(c []apiCall) bool { return len(c) >= 2 })
	if got := posts[1]; got.ThreadTS != p.TS || !strings.Contains(got.Blocks, "Sam Agent closed it: follow_up") {
		t.Errorf("post %+v, want the close with its outcome in the packet's thread", got)
	}
}
