package main

// The browser test of JourneybotChat.identify against the real server (browser_test.go has the harness): a visitor
// whose page signs the user id with the site's identity secret joins the journey of the customer known by that id on
// other channels; a visitor whose hash is wrong stays a customer of their own, with the claim kept as a claim.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	"github.com/sashabaranov/go-openai"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/bot/llm/llmtest"
	"github.com/journeybot/journeybot/channels/webchat"
	"github.com/journeybot/journeybot/journeystate"
)

// What the identify test's customer, Ada, is known by before she opens the web chat.
const (
	adaUserID   = "u-ada"
	adaPhone    = "+14155550100"
	adaOrder    = "A-1042"
	adaSMSText  = "Where is my order A-1042?"
	adaIdentity = "test-identity-secret"
)

// TestBrowserIdentify checks, in the browser, that identify with a valid hash joins the customer's history (the web
// conversation, the SMS message and the business event are one journey, and the model's prompt sees them), and that
// with a bad hash it does not.
func TestBrowserIdentify(t *testing.T) {
	chromiumPath(t) // skip before starting a server for nothing
	cfg, fake := modelConfig(t, llmtest.Options{})
	cfg.Webchat.IdentitySecret = Secret(adaIdentity)
	s := startServer(t, cfg)
	ada := seedAda(t, s)

	t.Run("valid hash", func(t *testing.T) {
		ctx := newBrowser(t)
		do(t, ctx, "load the demo page", chromedp.Navigate(s.URL()+"/"))
		openChat(t, ctx)
		got := identifyInBrowser(t, ctx, map[string]string{
			"id": adaUserID, "email": "ada@example.com", "name": "Ada",
			"hash": webchat.IdentityHash(adaIdentity, adaUserID),
		})
		if want := (identifyAnswer{Verified: true, CustomerName: "Ada"}); got != want {
			t.Fatalf("identify with the right hash: got %+v, want %+v", got, want)
		}

		const question = "Hello"
		ask(t, ctx, question)
		shown := waitLog(t, ctx, "the answer", answered(question))
		screenshot(t, ctx, "widget-identify-verified")
		visitor := visitorID(t, ctx, s)
		if diff := cmp.Diff(storedMessages(t, s, visitor), shown); diff != "" {
			t.Errorf("conversation shown vs stored (-stored +shown):\n%s", diff)
		}

		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		id, err := s.Store.FindIdentity(sctx, journeystate.ChannelWeb, visitor)
		if err != nil {
			t.Fatalf("FindIdentity(web, visitor): %v", err)
		}
		if id.CustomerID != ada {
			t.Fatalf("the web visitor is customer %s, want Ada's customer %s", id.CustomerID, ada)
		}
		events := customerEvents(t, s, ada)
		for _, want := range []struct{ what, typ, channel, text string }{
			{"the order placed", "order_placed", bot.ChannelAPI, adaOrder},
			{"the SMS message", "message", journeystate.ChannelSMS, adaSMSText},
			{"the web message", "message", journeystate.ChannelWeb, question},
		} {
			if !hasEvent(events, want.typ, want.channel, want.text) {
				t.Errorf("Ada's journey lacks %s (a %q event on %s with %q); events:\n%s",
					want.what, want.typ, want.channel, want.text, describeEvents(events))
			}
		}
		if !mergedByWidget(t, s, ada) {
			t.Errorf("no merge into Ada's customer by the widget's identify is recorded")
		}

		prompt := turnPrompt(t, fake, question)
		for _, want := range []string{adaOrder, "Where is my order"} {
			if !strings.Contains(prompt, want) {
				t.Errorf("the system prompt of the web turn does not contain %q; prompt:\n%s", want, prompt)
			}
		}
	})

	t.Run("bad hash", func(t *testing.T) {
		ctx := newBrowser(t) // a fresh profile: a new visitor
		do(t, ctx, "load the demo page", chromedp.Navigate(s.URL()+"/"))
		openChat(t, ctx)
		// A well-formed hash made with another secret: the server must check it, not refuse its shape.
		got := identifyInBrowser(t, ctx, map[string]string{
			"id": adaUserID, "email": "ada@example.com", "name": "Ada",
			"hash": webchat.IdentityHash("not-the-site-secret", adaUserID),
		})
		if want := (identifyAnswer{}); got != want {
			t.Fatalf("identify with a wrong hash: got %+v, want %+v", got, want)
		}

		const question = "Good morning"
		ask(t, ctx, question)
		waitLog(t, ctx, "the answer", answered(question))
		visitor := visitorID(t, ctx, s)

		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		id, err := s.Store.FindIdentity(sctx, journeystate.ChannelWeb, visitor)
		if err != nil {
			t.Fatalf("FindIdentity(web, visitor): %v", err)
		}
		if id.CustomerID == ada {
			t.Fatalf("the web visitor with a wrong hash is Ada's customer %s", ada)
		}
		if holder, err := s.Store.FindIdentity(sctx, journeystate.IdentityUser, adaUserID); err != nil || holder.CustomerID != ada {
			t.Errorf("user id %s: got customer %q (%v), want it still Ada's %s", adaUserID, holder.CustomerID, err, ada)
		}
		ids, err := s.Store.Identities(sctx, id.CustomerID)
		if err != nil {
			t.Fatalf("Identities: %v", err)
		}
		for _, i := range ids {
			if i.Level == journeystate.LevelVerified {
				t.Errorf("the visitor with a wrong hash gained the verified identity %s %q", i.Channel, i.ExternalID)
			}
		}
		events := customerEvents(t, s, id.CustomerID)
		if !hasClaim(events, journeystate.IdentityUser, adaUserID, journeystate.LevelClaimed) {
			t.Errorf("no identity_claimed event of user id %s at level claimed; events:\n%s", adaUserID, describeEvents(events))
		}
		if hasEvent(events, "message", journeystate.ChannelSMS, adaSMSText) || hasEvent(events, "order_placed", "", adaOrder) ||
			slices.ContainsFunc(events, func(e journeystate.Event) bool { return e.Type == "customers_merged" }) {
			t.Errorf("the visitor with a wrong hash has Ada's history or a merge; events:\n%s", describeEvents(events))
		}
		if hasEvent(customerEvents(t, s, ada), "message", journeystate.ChannelWeb, question) {
			t.Errorf("the message of the visitor with a wrong hash is in Ada's journey")
		}

		prompt := turnPrompt(t, fake, question)
		for _, leak := range []string{adaOrder, "Where is my order"} {
			if strings.Contains(prompt, leak) {
				t.Errorf("the system prompt of the unverified visitor's turn contains Ada's %q; prompt:\n%s", leak, prompt)
			}
		}
	})
}

