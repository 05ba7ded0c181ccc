package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/journeybot/journeybot/journeystate"
)

var _ journeystate.UserStore = (*Store)(nil)

// CreateUser stores a console user; see journeystate.UserStore. The email must be normalised already (it is
// checked: a store that took "Ann@X" next to "ann@x" would have two sign-in names for one person).
func (s *Store) CreateUser(ctx context.Context, u journeystate.User) (journeystate.User, error) {
	norm, err := journeystate.NormalizeEmail(u.Email)
	if err != nil {
		return journeystate.User{}, fmt.Errorf("create user: %w", err)
	}
	if norm != u.Email {
		return journeystate.User{}, fmt.Errorf("create user: email %q is not normalised (want %q)", u.Email, norm)
	}
	if _, err := journeystate.ParseRole(string(u.Role)); err != nil {
		return journeystate.User{}, fmt.Errorf("create user: %w", err)
	}
	if u.PasswordHash == "" {
		return journeystate.User{}, errors.New("create user: a password hash is required")
	}
	if u.Status == "" {
		u.Status = journeystate.StatusOffline
	}
	if _, err := journeystate.ParseAgentStatus(string(u.Status)); err != nil {
		return journeystate.User{}, fmt.Errorf("create user: %w", err)
	}
	if u.Capacity < 0 {
		return journeystate.User{}, fmt.Errorf("create user: capacity %d is negative", u.Capacity)
	}
	teams, err := json.Marshal(nonNil(u.Teams))
	if err != nil {
		return journeystate.User{}, fmt.Errorf("create user: %w", err)
	}
	u.ID, err = newID()
	if err != nil {
		return journeystate.User{}, fmt.Errorf("create user: %w", err)
	}
	u.CreatedAt = s.stamp()
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		// The one writer serialises this check and the insert: no other write runs in between.
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE email = ?`, u.Email).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("a user has email %s: %w", u.Email, journeystate.ErrConflict)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, role, password_hash, created_at, disabled,
			teams, capacity, status, status_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')`,
			u.ID, u.Email, u.Name, string(u.Role), u.PasswordHash, formatTime(u.CreatedAt), u.Disabled,
			string(teams), u.Capacity, string(u.Status))
		return err
	})
	if err != nil {
		return journeystate.User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// UserByEmail returns the user with that normalised email, or ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (journeystate.User, error) {
	u, err := s.userWhere(ctx, `email = ?`, email)
	if err != nil {
		return journeystate.User{}, fmt.Errorf("load user by email: %w", err)
	}
	return u, nil
}

// User returns the user with that id, or ErrNotFound.
func (s *Store) User(ctx context.Context, id string) (journeystate.User, error) {
	u, err := s.userWhere(ctx, `id = ?`, id)
	if err != nil {
		return journeystate.User{}, fmt.Errorf("load user %s: %w", id, err)
	}
	return u, nil
}

// Users returns every user, by email.
func (s *Store) Users(ctx context.Context) ([]journeystate.User, error) {
	var out []journeystate.User
	err := s.readOne(ctx, func(q querier) error {
		rows, err := q.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY email`)
		out, err = collect(rows, err, scanUser)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// SetUserStatus sets the user's status; see journeystate.UserStore.
func (s *Store) SetUserStatus(ctx context.Context, id string, status journeystate.AgentStatus) (journeystate.User, error) {
	if _, err := journeystate.ParseAgentStatus(string(status)); err != nil {
		return journeystate.User{}, fmt.Errorf("set status of user %s: %w", id, err)
	}
	var u journeystate.User
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET status = ?, status_at = ? WHERE id = ?`,
			string(status), formatTime(s.stamp()), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpOr(err, journeystate.ErrNotFound)
		}
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
		return err
	})
	if err != nil {
		return journeystate.User{}, fmt.Errorf("set status of user %s: %w", id, err)
	}
	return u, nil
}

func cmpOr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

const userColumns = `id, email, name, role, password_hash, created_at, disabled, teams, capacity, status, status_at`

func scanUser(row scanner) (journeystate.User, error) {
	var u journeystate.User
	var role, created, teams, status, statusAt string
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &role, &u.PasswordHash, &created, &u.Disabled, &teams, &u.Capacity,
		&status, &statusAt); err != nil {
		return journeystate.User{}, notFound(err)
	}
	u.Role, u.Status = journeystate.Role(role), journeystate.AgentStatus(status)
	var err error
	if u.CreatedAt, err = parseTime(created); err != nil {
		return journeystate.User{}, err
	}
	if statusAt != "" {
		if u.StatusAt, err = parseTime(statusAt); err != nil {
			return journeystate.User{}, err
		}
	}
	if err := json.Unmarshal([]byte(teams), &u.Teams); err != nil {
		return journeystate.User{}, fmt.Errorf("user %s: teams: %w", u.ID, err)
	}
	if len(u.Teams) == 0 {
		u.Teams = nil
	}
	return u, nil
}

func (s *Store) userWhere(ctx context.Context, where string, arg any) (journeystate.User, error) {
	var u journeystate.User
	err := s.readOne(ctx, func(q querier) error {
		var err error
		u, err = scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, arg))
		return err
	})
	return u, err
}
