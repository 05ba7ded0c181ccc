//go:build sqlite_fts5

package sqlite

import (
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// TestMigrateTranscripts upgrades a database written at version 5: the stats and both search indexes are
// back-filled from the messages and the owner changes, giving the same facts the write path would have kept. Then
// it takes the migration down and up again.
func TestMigrateTranscripts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journeybot.db")
	migrateTo(t, path, 5)
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	at := func(s float64) string { return formatTime(t0.Add(time.Duration(s * float64(time.Second)))) }
	db, err := sql.Open("sqlite3", dsn(path, ""))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO customers (id, name, email, stage, created_at, updated_at)
			VALUES ('c1', 'Ann Lee', 'ann@example.com', 'support', ?1, ?1)`, []any{at(0)}},
		{`INSERT INTO conversations (id, customer_id, channel, thread_id, owner, agent_id, last_seq, created_at, updated_at, team, owner_since)
			VALUES ('v1', 'c1', 'web', 't1', 'closed', '', 5, ?1, ?1, 'billing', ?1), ('v2', 'c1', 'sms', 't2', 'bot', '', 1, ?2, ?2, '', ?2)`,
			[]any{at(0), at(100)}},
		// v1: customer 1s, 2s; bot 4s (first response 3s, reply 3s); customer 10s; hand-off 11s; taken 15.5s;
		// agent 20s (reply 10s, agent first response 9s); closed 30s.
		{`INSERT INTO messages (id, conversation_id, customer_id, seq, author, text, created_at) VALUES
			('m1', 'v1', 'c1', 1, 'customer', 'my thermostat is broken', ?1),
			('m2', 'v1', 'c1', 2, 'customer', 'still broken', ?2),
			('m3', 'v1', 'c1', 3, 'bot', 'let us reset it', ?3),
			('m4', 'v1', 'c1', 4, 'customer', 'a person please', ?4),
			('m5', 'v1', 'c1', 5, 'agent', 'hello, I am here', ?5),
			('m6', 'v2', 'c1', 1, 'customer', 'hi', ?6)`,
			[]any{at(1), at(2), at(4), at(10), at(20), at(101)}},
		{`INSERT INTO events (id, customer_id, conversation_id, type, actor, cause, payload, time) VALUES
			('e1', 'c1', 'v1', 'owner_changed', 'bot', 'customer asked', '{"from":"bot","to":"queue","team":"billing"}', ?1),
			('e2', 'c1', 'v1', 'handoff', 'bot', 'customer_request', '{"stage":"support","trigger":"customer_request"}', ?1),
			('e3', 'c1', 'v1', 'owner_changed', 'agent', 'take', '{"from":"queue","to":"agent","agent_id":"a1","team":"billing"}', ?2),
			('e4', 'c1', 'v1', 'owner_changed', 'agent', 'resolved', '{"from":"agent","to":"closed","from_agent_id":"a1","team":"billing"}', ?3)`,
			[]any{at(11), at(15.5), at(30)}},
	} {
		if _, err := db.Exec(q.sql, q.args...); err != nil {
			db.Close()
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	check := func() {
		t.Helper()
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open(version 5 database) = %v", err)
		}
		defer s.Close()
		ctx := t.Context()
		facts, err := s.ConversationFacts(ctx, journeystate.FactsQuery{})
		if err != nil || len(facts) != 2 {
			t.Fatalf("ConversationFacts() = %+v, %v", facts, err)
		}
		f := facts[0]
		want := journeystate.ConversationFacts{
			ConversationID: "v1", CustomerID: "c1", Channel: "web", CreatedAt: t0, ClosedAt: t0.Add(30 * time.Second),
			Outcome: "resolved", Team: "billing", Agents: []string{"a1"}, Stage: "support", HandoffStage: "support",
			Messages: 5, LastMessageAt: t0.Add(20 * time.Second), HandedOff: true, Triggers: []string{"customer_request"},
			HandoffAt: t0.Add(11 * time.Second), FirstCustomerAt: t0.Add(time.Second), FirstBotReplyAt: t0.Add(4 * time.Second),
			FirstAgentReplyAt: t0.Add(20 * time.Second), BotReplies: 1, BotReplyTime: 3 * time.Second,
			AgentReplies: 1, AgentReplyTime: 10 * time.Second, QueueWaits: 1, QueueWait: 4500 * time.Millisecond,
		}
		if !equalFacts(f, want) {
			t.Errorf("back-filled facts of v1 =\n%+v\nwant\n%+v", f, want)
		}
		if o := facts[1]; o.ConversationID != "v2" || o.Messages != 1 || o.HandedOff || o.Closed() || o.BotReplies != 0 {
			t.Errorf("back-filled facts of v2 = %+v", o)
		}
		for _, text := range []string{"thermostat", "ann@example.com"} {
			page, err := s.Transcripts(ctx, journeystate.TranscriptQuery{Text: text, Channel: "web"})
			if err != nil || len(page.Rows) != 1 || page.Rows[0].Conversation.ID != "v1" {
				t.Errorf("Transcripts(%q) = %+v, %v; want v1", text, page, err)
			}
		}
		page, err := s.Transcripts(ctx, journeystate.TranscriptQuery{AgentID: "a1"})
		if err != nil || len(page.Rows) != 1 || page.Rows[0].Trigger != "customer_request" {
			t.Errorf("Transcripts(agent a1) = %+v, %v; want v1 with its trigger", page, err)
		}
		// The write path goes on from the back-filled row: the pending customer message of v2 is answered.
		if _, _, err := s.AppendMessage(ctx, journeystate.Message{ConversationID: "v2", Author: journeystate.ActorBot,
			Text: "hello", CreatedAt: t0.Add(103 * time.Second)}); err != nil {
			t.Fatal(err)
		}
		facts, err = s.ConversationFacts(ctx, journeystate.FactsQuery{After: facts[0].Cursor()})
		if err != nil || len(facts) != 1 || facts[0].BotReplies != 1 || facts[0].BotReplyTime != 2*time.Second {
			t.Errorf("v2 after a bot reply = %+v, %v; want one reply of 2s", facts, err)
		}
	}
	check()
	migrateTo(t, path, 5)
	db, err = sql.Open("sqlite3", dsn(path, ""))
	if err != nil {
		t.Fatal(err)
	}
	// Back to the database as it was: the bot's reply to v2 goes.
	if _, err := db.Exec(`DELETE FROM messages WHERE conversation_id = 'v2' AND seq = 2;
		UPDATE conversations SET last_seq = 1 WHERE id = 'v2'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	check() // Open migrates up again
}

