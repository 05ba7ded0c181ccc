//go:build sqlite_fts5

package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
	"github.com/journeybot/journeybot/journeystate/sqlite"
)

func newUser(email string, role journeystate.Role) journeystate.User {
	return journeystate.User{Email: email, Name: "Ann Agent", Role: role, PasswordHash: "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA"}
}

func TestUsers(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 9, 0, 0, 123456789, time.UTC)
	path := filepath.Join(t.TempDir(), "journeybot.db")
	s := openStore(t, path, sqlite.WithNow(func() time.Time { return now }))

	created, err := s.CreateUser(ctx, newUser("ann@example.com", journeystate.RoleAgent))
	if err != nil {
		t.Fatalf("CreateUser() = %v", err)
	}
	if created.ID == "" || !created.CreatedAt.Equal(now.Truncate(time.Microsecond)) {
		t.Errorf("CreateUser() = %+v, want an id and CreatedAt %v", created, now)
	}
	byEmail, err := s.UserByEmail(ctx, "ann@example.com")
	if err != nil {
		t.Fatalf("UserByEmail() = %v", err)
	}
	if diff := cmp.Diff(created, byEmail); diff != "" {
		t.Errorf("UserByEmail() differs from what CreateUser returned (-created +got):\n%s", diff)
	}
	byID, err := s.User(ctx, created.ID)
	if err != nil {
		t.Fatalf("User() = %v", err)
	}
	if diff := cmp.Diff(created, byID); diff != "" {
		t.Errorf("User() differs (-created +got):\n%s", diff)
	}

	// A user outlives the process.
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	s = openStore(t, path)
	if got, err := s.User(ctx, created.ID); err != nil || got.Email != created.Email {
		t.Errorf("after reopening, User() = %+v, %v", got, err)
	}

	if _, err := s.CreateUser(ctx, newUser("ann@example.com", journeystate.RoleManager)); !errors.Is(err, journeystate.ErrConflict) {
		t.Errorf("CreateUser(same email) = %v, want ErrConflict", err)
	}
	for _, id := range []string{"", "nobody"} {
		if _, err := s.User(ctx, id); !errors.Is(err, journeystate.ErrNotFound) {
			t.Errorf("User(%q) = %v, want ErrNotFound", id, err)
		}
	}
	if _, err := s.UserByEmail(ctx, "bob@example.com"); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("UserByEmail(unknown) = %v, want ErrNotFound", err)
	}
}

func TestCreateUserRefusesBadInput(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "journeybot.db"))
	tests := []struct {
		name string
		u    journeystate.User
	}{
		{"email not normalised", newUser("Ann@Example.COM", journeystate.RoleAgent)},
		{"not an email", newUser("ann", journeystate.RoleAgent)},
		{"empty email", newUser("", journeystate.RoleAgent)},
		{"unknown role", newUser("ann@example.com", "root")},
		{"no password hash", journeystate.User{Email: "ann@example.com", Role: journeystate.RoleAgent}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := s.CreateUser(context.Background(), tt.u); err == nil {
				t.Errorf("CreateUser(%+v) = %+v, want an error", tt.u, got)
			}
		})
	}
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "journeybot.db"))
	u, err := s.CreateUser(ctx, newUser("ann@example.com", journeystate.RoleAgent))
	if err != nil {
		t.Fatalf("CreateUser() = %v", err)
	}
	expires := time.Date(2026, 12, 2, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	sess, err := s.CreateSession(ctx, u.ID, "hash-1", expires)
	if err != nil {
		t.Fatalf("CreateSession() = %v", err)
	}
	got, err := s.Session(ctx, "hash-1")
	if err != nil {
		t.Fatalf("Session() = %v", err)
	}
	if diff := cmp.Diff(sess, got); diff != "" {
		t.Errorf("Session() differs from CreateSession's (-created +got):\n%s", diff)
	}
	if got.UserID != u.ID || !got.ExpiresAt.Equal(expires) {
		t.Errorf("Session() = %+v, want user %s expiring at %v", got, u.ID, expires)
	}

	if _, err := s.CreateSession(ctx, u.ID, "hash-1", expires); !errors.Is(err, journeystate.ErrConflict) {
		t.Errorf("CreateSession(same hash) = %v, want ErrConflict", err)
	}
	if _, err := s.CreateSession(ctx, "nobody", "hash-2", expires); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("CreateSession(unknown user) = %v, want ErrNotFound", err)
	}
	if _, err := s.CreateSession(ctx, u.ID, "", expires); err == nil {
		t.Error("CreateSession(empty hash) = nil, want an error")
	}

	if err := s.DeleteSession(ctx, "hash-1"); err != nil {
		t.Fatalf("DeleteSession() = %v", err)
	}
	if _, err := s.Session(ctx, "hash-1"); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("Session(deleted) = %v, want ErrNotFound", err)
	}
	if err := s.DeleteSession(ctx, "hash-1"); err != nil {
		t.Errorf("DeleteSession(again) = %v, want nil", err)
	}
}

func TestAgentTeamsCapacityAndStatus(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s := openStore(t, filepath.Join(t.TempDir(), "journeybot.db"), sqlite.WithNow(func() time.Time { return now }))

	u := newUser("sam@example.com", journeystate.RoleAgent)
	u.Teams, u.Capacity = []string{"support", "sales"}, 3
	sam, err := s.CreateUser(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if sam.Status != journeystate.StatusOffline {
		t.Errorf("a new user's status is %q, want offline", sam.Status)
	}
	if _, err := s.CreateUser(ctx, newUser("ann@example.com", journeystate.RoleManager)); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	online, err := s.SetUserStatus(ctx, sam.ID, journeystate.StatusOnline)
	if err != nil {
		t.Fatal(err)
	}
	if online.Status != journeystate.StatusOnline || !online.StatusAt.Equal(now) {
		t.Errorf("after SetUserStatus: %+v", online)
	}
	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 || users[0].Email != "ann@example.com" || users[1].Email != "sam@example.com" {
		t.Fatalf("Users() = %+v, want ann then sam", users)
	}
	if diff := cmp.Diff(online, users[1]); diff != "" {
		t.Errorf("Users() differs from SetUserStatus (-set +listed):\n%s", diff)
	}
	if users[0].Teams != nil || users[0].Capacity != 0 {
		t.Errorf("a user without teams: %+v", users[0])
	}
	if _, err := s.SetUserStatus(ctx, sam.ID, "sleeping"); err == nil {
		t.Error("SetUserStatus accepted an unknown status")
	}
	if _, err := s.SetUserStatus(ctx, "nobody", journeystate.StatusAway); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("SetUserStatus(unknown user) = %v, want ErrNotFound", err)
	}
	bad := newUser("bad@example.com", journeystate.RoleAgent)
	bad.Capacity = -1
	if _, err := s.CreateUser(ctx, bad); err == nil {
		t.Error("CreateUser accepted a negative capacity")
	}
	bad.Capacity, bad.Status = 1, "busy"
	if _, err := s.CreateUser(ctx, bad); err == nil {
		t.Error("CreateUser accepted an unknown status")
	}
}
