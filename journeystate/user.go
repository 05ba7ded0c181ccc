package journeystate

import (
	"context"
	"fmt"
	"time"
)

// Role is what a console user may do. Roles are ordered: a manager may do everything an agent may, an admin
// everything a manager may.
type Role string

// Console roles.
const (
	RoleAgent   Role = "agent"
	RoleManager Role = "manager"
	RoleAdmin   Role = "admin"
)

// ParseRole returns the role named s, or an error for a name that is not one of agent, manager, admin.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleAgent, RoleManager, RoleAdmin:
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q (want agent, manager or admin)", s)
}

// rank orders the roles; an unknown role ranks below every known one.
func (r Role) rank() int {
	switch r {
	case RoleAgent:
		return 1
	case RoleManager:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Allows reports whether a user with role r may do what needs role need. An unknown role allows nothing and is
// allowed by nothing.
func (r Role) Allows(need Role) bool {
	return r.rank() > 0 && need.rank() > 0 && r.rank() >= need.rank()
}

// User is a person who signs in to the agent console: a support agent, a manager or an admin. Users are not
// customers: they live in their own table and never appear in a customer's journey.
type User struct {
	ID string
	// Email is the sign-in name, normalised by NormalizeEmail; unique among users.
	Email string
	Name  string
	Role  Role
	// PasswordHash is the encoded hash of the user's password (argon2id's PHC string); never the password.
	PasswordHash string
	CreatedAt    time.Time
	// Disabled users cannot sign in, and their sessions no longer count.
	Disabled bool
	// Teams are the teams whose queues the user works (routing's team names); none: the user takes conversations
	// only by hand.
	Teams []string
	// Capacity is how many conversations routing gives the user at once; 0 gives none (they may still take them).
	Capacity int
	// Status is whether the user takes conversations now; routing assigns only to StatusOnline users.
	Status   AgentStatus
	StatusAt time.Time // when Status last changed; zero when never
}

// AgentStatus is a console user's availability for conversations.
type AgentStatus string

// Agent statuses.
const (
	StatusOnline  AgentStatus = "online"
	StatusAway    AgentStatus = "away"
	StatusOffline AgentStatus = "offline"
)

// ParseAgentStatus returns the status named s, or an error for anything but online, away, offline.
func ParseAgentStatus(s string) (AgentStatus, error) {
	switch st := AgentStatus(s); st {
	case StatusOnline, StatusAway, StatusOffline:
		return st, nil
	}
	return "", fmt.Errorf("unknown status %q (want online, away or offline)", s)
}

// Session is a signed-in console user's session. The store keeps only a hash of the session's token: whoever reads
// the database cannot sign in with what they read.
type Session struct {
	// TokenHash identifies the session: the SHA-256 of the token in the user's cookie, hex.
	TokenHash string
	UserID    string
	CreatedAt time.Time
	// ExpiresAt is when the session stops counting; the store returns expired sessions as they are, the caller
	// compares with its clock.
	ExpiresAt time.Time
}

// UserStore stores console users and their sessions. It is separate from Store because the console is the only part
// that needs it. Implementations are safe for concurrent use.
type UserStore interface {
	// CreateUser stores u and returns it with its ID and CreatedAt set; u.Email must already be normalised, and
	// u.Role be a known role. It returns ErrConflict when a user has that email.
	CreateUser(ctx context.Context, u User) (User, error)
	// UserByEmail returns the user with that (normalised) email, or ErrNotFound.
	UserByEmail(ctx context.Context, email string) (User, error)
	// User returns the user with that id, or ErrNotFound.
	User(ctx context.Context, id string) (User, error)
	// Users returns every user, by email.
	Users(ctx context.Context) ([]User, error)
	// SetUserStatus sets the user's Status (and StatusAt to now) and returns the user; ErrNotFound when there is
	// no such user.
	SetUserStatus(ctx context.Context, id string, status AgentStatus) (User, error)

	// CreateSession stores a session of userID, identified by tokenHash, that expires at expires. It returns
	// ErrNotFound when there is no such user and ErrConflict when tokenHash is already used.
	CreateSession(ctx context.Context, userID, tokenHash string, expires time.Time) (Session, error)
	// Session returns the session identified by tokenHash, expired or not, or ErrNotFound.
	Session(ctx context.Context, tokenHash string) (Session, error)
	// DeleteSession removes the session identified by tokenHash; removing one that does not exist is not an
	// error, so that signing out twice succeeds.
	DeleteSession(ctx context.Context, tokenHash string) error
}
