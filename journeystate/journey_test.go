package journeystate_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/journeybot/journeybot/journeystate"
)

// decodeStrict decodes YAML into v the way cmd decodes config.yaml's journey section: unknown keys refused.
func decodeStrict(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// testMap returns a fresh copy of testdata/journey.yaml, checked valid.
func testMap(t *testing.T) journeystate.JourneyMap {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "journey.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m journeystate.JourneyMap
	if err := decodeStrict(data, &m); err != nil {
		t.Fatalf("decode testdata/journey.yaml: %v", err)
	}
	if err := m.Validate(); err != nil {
		t.Fatalf("testdata/journey.yaml is not valid: %v", err)
	}
	return m
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// biz is a business event on the web at t0+at, with properties props (none when nil).
func biz(name string, at time.Duration, props map[string]any) journeystate.Event {
	payload, err := json.Marshal(journeystate.BusinessEventPayload{Properties: props})
	if err != nil {
		panic(err)
	}
	return journeystate.Event{Type: name, Channel: journeystate.ChannelWeb, Actor: journeystate.ActorSystem,
		Payload: payload, Time: t0.Add(at)}
}

// intent is an intent_detected event at t0+at.
func intent(name string, at time.Duration) journeystate.Event {
	payload, err := json.Marshal(journeystate.IntentPayload{Intent: name, Confidence: 0.9})
	if err != nil {
		panic(err)
	}
	return journeystate.Event{Type: journeystate.EventIntentDetected, Channel: journeystate.ChannelWeb,
		Actor: journeystate.ActorBot, Payload: payload, Time: t0.Add(at)}
}

// staged is a stage_changed event at t0+at, as Store.SetStage records it.
func staged(from, to, cause string, at time.Duration) journeystate.Event {
	payload, err := json.Marshal(journeystate.StageChangedPayload{From: from, To: to})
	if err != nil {
		panic(err)
	}
	return journeystate.Event{Type: journeystate.EventStageChanged, Actor: journeystate.ActorAgent, Cause: cause,
		Payload: payload, Time: t0.Add(at)}
}

// on returns e on another channel.
func on(channel string, e journeystate.Event) journeystate.Event {
	e.Channel = channel
	return e
}

const (
	hour = time.Hour
	day  = 24 * time.Hour
)

func TestDerive(t *testing.T) {
	// ping moves into "a" by itself and into "b" when it comes twice within an hour: the rule wins.
	rulesFirst := journeystate.JourneyMap{Stages: []journeystate.Stage{
		{Name: "a", EnterOn: journeystate.EnterOn{Events: []string{"ping"}}},
		{Name: "b", EnterOn: journeystate.EnterOn{Rules: []journeystate.Rule{
			{Event: "ping", Count: 2, Within: journeystate.Duration(hour)}}}},
	}}
	thermostat := map[string]any{"device": "thermostat"}
	tests := []struct {
		name      string
		m         *journeystate.JourneyMap // nil: testdata/journey.yaml
		log       []journeystate.Event
		wantStage string
		wantCause string
	}{
		{name: "empty log", log: nil},
		{name: "events of no trigger move nobody",
			log: []journeystate.Event{biz("message", 0, nil), biz("newsletter_opened", hour, nil)}},
		{name: "business event", log: []journeystate.Event{biz("page_viewed", 0, nil)},
			wantStage: "awareness", wantCause: "event page_viewed"},
		{name: "business event into the stage the customer is in changes nothing",
			log:       []journeystate.Event{biz("order_placed", 0, nil), biz("order_placed", day, nil)},
			wantStage: "purchase", wantCause: "event order_placed"},
		{name: "from keeps a page view from pulling a buyer back",
			log:       []journeystate.Event{biz("order_placed", 0, nil), biz("page_viewed", hour, nil)},
			wantStage: "purchase", wantCause: "event order_placed"},
		{name: "intent", log: []journeystate.Event{biz("page_viewed", 0, nil), intent("buying", hour)},
			wantStage: "consideration", wantCause: "intent buying"},
		{name: "intent no stage enters on", log: []journeystate.Event{intent("chit_chat", 0)}},
		{name: "intent unknown to the map", log: []journeystate.Event{intent("teleport", 0)}},
		{name: "intent with a payload of another shape",
			log: []journeystate.Event{{Type: journeystate.EventIntentDetected, Payload: json.RawMessage(`["buying"]`), Time: t0}}},
		{name: "intent blocked by from",
			log:       []journeystate.Event{biz("order_placed", 0, nil), intent("buying", hour)},
			wantStage: "purchase", wantCause: "event order_placed"},
		{name: "rule short of its count",
			log: []journeystate.Event{biz("viewed_pricing", 0, nil), biz("viewed_pricing", day, nil)}},
		{name: "rule reaches its count",
			log: []journeystate.Event{biz("viewed_pricing", 0, nil), biz("viewed_pricing", day, nil),
				biz("viewed_pricing", 2*day, nil)},
			wantStage: "consideration", wantCause: "rule viewed_pricing x3 in 7d"},
		{name: "rule window includes its start",
			log: []journeystate.Event{biz("viewed_pricing", 0, nil), biz("viewed_pricing", 3*day, nil),
				biz("viewed_pricing", 7*day, nil)},
			wantStage: "consideration", wantCause: "rule viewed_pricing x3 in 7d"},
		{name: "rule events spread over more than the window",
			log: []journeystate.Event{biz("viewed_pricing", 0, nil), biz("viewed_pricing", 3*day, nil),
				biz("viewed_pricing", 7*day+time.Second, nil)}},
		{name: "rule counts by event time, not log order",
			// Back-filled: the first row happened last. At the third row only two fall in its window.
			log: []journeystate.Event{biz("viewed_pricing", 10*day, nil), biz("viewed_pricing", 0, nil),
				biz("viewed_pricing", day, nil)}},
		{name: "rule counts a back-filled event within the window",
			log: []journeystate.Event{biz("viewed_pricing", 10*day, nil), biz("viewed_pricing", 0, nil),
				biz("viewed_pricing", day, nil), biz("viewed_pricing", 2*day, nil)},
			wantStage: "consideration", wantCause: "rule viewed_pricing x3 in 7d"},
		{name: "rule blocked by from",
			log: []journeystate.Event{biz("order_placed", 0, nil), biz("viewed_pricing", day, nil),
				biz("viewed_pricing", 2*day, nil), biz("viewed_pricing", 3*day, nil)},
			wantStage: "purchase", wantCause: "event order_placed"},
		{name: "rule with conditions met",
			log:       []journeystate.Event{biz("device_offline", 0, thermostat), biz("device_offline", hour, thermostat)},
			wantStage: "support", wantCause: "rule device_offline x2 in 1d"},
		{name: "rule does not count events that miss a condition",
			log: []journeystate.Event{biz("device_offline", 0, map[string]any{"device": "sensor"}),
				biz("device_offline", hour, thermostat)}},
		{name: "rule does not count events on a channel a condition excludes",
			log: []journeystate.Event{on(journeystate.ChannelSMS, biz("device_offline", 0, thermostat)),
				biz("device_offline", hour, thermostat)}},
		{name: "rule fires only on an event that matches it",
			log: []journeystate.Event{biz("device_offline", 0, thermostat), biz("device_offline", hour, thermostat),
				staged("support", "purchase", "agent: solved", 2*hour), biz("device_offline", 3*hour, nil)},
			wantStage: "purchase", wantCause: "agent: solved"},
		{name: "stage_changed sets the stage with its cause",
			log:       []journeystate.Event{biz("page_viewed", 0, nil), staged("awareness", "purchase", "agent: ordered by phone", hour)},
			wantStage: "purchase", wantCause: "agent: ordered by phone"},
		{name: "stage_changed to a stage the map no longer has",
			log:       []journeystate.Event{staged("", "legacy_trial", "", 0)},
			wantStage: "legacy_trial", wantCause: "stage_changed"},
		{name: "stage_changed with a payload of another shape is passed over",
			log: []journeystate.Event{biz("page_viewed", 0, nil),
				{Type: journeystate.EventStageChanged, Payload: json.RawMessage(`{"to": 7}`), Time: t0.Add(hour)}},
			wantStage: "awareness", wantCause: "event page_viewed"},
		{name: "triggers after a stage_changed apply from the new stage",
			log: []journeystate.Event{staged("", "purchase", "import", 0), biz("page_viewed", hour, nil),
				biz("ticket_opened", 2*hour, nil)},
			wantStage: "support", wantCause: "event ticket_opened"},
		{name: "a whole journey",
			log: []journeystate.Event{biz("page_viewed", 0, nil), biz("viewed_pricing", day, nil),
				biz("viewed_pricing", 2*day, nil), biz("viewed_pricing", 3*day, nil), biz("order_placed", 4*day, nil),
				intent("broken", 9*day)},
			wantStage: "support", wantCause: "intent broken"},
		{name: "rule wins over an event of another stage", m: &rulesFirst,
			log:       []journeystate.Event{biz("ping", 0, nil), biz("ping", 30*time.Minute, nil)},
			wantStage: "b", wantCause: "rule ping x2 in 1h"},
		{name: "event of another stage when the rule falls short", m: &rulesFirst,
			log:       []journeystate.Event{biz("ping", 0, nil)},
			wantStage: "a", wantCause: "event ping"},
		{name: "empty map follows stage_changed only", m: &journeystate.JourneyMap{},
			log:       []journeystate.Event{biz("page_viewed", 0, nil), staged("", "vip", "agent", hour), intent("buying", 2*hour)},
			wantStage: "vip", wantCause: "agent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMap(t)
			if tt.m != nil {
				m = *tt.m
				if err := m.Validate(); err != nil {
					t.Fatalf("the case's map is not valid: %v", err)
				}
			}
			stage, cause := m.Derive(tt.log)
			if stage != tt.wantStage || cause != tt.wantCause {
				t.Errorf("Derive = (%q, %q), want (%q, %q)", stage, cause, tt.wantStage, tt.wantCause)
			}
		})
	}
}

func TestNext(t *testing.T) {
	m := testMap(t)
	pricing := func(id string, at time.Duration) journeystate.Event {
		e := biz("viewed_pricing", at, nil)
		e.ID = id
		return e
	}
	tests := []struct {
		name    string
		current string
		e       journeystate.Event
		history []journeystate.Event
		want    string // "" for no move
		cause   string
	}{
		{name: "completes a rule", e: pricing("3", 2*day),
			history: []journeystate.Event{pricing("1", 0), pricing("2", day)},
			want:    "consideration", cause: "rule viewed_pricing x3 in 7d"},
		{name: "the event itself in history is not counted twice", e: pricing("3", 2*day),
			history: []journeystate.Event{pricing("1", 0), pricing("3", 2*day)}},
		{name: "history outside the window", e: pricing("3", 9*day),
			history: []journeystate.Event{pricing("1", 0), pricing("2", day)}},
		{name: "already in the stage", current: "consideration", e: pricing("3", 2*day),
			history: []journeystate.Event{pricing("1", 0), pricing("2", day)}},
		{name: "from a stage the map does not know", current: "legacy", e: biz("order_placed", 0, nil),
			want: "purchase", cause: "event order_placed"},
		{name: "stage_changed reports its move", current: "awareness", e: staged("awareness", "support", "model: asked", 0),
			want: "support", cause: "model: asked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to, cause, ok := m.Next(tt.current, tt.e, tt.history)
			if ok != (tt.want != "") || to != tt.want || cause != tt.cause {
				t.Errorf("Next = (%q, %q, %v), want (%q, %q, %v)", to, cause, ok, tt.want, tt.cause, tt.want != "")
			}
		})
	}
}

