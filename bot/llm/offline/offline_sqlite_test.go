package offline_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/journeybot/journeybot/bot/knowledge"
	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/bot/llm/offline"
	"github.com/journeybot/journeybot/journeystate/sqlite"
)

// TestRealKnowledgeBase indexes the shipped knowledge/ folder into a SQLite store and asks what customers ask.
func TestRealKnowledgeBase(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "journeybot.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	res, err := knowledge.Sync(ctx, store, "../../../knowledge", "https://hearthly.example", false)
	if err != nil {
		t.Fatalf("sync knowledge: %v", err)
	}
	if !res.Reindexed || res.Passages == 0 {
		t.Fatalf("sync: got %+v, want a first indexing", res)
	}
	again, err := knowledge.Sync(ctx, store, "../../../knowledge", "https://hearthly.example", false)
	if err != nil || again != (knowledge.Result{Version: res.Version, Passages: res.Passages}) {
		t.Fatalf("second sync: got %+v, %v; want it skipped with version %s and %d passages", again, err, res.Version, res.Passages)
	}
	r := offline.New(store, offline.Options{Company: "Hearthly", Assistant: "Sunny"})

	tests := []struct {
		question string
		source   string // the page the answer must cite, or one of them ("a.md|b.md"); "" for "I don't know"
		says     string // a fact the answer must contain
	}{
		{"How much does the thermostat cost?", "pricing.md", "$179"},
		{"Do you ship to Canada?", "shipping.md", "5 to 10 business days"},
		{"How long does delivery take?", "shipping.md", "business days"},
		{"How do I return my thermostat?", "returns.md", "60 days"},
		{"I forgot my password", "account.md", "Forgot password?"},
		{"How do I delete my account?", "account.md", "Delete account"},
		{"How do I turn on two-factor authentication?", "account.md", "Two-factor"},
		{"My thermostat says it is offline", "troubleshooting.md", "Wi-Fi"},
		{"my thermostat shows a low battery warning", "troubleshooting.md", "C-wire"},
		{"The temperature reading is wrong", "troubleshooting.md", "offset"},
		{"Does it work with a heat pump?", "installation.md|products.md", "heat pumps"},
		{"I don't have a C-wire", "installation.md", "Power Adapter"},
		{"How do I cancel Hearthly Plus?", "hearthly-plus.md", "Cancel"},
		{"How long is the warranty?", "warranty.md", "2 years"},
		{"can't log in to the app", "troubleshooting.md", "password"},
		{"what's the capital of France", "", ""},
		{"write me a poem", "", ""},
		{"asdf qwer", "", ""},
		{"who won the world cup last year?", "", ""},
		{"tell me a joke about thermostats", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.question, func(t *testing.T) {
			resp, err := r.Complete(ctx, llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: tt.question}}}, nil)
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			t.Logf("%s\n%s", tt.question, resp.Content)
			if tt.source == "" {
				if len(resp.Citations) != 0 || !strings.Contains(resp.Content, "don't know") {
					t.Errorf("got %q citing %v, want \"don't know\" and no citation", resp.Content, resp.Citations)
				}
				return
			}
			if len(resp.Citations) != 1 || !slices.Contains(strings.Split(tt.source, "|"), resp.Citations[0].Source) {
				t.Fatalf("citations: got %+v, want %s\nanswer: %s", resp.Citations, tt.source, resp.Content)
			}
			if !strings.Contains(resp.Content, tt.says) {
				t.Errorf("answer %q does not say %q", resp.Content, tt.says)
			}
		})
	}
}
