package export_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// t0 is the start of the sample logs.
var t0 = time.Date(2026, 3, 1, 9, 30, 0, 123_000_000, time.UTC)

// hugeText is a message of 3 MB, longer than any buffer of the writers.
var hugeText = strings.Repeat("ünïcödé & <b>bold</b> ", 3<<20/26)

// sampleLog returns a small journey log, grouped by customer and in time order: two customers, one journey with a
// stage change, messages, a hand-off, an owner change and an order, and one event of every hostile kind.
func sampleLog(t testing.TB) []journeystate.Event {
	t.Helper()
	handoff, err := json.Marshal(journeystate.Handoff{ID: "h1", ConversationID: "conv-1", CustomerID: "cust-1",
		Channel: "web", Summary: "wants a refund", Reason: "asked for a person", Trigger: "customer_request",
		Urgency: "high", Confidence: 1, Timeline: []journeystate.HandoffEntry{{Text: "hello"}, {Text: "refund?"}}})
	if err != nil {
		t.Fatal(err)
	}
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	return []journeystate.Event{
		{ID: "e1", Seq: 1, CustomerID: "cust-1", ConversationID: "conv-1", Type: "conversation_opened", Channel: "web", Actor: "customer", Time: at(0)},
		{ID: "e2", Seq: 2, CustomerID: "cust-1", ConversationID: "conv-1", Type: "message", Channel: "web", Actor: "customer",
			Payload: json.RawMessage(`{"text":"I'd like the <b>pro</b> plan & a refund ]]> \"now\"\n"}`), Time: at(1)},
		{ID: "e3", Seq: 3, CustomerID: "cust-1", ConversationID: "conv-1", Type: "stage_changed", Channel: "web", Actor: "rule",
			Cause: "intent buy", Payload: json.RawMessage(`{"from":"","to":"evaluation"}`), Time: at(2)},
		{ID: "e4", Seq: 4, CustomerID: "cust-1", Type: "order_placed", Actor: "system", Cause: "api:shop",
			Payload: json.RawMessage(`{"properties":{"order_id":"A-1042","total":249.5,"items":3,"gift":false,"coupon":null,"lines":[{"sku":"T2","qty":1}]}}`), Time: at(3)},
		{ID: "e5", Seq: 5, CustomerID: "cust-1", ConversationID: "conv-1", Type: "handoff", Channel: "web", Actor: "bot",
			Cause: "customer_request", Payload: handoff, Time: at(4)},
		{ID: "e6", Seq: 6, CustomerID: "cust-1", ConversationID: "conv-1", Type: "owner_changed", Channel: "web", Actor: "agent",
			Cause: "take", Payload: json.RawMessage(`{"from":"queue","to":"agent","agent_id":"ag-7","team":"billing"}`), Time: at(5)},
		// Hostile: markup, CDATA end, NUL and other control characters, invalid UTF-8 outside and inside JSON,
		// odd keys, deep nesting, a huge string, a number beyond int64.
		{ID: "e7\x00<script>", Seq: 7, CustomerID: "cust-2 <script>alert(1)</script>", ConversationID: "conv-\xff", Type: "<script>alert('x')</script>",
			Channel: "sms", Actor: "customer", Cause: "]]> \x00\x01\x1b \xfe\xff",
			Payload: json.RawMessage(`{"<script>":"</script>","a b":1,"1st":true,"größe":"L","k:v":"colon","😀":"emoji",` +
				`"deep":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":"too deep"}}}}}}}}},"big":123456789012345678901234567890,` +
				`"nul":"a\u0000b\u001fc","bad":"x` + "\xff\xfe" + `y","arr":[1,"two",[3]]}`), Time: at(6)},
		{ID: "e8", Seq: 8, CustomerID: "cust-2 <script>alert(1)</script>", Type: "message", Channel: "sms", Actor: "customer",
			Payload: mustJSON(t, map[string]string{"text": hugeText}), Time: at(7)},
		{ID: "e9", Seq: 9, CustomerID: "cust-2 <script>alert(1)</script>", Type: "note", Actor: "", Payload: json.RawMessage(`not json <x>`), Time: at(8)},
	}
}

func mustJSON(t testing.TB, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seq turns a slice into the sequence WriteXES and WriteOCEL read.
func seq(events []journeystate.Event) func(func(journeystate.Event, error) bool) {
	return func(yield func(journeystate.Event, error) bool) {
		for _, ev := range events {
			if !yield(ev, nil) {
				return
			}
		}
	}
}
