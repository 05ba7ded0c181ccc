package offline

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// referenceWords is words as first written, plainly: the one-pass words must split every text the same way.
func referenceWords(text string) []word {
	var out []word
	for _, field := range strings.Fields(strings.ToLower(text)) {
		parts := strings.FieldsFunc(field, notWordRune)
		for _, p := range parts {
			out = append(out, word{Text: p, Stem: stem(p)})
		}
		if len(parts) > 1 && len(parts) <= 3 && referenceIsCompound(field) {
			joined := strings.Join(parts, "")
			out = append(out, word{Text: joined, Stem: stem(joined)})
		}
	}
	return out
}

func referenceIsCompound(field string) bool {
	field = strings.TrimFunc(field, notWordRune)
	return strings.Contains(field, "-") && !strings.ContainsFunc(field, func(r rune) bool {
		return r != '-' && notWordRune(r)
	})
}

// referenceHas is stemSet.has as first written: any stem of the set that termsMatch term.
func referenceHas(stems []string, term string) bool {
	for _, k := range stems {
		if termsMatch(term, k) {
			return true
		}
	}
	return false
}

var wordsSeeds = []string{
	"",
	"Wi-Fi, two-factor; hello,world",
	"a-b-c-d and -x-y- and don't--stop, e-mail--",
	"İSTANBUL Ⅻ ⒶB ÀÉ-Î Straße ΣΊΣΥΦΟΣ",
	"invalid \xff bytes-in\xfe-words a\xffb-c x-\uFFFDy",
	"tabs\tand\nnew\u00a0lines\u2003em-space\u0085next",
	"Orders to Canada ship by standard courier and arrive in 5 to 10 business days (USD $12.95).",
	"2. Tap **Settings → Wi-Fi** and [re-connect](https://x.example/a-b).",
}

func TestWordsMatchesReference(t *testing.T) {
	for _, text := range wordsSeeds {
		t.Run(text, func(t *testing.T) {
			if diff := cmp.Diff(referenceWords(text), words(text)); diff != "" {
				t.Errorf("words(%q) (-reference +got):\n%s", text, diff)
			}
		})
	}
}

// FuzzWords: go test -tags sqlite_fts5 -run '^$' -fuzz FuzzWords -fuzztime 60s ./bot/llm/offline/
func FuzzWords(f *testing.F) {
	for _, s := range wordsSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if diff := cmp.Diff(referenceWords(text), words(text)); diff != "" {
			t.Errorf("words(%q) (-reference +got):\n%s", text, diff)
		}
	})
}

func TestStemSetHasMatchesReference(t *testing.T) {
	// Stems around "ship", "shipping", "deliver" and "pass", and a non-ASCII one whose prefixes cut a character.
	stems := []string{"addres", "café", "cafés", "deliver", "pas", "passw", "password", "ship", "shippingx", "zone"}
	terms := []string{
		"ship", "shi", "shipp", "shippi", "shippin", "shipping", "shippingxyz", "shippingxyzw", "deliver", "delivery", "deliveryman",
		"delive", "deli", "pass", "passwo", "passwords", "password123", "caf", "café", "cafése", "caf\xc3",
		"addresses", "zones", "zonesxx", "zonesxxx", "z", "a", "zzzz",
	}
	for _, set := range [][]string{nil, stems, stems[:1], stems[3:7], stems[8:]} {
		s := newStemSet(strings.Join(set, " "))
		var plain []string
		for _, w := range words(strings.Join(set, " ")) {
			plain = append(plain, w.Stem)
		}
		for _, term := range terms {
			if got, want := s.has(term), referenceHas(plain, term); got != want {
				t.Errorf("stems %q has %q: got %v, want %v", plain, term, got, want)
			}
		}
	}
}
