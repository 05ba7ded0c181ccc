package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/bot/knowledge"
	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/bot/llm/llmtest"
	"github.com/journeybot/journeybot/bot/llm/offline"
	"github.com/journeybot/journeybot/bot/llm/openai"
	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
	"github.com/journeybot/journeybot/journeystate/sqlite"
	"github.com/journeybot/journeybot/prompts"
)

// recorder is a channel that records what the engine sends, for assertions.
type recorder struct {
	mu        sync.Mutex
	delivered chan journeystate.Message
	deltas    []string
	typing    []bool
}

func newRecorder() *recorder { return &recorder{delivered: make(chan journeystate.Message, 100)} }

func (r *recorder) Name() string { return journeystate.ChannelWeb }

func (r *recorder) Deliver(_ context.Context, _ journeystate.Conversation, m journeystate.Message) error {
	r.delivered <- m
	return nil
}

func (r *recorder) Typing(_ journeystate.Conversation, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.typing = append(r.typing, on)
}

func (r *recorder) StreamDelta(_ journeystate.Conversation, _ string, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deltas = append(r.deltas, text)
}

func (r *recorder) deltaCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.deltas)
}

// next waits for the next delivered message.
func (r *recorder) next(t *testing.T) journeystate.Message {
	t.Helper()
	select {
	case m := <-r.delivered:
		return m
	case <-time.After(15 * time.Second):
		t.Fatal("no message delivered within 15 s")
		return journeystate.Message{}
	}
}

// none checks that nothing more is delivered for a while.
func (r *recorder) none(t *testing.T, wait time.Duration) {
	t.Helper()
	select {
	case m := <-r.delivered:
		t.Fatalf("unexpected delivery: %+v", m)
	case <-time.After(wait):
	}
}

var _ channels.Streamer = (*recorder)(nil)

type openaiRequest = goopenai.ChatCompletionRequest

// tWriter sends log lines to the test's log.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

type fixture struct {
	store  *sqlite.Store
	engine *bot.Engine
	ch     *recorder
	model  *llmtest.Server
}

// newFixture builds an engine on a real SQLite store with the repository's knowledge base indexed. With a non-nil
// model options the engine talks to a fake OpenAI-compatible server through the real go-openai backend.
func newFixture(t *testing.T, modelOpts *llmtest.Options, tweak func(*bot.Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "journeybot.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := knowledge.Sync(ctx, store, "../knowledge", "", false); err != nil {
		t.Fatal(err)
	}
	renderer, err := prompts.New("")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: store, ch: newRecorder()}
	cfg := bot.Config{
		Store:             store,
		Offline:           offline.New(store, offline.Options{Company: "Hearthly", Assistant: "Ember"}),
		Prompts:           renderer,
		Company:           prompts.Company{Name: "Hearthly"},
		TurnDeadline:      5 * time.Second,
		MaxToolSteps:      4,
		HistoryMessages:   20,
		KnowledgePassages: 3,
		Logger:            slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if modelOpts != nil {
		f.model = llmtest.NewServer(t, *modelOpts)
		cfg.Model = openai.New(openai.Config{APIKey: "test-key", BaseURL: f.model.URL(), Model: "fake", MaxRetries: 2,
			RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: 50 * time.Millisecond})
	}
	if tweak != nil {
		tweak(&cfg)
	}
	f.engine = bot.New(cfg)
	f.engine.Register(f.ch)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := f.engine.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		store.Close()
	})
	return f
}

func inbound(visitor, id, text string) channels.Inbound {
	return channels.Inbound{Channel: journeystate.ChannelWeb, UserID: visitor, ThreadID: visitor,
		Level: journeystate.LevelAnonymous, ClientMsgID: id, Text: text}
}

// say receives a message, as a channel does; the engine starts the turn that answers it.
func (f *fixture) say(t *testing.T, in channels.Inbound) bot.Receipt {
	t.Helper()
	r, err := f.engine.Receive(context.Background(), in)
	if err != nil {
		t.Fatalf("receive %q: %v", in.Text, err)
	}
	return r
}

