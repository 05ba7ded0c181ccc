package console_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// seedTimeline gives conv-b's customer a journey around it: a message on another channel, a stage change, a tool
// call, the hand-off with its packet, an owner change, a note, a rating and a business event.
func seedTimeline(f *fixture, rep *memReports) {
	now := f.clock()
	at := now.Add(-26 * time.Hour)
	ev := func(d time.Duration, conv, typ string, actor journeystate.Actor, cause string, payload any) {
		p, _ := json.Marshal(payload)
		rep.event(journeystate.Event{CustomerID: "cust-b", ConversationID: conv, Type: typ, Channel: "sms", Actor: actor,
			Cause: cause, Payload: p, Time: at.Add(d)})
	}
	p, _ := json.Marshal(map[string]string{"text": "Where is my order? " + xss})
	rep.event(journeystate.Event{CustomerID: "cust-b", ConversationID: "conv-old", Type: "message", Channel: "web",
		Actor: journeystate.ActorCustomer, Payload: p, Time: at.Add(-3 * time.Hour)})
	ev(-2*time.Hour, "", "order_placed", journeystate.ActorSystem, "api", map[string]any{"properties": map[string]any{"order": "1234"}})
	ev(10*time.Second, "conv-b", journeystate.EventStageChanged, journeystate.ActorBot, "model: asked for help", journeystate.StageChangedPayload{From: "purchase", To: "support"})
	ev(20*time.Second, "conv-b", "tool_call", journeystate.ActorBot, "search_knowledge", map[string]any{"tool": "search_knowledge", "arguments": `{"query":"order"}`, "ok": true, "result": "2 passages"})
	ev(time.Minute, "conv-b", "handoff", journeystate.ActorBot, "customer_request", journeystate.Handoff{Reason: "asked for a person", Trigger: "customer_request", Urgency: journeystate.UrgencyNormal, Summary: xss})
	ev(2*time.Minute, "conv-b", "owner_changed", journeystate.ActorAgent, "take", map[string]string{"from": "queue", "to": "agent", "agent_id": f.ids[agent2Email]})
	ev(150*time.Second, "conv-b", "agent_note", journeystate.ActorAgent, "", map[string]string{"text": "VIP", "agent_name": "Sam Second"})
	ev(time.Hour, "conv-b", journeystate.EventRating, journeystate.ActorCustomer, "", map[string]any{"rating": 2, "comment": "slow"})
	ev(time.Hour, "conv-b", "bot_turn", journeystate.ActorBot, "model", map[string]any{})
	// Far from the conversation: not shown.
	ev(-30*24*time.Hour, "", "viewed_pricing", journeystate.ActorSystem, "api", map[string]any{})
}

func TestTranscriptTimeline(t *testing.T) {
	f, rep := newManagerFixture(t, nil)
	seedTranscripts(f, rep)
	seedTimeline(f, rep)
	boss := f.session(t, bossEmail)
	code, b := f.get(t, boss, "/console/transcripts/conv-b")
	if code != 200 {
		t.Fatalf("GET = %d", code)
	}
	if strings.Contains(b, "<img") {
		t.Errorf("customer text is not escaped")
	}
	order := []string{
		"Customer on web", `<a href="/console/transcripts/conv-old">another conversation</a>`, "Where is my order? &lt;img src=x onerror=alert(1)&gt;",
		"<strong>order_placed</strong>", `{&#34;properties&#34;:{&#34;order&#34;:&#34;1234&#34;}}`,
		"I want a person",
		"<strong>Stage changed</strong>", "purchase → support", "model: asked for help",
		"<strong>Tool search_knowledge</strong>", "succeeded", "{&#34;query&#34;:&#34;order&#34;}",
		"<strong>Handed off</strong>", "asked for a person", "<dt>trigger</dt><dd>customer_request</dd>",
		"<strong>Owner changed</strong>", "queue → agent (Sam Second)", "<dt>cause</dt><dd>take</dd>",
		"<strong>Note by Sam Second</strong>", "VIP",
		"<strong>Agent Sam Second</strong>", "Sam here.",
		"<strong>Rating</strong>", "2 of 5", "slow",
	}
	pos := 0
	for _, s := range order {
		i := strings.Index(b[pos:], s)
		if i < 0 {
			t.Fatalf("the timeline lacks %q after position %d", s, pos)
		}
		pos += i
	}
	if strings.Contains(b, "viewed_pricing") || strings.Contains(b, "bot_turn") {
		t.Errorf("the timeline shows events far from the conversation, or bookkeeping")
	}

	// The JSON export holds the same timeline.
	code, js := f.get(t, boss, "/console/transcripts/conv-b/export.json")
	var exp struct {
		Conversation struct{ ID, Trigger string } `json:"conversation"`
		Timeline     []struct {
			Kind string `json:"kind"`
			Text string `json:"text"`
			Here bool   `json:"this_conversation"`
		} `json:"timeline"`
	}
	if err := json.Unmarshal([]byte(js), &exp); code != 200 || err != nil {
		t.Fatalf("export = %d, %v", code, err)
	}
	kinds := map[string]int{}
	for _, it := range exp.Timeline {
		kinds[it.Kind]++
	}
	if exp.Conversation.ID != "conv-b" || kinds["message"] != 3 || kinds["handoff"] != 1 || kinds["tool"] != 1 || kinds["rating"] != 1 {
		t.Errorf("export = %+v, kinds %v", exp.Conversation, kinds)
	}
	code, csvText := f.get(t, boss, "/console/transcripts/conv-b/export.csv")
	if code != 200 || !strings.HasPrefix(csvText, "time,kind,channel,conversation_id,this_conversation,who,text,details\n") {
		t.Errorf("csv export = %d %.200q", code, csvText)
	}
	code, pr := f.get(t, boss, "/console/transcripts/conv-b/print")
	if code != 200 || !strings.Contains(pr, "print.css") || strings.Contains(pr, "<form") || strings.Contains(pr, "<script") {
		t.Errorf("print page = %d, with forms or scripts, or without its style", code)
	}
	if code, _ := f.get(t, boss, "/console/transcripts/nope"); code != 404 {
		t.Errorf("unknown transcript = %d, want 404", code)
	}
}
