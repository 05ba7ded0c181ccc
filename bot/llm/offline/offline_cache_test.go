package offline_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/bot/knowledge"
	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/bot/llm/offline"
	"github.com/journeybot/journeybot/journeystate"
	"github.com/journeybot/journeybot/journeystate/sqlite"
)

// customerQuestions are what customers ask of the shipped knowledge base: answerable ones and ones it cannot answer.
var customerQuestions = []string{
	"How much does the thermostat cost?",
	"Do you ship to Canada?",
	"How long does delivery take?",
	"How do I return my thermostat?",
	"I forgot my password",
	"How do I delete my account?",
	"How do I turn on two-factor authentication?",
	"My thermostat says it is offline",
	"my thermostat shows a low battery warning",
	"The temperature reading is wrong",
	"Does it work with a heat pump?",
	"I don't have a C-wire",
	"How do I cancel Hearthly Plus?",
	"How long is the warranty?",
	"can't log in to the app",
	"what's the capital of France",
	"write me a poem",
	"asdf qwer",
	"who won the world cup last year?",
	"tell me a joke about thermostats",
}

// openKnowledge indexes the shipped knowledge/ folder into a SQLite store in a temp dir and returns the store and
// the folder's passages.
func openKnowledge(tb testing.TB) (*sqlite.Store, []journeystate.Passage) {
	tb.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "journeybot.db"))
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { store.Close() })
	if _, err := knowledge.Sync(ctx, store, "../../../knowledge", "https://hearthly.example", false); err != nil {
		tb.Fatalf("sync knowledge: %v", err)
	}
	passages, _, err := knowledge.Load("../../../knowledge", "https://hearthly.example")
	if err != nil {
		tb.Fatalf("load knowledge: %v", err)
	}
	return store, passages
}

// TestCacheSameAnswers asks a Responder that remembers passage analyses and one that does not the same questions
// against the shipped knowledge base: the customer questions, and each passage's title, heading and first sentence.
// Every answer must be the same, whether the passages were taken apart for this question or for an earlier one.
func TestCacheSameAnswers(t *testing.T) {
	ctx := context.Background()
	store, passages := openKnowledge(t)
	questions := append([]string(nil), customerQuestions...)
	for _, p := range passages {
		first, _, _ := strings.Cut(p.Text, ". ")
		questions = append(questions, p.Title, p.Heading, first, "How long "+p.Heading+"?", "how much "+p.Title)
	}
	opts := offline.Options{Company: "Hearthly", Assistant: "Sunny"}
	cached, uncached := offline.New(store, opts), offline.NewUncached(store, opts)
	answered := 0
	for round := range 2 { // the first round fills the cache, the second answers from it
		for _, q := range questions {
			req := llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: q}}}
			want, err := uncached.Complete(ctx, req, nil)
			if err != nil {
				t.Fatalf("uncached Complete(%q): %v", q, err)
			}
			got, err := cached.Complete(ctx, req, nil)
			if err != nil {
				t.Fatalf("cached Complete(%q): %v", q, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("round %d, %q: cached answer differs (-uncached +cached):\n%s", round, q, diff)
			}
			if round == 0 && len(got.Citations) > 0 {
				answered++
			}
		}
	}
	// The questions must exercise the cache: most find a passage, and their passages are remembered.
	if answered < len(questions)/2 {
		t.Errorf("%d of %d answers quote a page, want most of them", answered, len(questions))
	}
	t.Logf("%d questions, %d answered from %d of %d passages", len(questions), answered, cached.CachedPassages(), len(passages))
	if n := cached.CachedPassages(); n == 0 || n > len(passages) {
		t.Errorf("cached passages: got %d, want 1 to %d", n, len(passages))
	}
	if n := uncached.CachedPassages(); n != 0 {
		t.Errorf("uncached Responder holds %d analyses, want 0", n)
	}
}
