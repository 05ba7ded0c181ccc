package analytics

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// demoMap is config.yaml's journey map, stages and paths (what mining reads of it).
var demoMap = journeystate.JourneyMap{
	Stages: []journeystate.Stage{{Name: "awareness"}, {Name: "consideration"}, {Name: "purchase"},
		{Name: "onboarding"}, {Name: "support"}, {Name: "renewal"}},
	Paths: []journeystate.Path{
		{Name: "researched_purchase", Stages: []string{"awareness", "consideration", "purchase", "onboarding"}},
		{Name: "quick_purchase", Stages: []string{"awareness", "purchase", "onboarding"}},
		{Name: "smooth_ownership", Stages: []string{"onboarding", "renewal"}},
		{Name: "supported_ownership", Stages: []string{"onboarding", "support", "renewal"}},
		{Name: "more_devices", Stages: []string{"renewal", "purchase"}},
	},
	Goals: []journeystate.Goal{{Name: "first_purchase", Stage: "purchase"},
		{Name: "device_activated", Event: "device_activated"}, {Name: "plus_renewed", Event: "subscription_renewed"}},
}

// stageEvents are the business events customers in each demo stage send; eleven names, which with the six stages and
// "handoff" make an alphabet of 18 activities.
var stageEvents = map[string][]string{
	"awareness":     {"page_viewed", "viewed_pricing"},
	"consideration": {"viewed_pricing", "compatibility_checked", "cart_started"},
	"purchase":      {"order_placed"},
	"onboarding":    {"order_delivered", "device_activated"},
	"support":       {"support_ticket_opened", "device_offline"},
	"renewal":       {"trial_ending", "subscription_renewed"},
}

// synthLog returns customers×perCustomer events of realistic journeys on demoMap, in the order a store would
// stream them (by time, all customers interleaved), with Seq set. Journeys mostly follow the desired paths (85% of
// stage moves), the rest jump anywhere; about a third of the events are stage changes, the rest business events,
// messages, intents and hand-offs.
func synthLog(customers, perCustomer int) []journeystate.Event {
	r := rand.New(rand.NewPCG(7, 11))
	fp := newFootprint(demoMap)
	names := fp.names
	payload := map[[2]string]json.RawMessage{}
	stagePayload := func(from, to string) json.RawMessage {
		k := [2]string{from, to}
		if p, ok := payload[k]; ok {
			return p
		}
		p, _ := json.Marshal(journeystate.StageChangedPayload{From: from, To: to})
		payload[k] = p
		return p
	}
	intents := []json.RawMessage{
		json.RawMessage(`{"intent":"buying"}`), json.RawMessage(`{"intent":"installation_help"}`),
		json.RawMessage(`{"intent":"troubleshooting"}`), json.RawMessage(`{"intent":"product_question"}`),
	}
	message := json.RawMessage(`{"text":"hello, is this compatible with my furnace?"}`)
	handoff := json.RawMessage(`{"trigger":"customer_request","stage":"support","reason":"asked for a person"}`)
	channels := []string{journeystate.ChannelWeb, journeystate.ChannelSlack, journeystate.ChannelSMS}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	events := make([]journeystate.Event, 0, customers*perCustomer)
	for c := range customers {
		id := fmt.Sprintf("cust-%07d", c)
		at := start.Add(time.Duration(r.Int64N(int64(90 * 24 * time.Hour))))
		ch := channels[r.IntN(len(channels))]
		stage := int32(noStage)
		for range perCustomer {
			at = at.Add(time.Duration(1+r.Int64N(int64(48*time.Hour/time.Minute))) * time.Minute)
			ev := journeystate.Event{CustomerID: id, Channel: ch, Actor: journeystate.ActorSystem, Time: at}
			switch x := r.Float64(); {
			case x < 0.35 || stage == noStage:
				next := int32(r.IntN(len(names)))
				if r.Float64() < 0.85 {
					var allowed []int32
					for s := range int32(len(names)) {
						if fp.allows(stage, s) {
							allowed = append(allowed, s)
						}
					}
					if len(allowed) > 0 {
						next = allowed[r.IntN(len(allowed))]
					}
				}
				from := ""
				if stage != noStage {
					from = names[stage]
				}
				ev.Type, ev.Payload = journeystate.EventStageChanged, stagePayload(from, names[next])
				stage = next
			case x < 0.75:
				evs := stageEvents[names[stage]]
				ev.Type = evs[r.IntN(len(evs))]
			case x < 0.85:
				ev.Type, ev.Payload, ev.Actor = "message", message, journeystate.ActorCustomer
			case x < 0.95:
				ev.Type, ev.Payload = journeystate.EventIntentDetected, intents[r.IntN(len(intents))]
			default:
				ev.Type, ev.Payload = EventHandoff, handoff
			}
			events = append(events, ev)
		}
	}
	slices.SortFunc(events, func(a, b journeystate.Event) int { return a.Time.Compare(b.Time) })
	for i := range events {
		events[i].Seq = int64(i + 1)
	}
	return events
}

// BenchmarkMine1M mines a million events (100,000 customers × 10): building the log, the directly-follows graph,
// the variants and conformance against the demo map. The target (DESIGN.md) is ≤ 5 s on a 2-core machine.
func BenchmarkMine1M(b *testing.B) {
	events := synthLog(100_000, 10)
	b.ResetTimer()
	for b.Loop() {
		traces := FromEvents(events, LogOptions{Handoffs: true})
		g := DFG(traces)
		vs := Variants(traces)
		rep := Conformance(traces, demoMap, nil)
		if g.Cases == 0 || len(vs) == 0 || rep.Cases == 0 {
			b.Fatal("nothing mined")
		}
	}
	b.ReportMetric(float64(len(events))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// The stages of the mining, one by one, on the same log.
func BenchmarkMineStages(b *testing.B) {
	events := synthLog(100_000, 10)
	traces := FromEvents(events, LogOptions{Handoffs: true})
	b.Run("FromEvents", func(b *testing.B) {
		for b.Loop() {
			FromEvents(events, LogOptions{Handoffs: true})
		}
	})
	b.Run("DFG", func(b *testing.B) {
		for b.Loop() {
			DFG(traces)
		}
	})
	b.Run("Variants", func(b *testing.B) {
		for b.Loop() {
			Variants(traces)
		}
	})
	b.Run("Conformance", func(b *testing.B) {
		for b.Loop() {
			Conformance(traces, demoMap, nil)
		}
	})
	b.Run("StagePaths", func(b *testing.B) {
		for b.Loop() {
			StagePaths(traces, demoMap)
		}
	})
	b.Run("UnknownJourneys", func(b *testing.B) {
		for b.Loop() {
			UnknownJourneys(traces, demoMap, UnknownOptions{})
		}
	})
}
