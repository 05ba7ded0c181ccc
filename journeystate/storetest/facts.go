package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// testConversationFacts follows one conversation through bot replies, a hand-off, an agent's answers and a close,
// with message times chosen by the test, and checks every fact. Owner changes happen at the store's clock (now),
// so the facts that depend on them are checked against the messages placed around them.
func testConversationFacts(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_facts")
	if _, _, err := s.SetStage(ctx, c.ID, journeystate.StageChange{To: "support", Actor: journeystate.ActorRule, Cause: "test"}); err != nil {
		t.Fatal(err)
	}
	conv := newConversation(t, s, c.ID, "t")
	at := func(author journeystate.Actor, when time.Time) {
		t.Helper()
		_, _, err := s.AppendMessage(ctx, journeystate.Message{ConversationID: conv.ID, Author: author, Text: "x", CreatedAt: when})
		if err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	at(journeystate.ActorBot, sec(0))      // a greeting answers nobody and is no first response
	at(journeystate.ActorCustomer, sec(1)) // first customer message
	at(journeystate.ActorCustomer, sec(2))
	at(journeystate.ActorBot, sec(4)) // answers both from 1s: first response 3s, reply 3s
	at(journeystate.ActorCustomer, sec(10))
	at(journeystate.ActorSystem, sec(11)) // a notice answers nobody
	at(journeystate.ActorBot, sec(12))    // reply 2s
	at(journeystate.ActorCustomer, sec(20))

	handoff := &journeystate.Handoff{ID: "h1", ConversationID: conv.ID, CustomerID: c.ID, Channel: conv.Channel,
		Summary: "wants a person", SummarySource: journeystate.SummaryExtractive, Stage: "support", Reason: "asked",
		Trigger: journeystate.TriggerCustomerRequest, Urgency: journeystate.UrgencyNormal, Confidence: 1,
		WaitingSince: sec(20), CreatedAt: time.Now().UTC()}
	queued, err := s.SetOwner(ctx, conv.ID, journeystate.OwnerChange{From: journeystate.OwnerBot, Owner: journeystate.OwnerQueue,
		Actor: journeystate.ActorBot, Cause: "customer asked", Team: "billing", Handoff: handoff})
	if err != nil {
		t.Fatal(err)
	}
	taken := move(t, s, conv, journeystate.OwnerQueue, "", journeystate.OwnerAgent, "agent-1", "take")
	agentAt := time.Now().UTC().Add(5 * time.Second)
	at(journeystate.ActorAgent, agentAt) // answers the customer's message at 20s
	move(t, s, conv, journeystate.OwnerAgent, "agent-1", journeystate.OwnerClosed, "", journeystate.OutcomeResolved)
	if _, err := s.RecordRating(ctx, conv.ID, 4, "", ""); err != nil {
		t.Fatal(err)
	}
	other := newConversation(t, s, newCustomer(t, s, "v_facts2").ID, "t")

	facts, err := s.ConversationFacts(ctx, journeystate.FactsQuery{})
	if err != nil || len(facts) != 2 || facts[0].ConversationID != conv.ID || facts[1].ConversationID != other.ID {
		t.Fatalf("ConversationFacts() = %+v, %v; want both conversations, oldest first", facts, err)
	}
	f := facts[0]
	if f.CustomerID != c.ID || f.Channel != conv.Channel || !f.CreatedAt.Equal(conv.CreatedAt) || f.Messages != 9 ||
		f.Outcome != journeystate.OutcomeResolved || f.ClosedAt.IsZero() || f.Team != "billing" ||
		!slices.Equal(f.Agents, []string{"agent-1"}) || f.Stage != "support" || f.HandoffStage != "support" ||
		!f.HandedOff || f.Contained() || !slices.Equal(f.Triggers, []string{journeystate.TriggerCustomerRequest}) ||
		f.Rating != 4 || !f.LastMessageAt.Equal(agentAt.Truncate(time.Microsecond)) {
		t.Errorf("facts = %+v", f)
	}
	if d, ok := f.BotFirstResponse(); !ok || d != 3*time.Second {
		t.Errorf("BotFirstResponse() = %v, %v; want 3s", d, ok)
	}
	if f.BotReplies != 2 || f.BotReplyTime != 5*time.Second {
		t.Errorf("bot replies = %d in %v, want 2 in 5s", f.BotReplies, f.BotReplyTime)
	}
	if !f.HandoffAt.Equal(queued.OwnerSince) {
		t.Errorf("HandoffAt = %v, want the queueing at %v", f.HandoffAt, queued.OwnerSince)
	}
	if d, ok := f.AgentFirstResponse(); !ok || d != agentAt.Truncate(time.Microsecond).Sub(queued.OwnerSince) {
		t.Errorf("AgentFirstResponse() = %v, %v; want from the hand-off to the agent's message", d, ok)
	}
	if f.AgentReplies != 1 || f.AgentReplyTime != agentAt.Truncate(time.Microsecond).Sub(sec(20)) {
		t.Errorf("agent replies = %d in %v, want 1 from the message at 20s", f.AgentReplies, f.AgentReplyTime)
	}
	if f.QueueWaits != 1 || f.QueueWait != taken.OwnerSince.Sub(queued.OwnerSince) {
		t.Errorf("queue wait = %d, %v; want 1, %v", f.QueueWaits, f.QueueWait, taken.OwnerSince.Sub(queued.OwnerSince))
	}
	if o := facts[1]; o.HandedOff || !o.Contained() || o.Closed() || o.Messages != 0 || o.Trigger() != "" {
		t.Errorf("facts of an untouched conversation = %+v", o)
	}

	// Paging and the date range.
	page, err := s.ConversationFacts(ctx, journeystate.FactsQuery{Limit: 1})
	if err != nil || len(page) != 1 || page[0].ConversationID != conv.ID {
		t.Fatalf("ConversationFacts(limit 1) = %+v, %v", page, err)
	}
	page, err = s.ConversationFacts(ctx, journeystate.FactsQuery{Limit: 1, After: page[0].Cursor()})
	if err != nil || len(page) != 1 || page[0].ConversationID != other.ID {
		t.Fatalf("ConversationFacts(after the first) = %+v, %v", page, err)
	}
	page, err = s.ConversationFacts(ctx, journeystate.FactsQuery{After: page[0].Cursor()})
	if err != nil || len(page) != 0 {
		t.Errorf("ConversationFacts(after the last) = %+v, %v; want none", page, err)
	}
	page, err = s.ConversationFacts(ctx, journeystate.FactsQuery{From: other.CreatedAt, To: other.CreatedAt.Add(time.Second)})
	if err != nil || len(page) != 1 || page[0].ConversationID != other.ID {
		t.Errorf("ConversationFacts(from the second) = %+v, %v", page, err)
	}
	page, err = s.ConversationFacts(ctx, journeystate.FactsQuery{To: conv.CreatedAt})
	if err != nil || len(page) != 0 {
		t.Errorf("ConversationFacts(to the first) = %+v, %v; want none", page, err)
	}
	if _, err := s.ConversationFacts(ctx, journeystate.FactsQuery{After: "garbage"}); err == nil {
		t.Error("ConversationFacts(bad cursor) = nil error")
	}

	// The channel, alone, with the date range and across pages.
	sms, _, err := s.OpenConversation(ctx, newCustomer(t, s, "v_facts_sms").ID, journeystate.ChannelSMS, "+15550002")
	if err != nil {
		t.Fatal(err)
	}
	ids := func(fs []journeystate.ConversationFacts) (out []string) {
		for _, f := range fs {
			out = append(out, f.ConversationID)
		}
		return out
	}
	for _, tt := range []struct {
		name string
		q    journeystate.FactsQuery
		want []string
	}{
		{"sms", journeystate.FactsQuery{Channel: journeystate.ChannelSMS}, []string{sms.ID}},
		{"web", journeystate.FactsQuery{Channel: journeystate.ChannelWeb}, []string{conv.ID, other.ID}},
		{"no such channel", journeystate.FactsQuery{Channel: "fax"}, nil},
		{"web from the second", journeystate.FactsQuery{Channel: journeystate.ChannelWeb, From: other.CreatedAt}, []string{other.ID}},
		{"sms before it", journeystate.FactsQuery{Channel: journeystate.ChannelSMS, To: sms.CreatedAt}, nil},
		{"web after the first", journeystate.FactsQuery{Channel: journeystate.ChannelWeb, After: facts[0].Cursor()}, []string{other.ID}},
		{"web, a page of one", journeystate.FactsQuery{Channel: journeystate.ChannelWeb, Limit: 1}, []string{conv.ID}},
		{"sms after the first web one", journeystate.FactsQuery{Channel: journeystate.ChannelSMS, Limit: 1, After: facts[0].Cursor()},
			[]string{sms.ID}},
	} {
		t.Run("channel "+tt.name, func(t *testing.T) {
			page, err := s.ConversationFacts(ctx, tt.q)
			if got := ids(page); err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("ConversationFacts(%+v) = %v, %v; want %v", tt.q, got, err, tt.want)
			}
		})
	}
}
