package offline

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/journeystate"
)

func askAt(stage, text string) llm.Request {
	req := ask(text)
	req.Stage = stage
	return req
}

func TestGreetingPerStage(t *testing.T) {
	opts := Options{
		Company: "Hearthly", Topics: []string{"shipping", "returns"},
		Greetings: map[string]string{
			"Onboarding ": "Welcome aboard! Need a hand setting up your thermostat?",
			"renewal":     "Hello again! I'm Hearthly's automated assistant, here to help with your renewal.",
			"support":     "   ",
		},
	}
	general := "Hi! I'm Hearthly's automated assistant. I can help with shipping and returns. What would you like to know?"
	tests := []struct {
		name, stage, text, want string
	}{
		{"stage greeting after saying what it is", "onboarding", "Hello!",
			"Hi! I'm Hearthly's automated assistant. Welcome aboard! Need a hand setting up your thermostat?"},
		{"stage compared without case or space", " ONBOARDING", "hi there",
			"Hi! I'm Hearthly's automated assistant. Welcome aboard! Need a hand setting up your thermostat?"},
		{"stage greeting that says what it is is used as it is", "renewal", "good morning",
			"Hello again! I'm Hearthly's automated assistant, here to help with your renewal."},
		{"unknown stage gets the general greeting", "purchase", "Hello!", general},
		{"no stage gets the general greeting", "", "Hello!", general},
		{"blank stage greeting is ignored", "support", "Hello!", general},
		{"a question at a greeted stage is still searched", "onboarding", "hello, do you ship to canada?", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(&fakeSearcher{passages: []journeystate.Passage{shipping}}, opts)
			got, err := r.Complete(context.Background(), askAt(tt.stage, tt.text), nil)
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			if tt.want == "" {
				if len(got.Citations) != 1 {
					t.Errorf("reply %q cites %v, want the shipping page", got.Content, got.Citations)
				}
				return
			}
			if got.Content != tt.want {
				t.Errorf("reply:\n got %q\nwant %q", got.Content, tt.want)
			}
			if n := strings.Count(got.Content, "automated assistant"); n != 1 {
				t.Errorf("reply says %d times that it is an automated assistant, want once", n)
			}
		})
	}
}

func TestGreetingsAreCopied(t *testing.T) {
	greetings := map[string]string{"onboarding": "Welcome!"}
	r := New(&fakeSearcher{}, Options{Greetings: greetings})
	greetings["onboarding"] = "Changed."
	got, err := r.Complete(context.Background(), askAt("onboarding", "hi"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(got.Content, "Welcome!") {
		t.Errorf("reply %q: the Responder follows changes to the caller's map", got.Content)
	}
}

func TestStageBoost(t *testing.T) {
	// Two pages that answer "how do I reset my thermostat" equally well.
	setup := journeystate.Passage{
		Source: "setup.md", Title: "Getting started", Heading: "Reset", Stages: []string{"onboarding"},
		Text: "To reset your thermostat, hold the dial for ten seconds until the screen goes dark.",
	}
	repair := journeystate.Passage{
		Source: "repair.md", Title: "Troubleshooting", Heading: "Reset", Stages: []string{"support"},
		Text: "To reset your thermostat, hold the dial for ten seconds until the screen goes dark.",
	}
	// A page for the stage that holds one of the question's two words only.
	offTopic := journeystate.Passage{
		Source: "welcome.md", Title: "Welcome", Heading: "Your new thermostat", Stages: []string{"onboarding"},
		Text: "Your thermostat learns your schedule in a week.",
	}
	// A page that answers with words in its text only, and a page for the stage that ties with it on Matched +
	// InSection by naming one word in its heading: it holds too few of the question's words to answer, so it must
	// not get the boost.
	inText := journeystate.Passage{
		Source: "dial.md", Title: "Help", Heading: "The dial", Stages: []string{"support"},
		Text: "To reset your thermostat, hold the dial for ten seconds until the screen goes dark.",
	}
	named := journeystate.Passage{
		Source: "about.md", Title: "About us", Heading: "Thermostat", Stages: []string{"onboarding"},
		Text: "Our thermostat is designed and made in Sweden.",
	}
	tests := []struct {
		name   string
		stage  string
		found  []journeystate.Passage
		source string // the page cited, "" for "I don't know"
	}{
		{"no stage keeps the search's order", "", []journeystate.Passage{repair, setup}, "repair.md"},
		{"stage page wins a tie", "onboarding", []journeystate.Passage{repair, setup}, "setup.md"},
		{"stage page wins a tie whatever the order", "support", []journeystate.Passage{setup, repair}, "repair.md"},
		{"stage compared without case", "Onboarding", []journeystate.Passage{repair, setup}, "setup.md"},
		{"stage no page has changes nothing", "renewal", []journeystate.Passage{repair, setup}, "repair.md"},
		{"stage page holding fewer words loses", "onboarding", []journeystate.Passage{offTopic, repair}, "repair.md"},
		{"stage never makes a non-matching page answer", "onboarding", []journeystate.Passage{offTopic}, ""},
		{"stage page that ties without the words loses", "onboarding", []journeystate.Passage{named, inText}, "dial.md"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(&fakeSearcher{passages: tt.found}, Options{})
			got, err := r.Complete(context.Background(), askAt(tt.stage, "How do I reset my thermostat?"), nil)
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			var want []journeystate.Citation
			for _, p := range tt.found {
				if p.Source == tt.source {
					want = []journeystate.Citation{{Title: p.Title, Source: p.Source, URL: p.URL}}
				}
			}
			if diff := cmp.Diff(want, got.Citations); diff != "" {
				t.Errorf("citations (-want +got):\n%s\nreply: %s", diff, got.Content)
			}
			if tt.source == "" && !strings.Contains(got.Content, "don't know") {
				t.Errorf("reply %q, want \"I don't know\"", got.Content)
			}
		})
	}
}
