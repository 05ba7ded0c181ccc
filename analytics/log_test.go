package analytics

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/journeybot/journeybot/journeystate"
)

// render writes a trace as "c1: awareness@0 consideration@10 ...", minutes after the trace's start.
func render(t Trace) string {
	var b strings.Builder
	b.WriteString(t.CaseID + ":")
	for _, s := range t.Steps {
		fmt.Fprintf(&b, " %s@%g", s.Activity, s.Time.Sub(t.Start()).Minutes())
	}
	return b.String()
}

func renderAll(ts []Trace) []string {
	var out []string
	for _, t := range ts {
		out = append(out, render(t))
	}
	return out
}

func TestFromEventsGolden(t *testing.T) {
	log := goldenLog()
	want := []string{
		"c1: awareness@0 consideration@10 order_placed@30 purchase@30 onboarding@90",
		"c2: awareness@0 order_placed@20 purchase@20",
		"c3: awareness@0 consideration@30 awareness@40",
		"c4: consideration@0 order_placed@50 purchase@60",
		"c5: awareness@0 onboarding@120 device_activated@130",
		"c6: awareness@0 onboarding@60 device_activated@80",
	}
	if diff := cmp.Diff(want, renderAll(log)); diff != "" {
		t.Fatalf("traces (-want +got):\n%s", diff)
	}
	intents := map[string][]string{}
	handoffs := map[string]int{}
	for _, tr := range log {
		intents[tr.CaseID] = tr.Intents
		handoffs[tr.CaseID] = tr.Handoffs
	}
	wantIntents := map[string][]string{
		"c1": {"buying"}, "c3": {"product_question", "buying", "product_question"},
		"c4": {"order_status", "buying", "buying"}, "c2": nil, "c5": nil, "c6": nil,
	}
	if diff := cmp.Diff(wantIntents, intents); diff != "" {
		t.Errorf("intents (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"c3": 2, "c5": 1, "c1": 0, "c2": 0, "c4": 0, "c6": 0}, handoffs); diff != "" {
		t.Errorf("hand-offs (-want +got):\n%s", diff)
	}
	if got := log[0].Steps[1]; got.Kind != KindStage || got.Channel != "web" || got.Seq == 0 {
		t.Errorf("c1 step 1 = %+v, want a stage step on web with its Seq", got)
	}
	if got := log[0].Steps[2].Kind; got != KindEvent {
		t.Errorf("order_placed kind = %q, want %q", got, KindEvent)
	}
}

func TestFromEventsOptions(t *testing.T) {
	tests := []struct {
		name string
		opts LogOptions
		want []string
	}{
		{"stages only", LogOptions{Events: []string{}}, []string{
			"c3: awareness@0 consideration@30 awareness@40",
			"c5: awareness@0 onboarding@120",
		}},
		{"one business event and hand-offs", LogOptions{Events: []string{"device_activated"}, Handoffs: true}, []string{
			"c3: awareness@0 consideration@30 handoff@35 handoff@36 awareness@40",
			"c5: awareness@0 onboarding@120 handoff@125 device_activated@130",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, tr := range FromEvents(goldenEvents(), tt.opts) {
				if tr.CaseID == "c3" || tr.CaseID == "c5" {
					got = append(got, render(tr))
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// The streaming builder gives what FromEvents gives, event by event, and starts again after Traces.
func TestLogBuilderStreams(t *testing.T) {
	b := NewLogBuilder(LogOptions{})
	for _, ev := range goldenEvents() {
		b.Add(ev)
	}
	if diff := cmp.Diff(goldenLog(), b.Traces()); diff != "" {
		t.Errorf("builder vs FromEvents (-want +got):\n%s", diff)
	}
	if got := b.Traces(); len(got) != 0 {
		t.Errorf("after Traces the builder holds %d traces, want 0", len(got))
	}
}

func TestFromEventsHostile(t *testing.T) {
	at := t0
	stage := func(cust, to string, seq int64, at time.Time) journeystate.Event {
		p, _ := json.Marshal(journeystate.StageChangedPayload{To: to})
		return journeystate.Event{CustomerID: cust, Seq: seq, Type: journeystate.EventStageChanged, Payload: p, Time: at}
	}
	huge := strings.Repeat("x", 1<<20)
	events := []journeystate.Event{
		{CustomerID: "", Type: "order_placed", Time: at},                                        // no customer
		{CustomerID: "a", Type: journeystate.EventStageChanged, Payload: []byte(`{`), Time: at}, // bad JSON
		{CustomerID: "a", Type: journeystate.EventStageChanged, Payload: []byte(`{"from":"x"}`)},
		{CustomerID: "a", Type: journeystate.EventIntentDetected, Payload: []byte(`[1]`)},
		{CustomerID: "a", Type: journeystate.EventIntentDetected, Payload: nil},
		{CustomerID: "a", Type: "", Time: at},                           // no type
		{CustomerID: "b", Type: "message", Time: at},                    // bookkeeping only: no trace
		stage("c", "nowhere", 3, at),                                    // an unknown stage is still a step
		stage("c", "awareness", 2, at),                                  // identical times: Seq decides
		stage("c", "awareness", 1, at),                                  // ... and a repeat stays a step
		{CustomerID: "c", Seq: 9, Type: huge, Time: at.Add(-time.Hour)}, // before all, huge name
	}
	got := renderAll(FromEvents(events, LogOptions{}))
	want := []string{"c: " + huge + "@0 awareness@60 awareness@60 nowhere@60"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%.2000s", diff)
	}
	if got := FromEvents(nil, LogOptions{}); len(got) != 0 {
		t.Errorf("empty log gave %d traces", len(got))
	}
}

// The payload fast paths read what encoding/json reads, for the store's own form and for every other.
func TestPayloadFastPaths(t *testing.T) {
	stages := []string{
		`{"from":"","to":"awareness"}`, `{"from":"a","to":"b"}`, `{"to":"b","from":"a"}`, `{"from": "a", "to": "b"}`,
		`{"from":"a","to":"b\"c"}`, `{"from":"a\\","to":"b"}`, `{"from":"a","to":"\u00fc"}`, `{"from":"a","to":"b","x":1}`,
		`{"from":"a","to":"b"} `, `{"from":"a","to":"b"`, `{"from":"a","to":"b","to":"c"}`, `{"from":"a","to":"tab	"}`,
		`{"from":"a","to":""}`, `{}`, `null`, ``, `[]`, `{"from":"a","to":"ü"}`,
		"{\"from\":\"a\",\"to\":\"\xff\"}",
	}
	for _, p := range stages {
		var want journeystate.StageChangedPayload
		if err := json.Unmarshal([]byte(p), &want); err != nil {
			want.To = ""
		}
		if got := string(stageTo([]byte(p))); got != want.To {
			t.Errorf("stageTo(%s) = %q, want %q", p, got, want.To)
		}
	}
	intents := []string{
		`{"intent":"buying"}`, `{"intent":"buying","confidence":0.9}`, `{"intent":"buying","confidence":x}`,
		`{"intent":"buying","confidence":1,"intent":"other"}`, `{"intent":"a\"b"}`, `{"confidence":1,"intent":"b"}`,
		`{"intent":"buying","confidence":1e3}`, `{"intent":""}`, `{"intent":3}`, `nope`,
	}
	for _, p := range intents {
		var want journeystate.IntentPayload
		if err := json.Unmarshal([]byte(p), &want); err != nil {
			want.Intent = ""
		}
		if got := string(intentOf([]byte(p))); got != want.Intent {
			t.Errorf("intentOf(%s) = %q, want %q", p, got, want.Intent)
		}
	}
}
