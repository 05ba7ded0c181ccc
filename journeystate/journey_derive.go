package journeystate

// Deriving a customer's journey stage from the journey log.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// BusinessEventPayload is the Payload of a business event: an Event whose Type is the event's name ("order_placed").
// Properties are what the company's systems sent, any JSON object; nil (no "properties" key, or no payload at all)
// when there are none. A payload of another shape counts as having no properties; other top-level keys are ignored
// by the journey map.
type BusinessEventPayload struct {
	Properties map[string]any `json:"properties,omitempty"`
}

// IntentPayload is the Payload of an EventIntentDetected event. Confidence is optional (0 to 1) and informative:
// the journey map moves on any detected intent.
type IntentPayload struct {
	Intent     string  `json:"intent"`
	Confidence float64 `json:"confidence,omitempty"`
}

// StageChangedPayload is the Payload of an EventStageChanged event, as Store.SetStage records it.
type StageChangedPayload struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Derive returns the stage a customer is in after the events of their journey log, oldest first (by Seq), and the
// cause of the move into it; "" and "" when nothing moved them. It walks the log applying Next to each event with
// the events before it, so that Derive(log) and a series of Next calls agree.
func (m JourneyMap) Derive(events []Event) (stage, cause string) {
	w := newWalker(m)
	for _, e := range events {
		if to, c, ok := w.step(stage, e); ok {
			stage, cause = to, c
		}
	}
	return stage, cause
}

// Next returns the stage event e moves a customer in stage current into, and the cause to record, with ok true; or
// ok false when e moves nobody or the customer is in that stage already. history holds the customer's events before
// e, oldest first; it needs to reach back MaxWindow before e.Time. An event in history with e's ID (when e has one)
// is skipped, so the log as read back after appending e may be passed as it is.
//
// What moves a customer, for an event e:
//   - a "stage_changed" event moves into its payload's "to", with the event's Cause: it is the record of a move,
//     which a caller must not record again (the stage need not be in the map, which may have changed since);
//   - an "intent_detected" event with payload {"intent": name} moves into the stage whose enter_on.intents holds
//     the name, with cause "intent <name>";
//   - a business event moves into the stage of the first rule, in map order, that it completes: its type is the
//     rule's event, it matches the rule's conditions, and with the matching events of history it makes Count
//     events at times within Within up to e.Time (cause "rule <event> x<count> in <within>"); failing that, into
//     the stage whose enter_on.events holds its type (cause "event <type>").
//
// A stage's enter_on.from limits all of its triggers: a trigger whose stage does not admit current is passed over
// for the next one. Events of other types ("message", "bot_turn") move nobody unless a rule or enter_on.events
// names them.
func (m JourneyMap) Next(current string, e Event, history []Event) (to, cause string, ok bool) {
	w := newWalker(m)
	for _, h := range history {
		if e.ID != "" && h.ID == e.ID {
			continue
		}
		w.observe(h)
	}
	return w.step(current, e)
}

// walker walks a journey log: per rule of the map, it keeps the times of the events seen so far that match it.
type walker struct {
	m     JourneyMap
	rules []stageRule
	times [][]time.Time // times[i]: events matching rules[i]
}

// stageRule is a rule with the stage it moves into.
type stageRule struct {
	stage *Stage
	rule  *Rule
}

func newWalker(m JourneyMap) *walker {
	w := &walker{m: m}
	for i := range m.Stages {
		s := &m.Stages[i]
		for j := range s.EnterOn.Rules {
			w.rules = append(w.rules, stageRule{stage: s, rule: &s.EnterOn.Rules[j]})
		}
	}
	w.times = make([][]time.Time, len(w.rules))
	return w
}

// observe records e for the rules it matches and returns their indexes.
func (w *walker) observe(e Event) []int {
	var matched []int
	var props map[string]json.RawMessage
	parsed := false
	for i, sr := range w.rules {
		if sr.rule.Event != e.Type {
			continue
		}
		if !parsed {
			props, parsed = properties(e), true
		}
		if conditionsMatch(sr.rule.Where, e, props) {
			w.times[i] = append(w.times[i], e.Time)
			matched = append(matched, i)
		}
	}
	return matched
}

