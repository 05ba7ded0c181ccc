package offline

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxQueryTerms bounds the work per question: a pasted essay is searched by its first content words only.
const maxQueryTerms = 16

// word is one word of a text: its lowercase form and its loose stem.
type word struct {
	Text string
	Stem string
}

// words splits text into lowercase words at every character that is not a letter or a digit. A compound glued by
// hyphens only, of two or three parts ("Wi-Fi", "e-mail"), also yields its parts joined ("wifi"), so that either
// spelling matches; "hello,world" and "don't" do not.
//
// It is one pass that lowercases rune by rune, as strings.ToLower would, and copies a word only when lowercasing
// changes it: the same words as strings.FieldsFunc(field, notWordRune) for each of
// strings.Fields(strings.ToLower(text)), without allocating the lowered text and the fields.
func words(text string) []word {
	var (
		out   []word
		parts int  // words of the current field (a run of non-space), not counting a joined compound
		start = -1 // where the current word began, or -1 between words
		// Whether the separators since the field's last word hold a hyphen, or another character; and the same of
		// the separators between its words so far. A leading or trailing run of separators is not between words.
		gapHyphen, gapOther, hyphen, other bool
	)
	endField := func() {
		if parts > 1 && parts <= 3 && hyphen && !other {
			joined := ""
			for _, w := range out[len(out)-parts:] {
				joined += w.Text
			}
			out = append(out, word{Text: joined, Stem: stem(joined)})
		}
		parts, gapHyphen, gapOther, hyphen, other = 0, false, false, false, false
	}
	for i := 0; i <= len(text); {
		var r rune = ' ' // past the end: a space ends the last word and field
		size := 1
		if i < len(text) {
			r, size = utf8.DecodeRuneInString(text[i:])
			r = unicode.ToLower(r)
		}
		if !notWordRune(r) {
			if start < 0 {
				start = i
				if parts > 0 {
					hyphen, other = hyphen || gapHyphen, other || gapOther
				}
				gapHyphen, gapOther = false, false
			}
			i += size
			continue
		}
		if start >= 0 {
			w := lower(text[start:i])
			out = append(out, word{Text: w, Stem: stem(w)})
			parts++
			start = -1
		}
		switch {
		case unicode.IsSpace(r):
			endField()
		case r == '-':
			gapHyphen = true
		default:
			gapOther = true
		}
		i += size
	}
	return out
}

// lower returns s lowercased rune by rune (s is valid UTF-8), s itself when that changes nothing.
func lower(s string) string {
	for _, r := range s {
		if unicode.ToLower(r) != r {
			return strings.ToLower(s)
		}
	}
	return s
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

// stemSet is the distinct stems of a text, sorted, for repeated lookups. It is never modified once made.
type stemSet []string

func newStemSet(texts ...string) stemSet {
	var s stemSet
	for _, t := range texts {
		for _, w := range words(t) {
			s = append(s, w.Stem)
		}
	}
	slices.Sort(s)
	return slices.Clip(slices.Compact(s))
}

// has reports whether any stem in the set matches term (see termsMatch): term itself, a stem that term starts with
// and that is at most three bytes shorter, or one that starts with term and is at most three bytes longer.
func (s stemSet) has(term string) bool {
	i, found := slices.BinarySearch(s, term)
	if found {
		return true
	}
	if len(term) >= 4 {
		// The stems that start with term sort right after it.
		for _, k := range s[i:] {
			if !strings.HasPrefix(k, term) {
				break
			}
			if len(k)-len(term) <= 3 {
				return true
			}
		}
	}
	for n := len(term) - 1; n >= 4 && n >= len(term)-3; n-- {
		if _, found := slices.BinarySearch(s, term[:n]); found {
			return true
		}
	}
	return false
}
