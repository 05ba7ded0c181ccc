//go:build sqlite_fts5

package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/journeybot/journeybot/journeystate"
)

// migrateTo brings the database at path to exactly version (up or down).
func migrateTo(t testing.TB, path string, version int64) {
	t.Helper()
	db, err := sql.Open("sqlite3", dsn(path, "_journal_mode=WAL"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, dir, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cur, err := p.GetDBVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cur <= version {
		_, err = p.UpTo(ctx, version)
	} else {
		_, err = p.DownTo(ctx, version)
	}
	if err != nil {
		t.Fatalf("migrate %s to %d: %v", path, version, err)
	}
}

// TestMigrateHandoff upgrades a database written at version 4: a conversation's owner_since comes from its newest
// owner change, else from its creation; users are offline with no teams and no capacity. Then it takes the
// migration down and up again.
func TestMigrateHandoff(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journeybot.db")
	migrateTo(t, path, 4)
	created := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	firstChange, lastChange := created.Add(time.Hour), created.Add(2*time.Hour)
	db, err := sql.Open("sqlite3", dsn(path, ""))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO customers (id, created_at, updated_at) VALUES ('c1', ?, ?)`, []any{formatTime(created), formatTime(created)}},
		{`INSERT INTO conversations (id, customer_id, channel, thread_id, owner, agent_id, created_at, updated_at)
			VALUES ('moved', 'c1', 'web', 't1', 'agent', 'a1', ?, ?), ('never', 'c1', 'web', 't2', 'bot', '', ?, ?)`,
			[]any{formatTime(created), formatTime(lastChange), formatTime(created), formatTime(created)}},
		// Two owner changes and a later message: owner_since is the newer change's time.
		{`INSERT INTO events (id, customer_id, conversation_id, type, actor, payload, time) VALUES
			('e1', 'c1', 'moved', 'owner_changed', 'bot', '{"from":"bot","to":"queue"}', ?),
			('e2', 'c1', 'moved', 'owner_changed', 'agent', '{"from":"queue","to":"agent"}', ?),
			('e3', 'c1', 'moved', 'message', 'customer', NULL, ?)`,
			[]any{formatTime(firstChange), formatTime(lastChange), formatTime(lastChange.Add(time.Minute))}},
		{`INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES
			('u1', 'ann@example.com', 'Ann', 'agent', 'hash', ?)`, []any{formatTime(created)}},
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
			t.Fatalf("Open(version 4 database) = %v", err)
		}
		defer s.Close()
		ctx := t.Context()
		for _, tt := range []struct {
			id    string
			since time.Time
		}{{"moved", lastChange}, {"never", created}} {
			conv, err := s.Conversation(ctx, tt.id)
			if err != nil {
				t.Fatalf("Conversation(%s) = %v", tt.id, err)
			}
			if !conv.OwnerSince.Equal(tt.since) || conv.Team != "" {
				t.Errorf("Conversation(%s) = OwnerSince %v team %q, want %v and no team", tt.id, conv.OwnerSince, conv.Team, tt.since)
			}
		}
		queue, err := s.Conversations(ctx, journeystate.ConversationQuery{Owner: journeystate.OwnerAgent, AgentID: "a1"})
		if err != nil || len(queue) != 1 || queue[0].ID != "moved" {
			t.Errorf("Conversations(a1) = %v, %v; want the migrated conversation", queue, err)
		}
		u, err := s.User(ctx, "u1")
		if err != nil {
			t.Fatalf("User() = %v", err)
		}
		if u.Status != journeystate.StatusOffline || !u.StatusAt.IsZero() || u.Teams != nil || u.Capacity != 0 {
			t.Errorf("migrated user = status %q at %v, teams %v, capacity %d; want offline, never, none, 0",
				u.Status, u.StatusAt, u.Teams, u.Capacity)
		}
	}
	check()
	migrateTo(t, path, 4)
	check() // Open migrates up again
}
