-- Journey-aware customers: a stage and a memory on each customer, merges of customers found to be one person (with
-- what moved, so that a merge can be undone), and the pairs that must never be merged automatically again.

-- +goose Up
ALTER TABLE customers ADD COLUMN stage TEXT NOT NULL DEFAULT '';
-- memory is journeystate.Memory as JSON: {"facts": {...}, "summary": "...", "summary_updated_at": "..."}.
ALTER TABLE customers ADD COLUMN memory TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(memory));
-- merged_into is the customer this one was merged into; NULL while it stands on its own.
ALTER TABLE customers ADD COLUMN merged_into TEXT REFERENCES customers (id);

-- Finds the customers merged into one (merge blocks look through them).
CREATE INDEX customers_merged_into ON customers (merged_into) WHERE merged_into IS NOT NULL;

-- summarized_seq is the newest message the customer's memory summary has taken in.
ALTER TABLE conversations ADD COLUMN summarized_seq INTEGER NOT NULL DEFAULT 0 CHECK (summarized_seq >= 0);

-- Finds the quiet conversations whose messages the summary has not taken in (QuietConversations).
CREATE INDEX conversations_unsummarized ON conversations (updated_at, id) WHERE summarized_seq < last_seq;

-- One row per merge. manifest records exactly what moved from the absorbed customer to the survivor, and both
-- customers' profile, traits, stage and memory before the merge (see merge.go), so that Unmerge can put it back.
CREATE TABLE merges (
    id                TEXT PRIMARY KEY,
    survivor_id       TEXT NOT NULL REFERENCES customers (id),
    absorbed_id       TEXT NOT NULL REFERENCES customers (id),
    claim_channel     TEXT NOT NULL CHECK (claim_channel <> ''),
    claim_external_id TEXT NOT NULL CHECK (claim_external_id <> ''),
    claim_level       TEXT NOT NULL CHECK (claim_level IN ('anonymous', 'claimed', 'verified')),
    claim_profile     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(claim_profile)),
    evidence          TEXT NOT NULL DEFAULT '',
    actor             TEXT NOT NULL CHECK (actor IN ('customer', 'bot', 'agent', 'rule', 'system')),
    manifest          TEXT NOT NULL CHECK (json_valid(manifest)),
    created_at        TEXT NOT NULL,
    undone_at         TEXT,
    undone_cause      TEXT NOT NULL DEFAULT '',
    CHECK (survivor_id <> absorbed_id)
) STRICT;

CREATE INDEX merges_survivor ON merges (survivor_id, created_at);
CREATE INDEX merges_absorbed ON merges (absorbed_id, created_at);

-- Pairs of customers whose merge was undone: they are never merged automatically again. The pair is stored in id
-- order, so that (a, b) and (b, a) are one row.
CREATE TABLE merge_blocks (
    customer_a TEXT NOT NULL REFERENCES customers (id),
    customer_b TEXT NOT NULL REFERENCES customers (id),
    merge_id   TEXT NOT NULL REFERENCES merges (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (customer_a, customer_b),
    CHECK (customer_a < customer_b)
) STRICT, WITHOUT ROWID;

CREATE INDEX merge_blocks_b ON merge_blocks (customer_b);

-- Events stay append-only, except that a merge moves them to the surviving customer (and Unmerge moves them back):
-- customer_id is the one column an UPDATE may change.
DROP TRIGGER events_no_update;

-- +goose StatementBegin
CREATE TRIGGER events_no_update
BEFORE UPDATE OF seq, id, conversation_id, type, channel, actor, cause, payload, event_key, time ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER events_no_update;

-- +goose StatementBegin
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
-- +goose StatementEnd

DROP INDEX merge_blocks_b;
DROP TABLE merge_blocks;
DROP INDEX merges_absorbed;
DROP INDEX merges_survivor;
DROP TABLE merges;
DROP INDEX conversations_unsummarized;
ALTER TABLE conversations DROP COLUMN summarized_seq;
DROP INDEX customers_merged_into;
ALTER TABLE customers DROP COLUMN merged_into;
ALTER TABLE customers DROP COLUMN memory;
ALTER TABLE customers DROP COLUMN stage;
