-- Hand-offs: the team a conversation is queued for or held by, since when its owner has it, links from other
-- systems' ids (a Slack agent thread) to conversations, and console users' teams, capacity and status.

-- +goose Up
ALTER TABLE conversations ADD COLUMN team TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN owner_since TEXT NOT NULL DEFAULT '';
UPDATE conversations SET owner_since = COALESCE(
    (SELECT e.time FROM events e WHERE e.conversation_id = conversations.id AND e.type = 'owner_changed'
        ORDER BY e.seq DESC LIMIT 1),
    created_at);
CREATE INDEX conversations_owner_since ON conversations (owner, owner_since, id);

CREATE TABLE conversation_links (
    kind            TEXT NOT NULL CHECK (kind <> ''),
    external_id     TEXT NOT NULL CHECK (external_id <> ''),
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    created_at      TEXT NOT NULL,
    PRIMARY KEY (kind, external_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX conversation_links_conversation ON conversation_links (conversation_id, kind, created_at);

ALTER TABLE users ADD COLUMN teams TEXT NOT NULL DEFAULT '[]';
ALTER TABLE users ADD COLUMN capacity INTEGER NOT NULL DEFAULT 0 CHECK (capacity >= 0);
ALTER TABLE users ADD COLUMN status TEXT NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'away', 'offline'));
ALTER TABLE users ADD COLUMN status_at TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN status_at;
ALTER TABLE users DROP COLUMN status;
ALTER TABLE users DROP COLUMN capacity;
ALTER TABLE users DROP COLUMN teams;
DROP INDEX conversation_links_conversation;
DROP TABLE conversation_links;
DROP INDEX conversations_owner_since;
ALTER TABLE conversations DROP COLUMN owner_since;
ALTER TABLE conversations DROP COLUMN team;
