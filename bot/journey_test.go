package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/bot/llm/llmtest"
	"github.com/journeybot/journeybot/bot/llm/offline"
	"github.com/journeybot/journeybot/bot/redact"
	"github.com/journeybot/journeybot/journeystate"
	"github.com/journeybot/journeybot/journeystate/journeytest"
)

// demoJourney returns the journey map config.yaml ships (Hearthly's), checked.
func demoJourney(t *testing.T) journeystate.JourneyMap {
	t.Helper()
	m := journeytest.ShippedMap(t, "../config.yaml")
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	return m
}

func withJourney(t *testing.T) func(*bot.Config) {
	m := demoJourney(t)
	return func(c *bot.Config) {
		c.Journey = m
		c.TimelineTokens = 1200
		c.FactKeys = []string{"thermostat_model"}
		c.PhoneRegion = "US"
	}
}

// seedSMSCustomer stores, as the SMS channel will, a customer known by a verified phone number who asked about an
// order, and the company's order event for them through the engine; it returns the customer.
func seedSMSCustomer(t *testing.T, f *fixture, phone string) journeystate.Customer {
	t.Helper()
	ctx := context.Background()
	cust, err := f.store.ResolveIdentity(ctx, journeystate.IdentityClaim{Channel: journeystate.ChannelSMS,
		ExternalID: phone, Level: journeystate.LevelVerified, Profile: journeystate.Profile{Phone: phone}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Identify(ctx, cust.ID, []journeystate.IdentityClaim{{Channel: journeystate.IdentityPhone,
		ExternalID: phone, Level: journeystate.LevelVerified}}, "sms sender"); err != nil {
		t.Fatal(err)
	}
	conv, _, err := f.store.OpenConversation(ctx, cust.ID, journeystate.ChannelSMS, phone)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.store.AppendMessage(ctx, journeystate.Message{ConversationID: conv.ID, CustomerID: cust.ID,
		Author: journeystate.ActorCustomer, ClientID: "SM1", Text: "Where is my order A-1042? It was due Friday."}); err != nil {
		t.Fatal(err)
	}
	// The company's CRM knows the number as its user's: a verified identity, as the events API's identify makes.
	if _, err := f.engine.Identify(ctx, bot.Traits{Customer: bot.CustomerRef{UserID: "u" + phone}, Phone: phone}); err != nil {
		t.Fatal(err)
	}
	res, err := f.engine.Track(ctx, bot.BusinessEvent{Name: "order_placed", Customer: bot.CustomerRef{Phone: phone},
		Properties: map[string]any{"order_id": "A-1042", "total": 249}, Key: "shop:A-1042", Source: "api:shop"})
	if err != nil {
		t.Fatal(err)
	}
	if res.CustomerID != cust.ID || res.Stage != "purchase" || !res.StageChanged {
		t.Fatalf("Track(order_placed) = %+v, want customer %s moved to purchase", res, cust.ID)
	}
	return cust
}

func TestWebTurnPromptCarriesTheJourneyFromSMS(t *testing.T) {
	f := newFixture(t, &llmtest.Options{}, withJourney(t))
	ctx := context.Background()
	smsCustomer := seedSMSCustomer(t, f, "+14155550100")

	// The same person opens the web chat, signed in on the company's site (a verified identify).
	res, err := f.engine.IdentifyUser(ctx, journeystate.ChannelWeb, "v_ada", bot.Identification{
		UserID: "u+14155550100", Verified: true, Evidence: "test: widget identify with a valid HMAC",
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Customer.ID != smsCustomer.ID || len(res.Merges) != 1 {
		t.Fatalf("identify = customer %s with %d merges, want the SMS customer %s after one merge",
			res.Customer.ID, len(res.Merges), smsCustomer.ID)
	}
	f.say(t, inbound("v_ada", "m1", "Any news on my order?"))
	f.ch.next(t)

	reqs := f.model.Handler.Requests()
	if len(reqs) == 0 {
		t.Fatal("the model was not asked")
	}
	sys := reqs[0].Messages[0].Content
	for _, want := range []string{
		`"purchase" stage`, // the stage, moved by the order event
		"order_placed (order_id: A-1042, total: 249)",  // the business event
		"Where is my order A-1042? It was due Friday.", // the question asked by SMS
		"[sms] customer wrote:",
	} {
		if !strings.Contains(sys, want) {
			t.Errorf("the web turn's system prompt lacks %q:\n%s", want, sys)
		}
	}
	// The current conversation is shown as chat turns, not repeated in the timeline.
	if strings.Contains(sys, "Any news on my order?") {
		t.Errorf("the current question is repeated in the timeline:\n%s", sys)
	}
}

func TestAnotherCustomersJourneyNeverReachesThePrompt(t *testing.T) {
	f := newFixture(t, &llmtest.Options{}, withJourney(t))
	seedSMSCustomer(t, f, "+14155550100")
	// A visitor who only claims the SMS customer's phone is not that customer.
	if _, err := f.engine.IdentifyUser(context.Background(), journeystate.ChannelWeb, "v_mallory", bot.Identification{
		Phone: "+1 415 555 0100", Verified: false,
	}); err != nil {
		t.Fatal(err)
	}
	f.say(t, inbound("v_mallory", "m1", "Where is my order?"))
	f.ch.next(t)
	sys := f.model.Handler.Requests()[0].Messages[0].Content
	if strings.Contains(sys, "A-1042") || strings.Contains(sys, "due Friday") {
		t.Errorf("a claim gave access to another customer's journey:\n%s", sys)
	}
}

// TestOwnHashDoesNotVouchForAnotherContact is the take-over a signed-in visitor could try: a valid hash for their
// own user id, sent with somebody else's phone number. The hash proves the user id only: the phone stays a claim.
func TestOwnHashDoesNotVouchForAnotherContact(t *testing.T) {
	f := newFixture(t, &llmtest.Options{}, withJourney(t))
	ctx := context.Background()
	// The victim is known by SMS only: a verified number, no user id that the never-merge rule could weigh.
	victim, err := f.store.ResolveIdentity(ctx, journeystate.IdentityClaim{Channel: journeystate.ChannelSMS,
		ExternalID: "+14155550100", Level: journeystate.LevelVerified})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Identify(ctx, victim.ID, []journeystate.IdentityClaim{{Channel: journeystate.IdentityPhone,
		ExternalID: "+14155550100", Level: journeystate.LevelVerified}}, "sms sender"); err != nil {
		t.Fatal(err)
	}
	conv, _, err := f.store.OpenConversation(ctx, victim.ID, journeystate.ChannelSMS, "+14155550100")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.store.AppendMessage(ctx, journeystate.Message{ConversationID: conv.ID, Author: journeystate.ActorCustomer,
		ClientID: "SM1", Text: "Where is my order A-1042?"}); err != nil {
		t.Fatal(err)
	}
	res, err := f.engine.IdentifyUser(ctx, journeystate.ChannelWeb, "v_mallory", bot.Identification{
		UserID: "u-mallory", Phone: "+14155550100", Verified: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Customer.ID == victim.ID || len(res.Merges) != 0 {
		t.Fatalf("a valid hash of one's own id with another's phone merged into customer %s (%d merges)", res.Customer.ID, len(res.Merges))
	}
	f.say(t, inbound("v_mallory", "m1", "Where is my order?"))
	f.ch.next(t)
	if sys := f.model.Handler.Requests()[0].Messages[0].Content; strings.Contains(sys, "A-1042") {
		t.Errorf("the visitor's prompt holds the other customer's order:\n%s", sys)
	}
}

func TestCardNumberNeverReachesTheModel(t *testing.T) {
	r, err := redact.New(redact.Options{Cards: true, NationalIDs: []string{"us_ssn"}})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, &llmtest.Options{Replies: []llmtest.Reply{
		{ToolCalls: []llm.ToolCall{{Name: "search_knowledge", Arguments: `{"query":"card 4111 1111 1111 1111"}`}}},
		{Text: "I can't take card numbers here."},
	}}, func(c *bot.Config) { c.Redactor = r })
	const card = "4111 1111 1111 1111"
	rc := f.say(t, inbound("v_payer", "m1", "Please charge my card "+card+", SSN 123-45-6789"))
	f.ch.next(t)
	reqs := f.model.Handler.Requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d model requests, want 2", len(reqs))
	}
	for i, req := range reqs {
		body, _ := json.Marshal(req)
		for _, secret := range []string{card, "4111111111111111", "123-45-6789"} {
			if bytes.Contains(body, []byte(secret)) {
				t.Errorf("model request %d holds %q:\n%s", i, secret, body)
			}
		}
		if i == 0 && !bytes.Contains(body, []byte("[card number removed]")) {
			t.Errorf("model request %d lacks the redaction marker:\n%s", i, body)
		}
	}
	// Not redacted before storing (redaction.before_storing is off): the transcript keeps what was said.
	if rc.Message.Text != "Please charge my card "+card+", SSN 123-45-6789" {
		t.Errorf("stored %q, want the message as written", rc.Message.Text)
	}
}

func TestRedactedBeforeStoring(t *testing.T) {
	r, err := redact.New(redact.Options{Cards: true})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, nil, func(c *bot.Config) { c.Redactor, c.RedactStored = r, true })
	rc := f.say(t, inbound("v_payer2", "m1", "my card is 5555-5555-5555-4444"))
	f.ch.next(t)
	if strings.Contains(rc.Message.Text, "5555") {
		t.Errorf("stored %q, want the card number removed", rc.Message.Text)
	}
}

func TestSetJourneyStageOnlyAlongTheMap(t *testing.T) {
	f := newFixture(t, &llmtest.Options{Replies: []llmtest.Reply{
		// From purchase the map leads to onboarding only: renewal is refused, onboarding taken.
		{ToolCalls: []llm.ToolCall{{Name: "set_journey_stage", Arguments: `{"stage":"renewal","reason":"asked about renewing"}`}}},
		{ToolCalls: []llm.ToolCall{{Name: "set_journey_stage", Arguments: `{"stage":"onboarding","reason":"installing it"}`}}},
		{Text: "Let's get it installed."},
	}}, withJourney(t))
	cust := seedSMSCustomer(t, f, "+14155550101")
	if _, err := f.engine.IdentifyUser(context.Background(), journeystate.ChannelWeb, "v_bo", bot.Identification{
		UserID: "u+14155550101", Verified: true}); err != nil {
		t.Fatal(err)
	}
	r := f.say(t, inbound("v_bo", "m1", "It arrived! How do I install it?"))
	f.ch.next(t)

	reqs := f.model.Handler.Requests()
	if len(reqs) != 3 {
		t.Fatalf("got %d model calls, want 3", len(reqs))
	}
	if sys := reqs[0].Messages[0].Content; !strings.Contains(sys, "move them to one of: onboarding") {
		t.Errorf("the prompt does not say where the customer may be moved:\n%s", sys)
	}
	refused := reqs[1].Messages[len(reqs[1].Messages)-1].Content
	if !strings.Contains(refused, `does not lead from \"purchase\" to \"renewal\"`) {
		t.Errorf("a move off the map got %s, want a refusal", refused)
	}
	got, err := f.store.Customer(context.Background(), cust.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Stage != "onboarding" {
		t.Fatalf("stage = %q, want onboarding", got.Stage)
	}
	changes := f.events(t, r.Conversation.ID, "stage_changed")
	if len(changes) != 1 || changes[0].Actor != journeystate.ActorBot || changes[0].Cause != "model: installing it" {
		t.Errorf("stage_changed events of the conversation = %+v, want one by the bot with the model's reason", changes)
	}
}

func TestRecordIntentMovesTheStage(t *testing.T) {
	f := newFixture(t, &llmtest.Options{Replies: []llmtest.Reply{
		{ToolCalls: []llm.ToolCall{{Name: "record_intent", Arguments: `{"intent":"launch_rockets"}`}}},
		{ToolCalls: []llm.ToolCall{{Name: "record_intent", Arguments: `{"intent":"buying"}`}}},
		{Text: "Here are the bundles."},
	}}, withJourney(t))
	r := f.say(t, inbound("v_buyer", "m1", "I want to buy two thermostats"))
	f.ch.next(t)
	if refused := f.model.Handler.Requests()[1].Messages; !strings.Contains(refused[len(refused)-1].Content, "unknown intent") {
		t.Errorf("an unknown intent got %s, want a refusal", refused[len(refused)-1].Content)
	}
	got, _ := f.store.Customer(context.Background(), r.Customer.ID)
	if got.Stage != "consideration" {
		t.Errorf("stage = %q, want consideration (the buying intent's stage)", got.Stage)
	}
}

func TestRememberFactOnlyWithConfiguredKeys(t *testing.T) {
	f := newFixture(t, &llmtest.Options{Replies: []llmtest.Reply{
		{ToolCalls: []llm.ToolCall{{Name: "remember_fact", Arguments: `{"key":"password","value":"hunter2"}`}}},
		{ToolCalls: []llm.ToolCall{{Name: "remember_fact", Arguments: `{"key":"thermostat_model","value":"Hearthly T2"}`}}},
		{Text: "Noted."},
		{Text: "Your T2 supports that."},
	}}, withJourney(t))
	r := f.say(t, inbound("v_fact", "m1", "I have the T2"))
	f.ch.next(t)
	got, _ := f.store.Customer(context.Background(), r.Customer.ID)
	if want := map[string]string{"thermostat_model": "Hearthly T2"}; len(got.Memory.Facts) != 1 || got.Memory.Facts["thermostat_model"] != want["thermostat_model"] {
		t.Fatalf("facts = %v, want %v", got.Memory.Facts, want)
	}
	f.say(t, inbound("v_fact", "m2", "Does it work with a heat pump?"))
	f.ch.next(t)
	reqs := f.model.Handler.Requests()
	if sys := reqs[len(reqs)-1].Messages[0].Content; !strings.Contains(sys, "- thermostat_model: Hearthly T2") {
		t.Errorf("the next turn's prompt lacks the remembered fact:\n%s", sys)
	}
}

func TestTrackIsIdempotentAndFollowsRules(t *testing.T) {
	f := newFixture(t, nil, withJourney(t))
	ctx := context.Background()
	ref := bot.CustomerRef{UserID: "u-rule"}
	base := time.Date(2026, time.November, 20, 10, 0, 0, 0, time.UTC)
	track := func(key string, at time.Time) bot.TrackResult {
		t.Helper()
		res, err := f.engine.Track(ctx, bot.BusinessEvent{Name: "viewed_pricing", Customer: ref, Key: key, Time: at})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := track("p1", base); res.Stage != "" {
		t.Fatalf("after one pricing view stage = %q, want none", res.Stage)
	}
	if res := track("p1", base); !res.Duplicate {
		t.Errorf("a resent event was stored again: %+v", res)
	}
	track("p2", base.Add(24*time.Hour))
	if res := track("p3", base.Add(48*time.Hour)); res.Stage != "consideration" || !res.StageChanged {
		t.Errorf("after three pricing views in 7 days: %+v, want consideration", res)
	}

	if _, err := f.engine.Track(ctx, bot.BusinessEvent{Name: "order_placed", Customer: bot.CustomerRef{Email: "not an email"}}); err == nil {
		t.Error("Track accepted a bad email reference")
	}
	if _, err := f.engine.Track(ctx, bot.BusinessEvent{Name: "stage_changed", Customer: ref}); err == nil {
		t.Error("Track accepted an event type journeybot records itself")
	}
}

func TestOfflineResponderGreetsPerStage(t *testing.T) {
	m := demoJourney(t)
	greetings := map[string]string{}
	for _, s := range m.Stages {
		greetings[s.Name] = s.Greeting
	}
	f := newFixture(t, nil, func(c *bot.Config) {
		c.Journey = m
		c.Offline = offline.New(c.Store, offline.Options{Company: "Hearthly", Assistant: "Ember", Greetings: greetings})
	})
	seedSMSCustomer(t, f, "+14155550102") // in purchase now
	if _, err := f.engine.IdentifyUser(context.Background(), journeystate.ChannelWeb, "v_greet", bot.Identification{
		UserID: "u+14155550102", Verified: true}); err != nil {
		t.Fatal(err)
	}
	f.say(t, inbound("v_greet", "m1", "Hi"))
	reply := f.ch.next(t)
	st, _ := m.Stage("purchase")
	if st.Greeting == "" || !strings.Contains(reply.Text, st.Greeting) {
		t.Errorf("greeting = %q, want the purchase stage's %q", reply.Text, st.Greeting)
	}
}

func TestSummarizeQuietConversationsExtractively(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	f := newFixture(t, nil, func(c *bot.Config) { c.QuietAfter = 30 * time.Minute; c.Now = clock })
	r := f.say(t, inbound("v_quiet", "m1", "How long does shipping take to Canada?"))
	f.ch.next(t)
	if n, err := f.engine.SummarizeQuiet(context.Background()); err != nil || n != 0 {
		t.Fatalf("SummarizeQuiet before the quiet time = %d, %v; want 0", n, err)
	}
	now = now.Add(31 * time.Minute)
	if n, err := f.engine.SummarizeQuiet(context.Background()); err != nil || n != 1 {
		t.Fatalf("SummarizeQuiet = %d, %v; want 1", n, err)
	}
	got, err := f.store.Customer(context.Background(), r.Customer.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.Memory.Summary, `"How long does shipping take to Canada?"`) ||
		!strings.Contains(got.Memory.Summary, "(web)") || !strings.Contains(got.Memory.Summary, "Shipping") {
		t.Errorf("summary = %q, want the date, channel, question and the page answered from", got.Memory.Summary)
	}
	if n, _ := f.engine.SummarizeQuiet(context.Background()); n != 0 {
		t.Errorf("a conversation already summarised was summarised again")
	}
}

func TestIdentifyJoinsAnAnonymousVisitorByEmail(t *testing.T) {
	f := newFixture(t, nil, withJourney(t))
	ctx := context.Background()
	known, err := f.engine.Identify(ctx, bot.Traits{Customer: bot.CustomerRef{UserID: "u-ada"}, Email: "Ada@Example.com"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.engine.Identify(ctx, bot.Traits{Customer: bot.CustomerRef{AnonymousID: "anon-7", Email: "ada@example.com"},
		Email: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Customer.ID != known.Customer.ID || len(res.Merges) != 1 {
		t.Fatalf("the anonymous visitor is customer %s after %d merges, want %s after one", res.Customer.ID,
			len(res.Merges), known.Customer.ID)
	}
	// Another user id with the same email is another person: refused once, not merged.
	other, err := f.engine.Identify(ctx, bot.Traits{Customer: bot.CustomerRef{UserID: "u-bob", Email: "ada@example.com"},
		Email: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if other.Customer.ID == known.Customer.ID || len(other.Refused) != 1 || len(other.Merges) != 0 {
		t.Errorf("u-bob: customer %s, %d refusals, %d merges; want a customer of its own and one refusal",
			other.Customer.ID, len(other.Refused), len(other.Merges))
	}
}

func TestOfflineIntentPhrasesMoveTheStage(t *testing.T) {
	f := newFixture(t, nil, withJourney(t))
	r := f.say(t, inbound("v_phrase", "m1", "Hello, does it work with Alexa?"))
	f.ch.next(t)
	got, err := f.store.Customer(context.Background(), r.Customer.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Stage != "awareness" {
		t.Errorf("stage = %q, want awareness (the product_question phrase)", got.Stage)
	}
	intents := f.events(t, r.Conversation.ID, "intent_detected")
	if len(intents) != 1 || intents[0].Actor != journeystate.ActorRule || !strings.Contains(intents[0].Cause, "alexa") {
		t.Errorf("intent events = %+v, want one by the rule naming the phrase", intents)
	}
}

func TestSummarizeQuietConversationsWithTheModel(t *testing.T) {
	now := time.Now()
	f := newFixture(t, &llmtest.Options{Replies: []llmtest.Reply{
		{Text: "We ship to Canada in 5–8 business days."},
		{Text: "2026-12-01: The customer asked how long shipping to Canada takes; told 5–8 business days."},
	}}, func(c *bot.Config) {
		c.QuietAfter = 30 * time.Minute
		c.Now = func() time.Time { return now }
		c.Redactor, _ = redact.New(redact.Options{Cards: true})
	})
	r := f.say(t, inbound("v_quiet_model", "m1", "How long does shipping take to Canada? My card is 4111 1111 1111 1111"))
	f.ch.next(t)
	now = now.Add(time.Hour)
	if n, err := f.engine.SummarizeQuiet(context.Background()); err != nil || n != 1 {
		t.Fatalf("SummarizeQuiet = %d, %v; want 1", n, err)
	}
	reqs := f.model.Handler.Requests()
	prompt := reqs[len(reqs)-1].Messages[0].Content
	if !strings.Contains(prompt, "<transcript>") || !strings.Contains(prompt, "customer: How long does shipping take to Canada?") {
		t.Errorf("the summary prompt lacks the transcript:\n%s", prompt)
	}
	if strings.Contains(prompt, "4111") {
		t.Errorf("the summary prompt holds the card number:\n%s", prompt)
	}
	got, _ := f.store.Customer(context.Background(), r.Customer.ID)
	if want := "2026-12-01: The customer asked how long shipping to Canada takes; told 5–8 business days."; got.Memory.Summary != want {
		t.Errorf("summary = %q, want the model's %q", got.Memory.Summary, want)
	}
}

func TestRecordChannelEvent(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := context.Background()
	r := f.say(t, inbound("v_status", "m1", "Hello"))
	f.ch.next(t)
	ev := bot.ChannelEvent{Channel: journeystate.ChannelWeb, UserID: "v_status", ThreadID: "v_status",
		Type: "delivery_status", Key: "status:1", Payload: map[string]any{"status": "delivered"}}
	if dup, err := f.engine.RecordChannelEvent(ctx, ev); err != nil || dup {
		t.Fatalf("RecordChannelEvent = %v, %v", dup, err)
	}
	if dup, err := f.engine.RecordChannelEvent(ctx, ev); err != nil || !dup {
		t.Errorf("a retried event: duplicate = %v, %v; want true", dup, err)
	}
	if got := f.events(t, r.Conversation.ID, "delivery_status"); len(got) != 1 {
		t.Errorf("got %d delivery_status events in the conversation, want 1", len(got))
	}
	ev.UserID = "v_nobody"
	if _, err := f.engine.RecordChannelEvent(ctx, ev); !errors.Is(err, bot.ErrUnknownUser) {
		t.Errorf("an unknown user: %v, want ErrUnknownUser", err)
	}
	ev.UserID, ev.Type = "v_status", "stage_changed"
	if _, err := f.engine.RecordChannelEvent(ctx, ev); err == nil {
		t.Error("a channel could record a stage change")
	}
}

// TestAnotherUserSigningInOnTheSameBrowser: X signs in, then Y on the same browser (the page forgot reset()). Y is
// not X: Y gets a customer of their own, with none of X's conversation, and X's record gains nothing of Y.
func TestAnotherUserSigningInOnTheSameBrowser(t *testing.T) {
	f := newFixture(t, &llmtest.Options{}, withJourney(t))
	ctx := context.Background()
	x, err := f.engine.IdentifyUser(ctx, journeystate.ChannelWeb, "v_kiosk", bot.Identification{UserID: "u-x", Verified: true})
	if err != nil {
		t.Fatal(err)
	}
	f.say(t, inbound("v_kiosk", "m1", "My secret project is codenamed Bluebird"))
	f.ch.next(t)
	y, err := f.engine.IdentifyUser(ctx, journeystate.ChannelWeb, "v_kiosk", bot.Identification{UserID: "u-y", Verified: true})
	if err != nil {
		t.Fatal(err)
	}
	if y.Customer.ID == x.Customer.ID {
		t.Fatal("the second user became the first user's customer")
	}
	if ids, _ := f.store.Identities(ctx, x.Customer.ID); len(ids) != 1 || ids[0].ExternalID != "u-x" {
		t.Errorf("the first user's identities = %+v, want u-x only", ids)
	}
	conv, msgs, err := f.engine.History(ctx, journeystate.ChannelWeb, "v_kiosk", "v_kiosk", 0, 100)
	if err != nil || conv.ID != "" || len(msgs) != 0 {
		t.Errorf("the second user sees conversation %q with %d messages (%v), want none", conv.ID, len(msgs), err)
	}
	f.say(t, inbound("v_kiosk", "m2", "Hello"))
	f.ch.next(t)
	reqs := f.model.Handler.Requests()
	if body, _ := json.Marshal(reqs[len(reqs)-1]); bytes.Contains(body, []byte("Bluebird")) {
		t.Errorf("the second user's model request holds the first user's words:\n%s", body)
	}
}

func TestBackfilledEventsDoNotMoveTheStageBack(t *testing.T) {
	f := newFixture(t, nil, withJourney(t))
	ctx := context.Background()
	ref := bot.CustomerRef{UserID: "u-late"}
	now := time.Now()
	track := func(name, key string, at time.Time) bot.TrackResult {
		t.Helper()
		res, err := f.engine.Track(ctx, bot.BusinessEvent{Name: name, Customer: ref, Key: key, Time: at})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	track("order_placed", "o1", now.Add(-10*24*time.Hour))
	if res := track("subscription_renewal_due", "r1", now.Add(-time.Hour)); res.Stage != "renewal" {
		t.Fatalf("stage = %q, want renewal", res.Stage)
	}
	// Imported later: a delivery 9 days ago is history, not a move back to onboarding.
	if res := track("order_delivered", "d1", now.Add(-9*24*time.Hour)); res.Stage != "renewal" || res.StageChanged {
		t.Errorf("a back-filled event: %+v, want the customer left in renewal", res)
	}
	// A retry of the event that moved them changes nothing.
	if res := track("subscription_renewal_due", "r1", now.Add(-time.Hour)); !res.Duplicate || res.StageChanged || res.Stage != "renewal" {
		t.Errorf("a retry: %+v, want a duplicate leaving renewal", res)
	}
}
