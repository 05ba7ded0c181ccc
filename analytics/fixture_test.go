package analytics

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// The golden log: six customers over a four-stage map, small enough to work out by hand. The expectations in the
// tests below were computed on paper from this picture, not by running the code.
//
// The map (testMap): stages awareness (aw), consideration (co), purchase (pu), onboarding (on); desired paths
//
//	researched: aw → co → pu → on
//	quick:      aw → pu → on
//
// so the footprint allows: start→aw; aw→co, co→pu, pu→on, aw→pu. Only onboarding ends a path. One goal: the
// business event device_activated.
//
// The cases, times in minutes after the case's start; c1 starts on day 0, c2 day 1, c3 day 2, c4 day 3, c5 day 4,
// c6 day 6 (all at 09:00 UTC). "op" is the business event order_placed, "da" device_activated. Where two steps
// share a time the one with the lower Seq comes first (order_placed is appended before the stage change it causes).
//
//	c1: aw 0, co 10, op 30, pu 30, on 90                 (also: a message and a bot_turn, which are not activities)
//	c2: aw 0, op 20, pu 20
//	c3: aw 0, co 30, aw 40                               (2 hand-offs at 35 and 36; intents pq, buying, pq)
//	c4: co 0, op 50, pu 60                               (intents order_status, buying, buying)
//	c5: aw 0, on 120, da 130                             (1 hand-off at 125, not a step by default)
//	c6: aw 0, on 60, da 80
//
// c1 has the intent buying. The events are shuffled before they are read, so the builder must sort them.
var testMap = journeystate.JourneyMap{
	Stages: []journeystate.Stage{{Name: "awareness"}, {Name: "consideration"}, {Name: "purchase"}, {Name: "onboarding"}},
	Paths: []journeystate.Path{
		{Name: "researched", Stages: []string{"awareness", "consideration", "purchase", "onboarding"}},
		{Name: "quick", Stages: []string{"awareness", "purchase", "onboarding"}},
	},
	Goals: []journeystate.Goal{{Name: "activated", Event: "device_activated"}},
}

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

func day(n int) time.Time { return t0.AddDate(0, 0, n) }

// logWriter appends events the way the store does: Seq rises with every append.
type logWriter struct {
	events []journeystate.Event
	seq    int64
}

func (w *logWriter) add(cust string, at time.Time, typ string, payload any) {
	w.seq++
	var raw json.RawMessage
	if payload != nil {
		raw, _ = json.Marshal(payload)
	}
	w.events = append(w.events, journeystate.Event{
		ID: fmt.Sprint("e", w.seq), Seq: w.seq, CustomerID: cust, Type: typ, Channel: journeystate.ChannelWeb,
		Actor: journeystate.ActorSystem, Payload: raw, Time: at,
	})
}

// stage appends the stage change of cust into to, min minutes after start.
func (w *logWriter) stage(cust string, start time.Time, min int, from, to string) {
	w.add(cust, start.Add(time.Duration(min)*time.Minute), journeystate.EventStageChanged,
		journeystate.StageChangedPayload{From: from, To: to})
}

func (w *logWriter) event(cust string, start time.Time, min int, typ string) {
	w.add(cust, start.Add(time.Duration(min)*time.Minute), typ, nil)
}

func (w *logWriter) intent(cust string, start time.Time, min int, name string) {
	w.add(cust, start.Add(time.Duration(min)*time.Minute), journeystate.EventIntentDetected,
		journeystate.IntentPayload{Intent: name})
}

// goldenEvents returns the golden log's events, shuffled.
func goldenEvents() []journeystate.Event {
	var w logWriter
	s := day(0)
	w.stage("c1", s, 0, "", "awareness")
	w.intent("c1", s, 5, "buying")
	w.add("c1", s.Add(6*time.Minute), "message", map[string]string{"text": "hi"})
	w.event("c1", s, 7, "bot_turn")
	w.stage("c1", s, 10, "awareness", "consideration")
	w.event("c1", s, 30, "order_placed")
	w.stage("c1", s, 30, "consideration", "purchase")
	w.stage("c1", s, 90, "purchase", "onboarding")

	s = day(1)
	w.stage("c2", s, 0, "", "awareness")
	w.event("c2", s, 20, "order_placed")
	w.stage("c2", s, 20, "awareness", "purchase")

	s = day(2)
	w.stage("c3", s, 0, "", "awareness")
	w.intent("c3", s, 1, "product_question")
	w.stage("c3", s, 30, "awareness", "consideration")
	w.intent("c3", s, 31, "buying")
	w.event("c3", s, 35, EventHandoff)
	w.event("c3", s, 35, "owner_changed")
	w.event("c3", s, 36, EventHandoff)
	w.intent("c3", s, 38, "product_question")
	w.stage("c3", s, 40, "consideration", "awareness")

	s = day(3)
	w.stage("c4", s, 0, "", "consideration")
	w.intent("c4", s, 1, "order_status")
	w.intent("c4", s, 2, "buying")
	w.intent("c4", s, 3, "buying")
	w.event("c4", s, 50, "order_placed")
	w.stage("c4", s, 60, "consideration", "purchase")

	s = day(4)
	w.stage("c5", s, 0, "", "awareness")
	w.stage("c5", s, 120, "awareness", "onboarding")
	w.event("c5", s, 125, EventHandoff)
	w.event("c5", s, 130, "device_activated")

	s = day(6)
	w.stage("c6", s, 0, "", "awareness")
	w.stage("c6", s, 60, "awareness", "onboarding")
	w.event("c6", s, 80, "device_activated")

	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(w.events), func(i, j int) { w.events[i], w.events[j] = w.events[j], w.events[i] })
	return w.events
}

func goldenLog() []Trace { return FromEvents(goldenEvents(), LogOptions{}) }

func mins(n float64) time.Duration { return time.Duration(n * float64(time.Minute)) }
