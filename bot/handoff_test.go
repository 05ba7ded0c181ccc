package bot_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/bot/llm/llmtest"
	"github.com/journeybot/journeybot/bot/routing"
	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// agents is an AgentDirectory the tests change.
type agents struct {
	mu    sync.Mutex
	users []journeystate.User
}

func (a *agents) Users(context.Context) ([]journeystate.User, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]journeystate.User(nil), a.users...), nil
}

// clock is a settable clock for the engine.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }

var (
	sam = channels.Agent{ID: "u-sam", Name: "Sam"}
	kim = channels.Agent{ID: "u-kim", Name: "Kim"}
)

// withHandoff turns hand-offs on with the shipped journey map, request phrases, a negative lexicon and rules.
func withHandoff(t *testing.T, tweak func(*bot.HandoffConfig)) func(*bot.Config) {
	journey := withJourney(t)
	return func(c *bot.Config) {
		journey(c)
		c.Handoff = bot.HandoffConfig{
			Enabled:         true,
			RequestPhrases:  []string{"talk to a person", "real person"},
			NegativePhrases: []string{"useless", "ridiculous"},
			Rules: []bot.HandoffRule{
				{Name: "vip", Trait: "vip", Urgency: journeystate.UrgencyHigh},
				{Name: "frustrated", NegativeTurns: 2},
				{Name: "stuck", Unanswered: 2},
			},
		}
		if tweak != nil {
			tweak(&c.Handoff)
		}
	}
}