func equalFacts(a, b journeystate.ConversationFacts) bool {
	return a.ConversationID == b.ConversationID && a.CustomerID == b.CustomerID && a.Channel == b.Channel &&
		a.CreatedAt.Equal(b.CreatedAt) && a.ClosedAt.Equal(b.ClosedAt) && a.Outcome == b.Outcome && a.Team == b.Team &&
		slices.Equal(a.Agents, b.Agents) && a.Stage == b.Stage && a.HandoffStage == b.HandoffStage &&
		a.Messages == b.Messages && a.LastMessageAt.Equal(b.LastMessageAt) && a.HandedOff == b.HandedOff &&
		slices.Equal(a.Triggers, b.Triggers) && a.HandoffAt.Equal(b.HandoffAt) &&
		a.FirstCustomerAt.Equal(b.FirstCustomerAt) && a.FirstBotReplyAt.Equal(b.FirstBotReplyAt) &&
		a.FirstAgentReplyAt.Equal(b.FirstAgentReplyAt) && a.BotReplies == b.BotReplies &&
		a.BotReplyTime == b.BotReplyTime && a.AgentReplies == b.AgentReplies && a.AgentReplyTime == b.AgentReplyTime &&
		a.QueueWaits == b.QueueWaits && a.QueueWait == b.QueueWait && a.Rating == b.Rating
}
