package sqlite

import (
	"context"
	"database/sql"
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
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, role, password_hash, created_at, disabled)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Email, u.Name, string(u.Role), u.PasswordHash, formatTime(u.CreatedAt), u.Disabled)
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

func (s *Store) userWhere(ctx context.Context, where string, arg any) (journeystate.User, error) {
	var u journeystate.User
	err := s.readOne(ctx, func(q querier) error {
		var role, created string
		err := q.QueryRowContext(ctx, `SELECT id, email, name, role, password_hash, created_at, disabled
			FROM users WHERE `+where, arg).
			Scan(&u.ID, &u.Email, &u.Name, &role, &u.PasswordHash, &created, &u.Disabled)
		if err != nil {
			return notFound(err)
		}
		u.Role = journeystate.Role(role)
		u.CreatedAt, err = parseTime(created)
		return err
	})
	return u, err
}
