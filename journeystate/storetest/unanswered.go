package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
)

func testUnansweredConversations(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	before := time.Now().Add(-time.Minute)

	// waiting: the customer wrote last. answered: the bot did. queued: a person owns it. empty: no message.
	// overtaken: the customer wrote again while the bot's reply to the first message was being written, so the
	// reply is the newest message but the second message waits.
	overtaken := newConversation(t, s, newCustomer(t, s, "v_overtaken").ID, "t1")
	first, _, err := s.AppendMessage(ctx, customerMessage(overtaken, "c1", "hello?"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AppendMessage(ctx, customerMessage(overtaken, "c2", "anyone?")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AppendMessage(ctx, journeystate.Message{ConversationID: overtaken.ID, Author: journeystate.ActorBot,
		ClientID: "reply:" + first.ID, Text: "hi", Meta: journeystate.MessageMeta{ReplyTo: first.ID}}); err != nil {
		t.Fatal(err)
	}
	waiting := newConversation(t, s, newCustomer(t, s, "v_waiting").ID, "t1")
	answered := newConversation(t, s, newCustomer(t, s, "v_answered").ID, "t1")
	queued := newConversation(t, s, newCustomer(t, s, "v_queued").ID, "t1")
	newConversation(t, s, newCustomer(t, s, "v_empty").ID, "t1")
	for _, c := range []journeystate.Conversation{waiting, answered, queued} {
		if _, _, err := s.AppendMessage(ctx, customerMessage(c, "c1", "hello?")); err != nil {
			t.Fatal(err)
		}
	}
	reply := journeystate.Message{ConversationID: answered.ID, Author: journeystate.ActorBot, ClientID: "r1", Text: "hi"}
	if _, _, err := s.AppendMessage(ctx, reply); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetOwner(ctx, queued.ID, journeystate.OwnerChange{From: journeystate.OwnerBot, Owner: journeystate.OwnerQueue,
		Actor: journeystate.ActorRule, Cause: "test"}); err != nil {
		t.Fatal(err)
	}

	got, err := s.UnansweredConversations(ctx, before, 0)
	if err != nil {
		t.Fatalf("UnansweredConversations() = %v", err)
	}
	ids := make([]string, len(got))
	for i, c := range got {
		ids[i] = c.ID
	}
	if diff := cmp.Diff([]string{overtaken.ID, waiting.ID}, ids); diff != "" {
		t.Errorf("UnansweredConversations() (-want +got):\n%s", diff)
	}
	if len(got) == 2 && (got[0].LastSeq != 3 || got[1].LastSeq != 1) {
		t.Errorf("LastSeq = %d, %d; want 3, 1", got[0].LastSeq, got[1].LastSeq)
	}
	if later, err := s.UnansweredConversations(ctx, time.Now().Add(time.Minute), 0); err != nil || len(later) != 0 {
		t.Errorf("UnansweredConversations(since the future) = %d conversations, %v; want none", len(later), err)
	}
	if _, err := s.UnansweredConversations(ctx, before, -1); err == nil {
		t.Error("UnansweredConversations(limit -1) = nil error, want one")
	}
}
