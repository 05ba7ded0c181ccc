package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/journeybot/journeybot/journeystate"
)

// shippedTestConfig is config.yaml as shipped (the demo on, Hearthly's journey map) on a test's own store and port.
func shippedTestConfig(t *testing.T) Config {
	t.Helper()
	cfg, err := LoadConfig(shippedConfig, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.Addr = "127.0.0.1:0"
	cfg.Store.Path = filepath.Join(t.TempDir(), "journeybot.db")
	cfg.Knowledge.Dir = filepath.Join(repoDir(t), "knowledge")
	return cfg
}

func TestDemoSeedIsIdempotent(t *testing.T) {
	cfg := shippedTestConfig(t)
	s := startServer(t, cfg)
	ctx := context.Background()
	id, err := s.Store.FindIdentity(ctx, journeystate.IdentityUser, demoUserID)
	if err != nil {
		t.Fatalf("the demo customer was not seeded: %v", err)
	}
	cust, err := s.Store.Customer(ctx, id.CustomerID)
	if err != nil {
		t.Fatal(err)
	}
	if cust.Stage != "onboarding" {
		t.Errorf("the demo customer is in stage %q, want onboarding (ordered, then delivered)", cust.Stage)
	}
	sms, err := s.Store.FindIdentity(ctx, journeystate.ChannelSMS, demoPhone)
	if err != nil || sms.CustomerID != cust.ID {
		t.Errorf("the demo SMS number belongs to %q (%v), want the demo customer %s", sms.CustomerID, err, cust.ID)
	}
	before, err := s.Store.Events(ctx, journeystate.EventQuery{CustomerID: cust.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if err := seedDemo(ctx, s.Engine, s.Store, time.Now()); err != nil {
		t.Fatal(err)
	}
	after, err := s.Store.Events(ctx, journeystate.EventQuery{CustomerID: cust.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("seeding again added %d events, want none", len(after)-len(before))
	}

	resp, err := http.Get(s.URL() + "/demo/identity")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got demoIdentity
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || got.UserID != demoUserID || len(got.Hash) != 64 {
		t.Errorf("GET /demo/identity = %+v, %v; want the demo user's signed id", got, err)
	}
}

func TestDemoIdentityIsOffByDefault(t *testing.T) {
	s := startServer(t, testConfig(t))
	resp, err := http.Get(s.URL() + "/demo/identity")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /demo/identity without demo.enabled = %d, want 404", resp.StatusCode)
	}
}

// TestBrowserDemoSignIn is what a person trying journeybot out does: sign in as the demo customer on the demo page
// and say hi; the offline responder greets her for the stage of her journey.
func TestBrowserDemoSignIn(t *testing.T) {
	chromiumPath(t)
	cfg := shippedTestConfig(t)
	s := startServer(t, cfg)
	ctx := newBrowser(t)
	do(t, ctx, "load the demo page", chromedp.Navigate(s.URL()+"/"))
	do(t, ctx, "sign in as the demo customer",
		chromedp.WaitVisible(role("button", "Sign in as Ada, a demo customer"), byRole("button", "Sign in as Ada, a demo customer")),
		chromedp.Click(role("button", "Sign in as Ada, a demo customer"), byRole("button", "Sign in as Ada, a demo customer")),
	)
	pollUntil(t, browserWait, "the sign-in to be verified", func() bool {
		return strings.HasPrefix(evaluate[string](t, ctx, `document.querySelector("#demo-signin [role=status]").textContent`),
			"Signed in as Ada")
	})
	// Signing in opened the chat.
	do(t, ctx, "the chat opened", chromedp.WaitVisible(role("textbox", "Message"), byRole("textbox", "Message")))
	ask(t, ctx, "Hi")
	shown := waitLog(t, ctx, "the greeting", answered("Hi"))
	st, _ := cfg.Journey.Stage("onboarding")
	if last := shown[len(shown)-1]; !strings.Contains(last.Text, st.Greeting) {
		t.Errorf("the greeting %q is not the onboarding stage's %q", last.Text, st.Greeting)
	}
	visitor := visitorID(t, ctx, s)
	id, err := s.Store.FindIdentity(context.Background(), journeystate.ChannelWeb, visitor)
	if err != nil {
		t.Fatal(err)
	}
	ada, err := s.Store.FindIdentity(context.Background(), journeystate.IdentityUser, demoUserID)
	if err != nil {
		t.Fatal(err)
	}
	if id.CustomerID != ada.CustomerID {
		t.Errorf("the signed-in visitor is customer %s, want the demo customer %s", id.CustomerID, ada.CustomerID)
	}
	screenshot(t, ctx, "demo-signed-in")
}