// step observes e and returns the move it makes from current (see Next).
func (w *walker) step(current string, e Event) (to, cause string, ok bool) {
	matched := w.observe(e)
	switch e.Type {
	case EventStageChanged:
		var p StageChangedPayload
		if json.Unmarshal(e.Payload, &p) != nil || p.To == "" || p.To == current {
			return "", "", false
		}
		cause := e.Cause
		if cause == "" {
			cause = EventStageChanged
		}
		return p.To, cause, true
	case EventIntentDetected:
		var p IntentPayload
		if json.Unmarshal(e.Payload, &p) != nil || p.Intent == "" {
			return "", "", false
		}
		for i := range w.m.Stages {
			s := &w.m.Stages[i]
			if slices.Contains(s.EnterOn.Intents, p.Intent) && admits(s, current) {
				return enter(s, current, "intent "+p.Intent)
			}
		}
		return "", "", false
	}
	for _, i := range matched {
		sr := w.rules[i]
		if admits(sr.stage, current) && countWithin(w.times[i], e.Time, time.Duration(sr.rule.Within)) >= sr.rule.Count {
			return enter(sr.stage, current, fmt.Sprintf("rule %s x%d in %s", sr.rule.Event, sr.rule.Count, sr.rule.Within))
		}
	}
	for i := range w.m.Stages {
		s := &w.m.Stages[i]
		if slices.Contains(s.EnterOn.Events, e.Type) && admits(s, current) {
			return enter(s, current, "event "+e.Type)
		}
	}
	return "", "", false
}

// enter is the move into s, none when the customer is there already.
func enter(s *Stage, current, cause string) (to, c string, ok bool) {
	if s.Name == current {
		return "", "", false
	}
	return s.Name, cause, true
}

// admits reports whether s's triggers apply to a customer in stage current (enter_on.from).
func admits(s *Stage, current string) bool {
	return len(s.EnterOn.From) == 0 || slices.Contains(s.EnterOn.From, current)
}

// countWithin counts the times in [end-within, end].
func countWithin(times []time.Time, end time.Time, within time.Duration) int {
	start := end.Add(-within)
	n := 0
	for _, t := range times {
		if !t.Before(start) && !t.After(end) {
			n++
		}
	}
	return n
}

// properties returns a business event's properties (see BusinessEventPayload), nil when it has none.
func properties(e Event) map[string]json.RawMessage {
	var p struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if json.Unmarshal(e.Payload, &p) != nil {
		return nil
	}
	return p.Properties
}

// conditionsMatch reports whether e matches every condition.
func conditionsMatch(where []Condition, e Event, props map[string]json.RawMessage) bool {
	for _, c := range where {
		if !c.matches(e, props) {
			return false
		}
	}
	return true
}

func (c Condition) matches(e Event, props map[string]json.RawMessage) bool {
	v, present := c.value(e, props)
	switch {
	case c.Exists != nil:
		return present == *c.Exists
	case c.Equals != nil:
		return present && v.equal(*c.Equals)
	case c.NotEquals != nil:
		return !present || !v.equal(*c.NotEquals)
	}
	return false // Validate refuses a condition without a test
}

// fieldValue is the value of an event field a condition tests.
type fieldValue struct {
	text   string
	number bool // text is a JSON number
}

// value returns the field c tests in e, and whether it is present.
func (c Condition) value(e Event, props map[string]json.RawMessage) (fieldValue, bool) {
	switch c.Field {
	case "channel":
		return fieldValue{text: e.Channel}, e.Channel != ""
	case "actor":
		return fieldValue{text: string(e.Actor)}, e.Actor != ""
	}
	name, ok := strings.CutPrefix(c.Field, "properties.")
	if !ok {
		return fieldValue{}, false // Validate refuses other fields
	}
	raw, ok := props[name]
	if !ok || string(raw) == "null" || len(raw) == 0 {
		return fieldValue{}, false
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return fieldValue{}, false
		}
		return fieldValue{text: s}, true
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return fieldValue{text: string(raw), number: true}, true
	}
	return fieldValue{text: string(raw)}, true
}

func (v fieldValue) equal(want string) bool {
	if v.number {
		a, errA := strconv.ParseFloat(v.text, 64)
		b, errB := strconv.ParseFloat(want, 64)
		if errA == nil && errB == nil {
			return a == b
		}
	}
	return v.text == want
}