// TestNextAgreesWithDerive walks a log event by event, as the engine does, and checks that each step lands where
// Derive over the log so far does.
func TestNextAgreesWithDerive(t *testing.T) {
	m := testMap(t)
	thermostat := map[string]any{"device": "thermostat"}
	log := []journeystate.Event{
		biz("page_viewed", 0, nil), intent("chit_chat", hour), biz("viewed_pricing", day, nil),
		biz("viewed_pricing", 2*day, nil), biz("page_viewed", 2*day+hour, nil), biz("viewed_pricing", 3*day, nil),
		biz("order_placed", 4*day, nil), biz("device_offline", 5*day, thermostat), intent("buying", 5*day+hour),
		biz("device_offline", 5*day+2*hour, thermostat), staged("support", "purchase", "agent", 6*day),
		biz("ticket_opened", 8*day, nil),
	}
	var stage string
	var stages []string
	for i, e := range log {
		if to, _, ok := m.Next(stage, e, log[:i]); ok {
			stage = to
		}
		stages = append(stages, stage)
		if want, _ := m.Derive(log[:i+1]); stage != want {
			t.Errorf("after event %d (%s): Next walked to %q, Derive says %q", i+1, e.Type, stage, want)
		}
	}
	want := []string{"awareness", "awareness", "awareness", "awareness", "awareness", "consideration", "purchase",
		"purchase", "purchase", "support", "purchase", "support"}
	if diff := cmp.Diff(want, stages); diff != "" {
		t.Errorf("stages after each event (-want +got):\n%s", diff)
	}
}

