-- The first schema of the embedded store. Times are TEXT in UTC, "2006-01-02T15:04:05.000000Z" (fixed width, so
-- they sort as text); JSON columns are TEXT checked with json_valid.

-- +goose Up
CREATE TABLE customers (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL DEFAULT '',
    email      TEXT NOT NULL DEFAULT '',
    phone      TEXT NOT NULL DEFAULT '',
    traits     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(traits)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE identities (
    channel     TEXT NOT NULL CHECK (channel <> ''),
    external_id TEXT NOT NULL CHECK (external_id <> ''),
    customer_id TEXT NOT NULL REFERENCES customers (id),
    level       TEXT NOT NULL CHECK (level IN ('anonymous', 'claimed', 'verified')),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (channel, external_id)
) STRICT;

CREATE INDEX identities_customer ON identities (customer_id);

CREATE TABLE conversations (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    channel     TEXT NOT NULL CHECK (channel <> ''),
    thread_id   TEXT NOT NULL CHECK (thread_id <> ''),
    owner       TEXT NOT NULL CHECK (owner IN ('bot', 'queue', 'agent', 'closed')),
    agent_id    TEXT NOT NULL DEFAULT '',
    last_seq    INTEGER NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CHECK ((owner = 'agent') = (agent_id <> ''))
) STRICT;

CREATE INDEX conversations_thread ON conversations (customer_id, channel, thread_id, created_at, id);

CREATE TABLE messages (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    seq             INTEGER NOT NULL CHECK (seq > 0),
    author          TEXT NOT NULL CHECK (author IN ('customer', 'bot', 'agent', 'system')),
    client_id       TEXT NOT NULL DEFAULT '',
    text            TEXT NOT NULL,
    meta            TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta)),
    created_at      TEXT NOT NULL,
    UNIQUE (conversation_id, seq)
) STRICT;

-- A resent message (same client id from the same customer) is stored once.
CREATE UNIQUE INDEX messages_client_id ON messages (customer_id, client_id) WHERE client_id <> '';

-- The journey log. seq is the position in the whole log: AUTOINCREMENT never reuses a number.
CREATE TABLE events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    conversation_id TEXT REFERENCES conversations (id),
    type            TEXT NOT NULL CHECK (type <> ''),
    channel         TEXT NOT NULL DEFAULT '',
    actor           TEXT NOT NULL CHECK (actor IN ('customer', 'bot', 'agent', 'rule', 'system')),
    cause           TEXT NOT NULL DEFAULT '',
    payload         TEXT CHECK (payload IS NULL OR json_valid(payload)),
    event_key       TEXT CHECK (event_key IS NULL OR event_key <> ''),
    time            TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX events_key ON events (event_key) WHERE event_key IS NOT NULL;
CREATE INDEX events_customer ON events (customer_id, seq);
CREATE INDEX events_conversation ON events (conversation_id, seq) WHERE conversation_id IS NOT NULL;

-- +goose StatementBegin
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
-- +goose StatementEnd

-- The knowledge base: one row per passage. Only title, heading and body are searched; bm25 weights them in that
-- order (see knowledge.go).
CREATE VIRTUAL TABLE knowledge USING fts5(
    title,
    heading,
    body,
    source UNINDEXED,
    url UNINDEXED,
    stages UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TABLE knowledge_meta (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    version    TEXT NOT NULL,
    passages   INTEGER NOT NULL CHECK (passages >= 0),
    updated_at TEXT NOT NULL
) STRICT;

-- +goose Down
DROP TABLE knowledge_meta;
DROP TABLE knowledge;
DROP TRIGGER events_no_delete;
DROP TRIGGER events_no_update;
DROP TABLE events;
DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE identities;
DROP TABLE customers;
