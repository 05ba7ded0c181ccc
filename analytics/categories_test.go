package analytics

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The golden log's intents: c1 [buying], c3 [product_question buying product_question], c4 [order_status buying
// buying]; c2, c5 and c6 have none. Most frequent: c1 buying, c3 product_question, c4 buying. First: c1 buying, c3
// product_question, c4 order_status.
func TestCategoriesGolden(t *testing.T) {
	tests := []struct {
		name string
		opts CategoryOptions
		want []Category
	}{
		{"most frequent intent", CategoryOptions{}, []Category{
			{Name: "", Count: 3, Share: 0.5, Examples: []string{"c2", "c5", "c6"}},
			{Name: "buying", Count: 2, Share: 2.0 / 6, Examples: []string{"c1", "c4"}},
			{Name: "product_question", Count: 1, Share: 1.0 / 6, Examples: []string{"c3"}},
		}},
		{"first intent", CategoryOptions{By: ByFirstIntent}, []Category{
			{Name: "", Count: 3, Share: 0.5, Examples: []string{"c2", "c5", "c6"}},
			{Name: "buying", Count: 1, Share: 1.0 / 6, Examples: []string{"c1"}},
			{Name: "order_status", Count: 1, Share: 1.0 / 6, Examples: []string{"c4"}},
			{Name: "product_question", Count: 1, Share: 1.0 / 6, Examples: []string{"c3"}},
		}},
		{"topics", CategoryOptions{Topics: map[string]string{"c1": "wiring", "c2": "wiring", "c3": "pricing"}}, []Category{
			{Name: "", Count: 3, Share: 0.5, Examples: []string{"c4", "c5", "c6"}},
			{Name: "wiring", Count: 2, Share: 2.0 / 6, Examples: []string{"c1", "c2"}},
			{Name: "pricing", Count: 1, Share: 1.0 / 6, Examples: []string{"c3"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Categories(goldenLog(), tt.opts)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMostFrequentTiesToEarliest(t *testing.T) {
	if got := mostFrequent([]string{"b", "a", "a", "b"}, map[string]int{}); got != "b" {
		t.Errorf("got %q, want b (tied with a, detected first)", got)
	}
	if got := Categories(nil, CategoryOptions{}); len(got) != 0 {
		t.Errorf("empty log: %v", got)
	}
}
