package bot

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/journeybot/journeybot/journeystate"
	"github.com/journeybot/journeybot/prompts"
)

// Event types the engine records, besides those the store records itself ("message", "conversation_opened",
// "owner_changed", "stage_changed", "customer_updated", "summary_updated", merges and claims).
const (
	EventBotTurn        = "bot_turn"
	EventToolCall       = "tool_call"
	EventIntentDetected = "intent_detected" // payload {"intent": name}
	EventStageChanged   = "stage_changed"   // recorded by Store.SetStage, payload {"from", "to"}
	EventMessage        = "message"         // recorded by Store.AppendMessage, payload {"text", ...}
)

// internalEvents are bookkeeping a model gains nothing from in a customer's timeline.
var internalEvents = map[string]bool{
	EventBotTurn: true, EventToolCall: true, "model_error": true, "conversation_opened": true,
	"owner_changed": true, "customer_updated": true, "summary_updated": true, "identity_claimed": true,
	"customers_merged": true, "customers_unmerged": true, "merge_refused": true, "identity_detached": true,
}

// IsReservedEvent reports whether name is an event type journeybot records itself, which a business event or a
// channel's event may not pose as: the engine derives stages, conversations and merges from them.
func IsReservedEvent(name string) bool {
	return internalEvents[name] || name == EventMessage || name == EventStageChanged || name == EventIntentDetected
}

// timelineCandidate is one event that may go into the prompt's timeline.
type timelineCandidate struct {
	entry prompts.TimelineEntry
	score float64
	cost  int // estimated tokens
}

// selectTimeline picks from a customer's newest events (oldest first, as the store returns them) the entries the
// prompt shows: messages of conversations other than convID (the current one is shown as chat turns), business
// events, intents and stage changes; at most budget tokens of them (estimated at 4 characters a token), the most
// relevant to question first. Relevance is recency (a half-life of a day of the customer's activity, by position in
// the log) plus the words the entry shares with the question; business events and stage changes weigh a little
// more than chatter.
func selectTimeline(events []journeystate.Event, convID, question string, budget int) []prompts.TimelineEntry {
	if budget <= 0 || len(events) == 0 {
		return nil
	}
	qwords := contentWords(question)
	var cands []timelineCandidate
	newest := events[len(events)-1].Time
	for i, ev := range events {
		entry, weight, ok := timelineEntry(ev, convID)
		if !ok {
			continue
		}
		age := newest.Sub(ev.Time).Hours() / 24
		recency := 1 / (1 + age) // 1 for the newest, ½ a day older, ...
		position := float64(i+1) / float64(len(events))
		overlap := 0
		for w := range contentWords(entry.Text) {
			if qwords[w] {
				overlap++
			}
		}
		cands = append(cands, timelineCandidate{
			entry: entry,
			score: weight + recency + 0.5*position + 1.5*float64(overlap),
			cost:  utf8.RuneCountInString(entry.Text)/4 + 8, // the time, channel and author cost a few too
		})
	}
	slices.SortStableFunc(cands, func(a, b timelineCandidate) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		return b.entry.Time.Compare(a.entry.Time)
	})
	var out []prompts.TimelineEntry
	spent := 0
	for _, c := range cands {
		if spent+c.cost > budget {
			continue // a shorter, less relevant entry may still fit
		}
		spent += c.cost
		out = append(out, c.entry)
	}
	return out
}

// timelineEntry turns an event into a timeline line and its base weight; ok is false for events the timeline
// leaves out.
func timelineEntry(ev journeystate.Event, convID string) (prompts.TimelineEntry, float64, bool) {
	entry := prompts.TimelineEntry{Time: ev.Time, Channel: ev.Channel}
	switch {
	case ev.Type == EventMessage:
		if ev.ConversationID == convID {
			return entry, 0, false
		}
		var p struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(ev.Payload, &p) != nil || strings.TrimSpace(p.Text) == "" {
			return entry, 0, false
		}
		entry.Author, entry.Text = string(ev.Actor), p.Text
		return entry, 0, true
	case ev.Type == EventStageChanged:
		var p struct {
			From string `json:"from"`
			To   string `json:"to"`
		}
		if json.Unmarshal(ev.Payload, &p) != nil || p.To == "" {
			return entry, 0, false
		}
		entry.Text = fmt.Sprintf("moved to the %s stage", p.To)
		if ev.Cause != "" {
			entry.Text += " (" + ev.Cause + ")"
		}
		return entry, 0.5, true
	case ev.Type == EventIntentDetected:
		var p struct {
			Intent string `json:"intent"`
		}
		if json.Unmarshal(ev.Payload, &p) != nil || p.Intent == "" {
			return entry, 0, false
		}
		entry.Text = "wanted: " + p.Intent
		return entry, 0.3, true
	case internalEvents[ev.Type]:
		return entry, 0, false
	}
	entry.Text = describeBusinessEvent(ev)
	return entry, 0.8, true
}

// describeBusinessEvent renders a business event as its name and its properties, "order_placed (order_id: A-1,
// total: 249)", properties sorted by name and cut short.
func describeBusinessEvent(ev journeystate.Event) string {
	var p struct {
		Properties map[string]any `json:"properties"`
	}
	_ = json.Unmarshal(ev.Payload, &p)
	if len(p.Properties) == 0 {
		return ev.Type
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(p.Properties)) {
		v := p.Properties[k]
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case nil:
			continue
		default:
			b, _ := json.Marshal(x)
			s = string(b)
		}
		parts = append(parts, k+": "+truncate(s, 80))
		if len(parts) == 12 {
			parts = append(parts, "…")
			break
		}
	}
	return ev.Type + " (" + strings.Join(parts, ", ") + ")"
}

// contentWords returns the lower-cased words of s with three letters or more, for a rough relevance measure.
func contentWords(s string) map[string]bool {
	out := map[string]bool{}
	for w := range strings.FieldsFuncSeq(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-'
	}) {
		if utf8.RuneCountInString(w) >= 3 && !stopWords[w] {
			out[w] = true
		}
	}
	return out
}

var stopWords = map[string]bool{
	"the": true, "and": true, "for": true, "you": true, "your": true, "are": true, "was": true, "with": true,
	"this": true, "that": true, "have": true, "has": true, "can": true, "what": true, "when": true, "where": true,
	"how": true, "not": true, "but": true, "from": true, "about": true, "wrote": true, "please": true,
}
