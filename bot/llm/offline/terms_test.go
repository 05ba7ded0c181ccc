package offline

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStemAndMatch(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"shipping", "ship", true},
		{"shipped", "delivery", true}, // synonyms
		{"prices", "pricing", true},
		{"cost", "price", true},
		{"batteries", "battery", true},
		{"installation", "install", true},
		{"cancelled", "cancel", true},
		{"returns", "returning", true},
		{"address", "addresses", true},
		{"password", "pass", false},
		{"card", "cardboard", false},
		{"write", "writing", true},
		{"poem", "phone", false},
		{"café", "cafe", false}, // non-ASCII words are kept as they are
	}
	for _, tt := range tests {
		t.Run(tt.a+"~"+tt.b, func(t *testing.T) {
			if got := termsMatch(stem(tt.a), stem(tt.b)); got != tt.want {
				t.Errorf("termsMatch(stem(%q)=%q, stem(%q)=%q): got %v, want %v", tt.a, stem(tt.a), tt.b, stem(tt.b), got, tt.want)
			}
		})
	}
}

func TestWordsCompounds(t *testing.T) {
	var got []string
	for _, w := range words("Wi-Fi, two-factor; hello,world") {
		got = append(got, w.Text)
	}
	want := []string{"wi", "fi", "wifi", "two", "factor", "twofactor", "hello", "world"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("words (-want +got):\n%s", diff)
	}
}

func TestParseQuestion(t *testing.T) {
	tests := []struct {
		text  string
		kind  kind
		terms string // searchText
	}{
		{"", kindEmpty, ""},
		{"?!", kindEmpty, ""},
		{"hi", kindGreeting, ""},
		{"Good morning! How are you?", kindGreeting, ""},
		{"I need help", kindGreeting, ""},
		{"thank you so much", kindThanks, ""},
		{"ok thanks, bye", kindThanks, ""},
		{"how much?", kindGreeting, ""},
		{"Hi, how do I reset my password?", kindQuestion, "reset password"},
		{"What's the capital of France?", kindQuestion, "capital france"},
		{"my wifi keeps dropping", kindQuestion, "wifi keeps dropping wi fi"},
		{"return returns returned", kindQuestion, "return"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			q := parseQuestion(tt.text)
			if q.Kind != tt.kind || q.searchText() != tt.terms {
				t.Errorf("parseQuestion(%q): got kind %d, search %q; want %d, %q", tt.text, q.Kind, q.searchText(), tt.kind, tt.terms)
			}
		})
	}
}

func TestParseQuestionBounded(t *testing.T) {
	var long string
	for i := range 100 {
		long += " word" + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	if n := len(parseQuestion(long).Terms); n != maxQueryTerms {
		t.Errorf("terms of a 100-word question: got %d, want %d", n, maxQueryTerms)
	}
}

func TestNeeded(t *testing.T) {
	got := []int{needed(0), needed(1), needed(2), needed(3), needed(4), needed(5), needed(6), needed(9)}
	want := []int{0, 1, 2, 2, 3, 4, 4, 6}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("needed(0, 1, 2, 3, 4, 5, 6, 9) (-want +got):\n%s", diff)
	}
}
