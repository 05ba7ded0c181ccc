package knowledge

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHeading(t *testing.T) {
	tests := []struct {
		line string
		want string
		ok   bool
	}{
		{"## Shipping\n", "Shipping", true},
		{"# Title #", "Title", true},
		{"### C# tips", "C# tips", true},
		{"   ## Indented", "Indented", true},
		{"    ## Code block", "", false},
		{"#hashtag", "", false},
		{"####### seven", "", false},
		{"Plain text", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, ok := heading(tt.line)
			if got != tt.want || ok != tt.ok {
				t.Errorf("heading(%q): got %q, %v, want %q, %v", tt.line, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestUnwrap(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"paragraph", "one\ntwo\n\nthree", "one two\n\nthree"},
		{"list items", "- a\n  still a\n- b\n1. c\n2) d", "- a still a\n- b\n1. c\n2) d"},
		{"paragraph then list", "Intro:\n- a", "Intro:\n- a"},
		{"fence kept", "```\nx\ny\n```\nafter\nmore", "```\nx\ny\n```\nafter more"},
		{"heading not joined", "## H\ntext", "## H\ntext"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, unwrap(tt.in)); diff != "" {
				t.Errorf("unwrap(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
