package journeystate_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	js "github.com/journeybot/journeybot/journeystate"
)

// validHandoff returns a packet that passes Validate.
func validHandoff() js.Handoff {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	return js.Handoff{
		ID: "h1", ConversationID: "c1", CustomerID: "u1", Channel: js.ChannelWeb,
		Summary: "wants a refund", SummarySource: js.SummaryExtractive, Sentiment: js.SentimentNegative,
		Reason: "asked for a person", Trigger: js.TriggerCustomerRequest, Urgency: js.UrgencyNormal, Confidence: 1,
		Timeline: []js.HandoffEntry{{Time: t0, Kind: "message", Author: js.ActorCustomer, Text: "refund please"}},
		Tried: []js.HandoffAttempt{{Time: t0, Kind: js.AttemptAnswer, Text: "see our policy", Source: "offline"},
			{Time: t0, Kind: js.AttemptTool, Tool: "search_knowledge", OK: true}},
		WaitingSince: t0, CreatedAt: t0.Add(time.Minute),
	}
}

func TestHandoffValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(h *js.Handoff)
		want   []string // substrings of the error; none: valid
	}{
		{"valid", func(h *js.Handoff) {}, nil},
		{"a rule's trigger", func(h *js.Handoff) { h.Trigger = "rule:vip" }, nil},
		{"no sentiment assessed", func(h *js.Handoff) { h.Sentiment = "" }, nil},
		{"missing ids", func(h *js.Handoff) { h.ID, h.ConversationID, h.CustomerID = "", "", " " },
			[]string{"id is required", "conversation_id is required", "customer_id is required"}},
		{"no summary or reason", func(h *js.Handoff) { h.Summary, h.Reason = "", "" },
			[]string{"summary is required", "reason is required"}},
		{"rule without a name", func(h *js.Handoff) { h.Trigger = "rule:" }, []string{`trigger "rule:"`}},
		{"unknown trigger", func(h *js.Handoff) { h.Trigger = "magic" }, []string{`trigger "magic"`}},
		{"unknown urgency", func(h *js.Handoff) { h.Urgency = "" }, []string{`urgency ""`}},
		{"unknown sentiment", func(h *js.Handoff) { h.Sentiment = "angry" }, []string{`sentiment "angry"`}},
		{"unknown summary source", func(h *js.Handoff) { h.SummarySource = "" }, []string{`summary_source ""`}},
		{"confidence above 1", func(h *js.Handoff) { h.Confidence = 1.5 }, []string{"confidence 1.5"}},
		{"confidence NaN", func(h *js.Handoff) { h.Confidence = math.NaN() }, []string{"confidence NaN"}},
		{"no waiting since", func(h *js.Handoff) { h.WaitingSince = time.Time{} }, []string{"waiting_since is required"}},
		{"waiting since after created", func(h *js.Handoff) { h.WaitingSince = h.CreatedAt.Add(time.Second) },
			[]string{"waiting_since 2026-03-01T10:01:01Z is after"}},
		{"timeline entry without time", func(h *js.Handoff) { h.Timeline[0].Time = time.Time{} },
			[]string{"timeline[0] needs a time and a kind"}},
		{"tool attempt without tool", func(h *js.Handoff) { h.Tried[1].Tool = "" },
			[]string{"tried[1] is a tool call without a tool"}},
		{"attempt of unknown kind", func(h *js.Handoff) { h.Tried[0].Kind = "guess" }, []string{`tried[0] kind "guess"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := validHandoff()
			tt.change(&h)
			err := h.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error with %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

// TestHandoffJSON pins the stored field names: a rename would make stored packets unreadable.
func TestHandoffJSON(t *testing.T) {
	h := validHandoff()
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"id", "conversation_id", "customer_id", "channel", "summary", "summary_source",
		"sentiment", "profile", "memory", "timeline", "tried", "reason", "trigger", "urgency", "confidence",
		"waiting_since", "created_at"} {
		if _, ok := fields[name]; !ok {
			t.Errorf("JSON %s has no field %q", b, name)
		}
	}
	var back js.Handoff
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(h, back); diff != "" {
		t.Errorf("JSON round trip mismatch (-want +got):\n%s", diff)
	}
}
