package storetest

import (
	"strings"
	"testing"

	"github.com/journeybot/journeybot/journeystate"
)

// hostileQueries are texts that would be errors or operators if they reached a full-text engine's query syntax.
var hostileQueries = []struct {
	name, query string
	finds       string // a source the words of the query must find; "" for none required
}{
	{"empty", "", ""},
	{"spaces", " \t\n ", ""},
	{"punctuation only", `"'*^:-()[]{}<>!?.,;/\|&%$#@~+=`, ""},
	{"lone quote", `"`, ""},
	{"unbalanced quotes", `"refund`, "returns.md"},
	{"quoted phrase", `"full refund"`, "returns.md"},
	{"prefix star", "refund*", "returns.md"},
	{"lone star", "*", ""},
	{"NEAR", "NEAR(refund password, 2)", "returns.md"},
	{"boolean words", "refund AND password NOT shipping OR", "returns.md"},
	{"operators only", "AND OR NOT NEAR", ""},
	{"minus", "-refund", "returns.md"},
	{"column filter", "title:refund", "returns.md"},
	{"column set", "{title heading}: password", "account.md"},
	{"caret", "^password", "account.md"},
	{"plus", "+password", "account.md"},
	{"sql", "'; DROP TABLE knowledge; --", ""},
	{"unicode", "Rückerstattung café 退款 возврат 🙂 refund", "returns.md"},
	{"combining marks", "re\u0301fund", ""},
	{"nul byte", "refund\x00password", "returns.md"},
	{"invalid utf-8", "\xff\xfe refund \xc3", "returns.md"},
	{"10 KB of syntax", strings.Repeat(`"*(NEAR ^-:`, 1000), ""},
	{"10 KB of words", strings.Repeat("refund password shipping ", 400), "returns.md"},
	{"many distinct words", manyWords(3000) + " refund", ""},
}

func manyWords(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("w")
		for j := i; j > 0; j /= 26 {
			b.WriteByte(byte('a' + j%26))
		}
		b.WriteByte(' ')
	}
	return b.String()
}

func testKnowledgeHostileQueries(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	indexCorpus(t, s)
	for _, tt := range hostileQueries {
		t.Run(tt.name, func(t *testing.T) {
			got := search(t, s, tt.query, 10) // fails the test on an error
			if tt.finds == "" {
				return
			}
			for _, src := range got {
				if src == tt.finds {
					return
				}
			}
			t.Errorf("search(%.40q) = %v, want it to find %s", tt.query, got, tt.finds)
		})
	}
	// Nothing above changed the index.
	if v, n, err := s.KnowledgeVersion(t.Context()); err != nil || v != "v1" || n != len(corpus) {
		t.Errorf("KnowledgeVersion() after hostile queries = %q, %d, %v; want v1, %d", v, n, err, len(corpus))
	}
	if got := search(t, s, "password", 10); len(got) != 1 {
		t.Errorf("search(password) after hostile queries = %v, want one passage", got)
	}
}

func testKnowledgeBadInput(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	indexCorpus(t, s)
	tests := []struct {
		name     string
		version  string
		passages []journeystate.Passage
	}{
		{"no version", "", corpus},
		{"passage without source", "v2", []journeystate.Passage{corpus[0], {Title: "T", Text: "orphan text"}}},
		{"passage without text", "v2", []journeystate.Passage{corpus[0], {Source: "blank.md", Title: "Blank"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.ReplaceKnowledge(t.Context(), tt.version, tt.passages); err == nil {
				t.Fatalf("ReplaceKnowledge(%q, ...) = nil, want an error", tt.version)
			}
			if v, n, err := s.KnowledgeVersion(t.Context()); err != nil || v != "v1" || n != len(corpus) {
				t.Errorf("KnowledgeVersion() after a refused replace = %q, %d, %v; want v1, %d", v, n, err, len(corpus))
			}
			if got := search(t, s, "password", 10); len(got) != 1 {
				t.Errorf("search(password) after a refused replace = %v, want the old index", got)
			}
		})
	}
}