// strand stores a customer message the way a crash leaves it: committed (and acknowledged) but with no turn run,
// written at. It returns the stored message.
func (f *fixture) strand(t *testing.T, visitor, id, text string, at time.Time) journeystate.Message {
	t.Helper()
	ctx := context.Background()
	cust, err := f.store.ResolveIdentity(ctx, journeystate.IdentityClaim{Channel: journeystate.ChannelWeb, ExternalID: visitor})
	if err != nil {
		t.Fatal(err)
	}
	conv, _, err := f.store.OpenConversation(ctx, cust.ID, journeystate.ChannelWeb, visitor)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := f.store.AppendMessage(ctx, journeystate.Message{ConversationID: conv.ID, CustomerID: cust.ID,
		Author: journeystate.ActorCustomer, ClientID: id, Text: text, CreatedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (f *fixture) events(t *testing.T, conv, typ string) []journeystate.Event {
	t.Helper()
	evs, err := f.store.Events(context.Background(), journeystate.EventQuery{ConversationID: conv, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []journeystate.Event
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func TestOfflineTurnAnswersFromKnowledge(t *testing.T) {
	f := newFixture(t, nil, nil)
	r := f.say(t, inbound("v_visitor01", "m1", "How long does shipping take?"))
	reply := f.ch.next(t)
	if reply.Author != journeystate.ActorBot || reply.Meta.Source != bot.SourceOffline {
		t.Fatalf("got author %q source %q, want bot offline", reply.Author, reply.Meta.Source)
	}
	if len(reply.Meta.Citations) == 0 || reply.Meta.Citations[0].Source != "shipping.md" {
		t.Errorf("got citations %+v, want shipping.md first", reply.Meta.Citations)
	}
	if reply.ClientID != "reply:"+r.Message.ID || reply.Meta.ReplyTo != r.Message.ID {
		t.Errorf("got client id %q reply_to %q, want both tied to %s", reply.ClientID, reply.Meta.ReplyTo, r.Message.ID)
	}
	if f.ch.deltaCount() == 0 {
		t.Error("the offline answer was not streamed")
	}
	if got := f.events(t, r.Conversation.ID, "bot_turn"); len(got) != 1 {
		t.Errorf("got %d bot_turn events, want 1", len(got))
	}
}

func TestResentMessageIsStoredAndAnsweredOnce(t *testing.T) {
	f := newFixture(t, nil, nil)
	in := inbound("v_visitor02", "m-same", "What is your return policy?")
	first := f.say(t, in)
	f.ch.next(t)
	for range 3 {
		again := f.say(t, in)
		if !again.Duplicate || again.Message.ID != first.Message.ID {
			t.Fatalf("resend: got duplicate=%v id %s, want the first message %s", again.Duplicate, again.Message.ID, first.Message.ID)
		}
	}
	f.ch.none(t, 300*time.Millisecond)
	msgs, err := f.store.Messages(context.Background(), first.Conversation.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("got %d messages, want the question and one answer", len(msgs))
	}
}

func TestResendBeforeAnswerGetsOneAnswer(t *testing.T) {
	// The customer resends while the first turn is still running: the turn answers once.
	f := newFixture(t, &llmtest.Options{Latency: 300 * time.Millisecond}, nil)
	in := inbound("v_visitor03", "m-early", "Hello?")
	f.say(t, in)
	f.say(t, in)
	f.ch.next(t)
	f.ch.none(t, 700*time.Millisecond)
}

func TestRefusedMessagesStoreNothing(t *testing.T) {
	f := newFixture(t, nil, func(c *bot.Config) { c.MaxMessageChars = 10 })
	for _, tc := range []struct {
		name, text string
		want       error
	}{
		{"empty", "   \n\t", bot.ErrEmptyMessage},
		{"too long", strings.Repeat("é", 11), bot.ErrTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.engine.Receive(context.Background(), inbound("v_visitor04", "x-"+tc.name, tc.text))
			if err != tc.want {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := f.store.FindIdentity(context.Background(), journeystate.ChannelWeb, "v_visitor04"); err == nil {
		t.Error("a refused message created the visitor's identity")
	}
}

func TestModelAnswerIsStreamed(t *testing.T) {
	text := "Standard shipping takes three to five business days within the US."
	f := newFixture(t, &llmtest.Options{Replies: []llmtest.Reply{{Text: text}}, ChunkWords: 2}, nil)
	f.say(t, inbound("v_visitor05", "m1", "How long does shipping take?"))
	reply := f.ch.next(t)
	if reply.Text != text || reply.Meta.Source != bot.SourceModel {
		t.Fatalf("got %q from %q, want the model's text", reply.Text, reply.Meta.Source)
	}
	if n := f.ch.deltaCount(); n < 3 {
		t.Errorf("got %d deltas, want the answer streamed in several", n)
	}
	reqs := f.model.Handler.Requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d model requests, want 1", len(reqs))
	}
	sys := reqs[0].Messages[0]
	if sys.Role != "system" || !strings.Contains(sys.Content, "Hearthly") || !strings.Contains(sys.Content, "shipping.md") {
		t.Errorf("system prompt lacks the company or the shipping passage:\n%s", sys.Content)
	}
	if last := reqs[0].Messages[len(reqs[0].Messages)-1]; last.Role != "user" || last.Content != "How long does shipping take?" {
		t.Errorf("got last message %+v, want the customer's question", last)
	}
}

func TestToolLoopSearchesKnowledge(t *testing.T) {
	f := newFixture(t, &llmtest.Options{Replies: []llmtest.Reply{
		{ToolCalls: []llm.ToolCall{{Name: "search_knowledge", Arguments: `{"query":"return window"}`}}},
		{ToolCalls: []llm.ToolCall{{Name: "delete_customer", Arguments: `{}`}}},
		{Text: "You can return it within the return window."},
	}}, nil)
	r := f.say(t, inbound("v_visitor06", "m1", "Can I send my thermostat back?"))
	reply := f.ch.next(t)
	if reply.Meta.Source != bot.SourceModel {
		t.Fatalf("got source %q, want model", reply.Meta.Source)
	}
	reqs := f.model.Handler.Requests()
	if len(reqs) != 3 {
		t.Fatalf("got %d model calls, want 3", len(reqs))
	}
	toolMsg := reqs[1].Messages[len(reqs[1].Messages)-1]
	if toolMsg.Role != "tool" || !strings.Contains(toolMsg.Content, "returns.md") {
		t.Errorf("search result handed to the model: %+v, want passages from returns.md", toolMsg)
	}
	refused := reqs[2].Messages[len(reqs[2].Messages)-1]
	if !strings.Contains(refused.Content, `unknown tool`) {
		t.Errorf("a tool outside the allow-list got %q, want an error", refused.Content)
	}
	calls := f.events(t, r.Conversation.ID, "tool_call")
	if len(calls) != 2 {
		t.Fatalf("got %d tool_call events, want 2", len(calls))
	}
	var ev struct {
		OK bool `json:"ok"`
	}
	if err := json.Unmarshal(calls[1].Payload, &ev); err != nil || ev.OK {
		t.Errorf("the refused call is recorded as ok (%s)", calls[1].Payload)
	}
}

func TestToolLoopIsBounded(t *testing.T) {
	always := func(req openaiRequest) llmtest.Reply {
		if len(req.Tools) == 0 {
			return llmtest.Reply{Text: "Here is what I found."}
		}
		return llmtest.Reply{ToolCalls: []llm.ToolCall{{Name: "search_knowledge", Arguments: `{"query":"x"}`}}}
	}
	f := newFixture(t, &llmtest.Options{Respond: always}, func(c *bot.Config) { c.MaxToolSteps = 2 })
	f.say(t, inbound("v_visitor07", "m1", "Tell me everything"))
	if reply := f.ch.next(t); reply.Text != "Here is what I found." {
		t.Fatalf("got %q, want the answer of the call without tools", reply.Text)
	}
	if n := f.model.Handler.Count(); n != 3 {
		t.Errorf("got %d model calls, want 2 with tools and 1 without", n)
	}
}

func TestModelFailuresFallBackToOffline(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply llmtest.Reply
	}{
		{"server errors", llmtest.Reply{Status: 500}},
		{"malformed stream", llmtest.Reply{Malformed: true}},
		{"hang past the deadline", llmtest.Reply{Hang: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			respond := func(openaiRequest) llmtest.Reply { return tc.reply }
			f := newFixture(t, &llmtest.Options{Respond: respond}, func(c *bot.Config) { c.TurnDeadline = 1500 * time.Millisecond })
			start := time.Now()
			r := f.say(t, inbound("v_visitor08", "m1", "How long does shipping take?"))
			reply := f.ch.next(t)
			if reply.Meta.Source != bot.SourceFallback {
				t.Fatalf("got source %q, want fallback", reply.Meta.Source)
			}
			if len(reply.Meta.Citations) == 0 {
				t.Errorf("the fallback answer cites nothing: %q", reply.Text)
			}
			// The deadline is a promise to the customer; the slack covers a loaded test machine.
			if waited := time.Since(start); waited > 1500*time.Millisecond+deadlineSlack {
				t.Errorf("the customer waited %v, past the 1.5 s deadline", waited)
			}
			turns := f.events(t, r.Conversation.ID, "bot_turn")
			if len(turns) != 1 || !strings.Contains(string(turns[0].Payload), "model_error") {
				t.Errorf("the model's failure is not recorded: %+v", turns)
			}
		})
	}
}

func TestMessagesDuringATurnAreAnsweredTogether(t *testing.T) {
	f := newFixture(t, &llmtest.Options{Latency: 300 * time.Millisecond}, nil)
	f.say(t, inbound("v_visitor09", "m1", "Hi"))
	f.say(t, inbound("v_visitor09", "m2", "I have a question"))
	last := f.say(t, inbound("v_visitor09", "m3", "about shipping"))
	// The first turn may start before m2 and m3 are stored, or after: either way the last reply answers m3, and
	// no more than two replies are sent.
	for replies := 1; ; replies++ {
		reply := f.ch.next(t)
		if reply.Meta.ReplyTo == last.Message.ID {
			break
		}
		if replies == 2 {
			t.Fatalf("two replies and none answers the last message")
		}
	}
	f.ch.none(t, 800*time.Millisecond)
	reqs := f.model.Handler.Requests()
	var users []string
	for _, m := range reqs[len(reqs)-1].Messages {
		if m.Role == "user" {
			users = append(users, m.Content)
		}
	}
	if got := strings.Join(users, "|"); got != "Hi|I have a question|about shipping" {
		t.Errorf("the last turn saw %q, want all three messages", got)
	}
}

func TestShutdownFinishesTurnsInFlight(t *testing.T) {
	f := newFixture(t, &llmtest.Options{Latency: 500 * time.Millisecond}, nil)
	r := f.say(t, inbound("v_visitor10", "m1", "Hello"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.engine.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.MessageByClientID(ctx, r.Customer.ID, "reply:"+r.Message.ID); err != nil {
		t.Fatalf("the reply of the turn in flight was not stored: %v", err)
	}
}

func TestReceiveAfterShutdownStoresNothing(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := context.Background()
	if err := f.engine.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.engine.Receive(ctx, inbound("v_visitor18", "m1", "Hello?")); !errors.Is(err, bot.ErrShuttingDown) {
		t.Fatalf("got %v, want ErrShuttingDown", err)
	}
	if _, err := f.store.FindIdentity(ctx, journeystate.ChannelWeb, "v_visitor18"); err == nil {
		t.Error("a message refused at shutdown created the visitor")
	}
}

func TestResumeAnswersWhatWasLeftUnanswered(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := context.Background()
	// Stored and acknowledged, but the server stopped before the turn.
	left := f.strand(t, "v_visitor19", "m1", "How long does shipping take?", time.Now())
	answered := f.say(t, inbound("v_visitor20", "m1", "What is your return policy?"))
	f.ch.next(t)

	n, err := f.engine.Resume(ctx, time.Now().Add(-time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("Resume() = %d, %v; want 1 conversation", n, err)
	}
	if reply := f.ch.next(t); reply.Meta.ReplyTo != left.ID {
		t.Errorf("resumed reply answers %s, want %s", reply.Meta.ReplyTo, left.ID)
	}
	f.ch.none(t, 300*time.Millisecond)
	if n, _ := f.engine.Resume(ctx, time.Now().Add(-time.Hour)); n != 0 {
		t.Errorf("second Resume() started %d turns, want 0 (conversation %s was answered)", n, answered.Conversation.ID)
	}
}

func TestHistory(t *testing.T) {
	f := newFixture(t, nil, nil)
	conv, msgs, err := f.engine.History(context.Background(), journeystate.ChannelWeb, "v_nobody", "v_nobody", 0, 50)
	if err != nil || conv.ID != "" || len(msgs) != 0 {
		t.Fatalf("unknown visitor: got %+v %d messages %v, want nothing", conv, len(msgs), err)
	}
	for i := range 3 {
		f.say(t, inbound("v_visitor11", fmt.Sprintf("m%d", i), "How long does shipping take?"))
		f.ch.next(t)
	}
	for _, tc := range []struct {
		name         string
		after        int64
		limit, wantN int
		wantFirstSeq int64
	}{
		{"all", 0, 50, 6, 1},
		{"after 4", 4, 50, 2, 5},
		{"newest 3", 0, 3, 3, 4},
		{"seq of another conversation", 99, 50, 6, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, msgs, err := f.engine.History(context.Background(), journeystate.ChannelWeb, "v_visitor11", "v_visitor11", tc.after, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != tc.wantN || msgs[0].Seq != tc.wantFirstSeq {
				t.Errorf("got %d messages from seq %d, want %d from %d", len(msgs), msgs[0].Seq, tc.wantN, tc.wantFirstSeq)
			}
		})
	}
}

// deadlineSlack is what a test allows past a turn deadline for scheduling on a loaded machine.
const deadlineSlack = 1500 * time.Millisecond

func TestDeadlineRunsFromArrival(t *testing.T) {
	// A message that arrives while an earlier turn waits on a hung model does not wait a second deadline.
	hang := func(openaiRequest) llmtest.Reply { return llmtest.Reply{Hang: true} }
	// Without the rule the second message would wait for the first turn (3.2 s) and then for its own (3.2 s).
	f := newFixture(t, &llmtest.Options{Respond: hang}, func(c *bot.Config) { c.TurnDeadline = 4 * time.Second })
	f.say(t, inbound("v_visitor12", "m1", "How long does shipping take?"))
	time.Sleep(100 * time.Millisecond) // the first turn is now waiting on the model
	sent := time.Now()
	second := f.say(t, inbound("v_visitor12", "m2", "And what about returns?"))
	for {
		reply := f.ch.next(t)
		if reply.Meta.ReplyTo == second.Message.ID {
			break
		}
	}
	if waited := time.Since(sent); waited > 4*time.Second+deadlineSlack {
		t.Errorf("the second message waited %v for its answer, past the 4 s deadline", waited)
	}
}

func TestSmallHistoryStillAnswersEveryMessage(t *testing.T) {
	f := newFixture(t, &llmtest.Options{Latency: 300 * time.Millisecond}, func(c *bot.Config) { c.HistoryMessages = 1 })
	f.say(t, inbound("v_visitor13", "m1", "Hi"))
	time.Sleep(100 * time.Millisecond) // the first turn is running
	last := f.say(t, inbound("v_visitor13", "m2", "Do you ship to Canada?"))
	for {
		if reply := f.ch.next(t); reply.Meta.ReplyTo == last.Message.ID {
			return
		}
	}
}

func TestZeroToolStepsGivesNoTools(t *testing.T) {
	f := newFixture(t, &llmtest.Options{}, func(c *bot.Config) { c.MaxToolSteps = 0; c.KnowledgePassages = 0 })
	f.say(t, inbound("v_visitor14", "m1", "How long does shipping take?"))
	f.ch.next(t)
	req := f.model.Handler.Requests()[0]
	if len(req.Tools) != 0 {
		t.Errorf("got %d tools, want none", len(req.Tools))
	}
	if strings.Contains(req.Messages[0].Content, "shipping.md") {
		t.Error("the system prompt has knowledge passages with knowledge_passages 0")
	}
}

func TestModelCallsAreBounded(t *testing.T) {
	hang := func(openaiRequest) llmtest.Reply { return llmtest.Reply{Hang: true} }
	f := newFixture(t, &llmtest.Options{Respond: hang}, func(c *bot.Config) {
		c.MaxConcurrentModelCalls = 1
		c.TurnDeadline = 3 * time.Second
	})
	f.say(t, inbound("v_visitor15", "m1", "Hello"))
	time.Sleep(300 * time.Millisecond) // the first turn holds the only slot
	r := f.say(t, inbound("v_visitor16", "m1", "How long does shipping take?"))
	reply := f.ch.next(t)
	if reply.Meta.ReplyTo != r.Message.ID || reply.Meta.Source != bot.SourceFallback {
		t.Fatalf("first reply answers %s from %q, want the second customer's, from the fallback", reply.Meta.ReplyTo, reply.Meta.Source)
	}
	turns := f.events(t, r.Conversation.ID, "bot_turn")
	if len(turns) != 1 || !strings.Contains(string(turns[0].Payload), "busy") {
		t.Errorf("the turn does not record that the model was busy: %+v", turns)
	}
	if n := f.model.Handler.Count(); n != 1 {
		t.Errorf("the model got %d calls, want 1", n)
	}
	f.ch.next(t) // the first customer's fallback
}

func TestToolCallsPerStepAreBounded(t *testing.T) {
	var calls []llm.ToolCall
	for i := range 10 {
		calls = append(calls, llm.ToolCall{Name: "search_knowledge", Arguments: fmt.Sprintf(`{"query":"q%d"}`, i)})
	}
	f := newFixture(t, &llmtest.Options{Replies: []llmtest.Reply{{ToolCalls: calls}, {Text: "Done."}}}, nil)
	r := f.say(t, inbound("v_visitor17", "m1", "Search a lot"))
	f.ch.next(t)
	if got := f.events(t, r.Conversation.ID, "tool_call"); len(got) != 10 {
		t.Fatalf("got %d tool_call events, want 10 (8 run, 2 refused)", len(got))
	}
	msgs := f.model.Handler.Requests()[1].Messages
	refused := 0
	for _, m := range msgs {
		if m.Role == "tool" && strings.Contains(m.Content, "not run") {
			refused++
		}
	}
	if refused != 2 {
		t.Errorf("got %d refused tool results, want 2", refused)
	}
}

func TestManyMessagesDuringATurnAreAllAnswered(t *testing.T) {
	// More messages arrive during one turn than the first read of the conversation holds.
	f := newFixture(t, &llmtest.Options{Latency: 500 * time.Millisecond}, nil)
	f.say(t, inbound("v_visitor21", "m0", "Hi"))
	time.Sleep(100 * time.Millisecond) // the first turn is running
	var last bot.Receipt
	for i := 1; i <= 25; i++ {
		last = f.say(t, inbound("v_visitor21", fmt.Sprintf("m%d", i), fmt.Sprintf("Question %d", i)))
	}
	for {
		if reply := f.ch.next(t); reply.Meta.ReplyTo == last.Message.ID {
			break
		}
	}
	reqs := f.model.Handler.Requests()
	users := 0
	for _, m := range reqs[len(reqs)-1].Messages {
		if m.Role == "user" {
			users++
		}
	}
	if users < 25 {
		t.Errorf("the last turn showed the model %d customer messages, want all 25 it answers", users)
	}
}

func TestShutdownAnswersMessagesThatWaitedForATurn(t *testing.T) {
	// m2 arrives while m1's turn runs; Shutdown comes before that turn ends: both are answered before it returns.
	f := newFixture(t, &llmtest.Options{Latency: 500 * time.Millisecond}, nil)
	f.say(t, inbound("v_visitor22", "m1", "Hello"))
	time.Sleep(100 * time.Millisecond)
	second := f.say(t, inbound("v_visitor22", "m2", "How long does shipping take?"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.engine.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.MessageByClientID(ctx, second.Customer.ID, "reply:"+second.Message.ID); err != nil {
		t.Fatalf("the message that waited for the running turn was not answered before shutdown: %v", err)
	}
}

func TestStaleUnansweredMessageDoesNotSilenceTheConversation(t *testing.T) {
	// A message older than the deadline was never answered (a failed turn, a crash long ago): the next message is
	// still answered, together with it, by the offline responder at once.
	f := newFixture(t, &llmtest.Options{}, nil)
	f.strand(t, "v_visitor23", "m1", "Hello?", time.Now().Add(-time.Minute))
	last := f.say(t, inbound("v_visitor23", "m2", "How long does shipping take?"))
	reply := f.ch.next(t)
	if reply.Meta.ReplyTo != last.Message.ID {
		t.Fatalf("reply answers %s, want %s", reply.Meta.ReplyTo, last.Message.ID)
	}
}

func TestUnansweredBeforeTheLastReplyIsResumed(t *testing.T) {
	// m2 was stored while m1's reply was being written, so the reply comes after it; then the server died.
	f := newFixture(t, nil, nil)
	ctx := context.Background()
	m1 := f.strand(t, "v_visitor24", "m1", "Hello", time.Now())
	m2 := f.strand(t, "v_visitor24", "m2", "How long does shipping take?", time.Now())
	if _, _, err := f.store.AppendMessage(ctx, journeystate.Message{ConversationID: m1.ConversationID,
		Author: journeystate.ActorBot, ClientID: "reply:" + m1.ID, Text: "Hi!",
		Meta: journeystate.MessageMeta{ReplyTo: m1.ID}}); err != nil {
		t.Fatal(err)
	}
	if n, err := f.engine.Resume(ctx, time.Now().Add(-time.Hour)); err != nil || n != 1 {
		t.Fatalf("Resume() = %d, %v; want 1", n, err)
	}
	if reply := f.ch.next(t); reply.Meta.ReplyTo != m2.ID {
		t.Errorf("resumed reply answers %s, want %s", reply.Meta.ReplyTo, m2.ID)
	}
}