func TestRuleConditions(t *testing.T) {
	str := func(s string) *string { return &s }
	yes, no := true, false
	tests := []struct {
		name    string
		where   []journeystate.Condition
		payload string
		channel string
		want    bool
	}{
		{"equals a string", []journeystate.Condition{{Field: "properties.plan", Equals: str("yearly")}},
			`{"properties": {"plan": "yearly"}}`, "web", true},
		{"equals another string", []journeystate.Condition{{Field: "properties.plan", Equals: str("yearly")}},
			`{"properties": {"plan": "monthly"}}`, "web", false},
		{"equals is case-sensitive", []journeystate.Condition{{Field: "properties.plan", Equals: str("yearly")}},
			`{"properties": {"plan": "Yearly"}}`, "web", false},
		{"equals an absent property", []journeystate.Condition{{Field: "properties.plan", Equals: str("yearly")}},
			`{"properties": {}}`, "web", false},
		{"equals a number", []journeystate.Condition{{Field: "properties.total", Equals: str("49")}},
			`{"properties": {"total": 49.0}}`, "web", true},
		{"equals another number", []journeystate.Condition{{Field: "properties.total", Equals: str("49")}},
			`{"properties": {"total": 49.5}}`, "web", false},
		{"equals a number written as a string", []journeystate.Condition{{Field: "properties.total", Equals: str("49")}},
			`{"properties": {"total": "49"}}`, "web", true},
		{"equals a boolean", []journeystate.Condition{{Field: "properties.gift", Equals: str("true")}},
			`{"properties": {"gift": true}}`, "web", true},
		{"equals the empty string", []journeystate.Condition{{Field: "properties.coupon", Equals: str("")}},
			`{"properties": {"coupon": ""}}`, "web", true},
		{"not_equals another value", []journeystate.Condition{{Field: "properties.plan", NotEquals: str("monthly")}},
			`{"properties": {"plan": "yearly"}}`, "web", true},
		{"not_equals the value", []journeystate.Condition{{Field: "properties.plan", NotEquals: str("monthly")}},
			`{"properties": {"plan": "monthly"}}`, "web", false},
		{"not_equals an absent property", []journeystate.Condition{{Field: "properties.plan", NotEquals: str("monthly")}},
			`{}`, "web", true},
		{"exists", []journeystate.Condition{{Field: "properties.coupon", Exists: &yes}},
			`{"properties": {"coupon": "SPRING"}}`, "web", true},
		{"exists, absent", []journeystate.Condition{{Field: "properties.coupon", Exists: &yes}},
			`{"properties": {"plan": "yearly"}}`, "web", false},
		{"null is absent", []journeystate.Condition{{Field: "properties.coupon", Exists: &yes}},
			`{"properties": {"coupon": null}}`, "web", false},
		{"exists false, absent", []journeystate.Condition{{Field: "properties.coupon", Exists: &no}},
			`{"properties": {}}`, "web", true},
		{"exists false, present", []journeystate.Condition{{Field: "properties.coupon", Exists: &no}},
			`{"properties": {"coupon": "SPRING"}}`, "web", false},
		{"a dotted name is one property", []journeystate.Condition{{Field: "properties.a.b", Equals: str("x")}},
			`{"properties": {"a.b": "x", "a": {"b": "y"}}}`, "web", true},
		{"channel", []journeystate.Condition{{Field: "channel", Equals: str("sms")}}, `{}`, "sms", true},
		{"actor", []journeystate.Condition{{Field: "actor", Equals: str("customer")}}, `{}`, "web", false},
		{"every condition must match", []journeystate.Condition{
			{Field: "properties.plan", Equals: str("yearly")}, {Field: "channel", Equals: str("sms")}},
			`{"properties": {"plan": "yearly"}}`, "web", false},
		{"properties that are not an object", []journeystate.Condition{{Field: "properties.plan", Exists: &no}},
			`{"properties": ["plan"]}`, "web", true},
		{"a payload that is not JSON", []journeystate.Condition{{Field: "properties.plan", Equals: str("yearly")}},
			`plan=yearly`, "web", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := journeystate.JourneyMap{Stages: []journeystate.Stage{{Name: "renewal", EnterOn: journeystate.EnterOn{
				Rules: []journeystate.Rule{{Event: "renewal_due", Count: 1, Within: journeystate.Duration(hour), Where: tt.where}},
			}}}}
			if err := m.Validate(); err != nil {
				t.Fatalf("the case's map is not valid: %v", err)
			}
			e := journeystate.Event{Type: "renewal_due", Channel: tt.channel, Actor: journeystate.ActorSystem,
				Payload: json.RawMessage(tt.payload), Time: t0}
			_, _, moved := m.Next("", e, nil)
			if moved != tt.want {
				t.Errorf("moved = %v, want %v", moved, tt.want)
			}
		})
	}
}

