package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/journeybot/journeybot/analytics"
	"github.com/journeybot/journeybot/bot/llm"
)

// scriptedModel answers every call with reply (or err) and keeps the requests.
type scriptedModel struct {
	reply string
	err   error
	reqs  []llm.Request
}

func (m *scriptedModel) Name() string { return "scripted" }

func (m *scriptedModel) Complete(_ context.Context, req llm.Request, _ func(string)) (llm.Response, error) {
	m.reqs = append(m.reqs, req)
	return llm.Response{Content: m.reply}, m.err
}

func TestModelNamer(t *testing.T) {
	j := analytics.UnknownJourney{Stages: []string{"awareness", "support"}, Count: 12, Share: 0.04,
		Examples: []string{"cust-secret-id"}}
	for _, tc := range []struct{ reply, want string }{
		{`"Gift recipients needing help".` + "\nBecause they never bought.", "Gift recipients needing help"},
		{"**Support before purchase**", "Support before purchase"},
		{strings.Repeat("very long ", 20), strings.Repeat("very long ", 20)[:maxJourneyName] + "…"},
	} {
		m := &scriptedModel{reply: tc.reply}
		got, err := modelNamer{model: m, company: "Hearthly"}.Name(context.Background(), j)
		if err != nil || got != tc.want {
			t.Errorf("reply %q: name %q, %v; want %q", tc.reply, got, err, tc.want)
		}
		prompt := m.reqs[0].Messages[0].Content
		if !strings.Contains(prompt, "awareness → support") || strings.Contains(prompt, "cust-secret-id") {
			t.Errorf("prompt %q: want the stages and no customer id", prompt)
		}
	}
	for _, m := range []*scriptedModel{{reply: "  \n"}, {err: errors.New("down")}} {
		if _, err := (modelNamer{model: m}).Name(context.Background(), j); err == nil {
			t.Errorf("model %+v: no error", m)
		}
	}
}