func (f *fixture) conversation(t *testing.T, id string) journeystate.Conversation {
	t.Helper()
	c, err := f.store.Conversation(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) packet(t *testing.T, convID string) journeystate.Handoff {
	t.Helper()
	p, err := f.store.LatestHandoff(context.Background(), convID)
	if err != nil {
		t.Fatalf("LatestHandoff: %v", err)
	}
	return p
}

// handedOff checks that the next delivery is the hand-off notice, and the conversation is queued with a packet of
// trigger.
func (f *fixture) handedOff(t *testing.T, convID, trigger string) journeystate.Handoff {
	t.Helper()
	notice := f.ch.next(t)
	if notice.Meta.Source != bot.SourceHandoff || !strings.Contains(notice.Text, "person on our team") {
		t.Fatalf("delivered %q (source %q), want the hand-off notice", notice.Text, notice.Meta.Source)
	}
	if c := f.conversation(t, convID); c.Owner != journeystate.OwnerQueue {
		t.Fatalf("owner %s, want queue", c.Owner)
	}
	p := f.packet(t, convID)
	if p.Trigger != trigger {
		t.Fatalf("packet trigger %q, want %q", p.Trigger, trigger)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("stored packet: %v", err)
	}
	return p
}

func TestCustomerAskingForAPersonIsHandedOffAndTheBotFallsSilent(t *testing.T) {
	f := newFixture(t, nil, withHandoff(t, nil))
	first := f.say(t, inbound("v1", "m1", "How do I install the thermostat?"))
	f.ch.next(t)
	f.say(t, inbound("v1", "m2", "This is hard, I want to talk to a person please"))
	p := f.handedOff(t, first.Conversation.ID, journeystate.TriggerCustomerRequest)
	if p.SummarySource != journeystate.SummaryExtractive || !strings.Contains(p.Summary, "install") {
		t.Errorf("summary %q (%s), want an extractive one with the customer's words", p.Summary, p.SummarySource)
	}
	if len(p.Tried) == 0 || p.Tried[0].Kind != journeystate.AttemptAnswer {
		t.Errorf("tried %+v, want the bot's first answer", p.Tried)
	}
	if p.Confidence != 1 || p.Channel != journeystate.ChannelWeb || p.WaitingSince.IsZero() {
		t.Errorf("packet %+v", p)
	}
	// While the queue owns it, the bot says nothing, and the message is reported to subscribers.
	updates, stop := f.engine.Subscribe(16)
	defer stop()
	f.say(t, inbound("v1", "m3", "Hello? Anyone?"))
	f.ch.none(t, 300*time.Millisecond)
	select {
	case up := <-updates:
		if up.Kind != channels.UpdateMessage || up.Message.Text != "Hello? Anyone?" {
			t.Errorf("update %+v, want the customer's message", up)
		}
	case <-time.After(time.Second):
		t.Error("no update for the customer's message")
	}
}

func TestModelHandsOffWithTheTool(t *testing.T) {
	f := newFixture(t, &llmtest.Options{Replies: []llmtest.Reply{
		{ToolCalls: []llm.ToolCall{{Name: "handoff_to_agent",
			Arguments: `{"reason":"Wants a refund of a renewal","urgency":"high","sentiment":"negative","language":"de"}`}}},
		{Text: "this answer must never be stored"},
	}}, withHandoff(t, nil))
	r := f.say(t, inbound("v1", "m1", "Ich will mein Geld zurück für die Verlängerung"))
	p := f.handedOff(t, r.Conversation.ID, journeystate.TriggerModel)
	if p.Reason != "Wants a refund of a renewal" || p.Urgency != journeystate.UrgencyHigh ||
		p.Sentiment != journeystate.SentimentNegative || p.Language != "de" {
		t.Errorf("packet %+v", p)
	}
	msgs, _ := f.store.RecentMessages(context.Background(), r.Conversation.ID, 10)
	for _, m := range msgs {
		if strings.Contains(m.Text, "never be stored") {
			t.Error("the model's answer after the hand-off was stored")
		}
	}
}

func TestModelSeesTheHandoffToolOnlyWhenHandoffsAreOn(t *testing.T) {
	for _, on := range []bool{false, true} {
		f := newFixture(t, &llmtest.Options{Replies: []llmtest.Reply{{Text: "Hi!"}}}, withHandoff(t, func(h *bot.HandoffConfig) {
			h.Enabled = on
		}))
		f.say(t, inbound("v1", "m1", "hello"))
		f.ch.next(t)
		has := false
		for _, tl := range f.model.Requests()[0].Tools {
			has = has || tl.Function.Name == "handoff_to_agent"
		}
		if has != on {
			t.Errorf("handoffs %v: tool offered %v", on, has)
		}
	}
}

func TestHandoffRules(t *testing.T) {
	t.Run("vip trait", func(t *testing.T) {
		f := newFixture(t, nil, withHandoff(t, nil))
		cust, err := f.store.ResolveIdentity(context.Background(), journeystate.IdentityClaim{Channel: journeystate.ChannelWeb, ExternalID: "v1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.UpdateCustomer(context.Background(), cust.ID, journeystate.CustomerUpdate{
			Traits: map[string]string{"vip": "true"}, Actor: journeystate.ActorSystem, Cause: "test"}); err != nil {
			t.Fatal(err)
		}
		r := f.say(t, inbound("v1", "m1", "hi there"))
		p := f.handedOff(t, r.Conversation.ID, "rule:vip")
		if p.Urgency != journeystate.UrgencyHigh {
			t.Errorf("urgency %s, want high", p.Urgency)
		}
	})
	t.Run("negative for two messages", func(t *testing.T) {
		f := newFixture(t, nil, withHandoff(t, nil))
		r := f.say(t, inbound("v1", "m1", "this thermostat is useless"))
		if m := f.ch.next(t); m.Meta.Source == bot.SourceHandoff {
			t.Fatal("handed off after one negative message")
		}
		f.say(t, inbound("v1", "m2", "ridiculous, it still does not heat"))
		p := f.handedOff(t, r.Conversation.ID, "rule:frustrated")
		if p.Sentiment != journeystate.SentimentNegative {
			t.Errorf("sentiment %q", p.Sentiment)
		}
	})
	t.Run("two answers the bot could not give", func(t *testing.T) {
		f := newFixture(t, nil, withHandoff(t, nil))
		r := f.say(t, inbound("v1", "m1", "zorblax quantum flux capacitor?"))
		if m := f.ch.next(t); !m.Meta.Unknown {
			t.Fatalf("first reply %q is not marked unknown", m.Text)
		}
		f.say(t, inbound("v1", "m2", "what about the frobnicator warp coil?"))
		f.handedOff(t, r.Conversation.ID, "rule:stuck")
	})
	t.Run("stage and intent", func(t *testing.T) {
		f := newFixture(t, nil, withHandoff(t, func(h *bot.HandoffConfig) {
			h.Rules = []bot.HandoffRule{{Name: "returns", Intent: "return_or_warranty", Team: "support"}}
			h.Teams = []routing.Team{{Name: "support", Default: true}, {Name: "sales", Skills: []string{"buying"}}}
		}))
		r := f.say(t, inbound("v1", "m1", "I want a refund for my thermostat"))
		p := f.handedOff(t, r.Conversation.ID, "rule:returns")
		if p.Intent != "return_or_warranty" || p.Team != "support" {
			t.Errorf("intent %q team %q", p.Intent, p.Team)
		}
		if c := f.conversation(t, r.Conversation.ID); c.Team != "support" {
			t.Errorf("conversation team %q", c.Team)
		}
	})
}

func TestAgentTakesAnswersAndHandsBack(t *testing.T) {
	f := newFixture(t, nil, withHandoff(t, nil))
	r := f.say(t, inbound("v1", "m1", "I need a real person"))
	convID := r.Conversation.ID
	f.handedOff(t, convID, journeystate.TriggerCustomerRequest)

	if _, err := f.engine.Reply(context.Background(), convID, sam, "r0", "too early"); !errors.Is(err, bot.ErrNotOwner) {
		t.Errorf("reply before taking: %v, want ErrNotOwner", err)
	}
	if _, err := f.engine.Take(context.Background(), convID, sam); err != nil {
		t.Fatal(err)
	}
	if m := f.ch.next(t); m.Author != journeystate.ActorSystem || m.Meta.Notice != journeystate.NoticeAgentJoined || m.Text != "Sam joined the conversation." {
		t.Errorf("delivered %+v, want Sam's joined notice", m)
	}
	if _, err := f.engine.Take(context.Background(), convID, kim); !errors.Is(err, journeystate.ErrConflict) {
		t.Errorf("Kim taking Sam's conversation: %v, want a conflict", err)
	}
	if _, err := f.engine.Reply(context.Background(), convID, kim, "k1", "hi"); !errors.Is(err, bot.ErrNotOwner) {
		t.Errorf("Kim replying: %v, want ErrNotOwner", err)
	}
	m, err := f.engine.Reply(context.Background(), convID, sam, "r1", "Hi, I'm Sam. How can I help?")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.engine.Reply(context.Background(), convID, sam, "r1", "Hi, I'm Sam. How can I help?"); err != nil {
		t.Fatal(err)
	}
	got := f.ch.next(t)
	if got.ID != m.ID || got.Author != journeystate.ActorAgent || got.Meta.AgentName != "Sam" {
		t.Errorf("delivered %+v, want Sam's reply", got)
	}
	f.ch.none(t, 200*time.Millisecond) // the resent reply is stored and delivered once
	if _, err := f.engine.Note(context.Background(), convID, sam, "Customer sounds in a hurry"); err != nil {
		t.Fatal(err)
	}
	if n := f.events(t, convID, bot.EventAgentNote); len(n) != 1 {
		t.Errorf("%d notes stored", len(n))
	}
	f.say(t, inbound("v1", "m2", "My thermostat shows E4"))
	f.ch.none(t, 300*time.Millisecond) // the agent owns it: no bot reply, and the note never reaches the customer

	if _, err := f.engine.HandBack(context.Background(), convID, sam); err != nil {
		t.Fatal(err)
	}
	if m := f.ch.next(t); m.Meta.Notice != journeystate.NoticeBotBack {
		t.Errorf("delivered %+v, want the bot-back notice", m)
	}
	f.say(t, inbound("v1", "m3", "How long does shipping take?"))
	if m := f.ch.next(t); m.Author != journeystate.ActorBot || m.Meta.Source != bot.SourceOffline {
		t.Errorf("after the hand-back the bot answered %+v", m)
	}
}

func TestTwoAgentsTakingAtOnceOneWins(t *testing.T) {
	f := newFixture(t, nil, withHandoff(t, nil))
	r := f.say(t, inbound("v1", "m1", "real person please"))
	f.handedOff(t, r.Conversation.ID, journeystate.TriggerCustomerRequest)
	var wins, conflicts atomic.Int32
	var wg sync.WaitGroup
	for _, a := range []channels.Agent{sam, kim, {ID: "u-3", Name: "Lee"}, {ID: "u-4", Name: "Ana"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.engine.Take(context.Background(), r.Conversation.ID, a)
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, journeystate.ErrConflict):
				conflicts.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != 3 {
		t.Errorf("%d won, %d refused; want 1 and 3", wins.Load(), conflicts.Load())
	}
}

func TestClosedConversationReopensToTheBotWithoutALoop(t *testing.T) {
	f := newFixture(t, nil, withHandoff(t, nil))
	cust, _ := f.store.ResolveIdentity(context.Background(), journeystate.IdentityClaim{Channel: journeystate.ChannelWeb, ExternalID: "v1"})
	f.store.UpdateCustomer(context.Background(), cust.ID, journeystate.CustomerUpdate{
		Traits: map[string]string{"vip": "yes"}, Actor: journeystate.ActorSystem, Cause: "test"})
	r := f.say(t, inbound("v1", "m1", "hello"))
	f.handedOff(t, r.Conversation.ID, "rule:vip")
	if _, err := f.engine.Take(context.Background(), r.Conversation.ID, sam); err != nil {
		t.Fatal(err)
	}
	f.ch.next(t)
	if _, err := f.engine.Close(context.Background(), r.Conversation.ID, sam, "bogus"); err == nil {
		t.Error("closed with an unknown outcome")
	}
	if _, err := f.engine.Close(context.Background(), r.Conversation.ID, kim, journeystate.OutcomeResolved); !errors.Is(err, bot.ErrNotOwner) {
		t.Errorf("Kim closing Sam's conversation: %v", err)
	}
	if _, err := f.engine.Close(context.Background(), r.Conversation.ID, sam, journeystate.OutcomeResolved); err != nil {
		t.Fatal(err)
	}
	if m := f.ch.next(t); m.Meta.Notice != journeystate.NoticeClosed {
		t.Errorf("delivered %+v, want the closed notice", m)
	}
	// "thanks!" after the close: the bot answers; the VIP rule that fired an hour ago does not queue it again.
	again := f.say(t, inbound("v1", "m2", "thanks!"))
	if m := f.ch.next(t); m.Author != journeystate.ActorBot || m.Meta.Source == bot.SourceHandoff {
		t.Errorf("after the close the customer got %+v", m)
	}
	if c := f.conversation(t, again.Conversation.ID); c.Owner != journeystate.OwnerBot {
		t.Errorf("reopened conversation is owned by %s, want the bot", c.Owner)
	}
}

func TestAgentTakesOverFromTheBot(t *testing.T) {
	f := newFixture(t, nil, withHandoff(t, nil))
	r := f.say(t, inbound("v1", "m1", "How much is shipping?"))
	f.ch.next(t)
	conv, err := f.engine.Take(context.Background(), r.Conversation.ID, sam)
	if err != nil {
		t.Fatal(err)
	}
	if conv.Owner != journeystate.OwnerAgent || conv.AgentID != sam.ID {
		t.Errorf("conversation %+v", conv)
	}
	if p := f.packet(t, conv.ID); p.Trigger != journeystate.TriggerAgent {
		t.Errorf("packet trigger %q, want agent", p.Trigger)
	}
	if m := f.ch.next(t); m.Meta.Notice != journeystate.NoticeAgentJoined {
		t.Errorf("delivered %+v", m)
	}
}

func TestDispatchRoutesBySkillAndCapacityAndFallsBackAfterTheSLA(t *testing.T) {
	dir := &agents{users: []journeystate.User{
		{ID: "u-sam", Name: "Sam", Teams: []string{"support"}, Status: journeystate.StatusOnline, Capacity: 1},
		{ID: "u-kim", Name: "Kim", Teams: []string{"sales"}, Status: journeystate.StatusAway, Capacity: 5},
	}}
	var clk clock
	f2 := newFixture(t, nil, func(c *bot.Config) {
		withHandoff(t, func(h *bot.HandoffConfig) {
			h.Agents, h.AutoAssign = dir, true
			h.Teams = []routing.Team{
				{Name: "support", Default: true, SLA: 10 * time.Minute, Fallback: routing.FallbackFollowUp},
				{Name: "sales", Skills: []string{"buying"}, SLA: 5 * time.Minute, Fallback: routing.FallbackBot},
			}
		})(c)
		c.Now = clk.now
	})
	ctx := context.Background()
	a := f2.say(t, inbound("v1", "a1", "talk to a person about my install"))
	f2.handedOff(t, a.Conversation.ID, journeystate.TriggerCustomerRequest)
	b := f2.say(t, inbound("v2", "b1", "how much is the bundle? real person please"))
	f2.handedOff(t, b.Conversation.ID, journeystate.TriggerCustomerRequest)
	c := f2.say(t, inbound("v3", "c1", "I want to talk to a person"))
	f2.handedOff(t, c.Conversation.ID, journeystate.TriggerCustomerRequest)
	if got := f2.conversation(t, b.Conversation.ID).Team; got != "sales" {
		t.Errorf("a buying question went to %q, want sales", got)
	}

	res, err := f2.engine.Dispatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Sam (support, capacity 1) gets the oldest support conversation; Kim is away; the rest wait.
	if res.Assigned != 1 || res.Queued != 3 {
		t.Errorf("dispatch %+v, want 1 of 3 assigned", res)
	}
	if got := f2.conversation(t, a.Conversation.ID); got.Owner != journeystate.OwnerAgent || got.AgentID != "u-sam" {
		t.Errorf("oldest support conversation: %+v", got)
	}
	if m := f2.ch.next(t); m.Meta.Notice != journeystate.NoticeAgentJoined || m.Meta.AgentName != "Sam" {
		t.Errorf("delivered %+v", m)
	}

	// After six minutes the sales conversation is past its SLA and goes back to the bot with an apology.
	clk.advance(6 * time.Minute)
	if res, err = f2.engine.Dispatch(ctx); err != nil {
		t.Fatal(err)
	}
	if res.FellBack != 1 {
		t.Errorf("dispatch %+v, want one fallback", res)
	}
	if got := f2.conversation(t, b.Conversation.ID); got.Owner != journeystate.OwnerBot {
		t.Errorf("sales conversation after its SLA: owner %s", got.Owner)
	}
	if m := f2.ch.next(t); m.Meta.Notice != journeystate.NoticeBotBack || !strings.Contains(m.Text, "sorry") {
		t.Errorf("delivered %+v, want the apology", m)
	}
	// After eleven minutes the support one is promised a follow-up, once, and stays queued.
	clk.advance(5 * time.Minute)
	for range 2 {
		if res, err = f2.engine.Dispatch(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := f2.conversation(t, c.Conversation.ID); got.Owner != journeystate.OwnerQueue {
		t.Errorf("support conversation after its SLA: owner %s", got.Owner)
	}
	if m := f2.ch.next(t); !strings.Contains(m.Text, "stays in line") {
		t.Errorf("delivered %+v, want the follow-up promise", m)
	}
	f2.ch.none(t, 200*time.Millisecond)
}

func TestPromiseOutsideBusinessHoursAsksForContact(t *testing.T) {
	f := newFixture(t, nil, withHandoff(t, func(h *bot.HandoffConfig) {
		// A team that never works: every hand-off happens outside its hours.
		h.Teams = []routing.Team{{Name: "support", Default: true, TimeZone: "UTC", Hours: []string{"Mon 00:00-00:01"},
			Holidays: nil}}
	}))
	r := f.say(t, inbound("v1", "m1", "talk to a person"))
	notice := f.ch.next(t)
	if !strings.Contains(notice.Text, "is back on Monday") || !strings.Contains(notice.Text, "email or phone") {
		t.Errorf("notice %q, want when the team is back and a request for contact", notice.Text)
	}
	f.say(t, inbound("v1", "m2", "sure, it's ada@example.com"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		cust, err := f.store.Customer(context.Background(), r.Customer.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cust.Profile.Email == "ada@example.com" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the email left while waiting was not kept: profile %+v", cust.Profile)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestHandoffConfigValidate(t *testing.T) {
	j := demoJourney(t)
	good := bot.HandoffConfig{Enabled: true, NegativePhrases: []string{"bad"},
		Teams: []routing.Team{{Name: "support", Default: true, Fallback: routing.FallbackBot}},
		Rules: []bot.HandoffRule{{Name: "vip", Trait: "vip"}, {Name: "angry", NegativeTurns: 2, Team: "support"}}}
	if err := good.Validate(j); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]bot.HandoffConfig{
		"no name":        {Rules: []bot.HandoffRule{{Trait: "vip"}}},
		"no condition":   {Rules: []bot.HandoffRule{{Name: "x"}}},
		"twice":          {Rules: []bot.HandoffRule{{Name: "x", Trait: "a"}, {Name: "x", Trait: "b"}}},
		"unknown stage":  {Rules: []bot.HandoffRule{{Name: "x", Stage: "nirvana"}}},
		"unknown intent": {Rules: []bot.HandoffRule{{Name: "x", Intent: "world_domination"}}},
		"unknown team":   {Rules: []bot.HandoffRule{{Name: "x", Trait: "vip", Team: "nobody"}}},
		"bad urgency":    {Rules: []bot.HandoffRule{{Name: "x", Trait: "vip", Urgency: "yesterday"}}},
		"no lexicon":     {Rules: []bot.HandoffRule{{Name: "x", NegativeTurns: 1}}},
		"request intent": {RequestIntent: "nope"},
		"bad team hours": {Teams: []routing.Team{{Name: "t", Hours: []string{"Someday 9-5"}}}},
	} {
		if err := bad.Validate(j); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRequestIntentHandsOffAndAHandBackDoesNotLoop(t *testing.T) {
	f := newFixture(t, nil, withHandoff(t, func(h *bot.HandoffConfig) {
		h.RequestPhrases, h.RequestIntent = nil, "talk_to_human" // the shipped map's phrases: "call me", "human", ...
	}))
	r := f.say(t, inbound("v1", "m1", "Can someone call me about my order?"))
	p := f.handedOff(t, r.Conversation.ID, journeystate.TriggerCustomerRequest)
	if p.Intent != "talk_to_human" {
		t.Errorf("packet intent %q", p.Intent)
	}
	if _, err := f.engine.Take(context.Background(), r.Conversation.ID, sam); err != nil {
		t.Fatal(err)
	}
	f.ch.next(t)
	if _, err := f.engine.HandBack(context.Background(), r.Conversation.ID, sam); err != nil {
		t.Fatal(err)
	}
	f.ch.next(t)
	f.say(t, inbound("v1", "m2", "What is the return window?"))
	if m := f.ch.next(t); m.Meta.Source == bot.SourceHandoff {
		t.Fatalf("handed off again after the hand-back: %q", m.Text)
	}
	if c := f.conversation(t, r.Conversation.ID); c.Owner != journeystate.OwnerBot {
		t.Errorf("owner %s, want the bot", c.Owner)
	}
}

func TestClosingAsksForARatingAndALoneNumberRatesIt(t *testing.T) {
	f := newFixture(t, nil, withHandoff(t, nil))
	r := f.say(t, inbound("v1", "m1", "I need a real person"))
	f.handedOff(t, r.Conversation.ID, journeystate.TriggerCustomerRequest)
	if _, err := f.engine.Take(context.Background(), r.Conversation.ID, sam); err != nil {
		t.Fatal(err)
	}
	f.ch.next(t)
	if _, err := f.engine.Close(context.Background(), r.Conversation.ID, sam, journeystate.OutcomeResolved); err != nil {
		t.Fatal(err)
	}
	if m := f.ch.next(t); !strings.Contains(m.Text, "1 (poor) to 5 (great)") {
		t.Fatalf("the closing notice %q does not ask for a rating", m.Text)
	}
	rated := f.say(t, inbound("v1", "m2", " 4/5 "))
	if rated.Conversation.ID != r.Conversation.ID {
		t.Errorf("the rating went to conversation %s, want the closed %s", rated.Conversation.ID, r.Conversation.ID)
	}
	if m := f.ch.next(t); m.Meta.Notice != bot.NoticeRated {
		t.Errorf("delivered %+v, want thanks for the rating", m)
	}
	if ev := f.events(t, r.Conversation.ID, "rating"); len(ev) != 1 || !strings.Contains(string(ev[0].Payload), "4") {
		t.Errorf("rating events %+v", ev)
	}
	// Anything but a lone number is a new message to the bot, in a new conversation.
	next := f.say(t, inbound("v1", "m3", "5 more questions: how long is shipping?"))
	if next.Conversation.ID == r.Conversation.ID {
		t.Error("a question after the close went to the closed conversation")
	}
	if m := f.ch.next(t); m.Author != journeystate.ActorBot {
		t.Errorf("delivered %+v, want the bot's answer", m)
	}
}

func TestDispatchClosesTheBotsIdleConversations(t *testing.T) {
	var clk clock
	f := newFixture(t, nil, func(c *bot.Config) {
		withHandoff(t, func(h *bot.HandoffConfig) { h.CloseIdleAfter = 24 * time.Hour })(c)
		c.Now = clk.now
	})
	quiet := f.say(t, inbound("v1", "m1", "How long does shipping take?"))
	f.ch.next(t)
	if res, err := f.engine.Dispatch(context.Background()); err != nil || res.Closed != 0 {
		t.Fatalf("dispatch right away: %+v, %v; want nothing closed", res, err)
	}
	clk.advance(25 * time.Hour)
	res, err := f.engine.Dispatch(context.Background())
	if err != nil || res.Closed != 1 {
		t.Fatalf("dispatch a day later: %+v, %v; want the quiet conversation closed", res, err)
	}
	if c := f.conversation(t, quiet.Conversation.ID); c.Owner != journeystate.OwnerClosed {
		t.Errorf("owner %s, want closed", c.Owner)
	}
	ev := f.events(t, quiet.Conversation.ID, "owner_changed")
	if last := ev[len(ev)-1]; last.Cause != journeystate.OutcomeResolved || last.Actor != journeystate.ActorRule {
		t.Errorf("close event %+v, want outcome resolved by rule", last)
	}
	f.ch.none(t, 100*time.Millisecond) // the customer left: nothing is sent
}

// slowFirst is a web channel whose first delivery takes a while: later messages must still arrive after it.
type slowFirst struct {
	mu   sync.Mutex
	n    int
	got  []string
	done chan struct{}
	want int
}

func (s *slowFirst) Name() string { return journeystate.ChannelWeb }

func (s *slowFirst) Deliver(_ context.Context, _ journeystate.Conversation, m journeystate.Message) error {
	s.mu.Lock()
	s.n++
	first := s.n == 1
	s.mu.Unlock()
	if first {
		time.Sleep(200 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, m.Text)
	if len(s.got) == s.want {
		close(s.done)
	}
	return nil
}

func TestAgentMessagesAreDeliveredInOrder(t *testing.T) {
	f := newFixture(t, nil, withHandoff(t, nil))
	r := f.say(t, inbound("v1", "m1", "real person please"))
	f.handedOff(t, r.Conversation.ID, journeystate.TriggerCustomerRequest)
	slow := &slowFirst{done: make(chan struct{}), want: 4}
	f.engine.Register(slow)
	ctx := context.Background()
	if _, err := f.engine.Take(ctx, r.Conversation.ID, sam); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"one", "two", "three"} {
		if _, err := f.engine.Reply(ctx, r.Conversation.ID, sam, text, text); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-slow.done:
	case <-time.After(5 * time.Second):
		t.Fatal("not everything was delivered")
	}
	want := []string{"Sam joined the conversation.", "one", "two", "three"}
	slow.mu.Lock()
	defer slow.mu.Unlock()
	if strings.Join(slow.got, "|") != strings.Join(want, "|") {
		t.Errorf("delivered %q, want %q", slow.got, want)
	}
}