func TestCanMove(t *testing.T) {
	m := testMap(t)
	tests := []struct {
		from, to string
		want     bool
	}{
		{"", "awareness", true},      // starts path main
		{"", "purchase", true},       // starts path help
		{"", "consideration", false}, // starts no path
		{"awareness", "consideration", true},
		{"consideration", "purchase", true},
		{"awareness", "purchase", false}, // skips a stage
		{"consideration", "awareness", false},
		{"purchase", "support", true},
		{"support", "purchase", true},
		{"support", "support", true}, // staying is always along the map
		{"legacy", "legacy", false},  // but only in a stage of the map
		{"legacy", "awareness", false},
		{"awareness", "nowhere", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.from+"->"+tt.to, func(t *testing.T) {
			if got := m.CanMove(tt.from, tt.to); got != tt.want {
				t.Errorf("CanMove(%q, %q) = %v, want %v", tt.from, tt.to, got, tt.want)
			}
		})
	}
	if (journeystate.JourneyMap{}).CanMove("", "awareness") {
		t.Error("an empty map allows a move")
	}
}

func TestJourneyMapLookups(t *testing.T) {
	m := testMap(t)
	if diff := cmp.Diff([]string{"awareness", "consideration", "purchase", "support"}, m.StageNames()); diff != "" {
		t.Errorf("StageNames (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"buying", "broken", "chit_chat"}, m.IntentNames()); diff != "" {
		t.Errorf("IntentNames (-want +got):\n%s", diff)
	}
	if s, ok := m.Stage("awareness"); !ok || s.Description != "Looking around." {
		t.Errorf(`Stage("awareness") = %+v, %v`, s, ok)
	}
	if _, ok := m.Stage("nowhere"); ok {
		t.Error(`Stage("nowhere") found a stage`)
	}
	if got, want := m.MaxWindow(), 7*day; got != want {
		t.Errorf("MaxWindow = %s, want %s", got, want)
	}
	if got := (journeystate.JourneyMap{}).MaxWindow(); got != 0 {
		t.Errorf("MaxWindow of an empty map = %s, want 0", got)
	}
}

func TestValidate(t *testing.T) {
	type jm = journeystate.JourneyMap
	tests := []struct {
		name   string
		mutate func(m *jm)
		want   []string // substrings of the error, one problem each; none: valid
	}{
		{name: "the test map", mutate: func(*jm) {}},
		{name: "an empty map turns journeys off", mutate: func(m *jm) { *m = jm{} }},
		{name: "empty stage name", mutate: func(m *jm) { m.Stages = append(m.Stages, journeystate.Stage{}) },
			want: []string{"stage 5: name is empty"}},
		{name: "stage name not lower_snake", mutate: func(m *jm) { m.Stages[0].Name = "Awareness" },
			want: []string{`stage "Awareness": name must be a lower_snake identifier`,
				// the stage it renamed is now unknown where it is used
				`stage "consideration": enter_on.from: unknown stage "awareness"`,
				`path "main": unknown stage "awareness"`}},
		{name: "stage name with a trailing underscore", mutate: func(m *jm) { m.Stages[3].Name = "support_" },
			want: []string{`stage "support_": name must be a lower_snake identifier`,
				`path "help": unknown stage "support"`, `goal "helped": unknown stage "support"`}},
		{name: "duplicate stage", mutate: func(m *jm) { m.Stages = append(m.Stages, journeystate.Stage{Name: "purchase"}) },
			want: []string{`stage "purchase": name used twice`}},
		{name: "duplicate intent", mutate: func(m *jm) { m.Intents = append(m.Intents, m.Intents[0]) },
			want: []string{`intent "buying": name used twice`}},
		{name: "duplicate path", mutate: func(m *jm) { m.Paths = append(m.Paths, m.Paths[0]) },
			want: []string{`path "main": name used twice`}},
		{name: "duplicate goal", mutate: func(m *jm) { m.Goals = append(m.Goals, m.Goals[1]) },
			want: []string{`goal "helped": name used twice`}},
		{name: "bad path name", mutate: func(m *jm) { m.Paths[0].Name = "main path" },
			want: []string{`path "main path": name must be a lower_snake identifier`}},
		{name: "empty goal name", mutate: func(m *jm) { m.Goals[0].Name = "" },
			want: []string{"goal 1: name is empty"}},
		{name: "intent name with a dash", mutate: func(m *jm) { m.Intents[2].Name = "chit-chat" },
			want: []string{`intent "chit-chat": name must be a lower_snake identifier`}},
		{name: "intent without description", mutate: func(m *jm) { m.Intents[0].Description = " " },
			want: []string{`intent "buying": description is empty`}},
		{name: "empty intent phrase", mutate: func(m *jm) { m.Intents[1].Phrases = append(m.Intents[1].Phrases, "") },
			want: []string{`intent "broken": phrase 2 is empty`}},
		{name: "unknown stage in a path", mutate: func(m *jm) { m.Paths[0].Stages[2] = "purchse" },
			want: []string{`path "main": unknown stage "purchse"`}},
		{name: "path of one stage", mutate: func(m *jm) { m.Paths[1].Stages = []string{"support"} },
			want: []string{`path "help": has 1 stages, a path needs at least 2`}},
		{name: "path of no stage", mutate: func(m *jm) { m.Paths[1].Stages = nil },
			want: []string{`path "help": has 0 stages`}},
		{name: "path with a stage twice in a row", mutate: func(m *jm) {
			m.Paths[1].Stages = []string{"purchase", "support", "support"}
		}, want: []string{`path "help": stage "support" twice in a row`}},
		{name: "unknown stage in a goal", mutate: func(m *jm) { m.Goals[1].Stage = "suport" },
			want: []string{`goal "helped": unknown stage "suport"`}},
		{name: "goal with neither stage nor event", mutate: func(m *jm) { m.Goals[0].Event = "" },
			want: []string{`goal "bought": set stage or event`}},
		{name: "goal with both", mutate: func(m *jm) { m.Goals[0].Stage = "purchase" },
			want: []string{`goal "bought": set stage or event, not both`}},
		{name: "unknown intent in enter_on", mutate: func(m *jm) { m.Stages[1].EnterOn.Intents = []string{"buyng"} },
			want: []string{`stage "consideration": enter_on.intents: unknown intent "buyng"`}},
		{name: "event into two stages", mutate: func(m *jm) {
			m.Stages[3].EnterOn.Events = append(m.Stages[3].EnterOn.Events, "order_placed")
		}, want: []string{`stage "support": enter_on.events: event "order_placed" moves into stage "purchase" already`}},
		{name: "intent into two stages", mutate: func(m *jm) {
			m.Stages[2].EnterOn.Intents = []string{"broken"}
		}, want: []string{`stage "support": enter_on.intents: intent "broken" moves into stage "purchase" already`}},
		{name: "empty event name", mutate: func(m *jm) { m.Stages[2].EnterOn.Events = []string{""} },
			want: []string{`stage "purchase": enter_on.events: event name is empty`}},
		{name: "event name with a newline", mutate: func(m *jm) { m.Stages[2].EnterOn.Events = []string{"order\nplaced"} },
			want: []string{`stage "purchase": enter_on.events: event name "order\nplaced" holds a control character`}},
		{name: "journeybot's own event", mutate: func(m *jm) { m.Stages[2].EnterOn.Events = []string{"stage_changed"} },
			want: []string{`stage "purchase": enter_on.events: event "stage_changed" is journeybot's own`}},
		{name: "unknown stage in from", mutate: func(m *jm) { m.Stages[1].EnterOn.From = []string{"awarenes"} },
			want: []string{`stage "consideration": enter_on.from: unknown stage "awarenes"`}},
		{name: "rule without event", mutate: func(m *jm) { m.Stages[1].EnterOn.Rules[0].Event = "" },
			want: []string{`stage "consideration": enter_on.rules: rule 1: event is empty`}},
		{name: "rule count 0", mutate: func(m *jm) { m.Stages[1].EnterOn.Rules[0].Count = 0 },
			want: []string{`stage "consideration": enter_on.rules: rule "viewed_pricing": count is 0, must be at least 1`}},
		{name: "rule count negative", mutate: func(m *jm) { m.Stages[1].EnterOn.Rules[0].Count = -3 },
			want: []string{`rule "viewed_pricing": count is -3`}},
		{name: "rule without within", mutate: func(m *jm) { m.Stages[1].EnterOn.Rules[0].Within = 0 },
			want: []string{`rule "viewed_pricing": within is 0s, must be more than 0`}},
		{name: "rule on an unknown field", mutate: func(m *jm) { m.Stages[3].EnterOn.Rules[0].Where[0].Field = "props.device" },
			want: []string{`stage "support": enter_on.rules: rule "device_offline": where "props.device": unknown field "props.device": want properties.<name>, channel or actor`}},
		{name: "rule on a property without a name", mutate: func(m *jm) { m.Stages[3].EnterOn.Rules[0].Where[0].Field = "properties." },
			want: []string{`where "properties.": unknown field "properties."`}},
		{name: "rule on an empty field", mutate: func(m *jm) { m.Stages[3].EnterOn.Rules[0].Where[1].Field = "" },
			want: []string{`where 2: unknown field ""`}},
		{name: "condition without a test", mutate: func(m *jm) { m.Stages[3].EnterOn.Rules[0].Where[0].Equals = nil },
			want: []string{`where "properties.device": set exactly one of equals, not_equals and exists`}},
		{name: "condition with two tests", mutate: func(m *jm) {
			yes := true
			m.Stages[3].EnterOn.Rules[0].Where[0].Exists = &yes
		}, want: []string{`where "properties.device": set exactly one of equals, not_equals and exists`}},
		{name: "every problem at once", mutate: func(m *jm) {
			m.Paths[0].Stages[0] = "nowhere"
			m.Goals[0].Name = "bought"
			m.Goals[1].Name = "bought"
			m.Stages[1].EnterOn.Rules[0].Count = 0
		}, want: []string{`path "main": unknown stage "nowhere"`, `goal "bought": name used twice`, `count is 0`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMap(t)
			tt.mutate(&m)
			err := m.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want %q", tt.want)
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(tt.want) {
				t.Errorf("Validate found %d problems, want %d:\n%s", len(got), len(tt.want), err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %q\nwant it to say %q", err, w)
				}
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string // substring; "" for success
	}{
		{in: "7d", want: 7 * day},
		{in: "168h", want: 7 * day},
		{in: "1d12h", want: 36 * hour},
		{in: "1d30m", want: day + 30*time.Minute},
		{in: "90m", want: 90 * time.Minute},
		{in: "1.5h", want: 90 * time.Minute},
		{in: "0d", want: 0},
		{in: "0s", want: 0},
		{in: "106751d", want: 106751 * day},
		{in: "", wantErr: "empty duration"},
		{in: "-1h", wantErr: "must not be negative"},
		{in: "-7d", wantErr: "must not be negative"},
		{in: "1d-1h", wantErr: `want days then a Go duration`},
		{in: "7x", wantErr: `bad duration "7x"`},
		{in: "7", wantErr: `bad duration "7"`},
		{in: "d", wantErr: "want a whole number of days"},
		{in: "1.5d", wantErr: "want a whole number of days"},
		{in: "+7d", wantErr: "want a whole number of days"},
		{in: " 7d", wantErr: "want a whole number of days"},
		{in: "7dd", wantErr: "want days then a Go duration"},
		{in: "7d ", wantErr: "want days then a Go duration"},
		{in: "106752d", wantErr: "too long"},
		{in: "99999999999999999999d", wantErr: "too long"},
		{in: "106751d24h", wantErr: "too long"},
		{in: "9999999999999h", wantErr: `bad duration "9999999999999h"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := journeystate.ParseDuration(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseDuration(%q) = %s, %v; want an error saying %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || time.Duration(got) != tt.want {
				t.Fatalf("ParseDuration(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
			}
			back, err := journeystate.ParseDuration(got.String())
			if err != nil || back != got {
				t.Errorf("ParseDuration(%q) = %s, %v; want it to read its String back", got.String(), back, err)
			}
		})
	}
}

func TestDurationString(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{7 * day, "7d"},
		{36 * hour, "1d12h"},
		{90 * time.Minute, "1h30m"},
		{2 * hour, "2h"},
		{day + time.Second, "1d1s"},
		{1500 * time.Millisecond, "1.5s"},
		{0, "0s"},
	}
	for _, tt := range tests {
		if got := journeystate.Duration(tt.d).String(); got != tt.want {
			t.Errorf("Duration(%v).String() = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestDurationYAML(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		want    time.Duration
		wantErr string
	}{
		{name: "days", yaml: "within: 7d", want: 7 * day},
		{name: "quoted", yaml: `within: "24h"`, want: day},
		{name: "a bare number has no unit", yaml: "within: 7", wantErr: `bad duration "7"`},
		{name: "negative", yaml: "within: -1h", wantErr: "must not be negative"},
		{name: "a list", yaml: "within: [7d]", wantErr: "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r journeystate.Rule
			err := decodeStrict([]byte(tt.yaml), &r)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("decode %q: %v, want an error saying %q", tt.yaml, err, tt.wantErr)
				}
				return
			}
			if err != nil || time.Duration(r.Within) != tt.want {
				t.Fatalf("decode %q: within %s, %v; want %s", tt.yaml, r.Within, err, tt.want)
			}
		})
	}
}

// TestJourneyMapYAMLKeys checks that the map's YAML keys are the snake_case ones config.yaml documents, and that a
// misspelt key is refused rather than ignored.
func TestJourneyMapYAMLKeys(t *testing.T) {
	const doc = `
stages:
  - name: renewal
    enter_on:
      rules:
        - event: renewal_due
          count: 1
          within: 1d
          where:
            - field: properties.plan
              not_equals: monthly
      from: [""]
`
	var m journeystate.JourneyMap
	if err := decodeStrict([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	monthly := "monthly"
	want := journeystate.JourneyMap{Stages: []journeystate.Stage{{Name: "renewal", EnterOn: journeystate.EnterOn{
		Rules: []journeystate.Rule{{Event: "renewal_due", Count: 1, Within: journeystate.Duration(day),
			Where: []journeystate.Condition{{Field: "properties.plan", NotEquals: &monthly}}}},
		From: []string{""},
	}}}}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("decoded map (-want +got):\n%s", diff)
	}
	// YAML numbers and booleans are values to compare as text: "equals: 49" is "49", not an error.
	var c journeystate.Condition
	if err := decodeStrict([]byte("field: properties.total\nequals: 49\n"), &c); err != nil || c.Equals == nil || *c.Equals != "49" {
		t.Errorf("equals: 49 decoded as %v, %v; want \"49\"", c.Equals, err)
	}
	err := decodeStrict([]byte("stages:\n  - name: renewal\n    enter-on: {}\n"), &m)
	if err == nil || !strings.Contains(err.Error(), "enter-on") {
		t.Errorf("a misspelt key decoded with %v, want an error naming it", err)
	}
}

func TestValidateRefusesEventNamesThatNeverMatch(t *testing.T) {
	m := journeystate.JourneyMap{Stages: []journeystate.Stage{{Name: "purchase", Description: "Bought.",
		EnterOn: journeystate.EnterOn{Events: []string{"Order Completed"}}}}}
	err := m.Validate()
	if err == nil || !strings.Contains(err.Error(), `"order_completed"`) {
		t.Errorf("Validate() = %v, want a refusal naming the stored form", err)
	}
	for in, want := range map[string]string{"Order Completed": "order_completed", "orderCompleted": "order_completed",
		"order-completed": "order_completed", "HTTPRequest": "http_request", "  ": "", "v2 Signup": "v2_signup"} {
		if got := journeystate.NormalizeEventName(in); got != want {
			t.Errorf("NormalizeEventName(%q) = %q, want %q", in, got, want)
		}
	}
}
