package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// CreateSession stores a console session; see journeystate.UserStore.
func (s *Store) CreateSession(ctx context.Context, userID, tokenHash string, expires time.Time) (journeystate.Session, error) {
	if tokenHash == "" {
		return journeystate.Session{}, errors.New("create session: a token hash is required")
	}
	sess := journeystate.Session{
		TokenHash: tokenHash,
		UserID:    userID,
		CreatedAt: s.stamp(),
		ExpiresAt: expires.UTC().Truncate(time.Microsecond),
	}
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		var users, sessions int
		err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM users WHERE id = ?),
			(SELECT count(*) FROM sessions WHERE token_hash = ?)`, userID, tokenHash).Scan(&users, &sessions)
		switch {
		case err != nil:
			return err
		case users == 0:
			return fmt.Errorf("user %s: %w", userID, journeystate.ErrNotFound)
		case sessions > 0:
			return fmt.Errorf("token already used: %w", journeystate.ErrConflict)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
			VALUES (?, ?, ?, ?)`, sess.TokenHash, sess.UserID, formatTime(sess.CreatedAt), formatTime(sess.ExpiresAt))
		return err
	})
	if err != nil {
		return journeystate.Session{}, fmt.Errorf("create session: %w", err)
	}
	return sess, nil
}

// Session returns the session identified by tokenHash, expired or not, or ErrNotFound.
func (s *Store) Session(ctx context.Context, tokenHash string) (journeystate.Session, error) {
	var sess journeystate.Session
	err := s.readOne(ctx, func(q querier) error {
		var created, expires string
		err := q.QueryRowContext(ctx, `SELECT token_hash, user_id, created_at, expires_at FROM sessions
			WHERE token_hash = ?`, tokenHash).Scan(&sess.TokenHash, &sess.UserID, &created, &expires)
		if err != nil {
			return notFound(err)
		}
		if sess.CreatedAt, err = parseTime(created); err != nil {
			return err
		}
		sess.ExpiresAt, err = parseTime(expires)
		return err
	})
	if err != nil {
		return journeystate.Session{}, fmt.Errorf("load session: %w", err)
	}
	return sess, nil
}

// DeleteSession removes the session identified by tokenHash; a missing one is not an error.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}
