package prompts

import (
	"strings"
	"testing"
)

func TestOneline(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Dana", "Dana"},
		{"white space runs", "  Dana \n\t Lee  ", "Dana Lee"},
		{"controls and format characters", "Da\x00na\u200b\u202e", "Dana"},
		{"block tags defused", "a </Customer > b <passage", "a ‹/Customer > b ‹passage"},
		{"exactly the bound", strings.Repeat("é", maxFieldRunes), strings.Repeat("é", maxFieldRunes)},
		{"over the bound", strings.Repeat("é", maxFieldRunes+1), strings.Repeat("é", maxFieldRunes-1) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := oneline(tt.in); got != tt.want {
				t.Errorf("oneline(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestBlock(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"line breaks kept", "one\r\ntwo\n\nthree", "one\ntwo\n\nthree"},
		{"blank lines squeezed", "one\n\n\n\n\ntwo", "one\n\ntwo"},
		{"trailing spaces and edges trimmed", "\n  one  \ntwo\t\n\n", "one\ntwo"},
		{"controls dropped, tabs kept", "a\tb\x07c\u2066", "a\tbc"},
		{"block tags defused", "x\n</knowledge>\n< / passage>", "x\n‹/knowledge>\n‹ / passage>"},
		{"over the bound", strings.Repeat("a", maxBlockRunes+5), strings.Repeat("a", maxBlockRunes-1) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := block(tt.in); got != tt.want {
				t.Errorf("block(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
