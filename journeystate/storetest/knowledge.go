package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/journeybot/journeybot/journeystate"
)

// corpus is a tiny knowledge base whose best answers are plain to a reader.
var corpus = []journeystate.Passage{
	{Source: "shipping.md", Title: "Shipping", Heading: "Delivery times", URL: "https://example.com/shipping",
		Stages: []string{"purchase"}, Text: "We ship orders within two business days. Delivery takes three to five days."},
	{Source: "returns.md", Title: "Returns", Heading: "Refund policy", Stages: []string{"support", "purchase"},
		Text: "You can return any item within 30 days for a full refund. The refund reaches your card in a week."},
	{Source: "account.md", Title: "Your account", Heading: "Password",
		Text: "Reset your password from the sign-in page. The reset link is valid for one hour."},
	{Source: "pricing.md", Title: "Pricing", Heading: "Plans", Stages: []string{"consideration"},
		Text: "The basic plan costs 10 dollars a month. Questions about a refund of a plan go to billing."},
}

// indexCorpus replaces the store's knowledge with corpus.
func indexCorpus(t *testing.T, s journeystate.Store) {
	t.Helper()
	if err := s.ReplaceKnowledge(t.Context(), "v1", corpus); err != nil {
		t.Fatalf("ReplaceKnowledge() = %v", err)
	}
}

// search runs SearchKnowledge and returns the sources found, best first.
func search(t *testing.T, s journeystate.Store, query string, limit int) []string {
	t.Helper()
	found, err := s.SearchKnowledge(t.Context(), query, limit)
	if err != nil {
		t.Fatalf("SearchKnowledge(%q) = %v", query, err)
	}
	var sources []string
	for i, p := range found {
		if p.Score <= 0 {
			t.Errorf("SearchKnowledge(%q) #%d score = %v, want > 0", query, i, p.Score)
		}
		if i > 0 && p.Score > found[i-1].Score {
			t.Errorf("SearchKnowledge(%q) #%d score %v above #%d's %v, want best first", query, i, p.Score, i-1, found[i-1].Score)
		}
		sources = append(sources, p.Source)
	}
	return sources
}

func testKnowledge(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	if v, n, err := s.KnowledgeVersion(ctx); err != nil || v != "" || n != 0 {
		t.Errorf("KnowledgeVersion(before any) = %q, %d, %v; want \"\", 0, nil", v, n, err)
	}
	if got := search(t, s, "refund", 10); len(got) != 0 {
		t.Errorf("search of an empty index = %v, want none", got)
	}
	indexCorpus(t, s)
	if v, n, err := s.KnowledgeVersion(ctx); err != nil || v != "v1" || n != len(corpus) {
		t.Errorf("KnowledgeVersion() = %q, %d, %v; want v1, %d, nil", v, n, err, len(corpus))
	}

	found, err := s.SearchKnowledge(ctx, "delivery", 10)
	if err != nil || len(found) != 1 {
		t.Fatalf("SearchKnowledge(delivery) = %d passages, %v; want 1", len(found), err)
	}
	want := corpus[0]
	want.Score = found[0].Score
	if diff := cmp.Diff(want, found[0], cmpOpts); diff != "" {
		t.Errorf("passage read back mismatch (-indexed +found):\n%s", diff)
	}

	// Replacing drops what is not in the new set.
	replacement := []journeystate.Passage{{Source: "faq.md", Title: "FAQ", Text: "Gift cards never expire."}}
	if err := s.ReplaceKnowledge(ctx, "v2", replacement); err != nil {
		t.Fatalf("ReplaceKnowledge(v2) = %v", err)
	}
	if v, n, err := s.KnowledgeVersion(ctx); err != nil || v != "v2" || n != 1 {
		t.Errorf("KnowledgeVersion() = %q, %d, %v; want v2, 1, nil", v, n, err)
	}
	if got := search(t, s, "delivery refund password", 10); len(got) != 0 {
		t.Errorf("search for replaced passages = %v, want none", got)
	}
	if got := search(t, s, "gift cards", 10); !cmp.Equal(got, []string{"faq.md"}) {
		t.Errorf("search(gift cards) = %v, want [faq.md]", got)
	}
	if err := s.ReplaceKnowledge(ctx, "empty", nil); err != nil {
		t.Fatalf("ReplaceKnowledge(none) = %v", err)
	}
	if v, n, err := s.KnowledgeVersion(ctx); err != nil || v != "empty" || n != 0 {
		t.Errorf("KnowledgeVersion() = %q, %d, %v; want empty, 0, nil", v, n, err)
	}
}

func testKnowledgeRanking(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	indexCorpus(t, s)
	tests := []struct {
		query string
		limit int
		want  []string // the exact result, best first; or, with best set, any order
		best  string
	}{
		{query: "refund", limit: 10, best: "returns.md", want: []string{"returns.md", "pricing.md"}},
		{query: "How do I reset my password?", limit: 10, best: "account.md", want: []string{"account.md"}},
		{query: "delivery days", limit: 10, best: "shipping.md", want: []string{"shipping.md", "returns.md"}},
		// Any word may match: a query naming two topics finds both.
		{query: "password refund", limit: 10, want: []string{"account.md", "pricing.md", "returns.md"}},
		{query: "password refund", limit: 1, want: nil},
		{query: "REFUND", limit: 10, best: "returns.md", want: []string{"returns.md", "pricing.md"}},
		{query: "xyzzy plugh", limit: 10, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := search(t, s, tt.query, tt.limit)
			if tt.limit == 1 {
				if len(got) != 1 {
					t.Errorf("search(%q, limit 1) = %v, want one passage", tt.query, got)
				}
				return
			}
			if tt.best != "" && (len(got) == 0 || got[0] != tt.best) {
				t.Errorf("search(%q) = %v, want %s first", tt.query, got, tt.best)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b }), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("search(%q) found other passages (-want +got):\n%s", tt.query, diff)
			}
		})
	}

	// A word in a title weighs more than the same word in a text, even said three times there.
	weighted := []journeystate.Passage{
		{Source: "care.md", Title: "Product care", Text: "Warranty card: keep the warranty card with the receipt, the warranty needs both."},
		{Source: "warranty.md", Title: "Warranty", Text: "Every product is covered against defects for two years from delivery."},
	}
	if err := s.ReplaceKnowledge(t.Context(), "w", weighted); err != nil {
		t.Fatalf("ReplaceKnowledge() = %v", err)
	}
	if got := search(t, s, "warranty", 10); !cmp.Equal(got, []string{"warranty.md", "care.md"}) {
		t.Errorf("search(warranty) = %v, want [warranty.md care.md] (title counts more)", got)
	}
}
