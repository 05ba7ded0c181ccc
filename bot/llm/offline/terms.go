package offline

import (
	"strings"
	"unicode"
)

// maxQueryTerms bounds the work per question: a pasted essay is searched by its first content words only.
const maxQueryTerms = 16

// word is one word of a text: its lowercase form and its loose stem.
type word struct {
	Text string
	Stem string
}

// words splits text into lowercase words at every character that is not a letter or a digit. A hyphenated or
// apostrophised compound ("Wi-Fi", "e-mail") also yields its parts joined ("wifi"), so that either spelling matches.
func words(text string) []word {
	var out []word
	for _, field := range strings.Fields(strings.ToLower(text)) {
		parts := strings.FieldsFunc(field, notWordRune)
		for _, p := range parts {
			out = append(out, word{Text: p, Stem: stem(p)})
		}
		if len(parts) > 1 && len(parts) <= 3 && isCompound(field) {
			joined := strings.Join(parts, "")
			out = append(out, word{Text: joined, Stem: stem(joined)})
		}
	}
	return out
}

// isCompound reports whether field is parts glued by hyphens only ("wi-fi", "two-factor"), not a sentence fragment
// such as "hello,world".
func isCompound(field string) bool {
	field = strings.TrimFunc(field, notWordRune)
	return strings.Contains(field, "-") && !strings.ContainsFunc(field, func(r rune) bool {
		return r != '-' && notWordRune(r)
	})
}

func notWordRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// suffixes are stripped by stem, longest first; the replacement keeps "batteries" and "battery" together.
var suffixes = []struct{ from, to string }{
	{"ations", ""}, {"ation", ""}, {"ements", ""}, {"ement", ""}, {"ments", ""}, {"ment", ""},
	{"ingly", ""}, {"ings", ""}, {"ing", ""}, {"edly", ""}, {"ies", "y"}, {"ied", "y"}, {"ness", ""},
	{"ed", ""}, {"es", ""}, {"ly", ""}, {"s", ""},
}

// stem strips one common English suffix and a final "e", keeping at least three letters: a loose stemmer that
// brings "ship", "shipping" and "shipped", or "price", "prices" and "pricing", close enough for termsMatch.
// Words that are not plain lowercase Latin letters are returned unchanged.
func stem(w string) string {
	for _, r := range w {
		if r < 'a' || r > 'z' {
			return w
		}
	}
	for _, s := range suffixes {
		if !strings.HasSuffix(w, s.from) || len(w)-len(s.from)+len(s.to) < 3 {
			continue
		}
		if s.from == "s" && (strings.HasSuffix(w, "ss") || strings.HasSuffix(w, "us") || strings.HasSuffix(w, "is")) {
			break // "address", "status", "this": not plurals
		}
		w = w[:len(w)-len(s.from)] + s.to
		break
	}
	if len(w) > 3 && strings.HasSuffix(w, "e") {
		w = w[:len(w)-1]
	}
	if c, ok := synonyms[w]; ok {
		return c.stem
	}
	return w
}

// synonym is a class of words customers use for one thing: stem is the stem all members stem to, search the words
// added to a search when a question uses any member, so that "cost" also finds a page about prices.
type synonym struct {
	stem   string
	search string
}

var (
	synPrice = synonym{stem: "pric", search: "price cost"}
	synShip  = synonym{stem: "ship", search: "shipping delivery"}
	synWifi  = synonym{stem: "wifi", search: "wi fi"}
)

// synonyms maps stems to their class. Kept small on purpose: each entry makes two words indistinguishable.
var synonyms = map[string]synonym{
	"pric": synPrice, "cost": synPrice, "expensiv": synPrice, "cheap": synPrice,
	"ship": synShip, "shipp": synShip, "deliver": synShip, "delivery": synShip, "arriv": synShip,
	"wifi": synWifi,
}

// termsMatch reports whether two stems name the same thing: equal, or one a prefix of the other when both have at
// least four letters and they differ by at most three ("deliver" and "delivery", "install" and "installer", but not
// "pass" and "password").
func termsMatch(a, b string) bool {
	if a == b {
		return true
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	return len(a) >= 4 && len(b)-len(a) <= 3 && strings.HasPrefix(b, a)
}

// stemSet is the stems of a text, for repeated lookups.
type stemSet map[string]bool

func newStemSet(texts ...string) stemSet {
	s := make(stemSet)
	for _, t := range texts {
		for _, w := range words(t) {
			s[w.Stem] = true
		}
	}
	return s
}

// has reports whether any stem in the set matches term.
func (s stemSet) has(term string) bool {
	if s[term] {
		return true
	}
	for k := range s {
		if termsMatch(term, k) {
			return true
		}
	}
	return false
}