// seedAda stores a customer known by the user id u-ada (with an email address and a name, from the company's
// systems), who placed an order and asked about it by SMS, and returns her customer id.
func seedAda(t *testing.T, s *testServer) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := s.Engine.Identify(ctx, bot.Traits{Customer: bot.CustomerRef{UserID: adaUserID}, Name: "Ada",
		Email: "ada@example.com"})
	if err != nil {
		t.Fatalf("Engine.Identify: %v", err)
	}
	ada := res.Customer.ID
	if _, err := s.Engine.Track(ctx, bot.BusinessEvent{Name: "order_placed",
		Customer: bot.CustomerRef{UserID: adaUserID}, Properties: map[string]any{"order_id": adaOrder}, Key: "k1"}); err != nil {
		t.Fatalf("Engine.Track: %v", err)
	}

	// The SMS channel knows her by her number first; the number then turns out to be on her account.
	smsCust, err := s.Store.ResolveIdentity(ctx, journeystate.IdentityClaim{Channel: journeystate.ChannelSMS,
		ExternalID: adaPhone, Level: journeystate.LevelVerified, Profile: journeystate.Profile{Phone: adaPhone}})
	if err != nil {
		t.Fatalf("ResolveIdentity(sms): %v", err)
	}
	merged, err := s.Store.Identify(ctx, smsCust.ID, []journeystate.IdentityClaim{{Channel: journeystate.IdentityUser,
		ExternalID: adaUserID, Level: journeystate.LevelVerified}}, "test: the number is on Ada's account")
	if err != nil {
		t.Fatalf("Store.Identify(sms customer, u-ada): %v", err)
	}
	if merged.Customer.ID != ada || len(merged.Merges) != 1 {
		t.Fatalf("the SMS customer identified as %s: got customer %s with %d merges, want Ada's %s with one",
			adaUserID, merged.Customer.ID, len(merged.Merges), ada)
	}
	conv, _, err := s.Store.OpenConversation(ctx, ada, journeystate.ChannelSMS, adaPhone)
	if err != nil {
		t.Fatalf("OpenConversation(sms): %v", err)
	}
	if _, _, err := s.Store.AppendMessage(ctx, journeystate.Message{ConversationID: conv.ID, CustomerID: ada,
		Author: journeystate.ActorCustomer, ClientID: "SMada0001", Text: adaSMSText}); err != nil {
		t.Fatalf("AppendMessage(sms): %v", err)
	}
	return ada
}

// identifyAnswer is what the Promise of JourneybotChat.identify resolves to.
type identifyAnswer struct {
	Verified     bool   `json:"verified"`
	CustomerName string `json:"customerName"`
}

// identifyInBrowser calls JourneybotChat.identify(claims) on the page and waits for its Promise.
func identifyInBrowser(t *testing.T, ctx context.Context, claims map[string]string) identifyAnswer {
	t.Helper()
	arg, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, browserWait)
	defer cancel()
	got, err := chromedp.Run(sctx, chromedp.Evaluate[identifyAnswer](
		fmt.Sprintf("window.JourneybotChat.identify(%s)", arg), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("JourneybotChat.identify: %v", err)
	}
	return got
}

// customerEvents returns the customer's journey log.
func customerEvents(t *testing.T, s *testServer, customerID string) []journeystate.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events, err := s.Store.Events(ctx, journeystate.EventQuery{CustomerID: customerID, Limit: 1000})
	if err != nil {
		t.Fatalf("Events(%s): %v", customerID, err)
	}
	return events
}

