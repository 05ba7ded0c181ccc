//go:build sqlite_fts5

package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
)

func TestFTSQuery(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"empty", "", ""},
		{"no words", ` "*^:-() `, ""},
		{"one word", "refund", `"refund"`},
		{"case and repeats", "Refund refund REFUND", `"refund"`},
		{"syntax is data", `"full refund" AND ship* NEAR(a b) title:x -y ^z`,
			`"full" OR "refund" OR "and" OR "ship" OR "near" OR "a" OR "b" OR "title" OR "x" OR "y" OR "z"`},
		{"unicode", "Café-au-lait 退款 e\u0301", `"café" OR "au" OR "lait" OR "退款" OR "e` + "\u0301" + `"`},
		{"digits", "order #A-1234", `"order" OR "a" OR "1234"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ftsQuery(tt.text); got != tt.want {
				t.Errorf("ftsQuery(%q) = %s, want %s", tt.text, got, tt.want)
			}
		})
	}
	var words []string
	for i := range 2 * maxQueryTerms {
		words = append(words, fmt.Sprintf("w%d", i))
	}
	if got := strings.Count(ftsQuery(strings.Join(words, " ")), " OR ") + 1; got != maxQueryTerms {
		t.Errorf("terms kept of %d words = %d, want %d", len(words), got, maxQueryTerms)
	}
}

// TestSearchLanguage checks what the tokenizer adds: stemming, diacritics and case folding.
func TestSearchLanguage(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	passages := []journeystate.Passage{
		{Source: "ship.md", Title: "Shipping", Text: "Orders are shipped daily."},
		{Source: "cafe.md", Title: "Café", Text: "Our café opens at nine."},
	}
	if err := s.ReplaceKnowledge(t.Context(), "v", passages); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"ships", []string{"ship.md"}},
		{"SHIPPING", []string{"ship.md"}},
		{"cafe", []string{"cafe.md"}},
		{"CAFÉ", []string{"cafe.md"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			found, err := s.SearchKnowledge(t.Context(), tt.query, 10)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range found {
				got = append(got, p.Source)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SearchKnowledge(%q) mismatch (-want +got):\n%s", tt.query, diff)
			}
		})
	}
}

func FuzzSearchKnowledge(f *testing.F) {
	for _, seed := range []string{"", "refund", `"`, `"refund`, "refund*", "*", "NEAR(a b, 2)", "a AND b OR NOT c",
		"-x", "title:x", "{title}: x", "^x", "'; DROP TABLE knowledge; --", "e\u0301", "\x00", "\xff\xfe",
		"退款 🙂", strings.Repeat(`"*(`, 100)} {
		f.Add(seed)
	}
	s, err := Open(context.Background(), filepath.Join(f.TempDir(), "db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	passages := []journeystate.Passage{
		{Source: "a.md", Title: "Returns", Heading: "Refunds", Text: "Return any item within 30 days for a refund."},
		{Source: "b.md", Title: "Café", Text: "Ünïcödé text with 退款 and emoji 🙂."},
	}
	if err := s.ReplaceKnowledge(context.Background(), "v", passages); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, query string) {
		found, err := s.SearchKnowledge(t.Context(), query, 10)
		if err != nil {
			t.Fatalf("SearchKnowledge(%q) = %v", query, err)
		}
		if len(found) > len(passages) {
			t.Fatalf("SearchKnowledge(%q) = %d passages, more than the %d indexed", query, len(found), len(passages))
		}
	})
}
