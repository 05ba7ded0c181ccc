//go:build sqlite_fts5

package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/journeybot/journeybot/journeystate"
	"github.com/journeybot/journeybot/journeystate/sqlite"
	"github.com/journeybot/journeybot/journeystate/storetest"
)

// openStore opens a store at path and closes it when the test ends.
func openStore(t testing.TB, path string, opts ...sqlite.Option) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, opts...)
	if err != nil {
		t.Fatalf("Open(%s) = %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	var mu sync.Mutex
	paths := make(map[journeystate.Store]string)
	open := func(t *testing.T) journeystate.Store {
		path := filepath.Join(t.TempDir(), "journeybot.db")
		s := openStore(t, path)
		mu.Lock()
		defer mu.Unlock()
		paths[s] = path
		return s
	}
	reopen := func(t *testing.T, s journeystate.Store) journeystate.Store {
		mu.Lock()
		path := paths[s]
		mu.Unlock()
		if err := s.Close(); err != nil {
			t.Fatalf("Close() = %v", err)
		}
		return openStore(t, path)
	}
	storetest.Run(t, open, storetest.WithReopen(reopen))
}

func TestOpenCreatesFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	path := filepath.Join(dir, "journeybot.db")
	s := openStore(t, path)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping() = %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file: %v", err)
	}
}

func TestOpenOddPath(t *testing.T) {
	// Characters that mean something in a URI or a DSN stay part of the file name.
	path := filepath.Join(t.TempDir(), "a dir?x=1#y", "db%20 name.db")
	s := openStore(t, path)
	if _, err := s.ResolveIdentity(t.Context(), journeystate.IdentityClaim{Channel: "web", ExternalID: "v1"}); err != nil {
		t.Fatalf("ResolveIdentity() = %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file not at the path given: %v", err)
	}
}

func TestOpenBadPath(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("not a folder"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
	}{
		{"empty", ""},
		{"memory", ":memory:"},
		{"folder is a file", filepath.Join(file, "journeybot.db")},
		{"not a database", file},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sqlite.Open(t.Context(), tt.path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) = nil error, want one", tt.path)
			}
		})
	}
}

func TestCloseTwice(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
	if err := s.Ping(t.Context()); err == nil {
		t.Error("Ping() after Close = nil, want an error")
	}
}

func TestWithNow(t *testing.T) {
	at := time.Date(2026, 5, 6, 7, 8, 9, 123_456_789, time.FixedZone("X", 5*3600))
	s := openStore(t, filepath.Join(t.TempDir(), "db"), sqlite.WithNow(func() time.Time { return at }))
	c, err := s.ResolveIdentity(t.Context(), journeystate.IdentityClaim{Channel: "web", ExternalID: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	want := at.UTC().Truncate(time.Microsecond)
	if !c.CreatedAt.Equal(want) || c.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want %v in UTC", c.CreatedAt, want)
	}
	got, err := s.Customer(t.Context(), c.ID)
	if err != nil || !got.CreatedAt.Equal(want) {
		t.Errorf("stored CreatedAt = %v, %v; want %v", got.CreatedAt, err, want)
	}
}

func TestEmptyLevelIsAnonymous(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "db"))
	if _, err := s.ResolveIdentity(t.Context(), journeystate.IdentityClaim{Channel: "web", ExternalID: "v1"}); err != nil {
		t.Fatal(err)
	}
	id, err := s.FindIdentity(t.Context(), "web", "v1")
	if err != nil || id.Level != journeystate.LevelAnonymous {
		t.Errorf("FindIdentity() = level %q, %v; want anonymous", id.Level, err)
	}
}

func TestLimits(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "db"))
	ctx := t.Context()
	c, err := s.ResolveIdentity(ctx, journeystate.IdentityClaim{Channel: "web", ExternalID: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	conv, _, err := s.OpenConversation(ctx, c.ID, "web", "t")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Messages(ctx, conv.ID, 0, -1); err == nil {
		t.Error("Messages(limit -1) = nil, want an error")
	}
	if _, err := s.RecentMessages(ctx, conv.ID, -1); err == nil {
		t.Error("RecentMessages(limit -1) = nil, want an error")
	}
	if _, err := s.Events(ctx, journeystate.EventQuery{CustomerID: c.ID, Limit: -1}); err == nil {
		t.Error("Events(limit -1) = nil, want an error")
	}
	if _, err := s.SearchKnowledge(ctx, "x", -1); err == nil {
		t.Error("SearchKnowledge(limit -1) = nil, want an error")
	}
}

func TestContextCanceled(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "db"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.ResolveIdentity(ctx, journeystate.IdentityClaim{Channel: "web", ExternalID: "v1"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("ResolveIdentity(canceled) = %v, want context.Canceled", err)
	}
	if _, err := s.FindIdentity(t.Context(), "web", "v1"); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("FindIdentity() after a canceled resolve = %v, want ErrNotFound", err)
	}
}

func TestSetOwnerUnchanged(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "db"))
	ctx := t.Context()
	c, err := s.ResolveIdentity(ctx, journeystate.IdentityClaim{Channel: "web", ExternalID: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	conv, _, err := s.OpenConversation(ctx, c.ID, "web", "t")
	if err != nil {
		t.Fatal(err)
	}
	// The same hand-off twice (a retried trigger): the second is refused, since the conversation is no longer the
	// bot's, and records nothing.
	change := journeystate.OwnerChange{From: journeystate.OwnerBot, Owner: journeystate.OwnerQueue, Actor: journeystate.ActorBot, Cause: "asked for a human"}
	if _, err := s.SetOwner(ctx, conv.ID, change); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetOwner(ctx, conv.ID, change); !errors.Is(err, journeystate.ErrConflict) {
		t.Errorf("second SetOwner(%+v) = %v, want ErrConflict", change, err)
	}
	evs, err := s.Events(ctx, journeystate.EventQuery{ConversationID: conv.ID})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Type == "owner_changed" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("owner_changed events after the same change twice = %d, want 1", n)
	}
}
