package export_test

import (
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/journeybot/journeybot/analytics/export"
	"github.com/journeybot/journeybot/journeystate"
)

// benchEvents returns n events of a typical mix (messages, stage changes, business events, owner changes) for
// customers of 20 events each, grouped by customer. The events are built once and reused by reference, so the
// benchmark measures the writers, not the building.
func benchEvents(n int) []journeystate.Event {
	payloads := []struct {
		typ     string
		payload json.RawMessage
	}{
		{"message", json.RawMessage(`{"text":"Hi, my thermostat shows E4 since the update, what can I do?"}`)},
		{"message", json.RawMessage(`{"text":"Try holding the reset button for five seconds.","source":"model"}`)},
		{"stage_changed", json.RawMessage(`{"from":"onboarding","to":"support"}`)},
		{"order_placed", json.RawMessage(`{"properties":{"order_id":"A-1042","total":249.5,"items":2}}`)},
		{"owner_changed", json.RawMessage(`{"from":"bot","to":"queue","team":"support"}`)},
	}
	events := make([]journeystate.Event, n)
	for i := range events {
		p := payloads[i%len(payloads)]
		customer := i / 20
		events[i] = journeystate.Event{ID: fmt.Sprintf("ev-%d", i), Seq: int64(i + 1),
			CustomerID: fmt.Sprintf("cust-%d", customer), ConversationID: fmt.Sprintf("conv-%d", customer),
			Type: p.typ, Channel: "web", Actor: "customer", Payload: p.payload, Time: t0.Add(time.Duration(i) * time.Second)}
	}
	return events
}

func BenchmarkXES(b *testing.B) {
	events := benchEvents(1_000_000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := export.WriteXES(io.Discard, seq(events), export.XESOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(events)), "ns/event")
}

func BenchmarkOCEL(b *testing.B) {
	events := benchEvents(1_000_000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := export.WriteOCEL(io.Discard, seq(events), export.OCELOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(events)), "ns/event")
}
