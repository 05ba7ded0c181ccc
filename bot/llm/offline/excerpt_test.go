package offline

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSentences(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"One. Two! Three? 4 is a number.", []string{"One.", "Two!", "Three?", "4 is a number."}},
		{"Open 8 a.m. to 10 p.m. Eastern time. Call us.", []string{"Open 8 a.m. to 10 p.m. Eastern time.", "Call us."}},
		{`Tap "Forgot password?" and enter it. Done.`, []string{`Tap "Forgot password?" and enter it.`, "Done."}},
		{`Say "Stop." Then wait.`, []string{`Say "Stop."`, "Then wait."}},
		{"It costs $4.99 a month. Cards, e.g. Visa, work.", []string{"It costs $4.99 a month.", "Cards, e.g. Visa, work."}},
		{"See hearthly.com/returns now", []string{"See hearthly.com/returns now"}},
		{"Wait... What?! Ok.", []string{"Wait...", "What?!", "Ok."}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, sentences(tt.in)); diff != "" {
				t.Errorf("sentences (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnits(t *testing.T) {
	got := units("Intro: **bold** and [a link](https://x.example).\n- Item one. Still one.\n2. Step two\n```\ncode\n```")
	want := []unit{
		{Text: "Intro: bold and a link.", NewBlock: true},
		{Text: "- Item one.", NewBlock: true},
		{Text: "Still one."},
		{Text: "2. Step two", NewBlock: true},
		{Text: "code", NewBlock: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("units (-want +got):\n%s", diff)
	}
}

func TestExcerpt(t *testing.T) {
	us := units("Alpha one. Beta shipping here. Gamma three.\n- Delta four.")
	terms := parseQuestion("shipping").Terms
	tests := []struct {
		name  string
		limit int
		want  string
	}{
		{"whole passage fits", 200, "Alpha one. Beta shipping here. Gamma three.\n- Delta four."},
		{"forward first", 46, "Beta shipping here. Gamma three.\n- Delta four."},
		{"then backward", 45, "Alpha one. Beta shipping here. Gamma three."},
		{"best sentence alone", 20, "Beta shipping here."},
		{"cut at a space", 17, "Beta shipping…"},
		{"cut before a partial word", 15, "Beta…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := excerpt(us, terms, hintNone, tt.limit)
			if got != tt.want || len(got) > tt.limit {
				t.Errorf("excerpt(limit %d): got %q (%d bytes), want %q", tt.limit, got, len(got), tt.want)
			}
		})
	}
}

func TestCutMultibyte(t *testing.T) {
	got := cut(strings.Repeat("é", 20), 12)
	if len(got) > 12 || !strings.HasSuffix(got, "…") || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("cut: got %q (%d bytes)", got, len(got))
	}
}

func TestPieces(t *testing.T) {
	text := "One two three four\n\nfive  six seven"
	got := pieces(text, 3)
	want := []string{"One two three ", "four\n\nfive  six ", "seven"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pieces (-want +got):\n%s", diff)
	}
}