// hasEvent reports whether events hold one of type typ on channel (any channel when "") whose payload mentions text:
// a message's text, a business event's property.
func hasEvent(events []journeystate.Event, typ, channel, text string) bool {
	for _, e := range events {
		if e.Type != typ || channel != "" && e.Channel != channel {
			continue
		}
		var p struct {
			Text       string         `json:"text"`
			Properties map[string]any `json:"properties"`
		}
		if json.Unmarshal(e.Payload, &p) != nil {
			continue
		}
		if p.Text == text {
			return true
		}
		for _, v := range p.Properties {
			if v == text {
				return true
			}
		}
	}
	return false
}

// hasClaim reports whether events hold an "identity_claimed" event of the claim (channel, externalID) at level.
func hasClaim(events []journeystate.Event, channel, externalID string, level journeystate.Level) bool {
	for _, e := range events {
		if e.Type != "identity_claimed" {
			continue
		}
		var p struct {
			Claim struct {
				Channel    string             `json:"channel"`
				ExternalID string             `json:"external_id"`
				Level      journeystate.Level `json:"level"`
			} `json:"claim"`
		}
		if json.Unmarshal(e.Payload, &p) == nil && p.Claim.Channel == channel && p.Claim.ExternalID == externalID &&
			p.Claim.Level == level {
			return true
		}
	}
	return false
}

// mergedByWidget reports whether a merge into the customer by the widget's identify of Ada's user id is recorded.
func mergedByWidget(t *testing.T, s *testServer, customerID string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	merges, err := s.Store.Merges(ctx, customerID)
	if err != nil {
		t.Fatalf("Merges: %v", err)
	}
	for _, m := range merges {
		if m.SurvivorID == customerID && m.Claim.Channel == journeystate.IdentityUser && m.Claim.ExternalID == adaUserID &&
			strings.Contains(m.Evidence, "widget identify") {
			return true
		}
	}
	return false
}

func describeEvents(events []journeystate.Event) string {
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "  %d %s [%s] %s\n", e.Seq, e.Type, e.Channel, e.Payload)
	}
	return b.String()
}

// turnPrompt returns the system prompt of the first model request of the bot turn that answers question: the one
// whose last message is the customer's question.
func turnPrompt(t *testing.T, fake *llmtest.Server, question string) string {
	t.Helper()
	for _, req := range fake.Requests() {
		n := len(req.Messages)
		if n < 2 || req.Messages[0].Role != openai.ChatMessageRoleSystem {
			continue
		}
		if last := req.Messages[n-1]; last.Role == openai.ChatMessageRoleUser && strings.Contains(last.Content, question) {
			return req.Messages[0].Content
		}
	}
	t.Fatalf("the model was not asked %q; it got %d requests", question, fake.Count())
	return ""
}

// TestBrowserAnotherUserSignsIn: on a shared browser whose page forgot reset(), a second user signs in after the
// first one chatted. The widget must stop showing the first user's conversation, and the second user's customer is
// their own.
func TestBrowserAnotherUserSignsIn(t *testing.T) {
	chromiumPath(t)
	cfg := testConfig(t)
	cfg.Webchat.IdentitySecret = Secret(adaIdentity)
	s := startServer(t, cfg)
	ctx := newBrowser(t)
	do(t, ctx, "load the demo page", chromedp.Navigate(s.URL()+"/"))
	openChat(t, ctx)
	if got := identifyInBrowser(t, ctx, map[string]string{"id": "u-first", "hash": webchat.IdentityHash(adaIdentity, "u-first")}); !got.Verified {
		t.Fatalf("the first sign-in was not verified: %+v", got)
	}
	const private = "How long does shipping take to my cabin?"
	ask(t, ctx, private)
	waitLog(t, ctx, "the first user's answer", answered(private))

	if got := identifyInBrowser(t, ctx, map[string]string{"id": "u-second", "hash": webchat.IdentityHash(adaIdentity, "u-second")}); !got.Verified {
		t.Fatalf("the second sign-in was not verified: %+v", got)
	}
	waitLog(t, ctx, "the first user's conversation to disappear", func(entries []logEntry) bool { return len(entries) == 0 })
	screenshot(t, ctx, "widget-another-user-signed-in")

	first, err := s.Store.FindIdentity(context.Background(), journeystate.IdentityUser, "u-first")
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.Store.FindIdentity(context.Background(), journeystate.IdentityUser, "u-second")
	if err != nil {
		t.Fatal(err)
	}
	if first.CustomerID == second.CustomerID {
		t.Errorf("both users are customer %s", first.CustomerID)
	}
	visitor, err := s.Store.FindIdentity(context.Background(), journeystate.ChannelWeb, visitorID(t, ctx, s))
	if err != nil || visitor.CustomerID != second.CustomerID {
		t.Errorf("the browser's visitor is customer %q (%v), want the second user's %s", visitor.CustomerID, err, second.CustomerID)
	}
}
