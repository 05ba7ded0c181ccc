package llmtest

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestSplitWords(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want []string
	}{
		{"", 1, nil},
		{"one", 1, []string{"one"}},
		{"one two  three", 1, []string{"one ", "two  ", "three"}},
		{"  lead and trail ", 2, []string{"  lead and ", "trail "}},
		{"a\nb c", 5, []string{"a\nb c"}},
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, splitWords(tt.s, tt.n)); diff != "" {
				t.Errorf("splitWords(%q, %d) (-want +got):\n%s", tt.s, tt.n, diff)
			}
		})
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("Grüße aus Köln, wie geht's?", 2)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 1 || n > 10 {
			t.Skip()
		}
		if got := strings.Join(splitWords(s, n), ""); got != s {
			t.Errorf("splitWords joined = %q, want %q", got, s)
		}
		pieces := splitRunes(s, n)
		if got := strings.Join(pieces, ""); got != s || len(pieces) > n {
			t.Errorf("splitRunes(%q, %d) = %q: want at most %d pieces joining to s", s, n, pieces, n)
		}
		for _, p := range pieces {
			if utf8.ValidString(s) && !utf8.ValidString(p) {
				t.Errorf("splitRunes(%q) piece %q cuts a rune", s, p)
			}
		}
	})
}
