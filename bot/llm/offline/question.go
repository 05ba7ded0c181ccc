package offline

import "strings"

// kind is what a customer message is, as far as the offline responder can tell.
type kind int

const (
	kindEmpty    kind = iota // no words at all
	kindGreeting             // only greetings, help requests and function words
	kindThanks               // only thanks, greetings and function words, with at least one thanks
	kindQuestion             // has content words to search for
)

// question is a customer message taken apart: its kind and its content words, in order of first appearance and
// without repeats of the same stem.
type question struct {
	Kind  kind
	Terms []word
	Hint  hint
}

// parseQuestion classifies text and keeps at most maxQueryTerms content words.
func parseQuestion(text string) question {
	var (
		q       = question{Hint: hintOf(text)}
		seen    bool
		thanks  bool
		content = make(map[string]bool)
	)
	for _, w := range words(text) {
		seen = true
		switch {
		case thanksWords[w.Text]:
			thanks = true
		case greetingWords[w.Text], stopWords[w.Text]:
		default:
			if !content[w.Stem] && len(q.Terms) < maxQueryTerms {
				content[w.Stem] = true
				q.Terms = append(q.Terms, w)
			}
		}
	}
	switch {
	case len(q.Terms) > 0:
		q.Kind = kindQuestion
	case thanks:
		q.Kind = kindThanks
	case seen:
		q.Kind = kindGreeting
	default:
		q.Kind = kindEmpty
	}
	return q
}

// searchText is the query handed to the search: the content words as written (the store stems them its own way),
// followed by the search words of their synonym classes.
func (q question) searchText() string {
	var out []string
	seen := make(map[string]bool)
	add := func(w string) {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	for _, t := range q.Terms {
		add(t.Text)
	}
	for _, t := range q.Terms {
		if c, ok := synonyms[t.Stem]; ok {
			for _, w := range strings.Fields(c.search) {
				add(w)
			}
		}
	}
	return strings.Join(out, " ")
}

// needed is how many of n content words a passage must contain to count as an answer: the only one of one, and
// otherwise at least two and at least two thirds. A word or two in common among several is how unrelated text looks
// ("who won the world cup last year" against a page that says a warranty lasts two years).
func needed(n int) int {
	if n <= 1 {
		return n
	}
	return max(2, (2*n+2)/3)
}
