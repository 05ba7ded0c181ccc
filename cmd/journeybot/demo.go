package main

// The demo: a customer with a journey across channels that the demo page can sign in as (demo.enabled). Off in
// production: the endpoint signs only the demo customer's id, but it is there to show the product, not to run it.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/channels/webchat"
	"github.com/journeybot/journeybot/console"
	"github.com/journeybot/journeybot/journeystate"
)

// The demo customer.
const (
	demoUserID = "demo-ada"
	demoName   = "Ada"
	demoEmail  = "ada@demo.hearthly.example"
	demoPhone  = "+14155550142"
	demoStory  = "She ordered a Starter Bundle (order H-1042), it was delivered yesterday, and she asked by SMS " +
		"whether the thermostat needs a C-wire. Open the chat and say hi, or ask how to install it."
)

// randomSecret returns a fresh identity secret for a demo run without webchat.identity_secret.
func randomSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("demo: identity secret: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// seedDemo gives the demo customer their journey, once: every write is idempotent (event keys, message client ids,
// identities), so a restart changes nothing. The times are relative to the first start.
func seedDemo(ctx context.Context, e *bot.Engine, store journeystate.Store, now time.Time) error {
	ref := bot.CustomerRef{UserID: demoUserID}
	if _, err := e.Identify(ctx, bot.Traits{Customer: ref, Name: demoName + " Lovelace", Email: demoEmail,
		Phone: demoPhone, Other: map[string]string{"plan": "none", "country": "US"}, Source: "demo"}); err != nil {
		return fmt.Errorf("demo: identify: %w", err)
	}
	day := 24 * time.Hour
	events := []bot.BusinessEvent{
		{Name: "page_viewed", Properties: map[string]any{"path": "/"}, Time: now.Add(-9 * day)},
		{Name: "viewed_pricing", Time: now.Add(-9 * day)},
		{Name: "viewed_pricing", Time: now.Add(-8 * day)},
		{Name: "viewed_pricing", Time: now.Add(-7 * day)},
		{Name: "order_placed", Properties: map[string]any{"order_id": "H-1042", "items": "Starter Bundle", "total": 229},
			Time: now.Add(-5 * day)},
		{Name: "order_delivered", Properties: map[string]any{"order_id": "H-1042", "carrier": "UPS"}, Time: now.Add(-day)},
	}
	for i, ev := range events {
		ev.Customer, ev.Source, ev.Key = ref, "demo", fmt.Sprintf("demo:%s:%d", demoUserID, i)
		if _, err := e.Track(ctx, ev); err != nil {
			return fmt.Errorf("demo: track %s: %w", ev.Name, err)
		}
	}
	// Ada's SMS conversation, as the SMS channel stores it: the number is a verified identity on that channel and
	// joins her customer.
	sms, err := store.ResolveIdentity(ctx, journeystate.IdentityClaim{Channel: journeystate.ChannelSMS,
		ExternalID: demoPhone, Level: journeystate.LevelVerified, Profile: journeystate.Profile{Phone: demoPhone}})
	if err != nil {
		return fmt.Errorf("demo: sms identity: %w", err)
	}
	res, err := store.Identify(ctx, sms.ID, []journeystate.IdentityClaim{{Channel: journeystate.IdentityPhone,
		ExternalID: demoPhone, Level: journeystate.LevelVerified}}, "demo: SMS sender's number")
	if err != nil {
		return fmt.Errorf("demo: sms identify: %w", err)
	}
	conv, _, err := store.OpenConversation(ctx, res.Customer.ID, journeystate.ChannelSMS, demoPhone)
	if err != nil {
		return fmt.Errorf("demo: sms conversation: %w", err)
	}
	q, _, err := store.AppendMessage(ctx, journeystate.Message{ConversationID: conv.ID, Author: journeystate.ActorCustomer,
		ClientID: "demo-sms-1", Text: "Hi, my Starter Bundle came yesterday. Does the thermostat need a C-wire?",
		CreatedAt: now.Add(-20 * time.Hour)})
	if err != nil {
		return fmt.Errorf("demo: sms message: %w", err)
	}
	_, _, err = store.AppendMessage(ctx, journeystate.Message{ConversationID: conv.ID, Author: journeystate.ActorBot,
		ClientID: "reply:" + q.ID, CreatedAt: now.Add(-20*time.Hour + 5*time.Second),
		Text: "Most homes have one. If yours doesn't, use the Power Adapter that comes in the box. " +
			"See hearthly.com/help/installation",
		Meta: journeystate.MessageMeta{Source: bot.SourceOffline, ReplyTo: q.ID}})
	if err != nil {
		return fmt.Errorf("demo: sms reply: %w", err)
	}
	return nil
}

// demoIdentity is what GET /demo/identity answers: what the company's site would render for a signed-in user.
type demoIdentity struct {
	UserID string `json:"user_id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	Hash   string `json:"hash"`
	Story  string `json:"story"`
}

// handleDemoIdentity serves the demo customer's signed identity, as the demo company's server would.
func (m *Main) handleDemoIdentity(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSONResponse(w, demoIdentity{
		UserID: demoUserID, Name: demoName, Email: demoEmail, Story: demoStory,
		Hash: webchat.IdentityHash(m.identitySecret, demoUserID),
	})
}

func writeJSONResponse(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// The demo's console accounts, documented in the README: an agent of every team and a manager. Their passwords are
// public: they exist only while demo.enabled is on, which production turns off.
var demoUsers = []struct {
	Email, Name, Password string
	Role                  journeystate.Role
}{
	{"agent@demo.hearthly.example", "Sam Rivera", "hearthly-demo-agent", journeystate.RoleAgent},
	{"manager@demo.hearthly.example", "Morgan Lee", "hearthly-demo-manager", journeystate.RoleManager},
}

// seedDemoUsers creates the demo's console accounts when they are missing; an account that exists is left as it is.
func seedDemoUsers(ctx context.Context, users journeystate.UserStore, teams []string) error {
	for _, d := range demoUsers {
		if _, err := users.UserByEmail(ctx, d.Email); err == nil {
			continue
		} else if !errors.Is(err, journeystate.ErrNotFound) {
			return fmt.Errorf("demo: look up %s: %w", d.Email, err)
		}
		hash, err := console.HashPassword(d.Password)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		_, err = users.CreateUser(ctx, journeystate.User{Email: d.Email, Name: d.Name, Role: d.Role, PasswordHash: hash,
			Teams: teams, Capacity: 5, Status: journeystate.StatusOffline})
		if err != nil && !errors.Is(err, journeystate.ErrConflict) {
			return fmt.Errorf("demo: add %s: %w", d.Email, err)
		}
	}
	return nil
}
