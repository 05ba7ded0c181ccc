//go:build sqlite_fts5

package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// benchConversations is how many conversations the transcript benchmarks seed: the dashboard's target.
const benchConversations = 100_000

// seedTranscripts writes n conversations (one customer each, four messages, a quarter handed off to one of ten
// agents and closed) straight into a database at version 5, and then opens it: migration 00006 back-fills the
// stats and the indexes, as it would for a real database. It reports how long the back-fill took.
func seedTranscripts(b *testing.B, n int) *Store {
	b.Helper()
	path := filepath.Join(b.TempDir(), "journeybot.db")
	migrateTo(b, path, 5)
	db, err := sql.Open("sqlite3", dsn(path, "_journal_mode=WAL&_synchronous=OFF"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	prep := func(q string) *sql.Stmt {
		st, err := tx.Prepare(q)
		if err != nil {
			b.Fatal(err)
		}
		return st
	}
	cust := prep(`INSERT INTO customers (id, name, email, stage, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`)
	conv := prep(`INSERT INTO conversations (id, customer_id, channel, thread_id, owner, agent_id, last_seq, created_at,
		updated_at, team, owner_since) VALUES (?, ?, ?, ?, ?, '', 4, ?, ?, ?, ?)`)
	msg := prep(`INSERT INTO messages (id, conversation_id, customer_id, seq, author, text, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	ev := prep(`INSERT INTO events (id, customer_id, conversation_id, type, actor, cause, payload, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	words := []string{"invoice", "refund", "thermostat", "delivery", "password", "upgrade", "battery", "warranty"}
	channels := []string{journeystate.ChannelWeb, journeystate.ChannelSlack, journeystate.ChannelSMS}
	stages := []string{"consideration", "purchase", "onboarding", "support"}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	exec := func(st *sql.Stmt, args ...any) {
		if _, err := st.Exec(args...); err != nil {
			b.Fatal(err)
		}
	}
	for i := range n {
		at := func(s int) string {
			return formatTime(t0.Add(time.Duration(i)*time.Minute + time.Duration(s)*time.Second))
		}
		c, v := fmt.Sprintf("c%07d", i), fmt.Sprintf("v%07d", i)
		exec(cust, c, fmt.Sprintf("Customer %d", i), fmt.Sprintf("c%d@example.com", i), stages[i%4], at(0), at(0))
		handed := i%4 == 0
		owner, team := "bot", ""
		if handed {
			owner, team = "closed", "billing"
		}
		exec(conv, v, c, channels[i%3], v, owner, at(0), at(60), team, at(60))
		w := words[i%len(words)]
		exec(msg, v+"m1", v, c, 1, "customer", fmt.Sprintf("hello, a question about my %s number %d", w, i), at(1))
		exec(msg, v+"m2", v, c, 2, "bot", "Here is what I found about "+w, at(3))
		exec(msg, v+"m3", v, c, 3, "customer", "that did not help, I need a person", at(10))
		author := "bot"
		if handed {
			author = "agent"
			agent := fmt.Sprintf("agent-%d", i%10)
			exec(ev, v+"e1", c, v, "owner_changed", "bot", "customer_request", `{"from":"bot","to":"queue","team":"billing"}`, at(11))
			exec(ev, v+"e2", c, v, "handoff", "bot", "customer_request", `{"trigger":"customer_request","stage":"support"}`, at(11))
			exec(ev, v+"e3", c, v, "owner_changed", "agent", "take",
				fmt.Sprintf(`{"from":"queue","to":"agent","agent_id":%q,"team":"billing"}`, agent), at(20))
			exec(ev, v+"e4", c, v, "owner_changed", "agent", "resolved",
				fmt.Sprintf(`{"from":"agent","to":"closed","from_agent_id":%q,"team":"billing"}`, agent), at(60))
		}
		exec(msg, v+"m4", v, c, 4, author, "Sorry about that, let me look at your account", at(30))
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	s, err := Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("migration 00006 back-filled %d conversations in %v", n, time.Since(start).Round(time.Millisecond))
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkTranscripts100k measures the dashboard's reads over 100,000 conversations: the transcript list's first
// page (plain, filtered, searched) and the KPI facts (one page of 1000, and all of them page by page).
func BenchmarkTranscripts100k(b *testing.B) {
	s := seedTranscripts(b, benchConversations)
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		q    journeystate.TranscriptQuery
	}{
		{"first-page", journeystate.TranscriptQuery{}},
		{"first-page-handed-off-sms", journeystate.TranscriptQuery{Handling: journeystate.HandlingHandedOff,
			Channel: journeystate.ChannelSMS}},
		{"first-page-agent", journeystate.TranscriptQuery{AgentID: "agent-4"}},
		{"search-common-word", journeystate.TranscriptQuery{Text: "thermostat"}},
		{"search-rare-word", journeystate.TranscriptQuery{Text: "number 4242"}},
		{"search-email", journeystate.TranscriptQuery{Text: "c77777@example.com"}},
	} {
		b.Run("transcripts/"+tt.name, func(b *testing.B) {
			for b.Loop() {
				page, err := s.Transcripts(ctx, tt.q)
				if err != nil || len(page.Rows) == 0 {
					b.Fatalf("Transcripts() = %d rows, %v", len(page.Rows), err)
				}
			}
		})
	}
	b.Run("facts/first-1000", func(b *testing.B) {
		for b.Loop() {
			if f, err := s.ConversationFacts(ctx, journeystate.FactsQuery{}); err != nil || len(f) != DefaultFactsLimit {
				b.Fatalf("ConversationFacts() = %d, %v", len(f), err)
			}
		}
	})
	b.Run("facts/all-100k", func(b *testing.B) {
		for b.Loop() {
			n := 0
			q := journeystate.FactsQuery{Limit: MaxFactsLimit}
			for {
				f, err := s.ConversationFacts(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				n += len(f)
				if len(f) < q.Limit {
					break
				}
				q.After = f[len(f)-1].Cursor()
			}
			if n != benchConversations {
				b.Fatalf("facts of %d conversations, want %d", n, benchConversations)
			}
		}
	})
}
