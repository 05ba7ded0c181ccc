-- Console users (agents, managers, admins) and their sessions. Users are not customers: nothing here references
-- the customers table.

-- +goose Up
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE CHECK (email <> ''),
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('agent', 'manager', 'admin')),
    password_hash TEXT NOT NULL CHECK (password_hash <> ''),
    created_at    TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
) STRICT;

-- A session is known only by the hash of its token.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY CHECK (token_hash <> ''),
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- +goose Down
DROP INDEX sessions_expires;
DROP INDEX sessions_user;
DROP TABLE sessions;
DROP TABLE users;
