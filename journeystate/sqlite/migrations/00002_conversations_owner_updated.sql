-- +goose Up
-- Finds the conversations an owner holds by how recently they changed (UnansweredConversations at start-up).
CREATE INDEX conversations_owner_updated ON conversations (owner, updated_at);

-- +goose Down
DROP INDEX conversations_owner_updated;
